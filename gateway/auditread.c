/* SPDX-License-Identifier: MIT */
/*
 * The audit log read back for `posternctl history` (auditread.h): the
 * members a device's history shows, by name, each once; the rest checked
 * and skipped, so that a newer gateway's records still read.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/jsonread.h"
#include "gateway/auditread.h"

enum line_key {
	K_TIME, K_EVENT, K_DEVICE, K_VERDICT, K_RULE, K_PROFILE, K_CLIENT, K_ADDRESS,
	K_ADDRESS6, K_REASONS, K_KEYS
};

struct line_ctx {
	struct gw_audit_line *r;
	unsigned int seen;		/* bit k: key k was read */
};

#define LINE_KEY(s, field) { s, sizeof(s) - 1, offsetof(struct gw_audit_line, field), \
			     sizeof(((struct gw_audit_line *)0)->field) }

/* The string members: where each goes, and its room. */
static const struct {
	const char *name;
	size_t len, off, cap;
} line_keys[K_REASONS] = {
	[K_TIME] = LINE_KEY("time", time),
	[K_EVENT] = LINE_KEY("event", event),
	[K_DEVICE] = LINE_KEY("device", device),
	[K_VERDICT] = LINE_KEY("verdict", verdict),
	[K_RULE] = LINE_KEY("rule", rule),
	[K_PROFILE] = LINE_KEY("profile", profile),
	[K_CLIENT] = LINE_KEY("client", client),
	[K_ADDRESS] = LINE_KEY("address", address),
	[K_ADDRESS6] = LINE_KEY("address6", address6),
};

static int line_reason(struct cm_jr *j, void *ctx)
{
	struct gw_audit_line *r = ctx;

	if (r->n_reasons >= GW_AUDIT_REASONS_MAX)
		return cm_jr_fail(j, "more than %d reasons", GW_AUDIT_REASONS_MAX);
	return cm_jr_string(j, r->reasons[r->n_reasons++], GW_AUDIT_REASON_MAX + 1, "reasons[]");
}

static int line_key(const char *name, size_t len)
{
	if (cm_jr_name_is(name, len, "reasons"))
		return K_REASONS;
	for (int k = 0; k < K_REASONS; k++) {
		if (len == line_keys[k].len && !memcmp(name, line_keys[k].name, len))
			return k;
	}
	return -1;
}

static int line_member(struct cm_jr *j, void *ctx, const char *name, size_t len)
{
	struct line_ctx *c = ctx;
	int k = line_key(name, len);

	if (k < 0)
		return cm_jr_skip(j, 1);
	if (c->seen & 1u << k)
		return cm_jr_fail(j, "'%.*s' appears twice", (int)len, name);
	c->seen |= 1u << k;
	if (k == K_REASONS)
		return cm_jr_array(j, line_reason, c->r);
	return cm_jr_string_or_null(j, (char *)c->r + line_keys[k].off, line_keys[k].cap,
				    line_keys[k].name);
}

int gw_audit_line_parse(const char *line, size_t len, struct gw_audit_line *r, char *why,
			size_t whylen)
{
	static const enum line_key required[] = { K_TIME, K_DEVICE, K_VERDICT };
	struct line_ctx c = { r, 0 };
	struct cm_jr j;

	cm_jr_init(&j, line, len, why, whylen);
	memset(r, 0, sizeof(*r));
	cm_jr_ws(&j);
	if (j.p == j.end)
		return cm_jr_refuse(&j, "an empty line");
	if (cm_jr_object(&j, line_member, &c))
		return -EBADMSG;
	cm_jr_ws(&j);
	if (j.p != j.end)
		return cm_jr_fail(&j, "text after the record");
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!(c.seen & 1u << required[i]) || !((char *)r + line_keys[required[i]].off)[0])
			return cm_jr_refuse(&j, "no '%s'", line_keys[required[i]].name);
	}
	return 0;
}
