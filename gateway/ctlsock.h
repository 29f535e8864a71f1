/* SPDX-License-Identifier: MIT */
/*
 * The control socket and the metrics listener (ctlsock.c): their own
 * epoll set inside the worker's.
 */
#ifndef POSTERN_GW_CTLSOCK_H
#define POSTERN_GW_CTLSOCK_H

#include <stddef.h>

#include "gateway/model.h"

int gw_admin_open(struct gw_worker *w);
void gw_admin_event(struct gw_worker *w);
void gw_admin_tick(struct gw_worker *w);
void gw_admin_close(struct gw_worker *w);
/* Hangs up on every client (the listeners stay); returns how many. */
unsigned int gw_admin_drop_clients(struct gw_worker *w);
/* The answer ("ok" and body) to the control client whose command finishes
 * later (gw_control_run returned 1): a re-evaluation or a listing in
 * slices; body NULL: "error out of memory". Nothing when that client has
 * gone. */
void gw_admin_answer_later(struct gw_worker *w, const char *body, size_t len);
int gw_admin_fd(const struct gw_worker *w);	/* its epoll set, for the worker's; -1 */
/* The metrics listener's whole answer to the request head in buf (len
 * bytes), in *out (malloc'd, *out_len bytes): 0, -EAGAIN while the head is
 * not complete, or -ENOMEM. */
int gw_metrics_answer(const struct gw_worker *w, const char *buf, size_t len, char **out,
		      size_t *out_len);

#endif
