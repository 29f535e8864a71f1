/* SPDX-License-Identifier: MIT */
/*
 * The refusal table (refusal.c): for each enum gw_refusal (model.h), the
 * words the device and the log are told and the counter it is counted
 * under.
 */
#ifndef POSTERN_GW_REFUSAL_H
#define POSTERN_GW_REFUSAL_H

#include "gateway/model.h"

/* The words for r; text instead when a policy deny brings its own (else NULL). */
const char *gw_refusal_words(enum gw_refusal r, const char *text);
/* The counter r is counted under (a value below GW_REF_COUNTERS), its key. */
enum gw_refusal gw_refusal_counter(enum gw_refusal r);
const char *gw_refusal_key(enum gw_refusal r);
/* Counts r under its counter. */
void gw_stats_refused(struct gw_worker *w, enum gw_refusal r);

#endif
