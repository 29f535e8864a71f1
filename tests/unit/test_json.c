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

#include "gateway/gateway.h"
#include "tests/unit/json_check.h"
#include "tests/unit/unit.h"

/* ---- helpers ---- */

/* What gw_json_str writes for s (malloc'd). */
static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	gw_json_str(f, s);
	fclose(f);
	return buf;
}

/* s is written exactly as want. The input is copied to a buffer of its own
 * size, so that ASan sees any read past its NUL. */
static bool writes_as(const char *s, const char *want)
{
	char *copy = strdup(s), *got = json_of(copy);
	bool ok = got && !strcmp(got, want);

	if (!ok)
		printf("# gw_json_str wrote %s, expected %s\n", got ? got : "(nothing)", want);
	free(copy);
	free(got);
	return ok;
}

/* ---- gw_json_str ---- */

static void test_str_plain(void)
{
	CHECK(writes_as("", "\"\""));
	CHECK(writes_as("devA", "\"devA\""));
	CHECK(writes_as("a b/c:d{e}[f],", "\"a b/c:d{e}[f],\""));
	CHECK(writes_as("~ !#$%&'()*+-.", "\"~ !#$%&'()*+-.\""));
}

static void test_str_null(void)
{
	char *out = json_of(NULL);

	CHECK_EQ_STR(out, "null");
	free(out);
}

static void test_str_quote_backslash(void)
{
	CHECK(writes_as("\"", "\"\\\"\""));
	CHECK(writes_as("\\", "\"\\\\\""));
	CHECK(writes_as("O\"Brien \\ \"x\"", "\"O\\\"Brien \\\\ \\\"x\\\"\""));
	CHECK(writes_as("\\u0041", "\"\\\\u0041\""));	/* not an escape: stays text */
	CHECK(writes_as("\\\"", "\"\\\\\\\"\""));
}

/* The writer's escaper, not a copy of it: ill-formed UTF-8 never passes. */
static void test_str_invalid_utf8(void)
{
	CHECK(writes_as("Zo\xc3\xab", "\"Zo\xc3\xab\""));
	CHECK(writes_as("a\xc3", "\"a\\ufffd\""));
	CHECK(writes_as("\x7f\n", "\"\\u007f\\u000a\""));
}

/* ---- gw_json_time, gw_json_key, gw_json_addr ---- */

static char *time_of(time_t t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	gw_json_time(f, t);
	fclose(f);
	return buf;
}

static bool time_is(time_t t, const char *want)
{
	char *got = time_of(t);
	bool ok = got && !strcmp(got, want);

	if (!ok)
		printf("# gw_json_time(%lld) wrote %s, expected %s\n", (long long)t,
		       got ? got : "(nothing)", want);
	free(got);
	return ok;
}

static void test_time(void)
{
	const char *tz = getenv("TZ");
	char *saved = tz ? strdup(tz) : NULL;

	/* UTC whatever the local zone says, with no offset of its own. */
	setenv("TZ", "America/St_Johns", 1);
	tzset();
	CHECK(time_is(0, "\"1970-01-01T00:00:00Z\""));
	CHECK(time_is(1795773600, "\"2026-11-27T10:00:00Z\""));
	CHECK(time_is(951782400, "\"2000-02-29T00:00:00Z\""));	/* a leap day */
	CHECK(time_is(1230767999, "\"2008-12-31T23:59:59Z\""));
	CHECK(time_is(-1, "\"1969-12-31T23:59:59Z\""));
	{
		/* Now: 22 characters, quotes included, and valid JSON. */
		char *now = time_of(time(NULL)), *back = now ? json_unquote(now) : NULL;

		CHECK(now && strlen(now) == 22);
		CHECK(back && back[4] == '-' && back[10] == 'T' && back[19] == 'Z');
		free(now);
		free(back);
	}
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
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
	RUN(test_str_plain);
	RUN(test_str_null);
	RUN(test_str_quote_backslash);
	RUN(test_str_invalid_utf8);
	RUN(test_time);
	RUN(test_key);
	RUN(test_addr);
	UNIT_EXIT();
}
