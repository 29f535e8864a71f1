/* SPDX-License-Identifier: MIT */
/*
 * The version parser and comparison (see common/version.h). A component is
 * read digit by digit and stops at 9 digits, so it fits a uint32_t without
 * any overflow check; whatever follows the last component must be nothing
 * or the start of a suffix, so "17.x" and "17." are refused, not read as 17.
 */
#include "common/version.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#define VERSION_PART_DIGITS 9	/* fits uint32_t */

static bool version_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads one component at s; returns the number of digits, 0 when invalid. */
static size_t version_part(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; version_digit(s[i]); i++) {
		if (i == VERSION_PART_DIGITS)
			return 0;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	*out = v;
	return i;
}

/* What may follow the last component: nothing, or a suffix we ignore. */
static bool version_suffix_ok(char c)
{
	return c == '\0' || c == '-' || c == '+' || c == '~' || c == ' ';
}

int cm_version_parse(const char *text, struct cm_version *out)
{
	struct cm_version v = { .n = 0 };
	const char *s = text;
	size_t k;

	if (!s || !out)
		return -EINVAL;
	for (;;) {
		if (v.n == CM_VERSION_PARTS)
			return -EINVAL;
		k = version_part(s, &v.part[v.n]);
		if (k == 0)
			return -EINVAL;
		v.n++;
		s += k;
		if (*s != '.')
			break;
		s++;
	}
	if (!version_suffix_ok(*s))
		return -EINVAL;
	*out = v;
	return 0;
}

int cm_version_cmp(const struct cm_version *a, const struct cm_version *b)
{
	unsigned int i, n = a->n > b->n ? a->n : b->n;
	uint32_t x, y;

	for (i = 0; i < n && i < CM_VERSION_PARTS; i++) {
		x = i < a->n ? a->part[i] : 0;
		y = i < b->n ? b->part[i] : 0;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}
