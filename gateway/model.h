/* SPDX-License-Identifier: MIT */
/*
 * The gateway's data model: one worker (an epoll loop with its listener, TUN
 * device, address pools and sessions), the TLS connections it serves and the
 * device sessions that outlive them. A session is what a successful
 * authentication creates: a secret cookie bound to the certificate that
 * obtained it, and (once the tunnel is up) a leased address. A connection is
 * one TLS stream (conn.h); a session has at most one tunnel connection at a
 * time, and keeps its cookie and address for a while after that connection
 * drops, so that the client's reconnect gets the same address back.
 *
 * The functions are declared in each module's own header; this one holds
 * the types every layer shares (see README, Architecture).
 */
#ifndef POSTERN_GW_MODEL_H
#define POSTERN_GW_MODEL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "common/htab.h"
#include "common/macros.h"
#include "conf/conf.h"
#include "gateway/crl.h"
#include "gateway/filter.h"
#include "gateway/keyd.h"
#include "gateway/localaddr.h"
#include "gateway/pool.h"
#include "gateway/refusal.h"
#include "gateway/tally.h"
#include "gateway/timer.h"
#include "gateway/tundev.h"
#include "posture/posture.h"

struct conf_policy;
struct pst_inventory;

/*
 * Errors, here and in posture/ and conf/: a function that can fail returns
 * 0 (or a count or length) on success and a negative errno on failure; one
 * that makes an object returns it, or NULL. When the caller needs words for
 * a failure (a config's FILE:LINE, why a file cannot be used), it passes a
 * buffer, char *err, size_t errlen, and the function writes the message
 * there (NUL-terminated, cut to fit) before it returns the error; never a
 * message of its own as a const char *. Library code never prints: the
 * programs' entry files (main.c, posternctl.c, postern-posture.c,
 * postern-ca.c) do, and the daemon records events through its one log sink,
 * log.c. A device turned away is no error of ours: its refusal is an enum
 * gw_refusal, words and counter included (below).
 */

#define GW_COOKIE_LEN		32	/* random bytes; 64 hex digits on the wire */
#define GW_APP_ID_LEN		32	/* a session's DTLS App-ID (GW_DTLS_APP_ID_LEN) */
#define GW_PSK_LEN		32	/* its DTLS key (GW_DTLS_PSK_LEN) */
#define GW_PEER_MAX		64	/* "[v6addr]:port" */
#define GW_HANDSHAKE_TIMEOUT	20	/* seconds to finish TLS and send a request */
#define GW_HTTP_IDLE_TIMEOUT	30	/* seconds a keep-alive HTTP connection may idle */
#define GW_OUTQ_MAX_BYTES	(1024 * 1024)	/* per connection, then data is dropped */
#define GW_OUTQ_HARD_MAX	(GW_OUTQ_MAX_BYTES + 64 * 1024)	/* then the peer is cut off */
#define GW_PEER_LOG_BUDGET	20	/* failed-connection log lines per second */
#define GW_TICKET_LEN		16	/* random bytes of a host-scan ticket */
#define GW_SCAN_TIMEOUT		120	/* seconds from challenge to the login that redeems it */
#define PATH_MAX_ARG		1024	/* a file name in a control request */
#define GW_XSTR(x)		#x
#define GW_STR(x)		GW_XSTR(x)
#define GW_HISTORY_MAX		512	/* decisions kept for `posternctl show`, all devices */

/* Counters for drops and traffic; the session's and the worker's. */
struct gw_counters {
	uint64_t rx_packets, rx_bytes;		/* client -> gateway (into the TUN) */
	uint64_t tx_packets, tx_bytes;		/* gateway -> client */
	uint64_t dropped_spoofed;
	uint64_t dropped_malformed;
	uint64_t dropped_unroutable;		/* link-local, or a family not leased */
	uint64_t dropped_lateral;		/* to another device (a VPN pool address) */
	uint64_t dropped_outside;		/* outside the session's profile */
	uint64_t dropped_gateway;		/* to one of the gateway's own addresses */
	uint64_t dropped_queue_full;
};

struct gw_session {
	struct gw_session *next, *prev;		/* w->sess.sessions, newest first */
	/* Indexes (session.c), so that nothing scans every session: */
	struct cm_hnode by_cookie, by_device;	/* w->sess.by_cookie, by_device */
	struct gw_session *wait_next, *wait_prev;	/* w->sess.waiting: no tunnel */
	bool waiting;
	struct gw_timer cert_timer;		/* id.not_after, on the wall clock */
	uint8_t cookie[GW_COOKIE_LEN];		/* secret: compared with CRYPTO_memcmp */
	struct pst_identity id;
	struct gw_filter_addrs lease;		/* leased addresses, kept across reconnects */
	uint32_t v4_index, v6_index;
	struct gw_conn *conn;			/* the tunnel connection, or NULL */
	time_t detached;			/* when the tunnel connection went away */
	unsigned int connects;			/* CONNECTs served: >1 means reconnects */
	bool kept;				/* its record is with the supervisor (resume.c) */
	bool spoof_logged, lateral_logged, outside_logged, gateway_logged;
	struct gw_counters counters;
	/*
	 * The posture decision the cookie is bound to. Allow and quarantine
	 * sessions carry their profile's networks (a copy, so that a policy
	 * reload cannot pull them away) and lease at once; a denied device's
	 * session only carries the reason to its CONNECT and never leases.
	 * Without a policy: allow, allow == NULL (the config's routes, no
	 * destination filter).
	 */
	enum pst_verdict verdict;
	char rule[CONF_NAME_MAX + 1];		/* "" when none */
	char profile[CONF_NAME_MAX + 1];
	struct conf_cidr *allow;
	size_t n_allow;
	char *banner;				/* plain text for X-CSTP-Banner, or NULL */
	enum gw_refusal refusal;		/* deny only: why, told at CONNECT */
	char *deny_reason;			/* deny only: the policy's own words, or NULL */
	time_t decided;				/* wall clock: the latest decision */
	/*
	 * What a re-evaluation needs (policy reload, inventory change): what
	 * the device itself said at login (client and agent facts; the MDM's
	 * are looked up afresh each time), why no report counted, and when
	 * its facts were judged, so that their age is measured then and a
	 * reload does not make every report "too old".
	 */
	bool judged;				/* decided by the policy engine */
	struct pst_fact *facts;
	size_t n_facts;
	char *report_problem;			/* NULL when a report counted */
	time_t judged_at;			/* wall clock */
	char *reasons;				/* the latest decision's, one per line, or NULL */
	/* Pushed at CONNECT: the rule's profile and the quarantine profile,
	 * so a device can be moved between them in place; NULL: the config's. */
	struct conf_cidr *routes;
	size_t n_routes;
	time_t since;				/* wall clock: created (logged in) */
	/*
	 * The DTLS channel (channel.c), offered at the tunnel's CONNECT when
	 * the client asked for it. The App-ID names the session in the clear
	 * (never the cookie); the key was exported from the TLS session that
	 * carried that CONNECT, so a reconnect gets a new pair.
	 */
	bool dtls_offered;
	bool dtls_active;			/* data to the client goes over dtls_peer */
	struct gw_dtls_peer *dtls_peer;		/* the established channel, or NULL */
	unsigned int base_mtu;			/* the client's X-CSTP-Base-MTU; 0: not sent */
	uint8_t app_id[GW_APP_ID_LEN];
	uint8_t dtls_key[GW_PSK_LEN];		/* secret: wiped with the channel */
};

/* Why a live session was ended by the gateway or an operator. */
enum gw_end {
	GW_END_KICKED,
	GW_END_REVOKED,
	GW_END_LOST,
	GW_END_POLICY,
	GW_END_EXPIRED,				/* the certificate's validity ended */
	GW_END_N
};

struct gw_stats {
	uint64_t accepted, handshakes, refused, auth_ok, tunnels;
	uint64_t refused_by[GW_REF_COUNTERS];	/* [GW_REF_NONE] stays 0 */
	uint64_t decisions[3];			/* by enum pst_verdict */
	uint64_t by_rule[GW_RULE_SLOTS][3];	/* decisions by rule (tally.h) and verdict */
	uint64_t quarantines[PST_CLASS_N];	/* quarantine decisions, by their reasons' classes */
	uint64_t reports, reports_refused;
	uint64_t reloads_ok, reloads_failed;
	uint64_t reevaluated;			/* live sessions moved to another verdict or profile */
	uint64_t resumed;			/* sessions taken back from the previous network process */
	uint64_t ended[GW_END_N];
	uint64_t closed_bad_input;
	uint64_t handoffs;			/* connections handed to their device's home worker */
	uint64_t shed_idle;			/* idle connections closed to make room */
	uint64_t shed_full;			/* new connections turned away: no room */
	uint64_t shed_source;			/* turned away: max-pending-per-source */
	uint64_t shed_pending;			/* turned away: max-pending */
	uint64_t accept_pauses;			/* out of file descriptors: accepting paused */
	uint64_t crl_reload_failures;		/* the CRL file could not replace the one in force */
	uint64_t worker_restarts;		/* started again after its sandbox ended it */
	struct gw_counters traffic;
	struct gw_latency tls_handshake;	/* accept to the handshake's end */
	struct gw_latency login;		/* accept to the login's answer (a session or a refusal) */
	/* Worker 0 holding every worker's lock (worker.c): a posternctl
	 * command, a slice of a reload or listing, the second's watches; how
	 * long the tunnels of the others waited on it. */
	struct gw_latency control_hold;
};

/* A file the gateway re-reads when it changes (the CRL, the inventory). */
struct gw_watch {
	bool have;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;			/* a chmod or chown: readable again? */
};

struct gw_admin;
struct gw_events;
struct gw_conn;
struct gw_dtls_peer;
struct gw_udp;
struct gw_conn_handlers;
struct gw_history;
struct gw_reeval_job;
struct gw_scan;

/* The policy state: what the worker enforces, replaced by a reload
 * (reload.c) or a watched file (watch.c). */
struct gw_policy_state {
	struct gw_conf *conf;
	struct conf_policy *policy;		/* NULL: every valid device is allowed */
	struct pst_inventory *inventory;	/* the policy's MDM inventory, or NULL */
	X509 *ca;				/* checks a new CRL's signature */
	struct gw_watch crl_watch, inventory_watch;
	time_t conf_loaded, policy_loaded, crl_loaded, inventory_loaded;	/* wall */
	unsigned long crl_revoked;		/* entries in the CRL in force */
	struct gw_crl_meta crl_meta;		/* the CRL in force: number, dates */
	char crl_problem[512];			/* why the file is not in force; "" when it is */
	time_t crl_problem_since;		/* wall */
	time_t server_not_after, ca_not_after;	/* wall; 0 when unknown */
};

/* A device an operator has barred for a while (ban.c). */
struct gw_ban {
	char device[PST_DEVICE_ID_MAX + 1];
	time_t since, until;			/* wall clock; expired at until */
};

/* The control plane: the operators' sockets and what they are told. */
struct gw_control {
	struct gw_admin *admin;			/* control socket and metrics (ctlsock.c) */
	struct gw_events *events;		/* for posternctl events: worker 0's (events.c) */
	struct gw_history *history;		/* GW_HISTORY_MAX, a ring (history.c) */
	size_t history_next, history_n;
	/* The bans of the devices homed on this worker, which checks them at
	 * login; worker 0 changes them holding every lock. A reload keeps them. */
	struct gw_ban *bans;
	size_t n_bans, cap_bans;
	int audit_fd;				/* -1 when there is no audit log */
	time_t started;				/* wall */
	struct gw_reeval_job *reeval;		/* running over every worker (reeval.c) */
	struct gw_listing *listing;		/* posternctl sessions in slices (ctllist.c) */
	unsigned int reeval_slice_us;		/* per loop turn; 0: all at once (tests) */
	uint64_t hold_since;			/* every worker held since (gw_latency_now) */
	unsigned long fd_limit, fd_need;	/* RLIMIT_NOFILE, and what max-clients needs */
};

/* The transport: the listener, TLS and the connections it serves. */
struct gw_transport {
	const struct gw_conn_handlers *handlers;	/* the layers above (conn.h) */
	int listen_fd;
	struct gw_udp *udp;			/* the DTLS channel's socket; NULL: dtls = false */
	SSL_CTX *tls;
	struct gw_keyd keyd;			/* holds the TLS private key (worker 0's) */
	struct gw_keyd_client keyd_client;	/* this worker's channel to it */
	struct gw_conn *conns;
	struct gw_conn *dead;			/* closed this turn, freed after it */
	struct gw_conn *pending;		/* hold read-ahead records (conn.c) */
	struct gw_conn *wflush;			/* gathered records to write (conn.c) */
	struct gw_conn *handoff_out;		/* to other workers at the turn's end */
	struct gw_wheel timers;			/* connections' deadlines and ticks (conn.c) */
	uint8_t *rxbuf;				/* GW_RX_CAP bytes: where records are read */
	unsigned int n_conns;
	unsigned int n_logins;			/* of them not tunnels yet (max-pending) */
	/* Connections that have not sent a ClientHello yet, oldest first: what
	 * makes room when every slot is taken (conn.c). */
	struct gw_conn *idle_head, *idle_tail;
	struct cm_htab sources;			/* struct gw_source by client address (conn.c) */
	void *listen_tag;			/* the listener's epoll data (worker.c) */
	bool accept_paused;			/* out of file descriptors: until the next tick */
	bool accept_ready;			/* the listener is readable: accept at the turn's end */
	unsigned int peer_log_budget;		/* left this second (conn.c) */
	unsigned long peer_log_suppressed;
};

/* The data path: the TUN device, the address pools and what the packet
 * filter checks against. */
struct gw_datapath {
	struct gw_tun tun;
	struct gw_pool pool4, pool6;
	bool have_pool6;
	struct gw_filter_nets pools;		/* for the filter: no client packet goes there */
	struct gw_local local;			/* the gateway's own addresses (localaddr.c) */
	struct gw_session **by_v4, **by_v6;	/* pool index -> session */
};

/*
 * The sessions and the posture checks in progress. Every session is on the
 * list, in both hash tables (by the cookie's bytes, by device id), on the
 * wheel when its certificate has a not_after, and, while it has no tunnel
 * connection, on the waiting FIFO in the order its tunnel went away (so
 * cookie-timeout ends them from the head).
 */
struct gw_sessions {
	struct gw_session *sessions;
	struct cm_htab by_cookie, by_device;
	struct gw_session *waiting, *waiting_tail;	/* oldest detach first */
	struct gw_wheel cert_expiry;		/* wall clock seconds */
	struct gw_scan *scans;
	unsigned int n_scans;
	/* A re-evaluation in slices (reeval.c): the next session to decide,
	 * advanced past a session that ends meanwhile. */
	struct gw_session *reeval_next;
	bool reeval_active;
	/* posternctl sessions in slices (ctllist.c): the next to list. */
	struct gw_session *list_next;
	bool list_active;
};

/*
 * The workers of one gateway, one per core (worker.c), each a thread the
 * keeper starts (keeper.c); worker 0 also serves the control plane. Every
 * worker has its own event loop, TLS listener (SO_REUSEPORT), UDP port, TUN
 * queue and share of the address pools. Each device has a home worker (gw_worker_home): its
 * logins, sessions and tunnel live there, and a connection that arrives on
 * another worker is handed to it before its first request is served.
 *
 * Locking: a worker holds its own lock for each turn of its loop, from the
 * events epoll returns to the end of their handling, and never takes
 * another's. Worker 0, to read or change what every worker holds (a control
 * command, a reload, the CRL and inventory watches), takes the others'
 * locks in index order after its own. Nothing is locked per packet. The
 * policy state (struct gw_policy_state) is worker 0's; the others hold a
 * copy that worker 0 refreshes while it holds every lock. The locks are
 * robust: one a worker's thread held when its sandbox ended it is handed
 * on (gw_worker_lock).
 */
#define GW_WORKERS_MAX		64
/* Workers started again within GW_KEEPER_WINDOW seconds beyond which the
 * network process ends instead (its supervisor's own limit then counts). */
#define GW_KEEPER_BURST		5
#define GW_KEEPER_WINDOW	60

struct gw_gateway {
	unsigned int n;				/* workers set up so far */
	unsigned int want;			/* workers it runs: their share of pools and ports */
	struct gw_worker *w[GW_WORKERS_MAX];
	/* The workers' threads (keeper.c): the calling thread, which reads no
	 * input, starts them and starts again one its sandbox ended. */
	pthread_t thread[GW_WORKERS_MAX];
	int keeper_fd;				/* eventfd: a worker's thread ended */
	atomic_bool done;			/* worker 0's loop returned ... */
	int result;				/* ... with this */
	time_t restarted[GW_KEEPER_BURST];	/* the last restarts, a ring */
	unsigned int n_restarted;
};

/* Connections another worker handed to this one (conn.c). */
struct gw_handoff {
	int fd;					/* an eventfd: written when the list grows */
	pthread_mutex_t lock;
	struct gw_conn *head;
};

/*
 * One worker: an epoll loop and everything it serves. All per-worker state
 * lives here, never in globals, so that several workers (one per core) can
 * run side by side.
 */
struct gw_worker {
	struct gw_gateway *gw;
	unsigned int index;			/* in gw->w[]; 0 runs the control plane */
	pthread_mutex_t lock;			/* held for each turn of the loop */
	struct gw_handoff handoff;
	int epfd;
	int timer_fd;
	int signal_fd;
	time_t now;				/* CLOCK_MONOTONIC seconds, updated per loop turn */
	bool stopping;
	struct gw_transport net;
	struct gw_datapath dp;
	struct gw_sessions sess;
	struct gw_policy_state pol;
	struct gw_control ctl;
	struct gw_stats stats;
	bool secondary;				/* shares worker 0's policy, TLS context, key holder */
	atomic_int ended_by;			/* 1 + the forbidden call that ended its thread */
	char name[16];				/* "worker 1", for the sandbox's line */
};

/* How many workers w's gateway runs (1 for a worker on its own, as in tests). */
static inline unsigned int gw_workers_n(const struct gw_worker *w)
{
	return w->gw ? w->gw->n : 1;
}

/* One worker's share of a number that is the gateway's (max-clients, the
 * log budget, max-pending-per-source): split among n workers, rounded up. */
static inline unsigned int gw_worker_share(unsigned int total, unsigned int n)
{
	return (total + n - 1) / n;
}

/* How many workers w's gateway is made of, while they are being set up. */
static inline unsigned int gw_workers_want(const struct gw_worker *w)
{
	return w->gw ? w->gw->want : 1;
}

/* Worker k of w's gateway (w itself when it runs alone). */
static inline struct gw_worker *gw_worker_at(const struct gw_worker *w, unsigned int k)
{
	return w->gw ? w->gw->w[k] : (struct gw_worker *)w;
}

/*
 * The home worker of a device: where its logins, sessions and tunnel live.
 * FNV-1a of the device ID (issued by the CA, not chosen by the client).
 */
static inline unsigned int gw_home_index(const struct gw_worker *w, const char *device_id)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)device_id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % gw_workers_n(w);
}

static inline struct gw_worker *gw_worker_home(const struct gw_worker *w, const char *device_id)
{
	return gw_worker_at(w, gw_home_index(w, device_id));
}

#endif
