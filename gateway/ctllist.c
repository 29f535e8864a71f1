/* SPDX-License-Identifier: MIT */
/* posternctl sessions in slices: see ctllist.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gateway/ctllist.h"
#include "gateway/ctlsock.h"
#include "gateway/reeval.h"

/* Rows written between two looks at the clock. */
#define LISTING_ROWS_PER_CHECK	32

struct gw_listing {
	struct gw_ctl x;	/* f: the document so far (body, len) */
	char *body;
	size_t len;
	unsigned int k;		/* the worker whose sessions are being written */
	bool any, done;
};

static uint64_t listing_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void listing_free(struct gw_worker *w0)
{
	struct gw_listing *l = w0->ctl.listing;

	if (!l)
		return;
	if (l->x.f)
		fclose(l->x.f);
	for (unsigned int k = 0; k < gw_workers_n(w0); k++)
		gw_worker_at(w0, k)->sess.list_next = NULL;
	free(l->body);
	free(l);
	w0->ctl.listing = NULL;
}

/* The cursor moves to worker k's first session. */
static void listing_enter(struct gw_worker *w0, struct gw_listing *l, unsigned int k)
{
	l->k = k;
	if (k < gw_workers_n(w0))
		gw_worker_at(w0, k)->sess.list_next = gw_worker_at(w0, k)->sess.sessions;
}

bool gw_listing_run(struct gw_worker *w0, unsigned int budget_us, const char **body,
		    size_t *len)
{
	struct gw_listing *l = w0->ctl.listing;
	uint64_t end = budget_us ? listing_clock_us() + budget_us : 0;
	unsigned int rows = 0;

	while (!l->done && l->k < gw_workers_n(w0)) {
		struct gw_worker *wk = gw_worker_at(w0, l->k);
		struct gw_session *s = wk->sess.list_next;

		if (!s) {
			listing_enter(w0, l, l->k + 1);
			continue;
		}
		wk->sess.list_next = s->next;
		gw_ctl_session_row(&l->x, s, &l->any);
		if (end && ++rows % LISTING_ROWS_PER_CHECK == 0 && listing_clock_us() >= end)
			return false;
	}
	if (!l->done) {
		gw_ctl_sessions_foot(&l->x);
		l->done = true;
		if (fclose(l->x.f) != 0) {
			free(l->body);
			l->body = NULL;
			l->len = 0;
		}
		l->x.f = NULL;
	}
	*body = l->body;
	*len = l->len;
	return true;
}

int gw_listing_start(struct gw_ctl *x)
{
	struct gw_worker *w0 = x->w;
	struct gw_listing *l;
	const char *body;
	size_t len;

	/* One waiting client at a time: what waits is answered first. */
	gw_listing_finish(w0);
	gw_reeval_finish(w0);
	l = calloc(1, sizeof(*l));
	if (!l)
		return gw_ctl_error(x, -ENOMEM, "out of memory");
	l->x = *x;
	l->x.err = NULL;
	l->x.errlen = 0;
	l->x.f = open_memstream(&l->body, &l->len);
	if (!l->x.f) {
		free(l);
		return gw_ctl_error(x, -ENOMEM, "out of memory");
	}
	w0->ctl.listing = l;
	gw_ctl_sessions_head(&l->x);
	listing_enter(w0, l, 0);
	if (!gw_listing_run(w0, w0->ctl.reeval_slice_us, &body, &len))
		return 1;
	if (!body) {
		listing_free(w0);
		return gw_ctl_error(x, -ENOMEM, "out of memory");
	}
	fwrite(body, 1, len, x->f);
	listing_free(w0);
	return 0;
}

bool gw_listing_active(const struct gw_worker *w0)
{
	return w0->ctl.listing != NULL;
}

/* body NULL: the document could not be kept; the client is told so. */
static void listing_answer(struct gw_worker *w0, const char *body, size_t len)
{
	gw_admin_answer_later(w0, body, len);
	listing_free(w0);
}

void gw_listing_step(struct gw_worker *w0)
{
	const char *body;
	size_t len;

	if (w0->ctl.listing && gw_listing_run(w0, w0->ctl.reeval_slice_us, &body, &len))
		listing_answer(w0, body, len);
}

void gw_listing_finish(struct gw_worker *w0)
{
	const char *body;
	size_t len;

	if (w0->ctl.listing && gw_listing_run(w0, 0, &body, &len))
		listing_answer(w0, body, len);
}

void gw_listing_stop(struct gw_worker *w0)
{
	listing_free(w0);
}
