/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/number.c, the one rule for numbers: plain decimal,
 * the whole string, no sign or blank, no leading zero but "0" itself, inside
 * the caller's range, never wrapping however many digits; and the words the
 * message variant gives a config loader. Durations (posternctl ban --for):
 * a number and one unit of s, m, h, d; seconds without one; zero, a sign,
 * two units, an unknown unit or more than the maximum refused with words.
 */
#include <errno.h>
#include <stdint.h>

#include "common/number.h"
#include "tests/unit/unit.h"

static int parse(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	return cm_number_parse(s, min, max, v);
}

static void test_accepts(void)
{
	uint64_t v = 0;

	CHECK_EQ_INT(parse("0", 0, 10, &v), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(parse("443", 1, 65535, &v), 0);
	CHECK_EQ_INT(v, 443);
	CHECK_EQ_INT(parse("65535", 1, 65535, &v), 0);
	CHECK_EQ_INT(parse("18446744073709551615", 0, UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);
}

static void test_refuses_form(void)
{
	static const char *const bad[] = {
		"", "007", "00", "0443", "-1", "+1", " 1", "1 ", "1x", "0x1bb", "1e3", "1.0",
		"\xd9\xa1",	/* ARABIC-INDIC DIGIT ONE: digits are ASCII only */
	};
	uint64_t v = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], 0, UINT64_MAX, &v) != -EINVAL) {
			printf("# accepted '%s'\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(parse(NULL, 0, 1, &v), -EINVAL);
	CHECK_EQ_INT(v, 42);	/* untouched on error */
}

static void test_range(void)
{
	uint64_t v = 42;

	CHECK_EQ_INT(parse("0", 1, 65535, &v), -ERANGE);
	CHECK_EQ_INT(parse("65536", 1, 65535, &v), -ERANGE);
	CHECK_EQ_INT(parse("7", 0, 5, &v), -ERANGE);		/* one digit past max */
	CHECK_EQ_INT(parse("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ_INT(parse("99999999999999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ_INT(v, 42);
}

/* The length-bounded form reads exactly len bytes, not up to a NUL. */
static void test_bounded(void)
{
	uint64_t v = 0;

	CHECK_EQ_INT(cm_number_parse_n("12345", 2, 0, 100, &v), 0);
	CHECK_EQ_INT(v, 12);
	CHECK_EQ_INT(cm_number_parse_n("12x", 3, 0, 100, &v), -EINVAL);
	CHECK_EQ_INT(cm_number_parse_n("1", 0, 0, 100, &v), -EINVAL);
}

static void test_why(void)
{
	char why[128] = "";
	uint64_t v;

	CHECK_EQ_INT(cm_number_parse_why("0x1bb", 1, 65535, &v, why, sizeof(why)), -EINVAL);
	CHECK_EQ_STR(why, "'0x1bb' is not a plain decimal number");
	CHECK_EQ_INT(cm_number_parse_why("70000", 1, 65535, &v, why, sizeof(why)), -ERANGE);
	CHECK_EQ_STR(why, "70000 is out of range 1..65535");
	CHECK_EQ_INT(cm_number_parse_why("5", 1, 9, &v, NULL, 0), 0);
}

#define YEAR (365 * 86400ULL)

static void test_duration_accepts(void)
{
	static const struct {
		const char *s;
		uint64_t secs;
	} ok[] = {
		{ "1", 1 }, { "90", 90 }, { "90s", 90 }, { "30m", 1800 }, { "1h", 3600 },
		{ "2d", 172800 }, { "365d", YEAR }, { "8760h", YEAR }, { "31536000", YEAR },
		{ "525600m", YEAR },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 0;
		CHECK_EQ_INT(cm_duration_parse(ok[i].s, YEAR, &v, NULL, 0), 0);
		CHECK_EQ_INT(v, ok[i].secs);
	}
}

static void test_duration_refuses(void)
{
	static const struct {
		const char *s;
		int err;
		const char *why;
	} bad[] = {
		{ "", -EINVAL, "'' is not a duration: a number and a unit, s, m, h or d "
		  "(90s, 30m, 1h, 2d)" },
		{ "h", -EINVAL, NULL },
		{ "-1h", -EINVAL, "'-1h' is not a duration: a number and a unit, s, m, h or d "
		  "(90s, 30m, 1h, 2d)" },
		{ "+5m", -EINVAL, NULL },
		{ " 5m", -EINVAL, NULL },
		{ "5m ", -EINVAL, NULL },
		{ "5x", -EINVAL, "unknown unit 'x' in '5x' (s, m, h or d)" },
		{ "5w", -EINVAL, NULL },
		{ "5H", -EINVAL, NULL },
		{ "1h30m", -EINVAL, "unknown unit 'h30m' in '1h30m' (s, m, h or d)" },
		{ "1.5h", -EINVAL, NULL },
		{ "05m", -EINVAL, "'05m' is not a plain decimal number of seconds, minutes, hours "
		  "or days" },
		{ "0", -ERANGE, "'0' is no time at all: at least 1s" },
		{ "0d", -ERANGE, NULL },
		{ "366d", -ERANGE, "'366d' is more than 365d" },
		{ "31536001", -ERANGE, "'31536001' is more than 365d" },
		{ "8761h", -ERANGE, NULL },
		{ "99999999999999999999999d", -ERANGE, NULL },
	};
	char why[160];
	uint64_t v = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK_EQ_INT(cm_duration_parse(bad[i].s, YEAR, &v, why, sizeof(why)), bad[i].err);
		CHECK(why[0] != '\0');
		if (bad[i].why)
			CHECK_EQ_STR(why, bad[i].why);
	}
	CHECK_EQ_INT(v, 7);		/* left alone */
	CHECK_EQ_INT(cm_duration_parse(NULL, YEAR, &v, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(cm_duration_parse("5x", YEAR, &v, NULL, 0), -EINVAL);
	/* A maximum that is no whole number of days is said in its largest unit. */
	CHECK_EQ_INT(cm_duration_parse("2h", 5400, &v, why, sizeof(why)), -ERANGE);
	CHECK_EQ_STR(why, "'2h' is more than 90m");
}

int main(void)
{
	RUN(test_accepts);
	RUN(test_refuses_form);
	RUN(test_range);
	RUN(test_bounded);
	RUN(test_why);
	RUN(test_duration_accepts);
	RUN(test_duration_refuses);
	UNIT_EXIT();
}
