/* SPDX-License-Identifier: MIT */
/*
 * TLS connections: accept, handshake, reading requests or frames, the output
 * queue and closing. Everything is non-blocking and driven by the worker's
 * level-triggered epoll loop.
 *
 * Rules that the OpenConnect client imposes or that keep one bad peer from
 * hurting others:
 * - Every queued buffer is written with one SSL_write, so one CSTP frame is
 *   exactly one TLS record (the client drops frames split across records).
 *   A blocked write is retried with the same buffer, as OpenSSL requires.
 * - Records are read into the worker's one receive buffer; a connection
 *   owns an input buffer (bounded) only while it has an incomplete request
 *   or frame. Its output queue is bounded too: a peer that sends more than
 *   a request may hold, or does not read, loses its own data packets or is
 *   cut off, never anybody else's.
 * - A closed connection is unlinked at once but freed only after the current
 *   batch of epoll events, which may still name it.
 * - The one-second tick touches only connections whose timer is due: each
 *   is on the worker's timing wheel at its handshake or HTTP deadline (set
 *   later by a request: checked when the timer fires, and the timer moved),
 *   or a tunnel at the second its handler asked for (DPD and idle checks).
 * - OpenSSL reads ahead (fewer syscalls per record), so records can wait in
 *   its buffer where epoll cannot see them. A connection is read until
 *   OpenSSL wants more from the socket, within a bounded number of turns for
 *   fairness; one that runs out of turns with records left is put on the
 *   worker's pending list and served again before the loop sleeps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "common/htab.h"
#include "gateway/conn.h"
#include "gateway/cstp.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/proxyproto.h"
#include "gateway/timer.h"
#include "gateway/tls.h"
#include "gateway/wbio.h"

#define CONN_WHY_MAX	160	/* why a connection ends, for its log line */

const char *gw_conn_device(const struct gw_conn *c)
{
	return c->id.device_id[0] ? c->id.device_id : "-";
}

/*
 * Logs a failed or refused connection within a budget per second. Anyone
 * can open connections that fail, so without a budget a scanner or a flood
 * would turn into a flood of log lines; lines about sessions (which need a
 * valid certificate) are not budgeted. What is held back is counted and
 * reported once a second by gw_conns_tick().
 */
void gw_peer_log(struct gw_worker *w, enum gw_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (w->net.peer_log_budget == 0) {
		w->net.peer_log_suppressed++;
		return;
	}
	w->net.peer_log_budget--;
	va_start(ap, fmt);
	gw_vlog(level, fmt, ap);
	va_end(ap);
}

/* The budget is the gateway's: each worker has its share of it. */
static void peer_log_refill(struct gw_worker *w)
{
	if (w->net.peer_log_suppressed)
		gw_warn("%lu more lines about failed or refused connections suppressed "
			"(at most %u a second are logged)", w->net.peer_log_suppressed,
			GW_PEER_LOG_BUDGET);
	w->net.peer_log_suppressed = 0;
	w->net.peer_log_budget = gw_worker_share(GW_PEER_LOG_BUDGET, gw_workers_n(w));
}

void gw_peer_format(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_storage *ss = (const struct sockaddr_storage *)sa;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(buf, len, "%s:%u", host, port);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, port);
	}
}

/*
 * Watches for readability (except while closing: what a peer sends then is
 * ignored, and a level-triggered EPOLLIN would spin), writability only while
 * something waits to be sent.
 */
static void conn_update_events(struct gw_conn *c)
{
	uint32_t ev = c->state == GW_CONN_CLOSING || c->keyd_wait ? 0 : EPOLLIN | EPOLLRDHUP;

	if (c->out_head || c->want_write || c->wblocked)
		ev |= EPOLLOUT;
	if (ev != c->events && gw_epoll_set(c->w, c->fd, ev, c, false) == 0)
		c->events = ev;
}

static struct gw_conn *conn_new(struct gw_worker *w, int fd, const struct sockaddr_storage *ss)
{
	struct gw_conn *c = calloc(1, sizeof(*c));
	BIO *wbio;

	if (!c)
		return NULL;
	c->w = w;
	c->fd = fd;
	c->ssl = SSL_new(w->net.tls);
	wbio = c->ssl ? gw_wbio_new(fd) : NULL;
	if (!wbio || SSL_set_rfd(c->ssl, fd) != 1 ||
	    SSL_set_ex_data(c->ssl, gw_tls_conn_index(), c) != 1) {
		BIO_free(wbio);
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	SSL_set0_wbio(c->ssl, wbio);	/* records leave in batches: wbio.c */
	/* The handshake's signature is waited for without blocking (keyd.h). */
	if (w->net.keyd_client.fd >= 0)
		SSL_set_mode(c->ssl, SSL_MODE_ASYNC);
	gw_peer_format((const struct sockaddr *)ss, c->peer, sizeof(c->peer));
	c->state = GW_CONN_HANDSHAKE;
	c->deadline = w->now + GW_HANDSHAKE_TIMEOUT;
	c->accepted_us = gw_latency_now();
	return c;
}

static void conn_link(struct gw_worker *w, struct gw_conn *c)
{
	c->next = w->net.conns;
	if (w->net.conns)
		w->net.conns->prev = c;
	w->net.conns = c;
	w->net.n_conns++;
	gw_timer_arm(&w->net.timers, &c->timer, c->deadline);
}

static void idle_append(struct gw_worker *w, struct gw_conn *c)
{
	c->idle = true;
	c->idle_next = NULL;
	c->idle_prev = w->net.idle_tail;
	if (w->net.idle_tail)
		w->net.idle_tail->idle_next = c;
	else
		w->net.idle_head = c;
	w->net.idle_tail = c;
}

static void idle_remove(struct gw_worker *w, struct gw_conn *c)
{
	if (!c->idle)
		return;
	if (c->idle_prev)
		c->idle_prev->idle_next = c->idle_next;
	else
		w->net.idle_head = c->idle_next;
	if (c->idle_next)
		c->idle_next->idle_prev = c->idle_prev;
	else
		w->net.idle_tail = c->idle_prev;
	c->idle = false;
	c->idle_prev = c->idle_next = NULL;
}

/*
 * Connections not yet tunnels, by client address: one source must not fill
 * max-clients with connections that stall in the handshake. One entry per
 * address with any such connection, freed with its last.
 */
struct gw_source {
	struct cm_hnode node;
	uint8_t key[17];		/* family, then 4 or 16 address bytes */
	size_t len;
	unsigned int n;
};

static size_t source_key(const struct sockaddr_storage *ss, uint8_t key[17])
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		key[0] = 6;
		memcpy(key + 1, &s6->sin6_addr, 16);
		return 17;
	}
	key[0] = 4;
	if (ss->ss_family == AF_INET)
		memcpy(key + 1, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else
		memcpy(key + 1, s6->sin6_addr.s6_addr + 12, 4);
	return 5;
}

static struct gw_source *source_find(struct gw_worker *w, const uint8_t *key, size_t len)
{
	for (struct cm_hnode *n = cm_htab_first(&w->net.sources, key, len); n; n = cm_htab_next(n)) {
		struct gw_source *src = CM_CONTAINER_OF(n, struct gw_source, node);

		if (src->len == len && !memcmp(src->key, key, len))
			return src;
	}
	return NULL;
}

void gw_conn_source_release(struct gw_conn *c)
{
	struct gw_source *src = c->source;

	if (c->login) {
		c->login = false;
		c->w->net.n_logins--;
	}
	if (!src)
		return;
	c->source = NULL;
	if (--src->n)
		return;
	cm_htab_del(&c->w->net.sources, &src->node);
	free(src);
}

/* Counts c against its address (NULL: not counted); false when that
 * address has its share. */
static bool source_take(struct gw_worker *w, struct gw_conn *c, const struct sockaddr_storage *ss)
{
	unsigned int max = w->pol.conf->max_pending_per_source;
	uint8_t key[17];
	size_t len;
	struct gw_source *src;

	if (!max || !ss)
		return true;
	len = source_key(ss, key);
	src = source_find(w, key, len);
	if (src && src->n >= gw_worker_share(max, gw_workers_n(w)))
		return false;
	if (!src) {
		src = calloc(1, sizeof(*src));
		if (!src)
			return true;		/* not counted: no worse than no limit */
		memcpy(src->key, key, len);
		src->len = len;
		if (cm_htab_add(&w->net.sources, &src->node, key, len) < 0) {
			free(src);
			return true;
		}
	}
	src->n++;
	c->source = src;
	return true;
}

/* The newcomer from an address that has its share is turned away. */
static void source_refused(struct gw_worker *w, const struct gw_conn *c)
{
	w->stats.shed_source++;
	gw_peer_log(w, GW_LOG_WARN, "closing connection peer=%s%s%s: %u connections from this "
		    "address are not tunnels yet (max-pending-per-source)", c->peer,
		    c->lb[0] ? " via " : "", c->lb, w->pol.conf->max_pending_per_source);
}

/*
 * When every slot is taken, an idle connection (one that has not even sent
 * a ClientHello) makes room: the oldest from an address that holds several,
 * else the oldest. Anyone can open connections and send nothing; without
 * eviction a flood of them would lock devices out, and a device's one
 * connection is not the one a flood's many push out. Its ClientHello
 * follows the TCP handshake within a round trip, and then it is a login in
 * progress (TLS under way, or a verified device at its HTTP requests):
 * that and an open tunnel are never evicted for a newcomer. Returns false
 * when no connection is idle.
 */
#define EVICT_SCAN 64		/* idle connections looked at for a crowded address */

static bool conn_evict_idle(struct gw_worker *w, const char *limit)
{
	struct gw_conn *c, *next, *victim = NULL;
	unsigned int looked = 0;
	int pending;

	for (c = w->net.idle_head; c && looked < EVICT_SCAN; c = next, looked++) {
		next = c->idle_next;
		/* Its ClientHello may wait in the socket, not read yet this turn. */
		if (ioctl(c->fd, FIONREAD, &pending) == 0 && pending > 0) {
			idle_remove(w, c);
			continue;
		}
		if (!victim)
			victim = c;		/* the oldest, failing a better one */
		if (c->source && c->source->n > 1) {
			victim = c;
			break;
		}
	}
	if (!victim)
		return false;
	w->stats.shed_idle++;
	gw_conn_close(victim, limit);
	return true;
}

/* max-clients is the gateway's: each worker takes its share of it. */
static unsigned int conn_max(const struct gw_worker *w)
{
	return gw_worker_share(w->pol.conf->max_clients, gw_workers_n(w));
}

/* max-pending likewise; 0 is no limit of its own. */
static bool conn_logins_full(const struct gw_worker *w)
{
	unsigned int max = w->pol.conf->max_pending;

	return max && w->net.n_logins >= gw_worker_share(max, gw_workers_n(w));
}

/*
 * Room for a newcomer, made by evicting an idle connection if need be:
 * under max-clients (every connection) and under max-pending (those not
 * tunnels yet). Refused, it is counted under the limit that was reached.
 */
static bool conn_room(struct gw_worker *w, const struct sockaddr_storage *ss)
{
	const struct gw_conf *conf = w->pol.conf;
	char peer[GW_PEER_MAX];
	bool full = w->net.n_conns >= conn_max(w);

	if (full && conn_evict_idle(w, "evicted: max-clients reached and it had sent nothing"))
		full = false;
	if (!full && !conn_logins_full(w))
		return true;
	if (!full && conn_evict_idle(w, "evicted: max-pending reached and it had sent nothing"))
		return true;
	gw_peer_format((const struct sockaddr *)ss, peer, sizeof(peer));
	if (full) {
		gw_peer_log(w, GW_LOG_WARN, "closing connection peer=%s: max-clients (%u) reached, "
			    "every slot a tunnel or a login in progress", peer, conf->max_clients);
		w->stats.shed_full++;
	} else {
		gw_peer_log(w, GW_LOG_WARN, "closing connection peer=%s: max-pending (%u) reached, "
			    "every one a login in progress", peer, conf->max_pending);
		w->stats.shed_pending++;
	}
	return false;
}

static void conn_accept_one(struct gw_worker *w, int fd, const struct sockaddr_storage *ss)
{
	struct gw_conn *c;
	int one = 1;

	if (!conn_room(w, ss)) {
		close(fd);
		return;
	}
	/*
	 * Every write is a whole TLS record (a reply or a tunnelled packet);
	 * Nagle would hold small ones back behind unacknowledged data, adding
	 * latency to interactive traffic inside the tunnel.
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = conn_new(w, fd, ss);
	if (!c) {
		gw_err("out of memory accepting a connection");
		close(fd);
		return;
	}
	if (w->pol.conf->proxy_protocol) {
		/* The header names the client: counted by that address once read. */
		if (!gw_proxy_trusted(ss, w->pol.conf->proxy_trusted, w->pol.conf->n_proxy_trusted)) {
			gw_peer_log(w, GW_LOG_WARN, "closing connection peer=%s: not a trusted load "
				    "balancer (proxy-protocol is on; see proxy-trusted)", c->peer);
			w->stats.closed_bad_input++;
			goto discard;
		}
		snprintf(c->lb, sizeof(c->lb), "%s", c->peer);
		c->state = GW_CONN_PROXY;
	} else if (!source_take(w, c, ss)) {
		source_refused(w, c);
		goto discard;
	}
	if (gw_epoll_set(w, fd, EPOLLIN | EPOLLRDHUP, c, true) < 0)
		goto discard;
	c->events = EPOLLIN | EPOLLRDHUP;
	conn_link(w, c);
	idle_append(w, c);
	c->login = true;
	w->net.n_logins++;
	w->stats.accepted++;
	return;
discard:
	gw_conn_source_release(c);
	SSL_free(c->ssl);
	free(c);
	close(fd);
}

/*
 * Out of file descriptors (or kernel memory): the waiting connection stays
 * in the backlog and epoll would report it again at once, a busy loop that
 * logged a million lines in ten seconds. Accepting pauses until the next
 * tick, with one line each time.
 */
static void conn_accept_pause(struct gw_worker *w, int err)
{
	struct rlimit rl = { 0 };

	if (gw_epoll_set(w, w->net.listen_fd, 0, w->net.listen_tag, false) < 0)
		return;
	w->net.accept_paused = true;
	w->stats.accept_pauses++;
	getrlimit(RLIMIT_NOFILE, &rl);
	gw_peer_log(w, GW_LOG_WARN, "accept: %s (%u connections on this worker, file limit %llu): "
		    "not accepting for a second", strerror(err), w->net.n_conns,
		    (unsigned long long)rl.rlim_cur);
}

static void conn_accept_resume(struct gw_worker *w)
{
	if (w->net.accept_paused &&
	    gw_epoll_set(w, w->net.listen_fd, EPOLLIN, w->net.listen_tag, false) == 0)
		w->net.accept_paused = false;
}

/* Accepts what is waiting, bounded per turn so that established peers get served. */
void gw_conn_accept(struct gw_worker *w)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(w->net.listen_fd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				conn_accept_pause(w, errno);
			else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				gw_warn("accept: %s", strerror(errno));
			return;
		}
		conn_accept_one(w, fd, &ss);
	}
}

/* HTTP responses may hold a session cookie: they are wiped, frames are not. */
static void outbuf_free(struct gw_outbuf *b)
{
	if (b->wipe)
		OPENSSL_cleanse(b->data, b->len);
	free(b);
}

static void outq_free(struct gw_conn *c)
{
	while (c->out_head) {
		struct gw_outbuf *b = c->out_head;

		c->out_head = b->next;
		outbuf_free(b);
	}
	c->out_tail = NULL;
	c->out_bytes = 0;
}

/* Out of this worker's lists, timer wheel and counts: closed or handed over. */
static void conn_unlink(struct gw_worker *w, struct gw_conn *c)
{
	idle_remove(w, c);
	gw_conn_source_release(c);
	gw_timer_cancel(&w->net.timers, &c->timer);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->net.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->net.n_conns--;
}

/* SSL_accept with the connection named as the one that waits, should the
 * key holder's signature pause the handshake (keyd.h). */
static int conn_ssl_accept(struct gw_conn *c)
{
	int r;

	c->w->net.keyd_client.current = c;
	r = SSL_accept(c->ssl);
	c->w->net.keyd_client.current = NULL;
	return r;
}

void gw_conn_close(struct gw_conn *c, const char *why)
{
	struct gw_worker *w = c->w;

	if (c->fd < 0)
		return;
	/* A handshake paused for its signature runs once more, to fail: its
	 * async job must end before the SSL is freed. */
	if (c->keyd_wait && gw_keyd_client_cancel(&w->net.keyd_client, c)) {
		conn_ssl_accept(c);
		ERR_clear_error();
		c->tls_failed = true;
	}
	c->keyd_wait = false;
	if (c->sess)
		w->net.handlers->closing(c, why);
	else if (why)
		gw_peer_log(w, GW_LOG_INFO, "closing connection peer=%s device=%s: %s", c->peer,
			    gw_conn_device(c), why);
	/*
	 * Best effort: tell the peer we are done, without waiting for its
	 * answer. Not after a fatal error, where OpenSSL forbids it.
	 */
	if (c->state > GW_CONN_HANDSHAKE && !c->tls_failed)
		SSL_shutdown(c->ssl);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	conn_unlink(w, c);
	c->next = w->net.dead;
	w->net.dead = c;
}

void gw_conn_abandon(struct gw_conn *c, const char *why)
{
	if (c->keyd_wait)
		gw_keyd_client_cancel(&c->w->net.keyd_client, c);
	c->keyd_wait = false;
	c->tls_failed = true;
	gw_conn_close(c, why);
}

void gw_conn_free(struct gw_conn *c)
{
	outq_free(c);
	SSL_free(c->ssl);
	free(c->in);
	free(c);
}

/*
 * Classifies a failed SSL call: -EAGAIN to retry once the socket is ready,
 * -ESHUTDOWN when the peer ended the session or the connection, -EPROTO
 * for a TLS error; the last two with the reason, for the log, in err.
 */
static int conn_ssl_result(struct gw_conn *c, int r, bool writing, char *err, size_t errlen)
{
	int e = SSL_get_error(c->ssl, r);

	c->keyd_wait = e == SSL_ERROR_WANT_ASYNC;
	switch (e) {
	case SSL_ERROR_WANT_ASYNC:	/* the key holder's answer: gw_conn_keyd_resume */
		return -EAGAIN;
	case SSL_ERROR_WANT_READ:
		c->want_write = false;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->want_write = true;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(err, errlen, "peer closed the TLS session");
		return -ESHUTDOWN;
	case SSL_ERROR_SYSCALL:
		snprintf(err, errlen, "%s", r == 0 || errno == 0 ? "peer closed the connection" :
			 strerror(errno));
		ERR_clear_error();
		c->tls_failed = true;
		return -ESHUTDOWN;
	case SSL_ERROR_SSL:
		/* Most clients just close the socket after their last request. */
		if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			c->tls_failed = true;
			snprintf(err, errlen, "peer closed the connection");
			return -ESHUTDOWN;
		}
		/* fall through */
	default:
		c->tls_failed = true;
		snprintf(err, errlen, "TLS error while %s: %s", writing ? "writing" : "reading",
			 ERR_reason_error_string(ERR_peek_last_error()) ?: "unknown");
		ERR_clear_error();
		return -EPROTO;
	}
}

/* Writes queued buffers until the socket blocks. Returns 0, or -EPIPE when
 * the connection is closed (a failed write, or the last bytes of a closing
 * one are out). */
static int conn_flush(struct gw_conn *c)
{
	char why[CONN_WHY_MAX];

	while (c->out_head) {
		struct gw_outbuf *b = c->out_head;
		int r;

		ERR_clear_error();
		r = SSL_write(c->ssl, b->data, (int)b->len);
		if (r <= 0) {
			if (conn_ssl_result(c, r, true, why, sizeof(why)) == -EAGAIN)
				break;
			gw_conn_close(c, why);
			return -EPIPE;
		}
		c->want_write = false;
		c->out_head = b->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_bytes -= b->len;
		outbuf_free(b);
	}
	if (!c->out_head && c->state == GW_CONN_CLOSING) {
		/* The last bytes go now; a full socket is waited for. */
		if (gw_wbio_flush(SSL_get_wbio(c->ssl)) != 0) {
			gw_conn_close(c, NULL);
			return -EPIPE;
		}
		c->wblocked = true;
	}
	if (!c->wflush && gw_wbio_pending(SSL_get_wbio(c->ssl))) {
		c->wflush = true;
		c->wflush_next = c->w->net.wflush;
		c->w->net.wflush = c;
	}
	conn_update_events(c);
	return 0;
}

/*
 * Writes what the connection's records gathered this turn (wbio.c). 0, or
 * -EPIPE when the connection is closed (a failed write, or the last bytes
 * of a closing one are out).
 */
static int conn_write_out(struct gw_conn *c)
{
	int r = gw_wbio_flush(SSL_get_wbio(c->ssl));

	if (r < 0) {
		char why[CONN_WHY_MAX];

		snprintf(why, sizeof(why), "%s", strerror(errno));
		c->tls_failed = true;
		gw_conn_close(c, why);
		return -EPIPE;
	}
	c->wblocked = r == 0;
	if (!c->wblocked && !c->out_head && c->state == GW_CONN_CLOSING) {
		gw_conn_close(c, NULL);
		return -EPIPE;
	}
	conn_update_events(c);
	return 0;
}

void gw_conns_flush(struct gw_worker *w)
{
	struct gw_conn *c = w->net.wflush;

	w->net.wflush = NULL;
	while (c) {
		struct gw_conn *next = c->wflush_next;

		c->wflush = false;
		if (c->fd >= 0)
			conn_write_out(c);
		c = next;
	}
}

/*
 * Data frames stop at GW_OUTQ_MAX_BYTES (see gw_conn_send_frame); replies
 * to the peer's own requests (DPD, HTTP) may go a little beyond, but a peer
 * that keeps asking without reading the answers is cut off, or it could
 * make the gateway queue without bound.
 */
static int conn_queue(struct gw_conn *c, struct gw_outbuf *b)
{
	if (c->out_bytes + b->len > GW_OUTQ_HARD_MAX) {
		outbuf_free(b);
		c->w->stats.closed_bad_input++;
		if (c->sess)
			c->w->net.handlers->fail(c, "peer does not read its replies; closing connection");
		else
			gw_conn_close(c, "peer does not read its replies");
		return -ENOBUFS;
	}
	b->next = NULL;
	if (c->out_tail)
		c->out_tail->next = b;
	else
		c->out_head = b;
	c->out_tail = b;
	c->out_bytes += b->len;
	return conn_flush(c);
}

/* Queues one TLS record's worth of bytes and tries to send it now. */
int gw_conn_send(struct gw_conn *c, const void *data, size_t len)
{
	struct gw_outbuf *b;

	if (c->fd < 0 || len == 0 || len > GW_HTTP_MAX_HEAD + GW_HTTP_MAX_BODY)
		return -EINVAL;
	b = malloc(sizeof(*b) + len);
	if (!b)
		return -ENOMEM;
	memcpy(b->data, data, len);
	b->len = len;
	b->wipe = true;
	return conn_queue(c, b);
}

/*
 * Queues one CSTP frame. A data frame is dropped (and counted) when the
 * peer's queue is full: a slow reader loses its own packets, TCP inside the
 * tunnel recovers, and the gateway's memory stays bounded.
 */
int gw_conn_send_frame(struct gw_conn *c, enum gw_cstp_type type, const void *payload, uint16_t len)
{
	struct gw_outbuf *b;

	if (c->fd < 0 || len > GW_CSTP_MAX_PAYLOAD)
		return -EINVAL;
	if (type == GW_CSTP_DATA && c->out_bytes + len > GW_OUTQ_MAX_BYTES)
		return -ENOBUFS;
	b = malloc(sizeof(*b) + GW_CSTP_HDR_LEN + len);
	if (!b)
		return -ENOMEM;
	gw_cstp_header(b->data, type, len);
	if (len)
		memcpy(b->data + GW_CSTP_HDR_LEN, payload, len);
	b->len = GW_CSTP_HDR_LEN + (size_t)len;
	b->wipe = false;
	return conn_queue(c, b);
}

/*
 * Until the tunnel is up, acknowledge at once. Clients write their request
 * right after their TLS Finished without TCP_NODELAY, so Nagle holds the
 * request until our ACK of the Finished, which delayed ACK would otherwise
 * keep back for 40 ms: twice per tunnel set-up. The kernel clears the flag
 * by itself, hence setting it before every read of that phase.
 */
static void conn_quickack(struct gw_conn *c)
{
	int one = 1;

	if (c->state != GW_CONN_TUNNEL)
		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

/*
 * The load balancer's PROXY header (v1 or v2), read before TLS: peeked,
 * parsed, and exactly its bytes taken from the socket, so that the TLS
 * stream starts where it ends. The client it names is the connection's
 * peer from here on: in every log line, the audit and the per-address
 * limit. A LOCAL header (the balancer's own health check) keeps the
 * balancer's address.
 */
static void conn_proxy(struct gw_conn *c)
{
	uint8_t buf[GW_PROXY_MAX_HEADER];
	struct gw_proxy_hdr h;
	char why[128];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_PEEK);
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		gw_conn_close(c, n == 0 ? "closed before its PROXY header" : strerror(errno));
		return;
	}
	r = gw_proxy_parse(buf, (size_t)n, &h, why, sizeof(why));
	if (r == 0)
		return;
	if (r < 0 || recv(c->fd, buf, h.len, 0) != (ssize_t)h.len) {
		c->w->stats.closed_bad_input++;
		gw_peer_log(c->w, GW_LOG_WARN, "closing connection peer=%s: bad PROXY header: %s",
			    c->peer, r < 0 ? why : "could not be read");
		gw_conn_close(c, NULL);
		return;
	}
	if (!h.local)
		gw_peer_format((const struct sockaddr *)&h.src, c->peer, sizeof(c->peer));
	if (!source_take(c->w, c, h.local ? NULL : &h.src)) {
		source_refused(c->w, c);
		gw_conn_close(c, NULL);
		return;
	}
	c->state = GW_CONN_HANDSHAKE;
}

static void conn_handshake(struct gw_conn *c)
{
	char why[CONN_WHY_MAX];
	int r;

	conn_quickack(c);
	ERR_clear_error();
	r = conn_ssl_accept(c);
	if (c->idle && !SSL_in_before(c->ssl))
		idle_remove(c->w, c);	/* its ClientHello came: a login in progress */
	if (r == 1) {
		c->keyd_wait = false;
		/* Only the handshake signs: reads and writes need no async job. */
		SSL_clear_mode(c->ssl, SSL_MODE_ASYNC);
		c->state = GW_CONN_HTTP;
		c->deadline = c->w->now + GW_HTTP_IDLE_TIMEOUT;
		c->w->stats.handshakes++;
		gw_latency_observe(&c->w->stats.tls_handshake, c->accepted_us);
		gw_tls_peer_check(c);
		conn_update_events(c);
		return;
	}
	r = conn_ssl_result(c, r, false, why, sizeof(why));
	if (r == -EAGAIN) {
		conn_update_events(c);
		return;
	}
	c->w->stats.closed_bad_input++;
	gw_conn_close(c, r == -EPROTO ? "TLS handshake failed (not a TLS client?)" : why);
}

/* Sends a short error response and closes once it is out. */
void gw_conn_reject(struct gw_conn *c, int status, const char *reason, const char *log_why)
{
	char resp[256];
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s\n",
			 status, reason, strlen(reason) + 1, reason);

	gw_peer_log(c->w, GW_LOG_INFO, "closing connection peer=%s device=%s: %s", c->peer,
		    gw_conn_device(c), log_why);
	c->w->stats.closed_bad_input++;
	c->state = GW_CONN_CLOSING;
	gw_conn_send(c, resp, (size_t)n);
}

/* Handles the complete requests at the start of data; returns the bytes used. */
static size_t conn_http_input(struct gw_conn *c, uint8_t *data, size_t len)
{
	size_t off = 0;

	while (c->fd >= 0 && c->state == GW_CONN_HTTP && off < len) {
		struct gw_http_req req;
		int r = gw_http_parse((const char *)data + off, len - off, &req);
		size_t total;

		if (r == 0)
			break;
		if (r == -EMSGSIZE) {
			gw_conn_reject(c, 413, "Request Too Large", "request too large");
			break;
		}
		/* HEAD is for the metrics listener (ctlsock.c): never served here. */
		if (r == -ENOTSUP || (r == 1 && req.method == GW_HTTP_HEAD)) {
			gw_conn_reject(c, 501, "Not Implemented", "unsupported HTTP request");
			break;
		}
		if (r < 0) {
			gw_conn_reject(c, 400, "Bad Request", "malformed HTTP request");
			break;
		}
		total = req.head_len + req.content_length;
		if (len - off < total)
			break;
		/* A CONNECT turns the rest of the stream into CSTP frames. */
		c->w->net.handlers->request(c, &req, data + off + req.head_len);
		if (c->handoff_to)	/* served again by the worker it goes to */
			break;
		/* The request may carry the session cookie: do not leave it around. */
		OPENSSL_cleanse(data + off, total);
		off += total;
	}
	return off;
}

/* Handles the complete frames at the start of data; returns the bytes used. */
static size_t conn_tunnel_input(struct gw_conn *c, const uint8_t *data, size_t len)
{
	size_t off = 0;

	while (c->fd >= 0 && c->state == GW_CONN_TUNNEL && off < len) {
		struct gw_cstp_frame f;
		int r = gw_cstp_parse(data + off, len - off, &f);

		if (r == 0)
			break;
		if (r < 0) {
			c->w->stats.closed_bad_input++;
			if (c->sess)
				c->w->net.handlers->fail(c, r == -EMSGSIZE ?
					"bad CSTP frame (length over the limit); closing connection" :
					"bad CSTP frame (bad magic or type); closing connection");
			else
				gw_conn_close(c, "bad CSTP frame");
			break;
		}
		c->w->net.handlers->frame(c, &f);
		off += (size_t)r;
	}
	return off;
}

static size_t conn_input(struct gw_conn *c, uint8_t *data, size_t len)
{
	size_t off = 0;

	if (c->state == GW_CONN_HTTP)
		off = conn_http_input(c, data, len);
	if (c->fd >= 0 && c->state == GW_CONN_TUNNEL)
		off += conn_tunnel_input(c, data + off, len - off);
	return off;
}

/*
 * Keeps the bytes of an incomplete request or frame for the next read. Only
 * a connection with such a remainder owns an input buffer: in the common
 * case (one whole frame per TLS record) records are handled straight from
 * the worker's receive buffer, so an idle tunnel costs no buffer at all.
 */
static int conn_keep_rest(struct gw_conn *c, const uint8_t *rest, size_t len)
{
	if (len == 0) {
		free(c->in);
		c->in = NULL;
		c->in_len = 0;
		return 0;
	}
	if (!c->in) {
		c->in = malloc(GW_RX_CAP);
		if (!c->in)
			return -ENOMEM;
	}
	memmove(c->in, rest, len);
	c->in_len = len;
	return 0;
}

/* Reads one record; returns its bytes, 0 to stop reading for now (or closed). */
static int conn_read_record(struct gw_conn *c, uint8_t *buf, size_t room)
{
	char why[CONN_WHY_MAX];
	int r, k;

	if (room == 0) {
		gw_conn_reject(c, 413, "Request Too Large", "request too large");
		return 0;
	}
	conn_quickack(c);
	ERR_clear_error();
	r = SSL_read(c->ssl, buf, (int)room);
	if (r > 0)
		return r;
	k = conn_ssl_result(c, r, false, why, sizeof(why));
	if (k == -ESHUTDOWN && c->state == GW_CONN_HTTP) {
		/* The normal end of an auth exchange: not worth an info line. */
		gw_debug("peer=%s device=%s: %s", c->peer, gw_conn_device(c), why);
		gw_conn_close(c, NULL);
	} else if (k != -EAGAIN) {
		gw_conn_close(c, why);
	} else
		conn_update_events(c);
	return 0;
}

/*
 * Reads records until the TLS layer has nothing more (or the connection is
 * out of turns), handling complete requests or frames as they arrive.
 */
static void conn_read(struct gw_conn *c)
{
	uint8_t *rx = c->w->net.rxbuf;

	for (int turns = 0; c->fd >= 0 && c->state != GW_CONN_CLOSING && !c->handoff_to &&
			    turns < 64; turns++) {
		uint8_t *data = c->in ? c->in : rx;
		size_t have = c->in ? c->in_len : 0, used;
		int r = conn_read_record(c, data + have, GW_RX_CAP - have);

		if (r <= 0)
			return;
		c->last_rx = c->w->now;
		have += (size_t)r;
		used = conn_input(c, data, have);
		if (c->fd < 0)
			return;
		if (conn_keep_rest(c, data + used, have - used) < 0)
			return gw_conn_close(c, "out of memory");
		if (c->handoff_to && data == rx)	/* the request (and cookie) went to c->in */
			OPENSSL_cleanse(rx, have);
	}
	/* Out of turns with records already read ahead: epoll will not say so. */
	if (c->fd >= 0 && !c->pending && !c->handoff_to && SSL_has_pending(c->ssl)) {
		c->pending = true;
		c->pending_next = c->w->net.pending;
		c->w->net.pending = c;
	}
}

/* Serves connections that still hold read-ahead records from the last turn. */
void gw_conns_pending(struct gw_worker *w)
{
	struct gw_conn *c = w->net.pending;

	w->net.pending = NULL;
	while (c) {
		struct gw_conn *next = c->pending_next;

		c->pending = false;
		if (c->fd >= 0)
			conn_read(c);
		c = next;
	}
}

void gw_conn_event(struct gw_conn *c, uint32_t events)
{
	if (c->fd < 0 || c->handoff_to)
		return;
	if (c->state == GW_CONN_PROXY) {
		conn_proxy(c);
		if (c->fd < 0 || c->state == GW_CONN_PROXY)
			return;
	}
	if (c->state == GW_CONN_HANDSHAKE) {
		conn_handshake(c);
		if (c->fd < 0 || c->state == GW_CONN_HANDSHAKE)
			return;
		/* The request may have been read ahead with the handshake. */
		events |= EPOLLIN;
	}
	if ((events & EPOLLOUT) && c->wblocked && conn_write_out(c) < 0)
		return;
	if (((events & EPOLLOUT) || c->want_write) && !c->wblocked) {
		if (conn_flush(c) < 0)
			return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_read(c);
}

void gw_conn_keyd_resume(void *waiter)
{
	struct gw_conn *c = waiter;

	if (c->fd >= 0 && c->state == GW_CONN_HANDSHAKE)
		gw_conn_event(c, 0);
}

void gw_worker_wake(struct gw_worker *w)
{
	uint64_t one = 1;

	if (write(w->handoff.fd, &one, sizeof(one)) < 0)
		gw_warn("waking worker %u: %s", w->index, strerror(errno));
}

void gw_worker_part_done(struct gw_worker *wk, atomic_uint *pending)
{
	if (atomic_fetch_sub(pending, 1) == 1 && wk->index != 0)
		gw_worker_wake(gw_worker_at(wk, 0));
}

void gw_conn_handoff(struct gw_conn *c, unsigned int to)
{
	c->handoff_to = to + 1;
	c->handoff_next = c->w->net.handoff_out;
	c->w->net.handoff_out = c;
}

/* At the end of a turn, after gw_conns_flush: each goes to its worker. */
void gw_conns_handoff(struct gw_worker *w)
{
	struct gw_conn *c = w->net.handoff_out;

	w->net.handoff_out = NULL;
	while (c) {
		struct gw_conn *next = c->handoff_next;
		struct gw_worker *to = gw_worker_at(w, c->handoff_to - 1);

		if (c->fd < 0) {		/* closed meanwhile: on the dead list */
			c = next;
			continue;
		}
		if (c->wblocked || c->out_head) {
			c->handoff_to = 0;
			gw_conn_close(c, "handing over to another worker: replies still queued");
			c = next;
			continue;
		}
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		/* Its timer and its address's count are this worker's: the adopter
		 * arms its own timer (a verified device by now: not counted). */
		conn_unlink(w, c);
		w->stats.handoffs++;
		pthread_mutex_lock(&to->handoff.lock);
		c->handoff_next = to->handoff.head;
		to->handoff.head = c;
		pthread_mutex_unlock(&to->handoff.lock);
		gw_worker_wake(to);
		c = next;
	}
}

static struct gw_conn *conns_take_handed(struct gw_worker *w)
{
	struct gw_conn *list;
	uint64_t n;

	if (read(w->handoff.fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		gw_warn("eventfd: %s", strerror(errno));
	pthread_mutex_lock(&w->handoff.lock);
	list = w->handoff.head;
	w->handoff.head = NULL;
	pthread_mutex_unlock(&w->handoff.lock);
	return list;
}

/* Serves the connections other workers handed over, from their kept request. */
void gw_conns_adopt(struct gw_worker *w)
{
	struct gw_conn *c = conns_take_handed(w);

	while (c) {
		struct gw_conn *next = c->handoff_next;
		size_t used;

		c->w = w;
		c->handoff_to = 0;
		c->pending = c->wflush = false;
		c->prev = c->next = NULL;
		c->deadline = w->now + GW_HTTP_IDLE_TIMEOUT;
		conn_link(w, c);
		c->events = EPOLLIN | EPOLLRDHUP;
		if (gw_epoll_set(w, c->fd, c->events, c, true) < 0) {
			gw_conn_close(c, "cannot watch a handed-over connection");
			c = next;
			continue;
		}
		used = c->in ? conn_input(c, c->in, c->in_len) : 0;
		if (c->fd >= 0 && !c->handoff_to && conn_keep_rest(c, c->in + used, c->in_len - used) < 0)
			gw_conn_close(c, "out of memory");
		if (c->fd >= 0 && !c->handoff_to)
			conn_read(c);
		c = next;
	}
}

void gw_conns_adopt_none(struct gw_worker *w)
{
	struct gw_conn *c = conns_take_handed(w);

	while (c) {
		struct gw_conn *next = c->handoff_next;

		c->w = w;
		c->handoff_to = 0;
		c->prev = c->next = NULL;
		conn_link(w, c);
		gw_conn_close(c, NULL);
		c = next;
	}
}

/* A connection's timer is due: its tunnel's tick, or its deadline. */
static void conn_due(struct gw_conn *c)
{
	struct gw_worker *w = c->w;

	if (c->state == GW_CONN_TUNNEL) {
		w->net.handlers->tick(c);
		if (c->fd >= 0 && !gw_timer_armed(&c->timer))
			gw_timer_arm(&w->net.timers, &c->timer, w->now + 1);
	} else if (w->now >= c->deadline) {
		gw_conn_close(c, c->state == GW_CONN_PROXY ? "PROXY header timed out" :
			      c->state == GW_CONN_HANDSHAKE ?
			      "TLS handshake timed out" : "HTTP request timed out");
	} else {
		gw_timer_arm(&w->net.timers, &c->timer, c->deadline);
	}
}

/* Once a second: handshake and HTTP deadlines, DPD and idle checks for
 * tunnels; only the connections whose timer is due. */
void gw_conns_tick(struct gw_worker *w)
{
	struct gw_timer *t;

	peer_log_refill(w);
	conn_accept_resume(w);
	while ((t = gw_wheel_expire(&w->net.timers, w->now)))
		conn_due(CM_CONTAINER_OF(t, struct gw_conn, timer));
}

void gw_conn_wake(struct gw_conn *c, time_t at)
{
	if (c->fd >= 0)
		gw_timer_arm(&c->w->net.timers, &c->timer, at > c->w->now ? at : c->w->now + 1);
}

void gw_conns_retick(struct gw_worker *w)
{
	for (struct gw_conn *c = w->net.conns; c; c = c->next) {
		if (c->state == GW_CONN_TUNNEL)
			gw_conn_wake(c, w->now + 1);
	}
}

int gw_epoll_set(struct gw_worker *w, int fd, uint32_t events, void *ptr, bool add)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(w->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) < 0) {
		gw_err("epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	return 0;
}
