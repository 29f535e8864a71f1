/* SPDX-License-Identifier: MIT */
/*
 * The CSTP data path (tunnel.c): the CONNECT reply that opens a tunnel,
 * frames from the client, packets from the TUN, and liveness.
 */
#ifndef POSTERN_GW_TUNNEL_H
#define POSTERN_GW_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/conn.h"
#include "gateway/cstp.h"
#include "gateway/model.h"

/* What a frame or a tick asks of the layer above: nothing, or to end the
 * session (the reason is given back). */
enum gw_tunnel_action { GW_TUNNEL_OK, GW_TUNNEL_END };

/* The session's tunnel is up on c: the CONNECT reply, with the X-DTLS-*
 * lines in dtls ("" when no channel is offered). 0 or -ENOSPC. */
int gw_tunnel_open(struct gw_conn *c, const struct gw_session *s, const char *dtls);
/* One packet from the client (CSTP or DTLS): the filter, then the TUN. */
void gw_tunnel_from_client(struct gw_worker *w, struct gw_session *s, const uint8_t *pkt,
			   size_t len);
/* Forgets the session's DTLS channel (peers, App-ID, key). */
void gw_tunnel_dtls_end(struct gw_worker *w, struct gw_session *s);
enum gw_tunnel_action gw_tunnel_frame(struct gw_conn *c, const struct gw_cstp_frame *f,
				      const char **why);
/* Liveness, once a second: a DPD request when the peer is quiet, the end
 * after 2 x dpd of silence or idle-timeout without data. */
enum gw_tunnel_action gw_tunnel_tick(struct gw_conn *c, char *why, size_t whylen);
/* The first second at which gw_tunnel_tick can have anything to do. */
time_t gw_tunnel_next_tick(const struct gw_conn *c);
void gw_tunnel_from_tun(struct gw_worker *w);
/* The session a packet from the TUN is addressed to (its leased address), or NULL. */
struct gw_session *gw_tunnel_session_of(struct gw_worker *w, const uint8_t *pkt, size_t len);
void gw_tunnel_detach(struct gw_conn *c, const char *why);

#endif
