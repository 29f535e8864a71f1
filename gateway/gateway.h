/* SPDX-License-Identifier: MIT */
/*
 * The gateway's data model: one worker (an epoll loop with its listener, TUN
 * device, address pools and sessions), the TLS connections it serves and the
 * device sessions that outlive them. A session is what a successful
 * authentication creates: a secret cookie bound to the certificate that
 * obtained it, and (once the tunnel is up) a leased address. A connection is
 * one TLS stream; a session has at most one tunnel connection at a time, and
 * keeps its cookie and address for a while after that connection drops, so
 * that the client's reconnect gets the same address back.
 *
 * All per-worker state lives in struct gw_worker, never in globals, so that
 * several workers (one per core) can run side by side later.
 */
#ifndef POSTERN_GW_GATEWAY_H
#define POSTERN_GW_GATEWAY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/ssl.h>

#include "conf/conf.h"
#include "gateway/crl.h"
#include "gateway/cstp.h"
#include "gateway/filter.h"
#include "gateway/http.h"
#include "gateway/keyd.h"
#include "gateway/localaddr.h"
#include "gateway/log.h"
#include "gateway/pool.h"
#include "posture/inventory.h"
#include "posture/posture.h"

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
#define GW_PEER_MAX		64	/* "[v6addr]:port" */
#define GW_HANDSHAKE_TIMEOUT	20	/* seconds to finish TLS and send a request */
#define GW_HTTP_IDLE_TIMEOUT	30	/* seconds a keep-alive HTTP connection may idle */
#define GW_OUTQ_MAX_BYTES	(1024 * 1024)	/* per connection, then data is dropped */
#define GW_OUTQ_HARD_MAX	(GW_OUTQ_MAX_BYTES + 64 * 1024)	/* then the peer is cut off */
#define GW_PEER_LOG_BUDGET	20	/* failed-connection log lines per second */
#define GW_TICKET_LEN		16	/* random bytes of a host-scan ticket */
#define GW_SCAN_TIMEOUT		120	/* seconds from challenge to the login that redeems it */
#ifndef POSTERN_VERSION
#define POSTERN_VERSION "0.2.0"
#endif
#define PATH_MAX_ARG		1024	/* a file name in a control request */
#define GW_XSTR(x)		#x
#define GW_STR(x)		GW_XSTR(x)
#define GW_HISTORY_MAX		512	/* decisions kept for `posternctl show`, all devices */
/* Room for a partial frame or request plus one whole TLS record. */
#define GW_RX_CAP		(2 * GW_CSTP_MAX_FRAME + 16)

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

/*
 * Why a device was turned away: one value per refusal, carried from where it
 * is decided (tls.c, auth.c, verdict.c) to the counter, the log line and the
 * words the device is told (X-Reason). One table (stats.c) gives each its
 * words (gw_refusal_words) and the counter it is counted under
 * (gw_refusal_counter); rewording a refusal never moves its count. Only a
 * policy's deny carries words of its own, the policy's reason.
 *
 * The values before GW_REF_COUNTERS are the counters themselves
 * (postern_refusals_total{reason}, `posternctl stats`), in their order
 * there; the ones after it are finer refusals, each counted under one of
 * them. GW_REF_NONE (zero: a fresh connection) is no refusal; where one is
 * needed and none was recorded it reads and counts as a bad certificate.
 */
enum gw_refusal {
	GW_REF_NONE,
	GW_REF_REVOKED,
	GW_REF_EXPIRED,
	GW_REF_NOT_YET_VALID,
	GW_REF_UNKNOWN_CA,
	GW_REF_CRL_OUT_OF_DATE,
	GW_REF_NOT_CLIENT_CERT,
	GW_REF_NO_CERTIFICATE,
	GW_REF_BAD_CERTIFICATE,
	GW_REF_POLICY_DENY,
	GW_REF_POOL_EXHAUSTED,
	GW_REF_RESOURCES,
	GW_REF_COOKIE,			/* CONNECT with an unknown or expired cookie */
	GW_REF_POSTURE_CHECK,		/* the posture check expired or was used */
	GW_REF_COUNTERS,
	/* counted as not_client_cert */
	GW_REF_CERT_IS_CA = GW_REF_COUNTERS,
	GW_REF_CERT_NO_EKU,
	GW_REF_CERT_EKU_NOT_CLIENT,
	GW_REF_CERT_BAD_EXTENSIONS,
	/* counted as bad_certificate */
	GW_REF_NO_DEVICE_NAME,
	/* counted as cookie */
	GW_REF_COOKIE_NONE,
	GW_REF_COOKIE_UNKNOWN_NO_CERT,
	GW_REF_COOKIE_OTHER_CERT,
	GW_REF_COOKIE_CERT_EXPIRED,
	/* counted as posture_check */
	GW_REF_POSTURE_OTHER_DEVICE,
	GW_REF_N
};

struct gw_session {
	struct gw_session *next;
	uint8_t cookie[GW_COOKIE_LEN];		/* secret: compared with CRYPTO_memcmp */
	struct pst_identity id;
	struct gw_filter_addrs lease;		/* leased addresses, kept across reconnects */
	uint32_t v4_index, v6_index;
	struct gw_conn *conn;			/* the tunnel connection, or NULL */
	time_t detached;			/* when the tunnel connection went away */
	unsigned int connects;			/* CONNECTs served: >1 means reconnects */
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
};

/*
 * One host-scan exchange in progress: created when a device with a valid
 * certificate logs in under a policy with agent = required, ended when its
 * token is redeemed by the login that follows the scan. The token is the
 * sdesktop cookie: a secret, compared in constant time. A report counts only
 * when posted with the same certificate, once.
 */
struct gw_scan {
	struct gw_scan *next;
	uint8_t token[GW_COOKIE_LEN];
	char ticket[2 * GW_TICKET_LEN + 1];	/* hex; names the scan in token.xml */
	struct pst_identity id;
	time_t expires;				/* monotonic */
	bool reported;				/* a report counted: the token is used up */
	char problem[PST_REASON_MAX];		/* why no report counted yet, if one came */
	struct pst_facts facts;			/* the agent's report */
};

enum gw_conn_state {
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
	char peer[GW_PEER_MAX];			/* client address for logs */
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
	bool wake_client;			/* tunnel: keepalive due on the first DPD reply */
	struct gw_conn *pending_next;
	uint32_t events;			/* what epoll watches now */
	time_t deadline;			/* handshake/HTTP phases: close when reached */
	time_t last_rx;				/* tunnel: any frame from the client */
	time_t last_data;			/* tunnel: data either way, for idle-timeout */
	time_t dpd_sent;			/* tunnel: when we last asked for a DPD reply */
};

struct gw_tun {
	int fd;
	int ifindex;
	char name[16];
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
	uint64_t reports, reports_refused;
	uint64_t reloads_ok, reloads_failed;
	uint64_t reevaluated;			/* live sessions moved to another verdict or profile */
	uint64_t ended[GW_END_N];
	uint64_t closed_bad_input;
	uint64_t crl_reload_failures;		/* the CRL file could not replace the one in force */
	struct gw_counters traffic;
};

/* One decision, for the history `posternctl show` prints. */
struct gw_history {
	time_t time;				/* wall clock */
	char device[PST_DEVICE_ID_MAX + 1];
	const char *event;			/* static: "login", "reload", "inventory", ... */
	const char *verdict;			/* static: a verdict's name, or "ended" */
	char rule[CONF_NAME_MAX + 1];
	char profile[CONF_NAME_MAX + 1];
	char reasons[2 * PST_REASON_MAX];	/* one per line, cut */
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

struct gw_worker {
	/* Owned by the worker, replaced by a reload (reload.c). */
	struct gw_conf *conf;
	struct conf_policy *policy;		/* NULL: every valid device is allowed */
	struct pst_inventory *inventory;	/* the policy's MDM inventory, or NULL */
	X509 *ca;				/* checks a new CRL's signature */
	struct gw_watch crl_watch, inventory_watch;
	time_t started, conf_loaded, policy_loaded, crl_loaded, inventory_loaded;	/* wall */
	unsigned long crl_revoked;		/* entries in the CRL in force */
	struct gw_crl_meta crl_meta;		/* the CRL in force: number, dates */
	char crl_problem[512];			/* why the file is not in force; "" when it is */
	time_t crl_problem_since;		/* wall */
	time_t server_not_after, ca_not_after;	/* wall; 0 when unknown */
	struct gw_admin *admin;			/* control socket and metrics (admin.c) */
	struct gw_history *history;		/* GW_HISTORY_MAX, a ring */
	size_t history_next, history_n;
	int audit_fd;				/* -1 when there is no audit log */
	struct gw_scan *scans;
	unsigned int n_scans;
	int epfd;
	int listen_fd;
	int timer_fd;
	int signal_fd;
	SSL_CTX *tls;
	struct gw_keyd keyd;			/* holds the TLS private key */
	struct gw_tun tun;
	struct gw_pool pool4, pool6;
	bool have_pool6;
	struct gw_filter_nets pools;		/* for the filter: no client packet goes there */
	struct gw_local local;			/* the gateway's own addresses (localaddr.c) */
	struct gw_session **by_v4, **by_v6;	/* pool index -> session */
	struct gw_session *sessions;
	struct gw_conn *conns;
	struct gw_conn *dead;			/* closed this turn, freed after it */
	struct gw_conn *pending;		/* hold read-ahead records (conn.c) */
	uint8_t *rxbuf;				/* GW_RX_CAP bytes: where records are read */
	unsigned int n_conns;
	time_t now;				/* CLOCK_MONOTONIC seconds, updated per loop turn */
	unsigned int peer_log_budget;		/* left this second (conn.c) */
	unsigned long peer_log_suppressed;
	bool stopping;
	struct gw_stats stats;
};

struct gw_worker;

/* tls.c */
SSL_CTX *gw_tls_ctx_new(const struct gw_conf *conf, struct gw_keyd *kd);
X509 *gw_tls_ca_load(const char *path);
/* A trust store for device certificates: ca and crl (checked by crl.c),
 * with CRL checking on. NULL with the reason in err. */
X509_STORE *gw_tls_store_new(X509 *ca, X509_CRL *crl, char *err, size_t errlen);
/* After the handshake: fills c->id, c->cert_ok and c->cert_refusal. */
void gw_tls_peer_check(struct gw_conn *c);
int gw_tls_conn_index(void);

/* tun.c */
int gw_tun_open(struct gw_tun *tun, const char *name);
int gw_tun_configure(struct gw_tun *tun, const struct gw_worker *w);
void gw_tun_close(struct gw_tun *tun);

/* session.c */
int gw_session_new(struct gw_worker *w, const struct pst_identity *id, struct gw_session **out);
/* Ends every other session of s's device: s's tunnel has just opened. */
void gw_session_supersede(struct gw_worker *w, struct gw_session *s);
struct gw_session *gw_session_find(struct gw_worker *w, const char *cookie_hex, size_t len);
/* Exactly 2 * GW_COOKIE_LEN lower-case hex digits, else -EINVAL. */
int gw_cookie_parse(const char *hex, size_t len, uint8_t out[GW_COOKIE_LEN]);
int gw_session_lease(struct gw_worker *w, struct gw_session *s);
bool gw_session_wants_v6(const struct gw_worker *w, const struct gw_session *s);
void gw_session_end(struct gw_worker *w, struct gw_session *s, const char *why);
void gw_session_cookie_hex(const struct gw_session *s, char hex[2 * GW_COOKIE_LEN + 1]);
/* n bytes as 2n lower-case hex digits and a NUL. */
void gw_hex(const uint8_t *in, size_t n, char *out);
struct gw_session *gw_session_by_addr(struct gw_worker *w, const uint8_t *pkt, size_t len);
void gw_sessions_expire(struct gw_worker *w);

/* conn.c */
void gw_conn_accept(struct gw_worker *w);
void gw_conn_event(struct gw_conn *c, uint32_t events);
void gw_conn_close(struct gw_conn *c, const char *why);
void gw_conn_free(struct gw_conn *c);
void gw_conn_reject(struct gw_conn *c, int status, const char *reason, const char *log_why);
int gw_conn_send(struct gw_conn *c, const void *data, size_t len);
int gw_conn_send_frame(struct gw_conn *c, enum gw_cstp_type type, const void *payload, uint16_t len);
void gw_conns_tick(struct gw_worker *w);
void gw_conns_pending(struct gw_worker *w);
const char *gw_conn_device(const struct gw_conn *c);
void gw_peer_log(struct gw_worker *w, enum gw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* auth.c: the HTTP endpoints */
void gw_auth_request(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body);
void gw_auth_reply(struct gw_conn *c, const char *extra_headers, const char *content_type,
		   const char *body);
void gw_auth_session(struct gw_conn *c, const struct gw_session *s);
/* Logs a refusal ("refused peer=... device=...: WORDS") and counts it; text
 * is a policy deny's own words, else NULL. */
void gw_auth_refused(struct gw_conn *c, enum gw_refusal r, const char *text);

/* scan.c: the host-scan (posture) exchange */
int gw_scan_new(struct gw_worker *w, const struct pst_identity *id, struct gw_scan **out);
struct gw_scan *gw_scan_find(struct gw_worker *w, const char *token_hex, size_t len);
void gw_scan_end(struct gw_worker *w, struct gw_scan *sc);
void gw_scans_expire(struct gw_worker *w);
void gw_scans_free(struct gw_worker *w);
void gw_scan_challenge(struct gw_conn *c, const struct gw_scan *sc);
/* The endpoints under /+CSCOE+/; false when the request is not for one. */
bool gw_scan_request(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body);

/* verdict.c: a posture decision turned into a session, a reply and an audit record */
/* What the client's login request says about the device (source client). */
void gw_client_facts(const struct gw_http_req *req, const uint8_t *body, time_t now,
		     struct pst_facts *facts);
void gw_verdict_login(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body,
		      struct gw_scan *sc);
/* Gives s the decision: verdict, rule, profile networks, reasons; and its
 * routes while it has not connected yet. 0 or -ENOMEM (s unchanged then
 * only in part: the caller ends it). */
int gw_session_apply(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d);
int gw_session_routes(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d);
/* Denies the device for a reason outside the policy (no audit record). */
void gw_verdict_refuse(struct gw_conn *c, enum gw_refusal r);

/* audit.c */
/* event: "login", "reload", "inventory"; peer NULL when the device is not connected. */
void gw_audit_decision(struct gw_worker *w, const char *event, const struct pst_identity *id,
		       const char *peer, const struct gw_session *s, const struct pst_decision *d,
		       const struct pst_facts *facts, const char *report_problem);

/* tunnel.c: the CSTP data path */
void gw_tunnel_attach(struct gw_conn *c, struct gw_session *s);
void gw_tunnel_tick(struct gw_conn *c);
void gw_tunnel_frame(struct gw_conn *c, const struct gw_cstp_frame *f);
void gw_tunnel_from_tun(struct gw_worker *w);
void gw_tunnel_detach(struct gw_conn *c, const char *why);

/* stats.c: every counter once, for posternctl stats and the metrics */
struct gw_stat_row {
	const char *group;	/* JSON object it sits in, or NULL for the top level */
	const char *key;	/* its key there */
	const char *metric;	/* Prometheus name */
	const char *label;	/* "reason=\"revoked\"" or NULL */
	const char *help;	/* for # HELP, on the first row of a metric */
	bool gauge;
	uint64_t value;
};
size_t gw_stats_rows(const struct gw_worker *w, struct gw_stat_row *rows, size_t cap);
/* The gauges, counted once from the sessions and pools (stats, status, metrics). */
struct gw_gauges {
	uint64_t sessions[3];			/* by enum pst_verdict */
	uint64_t tunnels;
	uint64_t used4, size4, used6, size6;	/* leasable pool addresses */
};
void gw_stats_gauges(const struct gw_worker *w, struct gw_gauges *g);
#define GW_STAT_ROWS_MAX 64
void gw_stats_json(const struct gw_worker *w, FILE *f);
void gw_stats_text(const struct gw_worker *w, FILE *f);
void gw_stats_prometheus(const struct gw_worker *w, FILE *f);
/* The refusal table (see enum gw_refusal): the words the device and the log
 * are told; text instead when a policy deny brings its own (else NULL). */
const char *gw_refusal_words(enum gw_refusal r, const char *text);
/* The counter r is counted under (a value below GW_REF_COUNTERS), its key. */
enum gw_refusal gw_refusal_counter(enum gw_refusal r);
const char *gw_refusal_key(enum gw_refusal r);
void gw_stats_refused(struct gw_worker *w, enum gw_refusal r);

/* json.c: JSON for the control socket and the audit log */
void gw_json_str(FILE *f, const char *s);		/* "..." escaped; null for NULL */
void gw_json_time(FILE *f, time_t t);			/* "2026-11-27T10:00:00Z" */
void gw_json_key(FILE *f, bool *first, const char *key);	/* ,"key": */
void gw_json_addr(FILE *f, int family, const void *addr);	/* "a.b.c.d" */

/* admin.c: the control socket and the metrics listener */
int gw_admin_open(struct gw_worker *w);
void gw_admin_event(struct gw_worker *w);
void gw_admin_tick(struct gw_worker *w);
void gw_admin_close(struct gw_worker *w);
int gw_admin_fd(const struct gw_worker *w);	/* its epoll set, for the worker's; -1 */
/* The metrics listener's whole answer to the request head in buf (len
 * bytes), in *out (malloc'd, *out_len bytes): 0, -EAGAIN while the head is
 * not complete, or -ENOMEM. */
int gw_metrics_answer(const struct gw_worker *w, const char *buf, size_t len, char **out,
		      size_t *out_len);

/* control.c: posternctl's commands. Runs one request line and writes the
 * answer's body to f. 0, or -errno with the message for the client, one
 * line, in err: -EINVAL for a request that is not one (malformed, unknown
 * command, bad argument), -ENOENT for a device without a session, or the
 * reload's or policy-diff's error (its problems are then the body). */
int gw_control_run(struct gw_worker *w, const char *line, FILE *f, char *err, size_t errlen);

/* reload.c: live changes */
/* Re-reads config, policy, inventory and CRL; all or nothing. 0, or the
 * first failing loader's -errno with the problems (FILE:LINE lines) in err.
 * Writes a JSON or text summary to f when f is not NULL. */
int gw_reload(struct gw_worker *w, FILE *f, bool json, char *err, size_t errlen);
int gw_policy_diff(struct gw_worker *w, const char *path, FILE *f, bool json, char *err,
		   size_t errlen);
/* Every second: a changed CRL or inventory file is re-read and applied. */
void gw_watch_tick(struct gw_worker *w);
int gw_reload_init(struct gw_worker *w);
void gw_reload_free(struct gw_worker *w);
/* The facts a session is judged on now: its own plus the MDM's. 0, or
 * -ENOSPC when they do not fit (the caller denies: fail closed). */
int gw_session_facts(const struct conf_policy *p, const struct pst_inventory *inv,
		     const struct gw_session *s, time_t now, struct pst_facts *facts);
void gw_history_add(struct gw_worker *w, const char *device, const char *event,
		    const struct pst_decision *d);
/* Ends a live session for a reason counted in stats.ended. */
void gw_session_end_for(struct gw_worker *w, struct gw_session *s, enum gw_end why,
			const char *text);
/* Audit log: reopened on SIGUSR1 (logrotate). */
void gw_audit_reopen(struct gw_worker *w);

/* access.c */
/*
 * The files a running gateway re-reads (config, CRL, policy, inventory) and
 * the audit log it reopens, tried as conf->user, the user it drops to. 0
 * when all is well or there is no user; -EACCES (or another -errno when the
 * check could not run: -EPERM when we are neither root nor that user) with
 * one problem per line in err, each naming the file, the user and a fix.
 */
int gw_access_check(const struct gw_conf *conf, const struct conf_policy *policy, char *err,
		    size_t errlen);

/* privs.c: drop root for good (user NULL: only forbid new privileges) */
int gw_privs_drop(const char *user);
/* One file to try as another user: read it, or append to it (when it does
 * not exist: create it in its directory). */
struct gw_access {
	const char *path;
	bool append;
	int err;				/* out: 0 or -errno */
	size_t blocked_at;			/* out: on -EACCES, the length of the
						 * path's directory that user cannot
						 * search; 0 when it is the file itself */
};
/* Tries each file as user, in a child process that becomes user. 0 with
 * the results in a[], or -errno when the child could not run (-EPERM: we
 * are neither root nor user). */
int gw_privs_try_as(const char *user, struct gw_access *a, size_t n);

/* loop.c */
/* Takes ownership of conf and policy (freed by gw_worker_free). */
int gw_worker_init(struct gw_worker *w, struct gw_conf *conf, struct conf_policy *policy);
int gw_worker_run(struct gw_worker *w);
void gw_worker_free(struct gw_worker *w);
int gw_epoll_set(struct gw_worker *w, int fd, uint32_t events, void *ptr, bool add);

#endif
