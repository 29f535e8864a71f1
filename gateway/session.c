/* SPDX-License-Identifier: MIT */
/*
 * Device sessions: the cookie a successful authentication hands out, the
 * addresses leased to it, and its lifetime. A cookie is 256 random bits,
 * compared in constant time and wiped when the session ends. One device has
 * at most one tunnel: when a new session's tunnel opens, every other session
 * of the same device ends, so a copied certificate cannot hold two tunnels
 * at once unnoticed. A login alone ends only the device's sessions that never
 * opened a tunnel: NetworkManager's auth dialog runs `openconnect
 * --authenticate` while the device may still be connected, and that must not
 * cut the tunnel in use.
 *
 * A session without a tunnel connection (never connected, or its TCP
 * connection dropped) keeps its cookie and addresses for cookie-timeout
 * seconds, which is what lets a reconnecting client get its address back.
 *
 * Nothing here costs more with more sessions: a cookie and a device id
 * find their sessions through keyed hash tables, a session leaves the list
 * in O(1), and expiry touches only what is due (gw_sessions_expire). At
 * tens of thousands of sessions a scan per login, per CONNECT or per second
 * was what the gateway spent its time on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/htab.h"
#include "gateway/channel.h"
#include "gateway/conn.h"
#include "gateway/cstp.h"
#include "gateway/dtls.h"
#include "gateway/events.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/pool.h"
#include "gateway/resume.h"
#include "gateway/session.h"
#include "gateway/timer.h"
#include "gateway/token.h"
#include "gateway/tunnel.h"

/*
 * The cookie's bucket is chosen by SipHash under the table's secret random
 * key, so which bucket a guess lands in says nothing about any cookie; the
 * sessions in it (about one) are all compared, with CRYPTO_memcmp over the
 * whole cookie and without an early exit.
 */
struct gw_session *gw_session_find(struct gw_worker *w, const char *cookie_hex, size_t len)
{
	uint8_t want[GW_COOKIE_LEN];
	struct gw_session *found = NULL;
	struct cm_hnode *n;

	if (gw_cookie_parse(cookie_hex, len, want) < 0)
		return NULL;
	for (n = cm_htab_first(&w->sess.by_cookie, want, GW_COOKIE_LEN); n; n = cm_htab_next(n)) {
		struct gw_session *s = CM_CONTAINER_OF(n, struct gw_session, by_cookie);

		if (CRYPTO_memcmp(s->cookie, want, GW_COOKIE_LEN) == 0)
			found = s;
	}
	OPENSSL_cleanse(want, sizeof(want));
	return found;
}

/* The device's other sessions; with pending_only, those that never had a tunnel. */
static void session_end_others(struct gw_worker *w, const struct gw_session *keep,
			       const char *device_id, bool pending_only, const char *why)
{
	struct cm_hnode *n, *next;

	n = cm_htab_first(&w->sess.by_device, device_id, strlen(device_id));
	for (; n; n = next) {
		struct gw_session *s = CM_CONTAINER_OF(n, struct gw_session, by_device);

		/* Ending s unlinks its node and no other. */
		next = cm_htab_next(n);
		if (s != keep && (!pending_only || !s->connects) &&
		    !strcmp(s->id.device_id, device_id))
			gw_session_end(w, s, why);
	}
}

void gw_session_supersede(struct gw_worker *w, struct gw_session *s)
{
	session_end_others(w, s, s->id.device_id, false,
			   "superseded by a new tunnel of the same device");
}

/* The sessions without a tunnel connection, oldest detach first. */
static void wait_remove(struct gw_worker *w, struct gw_session *s)
{
	if (!s->waiting)
		return;
	if (s->wait_prev)
		s->wait_prev->wait_next = s->wait_next;
	else
		w->sess.waiting = s->wait_next;
	if (s->wait_next)
		s->wait_next->wait_prev = s->wait_prev;
	else
		w->sess.waiting_tail = s->wait_prev;
	s->wait_next = s->wait_prev = NULL;
	s->waiting = false;
}

/* Appends s to the sessions waiting for a reconnect (s->detached is now, the
 * latest of all), moving it there if it was waiting already. */
static void wait_append(struct gw_worker *w, struct gw_session *s)
{
	wait_remove(w, s);
	s->waiting = true;
	s->wait_next = NULL;
	s->wait_prev = w->sess.waiting_tail;
	if (s->wait_prev)
		s->wait_prev->wait_next = s;
	else
		w->sess.waiting = s;
	w->sess.waiting_tail = s;
}

/* Puts a new session on the list, in the indexes and on the timers. */
static int session_link(struct gw_worker *w, struct gw_session *s)
{
	int err = cm_htab_add(&w->sess.by_cookie, &s->by_cookie, s->cookie, GW_COOKIE_LEN);

	if (err == 0)
		err = cm_htab_add(&w->sess.by_device, &s->by_device, s->id.device_id,
				  strlen(s->id.device_id));
	if (err < 0) {
		cm_htab_del(&w->sess.by_cookie, &s->by_cookie);
		return err;
	}
	s->next = w->sess.sessions;
	if (s->next)
		s->next->prev = s;
	w->sess.sessions = s;
	wait_append(w, s);
	if (s->id.not_after)
		gw_timer_arm(&w->sess.cert_expiry, &s->cert_timer, s->id.not_after);
	return 0;
}

/* A session under cookie, undecided (deny: fail closed, the caller grants
 * more), without a tunnel, on the list, in the indexes and on the timers. */
static int session_make(struct gw_worker *w, const struct pst_identity *id,
			const uint8_t *cookie, struct gw_session **out)
{
	struct gw_session *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	memcpy(s->cookie, cookie, GW_COOKIE_LEN);
	s->id = *id;
	s->verdict = PST_DENY;
	s->detached = w->now;
	s->since = time(NULL);
	err = session_link(w, s);
	if (err < 0) {
		OPENSSL_cleanse(s->cookie, sizeof(s->cookie));
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

int gw_session_new(struct gw_worker *w, const struct pst_identity *id, struct gw_session **out)
{
	uint8_t cookie[GW_COOKIE_LEN];
	int err;

	session_end_others(w, NULL, id->device_id, true,
			   "superseded by a new login before its tunnel opened");
	if (RAND_bytes(cookie, sizeof(cookie)) != 1)
		return -EIO;
	/* Its first byte names the worker that holds the session (login.c);
	 * the other 248 bits are the secret. */
	cookie[0] = (uint8_t)w->index;
	err = session_make(w, id, cookie, out);
	OPENSSL_cleanse(cookie, sizeof(cookie));
	return err;
}

int gw_session_revive(struct gw_worker *w, const struct pst_identity *id, const uint8_t *cookie,
		      struct gw_session **out)
{
	struct cm_hnode *n;

	for (n = cm_htab_first(&w->sess.by_cookie, cookie, GW_COOKIE_LEN); n; n = cm_htab_next(n))
		if (!CRYPTO_memcmp(CM_CONTAINER_OF(n, struct gw_session, by_cookie)->cookie, cookie,
				   GW_COOKIE_LEN))
			return -EEXIST;
	return session_make(w, id, cookie, out);
}

static int lease_one(struct gw_pool *pool, struct gw_session **by, struct gw_session *s,
		     uint32_t *index, void *addr)
{
	int err = gw_pool_alloc(pool, index);

	if (err < 0)
		return err;
	by[*index] = s;
	gw_pool_addr(pool, *index, addr);
	return 0;
}

/*
 * Whether the session is routed any IPv6 network: its profiles' networks
 * (gw_session_routes), or without a policy the configured routes. Only then
 * does it get an IPv6 address. A client given an IPv6 address and no IPv6
 * route sends all of its IPv6 into the tunnel (vpnc-script makes the tunnel
 * the default route), where the filter drops it: the device would lose IPv6
 * altogether while connected.
 */
bool gw_session_wants_v6(const struct gw_worker *w, const struct gw_session *s)
{
	const struct conf_cidr *r = s->routes ? s->routes : w->pol.conf->routes;
	size_t n = s->routes ? s->n_routes : w->pol.conf->n_routes;

	if (w->pol.policy && !s->routes)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (r[i].family == AF_INET6)
			return true;
	}
	return false;
}

/* Leases addresses on the first CONNECT; a reconnect keeps what it has. */
int gw_session_lease(struct gw_worker *w, struct gw_session *s)
{
	int err;

	if (!s->lease.have_v4) {
		err = lease_one(&w->dp.pool4, w->dp.by_v4, s, &s->v4_index, &s->lease.v4);
		if (err < 0)
			return err;
		s->lease.have_v4 = true;
	}
	if (w->dp.have_pool6 && !s->lease.have_v6 && gw_session_wants_v6(w, s)) {
		err = lease_one(&w->dp.pool6, w->dp.by_v6, s, &s->v6_index, &s->lease.v6);
		if (err < 0)
			return err;
		s->lease.have_v6 = true;
	}
	return 0;
}

static void session_unlink(struct gw_worker *w, struct gw_session *s)
{
	if (w->sess.reeval_next == s)
		w->sess.reeval_next = s->next;
	if (w->sess.list_next == s)
		w->sess.list_next = s->next;
	if (s->prev)
		s->prev->next = s->next;
	else
		w->sess.sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	cm_htab_del(&w->sess.by_cookie, &s->by_cookie);
	cm_htab_del(&w->sess.by_device, &s->by_device);
	wait_remove(w, s);
	gw_timer_cancel(&w->sess.cert_expiry, &s->cert_timer);
}

static void session_release(struct gw_worker *w, struct gw_session *s)
{
	if (s->lease.have_v4) {
		w->dp.by_v4[s->v4_index] = NULL;
		gw_pool_release(&w->dp.pool4, s->v4_index);
	}
	if (s->lease.have_v6) {
		w->dp.by_v6[s->v6_index] = NULL;
		gw_pool_release(&w->dp.pool6, s->v6_index);
	}
}

/* Ends a session: its tunnel closes, its cookie dies, its addresses return. */
void gw_session_end(struct gw_worker *w, struct gw_session *s, const char *why)
{
	char addr[INET_ADDRSTRLEN] = "-";

	if (s->conn) {
		struct gw_conn *c = s->conn;

		/* Detached first: a failing send must not end this session again. */
		c->sess = NULL;
		s->conn = NULL;
		gw_conn_send_frame(c, GW_CSTP_TERMINATE, NULL, 0);
		gw_conn_close(c, why);
	}
	gw_tunnel_dtls_end(w, s);
	if (s->lease.have_v4)
		inet_ntop(AF_INET, &s->lease.v4, addr, sizeof(addr));
	gw_info("session end device=%s addr=%s verdict=%s: %s; rx=%llu tx=%llu spoofed=%llu "
		"outside=%llu%s", s->id.device_id, addr, pst_verdict_name(s->verdict), why,
		(unsigned long long)s->counters.rx_bytes, (unsigned long long)s->counters.tx_bytes,
		(unsigned long long)s->counters.dropped_spoofed,
		(unsigned long long)s->counters.dropped_outside,
		s->lease.have_v4 ? "; address returned to pool" : "");
	if (s->verdict != PST_DENY)	/* a refusal on its way is the refusal's event */
		gw_events_session(w, "session-end", s, NULL, why);
	gw_resume_forget(s);
	session_release(w, s);
	session_unlink(w, s);
	OPENSSL_cleanse(s->cookie, sizeof(s->cookie));
	free(s->allow);
	free(s->banner);
	free(s->deny_reason);
	free(s->facts);
	free(s->report_problem);
	free(s->reasons);
	free(s->routes);
	free(s);
}

/*
 * Ends sessions whose certificate is no longer valid (a tunnel that stays
 * up never shows its certificate again, so its expiry is enforced here),
 * then those whose tunnel has been gone longer than cookie-timeout. Only
 * what is due is touched: the certificates' not_after on a wheel, the
 * sessions without a tunnel in the order their tunnel went away (one
 * timeout for all, so the head is always the first to expire, also after
 * a reload changed it).
 */
void gw_sessions_expire(struct gw_worker *w)
{
	time_t wall = time(NULL), timeout = (time_t)w->pol.conf->cookie_timeout;
	struct gw_timer *t;
	struct gw_session *s;

	while ((t = gw_wheel_expire(&w->sess.cert_expiry, wall))) {
		s = CM_CONTAINER_OF(t, struct gw_session, cert_timer);
		gw_session_end_for(w, s, GW_END_EXPIRED, "certificate expired");
	}
	while ((s = w->sess.waiting) && w->now - s->detached >= timeout) {
		if (s->conn)		/* has a tunnel again: not waiting */
			wait_remove(w, s);
		else
			gw_session_end(w, s, "cookie expired (no reconnect within cookie-timeout)");
	}
}

/* Frees the indexes once every session has ended (gw_worker_free). */
void gw_sessions_free(struct gw_worker *w)
{
	cm_htab_free(&w->sess.by_cookie);
	cm_htab_free(&w->sess.by_device);
}

void gw_session_end_for(struct gw_worker *w, struct gw_session *s, enum gw_end why,
			const char *text)
{
	w->stats.ended[why]++;
	gw_session_end(w, s, text);
}

/*
 * A CONNECT on s's cookie: only an allow or quarantine verdict opens a
 * tunnel (fail closed), its addresses are leased on the first, a reconnect
 * takes over from a connection not yet noticed dead, and only now does the
 * device's earlier tunnel, if any, end.
 */
void gw_session_connect(struct gw_conn *c, struct gw_session *s, const struct gw_http_req *req)
{
	struct gw_worker *w = c->w;
	char dtls[GW_DTLS_HEADERS_MAX];

	if (s->verdict == PST_DENY) {
		gw_session_end(w, s, "a denied session asked for a tunnel");
		return gw_conn_reject(c, 403, "Forbidden", "CONNECT on a denied session");
	}
	if (gw_session_lease(w, s) < 0) {
		gw_session_end(w, s, "address pool exhausted");
		return gw_conn_reject(c, 503, "Service Unavailable", "address pool exhausted");
	}
	if (s->conn) {
		struct gw_conn *old = s->conn;

		gw_tunnel_detach(old, "replaced by a reconnect");
		gw_conn_close(old, NULL);
	}
	c->sess = s;
	s->conn = c;
	wait_remove(w, s);
	gw_session_supersede(w, s);
	s->connects++;
	w->stats.tunnels++;
	gw_channel_offer(c, s, req, dtls, sizeof(dtls));
	if (gw_tunnel_open(c, s, dtls) < 0)
		return gw_session_end(w, s, "could not build the CONNECT reply");
	gw_resume_put(s);	/* its addresses and connects, for a restart */
	gw_conn_wake(c, gw_tunnel_next_tick(c));
}

/* What the transport reports about a tunnel connection (conn.h). */
void gw_session_frame(struct gw_conn *c, const struct gw_cstp_frame *f)
{
	const char *why = NULL;

	if (!c->sess)
		return gw_conn_close(c, "frame on a connection without a session");
	if (gw_tunnel_frame(c, f, &why) == GW_TUNNEL_END)
		gw_session_end(c->w, c->sess, why);
}

void gw_session_tick(struct gw_conn *c)
{
	char why[96];

	if (!c->sess)
		return;
	if (gw_tunnel_tick(c, why, sizeof(why)) == GW_TUNNEL_END)
		return gw_session_end(c->w, c->sess, why);
	gw_conn_wake(c, gw_tunnel_next_tick(c));
}

/* The tunnel connection goes away: the session waits for the reconnect. */
void gw_session_closing(struct gw_conn *c, const char *why)
{
	struct gw_session *s = c->sess;

	gw_tunnel_detach(c, why);
	if (s && !s->conn)
		wait_append(c->w, s);
}

void gw_session_fail(struct gw_conn *c, const char *why)
{
	gw_session_end(c->w, c->sess, why);
}
