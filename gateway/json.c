/* SPDX-License-Identifier: MIT */
/*
 * The little JSON the gateway writes: the audit log and the control
 * socket's answers. Strings may come from devices (facts) or from a
 * certificate (the owner's name), so they are escaped with care: quotes,
 * backslashes and control characters always; bytes above ASCII pass through
 * only as part of well-formed UTF-8 (common/utf8.h), anything else becomes
 * U+FFFD. Every
 * document written this way is valid JSON whatever a device sends.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/utf8.h"
#include "gateway/gateway.h"

void gw_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*p) {
		uint32_t cp;
		size_t n;

		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, f);
		} else if ((n = cm_utf8_decode(p, SIZE_MAX, &cp)) != 0) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
	fputc('"', f);
}

void gw_json_time(FILE *f, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "\"%s\"", buf);
}

void gw_json_key(FILE *f, bool *first, const char *key)
{
	if (!*first)
		fputc(',', f);
	*first = false;
	fprintf(f, "\"%s\":", key);
}

void gw_json_addr(FILE *f, int family, const void *addr)
{
	char a[INET6_ADDRSTRLEN];

	gw_json_str(f, inet_ntop(family, addr, a, sizeof(a)));
}
