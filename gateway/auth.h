/* SPDX-License-Identifier: MIT */
/*
 * The HTTP endpoints an OpenConnect client uses (auth.c): the login and
 * the CONNECT, and the replies that carry a session or a refusal.
 */
#ifndef POSTERN_GW_AUTH_H
#define POSTERN_GW_AUTH_H

#include <stdint.h>

#include "gateway/conn.h"
#include "gateway/http.h"
#include "gateway/model.h"

void gw_auth_request(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body);
void gw_auth_reply(struct gw_conn *c, const char *extra_headers, const char *content_type,
		   const char *body);
void gw_auth_session(struct gw_conn *c, const struct gw_session *s);
/* Logs a refusal ("refused peer=... device=...: WORDS") and counts it; text
 * is a policy deny's own words, else NULL. */
void gw_auth_refused(struct gw_conn *c, enum gw_refusal r, const char *text);

#endif
