/* SPDX-License-Identifier: MIT */
/*
 * The date and time parsers and the formatter (see common/time.h). Days are
 * counted with Howard Hinnant's days_from_civil, which needs no time zone
 * and no timegm; seconds are days * 86400 plus the time of day, as POSIX
 * time ignores leap seconds.
 */
#include "common/time.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define SECONDS_PER_DAY 86400

static bool time_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int time_month_days(int64_t y, int64_t m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && time_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t time_days(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Exactly n decimal digits at s (a fixed-width field: leading zeros are
 * part of it). 0 or -EINVAL. */
static int time_field(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* The first 10 bytes of s as a date; s may go on. */
static int time_date_at(const char *s, int64_t *days)
{
	int64_t y, m, d;

	if (s[4] != '-' || s[7] != '-' || time_field(s, 4, &y) || time_field(s + 5, 2, &m) ||
	    time_field(s + 8, 2, &d))
		return -EINVAL;
	if (y < CM_DATE_YEAR_MIN || m < 1 || m > 12 || d < 1 || d > time_month_days(y, m))
		return -EINVAL;
	*days = time_days(y, m, d);
	return 0;
}

int cm_date_parse(const char *text, int64_t *days)
{
	if (!text || !days || strlen(text) != 10)
		return -EINVAL;
	return time_date_at(text, days);
}

/* "HH:MM:SS" at s: seconds into the day. */
static int time_of_day(const char *s, int64_t *secs)
{
	int64_t h, m, sec;

	if (s[2] != ':' || s[5] != ':' || time_field(s, 2, &h) || h > 23 ||
	    time_field(s + 3, 2, &m) || m > 59 || time_field(s + 6, 2, &sec) || sec > 59)
		return -EINVAL;
	*secs = h * 3600 + m * 60 + sec;
	return 0;
}

/* "Z", or "+HH:MM" / "-HH:MM": the seconds to subtract to get UTC. */
static int time_offset(const char *p, int64_t *off)
{
	int64_t h, m;

	if (!strcmp(p, "Z")) {
		*off = 0;
		return 0;
	}
	if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 || p[3] != ':' ||
	    time_field(p + 1, 2, &h) || time_field(p + 4, 2, &m) || h > 23 || m > 59)
		return -EINVAL;
	*off = (p[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

/* A fraction of a second, 1 to 9 digits after the dot, is skipped. */
static const char *time_skip_fraction(const char *p)
{
	size_t k;

	if (*p != '.')
		return p;
	k = strspn(p + 1, "0123456789");
	return k >= 1 && k <= 9 ? p + 1 + k : NULL;
}

int cm_time_parse(const char *text, time_t *out)
{
	int64_t days, secs, off;
	const char *p;

	if (!text || !out || strlen(text) < 20 || text[10] != 'T' ||
	    time_date_at(text, &days) || time_of_day(text + 11, &secs))
		return -EINVAL;
	p = time_skip_fraction(text + 19);
	if (!p || time_offset(p, &off))
		return -EINVAL;
	*out = (time_t)(days * SECONDS_PER_DAY + secs - off);
	return 0;
}

int cm_time_format(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return -EOVERFLOW;
	return 0;
}

int cm_time_from_asn1(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}
