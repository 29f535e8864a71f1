/* SPDX-License-Identifier: MIT */
/*
 * The DTLS 1.2 data channel of the OpenConnect protocol (doc/protocol.md,
 * section 6), as a self-contained piece a worker wires in: one UDP socket per
 * worker, every datagram handed to gw_dtls_input() with its source address,
 * every datagram to send handed back through ops->send. The module never
 * reads or writes a socket itself, so that a test or a fuzz target can drive
 * it, and so that the worker can batch both directions (recvmmsg/sendmmsg).
 *
 * A client finds its session by the App-ID the gateway gave it in the
 * CONNECT reply: it puts those 32 bytes into the session id of its DTLS
 * ClientHello, and proves the session with a pre-shared key both sides
 * export from the TLS connection that carried the CONNECT. Nothing is kept
 * for a source address until it has echoed a stateless cookie and named a
 * live session (ops->lookup); see gateway/dtls.c for the design.
 *
 * Calling rules: every callback runs inside a gw_dtls_* call of the same
 * worker. From data, up and down the caller may call gw_dtls_send,
 * gw_dtls_peer_close and gw_dtls_session_end, but never gw_dtls_free; send
 * must not call back into this module.
 *
 * Wiring it into the worker (not done yet):
 * - a non-blocking UDP socket on the TLS listener's address and port,
 *   read with recvmmsg, each datagram to gw_dtls_input(d, w->now, ...);
 *   ops->send a sendto or a queue flushed once per loop turn;
 * - per session: an App-ID (gw_dtls_app_id_new, never the cookie: it
 *   travels in the clear), the PSK (wiped when the session is freed), a
 *   peer pointer, and an App-ID -> session lookup for ops->lookup, which
 *   answers only for sessions with a live tunnel connection;
 * - at CONNECT, only when the client offers PSK-NEGOTIATE: end the old
 *   channel (gw_dtls_session_end), gw_dtls_psk_export on this connection,
 *   and the X-DTLS-* lines in the same reply record; none when the export
 *   fails;
 * - data from a peer takes exactly the CSTP data path (anti-spoofing, the
 *   profile filter, the gateway's addresses, counters); TUN packets go over
 *   DTLS when a peer is up and the packet fits its MTU, else over CSTP;
 *   control (DPD, keepalive, terminate) always over CSTP; CSTP data while a
 *   peer is up means the client gave DTLS up: close the peer;
 * - gw_dtls_tick on the one-second tick; gw_dtls_session_end before any
 *   session is freed (kick, revocation, denial, expiry): peers hold the
 *   session pointer;
 * - several workers on one port need the App-ID to reach the worker that
 *   holds the session (a shared map, or steering).
 */
#ifndef POSTERN_GW_DTLS_H
#define POSTERN_GW_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/ssl.h>

#include "gateway/cstp.h"

#define GW_DTLS_APP_ID_LEN	32	/* our App-IDs are always 32 random bytes */
#define GW_DTLS_PSK_LEN		32	/* the key exported from the CONNECT's TLS session */
#define GW_DTLS_SECRET_LEN	32	/* the cookie secret */
#define GW_DTLS_MAX_PAYLOAD	16383	/* one record's plaintext minus the type byte */
/* "X-DTLS-App-ID: " and 64 hex digits, and five more short headers. */
#define GW_DTLS_HEADERS_MAX	256

/* The 1-byte type in front of each record's payload: the CSTP frame types
 * (enum gw_cstp_type, cstp.h), the same values on both channels. */

struct gw_dtls;
struct gw_dtls_peer;

/* What ops->lookup tells about a live session; wiped after use. */
struct gw_dtls_session_info {
	void *sess;			/* the caller's session, passed back to data/up/down */
	uint8_t key[GW_DTLS_PSK_LEN];	/* secret: from gw_dtls_psk_export() */
	unsigned int base_mtu;		/* the path's IP MTU (X-CSTP-Base-MTU); 0: 1406 */
};

struct gw_dtls_ops {
	/*
	 * Finds the live session an App-ID names and fills info; returns 0, or
	 * non-zero when there is none (unknown, ended, or its tunnel is down).
	 * Called only for a ClientHello whose cookie verified.
	 */
	int (*lookup)(void *ctx, const uint8_t app_id[GW_DTLS_APP_ID_LEN],
		      struct gw_dtls_session_info *info);
	/* A handshake completed: data may now go over p (until down). */
	void (*up)(void *ctx, void *sess, struct gw_dtls_peer *p);
	/*
	 * p is gone on the module's own account (the client closed it, it went
	 * silent, failed, or a newer handshake replaced it): send data over
	 * CSTP again. Never called for gw_dtls_peer_close or _session_end.
	 */
	void (*down)(void *ctx, void *sess, struct gw_dtls_peer *p);
	/* One IP packet from the client, not yet checked against anything. */
	void (*data)(void *ctx, void *sess, const uint8_t *pkt, size_t len);
	/* Sends one datagram (best effort, as UDP is: errors are not reported). */
	void (*send)(void *ctx, const struct sockaddr *to, socklen_t tolen,
		     const uint8_t *buf, size_t len);
};

struct gw_dtls_config {
	unsigned int max_peers;		/* 0: 4096 */
	unsigned int handshake_timeout;	/* seconds; 0: 15 */
	unsigned int idle_timeout;	/* seconds without an authenticated record; 0: 90 */
	unsigned int cookie_rotate;	/* seconds between cookie secrets; 0: 60 */
};

/* What a worker's metrics show; the counters only grow. */
struct gw_dtls_stats {
	uint64_t rx_datagrams;
	uint64_t dropped;		/* not for any peer, and not a usable ClientHello */
	uint64_t hello_verify_sent;	/* stateless cookie challenges */
	uint64_t bad_cookie;
	uint64_t unknown_app_id;
	uint64_t peers_full;		/* refused: max_peers reached */
	uint64_t handshakes;		/* completed */
	uint64_t handshake_failures;	/* failed or timed out */
	uint64_t roams;			/* a peer moved to a new source address */
	uint64_t rx_records, tx_records;
	uint64_t bad_records;		/* authenticated but of no known type */
};

/*
 * Creates the worker's DTLS context; cfg may be NULL for the defaults.
 * 0, or -errno with a message in err.
 */
int gw_dtls_new(struct gw_dtls **out, const struct gw_dtls_config *cfg,
		const struct gw_dtls_ops *ops, void *ctx, char *err, size_t errlen);
/* Frees every peer (no callbacks) and wipes the secrets; accepts NULL. */
void gw_dtls_free(struct gw_dtls *d);

/*
 * Handles one datagram received on the worker's UDP socket at monotonic
 * time now (seconds). Anything it cannot use is dropped and counted.
 */
void gw_dtls_input(struct gw_dtls *d, time_t now, const struct sockaddr *from,
		   socklen_t fromlen, const uint8_t *buf, size_t len);

/*
 * Retransmits handshake flights, ends handshakes and peers that ran out of
 * time, and rotates the cookie secret. Call it once a second.
 */
void gw_dtls_tick(struct gw_dtls *d, time_t now);

/*
 * Sends one record (type byte + payload) to an established peer.
 * 0, -ENOTCONN before the handshake completed, -EMSGSIZE when the record
 * does not fit the peer's datagram (send that packet over CSTP), -EIO.
 */
int gw_dtls_send(struct gw_dtls_peer *p, enum gw_cstp_type type, const void *payload, size_t len);
/* The largest payload gw_dtls_send takes for p: the tunnel's MTU over DTLS. */
size_t gw_dtls_peer_mtu(const struct gw_dtls_peer *p);

/* Forgets p at once, with no callback; accepts NULL. */
void gw_dtls_peer_close(struct gw_dtls_peer *p);
/* Forgets every peer of a session (kick, revocation, CSTP reconnect). */
void gw_dtls_session_end(struct gw_dtls *d, const uint8_t app_id[GW_DTLS_APP_ID_LEN]);

/* The source address p uses now (it changes when the client roams). */
const struct sockaddr *gw_dtls_peer_addr(const struct gw_dtls_peer *p, socklen_t *len);
size_t gw_dtls_peer_count(const struct gw_dtls *d);
void gw_dtls_get_stats(const struct gw_dtls *d, struct gw_dtls_stats *out);

/*
 * Replaces the cookie secret (both the current and the previous one), for
 * workers that share one and for deterministic tests; len must be
 * GW_DTLS_SECRET_LEN. 0 or -EINVAL.
 */
int gw_dtls_set_cookie_secret(struct gw_dtls *d, const uint8_t *secret, size_t len);

/* ---- What the tunnel request needs (doc/protocol.md, sections 4 and 6) ---- */

/*
 * The DTLS pre-shared key: 32 bytes exported (RFC 5705) from the TLS
 * connection that carried the CONNECT, label "EXPORTER-openconnect-psk", no
 * context. 0 or -EIO. The key is a secret: wipe it with OPENSSL_cleanse.
 */
int gw_dtls_psk_export(SSL *tls, uint8_t key[GW_DTLS_PSK_LEN]);

/* A fresh random App-ID for a session. 0 or -EIO. */
int gw_dtls_app_id_new(uint8_t app_id[GW_DTLS_APP_ID_LEN]);

/*
 * Whether the client's X-DTLS-CipherSuite value offers PSK-NEGOTIATE (a
 * colon-separated list; the token must match whole). NULL: false.
 */
bool gw_dtls_client_offers_psk(const char *ciphersuites);

/*
 * The tunnel's MTU over DTLS for a path MTU of base_mtu bytes, for
 * X-DTLS-MTU: base_mtu minus the IP and UDP headers, the DTLS record header,
 * the largest AEAD expansion we negotiate and the type byte. 0 when
 * base_mtu is too small to carry anything.
 */
unsigned int gw_dtls_tunnel_mtu(unsigned int base_mtu, bool ipv6);

struct gw_dtls_offer {
	uint8_t app_id[GW_DTLS_APP_ID_LEN];
	uint16_t port;			/* the worker's UDP port */
	unsigned int dpd;		/* seconds; 0: not sent */
	unsigned int keepalive;		/* seconds; 0: not sent */
	unsigned int mtu;		/* gw_dtls_tunnel_mtu(); 0: not sent */
};

/*
 * Writes the X-DTLS-* lines of the CONNECT reply, each ending in CRLF, and
 * a terminating NUL. Returns the length written, or -ENOSPC.
 */
int gw_dtls_connect_headers(const struct gw_dtls_offer *o, char *buf, size_t len);

#endif
