/* SPDX-License-Identifier: MIT */
/* posternctl sessions in slices: see ctllist.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gateway/conn.h"
#include "gateway/ctllist.h"
#include "gateway/ctlsock.h"
#include "gateway/reeval.h"

/* Rows written between two looks at the clock. */
#define LISTING_ROWS_PER_CHECK	32

/* One worker's rows. */
struct listing_part {
	struct gw_ctl x;	/* f: the rows so far (body, len) */
	char *body;
	size_t len;
	bool any;
};

struct gw_listing {
	atomic_uint pending;	/* workers with rows left to write */
	char *doc;		/* the joined document, once done */
	size_t doc_len;
	struct listing_part part[GW_WORKERS_MAX];
};

static void listing_free(struct gw_worker *w0)
{
	struct gw_listing *l = w0->ctl.listing;

	if (!l)
		return;
	for (unsigned int k = 0; k < gw_workers_n(w0); k++) {
		struct gw_worker *wk = gw_worker_at(w0, k);

		/* A worker done with its part reset these itself: the others
		 * are touched only when worker 0 holds them (finish, stop). */
		if (wk->sess.list_active) {
			wk->sess.list_next = NULL;
			wk->sess.list_active = false;
		}
		if (l->part[k].x.f)
			fclose(l->part[k].x.f);
		free(l->part[k].body);
	}
	free(l->doc);
	free(l);
	w0->ctl.listing = NULL;
}

/* Worker wk's part is written: worker 0 hears of the last one. */
static void listing_part_done(struct gw_worker *wk, struct gw_listing *l)
{
	wk->sess.list_active = false;
	wk->sess.list_next = NULL;
	gw_worker_part_done(wk, &l->pending);
}

bool gw_listing_step(struct gw_worker *wk, unsigned int budget_us)
{
	struct gw_listing *l = gw_worker_at(wk, 0)->ctl.listing;
	uint64_t end = budget_us ? gw_latency_now() + budget_us : 0;
	unsigned int rows = 0;
	struct gw_session *s;

	if (!wk->sess.list_active || !l)
		return false;
	while ((s = wk->sess.list_next)) {
		wk->sess.list_next = s->next;
		gw_ctl_session_row(&l->part[wk->index].x, s, &l->part[wk->index].any);
		if (end && ++rows % LISTING_ROWS_PER_CHECK == 0 && gw_latency_now() >= end)
			return true;
	}
	listing_part_done(wk, l);
	return false;
}

bool gw_listing_ready(const struct gw_worker *w0)
{
	return w0->ctl.listing && atomic_load(&w0->ctl.listing->pending) == 0;
}

/* Every part done: the head, the parts in worker order, the foot. NULL in
 * *doc when memory ran out. */
static void listing_join(struct gw_worker *w0, struct gw_listing *l)
{
	struct gw_ctl x = l->part[0].x;
	bool any = false;

	if (l->doc)
		return;
	x.f = open_memstream(&l->doc, &l->doc_len);
	if (!x.f)
		return;
	gw_ctl_sessions_head(&x);
	for (unsigned int k = 0; k < gw_workers_n(w0); k++) {
		struct listing_part *p = &l->part[k];

		if (!p->x.f || fclose(p->x.f) != 0) {
			p->x.f = NULL;
			fclose(x.f);
			free(l->doc);
			l->doc = NULL;
			return;
		}
		p->x.f = NULL;
		if (!p->any)
			continue;
		if (any && x.json)
			fputc(',', x.f);
		fwrite(p->body, 1, p->len, x.f);
		any = true;
	}
	gw_ctl_sessions_foot(&x);
	if (fclose(x.f) != 0) {
		free(l->doc);
		l->doc = NULL;
	}
}

/* Every worker's rows that are left, now (holding every worker). */
static void listing_run_all(struct gw_worker *w0)
{
	for (unsigned int k = 0; k < gw_workers_n(w0); k++)
		while (gw_listing_step(gw_worker_at(w0, k), 0))
			;
}

const char *gw_listing_document(struct gw_worker *w0, size_t *len)
{
	struct gw_listing *l = w0->ctl.listing;

	if (!l)
		return NULL;
	listing_run_all(w0);
	listing_join(w0, l);
	*len = l->doc_len;
	return l->doc;
}

static size_t listing_count(struct gw_worker *w0, size_t stop)
{
	size_t n = 0;

	for (unsigned int k = 0; k < gw_workers_n(w0) && n < stop; k++)
		for (const struct gw_session *s = gw_worker_at(w0, k)->sess.sessions;
		     s && n < stop; s = s->next)
			n++;
	return n;
}

int gw_listing_start(struct gw_ctl *x)
{
	struct gw_worker *w0 = x->w;
	unsigned int n = gw_workers_n(w0);
	struct gw_listing *l;
	const char *doc;
	size_t len;

	/* One waiting client at a time: what waits is answered first. */
	gw_listing_finish(w0);
	gw_reeval_finish(w0);
	l = calloc(1, sizeof(*l));
	if (!l)
		return gw_ctl_error(x, -ENOMEM, "out of memory");
	w0->ctl.listing = l;
	atomic_init(&l->pending, n);
	for (unsigned int k = 0; k < n; k++) {
		struct gw_worker *wk = gw_worker_at(w0, k);
		struct listing_part *p = &l->part[k];

		p->x = *x;
		p->x.err = NULL;
		p->x.errlen = 0;
		p->x.f = open_memstream(&p->body, &p->len);
		if (!p->x.f) {
			listing_free(w0);
			return gw_ctl_error(x, -ENOMEM, "out of memory");
		}
		wk->sess.list_next = wk->sess.sessions;
		wk->sess.list_active = true;
	}
	if (w0->ctl.reeval_slice_us && listing_count(w0, GW_LISTING_AT_ONCE + 1) >
	    GW_LISTING_AT_ONCE) {
		/* The others start at their next turn; worker 0 at the end of this one. */
		for (unsigned int k = 1; k < n; k++)
			gw_worker_wake(gw_worker_at(w0, k));
		return 1;
	}
	doc = gw_listing_document(w0, &len);
	if (doc)
		fwrite(doc, 1, len, x->f);
	listing_free(w0);
	return doc ? 0 : gw_ctl_error(x, -ENOMEM, "out of memory");
}

/* body NULL: the document could not be kept; the client is told so. */
static void listing_answer(struct gw_worker *w0)
{
	size_t len = 0;
	const char *doc = gw_listing_document(w0, &len);

	gw_admin_answer_later(w0, doc, len);
	listing_free(w0);
}

void gw_listing_poll(struct gw_worker *w0)
{
	if (gw_listing_ready(w0))
		listing_answer(w0);
}

void gw_listing_finish(struct gw_worker *w0)
{
	if (w0->ctl.listing)
		listing_answer(w0);
}

void gw_listing_stop(struct gw_worker *w0)
{
	listing_free(w0);
}
