/* SPDX-License-Identifier: MIT */
/*
 * Every counter once, for posternctl stats and the metrics (stats.c).
 */
#ifndef POSTERN_GW_STATS_H
#define POSTERN_GW_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/model.h"

struct gw_stat_row {
	const char *group;	/* JSON object it sits in, or NULL for the top level */
	const char *key;	/* its key there */
	const char *metric;	/* Prometheus name */
	const char *label;	/* "reason=\"revoked\"" or NULL */
	const char *help;	/* for # HELP, on the first row of a metric */
	bool gauge;
	uint64_t value;
};
size_t gw_stats_rows(const struct gw_worker *w, struct gw_stat_row *rows, size_t cap);
/* The gauges, counted once from the sessions and pools (stats, status, metrics). */
struct gw_gauges {
	uint64_t sessions[3];			/* by enum pst_verdict */
	uint64_t tunnels;
	uint64_t dtls;				/* tunnels whose data goes over DTLS */
	uint64_t used4, size4, used6, size6;	/* leasable pool addresses */
};
void gw_stats_gauges(const struct gw_worker *w, struct gw_gauges *g);
#define GW_STAT_ROWS_MAX 96
void gw_stats_json(const struct gw_worker *w, FILE *f);
void gw_stats_text(const struct gw_worker *w, FILE *f);
void gw_stats_prometheus(const struct gw_worker *w, FILE *f);

#endif
