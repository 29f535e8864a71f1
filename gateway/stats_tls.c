/* SPDX-License-Identifier: MIT */
/*
 * The rows of the secure channels (see stats.c): the DTLS channel's
 * counters, added up over the workers' UDP ports, and what an operator
 * alerts on before devices are refused: the CRL in force and the
 * certificates' expiry.
 */
#include <string.h>
#include <time.h>

#include "gateway/crl.h"
#include "gateway/dtls.h"
#include "gateway/model.h"
#include "gateway/stats.h"
#include "gateway/udp.h"

/* A row in both outputs. */
static void row(struct gw_stat_list *rs, const char *group, const char *key, const char *metric,
		const char *label, const char *help, bool gauge, uint64_t value)
{
	gw_stat_add(rs, group, key, metric, label, help, gauge ? GW_STAT_GAUGE : GW_STAT_COUNTER,
		    value);
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
void gw_stats_dtls_rows(struct gw_stat_list *rs, const struct gw_worker *w,
			const struct gw_gauges *g)
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
void gw_stats_pki_rows(struct gw_stat_list *rs, const struct gw_worker *w)
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
	row(rs, "certificate_expiry", "server",
	    "postern_server_certificate_expiry_timestamp_seconds", NULL,
	    "notAfter of the gateway's TLS certificate, in seconds since the epoch", true,
	    unix_time(w->pol.server_not_after));
	row(rs, "certificate_expiry", "ca", "postern_ca_certificate_expiry_timestamp_seconds",
	    NULL, "notAfter of the device CA's certificate, in seconds since the epoch", true,
	    unix_time(w->pol.ca_not_after));
}
