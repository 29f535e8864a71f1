/* SPDX-License-Identifier: MIT */
/*
 * The gateway's counters, listed once: gw_stats_rows() names every counter
 * and gauge with its place in `posternctl stats --json` and its Prometheus
 * name, and the three outputs (JSON, text, Prometheus) are printed from
 * that one list, so they cannot disagree about what a number means.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/crl.h"
#include "gateway/dtls.h"
#include "gateway/json.h"
#include "gateway/model.h"
#include "gateway/refusal.h"
#include "gateway/stats.h"
#include "gateway/udp.h"

static const char *const end_keys[GW_END_N] = {
	[GW_END_KICKED] = "kicked",
	[GW_END_REVOKED] = "revoked",
	[GW_END_LOST] = "lost",
	[GW_END_POLICY] = "policy",
	[GW_END_EXPIRED] = "expired",
};

struct rows {
	struct gw_stat_row *r;
	size_t n, cap;
};

static void row(struct rows *rs, const char *group, const char *key, const char *metric,
		const char *label, const char *help, bool gauge, uint64_t value)
{
	if (rs->n < rs->cap)
		rs->r[rs->n++] = (struct gw_stat_row){ group, key, metric, label, help, gauge, value };
}

/* Times as gauges: a time before the epoch (or none) is 0. */
static uint64_t unix_time(time_t t)
{
	return t > 0 ? (uint64_t)t : 0;
}

/*
 * What an operator alerts on before devices are refused or revocations
 * stop biting: the CRL's dates, number and age, whether the file could
 * not replace the one in force, and when the certificates expire.
 */
static void pki_rows(struct rows *rs, const struct gw_worker *w)
{
	const struct gw_crl_meta *m = &w->pol.crl_meta;
	time_t now = time(NULL);

	row(rs, "crl", "last_update", "postern_crl_last_update_timestamp_seconds", NULL,
	    "lastUpdate of the CRL in force, in seconds since the epoch", true,
	    unix_time(m->last_update));
	row(rs, "crl", "next_update", "postern_crl_next_update_timestamp_seconds", NULL,
	    "nextUpdate of the CRL in force (0: none); past it every device is refused", true,
	    unix_time(m->next_update));
	row(rs, "crl", "age", "postern_crl_age_seconds", NULL,
	    "Seconds since the lastUpdate of the CRL in force", true,
	    m->loaded && now > m->last_update ? (uint64_t)(now - m->last_update) : 0);
	row(rs, "crl", "number", "postern_crl_number", NULL,
	    "CRL number of the CRL in force (0: none)", true, gw_crl_number_u64(m));
	row(rs, "crl", "stale", "postern_crl_stale", NULL,
	    "1 while the CRL file cannot replace the one in force (unreadable, bad, or older)",
	    true, w->pol.crl_problem[0] != '\0');
	row(rs, "crl", "reload_failures", "postern_crl_reload_failures_total", NULL,
	    "Times the CRL file could not replace the one in force", false,
	    w->stats.crl_reload_failures);
	row(rs, "certificate_expiry", "server", "postern_certificate_expiry_timestamp_seconds",
	    "cert=\"server\"", "notAfter of the certificate, in seconds since the epoch", true,
	    unix_time(w->pol.server_not_after));
	row(rs, "certificate_expiry", "ca", "postern_certificate_expiry_timestamp_seconds",
	    "cert=\"ca\"", NULL, true, unix_time(w->pol.ca_not_after));
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

static void dtls_sum(const struct gw_worker *w, struct gw_dtls_stats *d, struct gw_udp_stats *u,
		     uint64_t *peers)
{
	memset(d, 0, sizeof(*d));
	memset(u, 0, sizeof(*u));
	*peers = 0;
	for (unsigned int k = 0; k < gw_workers_n(w); k++) {
		const struct gw_worker *wk = gw_worker_at(w, k);
		struct gw_dtls_stats dk;
		struct gw_udp_stats uk;

		if (!wk->net.udp)
			continue;
		gw_dtls_get_stats(gw_udp_dtls(wk->net.udp), &dk);
		gw_udp_get_stats(wk->net.udp, &uk);
		for (size_t i = 0; i < sizeof(dk) / sizeof(uint64_t); i++)
			((uint64_t *)d)[i] += ((const uint64_t *)&dk)[i];
		for (size_t i = 0; i < sizeof(uk) / sizeof(uint64_t); i++)
			((uint64_t *)u)[i] += ((const uint64_t *)&uk)[i];
		*peers += gw_dtls_peer_count(gw_udp_dtls(wk->net.udp));
	}
}

/* The DTLS channel (none when dtls = false). */
static void dtls_rows(struct rows *rs, const struct gw_worker *w, const struct gw_gauges *g)
{
	struct gw_dtls_stats d;
	struct gw_udp_stats u;
	uint64_t peers;

	if (!w->net.udp)
		return;
	dtls_sum(w, &d, &u, &peers);
	row(rs, "dtls", "channels", "postern_dtls_channels", NULL,
	    "Tunnels whose data goes over DTLS now", true, g->dtls);
	row(rs, "dtls", "peers", "postern_dtls_peers", NULL,
	    "DTLS peers now, handshakes in progress included", true, peers);
	row(rs, "dtls", "handshakes", "postern_dtls_handshakes_total", "result=\"ok\"",
	    "DTLS handshakes, by result", false, d.handshakes);
	row(rs, "dtls", "handshake_failures", "postern_dtls_handshakes_total",
	    "result=\"failed\"", NULL, false, d.handshake_failures);
	row(rs, "dtls", "cookie_challenges", "postern_dtls_cookie_challenges_total", NULL,
	    "Stateless cookie challenges (HelloVerifyRequest) sent", false, d.hello_verify_sent);
	row(rs, "dtls", "roams", "postern_dtls_roams_total", NULL,
	    "DTLS peers that moved to a new source address", false, d.roams);
	row(rs, "dtls", "records_rx", "postern_dtls_records_total", "direction=\"rx\"",
	    "DTLS application records; rx is from the clients", false, d.rx_records);
	row(rs, "dtls", "records_tx", "postern_dtls_records_total", "direction=\"tx\"", NULL,
	    false, d.tx_records);
	row(rs, "dtls", "dropped_no_peer", "postern_dtls_dropped_datagrams_total",
	    "reason=\"no_peer\"", "Datagrams dropped on the UDP port, by reason", false,
	    d.dropped);
	row(rs, "dtls", "dropped_bad_cookie", "postern_dtls_dropped_datagrams_total",
	    "reason=\"bad_cookie\"", NULL, false, d.bad_cookie);
	row(rs, "dtls", "dropped_unknown_app_id", "postern_dtls_dropped_datagrams_total",
	    "reason=\"unknown_app_id\"", NULL, false, d.unknown_app_id);
	row(rs, "dtls", "dropped_peers_full", "postern_dtls_dropped_datagrams_total",
	    "reason=\"peers_full\"", NULL, false, d.peers_full);
	row(rs, "dtls", "dropped_bad_record", "postern_dtls_dropped_datagrams_total",
	    "reason=\"bad_record\"", NULL, false, d.bad_records);
	row(rs, "dtls", "dropped_truncated", "postern_dtls_dropped_datagrams_total",
	    "reason=\"truncated\"", NULL, false, u.rx_truncated);
	row(rs, "dtls", "send_errors", "postern_dtls_send_errors_total", NULL,
	    "Datagrams the kernel refused to send", false, u.tx_errors);
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
static void rows_dropped(struct rows *rs, const struct gw_counters *t)
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
static void rows_connections(struct rows *rs, const struct gw_stats *st)
{
	row(rs, NULL, "accepted", "postern_connections_accepted_total", NULL,
	    "TCP connections accepted", false, st->accepted);
	row(rs, NULL, "handshakes", "postern_handshakes_total", NULL,
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

size_t gw_stats_rows(const struct gw_worker *w, struct gw_stat_row *r, size_t cap)
{
	static const char *const verdict_labels[3] = {
		"verdict=\"allow\"", "verdict=\"quarantine\"", "verdict=\"deny\"",
	};
	static char ref_labels[GW_REF_COUNTERS][48], end_labels[GW_END_N][40];
	struct gw_stats sum;
	const struct gw_stats *st = &sum;
	const struct gw_counters *t = &st->traffic;
	struct rows rs = { r, 0, cap };
	struct gw_gauges g;

	for (int i = GW_REF_NONE + 1; i < GW_REF_COUNTERS; i++)
		snprintf(ref_labels[i], sizeof(ref_labels[i]), "reason=\"%s\"", gw_refusal_key((enum gw_refusal)i));
	for (int i = 0; i < GW_END_N; i++)
		snprintf(end_labels[i], sizeof(end_labels[i]), "reason=\"%s\"", end_keys[i]);
	gw_stats_gauges(w, &g);
	stats_sum(w, &sum);

	rows_connections(&rs, st);
	for (int i = GW_REF_NONE + 1; i < GW_REF_COUNTERS; i++)
		row(&rs, "refused", gw_refusal_key((enum gw_refusal)i), "postern_refusals_total", ref_labels[i],
		    i > GW_REF_NONE + 1 ? NULL : "Requests refused, by reason", false,
		    st->refused_by[i]);
	for (int v = 0; v < 3; v++)
		row(&rs, "decisions", pst_verdict_name((enum pst_verdict)v), "postern_decisions_total",
		    verdict_labels[v], v ? NULL : "Posture decisions at login, by verdict", false,
		    st->decisions[v]);
	rows_dropped(&rs, t);
	row(&rs, "bytes", "rx", "postern_bytes_total", "direction=\"rx\"",
	    "Tunnel payload bytes; rx is from the clients", false, t->rx_bytes);
	row(&rs, "bytes", "tx", "postern_bytes_total", "direction=\"tx\"", NULL, false, t->tx_bytes);
	row(&rs, "packets", "rx", "postern_packets_total", "direction=\"rx\"",
	    "Tunnel packets; rx is from the clients", false, t->rx_packets);
	row(&rs, "packets", "tx", "postern_packets_total", "direction=\"tx\"", NULL, false,
	    t->tx_packets);
	row(&rs, "reports", "accepted", "postern_posture_reports_total", "result=\"accepted\"",
	    "Posture agent reports, by result", false, st->reports);
	row(&rs, "reports", "refused", "postern_posture_reports_total", "result=\"refused\"",
	    NULL, false, st->reports_refused);
	row(&rs, "reloads", "ok", "postern_reloads_total", "result=\"ok\"",
	    "Reloads of configuration, policy, inventory and CRL", false, st->reloads_ok);
	row(&rs, "reloads", "failed", "postern_reloads_total", "result=\"failed\"", NULL, false,
	    st->reloads_failed);
	row(&rs, NULL, "reevaluated", "postern_reevaluations_total", NULL,
	    "Live sessions moved to another verdict or profile", false, st->reevaluated);
	for (int i = 0; i < GW_END_N; i++)
		row(&rs, "sessions_ended", end_keys[i], "postern_sessions_ended_total", end_labels[i],
		    i ? NULL : "Live sessions ended by the gateway or an operator", false,
		    st->ended[i]);
	for (int v = 0; v < 3; v++)
		row(&rs, "sessions", pst_verdict_name((enum pst_verdict)v), "postern_sessions",
		    verdict_labels[v], v ? NULL : "Sessions now, by verdict", true, g.sessions[v]);
	row(&rs, NULL, "tunnels", "postern_tunnels", NULL, "Tunnels now", true, g.tunnels);
	row(&rs, "pool", "ipv4_used", "postern_pool_addresses", "family=\"ipv4\",state=\"used\"",
	    "Leasable pool addresses", true, g.used4);
	row(&rs, "pool", "ipv4_size", "postern_pool_addresses", "family=\"ipv4\",state=\"size\"",
	    NULL, true, g.size4);
	if (w->dp.have_pool6) {
		row(&rs, "pool", "ipv6_used", "postern_pool_addresses",
		    "family=\"ipv6\",state=\"used\"", NULL, true, g.used6);
		row(&rs, "pool", "ipv6_size", "postern_pool_addresses",
		    "family=\"ipv6\",state=\"size\"", NULL, true, g.size6);
	}
	row(&rs, NULL, "uptime", "postern_uptime_seconds", NULL, "Seconds since start", true,
	    (uint64_t)(time(NULL) - w->ctl.started));
	dtls_rows(&rs, w, &g);
	pki_rows(&rs, w);
	return rs.n;
}

void gw_stats_json(const struct gw_worker *w, FILE *f)
{
	struct gw_stat_row r[GW_STAT_ROWS_MAX];
	size_t n = gw_stats_rows(w, r, GW_STAT_ROWS_MAX);
	const char *open = NULL;
	bool first = true, inner = true;

	fputc('{', f);
	for (size_t i = 0; i < n; i++) {
		if (open && (!r[i].group || strcmp(open, r[i].group))) {
			fputc('}', f);
			open = NULL;
		}
		if (r[i].group && !open) {
			gw_json_key(f, &first, r[i].group);
			fputc('{', f);
			open = r[i].group;
			inner = true;
		}
		gw_json_key(f, open ? &inner : &first, r[i].key);
		fprintf(f, "%llu", (unsigned long long)r[i].value);
	}
	fputs(open ? "}}\n" : "}\n", f);
}

void gw_stats_text(const struct gw_worker *w, FILE *f)
{
	struct gw_stat_row r[GW_STAT_ROWS_MAX];
	size_t n = gw_stats_rows(w, r, GW_STAT_ROWS_MAX);
	char name[64];

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%s%s", r[i].group ? r[i].group : "",
			 r[i].group ? "." : "", r[i].key);
		fprintf(f, "%-28s %llu\n", name, (unsigned long long)r[i].value);
	}
}

void gw_stats_prometheus(const struct gw_worker *w, FILE *f)
{
	struct gw_stat_row r[GW_STAT_ROWS_MAX];
	size_t n = gw_stats_rows(w, r, GW_STAT_ROWS_MAX);

	for (size_t i = 0; i < n; i++) {
		if (r[i].help)
			fprintf(f, "# HELP %s %s.\n# TYPE %s %s\n", r[i].metric, r[i].help,
				r[i].metric, r[i].gauge ? "gauge" : "counter");
		fprintf(f, "%s%s%s%s %llu\n", r[i].metric, r[i].label ? "{" : "",
			r[i].label ? r[i].label : "", r[i].label ? "}" : "",
			(unsigned long long)r[i].value);
	}
}
