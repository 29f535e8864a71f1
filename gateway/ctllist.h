/* SPDX-License-Identifier: MIT */
/*
 * posternctl sessions in slices (ctllist.c). Listing 10 000 sessions in
 * one go held every worker's lock for about 150-300 ms, and with them
 * every tunnel; a listing now runs in slices of the re-evaluation's budget
 * (ctl.reeval_slice_us) per turn of worker 0's loop, between which the
 * tunnels run, and the client gets the whole document when the last slice
 * is written. Each session is shown as it is when its slice runs; one that
 * starts after the listing began may be missing, one that ends before its
 * slice is (each worker's cursor moves past a session that ends).
 *
 * One deferred answer waits at a time (ctlsock.c keeps one waiting
 * client): a listing started while another listing or a re-evaluation
 * with a waiting client runs finishes that one first, and the other way
 * round.
 */
#ifndef POSTERN_GW_CTLLIST_H
#define POSTERN_GW_CTLLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/ctlrun.h"

/* Starts a listing for x: 0 when it was written whole to x->f (it fitted
 * one slice, or slicing is off), 1 when it is answered later (worker 0's
 * loop runs gw_listing_step), -errno with the client's message set. */
int gw_listing_start(struct gw_ctl *x);
bool gw_listing_active(const struct gw_worker *w0);
/* One slice, holding every worker's lock; when the last one is written
 * the waiting client gets the document. */
void gw_listing_step(struct gw_worker *w0);
/* The rest now, and the answer. */
void gw_listing_finish(struct gw_worker *w0);
/* Dropped unanswered (the gateway stops). */
void gw_listing_stop(struct gw_worker *w0);
/* For tests: one slice of budget_us (0: the rest); true when done, the
 * document then in *body (owned by the listing until it is stopped). */
bool gw_listing_run(struct gw_worker *w0, unsigned int budget_us, const char **body,
		    size_t *len);

#endif
