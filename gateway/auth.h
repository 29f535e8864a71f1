/* SPDX-License-Identifier: MIT */
/*
 * The replies an OpenConnect client understands (auth.c): a session's
 * cookie, or a refusal at its login or its CONNECT.
 */
#ifndef POSTERN_GW_AUTH_H
#define POSTERN_GW_AUTH_H

#include <stdint.h>

#include "gateway/conn.h"
#include "gateway/http.h"
#include "gateway/model.h"

void gw_auth_reply(struct gw_conn *c, const char *extra_headers, const char *content_type,
		   const char *body);
void gw_auth_session(struct gw_conn *c, const struct gw_session *s);
/* Logs a refusal ("refused peer=... device=...: WORDS") and counts it; text
 * is a policy deny's own words, else NULL. */
void gw_auth_refused(struct gw_conn *c, enum gw_refusal r, const char *text);

/* A refusal at login: a session-less success reply, so that the CONNECT
 * that follows is told the reason (see auth.c). */
void gw_auth_refuse(struct gw_conn *c, enum gw_refusal r);
/* A CONNECT refused with 401: the client stops retrying its cookie. */
void gw_auth_connect_refuse(struct gw_conn *c, enum gw_refusal r);
/* A CONNECT refused with 503 and X-Reason, which openconnect prints. */
void gw_auth_connect_deny(struct gw_conn *c, enum gw_refusal r, const char *text);

#endif
