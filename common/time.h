/* SPDX-License-Identifier: MIT */
/*
 * Dates and times as Postern reads and writes them. Written: always UTC,
 * "YYYY-MM-DDTHH:MM:SSZ" (ISO 8601), whatever the local time zone. Read:
 * a calendar date "YYYY-MM-DD" (a real day of the proleptic Gregorian
 * calendar, counted in days since 1970-01-01 so that dates compare as
 * integers), a date and time "YYYY-MM-DDTHH:MM:SS" with an optional fraction
 * of a second (dropped) and "Z" or an offset "+HH:MM" / "-HH:MM" (the
 * RFC 3339 profile of ISO 8601, as MDM exports write it), and the ASN.1
 * times of a certificate. Fields have fixed widths: "2026-1-05" is no date.
 * Years run from 1900 (an Android patch level, an MDM check-in); a caller
 * may bound them further (postern-ca's dates start in 1970).
 */
#ifndef POSTERN_COMMON_TIME_H
#define POSTERN_COMMON_TIME_H

#include <stdint.h>
#include <time.h>

#include <openssl/asn1.h>

#define CM_TIME_MAX	((time_t)253402300799)	/* 9999-12-31T23:59:59Z */
#define CM_TIME_BUF	32	/* room for what cm_time_format writes */
#define CM_DATE_YEAR_MIN 1900

/* "YYYY-MM-DD", years 1900..9999: *days since 1970-01-01 (negative before).
 * 0 or -EINVAL. */
int cm_date_parse(const char *text, int64_t *days);
/* "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" to seconds since 1970
 * (UTC). 0 or -EINVAL. */
int cm_time_parse(const char *text, time_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ" into buf (len >= CM_TIME_BUF is always enough).
 * 0, or -EOVERFLOW when t has no calendar date or does not fit. */
int cm_time_format(time_t t, char *buf, size_t len);
/* A certificate's UTCTime or GeneralizedTime. 0 or -EINVAL. */
int cm_time_from_asn1(const ASN1_TIME *t, time_t *out);

#endif
