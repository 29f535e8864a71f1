/* SPDX-License-Identifier: MIT */
/*
 * TLS connections (conn.c): accept, handshake, reading whole records,
 * the queue of records to send, and closing. A connection hands what it
 * reads upward through the worker's handlers: an HTTP request, or a CSTP
 * frame once it carries a tunnel.
 */
#ifndef POSTERN_GW_CONN_H
#define POSTERN_GW_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "gateway/cstp.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/timer.h"

enum gw_conn_state {
	GW_CONN_PROXY,		/* reading the load balancer's PROXY header */
	GW_CONN_HANDSHAKE,	/* TLS handshake in progress */
	GW_CONN_HTTP,		/* reading HTTP requests */
	GW_CONN_TUNNEL,		/* CSTP frames both ways */
	GW_CONN_CLOSING,	/* flushing the last bytes, then closed */
};

struct gw_outbuf {
	struct gw_outbuf *next;
	size_t len;
	bool wipe;		/* may hold a secret: cleansed before it is freed */
	uint8_t data[];		/* one TLS record: an HTTP response or one CSTP frame */
};

struct gw_conn {
	struct gw_conn *next, *prev;
	struct gw_worker *w;
	int fd;
	SSL *ssl;
	enum gw_conn_state state;
	char peer[GW_PEER_MAX];			/* client address for logs (the PROXY header's) */
	char lb[GW_PEER_MAX];			/* the load balancer it came through, or "" */
	bool cert_ok;				/* a certificate was presented and verified */
	bool cert_absent;			/* none was presented (a cookie-only CONNECT) */
	enum gw_refusal cert_refusal;		/* why not (GW_REF_NONE: not refused) */
	struct pst_identity id;
	struct gw_session *sess;		/* set in the tunnel state */
	uint8_t *in;				/* an incomplete request or frame, or NULL */
	size_t in_len;
	struct gw_outbuf *out_head, *out_tail;
	size_t out_bytes;
	bool want_write;			/* the TLS layer needs the socket writable */
	bool tls_failed;			/* fatal TLS error: no close_notify then */
	bool pending;				/* on the worker's pending list */
	bool wflush;				/* on the worker's list to flush (wbio.c) */
	bool wblocked;				/* records wait for the socket to drain */
	bool keyd_wait;				/* handshake paused for the key holder */
	bool idle;				/* on the worker's idle list: no ClientHello yet */
	struct gw_conn *idle_prev, *idle_next;
	struct gw_source *source;		/* counted there until it is a tunnel */
	bool login;				/* counted in n_logins until it is a tunnel */
	struct gw_conn *wflush_next;
	unsigned int handoff_to;		/* 1 + the worker it goes to at the turn's end; 0: none */
	struct gw_conn *handoff_next;
	bool wake_client;			/* tunnel: keepalive due on the first DPD reply */
	struct gw_conn *pending_next;
	uint32_t events;			/* what epoll watches now */
	time_t deadline;			/* handshake/HTTP phases: close when reached */
	uint64_t accepted_us;			/* gw_latency_now() at accept: for the histograms */
	time_t last_rx;				/* tunnel: any frame from the client */
	time_t last_data;			/* tunnel: data either way, for idle-timeout */
	time_t dpd_sent;			/* tunnel: when we last asked for a DPD reply */
	struct gw_timer timer;			/* w->net.timers: deadline, or the next tick */
};

/* Room for a partial frame or request plus one whole TLS record. */
#define GW_RX_CAP		(2 * GW_CSTP_MAX_FRAME + 16)

/*
 * What a connection reports upward (installed by the worker): the layers
 * above the transport are never called from it by name.
 */
struct gw_conn_handlers {
	/* A whole request in the HTTP phase (body: Content-Length bytes). */
	void (*request)(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body);
	/* A frame on a tunnel connection. */
	void (*frame)(struct gw_conn *c, const struct gw_cstp_frame *f);
	/* For a tunnel connection's liveness: when its timer is due (the
	 * handler re-arms it with gw_conn_wake; else it comes again a second
	 * later). */
	void (*tick)(struct gw_conn *c);
	/* A tunnel connection is going away (why NULL: a clean close); its
	 * session stays for the client's reconnect. */
	void (*closing)(struct gw_conn *c, const char *why);
	/* A tunnel's peer broke the protocol or stopped reading: its session ends. */
	void (*fail)(struct gw_conn *c, const char *why);
};

void gw_conn_accept(struct gw_worker *w);
void gw_conn_event(struct gw_conn *c, uint32_t events);
/* The key holder answered the handshake that waits on waiter (a connection). */
void gw_conn_keyd_resume(void *waiter);
/* The connection is a tunnel now: it no longer counts against its address's
 * max-pending-per-source. */
void gw_conn_source_release(struct gw_conn *c);
void gw_conn_close(struct gw_conn *c, const char *why);
/*
 * Closes c without another TLS call: its worker's thread ended mid-turn (a
 * forbidden system call), so its TLS state may be half-way through a
 * record. A handshake paused for its signature is dropped with its async
 * job, which belonged to that thread. Its session waits for the reconnect.
 */
void gw_conn_abandon(struct gw_conn *c, const char *why);
void gw_conn_free(struct gw_conn *c);
void gw_conn_reject(struct gw_conn *c, int status, const char *reason, const char *log_why);
int gw_conn_send(struct gw_conn *c, const void *data, size_t len);
int gw_conn_send_frame(struct gw_conn *c, enum gw_cstp_type type, const void *payload, uint16_t len);
void gw_conns_tick(struct gw_worker *w);
/* The tunnel's tick comes at second at (monotonic), or the one after now. */
void gw_conn_wake(struct gw_conn *c, time_t at);
/* Every tunnel is ticked in the coming second (a reload changed its timeouts). */
void gw_conns_retick(struct gw_worker *w);
void gw_conns_pending(struct gw_worker *w);
/* Writes what each connection gathered this turn: once per loop turn. */
void gw_conns_flush(struct gw_worker *w);
/*
 * Hands c, whose request is being served, to worker `to` (its device's home,
 * model.h): the request is kept, nothing more is read here, and at the end
 * of the turn (gw_conns_handoff) the connection moves; that worker serves
 * the request again (gw_conns_adopt).
 */
void gw_conn_handoff(struct gw_conn *c, unsigned int to);
/* Wakes worker w's loop from another thread (its hand-over eventfd): for
 * connections handed to it, a job's slices to run or done, a stop. */
void gw_worker_wake(struct gw_worker *w);
/* Worker wk's part of a job over every worker (a re-evaluation, a
 * listing) is done: the last one to finish wakes worker 0. */
void gw_worker_part_done(struct gw_worker *wk, atomic_uint *pending);
void gw_conns_handoff(struct gw_worker *w);
void gw_conns_adopt(struct gw_worker *w);
/* Closes what was handed to w and never adopted (at shutdown). */
void gw_conns_adopt_none(struct gw_worker *w);
const char *gw_conn_device(const struct gw_conn *c);
/* "a.b.c.d:port" or "[v6]:port", for logs (GW_PEER_MAX bytes). */
void gw_peer_format(const struct sockaddr *sa, char *buf, size_t len);
void gw_peer_log(struct gw_worker *w, enum gw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Adds (add) or changes fd in the worker's epoll set. 0 or -errno. */
int gw_epoll_set(struct gw_worker *w, int fd, uint32_t events, void *ptr, bool add);

#endif
