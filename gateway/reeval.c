/* SPDX-License-Identifier: MIT */
/*
 * Re-evaluation of live sessions, and the report of what it changes.
 *
 * A reload, an inventory change or `posternctl policy-diff` decides each
 * live session again from what its device said at login (kept in the
 * session) and what the MDM says now, with the same engine as at login. The
 * device's own facts are judged as of its login, so a reload does not make
 * every report "too old"; the MDM's are judged as of now. A session whose
 * verdict and profile stay is not touched; one that moves gets the new
 * profile's networks in place, which the packet filter applies from the next
 * packet on (the client keeps its tunnel and address: the routes it was
 * given at CONNECT already cover both its rule's profile and the quarantine
 * profile); one that is now denied is ended. policy-diff runs the same
 * decisions against a candidate policy and only reports them.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/policy.h"
#include "gateway/audit.h"
#include "gateway/conn.h"
#include "gateway/ctllist.h"
#include "gateway/ctlsock.h"
#include "gateway/events.h"
#include "gateway/history.h"
#include "gateway/json.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/reeval.h"
#include "gateway/session.h"
#include "gateway/verdict.h"
#include "posture/inventory.h"

int gw_session_facts(const struct conf_policy *p, const struct pst_inventory *inv,
		     const struct gw_session *s, time_t now, struct pst_facts *facts)
{
	pst_facts_init(facts);
	for (size_t i = 0; i < s->n_facts && i < PST_FACTS_MAX; i++)
		facts->f[facts->n++] = s->facts[i];
	if (p && inv && pst_inventory_facts(inv, s->id.device_id, now, p->max_inventory_age,
					    facts) < 0)
		return -ENOSPC;
	return 0;
}

/* The decision a live session gets under policy p (NULL: none, allow). */
static void reeval_decide(const struct conf_policy *p, const struct pst_inventory *inv,
			  const struct gw_session *s, time_t now, struct pst_facts *facts,
			  struct pst_decision *d)
{
	struct pst_subject subj = {
		.device_id = s->id.device_id,
		.group = s->id.group,
		.ownership = s->id.ownership,
		.report_problem = s->judged ? s->report_problem : "no posture report was received",
		.judged_at = s->judged ? s->judged_at : s->since,
	};

	int err = gw_session_facts(p, inv, s, now, facts);

	memset(d, 0, sizeof(*d));
	if (err < 0) {
		/* Fail closed: a lost device's status must not be the fact that did not fit. */
		d->verdict = PST_DENY;
		snprintf(d->reasons[0], PST_REASON_MAX, "the device's facts and its MDM record "
			 "do not fit together; contact IT");
		d->n_reasons = 1;
		return;
	}
	if (!p) {
		d->verdict = PST_ALLOW;
		return;
	}
	pst_policy_decide(p, &subj, facts, now, d);
}

void gw_session_decide(const struct gw_worker *w, const struct gw_session *s, time_t now,
		       struct pst_facts *facts, struct pst_decision *d)
{
	reeval_decide(w->pol.policy, w->pol.inventory, s, now, facts, d);
}

/* The session's networks are those of profile p (NULL: no filter). */
static bool reeval_same_networks(const struct gw_session *s, const struct conf_profile *p)
{
	if (!p || !s->allow)
		return !p && !s->allow;
	if (s->n_allow != p->n_allow)
		return false;
	for (size_t i = 0; i < p->n_allow; i++) {
		if (!conf_cidr_eq(&s->allow[i], &p->allow[i]))
			return false;
	}
	return true;
}

/* Nothing to do: same verdict, same profile, and the profile still has the
 * networks the session enforces (a reload may narrow a profile: that must
 * apply to live sessions too). */
static bool reeval_same(const struct gw_session *s, const struct pst_decision *d)
{
	const char *profile = d->profile ? d->profile->name : "";

	return s->verdict == d->verdict && !strcmp(s->profile, profile) &&
	       reeval_same_networks(s, d->profile);
}

/* Lost or retired in the inventory, as opposed to denied by a rule. */
static enum gw_end reeval_end_kind(const struct pst_facts *facts)
{
	const struct pst_fact *f = pst_facts_get_from(facts, "device.status", PST_SRC_MDM);

	return f && strcmp(f->value, "active") ? GW_END_LOST : GW_END_POLICY;
}

int gw_changes_open(struct gw_changes *c, bool json)
{
	memset(c, 0, sizeof(*c));
	c->json = json;
	c->f = open_memstream(&c->buf, &c->len);
	c->ended = open_memstream(&c->ended_buf, &c->ended_len);
	return c->f && c->ended ? 0 : -ENOMEM;
}

void gw_changes_close(struct gw_changes *c)
{
	if (c->f)
		fclose(c->f);
	if (c->ended)
		fclose(c->ended);
	free(c->buf);
	free(c->ended_buf);
}

static void change_side(FILE *f, const char *verdict, const char *rule, const char *profile)
{
	fputs("{\"verdict\":", f);
	gw_json_str(f, verdict);
	fputs(",\"rule\":", f);
	gw_json_str(f, rule && rule[0] ? rule : NULL);
	fputs(",\"profile\":", f);
	gw_json_str(f, profile && profile[0] ? profile : NULL);
	fputc('}', f);
}

static void change_add(struct gw_changes *c, const struct gw_session *s, const struct pst_decision *d)
{
	const char *rule = d->rule ? d->rule->name : NULL;
	const char *profile = d->profile ? d->profile->name : NULL;

	if (!c->json) {
		fprintf(c->f, "  %-20s %s/%s -> %s/%s%s\n", s->id.device_id,
			pst_verdict_name(s->verdict), s->profile[0] ? s->profile : "-",
			pst_verdict_name(d->verdict), profile ? profile : "-",
			d->verdict == PST_DENY ? " (session ends)" :
			s->verdict == d->verdict && !strcmp(s->profile, profile ? profile : "") ?
			" (the profile's networks changed)" : "");
		for (size_t i = 0; i < d->n_reasons; i++)
			fprintf(c->f, "      - %s\n", d->reasons[i]);
	} else {
		fputs(c->n_changed ? ",{\"device\":" : "{\"device\":", c->f);
		gw_json_str(c->f, s->id.device_id);
		fputs(",\"from\":", c->f);
		change_side(c->f, pst_verdict_name(s->verdict), s->rule, s->profile);
		fputs(",\"to\":", c->f);
		change_side(c->f, pst_verdict_name(d->verdict), rule, profile);
		fputs(",\"reasons\":[", c->f);
		for (size_t i = 0; i < d->n_reasons; i++) {
			if (i)
				fputc(',', c->f);
			gw_json_str(c->f, d->reasons[i]);
		}
		fputs("]}", c->f);
	}
	c->n_changed++;
	if (d->verdict == PST_DENY) {
		if (c->json) {
			if (c->n_ended)
				fputc(',', c->ended);
			gw_json_str(c->ended, s->id.device_id);
		}
		c->n_ended++;
	}
}

/* Writes the summary; head is the JSON members or text line before the
 * changes, key the name of their array ("changed" by a reload, "changes" a
 * policy-diff would make). */
void gw_changes_write(struct gw_changes *c, FILE *out, const char *head, const char *key)
{
	fflush(c->f);
	fflush(c->ended);
	if (c->json) {
		fprintf(out, "{%s,\"%s\":[%.*s],\"ended\":[%.*s],\"unchanged\":%zu}\n", head,
			key, (int)c->len, c->buf ? c->buf : "", (int)c->ended_len,
			c->ended_buf ? c->ended_buf : "", c->n_same);
		return;
	}
	fprintf(out, "%s\n", head);
	if (c->n_changed)
		fwrite(c->buf, 1, c->len, out);
	fprintf(out, "%zu session%s would change or changed, %zu unchanged\n", c->n_changed,
		c->n_changed == 1 ? "" : "s", c->n_same);
}

/* Whether the routes the client got at CONNECT cover every network of its
 * profile now (they do for its rule's profile and the quarantine one). */
static bool reeval_routed(const struct gw_session *s)
{
	if (!s->routes)
		return true;
	for (size_t i = 0; i < s->n_allow; i++) {
		bool covered = false;

		for (size_t k = 0; k < s->n_routes && !covered; k++)
			covered = s->routes[k].prefix <= s->allow[i].prefix &&
				  conf_cidr_contains(&s->routes[k], s->allow[i].family,
						     s->allow[i].addr.bytes);
		if (!covered)
			return false;
	}
	return true;
}

static void reeval_apply(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d,
			 const struct pst_facts *facts, const char *event)
{
	char was[2 * CONF_NAME_MAX + 16];

	snprintf(was, sizeof(was), "%s/%s", pst_verdict_name(s->verdict),
		 s->profile[0] ? s->profile : "-");
	gw_history_add(w, s->id.device_id, event, d);
	gw_events_decision(w, event, s->id.device_id, s->conn ? s->conn->peer : NULL, d);
	if (w->pol.policy)
		gw_audit_decision(w, event, &s->id, s->conn ? s->conn->peer : NULL, s, d, facts,
				  s->judged ? s->report_problem : "no posture report was received");
	if (d->verdict == PST_DENY) {
		char why[PST_REASON_MAX + 48];

		snprintf(why, sizeof(why), "%s (%s)",
			 d->n_reasons ? d->reasons[0] : "denied by the posture policy", event);
		gw_session_end_for(w, s, reeval_end_kind(facts), why);
		return;
	}
	w->stats.reevaluated++;
	if (gw_session_apply(w, s, d) < 0) {
		gw_session_end_for(w, s, GW_END_POLICY, "out of memory while re-evaluating");
		return;
	}
	gw_info("re-evaluated device=%s verdict=%s profile=%s (was %s) after %s",
		s->id.device_id, pst_verdict_name(d->verdict), s->profile[0] ? s->profile : "-",
		was, event);
	if (s->connects && !reeval_routed(s))
		gw_warn("device=%s: profile %s has networks outside the routes the client was "
			"given at connect; it reaches them after its next connect",
			s->id.device_id, s->profile);
}

/* ---- re-evaluation in slices ---- */

/*
 * One re-evaluation over every worker's sessions. Deciding 50 000 sessions
 * at once would stall every tunnel for as long as it takes (a reload moving
 * 10 000 sessions to quarantine held them all for 300 ms): instead each
 * worker decides its own sessions in slices of about reeval_slice_us per
 * turn of its loop, between which its tunnels run. Worker 0 starts the job
 * and, when the last worker is done, merges the reports and answers the
 * control client that waits for it.
 */
struct gw_reeval_job {
	const char *event;		/* "reload", "inventory", "policy-diff" */
	bool apply;			/* false: policy-diff, a report only */
	bool answer;			/* a control client waits for the report */
	bool json;
	struct conf_policy *cand;	/* policy-diff's candidate (owned) */
	struct pst_inventory *cand_inv;
	char *head;			/* the report's head (owned) */
	const char *key;		/* "changed" or "changes" */
	atomic_uint pending;		/* workers with sessions left to decide */
	struct gw_changes changes[GW_WORKERS_MAX];
};

/* Decides one session under the job's policy, and reports or applies it. */
static void reeval_one(struct gw_worker *wk, struct gw_reeval_job *job, struct gw_changes *c,
		       struct gw_session *s, time_t now, struct pst_facts *facts,
		       struct pst_decision *d)
{
	const struct conf_policy *p = job->apply ? wk->pol.policy : job->cand;
	const struct pst_inventory *inv = job->apply ? wk->pol.inventory : job->cand_inv;

	if (s->verdict == PST_DENY)	/* a refusal on its way to the device */
		return;
	reeval_decide(p, inv, s, now, facts, d);
	if (reeval_same(s, d)) {
		c->n_same++;
		return;
	}
	change_add(c, s, d);
	if (job->apply)
		reeval_apply(wk, s, d, facts, job->event);
}

/* The rest of the workers' part goes to worker 0 when it is done. */
static void reeval_done(struct gw_worker *wk, struct gw_reeval_job *job)
{
	wk->sess.reeval_active = false;
	wk->sess.reeval_next = NULL;
	gw_worker_part_done(wk, &job->pending);
}

bool gw_reeval_step(struct gw_worker *wk, unsigned int budget_us)
{
	struct gw_reeval_job *job = gw_worker_at(wk, 0)->ctl.reeval;
	struct pst_facts *facts;
	struct pst_decision *d;
	uint64_t until = budget_us ? gw_latency_now() + budget_us : 0;
	time_t now = time(NULL);
	unsigned int n = 0;
	struct gw_session *s;

	if (!wk->sess.reeval_active || !job)
		return false;
	facts = malloc(sizeof(*facts));
	d = malloc(sizeof(*d));
	if (!facts || !d) {		/* tried again next turn */
		free(facts);
		free(d);
		return true;
	}
	while ((s = wk->sess.reeval_next)) {
		wk->sess.reeval_next = s->next;
		reeval_one(wk, job, &job->changes[wk->index], s, now, facts, d);
		if (until && ++n % 16 == 0 && gw_latency_now() >= until)
			break;
	}
	free(facts);
	free(d);
	if (wk->sess.reeval_next)
		return true;
	reeval_done(wk, job);
	return false;
}

/* Appends part's changes to all's, as one JSON array or list of lines. */
static void reeval_merge(struct gw_changes *all, struct gw_changes *part)
{
	fflush(part->f);
	fflush(part->ended);
	if (part->len) {
		if (all->json && all->n_changed)
			fputc(',', all->f);
		fwrite(part->buf, 1, part->len, all->f);
	}
	if (part->ended_len) {
		if (all->json && all->n_ended)
			fputc(',', all->ended);
		fwrite(part->ended_buf, 1, part->ended_len, all->ended);
	}
	all->n_changed += part->n_changed;
	all->n_ended += part->n_ended;
	all->n_same += part->n_same;
}

static void reeval_free(struct gw_worker *w)
{
	struct gw_reeval_job *job = w->ctl.reeval;

	if (!job)
		return;
	for (unsigned int k = 0; k < GW_WORKERS_MAX; k++)
		gw_changes_close(&job->changes[k]);
	for (unsigned int k = 0; k < gw_workers_n(w); k++) {
		gw_worker_at(w, k)->sess.reeval_active = false;
		gw_worker_at(w, k)->sess.reeval_next = NULL;
	}
	conf_policy_free(job->cand);
	pst_inventory_free(job->cand_inv);
	free(job->head);
	free(job);
	w->ctl.reeval = NULL;
}

/* Every worker is done: the report goes to out, or to the waiting client. */
static void reeval_complete(struct gw_worker *w, FILE *out)
{
	struct gw_reeval_job *job = w->ctl.reeval;
	struct gw_changes all;
	char *body = NULL;
	size_t len = 0;
	FILE *f = out ? out : job->answer ? open_memstream(&body, &len) : NULL;

	if (gw_changes_open(&all, job->json) == 0) {
		for (unsigned int k = 0; k < gw_workers_n(w); k++)
			reeval_merge(&all, &job->changes[k]);
		if (f)
			gw_changes_write(&all, f, job->head, job->key);
		if (!job->apply)
			gw_info("policy-diff %s: %zu sessions would change", job->cand->path,
				all.n_changed);
	}
	gw_changes_close(&all);
	if (f && !out && fclose(f) == 0)
		gw_admin_answer_later(w, body, len);
	free(body);
	reeval_free(w);
}

bool gw_reeval_ready(const struct gw_worker *w)
{
	return w->ctl.reeval && atomic_load(&w->ctl.reeval->pending) == 0;
}

void gw_reeval_poll(struct gw_worker *w)
{
	if (gw_reeval_ready(w))
		reeval_complete(w, NULL);
}

/* Every worker's part that is left, now, with no slicing. */
static void reeval_run_all(struct gw_worker *w)
{
	for (unsigned int k = 0; k < gw_workers_n(w); k++)
		while (gw_reeval_step(gw_worker_at(w, k), 0))
			;
}

void gw_reeval_finish(struct gw_worker *w)
{
	if (!w->ctl.reeval)
		return;
	reeval_run_all(w);
	reeval_complete(w, NULL);
}

int gw_reeval_start(struct gw_worker *w, const struct gw_reeval_req *rq, FILE *out)
{
	struct gw_reeval_job *job;
	unsigned int n = gw_workers_n(w);

	gw_reeval_finish(w);		/* one at a time: the one running ends first */
	if (rq->answer)
		gw_listing_finish(w);	/* and the one waiting client (ctllist.h) */
	job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	job->event = rq->event;
	job->apply = !rq->candidate;
	job->json = rq->json;
	job->key = rq->candidate ? "changes" : "changed";
	job->answer = rq->answer;
	atomic_init(&job->pending, n);
	w->ctl.reeval = job;
	for (unsigned int k = 0; k < n; k++) {
		if (gw_changes_open(&job->changes[k], rq->json) < 0) {
			reeval_free(w);
			return -ENOMEM;
		}
	}
	/* The job owns these from here on (on the failure above, the caller). */
	job->cand = rq->candidate;
	job->cand_inv = rq->candidate_inv;
	job->head = rq->head;
	for (unsigned int k = 0; k < n; k++) {
		struct gw_worker *wk = gw_worker_at(w, k);

		wk->sess.reeval_next = wk->sess.sessions;
		wk->sess.reeval_active = true;
	}
	if (!w->ctl.reeval_slice_us) {
		reeval_run_all(w);
		reeval_complete(w, rq->answer ? out : NULL);
		return 0;
	}
	/* The others start at their next turn; worker 0 at the end of this one. */
	for (unsigned int k = 1; k < n; k++)
		gw_worker_wake(gw_worker_at(w, k));
	return rq->answer ? 1 : 0;
}

void gw_reeval_stop(struct gw_worker *w)
{
	reeval_free(w);
}
