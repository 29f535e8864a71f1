/* SPDX-License-Identifier: MIT */
/*
 * What a login and a CONNECT do: the requests an OpenConnect client makes,
 * routed to the host-scan exchange (scan.c), the posture decision
 * (verdict.c) or the session whose tunnel opens (session.c), with the
 * replies auth.c builds.
 *
 * The first login under a policy that requires the agent gets the host-scan
 * challenge; the one after the scan carries its token (the sdesktop cookie)
 * and gets the decision. The CONNECT carries the session cookie: with a
 * certificate it must be the one the cookie was issued to; without one
 * (NetworkManager's service runs `openconnect --cookie-on-stdin` with the
 * cookie its auth dialog got with the device certificate) the cookie stands
 * for that authentication.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "gateway/auth.h"
#include "gateway/ban.h"
#include "gateway/conn.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/login.h"
#include "gateway/model.h"
#include "gateway/refusal.h"
#include "gateway/scan.h"
#include "gateway/session.h"
#include "gateway/token.h"
#include "gateway/verdict.h"
#include "posture/inventory.h"

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
 * (the sdesktop cookie) and gets the decision. A banned device gets neither.
 */
static void auth_login(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body)
{
	struct gw_worker *w = c->w;
	const struct gw_ban *ban;
	struct gw_scan *sc;
	const char *token;
	size_t len;

	if (!c->cert_ok)
		return gw_auth_refuse(c, c->cert_refusal);
	ban = gw_ban_find(w, c->id.device_id, time(NULL));
	if (ban)
		return gw_ban_refuse(c, ban);
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


static void auth_connect(struct gw_conn *c, const struct gw_http_req *req)
{
	const char *cookie;
	size_t len;
	struct gw_session *s;
	enum gw_refusal why;

	if (!c->cert_ok && !c->cert_absent)
		return gw_auth_connect_deny(c, c->cert_refusal, NULL);
	if (gw_http_cookie(req, "webvpn", &cookie, &len) < 0)
		return c->cert_ok ? gw_auth_connect_refuse(c, GW_REF_COOKIE_NONE) :
				    gw_auth_connect_deny(c, c->cert_refusal, NULL);
	/* No certificate and no cookie of ours (the "refused" placeholder of
	 * auth_refuse): the device is told what it lacks. */
	if (!c->cert_ok && !gw_cookie_wellformed(cookie, len))
		return gw_auth_connect_deny(c, c->cert_refusal, NULL);
	s = gw_session_find(c->w, cookie, len);
	if (!s)
		return gw_auth_connect_refuse(c, c->cert_ok ? GW_REF_COOKIE :
					   GW_REF_COOKIE_UNKNOWN_NO_CERT);
	why = auth_connect_identity(c, s);
	if (why != GW_REF_NONE)
		return gw_auth_connect_refuse(c, why);
	if (s->verdict == PST_DENY) {
		gw_auth_connect_deny(c, s->refusal, s->deny_reason);
		return gw_session_end(c->w, s, "denied: the device was told why");
	}
	gw_session_connect(c, s, req);
}

/* The first byte of a hex value, the worker index our secrets start with. */
static bool login_hex_byte0(const char *hex, size_t len, unsigned int *out)
{
	unsigned int v = 0;

	if (len < 2)
		return false;
	for (int i = 0; i < 2; i++) {
		char ch = hex[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned int)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned int)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned int)(ch - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/*
 * The worker a request belongs to. What the gateway handed out names it:
 * the first byte of a session cookie (webvpn, on a CONNECT), a host-scan
 * token (sdesktop) or ticket is the index of the worker that issued it, and
 * holds it. Other requests go to their device's home (model.h), named by
 * the certificate. Anything else stays where it arrived. A forged value only
 * picks a worker that then refuses it, as the one it arrived on would.
 */
static unsigned int login_home(const struct gw_conn *c, const struct gw_http_req *req)
{
	unsigned int n = gw_workers_n(c->w), v;
	const char *hex;
	size_t len;

	if (n == 1)
		return 0;
	/* A login goes home by its certificate even with an old cookie: a
	 * device's sessions must all be on one worker. */
	if (req->method == GW_HTTP_CONNECT && gw_http_cookie(req, "webvpn", &hex, &len) == 0 &&
	    login_hex_byte0(hex, len, &v))
		return v % n;
	if (gw_http_cookie(req, "sdesktop", &hex, &len) == 0 && login_hex_byte0(hex, len, &v))
		return v % n;
	if (gw_http_query(req, "ticket", &hex, &len) == 0 && login_hex_byte0(hex, len, &v))
		return v % n;
	if (c->cert_ok)
		return gw_home_index(c->w, c->id.device_id);
	return c->w->index;
}

void gw_login_request(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body)
{
	unsigned int home = login_home(c, req);

	if (home != c->w->index)
		return gw_conn_handoff(c, home);
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
