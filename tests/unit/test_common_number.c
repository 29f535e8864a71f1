/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/number.c, the one rule for numbers: plain decimal,
 * the whole string, no sign or blank, no leading zero but "0" itself, inside
 * the caller's range, never wrapping however many digits; and the words the
 * message variant gives a config loader.
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

int main(void)
{
	RUN(test_accepts);
	RUN(test_refuses_form);
	RUN(test_range);
	RUN(test_bounded);
	RUN(test_why);
	UNIT_EXIT();
}
