/* SPDX-License-Identifier: MIT */
/*
 * The audit-log line parser (auditrec.h): an object whose members the
 * fleet report knows by name, read with the strict JSON reader
 * (common/jsonread.h), which refuses a line wholly rather than half read it.
 * A known member may appear once; every other member is checked and
 * skipped, so that a newer gateway's records still read.
 */
#include "posture/auditrec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/jsonread.h"
#include "common/macros.h"
#include "common/time.h"

#define JR_FACT_MAX	PST_VALUE_MAX

/* ---- the record ---- */

enum rec_key {
	K_TIME, K_EVENT, K_DEVICE, K_GROUP, K_OWNERSHIP, K_VERDICT, K_REASONS, K_FACTS,
	K_POLICY, K_POLICY_SHA, K_KEYS
};

#define REC_KEY(s) { s, sizeof(s) - 1 }

static const struct {
	const char *name;
	size_t len;
} rec_keys[K_KEYS] = {
	REC_KEY("time"), REC_KEY("event"), REC_KEY("device"), REC_KEY("group"),
	REC_KEY("ownership"), REC_KEY("verdict"), REC_KEY("reasons"), REC_KEY("facts"),
	REC_KEY("policy"), REC_KEY("policy_sha256"),
};

struct rec_ctx {
	struct pst_audit_rec *r;
	unsigned int seen;		/* bit k: rec_keys[k] was read */
	int platform_rank;		/* rank of the source of r->platform; -2: none */
};

struct fact_ctx {
	char name[PST_NAME_MAX + 1];
	char value[JR_FACT_MAX + 1];
	char source[PST_AUDIT_WORD_MAX + 1];
};

static int fact_member(struct cm_jr *j, void *ctx, const char *name, size_t len)
{
	struct fact_ctx *f = ctx;

	if (cm_jr_name_is(name, len, "name"))
		return cm_jr_string(j, f->name, sizeof(f->name), "facts[].name");
	if (cm_jr_name_is(name, len, "value"))
		return cm_jr_string(j, f->value, sizeof(f->value), "facts[].value");
	if (cm_jr_name_is(name, len, "source"))
		return cm_jr_string(j, f->source, sizeof(f->source), "facts[].source");
	return cm_jr_skip(j, 2);
}

/* The rank of a fact's source (posture.h): cert > mdm > agent > client;
 * -1 for a source this reader does not know. */
static int source_rank(const char *s)
{
	static const char *const names[] = { "client", "agent", "mdm", "cert" };

	for (size_t i = 0; i < CM_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

/* Of the facts, os.name from the best source is the device's platform. */
static int rec_fact(struct cm_jr *j, struct rec_ctx *c)
{
	struct fact_ctx f = { "", "", "" };
	int rank;

	cm_jr_ws(j);
	if (cm_jr_object(j, fact_member, &f))
		return -EBADMSG;
	if (strcmp(f.name, "os.name") || !f.value[0])
		return 0;
	rank = source_rank(f.source);
	if (rank > c->platform_rank) {
		memcpy(c->r->platform, f.value, sizeof(f.value));
		c->platform_rank = rank;
	}
	return 0;
}


static int rec_fact_elem(struct cm_jr *j, void *ctx)
{
	return rec_fact(j, ctx);
}

static int rec_reason_elem(struct cm_jr *j, void *ctx)
{
	struct pst_audit_rec *r = ctx;

	if (r->n_reasons >= PST_REASONS_MAX)
		return cm_jr_fail(j, "more than %d reasons", PST_REASONS_MAX);
	return cm_jr_string(j, r->reasons[r->n_reasons++], PST_AUDIT_REASON_MAX + 1, "reasons[]");
}

static int rec_time(struct cm_jr *j, struct pst_audit_rec *r)
{
	char buf[CM_TIME_BUF + 16];

	if (cm_jr_string(j, buf, sizeof(buf), "time"))
		return -EBADMSG;
	if (cm_time_parse(buf, &r->time))
		return cm_jr_refuse(j, "'time' is not an RFC 3339 time: '%s'", buf);
	return 0;
}

static int rec_verdict(struct cm_jr *j, struct pst_audit_rec *r)
{
	static const enum pst_verdict v[] = { PST_ALLOW, PST_QUARANTINE, PST_DENY };
	char buf[16];

	if (cm_jr_string(j, buf, sizeof(buf), "verdict"))
		return -EBADMSG;
	for (size_t i = 0; i < CM_ARRAY_SIZE(v); i++) {
		if (!strcmp(buf, pst_verdict_name(v[i]))) {
			r->verdict = v[i];
			return 0;
		}
	}
	return cm_jr_refuse(j, "'verdict' is '%s', not allow, quarantine or deny", buf);
}

static int rec_sha(struct cm_jr *j, struct pst_audit_rec *r)
{
	size_t n;

	if (cm_jr_string_or_null(j, r->policy_sha256, sizeof(r->policy_sha256), "policy_sha256"))
		return -EBADMSG;
	n = strlen(r->policy_sha256);
	if (n && (n != PST_AUDIT_SHA_LEN || strspn(r->policy_sha256, "0123456789abcdef") != n))
		return cm_jr_refuse(j, "'policy_sha256' is not a hex SHA-256");
	return 0;
}

static int rec_value(struct cm_jr *j, struct rec_ctx *c, enum rec_key k)
{
	struct pst_audit_rec *r = c->r;

	switch (k) {
	case K_TIME:
		return rec_time(j, r);
	case K_EVENT:
		return cm_jr_string_or_null(j, r->event, sizeof(r->event), "event");
	case K_DEVICE:
		return cm_jr_string(j, r->device, sizeof(r->device), "device");
	case K_GROUP:
		return cm_jr_string_or_null(j, r->group, sizeof(r->group), "group");
	case K_OWNERSHIP:
		return cm_jr_string_or_null(j, r->ownership, sizeof(r->ownership), "ownership");
	case K_VERDICT:
		return rec_verdict(j, r);
	case K_REASONS:
		return cm_jr_array(j, rec_reason_elem, r);
	case K_FACTS:
		return cm_jr_array(j, rec_fact_elem, c);
	case K_POLICY:
		return cm_jr_string_or_null(j, r->policy, sizeof(r->policy), "policy");
	case K_POLICY_SHA:
		return rec_sha(j, r);
	case K_KEYS:
		break;
	}
	return cm_jr_skip(j, 1);
}

static int rec_member(struct cm_jr *j, void *ctx, const char *name, size_t len)
{
	struct rec_ctx *c = ctx;

	for (unsigned int k = 0; k < K_KEYS; k++) {
		if (len != rec_keys[k].len || memcmp(name, rec_keys[k].name, len))
			continue;
		if (c->seen & 1u << k)
			return cm_jr_fail(j, "'%s' appears twice", rec_keys[k].name);
		c->seen |= 1u << k;
		return rec_value(j, c, k);
	}
	return cm_jr_skip(j, 1);
}

static void rec_init(struct pst_audit_rec *r)
{
	r->time = 0;
	r->verdict = PST_DENY;
	r->event[0] = r->device[0] = r->group[0] = r->ownership[0] = '\0';
	r->platform[0] = r->policy[0] = r->policy_sha256[0] = '\0';
	r->n_reasons = 0;
}

int pst_audit_parse(const char *line, size_t len, struct pst_audit_rec *r, char *why,
		    size_t whylen)
{
	static const enum rec_key required[] = { K_TIME, K_DEVICE, K_VERDICT };
	struct rec_ctx c = { r, 0, -2 };
	struct cm_jr j;

	cm_jr_init(&j, line, len, why, whylen);
	rec_init(r);
	cm_jr_ws(&j);
	if (j.p == j.end)
		return cm_jr_refuse(&j, "an empty line");
	if (cm_jr_object(&j, rec_member, &c))
		return -EBADMSG;
	cm_jr_ws(&j);
	if (j.p != j.end)
		return cm_jr_fail(&j, "text after the record");
	for (size_t i = 0; i < CM_ARRAY_SIZE(required); i++)
		if (!(c.seen & 1u << required[i]))
			return cm_jr_refuse(&j, "no '%s'", rec_keys[required[i]].name);
	if (!r->device[0])
		return cm_jr_refuse(&j, "'device' is empty");
	return 0;
}
