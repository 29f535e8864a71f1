/* SPDX-License-Identifier: MIT */
/*
 * The CSTP data path (tunnel.c): the CONNECT reply that opens a tunnel,
 * frames from the client, packets from the TUN, and liveness.
 */
#ifndef POSTERN_GW_TUNNEL_H
#define POSTERN_GW_TUNNEL_H

#include "gateway/conn.h"
#include "gateway/cstp.h"
#include "gateway/model.h"

void gw_tunnel_attach(struct gw_conn *c, struct gw_session *s);
void gw_tunnel_tick(struct gw_conn *c);
void gw_tunnel_frame(struct gw_conn *c, const struct gw_cstp_frame *f);
void gw_tunnel_from_tun(struct gw_worker *w);
void gw_tunnel_detach(struct gw_conn *c, const char *why);

#endif
