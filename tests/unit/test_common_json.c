/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/json.c, the one JSON writer (the audit log, the
 * control socket, `postern-posture check --json`, `postern-ca list --json`).
 * The escaper, cm_json_put_string, escapes quotes, backslashes, control
 * characters and DEL, passes well-formed UTF-8 through unchanged and turns
 * every byte of an ill-formed sequence (stray continuation bytes, overlong
 * forms, surrogates, code points above U+10FFFF, sequences cut short by the
 * end of the string) into \ufffd; NULL becomes null. Besides the hand-picked
 * cases, every one- and two-byte string and every three-byte string with a
 * three-byte lead byte is written and read back by a strict JSON reader of
 * our own (tests/unit/json_check.h: its UTF-8 check follows the table of
 * well-formed sequences in the Unicode standard, not common/utf8.c), so no
 * input can make the writer produce invalid JSON or change valid text.
 * Times are quoted ISO 8601, or null. The writer puts
 * commas where they belong in the compact, spaced and one-element-a-line
 * layouts, checked on their exact output.
 */
#include <stdlib.h>
#include <time.h>

#include "common/json.h"
#include "tests/unit/json_check.h"
#include "tests/unit/unit.h"

/* ---- helpers ---- */

/* What cm_json_put_string writes for s (malloc'd). */
static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	cm_json_put_string(f, s);
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
		printf("# cm_json_put_string wrote %s, expected %s\n", got ? got : "(nothing)", want);
	free(copy);
	free(got);
	return ok;
}

/* The round trip that must hold for every input: the output is one valid
 * JSON string; a valid input reads back unchanged; an invalid one reads
 * back as valid UTF-8 holding U+FFFD. */
static bool round_trips(const char *s)
{
	static int printed;
	char *copy = strdup(s), *out = json_of(copy), *back = out ? json_unquote(out) : NULL;
	bool ok = back != NULL;

	if (ok && jr_utf8_valid(s))
		ok = !strcmp(back, s);
	else if (ok)
		ok = jr_utf8_valid(back) && strstr(back, "\xef\xbf\xbd") != NULL;
	if (!ok && printed++ < 20) {
		printf("# round trip failed for bytes:");
		for (const unsigned char *p = (const unsigned char *)s; *p; p++)
			printf(" %02x", *p);
		printf(" -> %s\n", out ? out : "(nothing)");
	}
	free(copy);
	free(out);
	free(back);
	return ok;
}

/* ---- cm_json_put_string ---- */

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

static void test_str_control(void)
{
	char s[2] = { 0, 0 }, want[16];

	for (int c = 1; c < 0x20; c++) {
		s[0] = (char)c;
		snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		CHECK(writes_as(s, want));
	}
	CHECK(writes_as("a\nb\r\tc", "\"a\\u000ab\\u000d\\u0009c\""));
	CHECK(writes_as("\x1b[31mred", "\"\\u001b[31mred\""));	/* no terminal escapes */
}

static void test_str_del(void)
{
	CHECK(writes_as("\x7f", "\"\\u007f\""));
	CHECK(writes_as("a\x7f" "b", "\"a\\u007fb\""));
}

static void test_str_utf8_passes(void)
{
	static const char *const ok[] = {
		"Zo\xc3\xab",			/* Zoë */
		"\xc2\x80",			/* U+0080, the first two-byte form */
		"\xdf\xbf",			/* U+07FF */
		"\xe0\xa0\x80",			/* U+0800, the first three-byte form */
		"\xe6\x97\xa5\xe6\x9c\xac",	/* 日本 */
		"\xed\x9f\xbf",			/* U+D7FF, just below the surrogates */
		"\xee\x80\x80",			/* U+E000, just above them */
		"\xef\xbf\xbd",			/* U+FFFD itself */
		"\xef\xbf\xbf",			/* U+FFFF */
		"\xf0\x90\x80\x80",		/* U+10000 */
		"\xf0\x9d\x84\x9e",		/* U+1D11E, musical G clef */
		"\xf4\x8f\xbf\xbf",		/* U+10FFFF, the last code point */
		"\xe2\x80\xa8\xe2\x80\xa9",	/* U+2028/2029: valid JSON as they are */
		"Ren\xc3\xa9 M\xc3\xbcller-\xc3\x85str\xc3\xb6m \xf0\x9f\x98\x80",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "\"%s\"", ok[i]);
		CHECK(writes_as(ok[i], want));
	}
}

static void test_str_utf8_invalid(void)
{
	static const char *const bad[] = {
		"\x80", "\xbf", "a\x80z",		/* stray continuation bytes */
		"\xc0\xaf", "\xc1\xbf",			/* overlong two-byte forms */
		"\xe0\x80\xaf", "\xe0\x9f\xbf",		/* overlong three-byte forms */
		"\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf",	/* overlong four-byte forms */
		"\xed\xa0\x80", "\xed\xbf\xbf",		/* UTF-16 surrogates */
		"\xed\xa0\xbd\xed\xb8\x80",		/* a surrogate pair, CESU-8 */
		"\xf4\x90\x80\x80",			/* U+110000 */
		"\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
		"\xc3", "ab\xe6\x97", "\xf0\x9d\x84",	/* cut short by the end */
		"\xc3z", "\xe6\x97z", "\xf0\x9d\x84z",	/* cut short by a character */
		"\xe6\x97\xa5\xe6",			/* valid, then cut */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(round_trips(bad[i]));
	/* One \ufffd per byte that is not part of a well-formed sequence. */
	CHECK(writes_as("\x80", "\"\\ufffd\""));
	CHECK(writes_as("\xff", "\"\\ufffd\""));
	CHECK(writes_as("a\xc3", "\"a\\ufffd\""));
	CHECK(writes_as("\xc0\xaf", "\"\\ufffd\\ufffd\""));
	CHECK(writes_as("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""));
	CHECK(writes_as("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""));
	/* What follows a bad byte is read afresh: the valid character stays. */
	CHECK(writes_as("\xc3\xc3\xab", "\"\\ufffd\xc3\xab\""));
	CHECK(writes_as("\xe6\x97z\"", "\"\\ufffd\\ufffdz\\\"\""));
}

/* Every string of one or two bytes, and every three bytes led by E0..EF. */
static void test_str_exhaustive(void)
{
	unsigned char s[4] = { 0 };
	unsigned long bad = 0;

	for (int a = 1; a < 256; a++) {
		s[0] = (unsigned char)a;
		s[1] = 0;
		bad += !round_trips((char *)s);
		for (int b = 1; b < 256; b++) {
			s[1] = (unsigned char)b;
			s[2] = 0;
			bad += !round_trips((char *)s);
		}
	}
	for (int a = 0xe0; a <= 0xef && bad < 10; a++) {
		s[0] = (unsigned char)a;
		for (int b = 1; b < 256; b++) {
			s[1] = (unsigned char)b;
			for (int c = 1; c < 256; c++) {
				s[2] = (unsigned char)c;
				bad += !round_trips((char *)s);
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
}

/* Four-byte leads with the edge values of each following byte. */
static void test_str_four_byte_edges(void)
{
	static const unsigned char edge[] = { 0x01, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
					      0xa0, 0xbf, 0xc0, 0xf4, 0xff };
	unsigned char s[5] = { 0 };
	unsigned long bad = 0;

	for (int a = 0xf0; a <= 0xff; a++) {
		s[0] = (unsigned char)a;
		for (size_t i = 0; i < sizeof(edge); i++)
			for (size_t j = 0; j < sizeof(edge); j++)
				for (size_t k = 0; k < sizeof(edge); k++) {
					s[1] = edge[i];
					s[2] = edge[j];
					s[3] = edge[k];
					bad += !round_trips((char *)s);
				}
	}
	CHECK_EQ_INT(bad, 0);
}

/* The reader itself refuses what it must, or the round trips prove nothing. */
static void test_reader_is_strict(void)
{
	static const char *const invalid[] = {
		"", "\"", "abc", "\"a", "\"a\"x", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"",
		"\"\\udc00\"", "\"\x01\"", "\"\n\"", "\"\x80\"", "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "'a'",
	};
	char *s;

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		s = json_unquote(invalid[i]);
		if (s) {
			printf("# reader accepted %s\n", invalid[i]);
			CHECK(0);
		}
		free(s);
	}
	s = json_unquote("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud834\\udd1e\"");
	CHECK_EQ_STR(s, "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9d\x84\x9e");
	free(s);
}

/* ---- cm_json_put_time ---- */

/* The formatter is common/time.c's (tested there, in other time zones too);
 * here: it is quoted, and a time with no date is null, never garbage. */
static void test_time(void)
{
	char *buf = NULL, *back;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	cm_json_put_time(f, 1795773600);
	fputc(' ', f);
	cm_json_put_time(f, (time_t)INT64_MAX);
	fclose(f);
	CHECK_EQ_STR(buf, "\"2026-11-27T10:00:00Z\" null");
	back = buf ? json_unquote(strtok(buf, " ")) : NULL;
	CHECK_EQ_STR(back, "2026-11-27T10:00:00Z");
	free(back);
	free(buf);
}

/* ---- the writer ---- */

/* Runs fn on a writer with flags and returns what it wrote (malloc'd). */
static char *written(unsigned int flags, void (*fn)(struct cm_json *j))
{
	struct cm_json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	cm_json_init(&j, f, flags);
	fn(&j);
	fclose(f);
	return buf;
}

static void doc_decision(struct cm_json *j)
{
	cm_json_object_begin(j);
	cm_json_key(j, "verdict");
	cm_json_string(j, "quarantine");
	cm_json_key(j, "rule");
	cm_json_string(j, NULL);
	cm_json_key(j, "reasons");
	cm_json_array_begin(j);
	cm_json_string(j, "a");
	cm_json_string(j, "b\"");
	cm_json_array_end(j);
	cm_json_key(j, "empty");
	cm_json_array_begin(j);
	cm_json_array_end(j);
	cm_json_key(j, "facts");
	cm_json_array_begin(j);
	for (int i = 0; i < 2; i++) {
		cm_json_object_begin(j);
		cm_json_key(j, "age");
		cm_json_int(j, i - 1);
		cm_json_key(j, "n");
		cm_json_uint(j, UINT64_MAX);
		cm_json_object_end(j);
	}
	cm_json_array_end(j);
	cm_json_key(j, "ok");
	cm_json_bool(j, true);
	cm_json_key(j, "no");
	cm_json_bool(j, false);
	cm_json_key(j, "none");
	cm_json_null(j);
	cm_json_key(j, "t");
	cm_json_time(j, 0);
	cm_json_object_end(j);
}

static void test_writer_compact(void)
{
	char *out = written(0, doc_decision), *flat = out ? json_flat(out) : NULL;

	CHECK_EQ_STR(out, "{\"verdict\":\"quarantine\",\"rule\":null,\"reasons\":[\"a\",\"b\\\"\"],"
		     "\"empty\":[],\"facts\":[{\"age\":-1,\"n\":18446744073709551615},"
		     "{\"age\":0,\"n\":18446744073709551615}],\"ok\":true,\"no\":false,"
		     "\"none\":null,\"t\":\"1970-01-01T00:00:00Z\"}");
	CHECK(flat != NULL);	/* valid JSON to our strict reader */
	free(flat);
	free(out);
}

static void test_writer_spaced(void)
{
	char *out = written(CM_JSON_SPACED, doc_decision);

	CHECK_EQ_STR(out, "{\"verdict\": \"quarantine\", \"rule\": null, \"reasons\": [\"a\", "
		     "\"b\\\"\"], \"empty\": [], \"facts\": [{\"age\": -1, \"n\": "
		     "18446744073709551615}, {\"age\": 0, \"n\": 18446744073709551615}], "
		     "\"ok\": true, \"no\": false, \"none\": null, \"t\": "
		     "\"1970-01-01T00:00:00Z\"}");
	free(out);
}

static void doc_list(struct cm_json *j)
{
	cm_json_array_begin(j);
	for (int i = 0; i < 2; i++) {
		cm_json_object_begin(j);
		cm_json_key(j, "device_id");
		cm_json_string(j, i ? "b" : "a");
		cm_json_key(j, "current");
		cm_json_bool(j, i);
		cm_json_object_end(j);
	}
	cm_json_array_end(j);
}

static void doc_empty_list(struct cm_json *j)
{
	cm_json_array_begin(j);
	cm_json_array_end(j);
}

/* postern-ca list --json: a record a line, so that grep counts records. */
static void test_writer_lines(void)
{
	char *out = written(CM_JSON_SPACED | CM_JSON_LINES, doc_list);
	char *empty = written(CM_JSON_SPACED | CM_JSON_LINES, doc_empty_list);

	CHECK_EQ_STR(out, "[\n  {\"device_id\": \"a\", \"current\": false},\n"
		     "  {\"device_id\": \"b\", \"current\": true}\n]");
	CHECK_EQ_STR(empty, "[]");
	free(out);
	free(empty);
}

static void doc_deep(struct cm_json *j)
{
	for (int i = 0; i < CM_JSON_DEPTH_MAX - 1; i++)
		cm_json_array_begin(j);
	cm_json_int(j, 1);
	cm_json_int(j, 2);
	for (int i = 0; i < CM_JSON_DEPTH_MAX - 1; i++)
		cm_json_array_end(j);
}

/* Commas stay right as deep as the writer tracks them. */
static void test_writer_deep(void)
{
	char *out = written(0, doc_deep), *flat = out ? json_flat(out) : NULL;

	CHECK(flat != NULL);
	CHECK(out && strstr(out, "[1,2]") != NULL);
	free(flat);
	free(out);
}

/* Keys are escaped like any string. */
static void doc_odd_key(struct cm_json *j)
{
	cm_json_object_begin(j);
	cm_json_key(j, "a\"\n");
	cm_json_int(j, 1);
	cm_json_object_end(j);
}

static void test_writer_key_escaped(void)
{
	char *out = written(0, doc_odd_key);

	CHECK_EQ_STR(out, "{\"a\\\"\\u000a\":1}");
	free(out);
}

int main(void)
{
	RUN(test_str_plain);
	RUN(test_str_null);
	RUN(test_str_quote_backslash);
	RUN(test_str_control);
	RUN(test_str_del);
	RUN(test_str_utf8_passes);
	RUN(test_str_utf8_invalid);
	RUN(test_reader_is_strict);
	RUN(test_str_exhaustive);
	RUN(test_str_four_byte_edges);
	RUN(test_time);
	RUN(test_writer_compact);
	RUN(test_writer_spaced);
	RUN(test_writer_lines);
	RUN(test_writer_deep);
	RUN(test_writer_key_escaped);
	UNIT_EXIT();
}
