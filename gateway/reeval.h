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
 * Decides every live session again under p and inv; event names the cause
 * in the log and the audit ("reload", "inventory"). With apply false it
 * only reports into c (policy-diff with a candidate policy). 0 or -ENOMEM.
 */
int gw_reeval_all(struct gw_worker *w, const struct conf_policy *p,
		      const struct pst_inventory *inv, const char *event, bool apply,
		      struct gw_changes *c);
/* The facts a session is judged on now: its own plus the MDM's. 0, or
 * -ENOSPC when they do not fit (the caller denies: fail closed). */
int gw_session_facts(const struct conf_policy *p, const struct pst_inventory *inv,
		     const struct gw_session *s, time_t now, struct pst_facts *facts);

#endif
