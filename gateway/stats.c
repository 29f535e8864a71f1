/* SPDX-License-Identifier: MIT */
/*
 * The gateway's counters, listed once: gw_stats_rows() names every counter
 * and gauge with its place in `posternctl stats --json` and its Prometheus
 * name, and the three outputs (JSON, text, Prometheus: stats_out.c) are
 * printed from that one list, so they cannot disagree about what a number
 * means. A row may be in one output only: posternctl stats keeps the
 * decisions by verdict and the uptime, the metrics have them by verdict and
 * rule and the process's start time instead (metrics.c).
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/model.h"
#include "gateway/refusal.h"
#include "gateway/stats.h"
#include "gateway/supervise.h"

/* A row in both outputs. */
static void row(struct gw_stat_list *rs, const char *group, const char *key, const char *metric,
		const char *label, const char *help, bool gauge, uint64_t value)
{
	gw_stat_add(rs, group, key, metric, label, help, gauge ? GW_STAT_GAUGE : GW_STAT_COUNTER,
		    value);
}

static const char *const end_keys[GW_END_N] = {
	[GW_END_KICKED] = "kicked",
	[GW_END_REVOKED] = "revoked",
	[GW_END_LOST] = "lost",
	[GW_END_POLICY] = "policy",
	[GW_END_EXPIRED] = "expired",
};

struct gw_stat_row *gw_stat_add(struct gw_stat_list *l, const char *group, const char *key,
				const char *metric, const char *label, const char *help,
				enum gw_stat_type type, uint64_t value)
{
	struct gw_stat_row *r;

	if (l->n >= l->cap)
		return NULL;
	r = &l->r[l->n++];
	*r = (struct gw_stat_row){ .group = group, .key = key, .metric = metric, .help = help,
				   .type = type, .value = value };
	snprintf(r->label, sizeof(r->label), "%s", label ? label : "");
	return r;
}

/* Every counter of struct gw_stats is a uint64_t: the workers' add up. */
_Static_assert(sizeof(struct gw_stats) % sizeof(uint64_t) == 0, "gw_stats holds counters only");

static void stats_sum(const struct gw_worker *w, struct gw_stats *sum)
{
	uint64_t *out = (uint64_t *)sum;

	memset(sum, 0, sizeof(*sum));
	for (unsigned int k = 0; k < gw_workers_n(w); k++) {
		const uint64_t *in = (const uint64_t *)&gw_worker_at(w, k)->stats;

		for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
			out[i] += in[i];
	}
}

void gw_stats_gauges(const struct gw_worker *w, struct gw_gauges *g)
{
	memset(g, 0, sizeof(*g));
	for (unsigned int k = 0; k < gw_workers_n(w); k++) {
		const struct gw_worker *wk = gw_worker_at(w, k);

		for (const struct gw_session *s = wk->sess.sessions; s; s = s->next) {
			g->sessions[s->verdict]++;
			g->tunnels += s->conn != NULL;
			g->dtls += s->conn && s->dtls_active;
			g->used4 += s->lease.have_v4;
			g->used6 += s->lease.have_v6;
		}
		g->size4 += wk->dp.pool4.n_free;
		if (wk->dp.have_pool6)
			g->size6 += wk->dp.pool6.n_free;
	}
	g->size4 += g->used4;
	if (w->dp.have_pool6)
		g->size6 += g->used6;
}

/* Client packets dropped, by reason. */
static void rows_dropped(struct gw_stat_list *rs, const struct gw_counters *t)
{
	row(rs, "dropped", "spoofed", "postern_dropped_packets_total", "reason=\"spoofed\"",
	    "Client packets dropped, by reason", false, t->dropped_spoofed);
	row(rs, "dropped", "outside_profile", "postern_dropped_packets_total",
	    "reason=\"outside_profile\"", NULL, false, t->dropped_outside);
	row(rs, "dropped", "lateral", "postern_dropped_packets_total", "reason=\"lateral\"",
	    NULL, false, t->dropped_lateral);
	row(rs, "dropped", "gateway", "postern_dropped_packets_total", "reason=\"gateway\"",
	    NULL, false, t->dropped_gateway);
	row(rs, "dropped", "unroutable", "postern_dropped_packets_total", "reason=\"unroutable\"",
	    NULL, false, t->dropped_unroutable);
	row(rs, "dropped", "malformed", "postern_dropped_packets_total", "reason=\"malformed\"",
	    NULL, false, t->dropped_malformed);
	row(rs, "dropped", "queue_full", "postern_dropped_packets_total", "reason=\"queue_full\"",
	    NULL, false, t->dropped_queue_full);
}

/* The connections: accepted, handshakes, handed over, shed. */
static void rows_connections(struct gw_stat_list *rs, const struct gw_stats *st)
{
	row(rs, NULL, "accepted", "postern_connections_accepted_total", NULL,
	    "TCP connections accepted", false, st->accepted);
	row(rs, NULL, "handshakes", "postern_tls_handshakes_total", NULL,
	    "TLS handshakes completed", false, st->handshakes);
	row(rs, NULL, "handoffs", "postern_connections_handed_over_total", NULL,
	    "Connections handed to the worker that holds their device's sessions", false,
	    st->handoffs);
	row(rs, "shed", "evicted_idle", "postern_connections_shed_total", "reason=\"evicted_idle\"",
	    "Connections dropped at max-clients or max-pending: an idle one evicted, or the "
	    "newcomer turned away", false, st->shed_idle);
	row(rs, "shed", "turned_away", "postern_connections_shed_total", "reason=\"turned_away\"",
	    NULL, false, st->shed_full);
	row(rs, "shed", "per_source", "postern_connections_shed_total", "reason=\"per_source\"",
	    NULL, false, st->shed_source);
	row(rs, "shed", "max_pending", "postern_connections_shed_total", "reason=\"max_pending\"",
	    NULL, false, st->shed_pending);
	row(rs, NULL, "accept_pauses", "postern_accept_pauses_total", NULL,
	    "Times accepting paused for a second, out of file descriptors", false,
	    st->accept_pauses);
}

/* Refusals by reason: each counter's key is its label (refusal.c). */
static void rows_refused(struct gw_stat_list *rs, const struct gw_stats *st)
{
	char label[48];

	for (int i = GW_REF_NONE + 1; i < GW_REF_COUNTERS; i++) {
		const char *key = gw_refusal_key((enum gw_refusal)i);

		snprintf(label, sizeof(label), "reason=\"%s\"", key);
		row(rs, "refused", key, "postern_refusals_total", label,
		    i > GW_REF_NONE + 1 ? NULL : "Requests refused, by reason", false,
		    st->refused_by[i]);
	}
}

/*
 * Decisions by verdict for posternctl stats (the metrics have them by rule
 * too, metrics.c), and quarantines by the classes of their reasons: one
 * decision counts once under each class it has.
 */
static void rows_decisions(struct gw_stat_list *rs, const struct gw_stats *st)
{
	char label[48];

	for (int v = 0; v < 3; v++)
		gw_stat_add(rs, "decisions", pst_verdict_name((enum pst_verdict)v), NULL, NULL,
			    NULL, GW_STAT_COUNTER, st->decisions[v]);
	for (int c = 0; c < PST_CLASS_DEVICE_STATUS; c++) {
		const char *name = pst_class_name((enum pst_class)c);

		snprintf(label, sizeof(label), "reason=\"%s\"", name);
		row(rs, "quarantines", name, "postern_quarantines_total", label,
		    c ? NULL : "Quarantine decisions at login, once under each of their reasons' "
		    "classes", false, st->quarantines[c]);
	}
}

/* Posture reports, reloads, re-evaluations and the sessions ended. */
static void rows_control(struct gw_stat_list *rs, const struct gw_stats *st)
{
	char label[40];

	row(rs, "reports", "accepted", "postern_posture_reports_total", "result=\"accepted\"",
	    "Posture agent reports, by result", false, st->reports);
	row(rs, "reports", "refused", "postern_posture_reports_total", "result=\"refused\"",
	    NULL, false, st->reports_refused);
	row(rs, "reloads", "ok", "postern_reloads_total", "result=\"ok\"",
	    "Reloads of configuration, policy, inventory and CRL", false, st->reloads_ok);
	row(rs, "reloads", "failed", "postern_reloads_total", "result=\"failed\"", NULL, false,
	    st->reloads_failed);
	row(rs, NULL, "reevaluated", "postern_reevaluations_total", NULL,
	    "Live sessions moved to another verdict or profile", false, st->reevaluated);
	row(rs, NULL, "restarts", "postern_network_process_restarts_total", NULL,
	    "Network processes started again after a crash or a sandbox kill", false,
	    gw_supervise_restarts());
	row(rs, NULL, "worker_restarts", "postern_worker_restarts_total", NULL,
	    "Workers started again after their sandbox ended them (a forbidden system call)",
	    false, st->worker_restarts);
	row(rs, NULL, "resumed", "postern_sessions_resumed_total", NULL,
	    "Sessions taken back from the previous network process", false, st->resumed);
	for (int i = 0; i < GW_END_N; i++) {
		snprintf(label, sizeof(label), "reason=\"%s\"", end_keys[i]);
		row(rs, "sessions_ended", end_keys[i], "postern_sessions_ended_total", label,
		    i ? NULL : "Live sessions ended by the gateway or an operator", false,
		    st->ended[i]);
	}
}

/* The tunnel's payload, both ways. */
static void rows_traffic(struct gw_stat_list *rs, const struct gw_counters *t)
{
	rows_dropped(rs, t);
	row(rs, "bytes", "rx", "postern_bytes_total", "direction=\"rx\"",
	    "Tunnel payload bytes; rx is from the clients", false, t->rx_bytes);
	row(rs, "bytes", "tx", "postern_bytes_total", "direction=\"tx\"", NULL, false, t->tx_bytes);
	row(rs, "packets", "rx", "postern_packets_total", "direction=\"rx\"",
	    "Tunnel packets; rx is from the clients", false, t->rx_packets);
	row(rs, "packets", "tx", "postern_packets_total", "direction=\"tx\"", NULL, false,
	    t->tx_packets);
}

/*
 * Sessions, tunnels and the pools now. The pools' capacity and use are two
 * metrics (use / capacity is the fill ratio); posternctl stats has the four
 * numbers in its "pool" group.
 */
static void rows_gauges(struct gw_stat_list *rs, const struct gw_worker *w,
			const struct gw_gauges *g)
{
	static const char *const verdict_labels[3] = {
		"verdict=\"allow\"", "verdict=\"quarantine\"", "verdict=\"deny\"",
	};
	bool v6 = w->dp.have_pool6;

	for (int v = 0; v < 3; v++)
		row(rs, "sessions", pst_verdict_name((enum pst_verdict)v), "postern_sessions",
		    verdict_labels[v], v ? NULL : "Sessions now, by verdict", true, g->sessions[v]);
	row(rs, NULL, "tunnels", "postern_tunnels", NULL, "Tunnels now", true, g->tunnels);
	row(rs, "pool", "ipv4_size", "postern_pool_addresses", "family=\"ipv4\"",
	    "Addresses the pool can lease, by family", true, g->size4);
	if (v6)
		row(rs, "pool", "ipv6_size", "postern_pool_addresses", "family=\"ipv6\"", NULL,
		    true, g->size6);
	row(rs, "pool", "ipv4_used", "postern_pool_addresses_in_use", "family=\"ipv4\"",
	    "Pool addresses leased to sessions now, by family", true, g->used4);
	if (v6)
		row(rs, "pool", "ipv6_used", "postern_pool_addresses_in_use", "family=\"ipv6\"",
		    NULL, true, g->used6);
	gw_stat_add(rs, NULL, "uptime", NULL, NULL, NULL, GW_STAT_GAUGE,
		    (uint64_t)(time(NULL) - w->ctl.started));
}

size_t gw_stats_rows(const struct gw_worker *w, struct gw_stat_row *r, size_t cap)
{
	struct gw_stats sum;
	struct gw_stat_list rs = { r, 0, cap };
	struct gw_gauges g;

	gw_stats_gauges(w, &g);
	stats_sum(w, &sum);
	rows_connections(&rs, &sum);
	rows_refused(&rs, &sum);
	rows_decisions(&rs, &sum);
	rows_traffic(&rs, &sum.traffic);
	rows_control(&rs, &sum);
	rows_gauges(&rs, w, &g);
	gw_stats_dtls_rows(&rs, w, &g);
	gw_stats_pki_rows(&rs, w);
	gw_stats_metrics_rows(&rs, w, &sum);
	return rs.n;
}
