/* SPDX-License-Identifier: MIT */
/*
 * The DTLS channel of the sessions (channel.c): the worker's UDP socket
 * opened with the callbacks that tie gateway/dtls.c to the sessions, and
 * the offer a CONNECT reply carries.
 */
#ifndef POSTERN_GW_CHANNEL_H
#define POSTERN_GW_CHANNEL_H

#include <stddef.h>

#include "gateway/conn.h"
#include "gateway/http.h"
#include "gateway/model.h"

/* Opens the UDP socket when the config offers DTLS. 0 or -errno (logged). */
int gw_channel_open(struct gw_worker *w);
void gw_channel_close(struct gw_worker *w);

/*
 * The X-DTLS-* lines for the CONNECT req that opens s's tunnel on c, in buf
 * ("" when no channel is offered: DTLS is off, the client did not ask for
 * PSK-NEGOTIATE, or the key could not be exported). Gives s a new App-ID
 * and key, ending whatever channel it had.
 */
void gw_channel_offer(struct gw_conn *c, struct gw_session *s, const struct gw_http_req *req,
		      char *buf, size_t len);

#endif
