/* SPDX-License-Identifier: MIT */
/*
 * The decisions `posternctl show` lists: a ring of the latest GW_HISTORY_MAX
 * decisions of all devices (login, re-evaluation, revocation, kick), kept
 * for the current run only; the audit log is the record that lasts.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/history.h"
#include "gateway/model.h"

void gw_history_add(struct gw_worker *w, const char *device, const char *event,
		    const struct pst_decision *d)
{
	struct gw_history *h;
	size_t n = 0;

	if (!w->ctl.history)
		return;
	h = &w->ctl.history[w->ctl.history_next];
	memset(h, 0, sizeof(*h));
	h->time = time(NULL);
	snprintf(h->device, sizeof(h->device), "%s", device);
	h->event = event;
	h->verdict = d ? pst_verdict_name(d->verdict) : "ended";
	if (d && d->rule)
		snprintf(h->rule, sizeof(h->rule), "%s", d->rule->name);
	if (d && d->profile)
		snprintf(h->profile, sizeof(h->profile), "%s", d->profile->name);
	for (size_t i = 0; d && i < d->n_reasons && n < sizeof(h->reasons); i++) {
		int k = snprintf(h->reasons + n, sizeof(h->reasons) - n, "%s%s", i ? "\n" : "",
				 d->reasons[i]);

		if (k < 0)
			break;
		n += (size_t)k;
	}
	w->ctl.history_next = (w->ctl.history_next + 1) % GW_HISTORY_MAX;
	if (w->ctl.history_n < GW_HISTORY_MAX)
		w->ctl.history_n++;
}
