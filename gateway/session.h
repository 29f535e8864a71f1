/* SPDX-License-Identifier: MIT */
/*
 * Device sessions (session.c): the cookie a login hands out, the addresses
 * leased to it, its lifetime and its end.
 */
#ifndef POSTERN_GW_SESSION_H
#define POSTERN_GW_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/conn.h"
#include "gateway/cstp.h"
#include "gateway/http.h"
#include "gateway/model.h"

int gw_session_new(struct gw_worker *w, const struct pst_identity *id, struct gw_session **out);
/* A session of the previous network process, under its own cookie, as yet
 * undecided (deny) and without a tunnel: restore.c decides it and gives its
 * addresses back. 0, -EEXIST for a cookie already here, or -ENOMEM. */
int gw_session_revive(struct gw_worker *w, const struct pst_identity *id, const uint8_t *cookie,
		      struct gw_session **out);
/* Ends every other session of s's device: s's tunnel has just opened. */
void gw_session_supersede(struct gw_worker *w, struct gw_session *s);
struct gw_session *gw_session_find(struct gw_worker *w, const char *cookie_hex, size_t len);
int gw_session_lease(struct gw_worker *w, struct gw_session *s);
bool gw_session_wants_v6(const struct gw_worker *w, const struct gw_session *s);
void gw_session_end(struct gw_worker *w, struct gw_session *s, const char *why);
/* Ends a live session for a reason counted in stats.ended. */
void gw_session_end_for(struct gw_worker *w, struct gw_session *s, enum gw_end why,
			const char *text);
void gw_sessions_expire(struct gw_worker *w);
/* Frees the session indexes; every session must have ended first. */
void gw_sessions_free(struct gw_worker *w);
/* A CONNECT that carried s's cookie: the tunnel opens, or the device is told why not. */
void gw_session_connect(struct gw_conn *c, struct gw_session *s, const struct gw_http_req *req);
/* The transport's reports about a tunnel connection (struct gw_conn_handlers). */
void gw_session_frame(struct gw_conn *c, const struct gw_cstp_frame *f);
void gw_session_tick(struct gw_conn *c);
void gw_session_fail(struct gw_conn *c, const char *why);
/* A tunnel connection goes away; its session waits for the reconnect. */
void gw_session_closing(struct gw_conn *c, const char *why);

#endif
