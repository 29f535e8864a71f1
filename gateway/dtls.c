/* SPDX-License-Identifier: MIT */
/*
 * The DTLS 1.2 channel (doc/protocol.md, section 6): one UDP socket per
 * worker, demultiplexed here by source address, one OpenSSL DTLS server
 * object per client that proved itself. The choices, and why:
 *
 * Demux. A peer table keyed by source address (address and port) under a
 * keyed hash (SipHash, a random key per worker), so that clients cannot
 * choose addresses that fall into one bucket. Each peer's SSL talks to a
 * small BIO of ours instead of a socket or a memory BIO: its read hands
 * OpenSSL the one datagram being processed, and each BIO write is one
 * datagram, passed to ops->send at once. A BIO_s_mem would merge the
 * datagrams of a flight into one byte stream, and OpenSSL 3.0 has no
 * datagram-pair BIO yet. The link MTU is set from the session's base MTU
 * (SSL_OP_NO_QUERY_MTU): there is no socket to ask.
 *
 * Cookie. Before anything is kept for a source, its ClientHello must carry
 * our cookie, HMAC-SHA256(secret, address, port) truncated to 16 bytes,
 * which proves that the source receives what we send to it. The cookie is
 * checked in constant time against the current and the previous secret
 * (rotated every cookie_rotate seconds, so a cookie lives one to two
 * periods). Without it the answer is a HelloVerifyRequest that we write
 * ourselves (gateway/dtls_wire.c): 44 bytes, sent only when the ClientHello
 * was at least as long, so the socket cannot amplify a spoofed flood. Only
 * then does the session id (the App-ID) reach ops->lookup, and only a live
 * session gets a peer. OpenSSL's DTLSv1_listen is then run once on the new
 * peer's SSL, on the same datagram: it is OpenSSL's only public way to
 * start a server handshake after a cookie exchange (message_seq 1).
 *
 * Sessions. A session has at most one peer in handshake and one
 * established: a new verified ClientHello for the same App-ID replaces the
 * first at once and the second when its own handshake completes, which is
 * how a client that reconnects (new key after a CSTP reconnect, or a new
 * source port) redoes DTLS. A ClientHello that repeats the random of the
 * hello a peer started from is a retransmission and goes to that peer.
 *
 * Roaming. DTLS 1.2 without connection ids gives a datagram from a new
 * address nothing that names its peer. We do what WireGuard does for its
 * endpoints, narrowed the way ocserv narrows it: an application-data record
 * from an unknown address is tried against the established peers last seen
 * at the same IP address (a NAT that rebinds changes the port, not the
 * address), at most GW_DTLS_ROAM_TRIES of them, and the peer moves only when
 * OpenSSL authenticates and accepts the record (its replay window refuses a
 * copy). So a datagram costs at most a few AEAD checks, and an attacker
 * without the key moves nothing; one on the path who replays a fresh record
 * from elsewhere first can divert the return traffic until the client's
 * next record moves it back, which is no more than dropping it could do. A
 * client whose IP address changes (Wi-Fi to mobile) is not found this way:
 * its DPD fails, and it redoes the handshake from the new address, which
 * the session rule above takes over. Its CSTP session and address are kept.
 *
 * Forged records. OpenSSL 3.0 drops a sealed record that fails
 * authentication, but ends the connection with an alert on one that is too
 * short or too long for the agreed AEAD. A datagram for an established peer
 * therefore reaches OpenSSL only when every record in it is well formed
 * (gw_dtls_records_ok). A peer still in its handshake has no such guard: a
 * spoofer who knows the client's port can make that handshake fail, and the
 * client retries.
 *
 * Not here: batching (the worker reads with recvmmsg and lets ops->send
 * queue for one sendmmsg per loop turn), routing (the worker decides per
 * packet between gw_dtls_send and CSTP), and logging (the counters in
 * struct gw_dtls_stats, and the callbacks, are what the worker logs).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include "common/siphash.h"
#include "gateway/dtls.h"
#include "gateway/dtls_wire.h"

#define GW_DTLS_ROAM_TRIES	4	/* peers tried for one datagram from a new port */
#define GW_DTLS_MAX_DATAGRAM	(16384 + 2048)	/* no client of ours sends more */
#define GW_DTLS_MIN_BUCKETS	64
#define GW_DTLS_DEF_BASE_MTU	1406	/* the client's default (doc/protocol.md, section 4) */
#define GW_DTLS_CIPHERS	"PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256:PSK-CHACHA20-POLY1305"

/* A source address as the tables compare it; zero-filled, so memcmp works. */
struct dtls_addr {
	uint8_t family;
	uint8_t ip[16];
	uint8_t port[2];
};

enum { BY_ADDR, BY_IP, BY_APP, N_INDEX };

struct gw_dtls_peer {
	struct gw_dtls *d;
	struct gw_dtls_peer *prev, *next;		/* every peer, for the tick */
	struct gw_dtls_peer *link[N_INDEX];		/* hash chains */
	struct dtls_addr addr;
	struct sockaddr_storage sa;
	socklen_t salen;
	uint8_t app_id[GW_DTLS_APP_ID_LEN];
	uint8_t random[GW_DTLS_RANDOM_LEN];		/* of the ClientHello it began with */
	uint8_t psk[GW_DTLS_PSK_LEN];			/* secret */
	void *sess;
	SSL *ssl;
	const uint8_t *rx;				/* the datagram OpenSSL may read */
	size_t rx_len;
	bool peek;					/* DTLSv1_listen reads it twice */
	bool up;					/* handshake completed */
	size_t min_sealed;				/* the agreed AEAD's nonce and tag */
	bool gone;					/* unlinked; freed when no longer in use */
	time_t started, last_rx;
};

struct gw_dtls {
	struct gw_dtls_config cfg;
	struct gw_dtls_ops ops;
	void *ctx;
	SSL_CTX *ssl_ctx;
	BIO_METHOD *bio_meth;
	struct gw_dtls_peer *peers;
	struct gw_dtls_peer **index[N_INDEX];
	size_t mask;					/* buckets - 1 */
	size_t npeers;
	uint8_t hash_key[CM_SIPHASH_KEY_LEN];		/* secret */
	uint8_t secret[2][GW_DTLS_SECRET_LEN];		/* current, previous; secret */
	time_t rotate_at;
	time_t now;
	unsigned int depth;				/* nested calls of ours running */
	size_t ngone;					/* ended peers still listed */
	struct gw_dtls_stats stats;
	uint8_t rxbuf[1 + GW_DTLS_MAX_PAYLOAD];
	uint8_t txbuf[1 + GW_DTLS_MAX_PAYLOAD];
};

/* ---- the three indexes, keyed by SipHash (common/siphash.h) ---- */

/* The bytes an index hashes: the whole address, the IP alone, or the App-ID. */
static size_t key_bytes(int which, const struct dtls_addr *a, const uint8_t *app_id,
			uint8_t out[GW_DTLS_APP_ID_LEN])
{
	if (which == BY_APP) {
		memcpy(out, app_id, GW_DTLS_APP_ID_LEN);
		return GW_DTLS_APP_ID_LEN;
	}
	memcpy(out, a, which == BY_ADDR ? sizeof(*a) : offsetof(struct dtls_addr, port));
	return which == BY_ADDR ? sizeof(*a) : offsetof(struct dtls_addr, port);
}

static size_t index_slot(const struct gw_dtls *d, int which, const struct dtls_addr *a,
			 const uint8_t *app_id)
{
	uint8_t key[GW_DTLS_APP_ID_LEN];

	return (size_t)cm_siphash(d->hash_key, key, key_bytes(which, a, app_id, key)) & d->mask;
}

static void index_insert(struct gw_dtls *d, int which, struct gw_dtls_peer *p)
{
	size_t slot = index_slot(d, which, &p->addr, p->app_id);

	p->link[which] = d->index[which][slot];
	d->index[which][slot] = p;
}

static void index_remove(struct gw_dtls *d, int which, struct gw_dtls_peer *p)
{
	struct gw_dtls_peer **pp = &d->index[which][index_slot(d, which, &p->addr, p->app_id)];

	for (; *pp; pp = &(*pp)->link[which]) {
		if (*pp == p) {
			*pp = p->link[which];
			return;
		}
	}
}

/* Allocates empty indexes of n buckets (a power of two). 0 or -ENOMEM. */
static int index_alloc(struct gw_dtls_peer **idx[N_INDEX], size_t n)
{
	int i;

	for (i = 0; i < N_INDEX; i++) {
		idx[i] = calloc(n, sizeof(*idx[i]));
		if (!idx[i]) {
			while (i-- > 0)
				free(idx[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Doubles the buckets when the peers outnumber them; keeps the old on failure. */
static void index_grow(struct gw_dtls *d)
{
	struct gw_dtls_peer **idx[N_INDEX], *p;
	int i;

	if (d->npeers <= d->mask + 1 || index_alloc(idx, 2 * (d->mask + 1)) < 0)
		return;
	for (i = 0; i < N_INDEX; i++) {
		free(d->index[i]);
		d->index[i] = idx[i];
	}
	d->mask = 2 * (d->mask + 1) - 1;
	for (p = d->peers; p; p = p->next) {
		for (i = 0; i < N_INDEX; i++)
			index_insert(d, i, p);
	}
}

static struct gw_dtls_peer *find_by_addr(const struct gw_dtls *d, const struct dtls_addr *a)
{
	struct gw_dtls_peer *p = d->index[BY_ADDR][index_slot(d, BY_ADDR, a, NULL)];

	while (p && memcmp(&p->addr, a, sizeof(*a)) != 0)
		p = p->link[BY_ADDR];
	return p;
}

/* ---- source addresses ---- */

static int addr_from_sockaddr(struct dtls_addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(a->ip, &in->sin_addr, sizeof(in->sin_addr));
		memcpy(a->port, &in->sin_port, sizeof(a->port));
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(a->ip, &in6->sin6_addr, sizeof(in6->sin6_addr));
		memcpy(a->port, &in6->sin6_port, sizeof(a->port));
	} else {
		return -EAFNOSUPPORT;
	}
	a->family = (uint8_t)sa->sa_family;
	return 0;
}

static void peer_set_addr(struct gw_dtls_peer *p, const struct dtls_addr *a,
			  const struct sockaddr *sa)
{
	p->addr = *a;
	memset(&p->sa, 0, sizeof(p->sa));
	p->salen = a->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	memcpy(&p->sa, sa, p->salen);
}

/* ---- cookies ---- */

static int cookie_make(const uint8_t secret[GW_DTLS_SECRET_LEN], const struct dtls_addr *a,
		       uint8_t out[GW_DTLS_COOKIE_LEN])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int ret = -EIO;

	if (HMAC(EVP_sha256(), secret, GW_DTLS_SECRET_LEN, (const uint8_t *)a, sizeof(*a),
		 mac, &n) && n >= GW_DTLS_COOKIE_LEN) {
		memcpy(out, mac, GW_DTLS_COOKIE_LEN);
		ret = 0;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return ret;
}

static bool cookie_ok(const struct gw_dtls *d, const struct dtls_addr *a,
		      const uint8_t *cookie, size_t len)
{
	uint8_t want[GW_DTLS_COOKIE_LEN];
	bool ok = false;
	int i;

	if (len != GW_DTLS_COOKIE_LEN)
		return false;
	for (i = 0; i < 2 && !ok; i++)
		ok = !cookie_make(d->secret[i], a, want) && !CRYPTO_memcmp(want, cookie, len);
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

/* The current secret becomes the previous one, so a fresh cookie stays good. */
static int cookie_rotate(struct gw_dtls *d)
{
	uint8_t next[GW_DTLS_SECRET_LEN];

	if (RAND_bytes(next, sizeof(next)) != 1)
		return -EIO;
	memcpy(d->secret[1], d->secret[0], GW_DTLS_SECRET_LEN);
	memcpy(d->secret[0], next, GW_DTLS_SECRET_LEN);
	OPENSSL_cleanse(next, sizeof(next));
	return 0;
}

/* ---- OpenSSL callbacks: the PSK and the cookie, found through the peer ---- */

static unsigned int dtls_psk(SSL *ssl, const char *identity, unsigned char *psk,
			     unsigned int max_len)
{
	const struct gw_dtls_peer *p = SSL_get_app_data(ssl);

	/* The identity carries nothing: the client always says "psk". */
	(void)identity;
	if (!p || max_len < GW_DTLS_PSK_LEN)
		return 0;
	memcpy(psk, p->psk, GW_DTLS_PSK_LEN);
	return GW_DTLS_PSK_LEN;
}

static int dtls_cookie_gen(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	const struct gw_dtls_peer *p = SSL_get_app_data(ssl);

	if (!p || cookie_make(p->d->secret[0], &p->addr, cookie) < 0)
		return 0;
	*len = GW_DTLS_COOKIE_LEN;
	return 1;
}

static int dtls_cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
	const struct gw_dtls_peer *p = SSL_get_app_data(ssl);

	return p && cookie_ok(p->d, &p->addr, cookie, len);
}

/* ---- the datagram BIO between a peer's SSL and the worker's socket ---- */

/* Hands OpenSSL the datagram being processed, once (twice in peek mode). */
static int bio_read(BIO *b, char *buf, int len)
{
	struct gw_dtls_peer *p = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (!p->rx || len <= 0) {
		BIO_set_retry_read(b);
		return -1;
	}
	n = p->rx_len < (size_t)len ? p->rx_len : (size_t)len;
	memcpy(buf, p->rx, n);
	if (!p->peek)
		p->rx = NULL;
	return (int)n;
}

/* Each write is one datagram: OpenSSL flushes a flight's datagram at once. */
static int bio_write(BIO *b, const char *buf, int len)
{
	struct gw_dtls_peer *p = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	p->d->ops.send(p->d->ctx, (const struct sockaddr *)&p->sa, p->salen,
		       (const uint8_t *)buf, (size_t)len);
	return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct gw_dtls_peer *p = BIO_get_data(b);

	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_SET_PEEK_MODE:
		p->peek = num != 0;
		return 1;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		/* IP and UDP headers: what DTLS_set_link_mtu takes off. */
		return p->addr.family == AF_INET6 ? 40 + 8 : 20 + 8;
	default:
		return 0;
	}
}

static BIO_METHOD *bio_method_new(void)
{
	int type = BIO_get_new_index();
	BIO_METHOD *m;

	if (type < 0)
		return NULL;
	m = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK, "postern dtls");
	if (m && (!BIO_meth_set_read(m, bio_read) || !BIO_meth_set_write(m, bio_write) ||
		  !BIO_meth_set_ctrl(m, bio_ctrl))) {
		BIO_meth_free(m);
		m = NULL;
	}
	return m;
}

/* ---- the server context ---- */

/*
 * DTLS 1.2 only, plain PSK suites (the client sends no extensions, so nothing
 * else could be agreed), no session cache, tickets or renegotiation: every
 * handshake is a full PSK handshake keyed by the CONNECT's TLS session.
 * Buffers are released between records, which keeps an idle peer small.
 */
static SSL_CTX *dtls_ssl_ctx_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_server_method());

	if (!ctx)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, GW_DTLS_CIPHERS)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
				 SSL_OP_COOKIE_EXCHANGE | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_psk_server_callback(ctx, dtls_psk);
	SSL_CTX_set_cookie_generate_cb(ctx, dtls_cookie_gen);
	SSL_CTX_set_cookie_verify_cb(ctx, dtls_cookie_verify);
	return ctx;
}

static void dtls_config_defaults(struct gw_dtls_config *c)
{
	if (!c->max_peers)
		c->max_peers = 4096;
	if (!c->handshake_timeout)
		c->handshake_timeout = 15;
	if (!c->idle_timeout)
		c->idle_timeout = 90;
	if (!c->cookie_rotate)
		c->cookie_rotate = 60;
}

static int dtls_fail(int ret, char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "dtls: %s", what);
	return ret;
}

int gw_dtls_new(struct gw_dtls **out, const struct gw_dtls_config *cfg,
		const struct gw_dtls_ops *ops, void *ctx, char *err, size_t errlen)
{
	struct gw_dtls *d;
	int ret = 0;

	*out = NULL;
	if (!ops || !ops->lookup || !ops->up || !ops->down || !ops->data || !ops->send)
		return dtls_fail(-EINVAL, err, errlen, "every callback is required");
	d = calloc(1, sizeof(*d));
	if (!d)
		return dtls_fail(-ENOMEM, err, errlen, "out of memory");
	if (cfg)
		d->cfg = *cfg;
	dtls_config_defaults(&d->cfg);
	d->ops = *ops;
	d->ctx = ctx;
	d->mask = GW_DTLS_MIN_BUCKETS - 1;
	if (index_alloc(d->index, GW_DTLS_MIN_BUCKETS) < 0)
		ret = dtls_fail(-ENOMEM, err, errlen, "out of memory");
	if (!ret && (RAND_bytes(d->hash_key, sizeof(d->hash_key)) != 1 ||
		     cookie_rotate(d) < 0 || cookie_rotate(d) < 0))
		ret = dtls_fail(-EIO, err, errlen, "no random bytes for the secrets");
	if (!ret && !(d->ssl_ctx = dtls_ssl_ctx_new()))
		ret = dtls_fail(-EIO, err, errlen, "cannot set up a DTLS 1.2 PSK server context");
	if (!ret && !(d->bio_meth = bio_method_new()))
		ret = dtls_fail(-ENOMEM, err, errlen, "cannot create the datagram BIO");
	if (ret) {
		gw_dtls_free(d);
		return ret;
	}
	*out = d;
	return 0;
}

/* ---- peers ---- */

static void peer_destroy(struct gw_dtls_peer *p)
{
	SSL_free(p->ssl);
	OPENSSL_cleanse(p->psk, sizeof(p->psk));
	free(p);
}

static void peer_unlist(struct gw_dtls *d, struct gw_dtls_peer *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		d->peers = p->next;
	if (p->next)
		p->next->prev = p->prev;
}

/*
 * Takes p out of the indexes at once. Inside a call of ours (a callback may
 * be closing it, or the tick walking past it) it stays on the list, marked
 * gone, until that call returns, so that no loop and no SSL_read holds a
 * freed peer. notify: tell the caller through ops->down, when it had been
 * told that the peer was up.
 */
static void peer_end(struct gw_dtls_peer *p, bool notify)
{
	struct gw_dtls *d = p->d;
	int i;

	if (p->gone)
		return;
	p->gone = true;
	for (i = 0; i < N_INDEX; i++)
		index_remove(d, i, p);
	d->npeers--;
	d->ngone++;
	if (notify && p->up)
		d->ops.down(d->ctx, p->sess, p);
	if (!d->depth) {
		peer_unlist(d, p);
		d->ngone--;
		peer_destroy(p);
	}
}

/* Frees the peers that ended during a call of ours, once it returns. */
static void dtls_leave(struct gw_dtls *d)
{
	struct gw_dtls_peer *p, *next;

	if (--d->depth || !d->ngone)
		return;
	for (p = d->peers; p; p = next) {
		next = p->next;
		if (p->gone) {
			peer_unlist(d, p);
			peer_destroy(p);
		}
	}
	d->ngone = 0;
}

static void peer_link(struct gw_dtls *d, struct gw_dtls_peer *p)
{
	int i;

	p->next = d->peers;
	if (d->peers)
		d->peers->prev = p;
	d->peers = p;
	d->npeers++;
	for (i = 0; i < N_INDEX; i++)
		index_insert(d, i, p);
	index_grow(d);
}

/* A new peer with its own SSL, not yet in any table. */
static struct gw_dtls_peer *peer_new(struct gw_dtls *d, const struct dtls_addr *a,
				     const struct sockaddr *sa,
				     const struct gw_dtls_session_info *info,
				     const struct gw_dtls_hello *h)
{
	struct gw_dtls_peer *p = calloc(1, sizeof(*p));
	BIO *bio = NULL;

	if (!p || !(p->ssl = SSL_new(d->ssl_ctx)) || !(bio = BIO_new(d->bio_meth))) {
		if (p)
			peer_destroy(p);
		return NULL;
	}
	p->d = d;
	BIO_set_data(bio, p);
	BIO_set_init(bio, 1);
	SSL_set_bio(p->ssl, bio, bio);
	SSL_set_app_data(p->ssl, p);
	peer_set_addr(p, a, sa);
	p->sess = info->sess;
	memcpy(p->psk, info->key, sizeof(p->psk));
	memcpy(p->app_id, h->session_id, sizeof(p->app_id));
	memcpy(p->random, h->random, sizeof(p->random));
	p->started = p->last_rx = d->now;
	/* After peer_set_addr: the BIO tells OpenSSL the IP and UDP overhead. */
	if (!DTLS_set_link_mtu(p->ssl, info->base_mtu ? info->base_mtu : GW_DTLS_DEF_BASE_MTU)) {
		peer_destroy(p);
		return NULL;
	}
	return p;
}

/* Another live peer of p's session; with only_handshaking, one not yet up. */
static struct gw_dtls_peer *peer_sibling(const struct gw_dtls_peer *p, bool only_handshaking)
{
	const struct gw_dtls *d = p->d;
	struct gw_dtls_peer *q = d->index[BY_APP][index_slot(d, BY_APP, NULL, p->app_id)];

	for (; q; q = q->link[BY_APP]) {
		if (q != p && !memcmp(q->app_id, p->app_id, sizeof(q->app_id)) &&
		    (!only_handshaking || !q->up))
			return q;
	}
	return NULL;
}

/* One at a time: ops->down may end other peers while we look. */
static void peer_end_siblings(struct gw_dtls_peer *p, bool only_handshaking)
{
	struct gw_dtls_peer *q;

	while ((q = peer_sibling(p, only_handshaking)))
		peer_end(q, true);
}

/* ---- records, handshakes and the OpenSSL error queue ---- */

/*
 * Whether an SSL call that returned ret just needs another datagram. The
 * error queue is emptied either way: the worker's TLS connections read it
 * through SSL_get_error, and a stale DTLS error must not end one of them.
 */
static bool ssl_would_block(SSL *ssl, int ret)
{
	int e = SSL_get_error(ssl, ret);

	ERR_clear_error();
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

static int peer_write(struct gw_dtls_peer *p, uint8_t type, const void *payload, size_t len)
{
	struct gw_dtls *d = p->d;
	int n;

	if (len > GW_DTLS_MAX_PAYLOAD)
		return -EMSGSIZE;
	d->txbuf[0] = type;
	if (len)
		memcpy(d->txbuf + 1, payload, len);
	ERR_clear_error();
	n = SSL_write(p->ssl, d->txbuf, (int)len + 1);
	if (n != (int)len + 1) {
		(void)ssl_would_block(p->ssl, n);
		return -EIO;
	}
	d->stats.tx_records++;
	return 0;
}

/*
 * One authenticated record. A DPD request is answered with the very same
 * payload, whatever its length: the client probes the path MTU with padded
 * requests and settles on 576 (1280 with IPv6) when the echoes differ.
 */
static void peer_record(struct gw_dtls_peer *p, const uint8_t *rec, size_t len)
{
	struct gw_dtls *d = p->d;

	d->stats.rx_records++;
	p->last_rx = d->now;
	if (len >= 2 && rec[0] == GW_CSTP_DATA)
		d->ops.data(d->ctx, p->sess, rec + 1, len - 1);
	else if (len >= 1 && rec[0] == GW_CSTP_DPD_REQ)
		(void)peer_write(p, GW_CSTP_DPD_RESP, rec + 1, len - 1);
	else if (len < 1 || (rec[0] != GW_CSTP_DPD_RESP && rec[0] != GW_CSTP_KEEPALIVE))
		d->stats.bad_records++;
}

/* Reads every record OpenSSL has, until it wants the next datagram. */
static void peer_read(struct gw_dtls_peer *p)
{
	struct gw_dtls *d = p->d;
	int n;

	while (!p->gone) {
		ERR_clear_error();
		n = SSL_read(p->ssl, d->rxbuf, sizeof(d->rxbuf));
		if (n <= 0) {
			/* The client's close_notify, or a broken connection. */
			if (!ssl_would_block(p->ssl, n))
				peer_end(p, true);
			return;
		}
		peer_record(p, d->rxbuf, (size_t)n);
	}
}

/*
 * The shortest sealed record of the suite agreed: the tag (16 bytes), and
 * with AES-GCM the explicit nonce (8) too. See gw_dtls_records_ok().
 */
static size_t peer_min_sealed(const SSL *ssl)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);

	return c && SSL_CIPHER_get_cipher_nid(c) == NID_chacha20_poly1305 ? 16 : 8 + 16;
}

/* Up: a newer handshake of the session replaces its older channel. */
static void peer_up(struct gw_dtls_peer *p)
{
	struct gw_dtls *d = p->d;

	p->up = true;
	p->min_sealed = peer_min_sealed(p->ssl);
	p->last_rx = d->now;
	d->stats.handshakes++;
	peer_end_siblings(p, false);
	if (!p->gone)
		d->ops.up(d->ctx, p->sess, p);
}

static void peer_handshake(struct gw_dtls_peer *p)
{
	int ret;

	ERR_clear_error();
	ret = SSL_do_handshake(p->ssl);
	if (ret == 1) {
		peer_up(p);
	} else if (!ssl_would_block(p->ssl, ret)) {
		p->d->stats.handshake_failures++;
		peer_end(p, false);
	}
}

static void peer_feed(struct gw_dtls_peer *p, const uint8_t *buf, size_t len)
{
	if (p->up && !gw_dtls_records_ok(buf, len, p->min_sealed)) {
		p->d->stats.dropped++;
		return;
	}
	p->rx = buf;
	p->rx_len = len;
	if (!p->up)
		peer_handshake(p);
	if (p->up)
		peer_read(p);
	p->rx = NULL;
}

/*
 * The verified ClientHello goes through DTLSv1_listen on the peer's own SSL
 * first: it checks the cookie again (our callback) and sets the handshake
 * sequence numbers a server uses after a HelloVerifyRequest. It only peeks
 * at the datagram, which SSL_do_handshake then reads.
 */
static void peer_start(struct gw_dtls_peer *p, const uint8_t *buf, size_t len)
{
	BIO_ADDR *client = BIO_ADDR_new();
	int ret = -1;

	p->rx = buf;
	p->rx_len = len;
	ERR_clear_error();
	if (client)
		ret = DTLSv1_listen(p->ssl, client);
	BIO_ADDR_free(client);
	ERR_clear_error();
	p->peek = false;
	if (ret == 1) {
		peer_feed(p, buf, len);
		return;
	}
	p->d->stats.handshake_failures++;
	peer_end(p, false);
}

/* ---- what arrives from an address without a peer, or with a new hello ---- */

/* Never more bytes out than came in, so spoofed hellos cannot amplify. */
static void hello_challenge(struct gw_dtls *d, const struct dtls_addr *a,
			    const struct sockaddr *from, socklen_t fromlen,
			    const struct gw_dtls_hello *h, size_t len)
{
	uint8_t cookie[GW_DTLS_COOKIE_LEN], out[GW_DTLS_HVR_LEN];

	if (len < sizeof(out) || cookie_make(d->secret[0], a, cookie) < 0) {
		d->stats.dropped++;
		return;
	}
	gw_dtls_hello_verify_write(out, h, cookie);
	d->ops.send(d->ctx, from, fromlen, out, sizeof(out));
	d->stats.hello_verify_sent++;
}

/* The session an App-ID names, only once the cookie proved the source. */
static bool hello_lookup(struct gw_dtls *d, const struct gw_dtls_hello *h,
			 struct gw_dtls_session_info *info)
{
	memset(info, 0, sizeof(*info));
	if (d->npeers >= d->cfg.max_peers) {
		d->stats.peers_full++;
		return false;
	}
	if (d->ops.lookup(d->ctx, h->session_id, info) != 0) {
		OPENSSL_cleanse(info, sizeof(*info));
		d->stats.unknown_app_id++;
		return false;
	}
	return true;
}

static void hello_input(struct gw_dtls *d, const struct dtls_addr *a,
			const struct sockaddr *from, socklen_t fromlen,
			const struct gw_dtls_hello *h, const uint8_t *buf, size_t len)
{
	struct gw_dtls_session_info info;
	struct gw_dtls_peer *p, *old;

	if (h->session_id_len != GW_DTLS_APP_ID_LEN) {
		d->stats.dropped++;	/* not a client we gave an App-ID */
		return;
	}
	if (!cookie_ok(d, a, h->cookie, h->cookie_len)) {
		d->stats.bad_cookie += h->cookie_len != 0;
		hello_challenge(d, a, from, fromlen, h, len);
		return;
	}
	if (!hello_lookup(d, h, &info))
		return;
	p = peer_new(d, a, from, &info, h);
	OPENSSL_cleanse(&info, sizeof(info));
	if (!p) {
		d->stats.handshake_failures++;
		return;
	}
	if ((old = find_by_addr(d, a)))
		peer_end(old, true);
	peer_link(d, p);
	peer_end_siblings(p, true);
	peer_start(p, buf, len);
}

static void peer_rebind(struct gw_dtls_peer *p, const struct dtls_addr *a,
			const struct sockaddr *sa)
{
	struct gw_dtls *d = p->d;

	index_remove(d, BY_ADDR, p);
	index_remove(d, BY_IP, p);
	peer_set_addr(p, a, sa);
	index_insert(d, BY_ADDR, p);
	index_insert(d, BY_IP, p);
	d->stats.roams++;
}

/* Moves p to the new address only if its SSL accepts the datagram's record. */
static bool peer_try(struct gw_dtls_peer *p, const struct dtls_addr *a,
		     const struct sockaddr *sa, const uint8_t *buf, size_t len)
{
	struct gw_dtls *d = p->d;
	int n;

	if (!gw_dtls_records_ok(buf, len, p->min_sealed))
		return false;
	p->rx = buf;
	p->rx_len = len;
	ERR_clear_error();
	n = SSL_read(p->ssl, d->rxbuf, sizeof(d->rxbuf));
	p->rx = NULL;
	if (n <= 0) {
		if (!ssl_would_block(p->ssl, n))
			peer_end(p, true);
		return false;
	}
	peer_rebind(p, a, sa);
	peer_record(p, d->rxbuf, (size_t)n);
	peer_read(p);
	return true;
}

static bool same_ip(const struct dtls_addr *x, const struct dtls_addr *y)
{
	return !memcmp(x, y, offsetof(struct dtls_addr, port));
}

static bool roam_input(struct gw_dtls *d, const struct dtls_addr *a,
		       const struct sockaddr *from, const uint8_t *buf, size_t len)
{
	struct gw_dtls_peer *p, *cand[GW_DTLS_ROAM_TRIES];
	size_t n = 0, i;

	if (!gw_dtls_record_is_appdata(buf, len))
		return false;
	/* Collected first: a try may end a peer, and with it change the chain. */
	p = d->index[BY_IP][index_slot(d, BY_IP, a, NULL)];
	for (; p && n < GW_DTLS_ROAM_TRIES; p = p->link[BY_IP]) {
		if (p->up && same_ip(&p->addr, a))
			cand[n++] = p;
	}
	for (i = 0; i < n; i++) {
		if (!cand[i]->gone && peer_try(cand[i], a, from, buf, len))
			return true;
	}
	return false;
}

void gw_dtls_input(struct gw_dtls *d, time_t now, const struct sockaddr *from,
		   socklen_t fromlen, const uint8_t *buf, size_t len)
{
	struct gw_dtls_hello h;
	struct gw_dtls_peer *p;
	struct dtls_addr a;
	bool hello;

	d->stats.rx_datagrams++;
	if (!from || !buf || !len || len > GW_DTLS_MAX_DATAGRAM ||
	    addr_from_sockaddr(&a, from, fromlen) < 0) {
		d->stats.dropped++;
		return;
	}
	d->depth++;
	d->now = now;
	hello = !gw_dtls_hello_parse(buf, len, &h);
	p = find_by_addr(d, &a);
	/* A hello with the random its peer began from is a retransmission. */
	if (p && (!hello || !memcmp(h.random, p->random, sizeof(p->random))))
		peer_feed(p, buf, len);
	else if (hello)
		hello_input(d, &a, from, fromlen, &h, buf, len);
	else if (!roam_input(d, &a, from, buf, len))
		d->stats.dropped++;
	dtls_leave(d);
}

/* ---- time ---- */

static void peer_tick(struct gw_dtls_peer *p)
{
	struct gw_dtls *d = p->d;

	if (p->up) {
		if (d->now - p->last_rx > (time_t)d->cfg.idle_timeout)
			peer_end(p, true);
		return;
	}
	ERR_clear_error();
	if (d->now - p->started >= (time_t)d->cfg.handshake_timeout ||
	    DTLSv1_handle_timeout(p->ssl) < 0) {
		d->stats.handshake_failures++;
		peer_end(p, false);
	}
	ERR_clear_error();
}

void gw_dtls_tick(struct gw_dtls *d, time_t now)
{
	struct gw_dtls_peer *p;

	d->depth++;
	d->now = now;
	if (!d->rotate_at)
		d->rotate_at = now + d->cfg.cookie_rotate;
	else if (now >= d->rotate_at && !cookie_rotate(d))
		d->rotate_at = now + d->cfg.cookie_rotate;
	/* ops->down may end other peers; they stay listed until dtls_leave. */
	for (p = d->peers; p; p = p->next) {
		if (!p->gone)
			peer_tick(p);
	}
	dtls_leave(d);
}

/* ---- the rest of the interface ---- */

int gw_dtls_send(struct gw_dtls_peer *p, enum gw_cstp_type type, const void *payload, size_t len)
{
	if (!p || p->gone || !p->up)
		return -ENOTCONN;
	if (len > gw_dtls_peer_mtu(p))
		return -EMSGSIZE;
	return peer_write(p, (uint8_t)type, payload, len);
}

size_t gw_dtls_peer_mtu(const struct gw_dtls_peer *p)
{
	size_t mtu;

	if (!p || p->gone || !p->up)
		return 0;
	mtu = DTLS_get_data_mtu(p->ssl);
	if (mtu < 2)
		return 0;
	return mtu - 1 < GW_DTLS_MAX_PAYLOAD ? mtu - 1 : GW_DTLS_MAX_PAYLOAD;
}

void gw_dtls_peer_close(struct gw_dtls_peer *p)
{
	if (p)
		peer_end(p, false);
}

void gw_dtls_session_end(struct gw_dtls *d, const uint8_t app_id[GW_DTLS_APP_ID_LEN])
{
	struct gw_dtls_peer *p;

	d->depth++;
	do {
		p = d->index[BY_APP][index_slot(d, BY_APP, NULL, app_id)];
		while (p && memcmp(p->app_id, app_id, sizeof(p->app_id)) != 0)
			p = p->link[BY_APP];
		if (p)
			peer_end(p, false);
	} while (p);
	dtls_leave(d);
}

const struct sockaddr *gw_dtls_peer_addr(const struct gw_dtls_peer *p, socklen_t *len)
{
	*len = p->salen;
	return (const struct sockaddr *)&p->sa;
}

size_t gw_dtls_peer_count(const struct gw_dtls *d)
{
	return d->npeers;
}

void gw_dtls_get_stats(const struct gw_dtls *d, struct gw_dtls_stats *out)
{
	*out = d->stats;
}

int gw_dtls_set_cookie_secret(struct gw_dtls *d, const uint8_t *secret, size_t len)
{
	if (len != GW_DTLS_SECRET_LEN)
		return -EINVAL;
	memcpy(d->secret[0], secret, len);
	memcpy(d->secret[1], secret, len);
	return 0;
}

void gw_dtls_free(struct gw_dtls *d)
{
	struct gw_dtls_peer *p, *next;
	int i;

	if (!d)
		return;
	for (p = d->peers; p; p = next) {
		next = p->next;
		peer_destroy(p);
	}
	for (i = 0; i < N_INDEX; i++)
		free(d->index[i]);
	SSL_CTX_free(d->ssl_ctx);
	BIO_meth_free(d->bio_meth);
	/* The secrets, and the last records' plaintext in the buffers. */
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}
