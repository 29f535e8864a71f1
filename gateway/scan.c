/* SPDX-License-Identifier: MIT */
/*
 * The host-scan exchange through which a device's posture agent reports its
 * facts (openconnect's CSD flow, see doc/protocol.md section 3):
 *
 *   client                      gateway
 *   POST / (cert)          ->   challenge: ticket, token, start and wait URIs
 *   (runs --csd-wrapper, our agent:)
 *   POST scan.xml (cert,   ->   report parsed and stored with the scan
 *        sdesktop=token)
 *   GET wait.html          ->   "<?xml": always finished at once, because the
 *                               client polls it only after the wrapper exited
 *   POST / (cert,          ->   token redeemed, policy decides (verdict.c)
 *        sdesktop=token)
 *
 * A scan is bound to the certificate that started it. A report counts only
 * when it arrives over TLS with that same certificate, with a live token,
 * once; anything else is refused and leaves the scan as it was (apart from
 * remembering, for the device's banner, that a report came without the
 * certificate or unreadable). The stock csd-post.sh fetches token.xml and
 * posts without any certificate, so it completes the flow and its facts
 * never count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gateway/auth.h"
#include "gateway/conn.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/refusal.h"
#include "gateway/scan.h"
#include "gateway/token.h"

#define SCAN_PREFIX	"/+CSCOE+/sdesktop/"
#define SCAN_XML_HEAD	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static void scan_unlink(struct gw_worker *w, struct gw_scan *sc)
{
	for (struct gw_scan **p = &w->sess.scans; *p; p = &(*p)->next) {
		if (*p == sc) {
			*p = sc->next;
			w->sess.n_scans--;
			return;
		}
	}
}

void gw_scan_end(struct gw_worker *w, struct gw_scan *sc)
{
	scan_unlink(w, sc);
	OPENSSL_cleanse(sc->token, sizeof(sc->token));
	free(sc);
}

/* The oldest scan is the last in the list (new ones go to the front). */
static void scan_evict_oldest(struct gw_worker *w)
{
	struct gw_scan *sc = w->sess.scans;

	while (sc && sc->next)
		sc = sc->next;
	if (sc)
		gw_scan_end(w, sc);
}

/*
 * One scan per device: a new login ends the device's earlier scan. The table
 * is capped at max-clients, oldest out first, so that devices logging in
 * without ever finishing cannot grow it.
 */
int gw_scan_new(struct gw_worker *w, const struct pst_identity *id, struct gw_scan **out)
{
	struct gw_scan *sc, *next;
	uint8_t ticket[GW_TICKET_LEN];

	for (sc = w->sess.scans; sc; sc = next) {
		next = sc->next;
		if (!strcmp(sc->id.device_id, id->device_id))
			gw_scan_end(w, sc);
	}
	if (w->sess.n_scans >= w->pol.conf->max_clients)
		scan_evict_oldest(w);
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	if (RAND_bytes(sc->token, sizeof(sc->token)) != 1 ||
	    RAND_bytes(ticket, sizeof(ticket)) != 1) {
		free(sc);
		return -EIO;
	}
	/* Their first byte names the worker that holds the scan (login.c). */
	sc->token[0] = (uint8_t)w->index;
	ticket[0] = (uint8_t)w->index;
	gw_hex(ticket, sizeof(ticket), sc->ticket);
	sc->id = *id;
	sc->expires = w->now + GW_SCAN_TIMEOUT;
	pst_facts_init(&sc->facts);
	sc->next = w->sess.scans;
	w->sess.scans = sc;
	w->sess.n_scans++;
	*out = sc;
	return 0;
}

/* Constant time over every scan, like gw_session_find. */
struct gw_scan *gw_scan_find(struct gw_worker *w, const char *token_hex, size_t len)
{
	uint8_t want[GW_COOKIE_LEN];
	struct gw_scan *found = NULL;

	if (gw_cookie_parse(token_hex, len, want) < 0)
		return NULL;
	for (struct gw_scan *sc = w->sess.scans; sc; sc = sc->next) {
		if (CRYPTO_memcmp(sc->token, want, GW_COOKIE_LEN) == 0)
			found = sc;
	}
	OPENSSL_cleanse(want, sizeof(want));
	return found && found->expires > w->now ? found : NULL;
}

static struct gw_scan *scan_by_ticket(struct gw_worker *w, const char *ticket, size_t len)
{
	struct gw_scan *found = NULL;

	if (len != 2 * GW_TICKET_LEN)
		return NULL;
	for (struct gw_scan *sc = w->sess.scans; sc; sc = sc->next) {
		if (CRYPTO_memcmp(sc->ticket, ticket, len) == 0)
			found = sc;
	}
	return found && found->expires > w->now ? found : NULL;
}

void gw_scans_expire(struct gw_worker *w)
{
	struct gw_scan *sc, *next;

	for (sc = w->sess.scans; sc; sc = next) {
		next = sc->next;
		if (sc->expires <= w->now)
			gw_scan_end(w, sc);
	}
}

void gw_scans_free(struct gw_worker *w)
{
	while (w->sess.scans)
		gw_scan_end(w, w->sess.scans);
}

/*
 * The challenge in the login reply. openconnect runs its CSD wrapper when
 * both the start and the wait URI are present, and puts the token into its
 * environment and a cookie without checking it, so ticket and token are
 * always sent. No stub URL: the client would try to download a program.
 */
void gw_scan_challenge(struct gw_conn *c, const struct gw_scan *sc)
{
	char token[2 * GW_COOKIE_LEN + 1], body[1536];
	int n;

	gw_hex(sc->token, sizeof(sc->token), token);
	n = snprintf(body, sizeof(body), SCAN_XML_HEAD
		     "<config-auth client=\"vpn\" type=\"auth-request\" aggregate-auth-version=\"2\">\n"
		     "<auth id=\"main\">\n<title>Postern</title>\n"
		     "<message>Checking the device's posture.</message>\n</auth>\n"
		     "<host-scan>\n"
		     "<host-scan-ticket>%s</host-scan-ticket>\n"
		     "<host-scan-token>%s</host-scan-token>\n"
		     "<host-scan-base-uri>" SCAN_PREFIX "token.xml?ticket=%s&amp;stub=0</host-scan-base-uri>\n"
		     "<host-scan-wait-uri>" SCAN_PREFIX "wait.html</host-scan-wait-uri>\n"
		     "</host-scan>\n</config-auth>\n", sc->ticket, token, sc->ticket);
	OPENSSL_cleanse(token, sizeof(token));
	if (n > 0 && (size_t)n < sizeof(body))
		gw_auth_reply(c, "", "text/xml", body);
	else
		gw_conn_close(c, "challenge too large");
	OPENSSL_cleanse(body, sizeof(body));
	gw_info("posture check device=%s peer=%s: host-scan challenge sent", sc->id.device_id,
		c->peer);
}

/* token.xml: what the stock csd-post.sh asks for the token it must post with. */
static void scan_token_xml(struct gw_conn *c, const struct gw_http_req *req)
{
	const char *ticket;
	size_t len;
	struct gw_scan *sc = NULL;
	char token[2 * GW_COOKIE_LEN + 1], body[256];

	if (gw_http_query(req, "ticket", &ticket, &len) == 0)
		sc = scan_by_ticket(c->w, ticket, len);
	if (!sc)
		return gw_conn_reject(c, 404, "Not Found", "token.xml with an unknown ticket");
	gw_hex(sc->token, sizeof(sc->token), token);
	/* The token on a line of its own: csd-post.sh without xmlstarlet cuts
	 * it out with sed, which keeps whatever follows </token> on its line. */
	snprintf(body, sizeof(body), SCAN_XML_HEAD "<hostscan>\n<token>%s</token>\n</hostscan>\n",
		 token);
	gw_auth_reply(c, "", "text/xml", body);
	OPENSSL_cleanse(token, sizeof(token));
	OPENSSL_cleanse(body, sizeof(body));
}

/* Refuses a report; the scan stays as it was unless the caller noted why. */
static void scan_refuse(struct gw_conn *c, int status, const char *why)
{
	char resp[320];
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 %d Refused\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
			 status, strlen(why) + 1, why);

	c->w->stats.reports_refused++;
	gw_peer_log(c->w, GW_LOG_WARN, "refused posture report peer=%s device=%s: %s", c->peer,
		    gw_conn_device(c), why);
	c->state = GW_CONN_CLOSING;
	if (n > 0 && (size_t)n < sizeof(resp))
		gw_conn_send(c, resp, (size_t)n);
	else
		gw_conn_close(c, "refusal too long");
}

/* The certificate the report came with must be the scan's own. */
static const char *scan_report_cert_problem(const struct gw_conn *c, const struct gw_scan *sc)
{
	if (!SSL_get0_peer_certificate(c->ssl))
		return "the report came without a device certificate";
	if (!c->cert_ok)
		return gw_refusal_words(c->cert_refusal, NULL);
	if (CRYPTO_memcmp(c->id.fingerprint, sc->id.fingerprint, PST_FINGERPRINT_LEN) != 0)
		return "the report came with another device's certificate";
	return NULL;
}

static void scan_report(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body)
{
	struct gw_worker *w = c->w;
	const char *token, *problem;
	size_t len;
	struct gw_scan *sc = NULL;
	struct pst_facts facts;
	char why[160];

	if (gw_http_cookie(req, "sdesktop", &token, &len) == 0)
		sc = gw_scan_find(w, token, len);
	if (!sc)
		return scan_refuse(c, 403, "unknown or expired posture token");
	if (sc->reported)
		return scan_refuse(c, 403, "this posture token has already been used");
	problem = scan_report_cert_problem(c, sc);
	if (problem) {
		/* Without a certificate it is most likely a stock wrapper: the
		 * device's banner should say why its report did not count. */
		if (!SSL_get0_peer_certificate(c->ssl))
			snprintf(sc->problem, sizeof(sc->problem), "the posture report was sent "
				 "without the device certificate, so it does not count; "
				 "use the Postern posture agent");
		return scan_refuse(c, 403, problem);
	}
	pst_facts_init(&facts);
	if (pst_report_parse((const char *)body, req->content_length, PST_SRC_AGENT, time(NULL),
			     &facts, why, sizeof(why)) < 0) {
		snprintf(sc->problem, sizeof(sc->problem),
			 "the posture report could not be read (%s)", why);
		return scan_refuse(c, 400, "malformed posture report");
	}
	sc->facts = facts;
	sc->reported = true;
	sc->problem[0] = '\0';
	w->stats.reports++;
	gw_info("posture report device=%s peer=%s: %zu facts", sc->id.device_id, c->peer,
		facts.n);
	gw_auth_reply(c, "", "text/xml", SCAN_XML_HEAD "<hostscan><status>received</status></hostscan>\n");
}

/*
 * The wait page. The client asks for it only after its wrapper has exited,
 * so any report has already arrived: it is finished at once, always, since
 * the client would poll a "refresh" page forever. The decision itself is
 * made at the login that follows.
 */
static void scan_wait(struct gw_conn *c)
{
	gw_auth_reply(c, "", "text/xml", SCAN_XML_HEAD "<hostscan><status>done</status></hostscan>\n");
}

bool gw_scan_request(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body)
{
	if (req->method == GW_HTTP_GET && gw_http_path_is(req, SCAN_PREFIX "token.xml"))
		scan_token_xml(c, req);
	else if (req->method == GW_HTTP_POST && gw_http_path_is(req, SCAN_PREFIX "scan.xml"))
		scan_report(c, req, body);
	else if (req->method == GW_HTTP_GET && gw_http_path_is(req, SCAN_PREFIX "wait.html"))
		scan_wait(c);
	else
		return false;
	return true;
}
