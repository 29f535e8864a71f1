/* SPDX-License-Identifier: MIT */
/*
 * The replies an OpenConnect client understands at its login (POST /, and
 * GET / for clients that fell back to the legacy non-XML mode) and at its
 * CONNECT /CSCOSSLC/tunnel: a session's cookie, or a refusal that reaches
 * the device owner. What a request does to sessions is login.c's.
 *
 * Client facts that shape these replies (see doc/protocol.md, sections 1, 4, 7):
 * - success is a 200 with a non-empty, length-delimited XML body holding
 *   <auth id="success"> and a webvpn cookie. Never a redirect, never 401
 *   with WWW-Authenticate. How a refusal reaches the device owner is
 *   explained at gw_auth_refuse().
 * - with a client certificate the client closes the connection after auth
 *   and sends CONNECT on a new one, carrying only the cookie; so the cookie
 *   is bound to the certificate and checked against it again at CONNECT
 *   when the client presents one (see auth_connect_identity for when not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gateway/auth.h"
#include "gateway/conn.h"
#include "gateway/events.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/refusal.h"
#include "gateway/token.h"

#define AUTH_XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<config-auth client=\"vpn\" type=\"complete\" aggregate-auth-version=\"2\">\n" \
	"<version who=\"sg\">postern</version>\n"

void gw_auth_reply(struct gw_conn *c, const char *extra_headers, const char *content_type,
		   const char *body)
{
	char resp[4096];
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 200 OK\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "X-Transcend-Version: 1\r\n"
			 "Cache-Control: no-store\r\n"
			 "%s\r\n%s",
			 content_type, strlen(body), extra_headers, body);

	if (n > 0 && (size_t)n < sizeof(resp))
		gw_conn_send(c, resp, (size_t)n);
	else
		gw_conn_close(c, "auth reply too large");
	OPENSSL_cleanse(resp, sizeof(resp));	/* it held the cookie */
}

void gw_auth_refused(struct gw_conn *c, enum gw_refusal r, const char *text)
{
	struct gw_event e = { .type = "refused", .peer = c->peer,
			      .device = c->id.device_id[0] ? c->id.device_id : NULL,
			      .reason = gw_refusal_words(r, text) };

	gw_peer_log(c->w, GW_LOG_INFO, "refused peer=%s device=%s: %s", c->peer,
		    gw_conn_device(c), e.reason);
	gw_stats_refused(c->w, r);
	gw_events_publish(c->w, &e);
}

/*
 * Refuses the device at the auth step. openconnect run with --no-passwd (as
 * unattended and MDM-deployed clients are) discards the text of an auth-form
 * error and only says "Asked for password", which would mislead a device
 * owner who never has a password. So the refusal is carried to the CONNECT
 * instead: the auth reply holds no session and a cookie that opens nothing,
 * and the CONNECT (which re-verifies the certificate) is answered with 503
 * and X-Reason, which every openconnect prints as "VPN service unavailable;
 * reason: ...". Nothing is granted at any point.
 */
void gw_auth_refuse(struct gw_conn *c, enum gw_refusal r)
{
	gw_auth_refused(c, r, NULL);
	gw_latency_observe(&c->w->stats.login, c->accepted_us);
	gw_auth_reply(c, "Set-Cookie: webvpn=refused; Secure; HttpOnly\r\n", "text/xml", AUTH_XML_HEAD
		   "<auth id=\"success\">\n<title>Postern</title>\n"
		   "<message>This device is refused; the reason follows.</message>\n"
		   "</auth>\n</config-auth>\n");
}

/*
 * Hands the device its session cookie. Every session gets this same reply,
 * a denied one too: openconnect with --no-passwd would not show an auth-form
 * error (see auth_refuse), so a denied session's CONNECT carries its reason.
 */
void gw_auth_session(struct gw_conn *c, const struct gw_session *s)
{
	char hex[2 * GW_COOKIE_LEN + 1], headers[256];

	gw_hex(s->cookie, GW_COOKIE_LEN, hex);
	snprintf(headers, sizeof(headers), "Set-Cookie: webvpn=%s; Secure; HttpOnly\r\n", hex);
	OPENSSL_cleanse(hex, sizeof(hex));
	gw_info("auth ok device=%s peer=%s group=%s ownership=%s serial=%s verdict=%s",
		c->id.device_id, c->peer, c->id.group,
		pst_ownership_name(c->id.ownership), c->id.serial,
		pst_verdict_name(s->verdict));
	c->w->stats.auth_ok++;
	gw_latency_observe(&c->w->stats.login, c->accepted_us);
	gw_auth_reply(c, headers, "text/xml", AUTH_XML_HEAD
		      "<auth id=\"success\">\n<title>Postern</title>\n</auth>\n</config-auth>\n");
	OPENSSL_cleanse(headers, sizeof(headers));
}

/* 401 makes openconnect stop retrying the cookie ("Cookie was rejected"). */
void gw_auth_connect_refuse(struct gw_conn *c, enum gw_refusal r)
{
	static const char resp[] = "HTTP/1.1 401 Cookie is not acceptable\r\n"
				   "Content-Length: 0\r\nConnection: close\r\n\r\n";

	gw_auth_refused(c, r, NULL);
	c->state = GW_CONN_CLOSING;
	gw_conn_send(c, resp, sizeof(resp) - 1);
}

/* 503 with X-Reason: openconnect prints the reason and gives up (see above).
 * text: a policy deny's own words, else NULL. */
void gw_auth_connect_deny(struct gw_conn *c, enum gw_refusal r, const char *text)
{
	char resp[512];
	int n = snprintf(resp, sizeof(resp), "HTTP/1.1 503 Service Unavailable\r\n"
			 "X-Reason: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			 gw_refusal_words(r, text));

	gw_auth_refused(c, r, text);
	c->state = GW_CONN_CLOSING;
	if (n > 0 && (size_t)n < sizeof(resp))
		gw_conn_send(c, resp, (size_t)n);
	else
		gw_conn_close(c, "refusal too long");
}

