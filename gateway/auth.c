/* SPDX-License-Identifier: MIT */
/*
 * The HTTP endpoints an OpenConnect client uses: certificate-only
 * authentication (POST /, and GET / for clients that fell back to the legacy
 * non-XML mode), with the posture check in between when a policy asks for
 * the agent (scan.c, verdict.c), and CONNECT /CSCOSSLC/tunnel.
 *
 * Client facts that shape these replies (see doc/protocol.md, sections 1, 4, 7):
 * - success is a 200 with a non-empty, length-delimited XML body holding
 *   <auth id="success"> and a webvpn cookie. Never a redirect, never 401
 *   with WWW-Authenticate. How a refusal reaches the device owner is
 *   explained at auth_refuse().
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
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/refusal.h"
#include "gateway/scan.h"
#include "gateway/session.h"
#include "gateway/token.h"
#include "gateway/tunnel.h"
#include "gateway/verdict.h"
#include "posture/inventory.h"

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
	gw_peer_log(c->w, GW_LOG_INFO, "refused peer=%s device=%s: %s", c->peer,
		    gw_conn_device(c), gw_refusal_words(r, text));
	gw_stats_refused(c->w, r);
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
static void auth_refuse(struct gw_conn *c, enum gw_refusal r)
{
	gw_auth_refused(c, r, NULL);
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
	gw_auth_reply(c, headers, "text/xml", AUTH_XML_HEAD
		      "<auth id=\"success\">\n<title>Postern</title>\n</auth>\n</config-auth>\n");
	OPENSSL_cleanse(headers, sizeof(headers));
}

/*
 * Whether to send the host-scan challenge: decided from what is known
 * before any report, the certificate's group and ownership, the platform
 * the client announces and the MDM's record, by the first rule that fits
 * (laptops may run the agent where phones do not).
 */
static bool auth_wants_agent(struct gw_conn *c, const struct gw_http_req *req,
			     const uint8_t *body)
{
	struct gw_worker *w = c->w;
	struct pst_facts *facts = malloc(sizeof(*facts));
	struct pst_subject subj = { .device_id = c->id.device_id, .group = c->id.group,
				    .ownership = c->id.ownership };
	time_t now = time(NULL);
	bool wants;

	if (!facts)	/* fail closed: the agent's report is the stricter path */
		return true;
	pst_facts_init(facts);
	gw_client_facts(req, body, now, facts);
	pst_inventory_facts(w->pol.inventory, c->id.device_id, now, w->pol.policy->max_inventory_age,
			    facts);
	wants = pst_policy_wants_agent(w->pol.policy, &subj, facts);
	free(facts);
	return wants;
}

/*
 * A login: the first one under a policy that requires the agent gets the
 * host-scan challenge; the one that follows the scan carries its token
 * (the sdesktop cookie) and gets the decision.
 */
static void auth_login(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body)
{
	struct gw_worker *w = c->w;
	struct gw_scan *sc;
	const char *token;
	size_t len;

	if (!c->cert_ok)
		return auth_refuse(c, c->cert_refusal);
	if (gw_http_cookie(req, "sdesktop", &token, &len) == 0) {
		sc = gw_scan_find(w, token, len);
		if (!sc)
			return gw_verdict_refuse(c, GW_REF_POSTURE_CHECK);
		if (CRYPTO_memcmp(sc->id.fingerprint, c->id.fingerprint, PST_FINGERPRINT_LEN) != 0)
			return gw_verdict_refuse(c, GW_REF_POSTURE_OTHER_DEVICE);
		gw_verdict_login(c, req, body, sc);
		return gw_scan_end(w, sc);
	}
	if (w->pol.policy && auth_wants_agent(c, req, body)) {
		/* The certificate is good: the reason travels with a session. */
		if (gw_scan_new(w, &c->id, &sc) < 0)
			return gw_verdict_refuse(c, GW_REF_RESOURCES);
		return gw_scan_challenge(c, sc);
	}
	gw_verdict_login(c, req, body, NULL);
}

/* 401 makes openconnect stop retrying the cookie ("Cookie was rejected"). */
static void auth_connect_refuse(struct gw_conn *c, enum gw_refusal r)
{
	static const char resp[] = "HTTP/1.1 401 Cookie is not acceptable\r\n"
				   "Content-Length: 0\r\nConnection: close\r\n\r\n";

	gw_auth_refused(c, r, NULL);
	c->state = GW_CONN_CLOSING;
	gw_conn_send(c, resp, sizeof(resp) - 1);
}

/* 503 with X-Reason: openconnect prints the reason and gives up (see above).
 * text: a policy deny's own words, else NULL. */
static void auth_connect_deny(struct gw_conn *c, enum gw_refusal r, const char *text)
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

/*
 * Who the CONNECT is from. With a certificate, it must be the one the cookie
 * was issued to. Without one (NetworkManager's service runs `openconnect
 * --cookie-on-stdin` with the cookie its auth dialog got using the device
 * certificate), the cookie stands for that authentication: it is 256 secret
 * bits bound to a certificate that was verified and judged at login, and the
 * session ends when that certificate is revoked or expires. A certificate
 * that was presented and refused is never bypassed by a cookie.
 */
static enum gw_refusal auth_connect_identity(struct gw_conn *c, const struct gw_session *s)
{
	if (c->cert_ok)
		return CRYPTO_memcmp(s->id.fingerprint, c->id.fingerprint,
				     PST_FINGERPRINT_LEN) != 0 ?
			       GW_REF_COOKIE_OTHER_CERT : GW_REF_NONE;
	if (s->id.not_after && time(NULL) >= s->id.not_after)
		return GW_REF_COOKIE_CERT_EXPIRED;
	c->id = s->id;
	gw_info("cookie-only CONNECT device=%s peer=%s (no certificate presented; the cookie "
		"was issued to serial %s)", s->id.device_id, c->peer, s->id.serial);
	return GW_REF_NONE;
}

static bool auth_cookie_wellformed(const char *cookie, size_t len)
{
	uint8_t tmp[GW_COOKIE_LEN];
	bool ok = gw_cookie_parse(cookie, len, tmp) == 0;

	OPENSSL_cleanse(tmp, sizeof(tmp));
	return ok;
}

static void auth_connect(struct gw_conn *c, const struct gw_http_req *req)
{
	const char *cookie;
	size_t len;
	struct gw_session *s;
	enum gw_refusal why;

	if (!c->cert_ok && !c->cert_absent)
		return auth_connect_deny(c, c->cert_refusal, NULL);
	if (gw_http_cookie(req, "webvpn", &cookie, &len) < 0)
		return c->cert_ok ? auth_connect_refuse(c, GW_REF_COOKIE_NONE) :
				    auth_connect_deny(c, c->cert_refusal, NULL);
	/* No certificate and no cookie of ours (the "refused" placeholder of
	 * auth_refuse): the device is told what it lacks. */
	if (!c->cert_ok && !auth_cookie_wellformed(cookie, len))
		return auth_connect_deny(c, c->cert_refusal, NULL);
	s = gw_session_find(c->w, cookie, len);
	if (!s)
		return auth_connect_refuse(c, c->cert_ok ? GW_REF_COOKIE :
					   GW_REF_COOKIE_UNKNOWN_NO_CERT);
	why = auth_connect_identity(c, s);
	if (why != GW_REF_NONE)
		return auth_connect_refuse(c, why);
	if (s->verdict == PST_DENY) {
		auth_connect_deny(c, s->refusal, s->deny_reason);
		return gw_session_end(c->w, s, "denied: the device was told why");
	}
	gw_tunnel_attach(c, s);
}

void gw_auth_request(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body)
{
	c->deadline = c->w->now + GW_HTTP_IDLE_TIMEOUT;
	if (req->method == GW_HTTP_CONNECT) {
		if (gw_http_target_is(req, "/CSCOSSLC/tunnel"))
			return auth_connect(c, req);
		return gw_conn_reject(c, 404, "Not Found", "CONNECT to an unknown target");
	}
	if (gw_http_target_is(req, "/"))
		return auth_login(c, req, body);
	if (gw_scan_request(c, req, body))
		return;
	gw_conn_reject(c, 404, "Not Found", "request for an unknown page");
}
