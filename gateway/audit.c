/* SPDX-License-Identifier: MIT */
/*
 * The audit log: one JSON object per line for every posture decision, with
 * everything needed to replay it later: who (device, certificate serial,
 * group, ownership, client address), what was known (each fact with its
 * source and age), what was decided (verdict, rule, profile, reasons,
 * leased addresses) and under which policy and MDM inventory (path and
 * SHA-256 of their bytes).
 *
 * Facts come from devices, so every string is escaped (json.c), which keeps
 * each record one valid line whatever a device sends. The event says what
 * led to the decision: a login, or a re-evaluation of a live session after
 * a reload or an inventory change. A record is written with a
 * single write() to a file opened with O_APPEND, so concurrent writers and
 * logrotate's copytruncate never interleave half lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/log.h"

/* A string, or null when s is NULL or empty. */
static void audit_str_or_null(FILE *f, const char *s)
{
	gw_json_str(f, s && s[0] ? s : NULL);
}

static void audit_key(FILE *f, const char *key)
{
	fprintf(f, ",\"%s\":", key);
}

static void audit_identity(FILE *f, const struct pst_identity *id, const char *peer)
{
	audit_key(f, "device");
	gw_json_str(f, id->device_id);
	audit_key(f, "serial");
	gw_json_str(f, id->serial);
	audit_key(f, "group");
	gw_json_str(f, id->group);
	audit_key(f, "ownership");
	gw_json_str(f, pst_ownership_name(id->ownership));
	audit_key(f, "client");
	audit_str_or_null(f, peer);
}

static void audit_facts(FILE *f, const struct pst_facts *facts, time_t now)
{
	audit_key(f, "facts");
	fputc('[', f);
	for (size_t i = 0; i < facts->n; i++) {
		const struct pst_fact *x = &facts->f[i];

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		gw_json_str(f, x->name);
		audit_key(f, "value");
		gw_json_str(f, x->value);
		audit_key(f, "source");
		gw_json_str(f, pst_source_name(x->source));
		fprintf(f, ",\"age\":%lld}", (long long)(now - x->time));
	}
	fputc(']', f);
}

static void audit_decision(FILE *f, const struct pst_decision *d, const char *report_problem)
{
	audit_key(f, "verdict");
	gw_json_str(f, pst_verdict_name(d->verdict));
	audit_key(f, "rule");
	audit_str_or_null(f, d->rule ? d->rule->name : NULL);
	audit_key(f, "profile");
	audit_str_or_null(f, d->profile ? d->profile->name : NULL);
	audit_key(f, "reasons");
	fputc('[', f);
	for (size_t i = 0; i < d->n_reasons; i++) {
		if (i)
			fputc(',', f);
		gw_json_str(f, d->reasons[i]);
	}
	fputc(']', f);
	audit_key(f, "report");
	gw_json_str(f, report_problem ? report_problem : "received");
}

static void audit_addresses(FILE *f, const struct gw_session *s)
{
	char a[INET6_ADDRSTRLEN];

	audit_key(f, "address");
	if (s && s->lease.have_v4)
		gw_json_str(f, inet_ntop(AF_INET, &s->lease.v4, a, sizeof(a)));
	else
		fputs("null", f);
	audit_key(f, "address6");
	if (s && s->lease.have_v6)
		gw_json_str(f, inet_ntop(AF_INET6, &s->lease.v6, a, sizeof(a)));
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

void gw_audit_decision(struct gw_worker *w, const char *event, const struct pst_identity *id,
		       const char *peer, const struct gw_session *s, const struct pst_decision *d,
		       const struct pst_facts *facts, const char *report_problem)
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
	fputs("{\"time\":", f);
	gw_json_time(f, now);
	audit_key(f, "event");
	gw_json_str(f, event);
	audit_identity(f, id, peer);
	audit_decision(f, d, report_problem);
	audit_addresses(f, s);
	audit_facts(f, facts, now);
	audit_key(f, "policy");
	gw_json_str(f, w->policy->path);
	audit_key(f, "policy_sha256");
	gw_json_str(f, w->policy->sha256);
	/* The MDM's word is part of the decision: which export it was. */
	audit_key(f, "inventory");
	gw_json_str(f, w->inventory ? w->policy->inventory : NULL);
	audit_key(f, "inventory_sha256");
	gw_json_str(f, w->inventory ? pst_inventory_sha256(w->inventory) : NULL);
	fputs("}\n", f);
	if (fclose(f) == 0)
		audit_write(w, buf, len);
	free(buf);
}

/*
 * logrotate has moved the file away (or truncated it): open the path again.
 * The daemon may no longer be root here, so the new file must already exist
 * writable for it (logrotate's `create`, see conf/postern.logrotate); when
 * the open fails, records keep going to the file open before, never nowhere.
 */
void gw_audit_reopen(struct gw_worker *w)
{
	int fd;

	if (!w->conf->audit_log || w->audit_fd < 0)
		return;
	fd = open(w->conf->audit_log,
		  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
	if (fd < 0) {
		gw_err("SIGUSR1: cannot reopen the audit log %s: %s; still writing to the file "
		       "open before", w->conf->audit_log, strerror(errno));
		return;
	}
	close(w->audit_fd);
	w->audit_fd = fd;
	gw_info("SIGUSR1: audit log %s reopened", w->conf->audit_log);
}
