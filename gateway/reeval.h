/* SPDX-License-Identifier: MIT */
/*
 * Re-evaluation of live sessions, and the report of what it changes
 * (reeval.c).
 */
#ifndef POSTERN_GW_REEVAL_H
#define POSTERN_GW_REEVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "conf/policy.h"
#include "gateway/model.h"
#include "posture/inventory.h"

/* What a reload or policy-diff changes, as JSON or text lines. */
struct gw_changes {
	FILE *f;			/* the JSON array of changes, or the text lines */
	char *buf;
	size_t len;
	FILE *ended;			/* JSON: the array of ended devices */
	char *ended_buf;
	size_t ended_len;
	bool json;
	size_t n_changed, n_ended, n_same;
};

int gw_changes_open(struct gw_changes *c, bool json);
void gw_changes_close(struct gw_changes *c);
/* The report: head, then the changes under key (JSON) or as lines. */
void gw_changes_write(struct gw_changes *c, FILE *out, const char *head, const char *key);
/*
 * A re-evaluation of every live session on every worker, decided under the
 * policy and inventory in force (candidate NULL: a reload or an inventory
 * change, whose decisions are applied) or under a candidate policy
 * (policy-diff: reported only). event names the cause in the log and the
 * audit. head is the report's head (JSON members or a text line).
 */
struct gw_reeval_req {
	const char *event;			/* a string literal */
	struct conf_policy *candidate;		/* NULL: apply */
	struct pst_inventory *candidate_inv;
	char *head;				/* malloc'ed */
	bool json;
	bool answer;				/* a control client wants the report */
};

/*
 * Starts one, on worker 0 holding every worker's lock; one still running is
 * finished first. candidate, candidate_inv and head become the job's. With
 * ctl.reeval_slice_us 0 it runs to the end now and writes the report to out
 * (returns 0); otherwise each worker decides its sessions in slices from
 * its next turn on and the report goes to the waiting control client when
 * all are done (returns 1 when a client waits, 0 when none does). -ENOMEM
 * (the caller still owns what it passed).
 */
int gw_reeval_start(struct gw_worker *w, const struct gw_reeval_req *rq, FILE *out);
/* One slice of worker wk's part, for at most budget_us (0: no limit); true
 * while sessions are left. Called by each worker under its own lock. */
bool gw_reeval_step(struct gw_worker *wk, unsigned int budget_us);
/* Worker 0: whether a job is there that every worker has finished; then,
 * holding every lock, gw_reeval_poll reports it. */
bool gw_reeval_ready(const struct gw_worker *w);
void gw_reeval_poll(struct gw_worker *w);
/* Worker 0, holding every lock: runs what is left of the job now. */
void gw_reeval_finish(struct gw_worker *w);
/* Drops a running job unreported (the gateway stops). */
void gw_reeval_stop(struct gw_worker *w);
/* The facts a session is judged on now: its own plus the MDM's. 0, or
 * -ENOSPC when they do not fit (the caller denies: fail closed). */
int gw_session_facts(const struct conf_policy *p, const struct pst_inventory *inv,
		     const struct gw_session *s, time_t now, struct pst_facts *facts);
/* The decision s gets now under w's policy and inventory (facts: room for
 * the facts it was judged on); no policy: allow. */
void gw_session_decide(const struct gw_worker *w, const struct gw_session *s, time_t now,
		       struct pst_facts *facts, struct pst_decision *d);

#endif
