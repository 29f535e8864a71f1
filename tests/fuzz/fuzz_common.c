/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the parsers of common/ that take outside text: the
 * number rule, dates and date-times, UTF-8 text, the device certificate's
 * SAN URIs, and the JSON escaper that writes what devices send. Each input
 * goes through all of them; the target checks their contracts: an accepted
 * number prints back as the same digits and lies in its range; an accepted
 * date-time in UTC ("...Z", no fraction) formats back to itself; a date is
 * within 1900..9999; text the UTF-8 check accepts holds no control
 * character; a device URI's id follows the id grammar and formats back to
 * the URI; and whatever the bytes, the escaper writes one valid JSON string
 * that reads back as the input when the input is valid UTF-8.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/device.h"
#include "common/json.h"
#include "common/number.h"
#include "common/time.h"
#include "common/utf8.h"
#include "tests/unit/json_check.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

static void fuzz_number(const char *s, size_t len)
{
	char back[32];
	uint64_t v = 0, max = len ? (uint64_t)(unsigned char)s[0] * 1000003u : 0;
	int ret = cm_number_parse_n(s, len, 0, max, &v);

	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ERANGE);
	if (ret)
		return;
	FUZZ_ASSERT(v <= max);
	snprintf(back, sizeof(back), "%" PRIu64, v);
	FUZZ_ASSERT(strlen(back) == len && !memcmp(back, s, len));
}

static void fuzz_time(const char *text)
{
	char buf[CM_TIME_BUF];
	int64_t days;
	time_t t;

	if (cm_date_parse(text, &days) == 0)
		FUZZ_ASSERT(strlen(text) == 10 && days >= -25567 && days <= 2932896);
	if (cm_time_parse(text, &t))
		return;
	FUZZ_ASSERT(strlen(text) >= 20);
	if (strlen(text) == 20 && text[19] == 'Z') {
		FUZZ_ASSERT(cm_time_format(t, buf, sizeof(buf)) == 0);
		FUZZ_ASSERT(!strcmp(buf, text));
	}
}

static void fuzz_text(const char *s, size_t len)
{
	long n = cm_utf8_text_chars(s, len);

	FUZZ_ASSERT(n >= -1 && n <= (long)len);
	if (n < 0)
		return;
	/* A NUL is a control character, so s ends at len. */
	FUZZ_ASSERT(jr_utf8_valid(s));
	for (size_t i = 0; i < len; i++)
		FUZZ_ASSERT((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void fuzz_uri(const char *s, size_t len)
{
	char back[CM_DEVICE_URI_MAX];
	struct cm_device_uri u;
	int ret = cm_device_uri_parse(s, len, &u);

	FUZZ_ASSERT(ret == 0 || ret == -EINVAL);
	if (ret || u.kind != CM_URI_DEVICE)
		return;
	FUZZ_ASSERT(cm_device_id_valid(u.device_id, strlen(u.device_id)));
	FUZZ_ASSERT(cm_device_uri_format(u.device_id, back, sizeof(back)) == 0);
	FUZZ_ASSERT(strlen(back) == len && !memcmp(back, s, len));
}

static void fuzz_json(const char *text)
{
	char *buf = NULL, *back;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);

	FUZZ_ASSERT(f);
	cm_json_put_string(f, text);
	FUZZ_ASSERT(fclose(f) == 0);
	back = json_unquote(buf);
	FUZZ_ASSERT(back && jr_utf8_valid(back));
	if (jr_utf8_valid(text))
		FUZZ_ASSERT(!strcmp(back, text));
	free(back);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_number(text, size);
	fuzz_time(text);
	fuzz_text(text, size);
	fuzz_uri(text, size);
	fuzz_json(text);
	free(text);
	return 0;
}
