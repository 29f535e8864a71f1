/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the audit-log reader of the fleet report
 * (posture/auditrec.c, fleet.c). Each input is one line for the parser and
 * then a whole log (split at newlines) for the aggregation. The target
 * checks the contracts: the parser accepts only JSON (the tests' own strict
 * reader, tests/unit/json_check.h, must accept every accepted line) with a
 * device, a verdict of the three and strings that are UTF-8 text within
 * their fields; a refusal always says why; and over a log every line is
 * counted once (in range, or bad), the verdicts add up, and the report
 * renders without error, in JSON as valid JSON. One format is rendered per
 * input, the input's length modulo the number of formats picking which:
 * rendering all four (some 15 kB of report even for one record) cost three
 * quarters of each execution, and every format still gets inputs of every
 * kind.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/utf8.h"
#include "posture/fleet.h"
#include "tests/unit/json_check.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

static void check_text(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	FUZZ_ASSERT(n <= max);
	FUZZ_ASSERT(cm_utf8_text_chars(s, n) >= 0);
}

static void check_line(const uint8_t *data, size_t size)
{
	static struct pst_audit_rec r;
	char why[PST_AUDIT_WHY_MAX], *copy;
	int ret = pst_audit_parse((const char *)data, size, &r, why, sizeof(why));

	FUZZ_ASSERT(ret == 0 || ret == -EBADMSG);
	if (ret) {
		FUZZ_ASSERT(why[0] != '\0');
		return;
	}
	FUZZ_ASSERT(r.device[0] != '\0');
	FUZZ_ASSERT(r.verdict == PST_ALLOW || r.verdict == PST_QUARANTINE ||
		    r.verdict == PST_DENY);
	FUZZ_ASSERT(r.n_reasons <= PST_REASONS_MAX);
	check_text(r.device, PST_DEVICE_ID_MAX);
	check_text(r.group, PST_DEVICE_ID_MAX);
	check_text(r.platform, PST_VALUE_MAX);
	check_text(r.policy, PST_AUDIT_PATH_MAX);
	for (size_t i = 0; i < r.n_reasons; i++)
		check_text(r.reasons[i], PST_AUDIT_REASON_MAX);
	/* The tests' reader wants a NUL-terminated text without NULs. */
	if (memchr(data, '\0', size))
		return;
	copy = strndup((const char *)data, size);
	FUZZ_ASSERT(copy);
	FUZZ_ASSERT(json_valid(copy));
	free(copy);
}

static void check_render(const struct pst_fleet *fl, enum pst_fleet_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	FUZZ_ASSERT(out);
	FUZZ_ASSERT(pst_fleet_write(fl, f, out) == 0);
	FUZZ_ASSERT(fclose(out) == 0);
	FUZZ_ASSERT(f != PST_FLEET_JSON || json_valid(buf));
	free(buf);
}

static void check_log(const uint8_t *data, size_t size)
{
	struct pst_fleet_opts o = { .top = 5 };
	struct pst_fleet *fl = pst_fleet_new(&o);
	const char *p = (const char *)data, *end = p + size, *nl;
	uint64_t lineno = 0;

	FUZZ_ASSERT(fl);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		FUZZ_ASSERT(pst_fleet_add_line(fl, "fuzz", ++lineno, p, (size_t)(nl - p)) == 0);
	}
	FUZZ_ASSERT(pst_fleet_finish(fl) == 0);
	FUZZ_ASSERT(fl->lines == lineno);
	FUZZ_ASSERT(fl->in_range + fl->bad == lineno);
	FUZZ_ASSERT(fl->n[0] + fl->n[1] + fl->n[2] == fl->in_range);
	FUZZ_ASSERT(fl->n_spells <= o.top);
	check_render(fl, (enum pst_fleet_format)(size % (PST_FLEET_HTML + 1)));
	pst_fleet_free(fl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_line(data, size);
	check_log(data, size);
	return 0;
}
