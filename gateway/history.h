/* SPDX-License-Identifier: MIT */
/*
 * The decisions `posternctl show` lists (history.c).
 */
#ifndef POSTERN_GW_HISTORY_H
#define POSTERN_GW_HISTORY_H

#include <time.h>

#include "gateway/model.h"

/* One decision, for the history `posternctl show` prints. */
struct gw_history {
	time_t time;				/* wall clock */
	char device[PST_DEVICE_ID_MAX + 1];
	const char *event;			/* static: "login", "reload", "inventory", ... */
	const char *verdict;			/* static: a verdict's name, or "ended" */
	char rule[CONF_NAME_MAX + 1];
	char profile[CONF_NAME_MAX + 1];
	char reasons[2 * PST_REASON_MAX];	/* one per line, cut */
};

void gw_history_add(struct gw_worker *w, const char *device, const char *event,
		    const struct pst_decision *d);

#endif
