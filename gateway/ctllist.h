/* SPDX-License-Identifier: MIT */
/*
 * posternctl sessions in slices (ctllist.c). Listing 10 000 sessions in
 * one go held every worker's lock for 150-300 ms, and with them every
 * tunnel. Now, past a few hundred sessions, each worker writes its own
 * sessions' rows in slices of the re-evaluation's budget
 * (ctl.reeval_slice_us) per turn of its own loop, taking no other
 * worker's lock, as a re-evaluation does; when the last worker is done,
 * worker 0 joins the parts and answers the client that waits. Each
 * session is shown as it is when its slice runs; one that starts after
 * the listing began may be missing, one that ends before its slice is
 * (each worker's cursor moves past a session that ends).
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

/* Sessions listed at once, holding every worker, before slicing is worth
 * its extra loop turn. */
#define GW_LISTING_AT_ONCE	256

/* Starts a listing for x (worker 0, holding every worker): 0 when it was
 * written whole to x->f, 1 when it is answered later, -errno with the
 * client's message set. */
int gw_listing_start(struct gw_ctl *x);
/* A slice of worker wk's part, in its own loop; false when its part is
 * done (or it has none). */
bool gw_listing_step(struct gw_worker *wk, unsigned int budget_us);
/* Worker 0, in its own loop (no other worker's lock: every part is done,
 * and joining 10 000 rows held every worker ~20 ms): the document goes to
 * the waiting client. */
bool gw_listing_ready(const struct gw_worker *w0);
void gw_listing_poll(struct gw_worker *w0);
/* Worker 0, holding every worker: the rest now, and the answer. */
void gw_listing_finish(struct gw_worker *w0);
/* Dropped unanswered (the gateway stops). */
void gw_listing_stop(struct gw_worker *w0);
/* For tests: the rest now; the document (owned by the listing until it is
 * stopped; NULL when it could not be kept). */
const char *gw_listing_document(struct gw_worker *w0, size_t *len);

#endif
