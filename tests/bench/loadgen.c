/* SPDX-License-Identifier: MIT */
/*
 * loadgen: many concurrent OpenConnect (CSTP) sessions from one process, for
 * `make bench` (tests/bench/load.sh). Each session is a device of its own:
 * the loader mints a P-256 key and a device certificate per session, signed
 * with the bench CA's key and laid out as postern-ca lays it out
 * (common/device.h: CN and SAN URI the device id, OU the group, the CA's CN
 * as O, the ownership URI), because posternd keeps one session per device.
 * Then, as the stock client does, every session logs in (TLS with its
 * certificate, the XML config-auth POST, the webvpn cookie), closes that
 * connection, opens a second one (resuming the TLS session, as openconnect
 * does), sends CONNECT with the cookie and X-CSTP headers and holds the
 * tunnel: it answers DPD requests and, every --keepalive seconds, sends a
 * keepalive frame, so a gateway's dead-peer timers never end it.
 *
 * One epoll loop, at most --concurrency set-ups in flight, no threads. Every
 * phase is bounded: a set-up that takes more than 20 s fails, the set-up
 * phase ends after --setup-timeout seconds and the hold after --hold seconds.
 * SIGTERM or SIGINT close every tunnel and exit; SIGKILL leaves it to the
 * kernel, which is how load.sh ends all sessions at once.
 *
 * Output, one line each, flushed:
 *   minted N certificates in S s
 *   setup N of M in S s: R per second, median A ms, p95 B ms, resumed K, failed F
 *   (first failure: ...)
 *   ready N
 *   ended: N held, G ended by the gateway
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define LG_SOURCES_MAX	64
#define LG_BUF		8192
#define LG_SETUP_MS	20000	/* one session's set-up, both connections */
#define LG_COOKIE_MAX	512

enum lg_state {
	LG_IDLE,		/* not started */
	LG_TCP,			/* non-blocking connect in progress */
	LG_TLS,			/* handshake */
	LG_SEND,		/* request being written */
	LG_RECV,		/* reply being read */
	LG_HELD,		/* tunnel open */
	LG_DONE,		/* failed or ended */
};

struct lg_sess {
	enum lg_state state;
	bool tunnel;		/* second connection (CONNECT), not the login */
	int fd;
	SSL *ssl;
	SSL_SESSION *resume;
	X509 *cert;
	EVP_PKEY *key;
	uint64_t t0;		/* set-up start, ms */
	uint64_t next_ka;	/* next keepalive, ms */
	uint32_t events;	/* registered with epoll */
	long n;			/* index: the device and the source address */
	size_t len, off;
	char cookie[LG_COOKIE_MAX];
	char buf[];		/* LG_BUF bytes: a reply, or a partial CSTP frame */
};

struct lg_opts {
	const char *host;
	int port;
	const char *cafile;
	const char *ca_key;
	const char *prefix;
	long count;
	long concurrency;
	long keepalive;
	long hold;
	long setup_timeout;
	struct in_addr sources[LG_SOURCES_MAX];
	int n_sources;
};

struct lg {
	struct lg_opts o;
	SSL_CTX *ctx;
	int ep;
	struct lg_sess **s;
	long started, in_flight, held, failed, resumed, ended_by_gw;
	uint32_t *lat;		/* set-up latencies of the held sessions, ms */
	char first_err[256];
};

static volatile sig_atomic_t lg_stop;

static void lg_on_signal(int sig) { lg_stop = sig; }

static uint64_t lg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void lg_die(const char *what)
{
	fprintf(stderr, "loadgen: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(2);
}

/* ---- certificates ---- */

static EVP_PKEY *lg_pem_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f)
		lg_die("cannot open the CA key");
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		lg_die("cannot read the CA key");
	return k;
}

static X509 *lg_pem_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (!f)
		lg_die("cannot open the CA certificate");
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		lg_die("cannot read the CA certificate");
	return x;
}

static void lg_name_add(X509_NAME *n, int nid, const char *v)
{
	if (!X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8, (const unsigned char *)v, -1, -1, 0))
		lg_die("cannot build a subject name");
}

static void lg_ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	if (!e || !X509_add_ext(x, e, -1))
		lg_die("cannot add an extension");
	X509_EXTENSION_free(e);
}

/* The subject postern-ca writes: O = the CA's CN, OU = group, CN = id, name = owner. */
static void lg_subject(X509 *x, X509 *ca, const char *id)
{
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME *can = X509_get_subject_name(ca);
	int i = X509_NAME_get_index_by_NID(can, NID_commonName, -1);
	unsigned char *cn = NULL;

	if (i < 0 || ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(can, i))) < 0)
		lg_die("the CA certificate has no common name");
	lg_name_add(n, NID_organizationName, (char *)cn);
	lg_name_add(n, NID_organizationalUnitName, "default");
	lg_name_add(n, NID_commonName, id);
	lg_name_add(n, NID_name, "bench");
	OPENSSL_free(cn);
	X509_set_issuer_name(x, can);
}

static void lg_exts(X509 *x, X509 *ca, const char *id)
{
	X509V3_CTX ctx;
	char san[200];

	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	snprintf(san, sizeof(san), "URI:urn:postern:device:%s,URI:urn:postern:ownership:corporate", id);
	lg_ext_add(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
	lg_ext_add(x, &ctx, NID_key_usage, "critical,digitalSignature");
	lg_ext_add(x, &ctx, NID_ext_key_usage, "clientAuth");
	lg_ext_add(x, &ctx, NID_subject_key_identifier, "hash");
	lg_ext_add(x, &ctx, NID_authority_key_identifier, "keyid:always");
	lg_ext_add(x, &ctx, NID_subject_alt_name, san);
}

static void lg_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;

	if (RAND_bytes(b, sizeof(b)) != 1)
		lg_die("RAND_bytes");
	b[0] = (b[0] & 0x7f) | 0x01;	/* positive, never zero */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		lg_die("cannot set a serial");
	BN_free(bn);
}

/* One device: a fresh P-256 key and its certificate, valid from an hour ago for a day. */
static void lg_mint(struct lg_sess *s, X509 *ca, EVP_PKEY *cakey, const char *id)
{
	X509 *x = X509_new();

	s->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!x || !s->key || !X509_set_version(x, X509_VERSION_3) || !X509_set_pubkey(x, s->key))
		lg_die("cannot make a key or certificate");
	lg_serial(x);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	lg_subject(x, ca, id);
	lg_exts(x, ca, id);
	if (X509_sign(x, cakey, EVP_sha256()) <= 0)
		lg_die("cannot sign a certificate");
	s->cert = x;
}

static void lg_mint_all(struct lg *g)
{
	X509 *ca = lg_pem_cert(g->o.cafile);
	EVP_PKEY *cakey = lg_pem_key(g->o.ca_key);
	uint64_t t0 = lg_now_ms();
	char id[64];
	long i;

	for (i = 0; i < g->o.count; i++) {
		g->s[i] = calloc(1, sizeof(struct lg_sess) + LG_BUF);
		if (!g->s[i])
			lg_die("out of memory");
		g->s[i]->fd = -1;
		g->s[i]->n = i;
		snprintf(id, sizeof(id), "%s%06ld", g->o.prefix, i + 1);
		lg_mint(g->s[i], ca, cakey, id);
	}
	printf("minted %ld certificates in %.2f s\n", g->o.count, (lg_now_ms() - t0) / 1000.0);
	fflush(stdout);
	X509_free(ca);
	EVP_PKEY_free(cakey);
}

/* ---- connections ---- */

static void lg_fail(struct lg *g, struct lg_sess *s, const char *why)
{
	if (!g->first_err[0])
		snprintf(g->first_err, sizeof(g->first_err), "%s (%s connection, errno %d: %s)",
			 why, s->tunnel ? "tunnel" : "login", errno, strerror(errno));
	if (s->ssl)
		SSL_free(s->ssl);
	if (s->fd >= 0)
		close(s->fd);
	s->ssl = NULL;
	s->fd = -1;
	s->state = LG_DONE;
	g->in_flight--;
	g->failed++;
}

/* Registers the events the session now waits for (level-triggered). */
static void lg_watch(struct lg *g, struct lg_sess *s, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (s->events == events)
		return;
	if (epoll_ctl(g->ep, s->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s->fd, &ev) < 0)
		lg_die("epoll_ctl");
	s->events = events;
}

static int lg_socket(struct lg *g, long n)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g->o.port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, g->o.host, &dst.sin_addr);
	if (g->o.n_sources) {
		src.sin_addr = g->o.sources[n % g->o.n_sources];
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			goto fail;
	}
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static void lg_open(struct lg *g, struct lg_sess *s, long n)
{
	s->fd = lg_socket(g, n);
	s->events = 0;
	if (s->fd < 0) {
		lg_fail(g, s, "cannot open a TCP connection");
		return;
	}
	s->state = LG_TCP;
	lg_watch(g, s, EPOLLOUT);
}

static void lg_start(struct lg *g, long n)
{
	struct lg_sess *s = g->s[n];

	s->t0 = lg_now_ms();
	s->tunnel = false;
	g->started++;
	g->in_flight++;
	lg_open(g, s, n);
}

static void lg_request(struct lg_sess *s, const char *host)
{
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"init\" "
		"aggregate-auth-version=\"2\"><version who=\"vpn\">v9.01-3</version>"
		"<device-id>linux-64</device-id></config-auth>";
	int n;

	if (!s->tunnel)
		n = snprintf(s->buf, LG_BUF,
			     "POST / HTTP/1.1\r\nHost: %s\r\nUser-Agent: Open AnyConnect VPN Agent v9.01-3\r\n"
			     "Accept: */*\r\nX-Transcend-Version: 1\r\nX-Aggregate-Auth: 1\r\n"
			     "X-Support-HTTP-Auth: true\r\nContent-Type: application/xml; charset=utf-8\r\n"
			     "Content-Length: %zu\r\n\r\n%s", host, sizeof(body) - 1, body);
	else
		n = snprintf(s->buf, LG_BUF,
			     "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: %s\r\n"
			     "User-Agent: Open AnyConnect VPN Agent v9.01-3\r\nCookie: webvpn=%s\r\n"
			     "X-CSTP-Version: 1\r\nX-CSTP-Hostname: loadgen\r\nX-CSTP-Base-MTU: 1500\r\n"
			     "X-CSTP-MTU: 1400\r\nX-CSTP-Address-Type: IPv4\r\n"
			     "X-CSTP-Full-IPv6-Capability: false\r\n\r\n", host, s->cookie);
	s->len = (size_t)n;
	s->off = 0;
}

static void lg_tls_begin(struct lg *g, struct lg_sess *s)
{
	s->ssl = SSL_new(g->ctx);
	if (!s->ssl || !SSL_set_fd(s->ssl, s->fd) || !SSL_use_certificate(s->ssl, s->cert) ||
	    !SSL_use_PrivateKey(s->ssl, s->key) ||
	    !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), g->o.host))
		lg_die("cannot set up a TLS connection");
	if (s->tunnel && s->resume)
		SSL_set_session(s->ssl, s->resume);
	s->state = LG_TLS;
}

/* Maps an SSL_ERROR to the epoll interest; false when it is a real error. */
static bool lg_want(struct lg *g, struct lg_sess *s, int ret)
{
	switch (SSL_get_error(s->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		lg_watch(g, s, EPOLLIN);
		return true;
	case SSL_ERROR_WANT_WRITE:
		lg_watch(g, s, EPOLLOUT);
		return true;
	default:
		return false;
	}
}

static void lg_step_tls(struct lg *g, struct lg_sess *s);

static void lg_step_tcp(struct lg *g, struct lg_sess *s)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		errno = err;
		lg_fail(g, s, "TCP connect failed");
		return;
	}
	lg_tls_begin(g, s);
	lg_step_tls(g, s);
}

static void lg_step_tls(struct lg *g, struct lg_sess *s)
{
	int ret = SSL_connect(s->ssl);

	if (ret == 1) {
		if (s->tunnel && SSL_session_reused(s->ssl))
			g->resumed++;
		lg_request(s, g->o.host);
		s->state = LG_SEND;
		lg_watch(g, s, EPOLLOUT);
	} else if (!lg_want(g, s, ret)) {
		lg_fail(g, s, "TLS handshake failed");
	}
}

static void lg_step_send(struct lg *g, struct lg_sess *s)
{
	int ret = SSL_write(s->ssl, s->buf + s->off, (int)(s->len - s->off));

	if (ret > 0) {
		s->off += (size_t)ret;
		if (s->off == s->len) {
			s->len = 0;
			s->state = LG_RECV;
			lg_watch(g, s, EPOLLIN);
		}
	} else if (!lg_want(g, s, ret)) {
		lg_fail(g, s, "cannot send the request");
	}
}

/* The value of "Set-Cookie: webvpn=VALUE" (a non-empty one) in the head. */
static bool lg_cookie(struct lg_sess *s)
{
	const char *p = s->buf;
	size_t n;

	while ((p = strcasestr(p, "\r\nSet-Cookie: webvpn=")) != NULL) {
		p += strlen("\r\nSet-Cookie: webvpn=");
		n = strcspn(p, ";\r\n");
		if (n > 0 && n < sizeof(s->cookie)) {
			memcpy(s->cookie, p, n);
			s->cookie[n] = '\0';
			return true;
		}
	}
	return false;
}

/* The whole login reply is in: its head and Content-Length bytes of body. */
static bool lg_reply_complete(struct lg_sess *s)
{
	char *end = strstr(s->buf, "\r\n\r\n");
	const char *cl;

	if (!end)
		return false;
	if (s->tunnel)
		return true;
	cl = strcasestr(s->buf, "\r\nContent-Length:");
	if (!cl || cl > end)
		return true;
	return s->len >= (size_t)(end + 4 - s->buf) + strtoul(cl + 17, NULL, 10);
}

static void lg_held(struct lg *g, struct lg_sess *s)
{
	g->lat[g->held++] = (uint32_t)(lg_now_ms() - s->t0);
	g->in_flight--;
	s->state = LG_HELD;
	s->len = 0;
	s->next_ka = lg_now_ms() + (uint64_t)g->o.keepalive * 1000;
	lg_watch(g, s, EPOLLIN);
}

static void lg_login_done(struct lg *g, struct lg_sess *s, long n)
{
	if (!lg_cookie(s)) {
		lg_fail(g, s, "no webvpn cookie in the login reply");
		return;
	}
	s->resume = SSL_get1_session(s->ssl);
	SSL_shutdown(s->ssl);	/* close_notify, then the close, as the client does */
	SSL_free(s->ssl);
	close(s->fd);
	s->ssl = NULL;
	s->tunnel = true;
	lg_open(g, s, n);
}

static void lg_reply(struct lg *g, struct lg_sess *s, long n)
{
	if (!s->tunnel) {
		lg_login_done(g, s, n);
	} else if (strncmp(s->buf, "HTTP/1.1 200 ", 13) != 0) {
		s->buf[strcspn(s->buf, "\r\n")] = '\0';
		errno = 0;
		lg_fail(g, s, "CONNECT refused");
		fprintf(stderr, "loadgen: CONNECT answered: %.200s\n", s->buf);
	} else {
		lg_held(g, s);
	}
}

static void lg_step_recv(struct lg *g, struct lg_sess *s, long n)
{
	int ret;

	for (;;) {
		if (s->len >= LG_BUF - 1) {
			lg_fail(g, s, "reply too long");
			return;
		}
		ret = SSL_read(s->ssl, s->buf + s->len, (int)(LG_BUF - 1 - s->len));
		if (ret <= 0)
			break;
		s->len += (size_t)ret;
		s->buf[s->len] = '\0';
		if (lg_reply_complete(s)) {
			lg_reply(g, s, n);
			return;
		}
	}
	if (!lg_want(g, s, ret))
		lg_fail(g, s, "connection closed during the reply");
}

/* ---- held tunnels ---- */

static void lg_end(struct lg *g, struct lg_sess *s)
{
	SSL_free(s->ssl);
	close(s->fd);
	s->ssl = NULL;
	s->fd = -1;
	s->state = LG_DONE;
	g->held--;
	g->ended_by_gw++;
}

static void lg_frame_send(struct lg_sess *s, uint8_t type)
{
	const uint8_t f[8] = { 'S', 'T', 'F', 1, 0, 0, type, 0 };

	/* Eight bytes on an idle connection: the socket buffer takes them. */
	SSL_write(s->ssl, f, sizeof(f));
}

/* Reads CSTP frames: DPD requests are answered, a terminate or disconnect
 * ends the session, data is dropped. s->buf keeps a partial frame. */
static void lg_frames(struct lg *g, struct lg_sess *s)
{
	size_t flen;

	while (s->len >= 8) {
		flen = 8 + ((size_t)(uint8_t)s->buf[4] << 8 | (uint8_t)s->buf[5]);
		if (flen > LG_BUF || memcmp(s->buf, "STF\x01", 4) != 0) {
			lg_end(g, s);	/* not a CSTP frame we can hold */
			return;
		}
		if (s->len < flen)
			return;
		if (s->buf[6] == 3)
			lg_frame_send(s, 4);
		else if (s->buf[6] == 5 || s->buf[6] == 9) {
			lg_end(g, s);
			return;
		}
		memmove(s->buf, s->buf + flen, s->len - flen);
		s->len -= flen;
	}
}

static void lg_step_held(struct lg *g, struct lg_sess *s)
{
	int ret;

	do {
		ret = SSL_read(s->ssl, s->buf + s->len, (int)(LG_BUF - s->len));
		if (ret > 0) {
			s->len += (size_t)ret;
			lg_frames(g, s);
			if (s->state != LG_HELD)
				return;
		}
	} while (ret > 0);
	if (SSL_get_error(s->ssl, ret) != SSL_ERROR_WANT_READ)
		lg_end(g, s);
}

static void lg_step(struct lg *g, struct lg_sess *s)
{
	switch (s->state) {
	case LG_TCP: lg_step_tcp(g, s); break;
	case LG_TLS: lg_step_tls(g, s); break;
	case LG_SEND: lg_step_send(g, s); break;
	case LG_RECV: lg_step_recv(g, s, s->n); break;
	case LG_HELD: lg_step_held(g, s); break;
	default: break;
	}
}

/* ---- the loop ---- */

static void lg_poll(struct lg *g, int timeout_ms)
{
	struct epoll_event ev[256];
	int i, n = epoll_wait(g->ep, ev, 256, timeout_ms);

	for (i = 0; i < n; i++)
		lg_step(g, ev[i].data.ptr);
}

static void lg_expire(struct lg *g, uint64_t now)
{
	long i;

	for (i = 0; i < g->started; i++) {
		struct lg_sess *s = g->s[i];

		if (s->state != LG_HELD && s->state != LG_DONE && now - s->t0 > LG_SETUP_MS) {
			errno = ETIMEDOUT;
			lg_fail(g, s, "set-up took more than 20 s");
		}
	}
}

static void lg_keepalives(struct lg *g, uint64_t now)
{
	long i;

	if (g->o.keepalive <= 0)
		return;
	for (i = 0; i < g->o.count; i++) {
		struct lg_sess *s = g->s[i];

		if (s->state == LG_HELD && now >= s->next_ka) {
			lg_frame_send(s, 7);
			s->next_ka = now + (uint64_t)g->o.keepalive * 1000;
		}
	}
}

static int lg_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void lg_report_setup(struct lg *g, uint64_t ms)
{
	uint32_t *l = malloc(sizeof(*l) * (size_t)(g->held ? g->held : 1));
	double secs = ms / 1000.0;

	memcpy(l, g->lat, sizeof(*l) * (size_t)g->held);
	qsort(l, (size_t)g->held, sizeof(*l), lg_cmp_u32);
	printf("setup %ld of %ld in %.2f s: %.1f per second, median %u ms, p95 %u ms, resumed %ld, failed %ld\n",
	       g->held, g->o.count, secs, secs > 0 ? g->held / secs : 0.0,
	       g->held ? l[(g->held - 1) / 2] : 0, g->held ? l[(g->held * 95 + 99) / 100 - 1] : 0,
	       g->resumed, g->failed);
	if (g->first_err[0])
		printf("first failure: %s\n", g->first_err);
	printf("ready %ld\n", g->held);
	fflush(stdout);
	free(l);
}

static void lg_setup(struct lg *g)
{
	uint64_t t0 = lg_now_ms(), last = t0, now;

	while (!lg_stop && (g->started < g->o.count || g->in_flight > 0)) {
		while (g->started < g->o.count && g->in_flight < g->o.concurrency)
			lg_start(g, g->started);
		lg_poll(g, 50);
		now = lg_now_ms();
		if (now - last >= 1000) {
			lg_expire(g, now);
			lg_keepalives(g, now);
			last = now;
		}
		if (now - t0 > (uint64_t)g->o.setup_timeout * 1000) {
			lg_expire(g, now + LG_SETUP_MS + 1);
			break;
		}
	}
	lg_report_setup(g, lg_now_ms() - t0);
}

static void lg_hold(struct lg *g)
{
	uint64_t end = lg_now_ms() + (uint64_t)g->o.hold * 1000, now;

	while (!lg_stop && (now = lg_now_ms()) < end) {
		lg_poll(g, 200);
		lg_keepalives(g, now);
	}
}

static void lg_close_all(struct lg *g)
{
	long i, held = g->held;

	for (i = 0; i < g->o.count; i++) {
		struct lg_sess *s = g->s[i];

		if (s->state == LG_HELD)
			lg_frame_send(s, 5);
		SSL_free(s->ssl);
		if (s->fd >= 0)
			close(s->fd);
		SSL_SESSION_free(s->resume);
		X509_free(s->cert);
		EVP_PKEY_free(s->key);
		free(s);
	}
	printf("ended: %ld held, %ld ended by the gateway\n", held, g->ended_by_gw);
	fflush(stdout);
}

static void lg_usage(void)
{
	fprintf(stderr,
		"usage: loadgen --host IP --cafile CA.crt --ca-key CA.key --count N\n"
		"               [--port 443] [--prefix lg-] [--concurrency 64] [--source IP]...\n"
		"               [--keepalive 20] [--hold 900] [--setup-timeout 600]\n");
	exit(2);
}

static long lg_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		lg_usage();
	return v;
}

static void lg_source(struct lg_opts *o, const char *ip)
{
	if (o->n_sources >= LG_SOURCES_MAX || inet_pton(AF_INET, ip, &o->sources[o->n_sources]) != 1)
		lg_usage();
	o->n_sources++;
}

static void lg_parse(struct lg_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", 1, NULL, 'h' }, { "port", 1, NULL, 'p' }, { "cafile", 1, NULL, 'c' },
		{ "ca-key", 1, NULL, 'k' }, { "count", 1, NULL, 'n' }, { "prefix", 1, NULL, 'x' },
		{ "concurrency", 1, NULL, 'C' }, { "source", 1, NULL, 's' },
		{ "keepalive", 1, NULL, 'K' }, { "hold", 1, NULL, 'H' },
		{ "setup-timeout", 1, NULL, 'T' }, { NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct lg_opts){ .port = 443, .prefix = "lg-", .concurrency = 64, .keepalive = 20,
			       .hold = 900, .setup_timeout = 600 };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'h': o->host = optarg; break;
		case 'p': o->port = (int)lg_num(optarg, 1, 65535); break;
		case 'c': o->cafile = optarg; break;
		case 'k': o->ca_key = optarg; break;
		case 'n': o->count = lg_num(optarg, 1, 1000000); break;
		case 'x': o->prefix = optarg; break;
		case 'C': o->concurrency = lg_num(optarg, 1, 10000); break;
		case 's': lg_source(o, optarg); break;
		case 'K': o->keepalive = lg_num(optarg, 0, 3600); break;
		case 'H': o->hold = lg_num(optarg, 0, 86400); break;
		case 'T': o->setup_timeout = lg_num(optarg, 1, 86400); break;
		default: lg_usage();
		}
	}
	if (!o->host || !o->cafile || !o->ca_key || !o->count || optind != argc)
		lg_usage();
}

/* Every session needs a descriptor: refuse early, with the limit named. */
static void lg_check_nofile(const struct lg_opts *o)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < (rlim_t)(o->count + o->concurrency + 16)) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
		getrlimit(RLIMIT_NOFILE, &r);
		if (r.rlim_cur < (rlim_t)(o->count + o->concurrency + 16)) {
			fprintf(stderr, "loadgen: %ld sessions need more descriptors than RLIMIT_NOFILE %llu\n",
				o->count, (unsigned long long)r.rlim_cur);
			exit(2);
		}
	}
}

static void lg_init(struct lg *g)
{
	struct sigaction sa = { .sa_handler = lg_on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	g->ctx = SSL_CTX_new(TLS_client_method());
	if (!g->ctx || SSL_CTX_load_verify_locations(g->ctx, g->o.cafile, NULL) != 1)
		lg_die("cannot load the CA certificate for the server's chain");
	SSL_CTX_set_verify(g->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(g->ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->s = calloc((size_t)g->o.count, sizeof(*g->s));
	g->lat = calloc((size_t)g->o.count, sizeof(*g->lat));
	if (g->ep < 0 || !g->s || !g->lat)
		lg_die("cannot allocate the sessions");
}

int main(int argc, char **argv)
{
	static struct lg g;

	lg_parse(&g.o, argc, argv);
	lg_check_nofile(&g.o);
	lg_init(&g);
	lg_mint_all(&g);
	lg_setup(&g);
	lg_hold(&g);
	lg_close_all(&g);
	SSL_CTX_free(g.ctx);
	free(g.s);
	free(g.lat);
	return 0;
}
