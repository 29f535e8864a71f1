/* SPDX-License-Identifier: MIT */
/*
 * The strict decimal parser (see common/number.h). The digits are checked
 * before any is added up, and the sum stops growing past max, so a long run
 * of digits is -ERANGE and never wraps around.
 */
#include "common/number.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int number_digits_only(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || (s[0] == '0' && len > 1))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	}
	return 0;
}

int cm_number_parse_n(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!s || number_digits_only(s, len))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
}

int cm_number_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return s ? cm_number_parse_n(s, strlen(s), min, max, out) : -EINVAL;
}

int cm_number_parse_why(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *why,
			size_t whylen)
{
	int ret = cm_number_parse(s, min, max, out);

	if (!ret || !why || !whylen)
		return ret;
	if (ret == -ERANGE)
		snprintf(why, whylen, "%s is out of range %" PRIu64 "..%" PRIu64, s, min, max);
	else
		snprintf(why, whylen, "'%s' is not a plain decimal number", s ? s : "");
	return ret;
}
