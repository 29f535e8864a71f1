/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of conf/version.c: version numbers parse strictly and compare
 * part by part as numbers (17.10 after 17.9, 17 equal to 17.0, suffixes
 * ignored), and the dates a policy compares (common/time.h, cm_date_parse)
 * are real calendar dates counted in days since 1970. Which versions a
 * device can be running: none below its platform's first release that
 * could run a VPN client.
 */
#include "common/time.h"
#include "conf/policy.h"
#include "tests/unit/unit.h"

#include <errno.h>

static void test_version_valid(void)
{
	static const struct {
		const char *text;
		unsigned int n;
		uint32_t first, last;
	} cases[] = {
		{ "12", 1, 12, 12 },
		{ "17.10", 2, 17, 10 },
		{ "17.4.1", 3, 17, 1 },
		{ "6.1.0-13-amd64", 3, 6, 0 },
		{ "10.0.22631", 3, 10, 22631 },
		{ "14+really13", 1, 14, 14 },
		{ "2.0~rc1", 2, 2, 0 },
		{ "13 (Tiramisu)", 1, 13, 13 },
		{ "0", 1, 0, 0 },
		{ "007.01", 2, 7, 1 },
		{ "999999999", 1, 999999999, 999999999 },
		{ "1.2.3.4.5.6.7.8", 8, 1, 8 },
	};
	struct conf_version v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&v, 0xa5, sizeof(v));
		if (conf_version_parse(cases[i].text, &v) != 0) {
			printf("# refused '%s'\n", cases[i].text);
			CHECK(0);
			continue;
		}
		CHECK_EQ_INT(v.n, cases[i].n);
		CHECK_EQ_INT(v.part[0], cases[i].first);
		CHECK_EQ_INT(v.part[v.n - 1], cases[i].last);
	}
}

static void test_version_invalid(void)
{
	static const char *const cases[] = {
		"", ".", "1.", ".1", "1..2", "Linux", "v12", "12a", "12.x", " 12", "-1",
		"+1", "1,2", "1000000000", "1.2.3.4.5.6.7.8.9", "12/13", "0x10", "1.2.",
		"1.-2", "\t12", "12\n",
	};
	struct conf_version v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (conf_version_parse(cases[i], &v) != -EINVAL) {
			printf("# accepted '%s'\n", cases[i]);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(conf_version_parse(NULL, &v), -EINVAL);
	CHECK_EQ_INT(conf_version_parse("1", NULL), -EINVAL);
}

static int cmp(const char *a, const char *b)
{
	struct conf_version va, vb;

	CHECK_EQ_INT(conf_version_parse(a, &va), 0);
	CHECK_EQ_INT(conf_version_parse(b, &vb), 0);
	return conf_version_cmp(&va, &vb);
}

static void test_version_cmp(void)
{
	static const struct {
		const char *a, *b;
		int sign;
	} cases[] = {
		{ "17.10", "17.9", 1 },		/* not a string comparison */
		{ "17.9", "17.10", -1 },
		{ "17", "17.0", 0 },
		{ "17.0.0", "17", 0 },
		{ "17.0.1", "17", 1 },
		{ "12", "11.99", 1 },
		{ "6.1.0-13-amd64", "6.1", 0 },
		{ "6.1.0-13-amd64", "6.1.0-14-amd64", 0 },	/* the suffix is ignored */
		{ "10.0.22631", "10.0.19045", 1 },
		{ "9", "10", -1 },
		{ "007", "7", 0 },
		{ "1.2.3.4.5.6.7.8", "1.2.3.4.5.6.7.9", -1 },
		{ "999999999", "999999998.9", 1 },
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = cmp(cases[i].a, cases[i].b);
		r = r < 0 ? -1 : r > 0 ? 1 : 0;
		if (r != cases[i].sign) {
			printf("# cmp('%s', '%s') = %d, expected %d\n", cases[i].a, cases[i].b, r,
			       cases[i].sign);
			CHECK(0);
		}
	}
}

/* Each floor exactly, the fixed "1.0" openconnect announces for phones,
 * and platforms whose low numbers are real. */
static void test_version_possible(void)
{
	static const struct {
		const char *os_name, *text;
		bool possible;
	} cases[] = {
		{ "android", "1.0", false },	/* openconnect --os=android */
		{ "android", "3.2.6", false },	/* no VpnService before 4.0 */
		{ "android", "3.99", false },
		{ "android", "4", true },
		{ "android", "4.0", true },
		{ "android", "4.0.1", true },
		{ "android", "14", true },
		{ "android", "Linux", false },	/* not a version at all */
		{ "android", "", false },
		{ "ios", "1.0", false },	/* openconnect --os=apple-ios */
		{ "ios", "3.1.3", false },
		{ "ios", "4.0", true },
		{ "ios", "18.6.2", true },
		{ "macos", "9.2.2", false },
		{ "macos", "10.0", true },
		{ "macos", "14.8", true },
		{ "linux", "1.0", true },	/* a distribution's own numbering */
		{ "linux", "0", true },
		{ "linux", "x", false },
		{ "windows", "1.0", true },
		{ "windows", "10.0.22631", true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (conf_version_possible(cases[i].os_name, cases[i].text) != cases[i].possible) {
			printf("# %s %s: expected %s\n", cases[i].os_name, cases[i].text,
			       cases[i].possible ? "possible" : "impossible");
			CHECK(0);
		}
	}
	CHECK(!conf_version_possible(NULL, "14"));
	CHECK(!conf_version_possible("android", NULL));
}

static void test_date_valid(void)
{
	static const struct {
		const char *text;
		int64_t days;
	} cases[] = {
		{ "1970-01-01", 0 },
		{ "1970-01-02", 1 },
		{ "1969-12-31", -1 },
		{ "2000-03-01", 11017 },
		{ "2000-02-29", 11016 },	/* a leap year: divisible by 400 */
		{ "2024-02-29", 19782 },
		{ "2024-06-01", 19875 },
		{ "2026-01-01", 20454 },
		{ "1900-01-01", -25567 },
		{ "9999-12-31", 2932896 },
	};
	size_t i;
	int64_t d;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = 12345;
		CHECK_EQ_INT(cm_date_parse(cases[i].text, &d), 0);
		CHECK_EQ_INT(d, cases[i].days);
	}
}

static void test_date_invalid(void)
{
	static const char *const cases[] = {
		"", "2024-6-1", "2024-06-1", "24-06-01", "2024/06/01", "2024-06-01 ",
		" 2024-06-01", "2024-00-01", "2024-13-01", "2024-06-00", "2024-06-31",
		"2023-02-29", "1900-02-29", "2100-02-29", "2024-04-31", "1899-12-31",
		"2024-06-01T00:00", "20240601", "2024-0a-01", "+024-06-01", "2024--6-01",
		"2024-06-+1",
	};
	size_t i;
	int64_t d = 7;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cm_date_parse(cases[i], &d) != -EINVAL) {
			printf("# accepted '%s'\n", cases[i]);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(d, 7);
	CHECK_EQ_INT(cm_date_parse(NULL, &d), -EINVAL);
	CHECK_EQ_INT(cm_date_parse("2024-06-01", NULL), -EINVAL);
}

/* Consecutive days across month, year and leap-day ends are one apart. */
static void test_date_next_day(void)
{
	static const char *const pairs[][2] = {
		{ "2023-12-31", "2024-01-01" }, { "2024-01-31", "2024-02-01" },
		{ "2024-02-28", "2024-02-29" }, { "2024-02-29", "2024-03-01" },
		{ "2023-02-28", "2023-03-01" }, { "2100-02-28", "2100-03-01" },
		{ "2024-12-31", "2025-01-01" }, { "1999-12-31", "2000-01-01" },
	};
	int64_t a = 0, b = 0;
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		CHECK_EQ_INT(cm_date_parse(pairs[i][0], &a), 0);
		CHECK_EQ_INT(cm_date_parse(pairs[i][1], &b), 0);
		CHECK_EQ_INT(b - a, 1);
	}
}

int main(void)
{
	RUN(test_version_valid);
	RUN(test_version_invalid);
	RUN(test_version_cmp);
	RUN(test_version_possible);
	RUN(test_date_valid);
	RUN(test_date_invalid);
	RUN(test_date_next_day);
	UNIT_EXIT();
}
