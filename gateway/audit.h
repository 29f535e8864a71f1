/* SPDX-License-Identifier: MIT */
/*
 * The audit log (audit.c): one JSON line per posture decision.
 */
#ifndef POSTERN_GW_AUDIT_H
#define POSTERN_GW_AUDIT_H

#include "gateway/model.h"

/* event: "login", "reload", "inventory"; peer NULL when the device is not connected. */
void gw_audit_decision(struct gw_worker *w, const char *event, const struct pst_identity *id,
		       const char *peer, const struct gw_session *s, const struct pst_decision *d,
		       const struct pst_facts *facts, const char *report_problem);
/* Reopened on SIGUSR1 (logrotate). */
void gw_audit_reopen(struct gw_worker *w);

#endif
