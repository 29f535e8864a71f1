/* SPDX-License-Identifier: MIT */
/*
 * The strict decimal parser (see common/number.h). The digits are checked
 * before any is added up, and the sum stops growing past max, so a long run
 * of digits is -ERANGE and never wraps around.
 */
#include "common/number.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
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

/* The largest unit that divides secs, for "365d" rather than "31536000s". */
static void duration_format(uint64_t secs, char *buf, size_t len)
{
	static const struct {
		char unit;
		uint64_t secs;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (secs % units[i].secs == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", secs / units[i].secs, units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64 "s", secs);
}

static uint64_t duration_unit(char c)
{
	switch (c) {
	case 's':	return 1;
	case 'm':	return 60;
	case 'h':	return 3600;
	case 'd':	return 86400;
	}
	return 0;
}

static int duration_why(char *why, size_t whylen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int duration_why(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

int cm_duration_parse(const char *s, uint64_t max, uint64_t *secs, char *why, size_t whylen)
{
	size_t digits = s ? strspn(s, "0123456789") : 0;
	uint64_t mult = 1, v;
	char most[32];
	int ret;

	if (!s || !digits)
		return duration_why(why, whylen, -EINVAL, "'%s' is not a duration: a number and "
				    "a unit, s, m, h or d (90s, 30m, 1h, 2d)", s ? s : "");
	if (s[digits] && (s[digits + 1] || !(mult = duration_unit(s[digits]))))
		return duration_why(why, whylen, -EINVAL, "unknown unit '%s' in '%s' (s, m, h or d)",
				    s + digits, s);
	duration_format(max, most, sizeof(most));
	ret = cm_number_parse_n(s, digits, 0, max / mult, &v);
	if (ret == -EINVAL)
		return duration_why(why, whylen, ret, "'%s' is not a plain decimal number of "
				    "seconds, minutes, hours or days", s);
	if (ret == -ERANGE)
		return duration_why(why, whylen, ret, "'%s' is more than %s", s, most);
	if (v == 0)
		return duration_why(why, whylen, -ERANGE, "'%s' is no time at all: at least 1s", s);
	*secs = v * mult;
	return 0;
}
