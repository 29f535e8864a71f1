/* SPDX-License-Identifier: MIT */
/*
 * A posture decision turned into what the device gets. The facts are what
 * the client's login request says about itself plus, after a host-scan, the
 * agent's report; the identity is the verified certificate; the engine
 * (posture/policy.c, the same code `postern-posture check` runs) decides.
 *
 * Allow and quarantine create a session bound to that verdict: it leases
 * its addresses at once (so the audit record names them) and carries its
 * profile's networks, which become the client's routes and the gateway's
 * destination filter. Deny creates a session that only carries the reason
 * to the CONNECT (see auth.c). Every decision is logged and audited.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/audit.h"
#include "gateway/auth.h"
#include "gateway/conn.h"
#include "gateway/events.h"
#include "gateway/history.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/memstream.h"
#include "gateway/model.h"
#include "gateway/resume.h"
#include "gateway/scan.h"
#include "gateway/session.h"
#include "gateway/verdict.h"
#include "posture/inventory.h"

void gw_client_facts(const struct gw_http_req *req, const uint8_t *body, time_t now,
		     struct pst_facts *facts)
{
	if (body && req->content_length)
		pst_client_xml((const char *)body, req->content_length, now, facts);
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct gw_http_header *h = &req->headers[i];

		pst_client_header(h->name, h->name_len, h->value, h->value_len, now, facts);
	}
}

static void verdict_routes_add(struct gw_session *s, const struct conf_profile *p)
{
	for (size_t i = 0; p && i < p->n_allow; i++) {
		bool dup = false;

		for (size_t k = 0; k < s->n_routes && !dup; k++)
			dup = conf_cidr_eq(&s->routes[k], &p->allow[i]);
		if (dup)
			continue;
		if (s->n_routes == CONF_ROUTES_MAX) {
			gw_warn("device=%s: more than %d networks in profiles %s and its rule's; "
				"the rest are not routed to it", s->id.device_id, CONF_ROUTES_MAX,
				p->name);
			return;
		}
		s->routes[s->n_routes++] = p->allow[i];
	}
}

/*
 * The routes a session is given at CONNECT: its rule's profile and the
 * quarantine profile, whichever it is in now, so that a re-evaluation can
 * move it between the two in place; the packet filter only lets through
 * what the current profile allows. Without a policy: the config's routes.
 */
int gw_session_routes(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d)
{
	free(s->routes);
	s->routes = NULL;
	s->n_routes = 0;
	if (!w->pol.policy || d->verdict == PST_DENY)
		return 0;
	s->routes = calloc(CONF_ROUTES_MAX, sizeof(*s->routes));
	if (!s->routes)
		return -ENOMEM;
	verdict_routes_add(s, d->rule ? d->rule->profile : NULL);
	verdict_routes_add(s, w->pol.policy->quarantine);
	verdict_routes_add(s, d->profile);
	/* Kept for the session's life: only what it holds (64 are 1.5 KiB). */
	if (s->n_routes < CONF_ROUTES_MAX) {
		struct conf_cidr *fit = realloc(s->routes, (s->n_routes ? s->n_routes : 1) *
						sizeof(*s->routes));

		if (fit)
			s->routes = fit;
	}
	return 0;
}

/*
 * The banner the client shows (X-CSTP-Banner): the profile's own text, and
 * for a quarantined device every failed check in plain words, each saying
 * what to do.
 */
static char *verdict_banner(const struct pst_decision *d)
{
	const char *own = d->profile && d->profile->banner ? d->profile->banner : NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (d->verdict == PST_ALLOW)
		return own ? strdup(own) : NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (own)
		fprintf(f, "%s\n", own);
	fputs("This device is quarantined: it reaches only the remediation hosts until it "
	      "passes the posture check. Failed checks:", f);
	for (size_t i = 0; i < d->n_reasons; i++)
		fprintf(f, "\n- %s", d->reasons[i]);
	return gw_stream_done(f, &buf);
}

/* Under a policy, s gets d's banner; 0, or -ENOMEM when one was due. */
static int verdict_set_banner(struct gw_worker *w, struct gw_session *s,
			      const struct pst_decision *d)
{
	if (!w->pol.policy)
		return 0;
	s->banner = verdict_banner(d);
	if (!s->banner && (d->verdict != PST_ALLOW || (d->profile && d->profile->banner)))
		return -ENOMEM;
	return 0;
}

/* What the device said about itself (the client's and the agent's facts),
 * kept for re-evaluation; the MDM's are looked up afresh each time. */
static int verdict_keep_facts(struct gw_session *s, const struct pst_facts *facts)
{
	s->facts = calloc(facts->n ? facts->n : 1, sizeof(*s->facts));
	if (!s->facts)
		return -ENOMEM;
	for (size_t i = 0; i < facts->n; i++) {
		if (facts->f[i].source != PST_SRC_MDM)
			s->facts[s->n_facts++] = facts->f[i];
	}
	return 0;
}

/* The session a decision gives the device. 0, -ENOSPC when the address
 * pool is exhausted, or -ENOMEM (or another -errno: no session then). */
static int verdict_session(struct gw_conn *c, const struct pst_decision *d,
			   const struct pst_facts *facts, const char *problem,
			   struct gw_session **out)
{
	struct gw_worker *w = c->w;
	struct gw_session *s;
	int err;

	err = gw_session_new(w, &c->id, &s);
	if (err < 0)
		return err;
	s->judged = w->pol.policy != NULL;
	s->judged_at = time(NULL);
	if (verdict_keep_facts(s, facts) < 0 || (problem && !(s->report_problem = strdup(problem))))
		goto fail;
	if (gw_session_apply(w, s, d) < 0)
		goto fail;
	if (d->verdict == PST_DENY) {
		/* The policy's reason is the device's; without one, the table's words. */
		s->refusal = GW_REF_POLICY_DENY;
		if (d->n_reasons && !(s->deny_reason = strdup(d->reasons[0])))
			goto fail;
		*out = s;
		return 0;
	}
	if (verdict_set_banner(w, s, d) < 0)
		goto fail;
	err = gw_session_lease(w, s);
	if (err < 0) {
		gw_session_end(w, s, "address pool exhausted");
		return err;
	}
	*out = s;
	return 0;
fail:
	gw_session_end(w, s, "out of memory");
	return -ENOMEM;
}

int gw_verdict_resumed(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d)
{
	int err = gw_session_apply(w, s, d);

	return err < 0 ? err : verdict_set_banner(w, s, d);
}

static void verdict_log(const struct gw_conn *c, const struct pst_decision *d)
{
	char reasons[1024];

	pst_decision_reasons(d, reasons, sizeof(reasons));
	gw_info("posture decision device=%s peer=%s verdict=%s rule=%s profile=%s%s%s",
		c->id.device_id, c->peer, pst_verdict_name(d->verdict),
		d->rule ? d->rule->name : "-", d->profile ? d->profile->name : "-",
		d->n_reasons ? ": " : "", reasons);
}

/* Without a policy every device with a valid certificate is allowed. */
static void verdict_no_policy(struct pst_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->verdict = PST_ALLOW;
}

void gw_verdict_login(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body,
		      struct gw_scan *sc)
{
	struct gw_worker *w = c->w;
	time_t now = time(NULL);
	struct pst_facts *facts = malloc(sizeof(*facts));
	struct pst_decision d;
	struct gw_session *s = NULL;
	const char *problem = NULL;
	int ret;

	if (!facts)
		return gw_verdict_refuse(c, GW_REF_RESOURCES);
	pst_facts_init(facts);
	gw_client_facts(req, body, now, facts);
	if (sc && sc->reported)
		pst_facts_merge(facts, &sc->facts, PST_SRC_AGENT);
	else
		problem = sc && sc->problem[0] ? sc->problem : "no posture report was received";
	if (w->pol.policy) {
		struct pst_subject subj = { .device_id = c->id.device_id, .group = c->id.group,
					    .ownership = c->id.ownership,
					    .report_problem = problem };

		if (pst_inventory_facts(w->pol.inventory, c->id.device_id, now,
					w->pol.policy->max_inventory_age, facts) < 0) {
			/* Fail closed: the MDM's record (a lost status) must count. */
			free(facts);
			return gw_verdict_refuse(c, GW_REF_RESOURCES);
		}
		pst_policy_decide(w->pol.policy, &subj, facts, now, &d);
		gw_tally_decision(&w->stats, w->pol.policy, &d);
		verdict_log(c, &d);
	} else {
		verdict_no_policy(&d);
	}
	gw_history_add(w, c->id.device_id, "login", &d);
	gw_events_decision(w, "login", c->id.device_id, c->peer, &d);
	ret = verdict_session(c, &d, facts, problem, &s);
	if (w->pol.policy)
		gw_audit_decision(w, "login", &c->id, c->peer, ret == 0 ? s : NULL, &d, facts,
				  problem);
	free(facts);
	if (ret == -ENOSPC)
		return gw_verdict_refuse(c, GW_REF_POOL_EXHAUSTED);
	if (ret < 0)
		return gw_verdict_refuse(c, GW_REF_RESOURCES);
	gw_resume_put(s);	/* outlives a crash of this process (restore.c) */
	gw_auth_session(c, s);
}

/* The refusal travels with a denied session to the CONNECT (see auth.c). */
void gw_verdict_refuse(struct gw_conn *c, enum gw_refusal r)
{
	struct gw_session *s;

	gw_auth_refused(c, r, NULL);
	if (gw_session_new(c->w, &c->id, &s) < 0)
		return gw_conn_close(c, "out of memory");
	s->refusal = r;
	gw_auth_session(c, s);
}

static char *decision_reasons(const struct pst_decision *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!d->n_reasons)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < d->n_reasons; i++)
		fprintf(f, "%s%s", i ? "\n" : "", d->reasons[i]);
	return gw_stream_done(f, &buf);
}

int gw_session_apply(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d)
{
	const struct conf_profile *p = d->profile;
	struct conf_cidr *allow = NULL;

	if (p) {
		allow = calloc(p->n_allow ? p->n_allow : 1, sizeof(*allow));
		if (!allow)
			return -ENOMEM;
		memcpy(allow, p->allow, p->n_allow * sizeof(*allow));
	}
	free(s->allow);
	s->allow = allow;
	s->n_allow = p ? p->n_allow : 0;
	s->verdict = d->verdict;
	snprintf(s->rule, sizeof(s->rule), "%s", d->rule ? d->rule->name : "");
	snprintf(s->profile, sizeof(s->profile), "%s", p ? p->name : "");
	free(s->reasons);
	s->reasons = decision_reasons(d);
	s->decided = time(NULL);
	s->outside_logged = false;
	if (!s->connects)
		return gw_session_routes(w, s, d);
	return 0;
}
