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

#include "gateway/gateway.h"

#define NOT_CLIENT "certificate is not a device (client) certificate"

/*
 * Every refusal: the counter it is counted under, that counter's key (the
 * stats key and the metric's reason label, on the counters' own rows) and
 * the words the device is told (X-Reason) and the log says. A client quirk
 * shapes some words: openconnect prints them after "reason: ".
 */
static const struct {
	enum gw_refusal counter;
	const char *key;
	const char *words;
} refusals[GW_REF_N] = {
	[GW_REF_NONE] = { GW_REF_BAD_CERTIFICATE, NULL, "device certificate rejected" },
	[GW_REF_REVOKED] = { GW_REF_REVOKED, "revoked", "device certificate has been revoked" },
	[GW_REF_EXPIRED] = { GW_REF_EXPIRED, "expired", "device certificate has expired" },
	[GW_REF_NOT_YET_VALID] = { GW_REF_NOT_YET_VALID, "not_yet_valid",
				   "device certificate is not yet valid" },
	[GW_REF_UNKNOWN_CA] = { GW_REF_UNKNOWN_CA, "unknown_ca",
				"device certificate was not issued by this gateway's CA" },
	[GW_REF_CRL_OUT_OF_DATE] = { GW_REF_CRL_OUT_OF_DATE, "crl_out_of_date",
				     "the gateway's revocation list is out of date; contact IT" },
	[GW_REF_NOT_CLIENT_CERT] = { GW_REF_NOT_CLIENT_CERT, "not_client_cert", NOT_CLIENT },
	[GW_REF_NO_CERTIFICATE] = { GW_REF_NO_CERTIFICATE, "no_certificate",
				    "a device certificate is required" },
	[GW_REF_BAD_CERTIFICATE] = { GW_REF_BAD_CERTIFICATE, "bad_certificate",
				     "device certificate rejected" },
	[GW_REF_POLICY_DENY] = { GW_REF_POLICY_DENY, "policy_deny", "denied by the posture policy" },
	[GW_REF_POOL_EXHAUSTED] = { GW_REF_POOL_EXHAUSTED, "pool_exhausted",
				    "the VPN address pool is exhausted; try again later" },
	[GW_REF_RESOURCES] = { GW_REF_RESOURCES, "resources",
			       "the gateway is out of resources; try again later" },
	[GW_REF_COOKIE] = { GW_REF_COOKIE, "cookie", "CONNECT with an unknown or expired cookie" },
	[GW_REF_POSTURE_CHECK] = { GW_REF_POSTURE_CHECK, "posture_check",
				   "the posture check expired or was already used; connect again" },
	[GW_REF_CERT_IS_CA] = { GW_REF_NOT_CLIENT_CERT, NULL,
				NOT_CLIENT ": it is a CA certificate (basicConstraints CA:TRUE)" },
	[GW_REF_CERT_NO_EKU] = { GW_REF_NOT_CLIENT_CERT, NULL, NOT_CLIENT
				 ": it has no extended key usage (clientAuth is required)" },
	[GW_REF_CERT_EKU_NOT_CLIENT] = { GW_REF_NOT_CLIENT_CERT, NULL, NOT_CLIENT
					 ": its extended key usage does not include clientAuth" },
	[GW_REF_CERT_BAD_EXTENSIONS] = { GW_REF_NOT_CLIENT_CERT, NULL,
					 NOT_CLIENT ": its extensions cannot be read" },
	[GW_REF_NO_DEVICE_NAME] = { GW_REF_BAD_CERTIFICATE, NULL,
				    "certificate does not name a device (no urn:postern:device)" },
	[GW_REF_COOKIE_NONE] = { GW_REF_COOKIE, NULL, "CONNECT without a session cookie" },
	[GW_REF_COOKIE_UNKNOWN_NO_CERT] = { GW_REF_COOKIE, NULL, "CONNECT with an unknown or "
					    "expired cookie and no certificate" },
	[GW_REF_COOKIE_OTHER_CERT] = { GW_REF_COOKIE, NULL,
				       "CONNECT with a cookie issued to another certificate" },
	[GW_REF_COOKIE_CERT_EXPIRED] = { GW_REF_COOKIE, NULL, "CONNECT with a cookie whose "
					 "device certificate has expired" },
	[GW_REF_POSTURE_OTHER_DEVICE] = { GW_REF_POSTURE_CHECK, NULL,
					  "the posture check belongs to another device" },
};

/* Out of range reads as no refusal recorded: a bad certificate (fail closed). */
static enum gw_refusal refusal_valid(enum gw_refusal r)
{
	return (unsigned int)r < GW_REF_N ? r : GW_REF_NONE;
}

const char *gw_refusal_words(enum gw_refusal r, const char *text)
{
	return text ? text : refusals[refusal_valid(r)].words;
}

enum gw_refusal gw_refusal_counter(enum gw_refusal r)
{
	return refusals[refusal_valid(r)].counter;
}

const char *gw_refusal_key(enum gw_refusal r)
{
	return refusals[gw_refusal_counter(r)].key;
}

void gw_stats_refused(struct gw_worker *w, enum gw_refusal r)
{
	w->stats.refused++;
	w->stats.refused_by[gw_refusal_counter(r)]++;
}

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
	const struct gw_crl_meta *m = &w->crl_meta;
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
	    true, w->crl_problem[0] != '\0');
	row(rs, "crl", "reload_failures", "postern_crl_reload_failures_total", NULL,
	    "Times the CRL file could not replace the one in force", false,
	    w->stats.crl_reload_failures);
	row(rs, "certificate_expiry", "server", "postern_certificate_expiry_timestamp_seconds",
	    "cert=\"server\"", "notAfter of the certificate, in seconds since the epoch", true,
	    unix_time(w->server_not_after));
	row(rs, "certificate_expiry", "ca", "postern_certificate_expiry_timestamp_seconds",
	    "cert=\"ca\"", NULL, true, unix_time(w->ca_not_after));
}

void gw_stats_gauges(const struct gw_worker *w, struct gw_gauges *g)
{
	memset(g, 0, sizeof(*g));
	for (const struct gw_session *s = w->sessions; s; s = s->next) {
		g->sessions[s->verdict]++;
		g->tunnels += s->conn != NULL;
		g->used4 += s->lease.have_v4;
		g->used6 += s->lease.have_v6;
	}
	g->size4 = g->used4 + w->pool4.n_free;
	if (w->have_pool6)
		g->size6 = g->used6 + w->pool6.n_free;
}

size_t gw_stats_rows(const struct gw_worker *w, struct gw_stat_row *r, size_t cap)
{
	static const char *const verdict_labels[3] = {
		"verdict=\"allow\"", "verdict=\"quarantine\"", "verdict=\"deny\"",
	};
	static char ref_labels[GW_REF_COUNTERS][48], end_labels[GW_END_N][40];
	const struct gw_stats *st = &w->stats;
	const struct gw_counters *t = &st->traffic;
	struct rows rs = { r, 0, cap };
	struct gw_gauges g;

	for (int i = GW_REF_NONE + 1; i < GW_REF_COUNTERS; i++)
		snprintf(ref_labels[i], sizeof(ref_labels[i]), "reason=\"%s\"", refusals[i].key);
	for (int i = 0; i < GW_END_N; i++)
		snprintf(end_labels[i], sizeof(end_labels[i]), "reason=\"%s\"", end_keys[i]);
	gw_stats_gauges(w, &g);

	row(&rs, NULL, "accepted", "postern_connections_accepted_total", NULL,
	    "TCP connections accepted", false, st->accepted);
	row(&rs, NULL, "handshakes", "postern_handshakes_total", NULL,
	    "TLS handshakes completed", false, st->handshakes);
	for (int i = GW_REF_NONE + 1; i < GW_REF_COUNTERS; i++)
		row(&rs, "refused", refusals[i].key, "postern_refusals_total", ref_labels[i],
		    i > GW_REF_NONE + 1 ? NULL : "Requests refused, by reason", false,
		    st->refused_by[i]);
	for (int v = 0; v < 3; v++)
		row(&rs, "decisions", pst_verdict_name((enum pst_verdict)v), "postern_decisions_total",
		    verdict_labels[v], v ? NULL : "Posture decisions at login, by verdict", false,
		    st->decisions[v]);
	row(&rs, "dropped", "spoofed", "postern_dropped_packets_total", "reason=\"spoofed\"",
	    "Client packets dropped, by reason", false, t->dropped_spoofed);
	row(&rs, "dropped", "outside_profile", "postern_dropped_packets_total",
	    "reason=\"outside_profile\"", NULL, false, t->dropped_outside);
	row(&rs, "dropped", "lateral", "postern_dropped_packets_total", "reason=\"lateral\"",
	    NULL, false, t->dropped_lateral);
	row(&rs, "dropped", "gateway", "postern_dropped_packets_total", "reason=\"gateway\"",
	    NULL, false, t->dropped_gateway);
	row(&rs, "dropped", "unroutable", "postern_dropped_packets_total", "reason=\"unroutable\"",
	    NULL, false, t->dropped_unroutable);
	row(&rs, "dropped", "malformed", "postern_dropped_packets_total", "reason=\"malformed\"",
	    NULL, false, t->dropped_malformed);
	row(&rs, "dropped", "queue_full", "postern_dropped_packets_total", "reason=\"queue_full\"",
	    NULL, false, t->dropped_queue_full);
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
	if (w->have_pool6) {
		row(&rs, "pool", "ipv6_used", "postern_pool_addresses",
		    "family=\"ipv6\",state=\"used\"", NULL, true, g.used6);
		row(&rs, "pool", "ipv6_size", "postern_pool_addresses",
		    "family=\"ipv6\",state=\"size\"", NULL, true, g.size6);
	}
	row(&rs, NULL, "uptime", "postern_uptime_seconds", NULL, "Seconds since start", true,
	    (uint64_t)(time(NULL) - w->started));
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
