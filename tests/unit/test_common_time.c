/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/time.c: calendar dates (leap years, fixed widths,
 * years from 1900), date-times with a fraction and an offset, the UTC
 * formatter whatever the local zone, and a certificate's ASN.1 times.
 */
#include <errno.h>
#include <stdlib.h>

#include <openssl/asn1.h>

#include "common/time.h"
#include "tests/unit/unit.h"

static void test_date(void)
{
	int64_t d = 1;

	CHECK_EQ_INT(cm_date_parse("1970-01-01", &d), 0);
	CHECK_EQ_INT(d, 0);
	CHECK_EQ_INT(cm_date_parse("2000-02-29", &d), 0);
	CHECK_EQ_INT(d, 11016);
	CHECK_EQ_INT(cm_date_parse("1900-01-01", &d), 0);
	CHECK_EQ_INT(d, -25567);
	CHECK_EQ_INT(cm_date_parse("9999-12-31", &d), 0);
	CHECK_EQ_INT(d, 2932896);
}

static void test_date_invalid(void)
{
	static const char *const bad[] = {
		"", "2023-02-29", "1900-02-29", "2020-13-01", "2020-00-10", "2020-01-00",
		"2020-04-31", "2020-1-01", "2020-01-1", "20200101", "2020-01-01x", " 2020-01-01",
		"1899-12-31", "2020/01/01", "+020-01-01", "2020-0a-01",
	};
	int64_t d = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cm_date_parse(bad[i], &d) != -EINVAL) {
			printf("# accepted '%s'\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(cm_date_parse(NULL, &d), -EINVAL);
	CHECK_EQ_INT(d, 7);
}

static void test_time_parse(void)
{
	static const struct {
		const char *text;
		long long t;
	} ok[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-11-27T10:00:00Z", 1795773600 },
		{ "2026-11-27T10:00:00.123Z", 1795773600 },
		{ "2026-11-27T10:00:00.123456789Z", 1795773600 },
		{ "2026-11-27T12:30:00+02:30", 1795773600 },
		{ "2026-11-27T05:00:00-05:00", 1795773600 },
		{ "9999-12-31T23:59:59Z", 253402300799LL },
		{ "1969-12-31T23:59:59Z", -1 },
	};
	time_t t;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		t = 0;
		if (cm_time_parse(ok[i].text, &t) || (long long)t != ok[i].t) {
			printf("# %s -> %lld\n", ok[i].text, (long long)t);
			CHECK(0);
		}
	}
}

static void test_time_invalid(void)
{
	static const char *const bad[] = {
		"", "2026-11-27", "2026-11-27T10:00:00", "2026-11-27 10:00:00Z",
		"2026-11-27T24:00:00Z", "2026-11-27T10:60:00Z", "2026-11-27T10:00:60Z",
		"2026-11-27T10:00:00.Z", "2026-11-27T10:00:00.1234567890Z",
		"2026-11-27T10:00:00+2:00", "2026-11-27T10:00:00+24:00", "2026-11-27T10:00:00z",
		"2026-11-27T10:00:00Zjunk", "2026-02-30T10:00:00Z", "2026-11-27T1:00:00Z",
	};
	time_t t = 5;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cm_time_parse(bad[i], &t) != -EINVAL) {
			printf("# accepted '%s'\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(t, 5);
}

static void test_format(void)
{
	const char *tz = getenv("TZ");
	char *saved = tz ? strdup(tz) : NULL, buf[CM_TIME_BUF];

	setenv("TZ", "America/St_Johns", 1);	/* UTC whatever the zone says */
	tzset();
	CHECK_EQ_INT(cm_time_format(1795773600, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "2026-11-27T10:00:00Z");
	CHECK_EQ_INT(cm_time_format(-1, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "1969-12-31T23:59:59Z");
	CHECK_EQ_INT(cm_time_format(0, buf, 10), -EOVERFLOW);	/* does not fit */
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

/* What the formatter writes, the parser reads back. */
static void test_round_trip(void)
{
	char buf[CM_TIME_BUF];
	time_t back = 0;
	unsigned long bad = 0;

	for (long long t = -2208988800LL; t < 253402300799LL; t += 86399LL * 97) {
		if (cm_time_format((time_t)t, buf, sizeof(buf)) || cm_time_parse(buf, &back) ||
		    back != (time_t)t)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
}

static void test_asn1(void)
{
	ASN1_TIME *utc = ASN1_TIME_set(NULL, 1795773600);
	ASN1_TIME *gen = ASN1_GENERALIZEDTIME_set(NULL, 253402300799LL);
	time_t t = 0;

	CHECK(utc && gen);
	CHECK_EQ_INT(cm_time_from_asn1(utc, &t), 0);
	CHECK_EQ_INT(t, 1795773600);
	CHECK_EQ_INT(cm_time_from_asn1(gen, &t), 0);
	CHECK_EQ_INT(t, 253402300799LL);
	CHECK_EQ_INT(cm_time_from_asn1(NULL, &t), -EINVAL);
	ASN1_TIME_free(utc);
	ASN1_TIME_free(gen);
}

int main(void)
{
	RUN(test_date);
	RUN(test_date_invalid);
	RUN(test_time_parse);
	RUN(test_time_invalid);
	RUN(test_format);
	RUN(test_round_trip);
	RUN(test_asn1);
	UNIT_EXIT();
}
