/* SPDX-License-Identifier: MIT */
/*
 * A tiny unit-test harness. Each test binary runs its cases with RUN(); every
 * case prints one TAP-like line, "ok - name" or "not ok - name", which
 * tests/run.sh counts. A failed CHECK prints the file, line and expression and
 * lets the case go on, so one run shows every broken expectation.
 */
#ifndef POSTERN_TESTS_UNIT_H
#define POSTERN_TESTS_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_case_failures;
static int unit_total_failures;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stdout, "# %s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                                \
			unit_case_failures++;                                    \
		}                                                                \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                          \
	do {                                                                        \
		long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);       \
		if (unit_a_ != unit_b_) {                                           \
			fprintf(stdout, "# %s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, unit_a_, #b, unit_b_);      \
			unit_case_failures++;                                       \
		}                                                                   \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                           \
	do {                                                                         \
		const char *unit_a_ = (a), *unit_b_ = (b);                           \
		if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_) != 0) {         \
			fprintf(stdout, "# %s:%d: %s == \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, unit_a_ ? unit_a_ : "(null)", \
				unit_b_ ? unit_b_ : "(null)");                       \
			unit_case_failures++;                                        \
		}                                                                    \
	} while (0)

#define RUN(fn)                                                                   \
	do {                                                                      \
		unit_case_failures = 0;                                           \
		fn();                                                             \
		printf("%s - %s\n", unit_case_failures ? "not ok" : "ok", #fn);   \
		unit_total_failures += unit_case_failures ? 1 : 0;                \
	} while (0)

#define UNIT_EXIT() return unit_total_failures ? 1 : 0

#endif
