/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of posture/platform.c, which versions a device can be running:
 * none below its platform's first release that could run a VPN client; and
 * of the dates a policy compares (common/time.h, cm_date_parse): real
 * calendar dates counted in days since 1970. How versions parse and compare
 * is test_common_version.c's.
 */
#include "common/time.h"
#include "posture/posture.h"
#include "tests/unit/unit.h"

#include <errno.h>

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
		if (pst_version_possible(cases[i].os_name, cases[i].text) != cases[i].possible) {
			printf("# %s %s: expected %s\n", cases[i].os_name, cases[i].text,
			       cases[i].possible ? "possible" : "impossible");
			CHECK(0);
		}
	}
	CHECK(!pst_version_possible(NULL, "14"));
	CHECK(!pst_version_possible("android", NULL));
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
	RUN(test_version_possible);
	RUN(test_date_valid);
	RUN(test_date_invalid);
	RUN(test_date_next_day);
	UNIT_EXIT();
}
