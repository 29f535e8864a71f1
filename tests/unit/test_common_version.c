/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/version.c: version numbers parse strictly and compare
 * part by part as numbers (17.10 after 17.9, 17 equal to 17.0, suffixes
 * ignored).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/version.h"
#include "tests/unit/unit.h"

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
	struct cm_version v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&v, 0xa5, sizeof(v));
		if (cm_version_parse(cases[i].text, &v) != 0) {
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
	struct cm_version v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cm_version_parse(cases[i], &v) != -EINVAL) {
			printf("# accepted '%s'\n", cases[i]);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(cm_version_parse(NULL, &v), -EINVAL);
	CHECK_EQ_INT(cm_version_parse("1", NULL), -EINVAL);
}

static int cmp(const char *a, const char *b)
{
	struct cm_version va, vb;

	CHECK_EQ_INT(cm_version_parse(a, &va), 0);
	CHECK_EQ_INT(cm_version_parse(b, &vb), 0);
	return cm_version_cmp(&va, &vb);
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

int main(void)
{
	RUN(test_version_valid);
	RUN(test_version_invalid);
	RUN(test_version_cmp);
	UNIT_EXIT();
}
