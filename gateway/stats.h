/* SPDX-License-Identifier: MIT */
/*
 * Every counter once, for posternctl stats and the metrics (stats.c, the
 * rows only the metrics have in metrics.c, the three outputs in
 * stats_out.c).
 */
#ifndef POSTERN_GW_STATS_H
#define POSTERN_GW_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/model.h"

#define GW_STAT_LABEL_MAX	160	/* a rule's name (64) and the verdict fit */

enum gw_stat_type { GW_STAT_COUNTER, GW_STAT_GAUGE, GW_STAT_HISTOGRAM };

/*
 * One number: where `posternctl stats --json` puts it (group and key; no
 * key: only in the metrics) and its Prometheus sample (metric and labels;
 * no metric: only in posternctl stats). A histogram's rows are its
 * _bucket samples (the first one carries the help), then _sum and _count.
 */
struct gw_stat_row {
	const char *group;	/* JSON object it sits in, or NULL for the top level */
	const char *key;	/* its key there, or NULL */
	const char *metric;	/* Prometheus name, or NULL */
	char label[GW_STAT_LABEL_MAX];	/* "reason=\"revoked\"", or "" */
	const char *help;	/* for # HELP, on the first row of a metric */
	enum gw_stat_type type;
	bool micro;		/* value is in millionths: written as a decimal */
	uint64_t value;
};

/* The gauges, counted once from the sessions and pools (stats, status, metrics). */
struct gw_gauges {
	uint64_t sessions[3];			/* by enum pst_verdict */
	uint64_t tunnels;
	uint64_t dtls;				/* tunnels whose data goes over DTLS */
	uint64_t used4, size4, used6, size6;	/* leasable pool addresses */
};
void gw_stats_gauges(const struct gw_worker *w, struct gw_gauges *g);

struct gw_stat_list {
	struct gw_stat_row *r;
	size_t n, cap;
};

/* Appends a row (label may be NULL) and returns it; NULL when the list is
 * full (what does not fit is left out). */
struct gw_stat_row *gw_stat_add(struct gw_stat_list *l, const char *group, const char *key,
				const char *metric, const char *label, const char *help,
				enum gw_stat_type type, uint64_t value);
/* The DTLS channel's rows (none when dtls = false) and the PKI's (stats_tls.c). */
void gw_stats_dtls_rows(struct gw_stat_list *l, const struct gw_worker *w,
			const struct gw_gauges *g);
void gw_stats_pki_rows(struct gw_stat_list *l, const struct gw_worker *w);
/* The rows only /metrics has (metrics.c): the process, the build, the
 * latency histograms and the decisions by rule. */
void gw_stats_metrics_rows(struct gw_stat_list *l, const struct gw_worker *w,
			   const struct gw_stats *sum);

/* Every row, the workers' counters added up; how many fit in rows. */
size_t gw_stats_rows(const struct gw_worker *w, struct gw_stat_row *rows, size_t cap);
#define GW_STAT_ROWS_MAX	(200 + 2 * GW_RULE_SLOTS)

void gw_stats_json(const struct gw_worker *w, FILE *f);
void gw_stats_text(const struct gw_worker *w, FILE *f);
void gw_stats_prometheus(const struct gw_worker *w, FILE *f);

#endif
