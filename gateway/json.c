/* SPDX-License-Identifier: MIT */
/*
 * The control socket's JSON, written by hand-placed separators in control.c
 * and stats.c, on top of the one writer (common/json.h): strings go through
 * its escaper (so an answer is valid JSON whatever a device sent) and times
 * through its ISO 8601 UTC form. What is left here is the gateway's own:
 * a member's key after a first-flag, and an address as a string.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "common/json.h"
#include "gateway/json.h"

void gw_json_str(FILE *f, const char *s)
{
	cm_json_put_string(f, s);
}

void gw_json_time(FILE *f, time_t t)
{
	cm_json_put_time(f, t);
}

void gw_json_key(FILE *f, bool *first, const char *key)
{
	if (!*first)
		fputc(',', f);
	*first = false;
	cm_json_put_string(f, key);
	fputc(':', f);
}

void gw_json_addr(FILE *f, int family, const void *addr)
{
	char a[INET6_ADDRSTRLEN];

	cm_json_put_string(f, inet_ntop(family, addr, a, sizeof(a)));
}
