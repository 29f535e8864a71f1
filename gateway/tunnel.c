/* SPDX-License-Identifier: MIT */
/*
 * The CSTP data path: the CONNECT reply that opens a tunnel, frames from the
 * client (data into the TUN after the packet filter, DPD, keepalive,
 * disconnect), packets from the TUN to the session that leases their
 * destination, and the once-a-second liveness checks.
 *
 * Liveness: the client sends DPD requests and keepalives on its own, and we
 * ask for a DPD reply when we have heard nothing for `dpd` seconds. A peer
 * silent for 2 * dpd is dead: its session ends and its address returns to
 * the pool. A TCP connection that merely drops (EOF, reset) only detaches
 * the session, which keeps cookie and address for the client's reconnect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "gateway/conn.h"
#include "gateway/events.h"
#include "gateway/cstp.h"
#include "gateway/dtls.h"
#include "gateway/filter.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/tunnel.h"
#include "gateway/udp.h"

#define TUN_BATCH	64	/* packets per readiness event, so TLS peers get their turn */

static void format_mask4(unsigned int prefix, char *buf, size_t len)
{
	uint32_t m = prefix ? htonl(~0u << (32 - prefix)) : 0;

	inet_ntop(AF_INET, &m, buf, (socklen_t)len);
}

/*
 * One header line per split-include route, IPv4 as addr/netmask like ocserv:
 * under a policy the session's rule's profile and the quarantine profile
 * (gw_session_routes; the filter enforces the current one), else the
 * config's routes.
 */
static int connect_route(const struct conf_cidr *r, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
	int k;

	inet_ntop(r->family, r->addr.bytes, addr, sizeof(addr));
	if (r->family == AF_INET) {
		format_mask4(r->prefix, mask, sizeof(mask));
		k = snprintf(buf, len, "X-CSTP-Split-Include: %s/%s\r\n", addr, mask);
	} else {
		k = snprintf(buf, len, "X-CSTP-Split-Include-IP6: %s/%u\r\n", addr, r->prefix);
	}
	return k < 0 || (size_t)k >= len ? -ENOSPC : k;
}

/*
 * vpnc-script makes the tunnel the default route of a family that has an
 * address but no split-include: with only IPv6 networks routed (or none),
 * all of the device's IPv4 would go into the tunnel and be dropped, since
 * the routes are also the filter. The pool's own network (on the link
 * already, and closed to the filter) keeps it out. A full tunnel is asked
 * for explicitly, with 0.0.0.0/0.
 */
static int connect_route_guard(const struct gw_worker *w, const struct conf_cidr *routes,
			       size_t count, char *buf, size_t len)
{
	for (size_t i = 0; i < count; i++) {
		if (routes[i].family == AF_INET)
			return 0;
	}
	return connect_route(&w->dp.pool4.net, buf, len);
}

static int connect_routes(const struct gw_worker *w, const struct gw_session *s,
			  char *buf, size_t len)
{
	const struct conf_cidr *routes = s->routes ? s->routes : w->pol.conf->routes;
	size_t n = 0, count = s->routes ? s->n_routes : w->pol.conf->n_routes;
	int k;

	for (size_t i = 0; i < count; i++) {
		/* An IPv6 route is no use to a client without an IPv6 address. */
		if (routes[i].family == AF_INET6 && !s->lease.have_v6)
			continue;
		k = connect_route(&routes[i], buf + n, len - n);
		if (k < 0)
			return k;
		n += (size_t)k;
	}
	k = connect_route_guard(w, routes, count, buf + n, len - n);
	return k < 0 ? k : (int)(n + (size_t)k);
}

static int connect_addresses(const struct gw_worker *w, const struct gw_session *s,
			     char *buf, size_t len)
{
	char a4[INET_ADDRSTRLEN], m4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	int n;

	inet_ntop(AF_INET, &s->lease.v4, a4, sizeof(a4));
	format_mask4(w->dp.pool4.net.prefix, m4, sizeof(m4));
	n = snprintf(buf, len, "X-CSTP-Address: %s\r\nX-CSTP-Netmask: %s\r\n", a4, m4);
	if (s->lease.have_v6 && n > 0 && (size_t)n < len) {
		inet_ntop(AF_INET6, &s->lease.v6, a6, sizeof(a6));
		n += snprintf(buf + n, len - (size_t)n, "X-CSTP-Address-IP6: %s/%u\r\n",
			      a6, w->dp.pool6.net.prefix);
	}
	return n > 0 && (size_t)n < len ? n : -ENOSPC;
}

/*
 * X-CSTP-Banner, which the client %-decodes: everything but plain printable
 * characters is escaped, so a newline in the banner cannot end the header.
 * A banner too long for the reply is cut (marked "..."), never a reason to
 * refuse the tunnel.
 */
static int connect_banner(const struct gw_session *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char name[] = "X-CSTP-Banner: ", cut[] = "...\r\n";
	size_t n = sizeof(name) - 1;

	buf[0] = '\0';
	if (!s->banner)
		return 0;
	if (len < n + sizeof(cut) + 3)
		return -ENOSPC;
	memcpy(buf, name, n);
	for (const unsigned char *p = (const unsigned char *)s->banner; *p; p++) {
		if (n + 3 + sizeof(cut) > len) {
			memcpy(buf + n, cut, sizeof(cut));
			return (int)(n + sizeof(cut) - 1);
		}
		if (*p >= 0x20 && *p < 0x7f && *p != '%') {
			buf[n++] = (char)*p;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[*p >> 4];
			buf[n++] = hex[*p & 0xf];
		}
	}
	memcpy(buf + n, "\r\n", 3);
	return (int)(n + 2);
}

/*
 * The reply must start exactly "HTTP/1.1 200 ", header names are matched
 * case-sensitively, and it has no body: CSTP frames follow at once. It goes
 * out as one TLS record of its own, before any frame.
 */
static int connect_reply(struct gw_conn *c, const struct gw_session *s, const char *dtls)
{
	const struct gw_conf *conf = c->w->pol.conf;
	/* Sized for CONF_ROUTES_MAX IPv6 routes and a long quarantine banner,
	 * within one 16 KiB TLS record. */
	char addrs[256], routes[CONF_ROUTES_MAX * 80], idle[32], banner[3 * 2048], resp[15360];
	int na = connect_addresses(c->w, s, addrs, sizeof(addrs));
	int nr = connect_routes(c->w, s, routes, sizeof(routes));
	int nb = connect_banner(s, banner, sizeof(banner));
	int n;

	if (na < 0 || nr < 0 || nb < 0)
		return -ENOSPC;
	if (conf->idle_timeout)
		snprintf(idle, sizeof(idle), "%u", conf->idle_timeout);
	else
		snprintf(idle, sizeof(idle), "none");
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 200 CONNECTED\r\n"
		     "X-CSTP-Version: 1\r\n"
		     "X-CSTP-Server-Name: postern\r\n"
		     "%s%s%s"
		     "X-CSTP-DPD: %u\r\n"
		     "X-CSTP-Keepalive: %u\r\n"
		     "X-CSTP-Idle-Timeout: %s\r\n"
		     "X-CSTP-Disconnected-Timeout: %u\r\n"
		     "X-CSTP-Keep: true\r\n"
		     "X-CSTP-Tunnel-All-DNS: false\r\n"
		     "X-CSTP-Base-MTU: %u\r\n"
		     "X-CSTP-MTU: %u\r\n"
		     "%s"
		     "\r\n",
		     addrs, routes, banner, conf->dpd, conf->keepalive, idle, conf->cookie_timeout,
		     conf->mtu, conf->mtu, dtls);
	if (n < 0 || (size_t)n >= sizeof(resp))
		return -ENOSPC;
	return gw_conn_send(c, resp, (size_t)n);
}

/*
 * The tunnel is up (the sessions layer leased its addresses and linked it):
 * the CONNECT reply, then a DPD request right behind it. openconnect 9
 * configures the tunnel on the turn of its main loop after the one that gave
 * up on DTLS, and reaches that turn only when something wakes its poll: with
 * nothing to read it sleeps out its timeout, a whole second on every connect.
 * A frame sent with the reply is read on the first turn and wakes nothing;
 * so the client's answer to the DPD request (sent on that first turn) is
 * answered with a keepalive that arrives while it polls.
 */
int gw_tunnel_open(struct gw_conn *c, const struct gw_session *s, const char *dtls)
{
	struct gw_worker *w = c->w;
	char a4[INET_ADDRSTRLEN];

	c->state = GW_CONN_TUNNEL;
	gw_conn_source_release(c);
	c->last_rx = c->last_data = w->now;
	inet_ntop(AF_INET, &s->lease.v4, a4, sizeof(a4));
	gw_info("tunnel up device=%s peer=%s addr=%s (%s) verdict=%s profile=%s",
		s->id.device_id, c->peer, a4, s->connects > 1 ? "reconnect" : "new",
		pst_verdict_name(s->verdict), s->profile[0] ? s->profile : "-");
	gw_events_session(w, "tunnel-up", s, c->peer, s->connects > 1 ? "reconnect" : NULL);
	if (connect_reply(c, s, dtls) < 0)
		return -ENOSPC;
	c->dpd_sent = w->now;
	c->wake_client = true;
	gw_conn_send_frame(c, GW_CSTP_DPD_REQ, NULL, 0);
	return 0;
}

/*
 * Forgets the session's DTLS channel: its peers, App-ID and key. Data to
 * the client goes over CSTP until a new CONNECT offers a new channel.
 */
void gw_tunnel_dtls_end(struct gw_worker *w, struct gw_session *s)
{
	if (s->dtls_offered && w->net.udp)
		gw_dtls_session_end(gw_udp_dtls(w->net.udp), s->app_id);
	s->dtls_offered = false;
	s->dtls_active = false;
	s->dtls_peer = NULL;
	OPENSSL_cleanse(s->dtls_key, sizeof(s->dtls_key));
}

/* The connection is going away; the session stays for a reconnect (which
 * redoes DTLS with a key from its own TLS session). */
void gw_tunnel_detach(struct gw_conn *c, const char *why)
{
	struct gw_session *s = c->sess;
	char a4[INET_ADDRSTRLEN];

	if (!s)
		return;
	gw_tunnel_dtls_end(c->w, s);
	inet_ntop(AF_INET, &s->lease.v4, a4, sizeof(a4));
	gw_info("tunnel down device=%s peer=%s addr=%s: %s; rx=%llu tx=%llu spoofed=%llu "
		"outside=%llu", s->id.device_id, c->peer, a4, why ? why : "closed",
		(unsigned long long)s->counters.rx_bytes, (unsigned long long)s->counters.tx_bytes,
		(unsigned long long)s->counters.dropped_spoofed,
		(unsigned long long)s->counters.dropped_outside);
	gw_events_session(c->w, "tunnel-down", s, c->peer, why ? why : "closed");
	s->conn = NULL;
	s->detached = c->w->now;
	c->sess = NULL;
}

/* A well-formed packet's source or destination address, for a log line. */
static const char *packet_addr(const uint8_t *pkt, bool source)
{
	static __thread char buf[INET6_ADDRSTRLEN];
	bool v4 = pkt[0] >> 4 == 4;

	inet_ntop(v4 ? AF_INET : AF_INET6,
		  v4 ? pkt + (source ? 12 : 16) : pkt + (source ? 8 : 24), buf, sizeof(buf));
	return buf;
}

static void count_drop(struct gw_worker *w, struct gw_session *s, enum gw_filter_verdict v,
		       const uint8_t *pkt)
{
	if (v == GW_FILTER_MALFORMED) {
		s->counters.dropped_malformed++;
		w->stats.traffic.dropped_malformed++;
		return;
	}
	if (v == GW_FILTER_LATERAL) {
		s->counters.dropped_lateral++;
		w->stats.traffic.dropped_lateral++;
		if (!s->lateral_logged) {
			s->lateral_logged = true;
			gw_warn("dropped packet to %s, inside the VPN pool, device=%s "
				"(devices do not reach each other; further drops are counted)",
				packet_addr(pkt, false), s->id.device_id);
		}
		return;
	}
	if (v == GW_FILTER_GATEWAY) {
		s->counters.dropped_gateway++;
		w->stats.traffic.dropped_gateway++;
		if (!s->gateway_logged) {
			s->gateway_logged = true;
			gw_warn("dropped packet to %s, an address of the gateway itself, device=%s "
				"(no profile names it; further drops are counted)",
				packet_addr(pkt, false), s->id.device_id);
		}
		return;
	}
	if (v == GW_FILTER_OUTSIDE) {
		s->counters.dropped_outside++;
		w->stats.traffic.dropped_outside++;
		if (!s->outside_logged) {
			s->outside_logged = true;
			gw_warn("dropped packet to %s, outside %s%s, device=%s verdict=%s "
				"(further drops are counted)", packet_addr(pkt, false),
				s->profile[0] ? "profile " : "the configured routes", s->profile,
				s->id.device_id, pst_verdict_name(s->verdict));
		}
		return;
	}
	if (v != GW_FILTER_SPOOFED) {
		s->counters.dropped_unroutable++;
		w->stats.traffic.dropped_unroutable++;
		return;
	}
	s->counters.dropped_spoofed++;
	w->stats.traffic.dropped_spoofed++;
	/* Log once per session: a spoofing client must not flood the log. */
	if (!s->spoof_logged) {
		char a4[INET_ADDRSTRLEN];

		s->spoof_logged = true;
		inet_ntop(AF_INET, &s->lease.v4, a4, sizeof(a4));
		gw_warn("dropped packet with spoofed source %s device=%s addr=%s "
			"(further drops are counted, not logged)", packet_addr(pkt, true),
			s->id.device_id, a4);
	}
}

/*
 * One packet from the client, over CSTP or DTLS alike: the same filter
 * (anti-spoofing, the profile, the pools, the gateway's own addresses), the
 * same counters, then into the TUN.
 */
void gw_tunnel_from_client(struct gw_worker *w, struct gw_session *s, const uint8_t *pkt,
			   size_t len)
{
	/* Without a policy (or a profile), the configured routes are the filter. */
	struct gw_filter_allow allow = s->allow ? (struct gw_filter_allow){ s->allow, s->n_allow } :
				       (struct gw_filter_allow){ w->pol.conf->routes, w->pol.conf->n_routes };
	enum gw_filter_verdict v = gw_filter_from_client(&s->lease, &w->dp.pools, &allow, pkt, len);

	if (v != GW_FILTER_PASS)
		return count_drop(w, s, v, pkt);
	if (write(w->dp.tun.fd, pkt, len) != (ssize_t)len) {
		/* The TUN queue is full or the packet was refused: a router drops too. */
		s->counters.dropped_queue_full++;
		return;
	}
	if (s->conn)
		s->conn->last_data = w->now;
	s->counters.rx_packets++;
	s->counters.rx_bytes += len;
	w->stats.traffic.rx_packets++;
	w->stats.traffic.rx_bytes += len;
}

/*
 * Data on CSTP while the DTLS channel is up means the client stopped using
 * it (its DPD over UDP failed, say): answer on CSTP too, until data comes
 * over DTLS again (as ocserv does).
 */
static void tunnel_data(struct gw_conn *c, const struct gw_cstp_frame *f)
{
	c->sess->dtls_active = false;
	gw_tunnel_from_client(c->w, c->sess, f->payload, f->len);
}

enum gw_tunnel_action gw_tunnel_frame(struct gw_conn *c, const struct gw_cstp_frame *f,
				      const char **why)
{
	switch (f->type) {
	case GW_CSTP_DATA:
		tunnel_data(c, f);
		break;
	case GW_CSTP_DPD_REQ:
		gw_conn_send_frame(c, GW_CSTP_DPD_RESP, f->payload, f->len);
		break;
	case GW_CSTP_DISCONNECT:
		*why = "client disconnected";
		return GW_TUNNEL_END;
	case GW_CSTP_DPD_RESP:
		if (c->wake_client) {	/* see gw_tunnel_open */
			c->wake_client = false;
			gw_conn_send_frame(c, GW_CSTP_KEEPALIVE, NULL, 0);
		}
		break;
	default:
		/* Keepalives only prove liveness (last_rx). */
		break;
	}
	return GW_TUNNEL_OK;
}

/* Finds the session a packet from the TUN is addressed to. */
struct gw_session *gw_tunnel_session_of(struct gw_worker *w, const uint8_t *pkt, size_t len)
{
	uint32_t index;

	if (len >= 20 && pkt[0] >> 4 == 4) {
		if (gw_pool_index(&w->dp.pool4, pkt + 16, &index) == 0)
			return w->dp.by_v4[index];
	} else if (len >= 40 && pkt[0] >> 4 == 6 && w->dp.have_pool6) {
		if (gw_pool_index(&w->dp.pool6, pkt + 24, &index) == 0)
			return w->dp.by_v6[index];
	}
	return NULL;
}

/* Over DTLS when the channel is up and the packet fits its MTU, else CSTP. */
static void tunnel_to_client(struct gw_worker *w, const uint8_t *pkt, size_t len)
{
	struct gw_session *s = gw_tunnel_session_of(w, pkt, len);

	if (!s || !s->conn)
		return;
	if (s->dtls_active && gw_dtls_send(s->dtls_peer, GW_CSTP_DATA, pkt, len) == 0) {
		s->conn->last_data = w->now;
		s->counters.tx_packets++;
		s->counters.tx_bytes += len;
		w->stats.traffic.tx_packets++;
		w->stats.traffic.tx_bytes += len;
		return;
	}
	if (gw_conn_send_frame(s->conn, GW_CSTP_DATA, pkt, (uint16_t)len) < 0) {
		s->counters.dropped_queue_full++;
		w->stats.traffic.dropped_queue_full++;
		return;
	}
	if (s->conn)
		s->conn->last_data = w->now;
	s->counters.tx_packets++;
	s->counters.tx_bytes += len;
	w->stats.traffic.tx_packets++;
	w->stats.traffic.tx_bytes += len;
}

void gw_tunnel_from_tun(struct gw_worker *w)
{
	uint8_t pkt[GW_CSTP_MAX_PAYLOAD];

	for (int i = 0; i < TUN_BATCH; i++) {
		ssize_t n = read(w->dp.tun.fd, pkt, sizeof(pkt));

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				gw_err("reading %s: %s", w->dp.tun.name, strerror(errno));
			return;
		}
		if (n > 0)
			tunnel_to_client(w, pkt, (size_t)n);
	}
}

enum gw_tunnel_action gw_tunnel_tick(struct gw_conn *c, char *why, size_t whylen)
{
	struct gw_worker *w = c->w;
	const struct gw_conf *conf = w->pol.conf;

	if (w->now - c->last_rx >= 2 * (time_t)conf->dpd) {
		snprintf(why, whylen, "no traffic for %lld s (DPD timeout)",
			 (long long)(w->now - c->last_rx));
		return GW_TUNNEL_END;
	}
	if (conf->idle_timeout && w->now - c->last_data >= (time_t)conf->idle_timeout) {
		snprintf(why, whylen, "idle timeout");
		return GW_TUNNEL_END;
	}
	if (w->now - c->last_rx >= (time_t)conf->dpd && w->now - c->dpd_sent >= (time_t)conf->dpd) {
		c->dpd_sent = w->now;
		gw_conn_send_frame(c, GW_CSTP_DPD_REQ, NULL, 0);
	}
	return GW_TUNNEL_OK;
}

/*
 * Each condition of gw_tunnel_tick, as the second it becomes true: until
 * then the tick has nothing to do, so the worker need not call it. Traffic
 * only moves these later, and a tick that comes early re-arms. A new check
 * in gw_tunnel_tick needs its second here too.
 */
time_t gw_tunnel_next_tick(const struct gw_conn *c)
{
	const struct gw_conf *conf = c->w->pol.conf;
	time_t dpd = (time_t)conf->dpd;
	time_t at = c->last_rx + 2 * dpd;				/* DPD timeout */
	time_t probe = (c->last_rx > c->dpd_sent ? c->last_rx : c->dpd_sent) + dpd;

	if (probe < at)
		at = probe;						/* DPD request */
	if (conf->idle_timeout && c->last_data + (time_t)conf->idle_timeout < at)
		at = c->last_data + (time_t)conf->idle_timeout;		/* idle timeout */
	return at;
}
