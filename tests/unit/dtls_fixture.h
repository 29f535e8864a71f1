/* SPDX-License-Identifier: MIT */
/*
 * A test bench for gateway/dtls.c, shared by its unit test and its fuzz
 * target: the module on one side, and on the other a real OpenSSL DTLS 1.2
 * PSK client on one end of a datagram socketpair. The client puts the App-ID
 * into its ClientHello's session id, as openconnect does: it is given an
 * SSL_SESSION that carries only that id, so the hello offers to "resume"
 * it, and the server's full handshake is what the client then accepts.
 * Datagrams from the client reach gw_dtls_input with whatever source address
 * the test chooses (so roaming is a change of f->from); what the module
 * sends goes back into the socketpair, and its destination is recorded.
 * Every function is static inline, so that each user takes what it needs.
 */
#ifndef POSTERN_TESTS_DTLS_FIXTURE_H
#define POSTERN_TESTS_DTLS_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "gateway/dtls.h"

#define FX_MAX_DGRAM	20000

struct fx {
	struct gw_dtls *d;
	int sv[2];			/* sv[0]: the client's socket; sv[1]: the module's side */
	SSL_CTX *cctx;
	SSL *cssl;
	uint8_t app_id[GW_DTLS_APP_ID_LEN];
	uint8_t key[GW_DTLS_PSK_LEN];		/* the session's, as lookup answers */
	uint8_t client_key[GW_DTLS_PSK_LEN];	/* the one the client uses */
	bool live;				/* lookup finds the session */
	int lookups, ups, downs, ndata;
	struct gw_dtls_peer *peer;		/* the latest up, NULL after down */
	uint8_t data[FX_MAX_DGRAM];
	size_t data_len;
	struct sockaddr_in6 from;		/* the client's source, as the module sees it */
	socklen_t fromlen;
	struct sockaddr_storage last_to;
	size_t nsent, last_sent_len;
	time_t now;
	void (*on_send)(struct fx *f, const struct sockaddr *to, socklen_t tolen,
			const uint8_t *buf, size_t len);
};

static inline int fx_lookup(void *ctx, const uint8_t app_id[GW_DTLS_APP_ID_LEN],
		     struct gw_dtls_session_info *info)
{
	struct fx *f = ctx;

	f->lookups++;
	if (!f->live || memcmp(app_id, f->app_id, GW_DTLS_APP_ID_LEN) != 0)
		return -ENOENT;
	info->sess = f;
	memcpy(info->key, f->key, sizeof(info->key));
	info->base_mtu = 1406;
	return 0;
}

static inline void fx_up(void *ctx, void *sess, struct gw_dtls_peer *p)
{
	struct fx *f = ctx;

	(void)sess;
	f->ups++;
	f->peer = p;
}

static inline void fx_down(void *ctx, void *sess, struct gw_dtls_peer *p)
{
	struct fx *f = ctx;

	(void)sess;
	f->downs++;
	if (f->peer == p)
		f->peer = NULL;
}

static inline void fx_data(void *ctx, void *sess, const uint8_t *pkt, size_t len)
{
	struct fx *f = ctx;

	(void)sess;
	f->ndata++;
	f->data_len = len < sizeof(f->data) ? len : sizeof(f->data);
	memcpy(f->data, pkt, f->data_len);
}

static inline void fx_send(void *ctx, const struct sockaddr *to, socklen_t tolen,
		    const uint8_t *buf, size_t len)
{
	struct fx *f = ctx;

	f->nsent++;
	f->last_sent_len = len;
	memset(&f->last_to, 0, sizeof(f->last_to));
	memcpy(&f->last_to, to, tolen <= sizeof(f->last_to) ? tolen : sizeof(f->last_to));
	if (f->on_send)
		f->on_send(f, to, tolen, buf, len);
	(void)!send(f->sv[1], buf, len, MSG_DONTWAIT);
}

static const struct gw_dtls_ops fx_ops = {
	.lookup = fx_lookup, .up = fx_up, .down = fx_down, .data = fx_data, .send = fx_send,
};

static inline unsigned int fx_client_psk(SSL *ssl, const char *hint, char *identity,
				  unsigned int max_identity_len, unsigned char *psk,
				  unsigned int max_psk_len)
{
	const struct fx *f = SSL_get_app_data(ssl);

	(void)hint;
	if (max_identity_len < 4 || max_psk_len < GW_DTLS_PSK_LEN)
		return 0;
	memcpy(identity, "psk", 4);
	memcpy(psk, f->client_key, GW_DTLS_PSK_LEN);
	return GW_DTLS_PSK_LEN;
}

/* Sets the client's apparent source: 198.18.0.2 (or IPv6 2001:db8::2), port. */
static inline void fx_from(struct fx *f, bool v6, uint16_t port)
{
	memset(&f->from, 0, sizeof(f->from));
	if (v6) {
		f->from.sin6_family = AF_INET6;
		f->from.sin6_port = htons(port);
		inet_pton(AF_INET6, "2001:db8::2", &f->from.sin6_addr);
		f->fromlen = sizeof(struct sockaddr_in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&f->from;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		inet_pton(AF_INET, "198.18.0.2", &in->sin_addr);
		f->fromlen = sizeof(struct sockaddr_in);
	}
}

static inline uint16_t fx_last_to_port(const struct fx *f)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&f->last_to;

	return ntohs(in->sin_port);
}

/*
 * The client's BIO writes to its connected end of the socketpair: a datagram
 * BIO only uses write() when told it is connected (else sendto() its peer).
 */
static inline BIO *fx_client_bio(int fd)
{
	static const struct in_addr any = { 0 };
	BIO *bio = BIO_new_dgram(fd, BIO_NOCLOSE);
	BIO_ADDR *peer = BIO_ADDR_new();

	if (!bio || !peer || !BIO_ADDR_rawmake(peer, AF_INET, &any, sizeof(any), 0) ||
	    BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer) <= 0) {
		BIO_free(bio);
		bio = NULL;
	}
	BIO_ADDR_free(peer);
	return bio;
}

/* A fresh client SSL on sv[0] offering the App-ID as its session id. */
static inline int fx_client_new(struct fx *f)
{
	SSL_SESSION *sess = SSL_SESSION_new();
	BIO *bio = fx_client_bio(f->sv[0]);
	int ok;

	SSL_free(f->cssl);
	f->cssl = SSL_new(f->cctx);
	ok = sess && bio && f->cssl &&
	     SSL_SESSION_set1_id(sess, f->app_id, sizeof(f->app_id)) &&
	     SSL_SESSION_set_protocol_version(sess, DTLS1_2_VERSION) &&
	     SSL_set_session(f->cssl, sess);
	SSL_SESSION_free(sess);
	if (!ok) {
		BIO_free(bio);
		return -1;
	}
	SSL_set_bio(f->cssl, bio, bio);
	SSL_set_app_data(f->cssl, f);
	SSL_set_options(f->cssl, SSL_OP_NO_QUERY_MTU);
	DTLS_set_link_mtu(f->cssl, 1406);
	SSL_set_connect_state(f->cssl);
	return 0;
}

/* The client's context: DTLS 1.2, the gateway's PSK suites, our PSK. */
static inline SSL_CTX *fx_client_ctx_new(void)
{
	SSL_CTX *c = SSL_CTX_new(DTLS_client_method());

	if (c && (!SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) ||
		  !SSL_CTX_set_cipher_list(c, "PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256:"
					      "PSK-CHACHA20-POLY1305"))) {
		SSL_CTX_free(c);
		return NULL;
	}
	if (c)
		SSL_CTX_set_psk_client_callback(c, fx_client_psk);
	return c;
}

/*
 * A bench whose client uses cctx (a reference is taken; fx_free drops it),
 * or a context of its own when cctx is NULL. Making the context is a third
 * of a bench's set-up under the sanitizers, so the fuzz target makes it once.
 */
static inline int fx_init_ctx(struct fx *f, const struct gw_dtls_config *cfg, SSL_CTX *cctx)
{
	char err[128];

	memset(f, 0, sizeof(*f));
	f->sv[0] = f->sv[1] = -1;
	memset(f->app_id, 0xa5, sizeof(f->app_id));
	f->app_id[0] = 0x01;
	memset(f->key, 0x3c, sizeof(f->key));
	memcpy(f->client_key, f->key, sizeof(f->key));
	f->live = true;
	f->now = 1000;
	fx_from(f, false, 40000);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, f->sv) < 0)
		return -1;
	if (cctx && SSL_CTX_up_ref(cctx))
		f->cctx = cctx;
	else if (!cctx)
		f->cctx = fx_client_ctx_new();
	if (!f->cctx || gw_dtls_new(&f->d, cfg, &fx_ops, f, err, sizeof(err)) < 0)
		return -1;
	return fx_client_new(f);
}

static inline int fx_init(struct fx *f, const struct gw_dtls_config *cfg)
{
	return fx_init_ctx(f, cfg, NULL);
}

static inline void fx_free(struct fx *f)
{
	gw_dtls_free(f->d);
	SSL_free(f->cssl);
	SSL_CTX_free(f->cctx);
	if (f->sv[0] >= 0)
		close(f->sv[0]);
	if (f->sv[1] >= 0)
		close(f->sv[1]);
	f->d = NULL;
	f->cssl = NULL;
	f->cctx = NULL;
}

/* Takes one datagram the client sent, without delivering it; its length or 0. */
static inline size_t fx_take(struct fx *f, uint8_t *buf, size_t cap)
{
	ssize_t n = recv(f->sv[1], buf, cap, MSG_DONTWAIT);

	return n > 0 ? (size_t)n : 0;
}

static inline void fx_deliver(struct fx *f, const uint8_t *buf, size_t len)
{
	gw_dtls_input(f->d, f->now, (const struct sockaddr *)&f->from, f->fromlen, buf, len);
}

/* Delivers every datagram the client has sent; returns how many. */
static inline int fx_pump(struct fx *f)
{
	static uint8_t buf[FX_MAX_DGRAM];
	size_t n;
	int count = 0;

	while ((n = fx_take(f, buf, sizeof(buf))) > 0) {
		fx_deliver(f, buf, n);
		count++;
	}
	return count;
}

/* Runs the client's handshake against the module. 0 when the client is up. */
static inline int fx_handshake(struct fx *f)
{
	int i, ret;

	for (i = 0; i < 16; i++) {
		ret = SSL_do_handshake(f->cssl);
		if (ret == 1)
			return 0;
		if (SSL_get_error(f->cssl, ret) != SSL_ERROR_WANT_READ) {
			ERR_clear_error();
			return -1;
		}
		if (!fx_pump(f))
			return -1;	/* the client waits for an answer that never came */
	}
	return -1;
}

/* The client sends one record (type + payload) and the module gets it. */
static inline int fx_client_send(struct fx *f, uint8_t type, const uint8_t *payload, size_t len)
{
	static uint8_t rec[FX_MAX_DGRAM];

	rec[0] = type;
	if (len)
		memcpy(rec + 1, payload, len);
	if (SSL_write(f->cssl, rec, (int)len + 1) != (int)len + 1)
		return -1;
	fx_pump(f);
	return 0;
}

/* Reads one record at the client; its length, or -1 when none came. */
static inline int fx_client_read(struct fx *f, uint8_t *buf, size_t cap)
{
	int n = SSL_read(f->cssl, buf, (int)cap);

	if (n <= 0) {
		ERR_clear_error();
		return -1;
	}
	return n;
}

#endif
