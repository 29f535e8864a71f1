/* SPDX-License-Identifier: MIT */
/*
 * The DTLS channel of the sessions. gateway/dtls.c does the protocol and
 * knows nothing of sessions; this file gives it what it asks for (the live
 * session an App-ID names, with its key), and takes what it reports: a
 * channel up or down, and packets, which enter exactly the CSTP data path
 * (gw_tunnel_from_client: anti-spoofing, the profile filter, the gateway's
 * own addresses, the counters). Because that path reads the session's
 * profile at each packet, quarantine and a re-evaluation apply to DTLS as to
 * CSTP, and because a session's end (kick, revocation, denial, expiry,
 * supersession) forgets its channel (gw_tunnel_dtls_end), they end the
 * DTLS peer with it.
 *
 * An App-ID is looked up only for a ClientHello that echoed our cookie, so
 * the walk over the sessions below runs once per handshake, never per
 * packet. Control (DPD, keepalive, disconnect) stays on CSTP; the client's
 * DTLS DPD is answered inside dtls.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/number.h"
#include "gateway/channel.h"
#include "gateway/conn.h"
#include "gateway/dtls.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/tunnel.h"
#include "gateway/udp.h"

_Static_assert(GW_APP_ID_LEN == GW_DTLS_APP_ID_LEN, "model.h and dtls.h agree on the App-ID");
_Static_assert(GW_PSK_LEN == GW_DTLS_PSK_LEN, "model.h and dtls.h agree on the key");

static struct gw_session *channel_find(struct gw_worker *w, const uint8_t *app_id)
{
	for (struct gw_session *s = w->sess.sessions; s; s = s->next) {
		if (s->dtls_offered && s->conn && !memcmp(s->app_id, app_id, GW_APP_ID_LEN))
			return s;
	}
	return NULL;
}

static int channel_lookup(void *ctx, const uint8_t app_id[GW_DTLS_APP_ID_LEN],
			  struct gw_dtls_session_info *info)
{
	struct gw_session *s = channel_find(ctx, app_id);

	if (!s)
		return -ENOENT;
	info->sess = s;
	memcpy(info->key, s->dtls_key, sizeof(info->key));
	info->base_mtu = s->base_mtu;
	return 0;
}

static void channel_up(void *ctx, void *sess, struct gw_dtls_peer *p)
{
	struct gw_session *s = sess;
	char peer[GW_PEER_MAX] = "-";
	socklen_t len;
	const struct sockaddr *sa = gw_dtls_peer_addr(p, &len);

	(void)ctx;
	gw_peer_format(sa, peer, sizeof(peer));
	s->dtls_peer = p;
	s->dtls_active = true;
	gw_info("dtls up device=%s peer=%s mtu=%zu", s->id.device_id, peer, gw_dtls_peer_mtu(p));
}

static void channel_down(void *ctx, void *sess, struct gw_dtls_peer *p)
{
	struct gw_session *s = sess;

	(void)ctx;
	if (s->dtls_peer != p)
		return;		/* a handshake that never came up */
	s->dtls_peer = NULL;
	s->dtls_active = false;
	gw_info("dtls down device=%s: data goes over CSTP", s->id.device_id);
}

static void channel_data(void *ctx, void *sess, const uint8_t *pkt, size_t len)
{
	struct gw_worker *w = ctx;
	struct gw_session *s = sess;

	if (s->conn)
		s->conn->last_rx = w->now;	/* an authenticated record proves the client alive */
	if (s->dtls_peer)
		s->dtls_active = true;
	gw_tunnel_from_client(w, s, pkt, len);
}

static void channel_send(void *ctx, const struct sockaddr *to, socklen_t tolen,
			 const uint8_t *buf, size_t len)
{
	struct gw_worker *w = ctx;

	gw_udp_send(w->net.udp, to, tolen, buf, len);
}

static const struct gw_dtls_ops channel_ops = {
	.lookup = channel_lookup,
	.up = channel_up,
	.down = channel_down,
	.data = channel_data,
	.send = channel_send,
};

static uint16_t channel_port(const struct gw_worker *w)
{
	return (uint16_t)(conf_gateway_udp_port(w->pol.conf) + w->index);
}

int gw_channel_open(struct gw_worker *w)
{
	const struct gw_conf *conf = w->pol.conf;
	struct gw_dtls_config cfg = { .max_peers = 2 * conf->max_clients };
	char err[256];
	int ret;

	if (!conf->dtls)
		return 0;
	/* One port per worker: a client's datagrams reach the worker that
	 * holds its session with no steering and no hand-over. */
	ret = gw_udp_open(&w->net.udp, conf->listen, channel_port(w), &cfg, &channel_ops, w,
			  err, sizeof(err));
	if (ret < 0)
		gw_err("%s (set dtls = false to run without the DTLS channel)", err);
	return ret;
}

void gw_channel_close(struct gw_worker *w)
{
	gw_udp_close(w->net.udp);
	w->net.udp = NULL;
}

/* The client's link MTU, from which the DTLS MTU is derived; 0: not sent. */
static unsigned int channel_base_mtu(const struct gw_http_req *req)
{
	const struct gw_http_header *h = gw_http_header(req, "X-CSTP-Base-MTU");
	uint64_t v;

	if (!h || cm_number_parse_n(h->value, h->value_len, 576, 9000, &v) < 0)
		return 0;
	return (unsigned int)v;
}

static bool channel_asked(const struct gw_http_req *req)
{
	const struct gw_http_header *h = gw_http_header(req, "X-DTLS-CipherSuite");
	char suites[512];

	if (!h || h->value_len >= sizeof(suites))
		return false;
	memcpy(suites, h->value, h->value_len);
	suites[h->value_len] = '\0';
	return gw_dtls_client_offers_psk(suites);
}

void gw_channel_offer(struct gw_conn *c, struct gw_session *s, const struct gw_http_req *req,
		      char *buf, size_t len)
{
	struct gw_worker *w = c->w;
	const struct gw_conf *conf = w->pol.conf;
	struct gw_dtls_offer o = { .port = channel_port(w), .dpd = conf->dpd,
				   .keepalive = conf->keepalive };
	unsigned int mtu;

	buf[0] = '\0';
	gw_tunnel_dtls_end(w, s);
	if (!w->net.udp || !channel_asked(req))
		return;
	s->base_mtu = channel_base_mtu(req);
	mtu = gw_dtls_tunnel_mtu(s->base_mtu ? s->base_mtu : 1406, c->peer[0] == '[');
	o.mtu = mtu < conf->mtu ? mtu : conf->mtu;
	if (o.mtu < 576 || gw_dtls_app_id_new(s->app_id) < 0 ||
	    gw_dtls_psk_export(c->ssl, s->dtls_key) < 0) {
		OPENSSL_cleanse(s->dtls_key, sizeof(s->dtls_key));
		return;
	}
	memcpy(o.app_id, s->app_id, sizeof(o.app_id));
	if (gw_dtls_connect_headers(&o, buf, len) < 0) {
		OPENSSL_cleanse(s->dtls_key, sizeof(s->dtls_key));
		return;
	}
	s->dtls_offered = true;
}
