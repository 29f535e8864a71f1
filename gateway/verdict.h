/* SPDX-License-Identifier: MIT */
/*
 * A posture decision turned into a session, a reply and an audit record
 * (verdict.c).
 */
#ifndef POSTERN_GW_VERDICT_H
#define POSTERN_GW_VERDICT_H

#include <stdint.h>
#include <time.h>

#include "gateway/conn.h"
#include "gateway/http.h"
#include "gateway/model.h"
#include "gateway/scan.h"

/* What the client's login request says about the device (source client). */
void gw_client_facts(const struct gw_http_req *req, const uint8_t *body, time_t now,
		     struct pst_facts *facts);
void gw_verdict_login(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body,
		      struct gw_scan *sc);
/* Gives s the decision: verdict, rule, profile networks, reasons; and its
 * routes while it has not connected yet. 0 or -ENOMEM (s unchanged then
 * only in part: the caller ends it). */
int gw_session_apply(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d);
int gw_session_routes(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d);
/* A session taken back from the previous network process (restore.c) gets
 * decision d (not a deny): as gw_session_apply, with its banner. Called
 * before its CONNECTs are counted, so that it gets its routes as for a
 * first CONNECT: the client is told them again at its reconnect. */
int gw_verdict_resumed(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d);
/* Denies the device for a reason outside the policy (no audit record). */
void gw_verdict_refuse(struct gw_conn *c, enum gw_refusal r);

#endif
