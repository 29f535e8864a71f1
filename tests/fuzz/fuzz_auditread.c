/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the audit line as posternctl history reads it back
 * (gateway/auditread.c). The target checks the contract: a line is read
 * (0) or refused (-EBADMSG) with a reason; a line read is JSON (the tests'
 * own strict reader, tests/unit/json_check.h, accepts it), names a device,
 * a time and a verdict, and every string kept is UTF-8 text without control
 * characters that fits its field, so nothing from a log can reach a
 * terminal but text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "gateway/auditread.h"
#include "tests/unit/json_check.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	FUZZ_ASSERT(n < cap);
	FUZZ_ASSERT(cm_utf8_text_chars(s, n) >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gw_audit_line r;
	char why[GW_AUDIT_WHY_MAX], *copy, *flat;
	int ret = gw_audit_line_parse((const char *)data, size, &r, why, sizeof(why));

	FUZZ_ASSERT(ret == 0 || ret == -EBADMSG);
	if (ret) {
		FUZZ_ASSERT(why[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(r.device[0] && r.time[0] && r.verdict[0]);
	FUZZ_ASSERT(r.n_reasons <= GW_AUDIT_REASONS_MAX);
	check_text(r.time, sizeof(r.time));
	check_text(r.event, sizeof(r.event));
	check_text(r.device, sizeof(r.device));
	check_text(r.verdict, sizeof(r.verdict));
	check_text(r.rule, sizeof(r.rule));
	check_text(r.profile, sizeof(r.profile));
	check_text(r.client, sizeof(r.client));
	check_text(r.address, sizeof(r.address));
	check_text(r.address6, sizeof(r.address6));
	for (size_t i = 0; i < r.n_reasons; i++)
		check_text(r.reasons[i], sizeof(r.reasons[i]));
	if (memchr(data, '\0', size))
		return 0;
	copy = strndup((const char *)data, size);
	FUZZ_ASSERT(copy);
	flat = json_flat(copy);
	FUZZ_ASSERT(flat != NULL);
	free(flat);
	free(copy);
	return 0;
}
