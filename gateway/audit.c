/* SPDX-License-Identifier: MIT */
/*
 * The audit log: one JSON object per line for every posture decision, with
 * everything needed to replay it later: who (device, certificate serial,
 * group, ownership, client address), what was known (each fact with its
 * source and age), what was decided (verdict, rule, profile, reasons,
 * leased addresses) and under which policy and MDM inventory (path and
 * SHA-256 of their bytes).
 *
 * Facts come from devices, so every string is escaped (common/json.h),
 * which keeps each record one valid line whatever a device sends. The
 * event says what led to the decision: a login, or a re-evaluation of a
 * live session after a reload or an inventory change. A record is written
 * with a single write() to a file opened with O_APPEND, so concurrent
 * writers and logrotate's copytruncate never interleave half lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "gateway/audit.h"
#include "gateway/broker.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "posture/inventory.h"

/* A string, or null when s is NULL or empty. */
static void audit_str_or_null(struct cm_json *j, const char *s)
{
	cm_json_string(j, s && s[0] ? s : NULL);
}

static void audit_pair(struct cm_json *j, const char *key, const char *value)
{
	cm_json_key(j, key);
	cm_json_string(j, value);
}

static void audit_identity(struct cm_json *j, const struct pst_identity *id, const char *peer)
{
	audit_pair(j, "device", id->device_id);
	audit_pair(j, "serial", id->serial);
	audit_pair(j, "group", id->group);
	audit_pair(j, "ownership", pst_ownership_name(id->ownership));
	cm_json_key(j, "client");
	audit_str_or_null(j, peer);
}

static void audit_facts(struct cm_json *j, const struct pst_facts *facts, time_t now)
{
	cm_json_key(j, "facts");
	cm_json_array_begin(j);
	for (size_t i = 0; i < facts->n; i++) {
		const struct pst_fact *x = &facts->f[i];

		cm_json_object_begin(j);
		audit_pair(j, "name", x->name);
		audit_pair(j, "value", x->value);
		audit_pair(j, "source", pst_source_name(x->source));
		cm_json_key(j, "age");
		cm_json_int(j, (int64_t)(now - x->time));
		cm_json_object_end(j);
	}
	cm_json_array_end(j);
}

static void audit_decision(struct cm_json *j, const struct pst_decision *d,
			   const char *report_problem)
{
	audit_pair(j, "verdict", pst_verdict_name(d->verdict));
	cm_json_key(j, "rule");
	audit_str_or_null(j, d->rule ? d->rule->name : NULL);
	cm_json_key(j, "profile");
	audit_str_or_null(j, d->profile ? d->profile->name : NULL);
	cm_json_key(j, "reasons");
	cm_json_array_begin(j);
	for (size_t i = 0; i < d->n_reasons; i++)
		cm_json_string(j, d->reasons[i]);
	cm_json_array_end(j);
	audit_pair(j, "report", report_problem ? report_problem : "received");
}

static void audit_addresses(struct cm_json *j, const struct gw_session *s)
{
	char a[INET6_ADDRSTRLEN];

	cm_json_key(j, "address");
	cm_json_string(j, s && s->lease.have_v4 ? inet_ntop(AF_INET, &s->lease.v4, a, sizeof(a))
						: NULL);
	cm_json_key(j, "address6");
	cm_json_string(j, s && s->lease.have_v6 ? inet_ntop(AF_INET6, &s->lease.v6, a, sizeof(a))
						: NULL);
}

/* Under which policy and MDM export the decision was made: which bytes. */
static void audit_sources(struct cm_json *j, const struct gw_worker *w)
{
	audit_pair(j, "policy", w->pol.policy->path);
	audit_pair(j, "policy_sha256", w->pol.policy->sha256);
	audit_pair(j, "inventory", w->pol.inventory ? w->pol.policy->inventory : NULL);
	audit_pair(j, "inventory_sha256", w->pol.inventory ? pst_inventory_sha256(w->pol.inventory) : NULL);
}

static void audit_write(struct gw_worker *w, const char *buf, size_t len)
{
	ssize_t n = write(w->ctl.audit_fd, buf, len);

	if (n != (ssize_t)len)
		gw_err("audit log: write failed: %s; the decision above is not recorded",
		       n < 0 ? strerror(errno) : "short write");
}

void gw_audit_decision(struct gw_worker *w, const char *event, const struct pst_identity *id,
		       const char *peer, const struct gw_session *s, const struct pst_decision *d,
		       const struct pst_facts *facts, const char *report_problem)
{
	time_t now = time(NULL);
	struct cm_json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (w->ctl.audit_fd < 0)
		return;
	f = open_memstream(&buf, &len);
	if (!f) {
		gw_err("audit log: out of memory; a decision is not recorded");
		return;
	}
	cm_json_init(&j, f, 0);
	cm_json_object_begin(&j);
	cm_json_key(&j, "time");
	cm_json_time(&j, now);
	audit_pair(&j, "event", event);
	audit_identity(&j, id, peer);
	audit_decision(&j, d, report_problem);
	audit_addresses(&j, s);
	audit_facts(&j, facts, now);
	audit_sources(&j, w);
	cm_json_object_end(&j);
	fputc('\n', f);
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

	if (!w->pol.conf->audit_log || w->ctl.audit_fd < 0)
		return;
	fd = gw_broker_open_append(w->pol.conf->audit_log);
	if (fd < 0) {
		gw_err("SIGUSR1: cannot reopen the audit log %s: %s; still writing to the file "
		       "open before", w->pol.conf->audit_log, strerror(-fd));
		return;
	}
	/* The same descriptor number, which every worker writes to, now names the new file. */
	if (dup3(fd, w->ctl.audit_fd, O_CLOEXEC) < 0) {
		gw_err("SIGUSR1: cannot switch to the reopened audit log %s: %s; still writing to "
		       "the file open before", w->pol.conf->audit_log, strerror(errno));
		close(fd);
		return;
	}
	close(fd);
	gw_info("SIGUSR1: audit log %s reopened", w->pol.conf->audit_log);
}
