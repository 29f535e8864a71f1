/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gateway/json.c, the control socket's adapter on the one JSON
 * writer (common/json.h, whose escaper and times tests/unit/test_common_json.c
 * checks exhaustively): gw_json_str and gw_json_time are that writer's,
 * gw_json_key puts commas after the first member, gw_json_addr writes an
 * address or null; each is checked on its exact output.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <time.h>

#include "common/json.h"
#include "gateway/json.h"
#include "tests/unit/unit.h"

/* What put writes for s (malloc'd). */
static char *put_of(void (*put)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	put(f, s);
	fclose(f);
	return buf;
}

/* ---- gw_json_str, gw_json_time ---- */

/* The writer's escaper, not a copy of it: ill-formed UTF-8 never passes. */
static void test_str_is_the_writers(void)
{
	static const char *const cases[] = {
		"", "devA", "O\"Brien \\", "Zo\xc3\xab", "a\xc3", "\x7f\n", "\xed\xa0\x80", NULL,
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *gw = put_of(gw_json_str, cases[i]), *cm = put_of(cm_json_put_string, cases[i]);

		CHECK(gw && cm && !strcmp(gw, cm));
		free(gw);
		free(cm);
	}
}

/* gw_json_time writes what the common writer writes. */
static void test_time(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	gw_json_time(f, 1795773600);
	fclose(f);
	CHECK_EQ_STR(buf, "\"2026-11-27T10:00:00Z\"");
	free(buf);
}

static void test_key(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool first = true;

	if (!f)
		return;
	fputc('{', f);
	gw_json_key(f, &first, "a");
	fputs("1", f);
	CHECK(!first);
	gw_json_key(f, &first, "b");
	fputs("null", f);
	fputc('}', f);
	fclose(f);
	CHECK_EQ_STR(buf, "{\"a\":1,\"b\":null}");
	free(buf);
}

static void test_addr(void)
{
	uint8_t a4[4], a6[16];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	inet_pton(AF_INET, "198.18.100.2", a4);
	inet_pton(AF_INET6, "fd00:5057::2", a6);
	gw_json_addr(f, AF_INET, a4);
	fputc(' ', f);
	gw_json_addr(f, AF_INET6, a6);
	fputc(' ', f);
	gw_json_addr(f, AF_UNIX, a4);		/* no address: null, never garbage */
	fclose(f);
	CHECK_EQ_STR(buf, "\"198.18.100.2\" \"fd00:5057::2\" null");
	free(buf);
}

int main(void)
{
	RUN(test_str_is_the_writers);
	RUN(test_time);
	RUN(test_key);
	RUN(test_addr);
	UNIT_EXIT();
}
