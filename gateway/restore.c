/* SPDX-License-Identifier: MIT */
/*
 * Sessions taken back from the previous network process, when the
 * supervisor started this one after a crash or a sandbox kill (resume.h).
 * The table of records came with the fork; each record is checked, and its
 * session is decided again here, now, under this process's policy,
 * inventory and CRL, exactly as a re-evaluation would: a certificate that
 * expired or was revoked meanwhile, or a decision that is now a deny,
 * ends it. A session that comes back keeps its cookie and its addresses
 * and waits, like any session whose tunnel dropped, for its device to
 * reconnect within cookie-timeout: the stock client does that on its own,
 * so its tunnel is back within seconds and its address unchanged.
 * Runs before the workers' threads start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/audit.h"
#include "gateway/ban.h"
#include "gateway/history.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/pool.h"
#include "gateway/reeval.h"
#include "gateway/restore.h"
#include "gateway/resume.h"
#include "gateway/session.h"
#include "gateway/verdict.h"
#include "gateway/watch.h"

struct restore {
	struct gw_gateway *gw;
	struct pst_facts *facts;		/* room for one decision's facts */
	struct gw_resume_view *view;		/* the record being read */
	unsigned int sessions, resumed, ended, bad, bans;
};

/* One address it had, at index of pool, if still free here and still want
 * (len bytes): then it is s's again (*have, *s_index, addr). */
static int restore_addr(struct gw_pool *pool, struct gw_session **by, struct gw_session *s,
			uint32_t index, const void *want, size_t len, bool *have,
			uint32_t *s_index, void *addr)
{
	if (gw_pool_claim(pool, index) < 0)
		return -EBUSY;
	*have = true;
	*s_index = index;
	by[index] = s;
	gw_pool_addr(pool, index, addr);
	return memcmp(addr, want, len) ? -EADDRNOTAVAIL : 0;
}

/* The addresses it had, if they are still free here and still the same. */
static int restore_lease(struct gw_worker *w, struct gw_session *s, const struct gw_resume_rec *r)
{
	int err = 0;

	if (r->have_v4)
		err = restore_addr(&w->dp.pool4, w->dp.by_v4, s, r->v4_index, &r->v4,
				   sizeof(r->v4), &s->lease.have_v4, &s->v4_index, &s->lease.v4);
	if (!err && r->have_v6)
		err = !w->dp.have_pool6 ? -EBUSY :
			restore_addr(&w->dp.pool6, w->dp.by_v6, s, r->v6_index, &r->v6,
				     sizeof(r->v6), &s->lease.have_v6, &s->v6_index, &s->lease.v6);
	return err;
}

/* What the device itself said, back on the session. */
static int restore_inputs(struct gw_session *s, const struct gw_resume_view *v)
{
	const struct gw_resume_rec *r = v->r;

	s->since = (time_t)r->since;
	s->judged = r->judged;
	s->judged_at = (time_t)r->judged_at;
	s->facts = calloc(v->n_facts ? v->n_facts : 1, sizeof(*s->facts));
	if (!s->facts)
		return -ENOMEM;
	memcpy(s->facts, v->facts, v->n_facts * sizeof(*s->facts));
	s->n_facts = v->n_facts;
	if (v->problem && !(s->report_problem = strdup(v->problem)))
		return -ENOMEM;
	return 0;
}

/* Why the session cannot come back before it is made, or NULL. */
static const char *restore_refusal(struct gw_gateway *gw, const struct gw_resume_view *v)
{
	unsigned int k = v->r->cookie[0];

	if (k >= gw->n || gw_home_index(gw->w[0], v->id.device_id) != k)
		return "the gateway runs another number of workers now";
	if (v->id.not_after && time(NULL) >= v->id.not_after)
		return "its certificate has expired";
	if (gw_crl_revokes(gw->w[0], v->id.serial))
		return "its certificate is revoked";
	return NULL;
}

static void restore_end(struct restore *rs, struct gw_worker *w, struct gw_session *s,
			const char *why)
{
	char line[PST_REASON_MAX + 64];

	snprintf(line, sizeof(line), "not resumed after the restart: %s", why);
	gw_session_end(w, s, line);
	rs->ended++;
}

/* A ban still running is set again on the device's home worker. */
static void restore_ban(struct restore *rs, const struct gw_resume_ban *r)
{
	struct gw_worker *home = gw_worker_home(rs->gw->w[0], r->ban.device);
	time_t now = time(NULL);

	if (r->ban.until > now &&
	    gw_ban_set(home, r->ban.device, now, r->ban.since, r->ban.until) == 0)
		rs->bans++;
}

static void restore_one(const void *rec, size_t len, void *ctx)
{
	struct restore *rs = ctx;
	struct gw_resume_view *v = rs->view;
	const struct gw_resume_rec *r;
	const char *why;
	struct gw_worker *w;
	struct gw_session *s;
	struct pst_decision d;
	char addr[INET_ADDRSTRLEN] = "-";
	int ban = gw_resume_ban_check(rec, len);

	if (ban > 0)
		return restore_ban(rs, rec);
	rs->sessions++;
	if (ban < 0 || gw_resume_read(rec, len, v, &why) < 0) {
		if (ban < 0)
			why = "a damaged ban";
		gw_warn("a session record of the previous network process was not taken back: %s",
			why);
		rs->bad++;
		return;
	}
	r = v->r;
	why = restore_refusal(rs->gw, v);
	if (why) {
		gw_info("session of device=%s not resumed after the restart: %s", v->id.device_id,
			why);
		rs->ended++;
		return;
	}
	w = rs->gw->w[r->cookie[0]];
	if (gw_session_revive(w, &v->id, r->cookie, &s) < 0) {
		rs->bad++;
		return;
	}
	if (restore_inputs(s, v) < 0)
		return restore_end(rs, w, s, "out of memory");
	gw_session_decide(w, s, time(NULL), rs->facts, &d);
	gw_history_add(w, s->id.device_id, "resume", &d);
	if (d.verdict != PST_DENY && gw_verdict_resumed(w, s, &d) < 0)
		return restore_end(rs, w, s, "out of memory");
	if (d.verdict != PST_DENY && restore_lease(w, s, r) < 0)
		return restore_end(rs, w, s, "its address is not this gateway's to give now");
	s->connects = r->connects;	/* after the routes (gw_verdict_resumed) */
	/* The audit record, with the address it keeps. */
	if (w->pol.policy)
		gw_audit_decision(w, "resume", &s->id, NULL, s, &d, rs->facts,
				  s->judged ? s->report_problem : "no posture report was received");
	if (d.verdict == PST_DENY)
		return restore_end(rs, w, s, d.n_reasons ? d.reasons[0] : "denied by the policy");
	if (s->lease.have_v4)
		inet_ntop(AF_INET, &s->lease.v4, addr, sizeof(addr));
	gw_info("session resumed device=%s addr=%s verdict=%s profile=%s: waits for the device "
		"to reconnect", s->id.device_id, addr, pst_verdict_name(s->verdict),
		s->profile[0] ? s->profile : "-");
	gw_resume_put(s);
	w->stats.resumed++;
	rs->resumed++;
}

void gw_restore_sessions(struct gw_gateway *gw)
{
	struct restore rs = { .gw = gw };
	struct timespec ts;
	size_t n = gw_resume_store_count();

	if (!n)
		return;
	rs.facts = malloc(sizeof(*rs.facts));
	rs.view = malloc(sizeof(*rs.view));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (unsigned int k = 0; k < gw->n; k++)
		gw->w[k]->now = ts.tv_sec;	/* the sessions wait from now */
	if (rs.facts && rs.view)
		gw_resume_store_each(restore_one, &rs);
	else
		rs.bad = rs.sessions = (unsigned int)n;
	for (unsigned int k = 0; k < gw->n; k++) {
		gw_pool_requeue(&gw->w[k]->dp.pool4);
		if (gw->w[k]->dp.have_pool6)
			gw_pool_requeue(&gw->w[k]->dp.pool6);
	}
	free(rs.facts);
	free(rs.view);
	gw_resume_store_clear();
	gw_info("resumed %u of %u sessions of the previous network process (%u ended, %u "
		"unreadable); their devices reconnect with their cookies; %u bans kept",
		rs.resumed, rs.sessions, rs.ended, rs.bad, rs.bans);
}
