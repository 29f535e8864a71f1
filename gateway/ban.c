/* SPDX-License-Identifier: MIT */
/*
 * Bans: a device an operator bars until a time (posternctl ban DEVICE --for
 * 1h) is refused at login with "banned until T", and its sessions end when
 * the ban is set. Each ban lives on the device's home worker, which checks
 * it at every login without taking another worker's lock; worker 0 sets and
 * lifts bans holding every lock, as for any control command.
 *
 * Bans are state of the running network process: a reload keeps them (it
 * replaces the policy, not the workers), and so does a restart of the
 * network process after a crash (the supervisor holds a record of each,
 * resume.h); a restart of posternd clears them. Nothing is written for
 * them to the disk:
 * the sandbox lets the network process write its audit log only, and a ban
 * is an operator's act, not a decision about a device to keep on record.
 * An expired ban is no ban; the entries are dropped when bans change or are
 * listed. A handful of bans is the expected case, so a list it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "gateway/audit.h"
#include "gateway/auth.h"
#include "gateway/ban.h"
#include "gateway/events.h"
#include "gateway/history.h"
#include "gateway/log.h"
#include "gateway/resume.h"
#include "gateway/session.h"

static struct gw_ban *ban_slot(const struct gw_worker *home, const char *device)
{
	for (size_t i = 0; i < home->ctl.n_bans; i++) {
		if (!strcmp(home->ctl.bans[i].device, device))
			return &home->ctl.bans[i];
	}
	return NULL;
}

const struct gw_ban *gw_ban_find(const struct gw_worker *home, const char *device, time_t now)
{
	const struct gw_ban *b = home->ctl.n_bans ? ban_slot(home, device) : NULL;

	return b && b->until > now ? b : NULL;
}

static int ban_grow(struct gw_worker *w)
{
	size_t cap = w->ctl.cap_bans ? 2 * w->ctl.cap_bans : 8;
	struct gw_ban *more;

	if (w->ctl.n_bans >= GW_BANS_MAX)
		return -ENOSPC;
	if (cap > GW_BANS_MAX)
		cap = GW_BANS_MAX;
	more = realloc(w->ctl.bans, cap * sizeof(*more));
	if (!more)
		return -ENOMEM;
	w->ctl.bans = more;
	w->ctl.cap_bans = cap;
	return 0;
}

int gw_ban_set(struct gw_worker *home, const char *device, time_t now, time_t since,
	       time_t until)
{
	struct gw_ban *b;
	int err;

	gw_bans_expire(home, now);
	b = ban_slot(home, device);
	if (!b) {
		if (home->ctl.n_bans == home->ctl.cap_bans && (err = ban_grow(home)) < 0)
			return err;
		b = &home->ctl.bans[home->ctl.n_bans++];
		snprintf(b->device, sizeof(b->device), "%s", device);
	}
	b->since = since;
	b->until = until;
	gw_resume_ban_put(b);	/* outlives a crash of this process */
	return 0;
}

static void ban_remove(struct gw_worker *w, struct gw_ban *b)
{
	*b = w->ctl.bans[--w->ctl.n_bans];
}

bool gw_ban_lift(struct gw_worker *home, const char *device, time_t now)
{
	struct gw_ban *b = ban_slot(home, device);
	bool live = b && b->until > now;

	if (b) {
		gw_resume_ban_forget(device);
		ban_remove(home, b);
	}
	return live;
}

void gw_bans_expire(struct gw_worker *w, time_t now)
{
	for (size_t i = 0; i < w->ctl.n_bans;) {
		if (w->ctl.bans[i].until <= now) {
			gw_resume_ban_forget(w->ctl.bans[i].device);
			ban_remove(w, &w->ctl.bans[i]);
		} else
			i++;
	}
}

void gw_bans_free(struct gw_worker *w)
{
	free(w->ctl.bans);
	w->ctl.bans = NULL;
	w->ctl.n_bans = w->ctl.cap_bans = 0;
}

void gw_ban_words(time_t until, char *buf, size_t len)
{
	char t[CM_TIME_BUF];

	if (cm_time_format(until, t, sizeof(t)) < 0)
		snprintf(t, sizeof(t), "%lld", (long long)until);
	snprintf(buf, len, "banned until %s", t);
}

/* The refused login on record: a deny, in the audit log under a policy (as
 * every decision is), with the ban as its reason and no facts asked for. */
static void ban_audit(struct gw_conn *c, const struct pst_decision *d)
{
	struct pst_facts *facts;

	if (!c->w->pol.policy)
		return;
	facts = malloc(sizeof(*facts));
	if (!facts) {
		gw_err("audit log: out of memory; a banned device's login is not recorded");
		return;
	}
	pst_facts_init(facts);
	gw_audit_decision(c->w, "login", &c->id, c->peer, NULL, d, facts,
			  "not asked for: the device is banned");
	free(facts);
}

void gw_ban_refuse(struct gw_conn *c, const struct gw_ban *b)
{
	struct pst_decision d;
	struct gw_session *s;

	memset(&d, 0, sizeof(d));
	d.verdict = PST_DENY;
	gw_ban_words(b->until, d.reasons[d.n_reasons++], sizeof(d.reasons[0]));
	gw_info("banned device=%s peer=%s: login refused, %s", c->id.device_id, c->peer,
		d.reasons[0]);
	gw_history_add(c->w, c->id.device_id, "banned", &d);
	gw_events_decision(c->w, "banned", c->id.device_id, c->peer, &d);
	ban_audit(c, &d);
	/* As a policy's deny: the reason travels with a session to the CONNECT. */
	if (gw_session_new(c->w, &c->id, &s) < 0)
		return gw_conn_close(c, "out of memory");
	s->refusal = GW_REF_BANNED;
	s->deny_reason = strdup(d.reasons[0]);	/* NULL: the table's words */
	gw_auth_session(c, s);
}
