/* SPDX-License-Identifier: MIT */
/*
 * The audit log: one JSON object per line for every posture decision, with
 * everything needed to replay it later: who (device, certificate serial,
 * group, ownership, client address), what was known (each fact with its
 * source and age), what was decided (verdict, rule, profile, reasons,
 * leased addresses) and under which policy (path and SHA-256 of its bytes).
 *
 * Facts come from devices, so every string is escaped: quotes, backslashes,
 * control characters and bytes outside ASCII (as \u00XX), which keeps each
 * record one valid line whatever a device sends. A record is written with a
 * single write() to a file opened with O_APPEND, so concurrent writers and
 * logrotate's copytruncate never interleave half lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/log.h"

static void audit_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* A string, or null when s is NULL or empty. */
static void audit_str_or_null(FILE *f, const char *s)
{
	if (s && s[0])
		audit_str(f, s);
	else
		fputs("null", f);
}

static void audit_key(FILE *f, const char *key)
{
	fprintf(f, ",\"%s\":", key);
}

static void audit_time(FILE *f, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "{\"time\":\"%s\"", buf);
}

static void audit_identity(FILE *f, const struct gw_conn *c)
{
	const struct pst_identity *id = &c->id;

	audit_key(f, "device");
	audit_str(f, id->device_id);
	audit_key(f, "serial");
	audit_str(f, id->serial);
	audit_key(f, "group");
	audit_str(f, id->group);
	audit_key(f, "ownership");
	audit_str(f, id->ownership == CONF_OWNERSHIP_CORPORATE ? "corporate" :
		     id->ownership == CONF_OWNERSHIP_BYOD ? "byod" : "unknown");
	audit_key(f, "client");
	audit_str(f, c->peer);
}

static void audit_facts(FILE *f, const struct pst_facts *facts, time_t now)
{
	audit_key(f, "facts");
	fputc('[', f);
	for (size_t i = 0; i < facts->n; i++) {
		const struct pst_fact *x = &facts->f[i];

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		audit_str(f, x->name);
		audit_key(f, "value");
		audit_str(f, x->value);
		audit_key(f, "source");
		audit_str(f, pst_source_name(x->source));
		fprintf(f, ",\"age\":%lld}", (long long)(now - x->time));
	}
	fputc(']', f);
}

static void audit_decision(FILE *f, const struct pst_decision *d, const char *report_problem)
{
	audit_key(f, "verdict");
	audit_str(f, pst_verdict_name(d->verdict));
	audit_key(f, "rule");
	audit_str_or_null(f, d->rule ? d->rule->name : NULL);
	audit_key(f, "profile");
	audit_str_or_null(f, d->profile ? d->profile->name : NULL);
	audit_key(f, "reasons");
	fputc('[', f);
	for (size_t i = 0; i < d->n_reasons; i++) {
		if (i)
			fputc(',', f);
		audit_str(f, d->reasons[i]);
	}
	fputc(']', f);
	audit_key(f, "report");
	audit_str(f, report_problem ? report_problem : "received");
}

static void audit_addresses(FILE *f, const struct gw_session *s)
{
	char a[INET6_ADDRSTRLEN];

	audit_key(f, "address");
	if (s && s->lease.have_v4)
		audit_str(f, inet_ntop(AF_INET, &s->lease.v4, a, sizeof(a)));
	else
		fputs("null", f);
	audit_key(f, "address6");
	if (s && s->lease.have_v6)
		audit_str(f, inet_ntop(AF_INET6, &s->lease.v6, a, sizeof(a)));
	else
		fputs("null", f);
}

static void audit_write(struct gw_worker *w, const char *buf, size_t len)
{
	ssize_t n = write(w->audit_fd, buf, len);

	if (n != (ssize_t)len)
		gw_err("audit log: write failed: %s; the decision above is not recorded",
		       n < 0 ? strerror(errno) : "short write");
}

void gw_audit_decision(struct gw_worker *w, const struct gw_conn *c, const struct gw_session *s,
		       const struct pst_decision *d, const struct pst_facts *facts,
		       const char *report_problem)
{
	time_t now = time(NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (w->audit_fd < 0)
		return;
	f = open_memstream(&buf, &len);
	if (!f) {
		gw_err("audit log: out of memory; a decision is not recorded");
		return;
	}
	audit_time(f, now);
	audit_identity(f, c);
	audit_decision(f, d, report_problem);
	audit_addresses(f, s);
	audit_facts(f, facts, now);
	audit_key(f, "policy");
	audit_str(f, w->policy->path);
	audit_key(f, "policy_sha256");
	audit_str(f, w->policy->sha256);
	fputs("}\n", f);
	if (fclose(f) == 0)
		audit_write(w, buf, len);
	free(buf);
}
