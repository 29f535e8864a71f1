/* SPDX-License-Identifier: MIT */
/*
 * The control socket's JSON helpers (json.c), on common/json.h's writer.
 */
#ifndef POSTERN_GW_JSON_H
#define POSTERN_GW_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

void gw_json_str(FILE *f, const char *s);		/* "..." escaped; null for NULL */
void gw_json_time(FILE *f, time_t t);			/* "2026-11-27T10:00:00Z" */
void gw_json_key(FILE *f, bool *first, const char *key);	/* ,"key": */
void gw_json_addr(FILE *f, int family, const void *addr);	/* "a.b.c.d" */

#endif
