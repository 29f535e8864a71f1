/* SPDX-License-Identifier: MIT */
/*
 * What a login and a CONNECT do to sessions (login.c).
 */
#ifndef POSTERN_GW_LOGIN_H
#define POSTERN_GW_LOGIN_H

#include <stdint.h>

#include "gateway/conn.h"
#include "gateway/http.h"

/* A whole HTTP request from a client (struct gw_conn_handlers.request). */
void gw_login_request(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body);

#endif
