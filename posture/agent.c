/* SPDX-License-Identifier: MIT */
/*
 * The CSD wrapper: openconnect runs it (--csd-wrapper) when the gateway asks
 * for a host scan, with the arguments and environment of its stock
 * csd-post.sh. It collects this device's facts, posts them as the report
 * body to /+CSCOE+/sdesktop/scan.xml over TLS presenting the device
 * certificate, and postern-posture exits 0 when the gateway answers 200, 1
 * otherwise.
 *
 * openconnect only warns about a non-zero exit and goes on to log in, so the
 * one line postern-posture prints on stderr (from what pst_agent_report
 * returns) is what tells the user why the session was quarantined. The gateway must be the one openconnect verified: its public
 * key must hash to CSD_SHA256 (or its chain verify against POSTERN_CAFILE),
 * checked before the token is sent; anything else fails closed. Every step
 * shares one 15 s deadline, so a silent gateway cannot hang the login.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/macros.h"
#include "common/number.h"
#include "posture/agent.h"
#include "posture/collect.h"

#define SCAN_PATH	"/+CSCOE+/sdesktop/scan.xml"
#define ARG_MAX_LEN	2048		/* one wrapper argument */
#define TOKEN_MAX	256
#define BODY_MAX	16384		/* PST_FACTS_MAX facts fit with room to spare */
#define HEAD_MAX	1024		/* request headers; the token is the long one */
#define STATUS_MAX	1024		/* bytes read to find the status line */
#define PIN_B64_LEN	44		/* base64 of 32 bytes, one '=' of padding */

/* ---- the wrapper's arguments ---- */

/* The value options openconnect passes; only -url is used, the others are
 * recognised so that their values are not mistaken for options. */
static const char *const csd_value_options[] = {
	"-ticket", "-stub", "-group", "-certhash", "-url",
};

static bool csd_value_option(const char *arg)
{
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(csd_value_options); i++)
		if (!strcmp(arg, csd_value_options[i]))
			return true;
	return false;
}

/* openconnect wraps each value in literal double quotes: "\"T\"". */
static int csd_unquote(const char *arg, char *out, size_t outlen)
{
	size_t len = strlen(arg);

	if (len >= 2 && arg[0] == '"' && arg[len - 1] == '"') {
		arg++;
		len -= 2;
	}
	if (len >= outlen)
		return -EINVAL;
	memcpy(out, arg, len);
	out[len] = '\0';
	return 0;
}

int pst_port_parse(const char *text, uint16_t *port)
{
	uint64_t v;

	if (cm_number_parse(text, 1, 65535, &v))
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* A DNS name's characters; the length and dots are the resolver's business. */
static bool url_dns_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '.' && c != '-')
			return false;
	}
	return true;
}

static bool url_ipv6_literal(const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

/* Splits HOST[:PORT] or [V6][:PORT]; host keeps the brackets (it goes into
 * the Host header as it is). */
static int url_authority(const char *a, size_t len, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon = NULL, *hend;
	char digits[8];

	if (len && a[0] == '[') {
		hend = memchr(a, ']', len);
		if (!hend || !url_ipv6_literal(a + 1, (size_t)(hend - a - 1)))
			return -EINVAL;
		hend++;
		if (hend < a + len && *hend != ':')
			return -EINVAL;
	} else {
		colon = memchr(a, ':', len);
		hend = colon ? colon : a + len;
		if (!url_dns_name(a, (size_t)(hend - a)))
			return -EINVAL;
	}
	*port = 0;
	if (hend < a + len) {
		if ((size_t)(a + len - hend - 1) >= sizeof(digits))
			return -EINVAL;
		memcpy(digits, hend + 1, (size_t)(a + len - hend - 1));
		digits[a + len - hend - 1] = '\0';
		if (pst_port_parse(digits, port))
			return -EINVAL;
	}
	if ((size_t)(hend - a) >= hostlen)
		return -EINVAL;
	memcpy(host, a, (size_t)(hend - a));
	host[hend - a] = '\0';
	return 0;
}

int pst_url_parse(const char *url, char *host, size_t hostlen, uint16_t *port)
{
	static const char scheme[] = "https://";
	const char *a = url + strlen(scheme);

	if (strncmp(url, scheme, strlen(scheme)))
		return -EINVAL;
	return url_authority(a, strcspn(a, "/?#"), host, hostlen, port);
}

/*
 * Unknown arguments are skipped, as csd-post.sh skips them: openconnect
 * versions differ in what else they pass, and nothing but -url is used here
 * (the token comes from CSD_TOKEN, the address from CSD_HOSTNAME).
 */
int pst_csd_args_parse(int argc, char **argv, struct pst_csd_args *out, char *err,
		       size_t errlen)
{
	char value[ARG_MAX_LEN];
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 2; i < argc; i++) {
		if (!csd_value_option(argv[i]))
			continue;
		if (i + 1 == argc) {
			snprintf(err, errlen, "wrapper argument %s has no value", argv[i]);
			return -EINVAL;
		}
		if (strcmp(argv[i], "-url")) {
			i++;
			continue;
		}
		if (csd_unquote(argv[++i], value, sizeof(value)) ||
		    pst_url_parse(value, out->host, sizeof(out->host), &out->port)) {
			snprintf(err, errlen, "wrapper argument -url is not https://HOST[:PORT]/...");
			return -EINVAL;
		}
	}
	return 0;
}

/* RFC 6265 cookie-octet: it goes into a Cookie header verbatim. */
bool pst_token_valid(const char *token)
{
	size_t i;

	for (i = 0; token[i]; i++) {
		unsigned char c = (unsigned char)token[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\')
			return false;
	}
	return i > 0 && i <= TOKEN_MAX;
}

/* ---- the server's key pin ---- */

/* Canonical base64 only: decoded and encoded again, it must read the same. */
int pst_pin_parse(const char *b64, uint8_t pin[PST_PIN_LEN])
{
	unsigned char raw[PIN_B64_LEN], again[PIN_B64_LEN + 1];

	if (strlen(b64) != PIN_B64_LEN || b64[PIN_B64_LEN - 1] != '=' ||
	    b64[PIN_B64_LEN - 2] == '=')
		return -EINVAL;
	if (EVP_DecodeBlock(raw, (const unsigned char *)b64, PIN_B64_LEN) != PST_PIN_LEN + 1)
		return -EINVAL;
	EVP_EncodeBlock(again, raw, PST_PIN_LEN);
	if (memcmp(again, b64, PIN_B64_LEN))
		return -EINVAL;
	memcpy(pin, raw, PST_PIN_LEN);
	return 0;
}

/* The pin is SHA-256 over the DER SubjectPublicKeyInfo, as curl's
 * --pinnedpubkey sha256// and openconnect's pin-sha256: compute it. */
int pst_pin_check(X509 *cert, const uint8_t pin[PST_PIN_LEN])
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	unsigned char *der = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);

	if (len <= 0)
		return -ENOMEM;
	SHA256(der, (size_t)len, md);
	OPENSSL_free(der);
	return CRYPTO_memcmp(md, pin, PST_PIN_LEN) ? -EPERM : 0;
}

/* ---- the response ---- */

int pst_http_status(const char *buf, size_t len, int *status)
{
	const char *nl = memchr(buf, '\n', len);
	const char *s = buf + 9;

	if (memcmp(buf, "HTTP/1.", len < 7 ? len : 7))
		return -EBADMSG;
	if (!nl)
		return -EAGAIN;
	if (nl - buf < 12 || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return -EBADMSG;
	if (s[0] < '1' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9' ||
	    (s[3] != ' ' && s[3] != '\r' && s[3] != '\n'))
		return -EBADMSG;
	*status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	return 0;
}

/* ---- the post ---- */

struct agent {
	const char *cert, *key, *cafile, *token;
	char hostname[PST_HOST_MAX + 1];	/* CSD_HOSTNAME without brackets */
	uint8_t pin[PST_PIN_LEN];
	bool have_pin;
	uint16_t port;
	struct pst_csd_args args;
	char host_header[PST_HOST_MAX + 8];
	int64_t deadline;		/* CLOCK_MONOTONIC, ms */
	size_t n_facts;
	char body[BODY_MAX];
	size_t body_len;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int env_required(const char *name, const char **out, char *err, size_t errlen)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		snprintf(err, errlen, "%s is not set (see postern-posture(8))", name);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * A regular file (OpenSSL would block on a FIFO). A secret one is refused
 * when others may read it or anyone but its owner may write it, as OpenSSH
 * refuses such keys.
 */
static int agent_file_check(const char *var, const char *path, bool secret, char *err,
			    size_t errlen)
{
	struct stat st;
	int e;

	if (stat(path, &st) < 0) {
		e = errno;
		snprintf(err, errlen, "%s %s: %s", var, path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s is not a regular file", var, path);
		return -EINVAL;
	}
	if (secret && (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO))) {
		snprintf(err, errlen, "%s %s is open to other users: chmod 600 it", var, path);
		return -EPERM;
	}
	return 0;
}

static int agent_env_server(struct agent *a, char *err, size_t errlen)
{
	const char *pin = getenv("CSD_SHA256"), *port = getenv("POSTERN_PORT");

	a->cafile = getenv("POSTERN_CAFILE");
	if (a->cafile && !*a->cafile)
		a->cafile = NULL;
	if (a->cafile && agent_file_check("POSTERN_CAFILE", a->cafile, false, err, errlen))
		return -EINVAL;
	if (pin && *pin) {
		if (pst_pin_parse(pin, a->pin)) {
			snprintf(err, errlen, "CSD_SHA256 is not a base64 SHA-256 key pin");
			return -EINVAL;
		}
		a->have_pin = true;
	} else if (!a->cafile) {
		snprintf(err, errlen, "neither CSD_SHA256 nor POSTERN_CAFILE is set: "
			 "refusing to post to a gateway that cannot be verified");
		return -EINVAL;
	}
	a->port = a->args.port ? a->args.port : 443;
	if (port && *port && pst_port_parse(port, &a->port)) {
		snprintf(err, errlen, "POSTERN_PORT is not a port number 1-65535");
		return -EINVAL;
	}
	return 0;
}

/*
 * A name or an address, nothing else: it may end up in the Host header.
 * openconnect writes an IPv6 address in brackets, as in its URLs.
 */
static int agent_hostname(struct agent *a, const char *h, char *err, size_t errlen)
{
	size_t len = strlen(h);
	bool bracketed = len >= 2 && h[0] == '[' && h[len - 1] == ']';

	if (bracketed) {
		h++;
		len -= 2;
	}
	if (len > PST_HOST_MAX || (bracketed ? !url_ipv6_literal(h, len)
			       : !url_dns_name(h, len) && !url_ipv6_literal(h, len))) {
		snprintf(err, errlen, "CSD_HOSTNAME is not a host name or an IP address");
		return -EINVAL;
	}
	memcpy(a->hostname, h, len);
	a->hostname[len] = '\0';
	return 0;
}

static int agent_env(struct agent *a, char *err, size_t errlen)
{
	const char *host = NULL;
	int ret = env_required("POSTERN_CERT", &a->cert, err, errlen);

	if (!ret)
		ret = env_required("POSTERN_KEY", &a->key, err, errlen);
	if (!ret)
		ret = env_required("CSD_TOKEN", &a->token, err, errlen);
	if (!ret)
		ret = env_required("CSD_HOSTNAME", &host, err, errlen);
	if (!ret && !pst_token_valid(a->token)) {
		snprintf(err, errlen, "CSD_TOKEN is not a cookie value");
		ret = -EINVAL;
	}
	if (!ret)
		ret = agent_hostname(a, host, err, errlen);
	if (!ret)
		ret = agent_file_check("POSTERN_KEY", a->key, true, err, errlen);
	if (!ret)
		ret = agent_env_server(a, err, errlen);
	return ret;
}

/* Host: the name from -url when openconnect gave one, else the address. */
static void agent_host_header(struct agent *a)
{
	bool v6 = strchr(a->hostname, ':') != NULL;
	char port[8] = "";

	if (a->port != 443)
		snprintf(port, sizeof(port), ":%u", a->port);
	if (a->args.host[0])
		snprintf(a->host_header, sizeof(a->host_header), "%s%s", a->args.host, port);
	else
		snprintf(a->host_header, sizeof(a->host_header), "%s%s%s%s", v6 ? "[" : "",
			 a->hostname, v6 ? "]" : "", port);
}

/* The report dates itself (endpoint.collected-at, the oldest fact's time), so
 * a stale POSTERN_FACTS file makes the whole report stale at the gateway. */
static int agent_body(struct agent *a, const struct pst_facts *facts)
{
	int n = pst_report_format(facts, PST_SRC_AGENT, a->body, sizeof(a->body));

	if (n < 0)
		return n;
	a->body_len = (size_t)n;
	return 0;
}

static int agent_collect(struct agent *a, char *err, size_t errlen)
{
	struct pst_collect_paths paths;
	struct pst_facts facts;
	time_t now = time(NULL);
	size_t i;
	int ret;

	pst_collect_paths_default(&paths);
	ret = pst_collect(&paths, now, &facts, err, errlen);
	if (ret)
		return ret;
	for (i = 0, a->n_facts = 0; i < facts.n; i++)
		a->n_facts += facts.f[i].source == PST_SRC_AGENT;
	ret = agent_body(a, &facts);
	if (ret)
		snprintf(err, errlen, "the facts do not fit in one report");
	return ret;
}

/* ---- TLS with a deadline ---- */

static void ssl_why(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err, errlen, "%s: %s", what, buf);
	} else {
		snprintf(err, errlen, "%s", what);
	}
	ERR_clear_error();
}

static int agent_ctx_verify(const struct agent *a, SSL_CTX *ctx, char *err, size_t errlen)
{
	X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
	struct in6_addr addr;
	bool literal = inet_pton(AF_INET, a->hostname, &addr) == 1 ||
		       inet_pton(AF_INET6, a->hostname, &addr) == 1;

	if (SSL_CTX_load_verify_locations(ctx, a->cafile, NULL) != 1) {
		ssl_why(err, errlen, "cannot load POSTERN_CAFILE");
		return -EINVAL;
	}
	if ((literal ? X509_VERIFY_PARAM_set1_ip_asc(param, a->hostname)
		     : X509_VERIFY_PARAM_set1_host(param, a->hostname, 0)) != 1) {
		ssl_why(err, errlen, "cannot set the gateway's name to verify");
		return -EINVAL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return 0;
}

static int agent_ctx_new(const struct agent *a, SSL_CTX **out, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int ret = 0;

	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		ssl_why(err, errlen, "cannot create a TLS context");
		ret = -ENOMEM;
	} else if (SSL_CTX_use_certificate_chain_file(ctx, a->cert) != 1) {
		ssl_why(err, errlen, "cannot load POSTERN_CERT");
		ret = -EINVAL;
	} else if (SSL_CTX_use_PrivateKey_file(ctx, a->key, SSL_FILETYPE_PEM) != 1 ||
		   SSL_CTX_check_private_key(ctx) != 1) {
		ssl_why(err, errlen, "cannot load POSTERN_KEY, or it does not match POSTERN_CERT");
		ret = -EINVAL;
	} else if (a->cafile) {
		ret = agent_ctx_verify(a, ctx, err, errlen);
	} else {
		/* Only the pin decides (checked after the handshake, before any
		 * byte of the request), as for openconnect's own connection. */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	if (ret) {
		SSL_CTX_free(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}

/* Waits for fd to be ready for events; -ETIMEDOUT at the deadline. */
static int agent_poll(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	do {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

/* After an SSL call returned ret <= 0: wait as OpenSSL asks, or fail. */
static int agent_ssl_wait(SSL *ssl, int fd, int ret, int64_t deadline)
{
	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return agent_poll(fd, POLLIN, deadline);
	case SSL_ERROR_WANT_WRITE:
		return agent_poll(fd, POLLOUT, deadline);
	case SSL_ERROR_ZERO_RETURN:
		return -ECONNRESET;
	default:
		return -EPROTO;
	}
}

/* A non-blocking connect in progress: wait for it, then read its outcome. */
static int agent_connect_wait(int fd, int64_t deadline)
{
	socklen_t len = sizeof(int);
	int err = 0;
	int ret = agent_poll(fd, POLLOUT, deadline);

	if (!ret && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		ret = -errno;
	return ret ? ret : -err;
}

static int agent_connect_one(const struct addrinfo *ai, int64_t deadline, int *out)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		ret = errno == EINPROGRESS ? agent_connect_wait(fd, deadline) : -errno;
	if (ret) {
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

static int agent_connect(const struct agent *a, int *fd, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	char port[8];
	int ret, gai;

	snprintf(port, sizeof(port), "%u", a->port);
	gai = getaddrinfo(a->hostname, port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "cannot resolve CSD_HOSTNAME %s: %s", a->hostname,
			 gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	ret = -EHOSTUNREACH;
	for (ai = res; ret && ret != -ETIMEDOUT && ai; ai = ai->ai_next)
		ret = agent_connect_one(ai, a->deadline, fd);
	freeaddrinfo(res);
	if (ret)
		snprintf(err, errlen, "cannot connect to the gateway %s port %u: %s",
			 a->hostname, a->port, strerror(-ret));
	return ret;
}

static int agent_handshake(const struct agent *a, SSL *ssl, int fd, char *err, size_t errlen)
{
	int r, ret = 0;

	ERR_clear_error();
	while (!ret && (r = SSL_connect(ssl)) != 1)
		ret = agent_ssl_wait(ssl, fd, r, a->deadline);
	if (ret == -ETIMEDOUT)
		snprintf(err, errlen, "the gateway %s did not finish the TLS handshake within %d s",
			 a->hostname, PST_AGENT_TIMEOUT_MS / 1000);
	else if (ret)
		ssl_why(err, errlen, "TLS handshake with the gateway failed");
	return ret;
}

/* Before the token leaves: is this the gateway openconnect verified? */
static int agent_peer_check(const struct agent *a, SSL *ssl, char *err, size_t errlen)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);

	if (!peer) {
		snprintf(err, errlen, "the gateway sent no certificate");
		return -EPERM;
	}
	if (a->cafile && SSL_get_verify_result(ssl) != X509_V_OK) {
		snprintf(err, errlen, "the gateway's certificate does not verify against "
			 "POSTERN_CAFILE: %s",
			 X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
		return -EPERM;
	}
	if (a->have_pin && pst_pin_check(peer, a->pin)) {
		snprintf(err, errlen, "the gateway's public key does not match CSD_SHA256: "
			 "refusing to send the posture report");
		return -EPERM;
	}
	return 0;
}

static int agent_write(const struct agent *a, SSL *ssl, int fd, const char *buf, size_t len)
{
	size_t done = 0;
	int ret = 0;

	while (!ret && done < len) {
		size_t w = 0;
		int r = SSL_write_ex(ssl, buf + done, len - done, &w);

		if (r == 1)
			done += w;
		else
			ret = agent_ssl_wait(ssl, fd, r, a->deadline);
	}
	return ret;
}

/* The request, with the token in it: wiped once sent. */
static int agent_send(const struct agent *a, SSL *ssl, int fd, char *err, size_t errlen)
{
	char head[HEAD_MAX];
	int n = snprintf(head, sizeof(head),
			 "POST " SCAN_PATH " HTTP/1.1\r\n"
			 "Host: %s\r\n"
			 "Cookie: sdesktop=%s\r\n"
			 "Content-Type: text/xml\r\n"
			 "Content-Length: %zu\r\n"
			 "Connection: close\r\n"
			 "\r\n", a->host_header, a->token, a->body_len);
	int ret = n < 0 || (size_t)n >= sizeof(head) ? -ENOSPC : 0;

	if (!ret)
		ret = agent_write(a, ssl, fd, head, (size_t)n);
	OPENSSL_cleanse(head, sizeof(head));
	if (!ret)
		ret = agent_write(a, ssl, fd, a->body, a->body_len);
	if (ret == -ETIMEDOUT)
		snprintf(err, errlen, "the gateway %s did not take the report within %d s",
			 a->hostname, PST_AGENT_TIMEOUT_MS / 1000);
	else if (ret)
		ssl_why(err, errlen, "cannot send the posture report");
	return ret;
}

static int agent_read_status(const struct agent *a, SSL *ssl, int fd, int *status)
{
	char buf[STATUS_MAX];
	size_t len = 0;
	int ret = -EAGAIN;

	while (ret == -EAGAIN && len < sizeof(buf)) {
		size_t got = 0;
		int r = SSL_read_ex(ssl, buf + len, sizeof(buf) - len, &got);

		if (r == 1) {
			len += got;
			ret = pst_http_status(buf, len, status);
		} else {
			ret = agent_ssl_wait(ssl, fd, r, a->deadline);
			ret = ret ? ret : -EAGAIN;
		}
	}
	return ret == -EAGAIN ? -EBADMSG : ret;
}

static int agent_receive(const struct agent *a, SSL *ssl, int fd, int *status, char *err,
			 size_t errlen)
{
	int ret = agent_read_status(a, ssl, fd, status);

	if (ret == -ETIMEDOUT)
		snprintf(err, errlen, "the gateway %s did not answer the report within %d s",
			 a->hostname, PST_AGENT_TIMEOUT_MS / 1000);
	else if (ret == -EBADMSG)
		snprintf(err, errlen, "the gateway's answer to the report is not HTTP");
	else if (ret)
		snprintf(err, errlen, "the gateway closed the connection without answering "
			 "the report");
	ERR_clear_error();
	return ret;
}

static int agent_exchange(const struct agent *a, SSL *ssl, int fd, int *status, char *err,
			  size_t errlen)
{
	int ret = agent_handshake(a, ssl, fd, err, errlen);

	if (!ret)
		ret = agent_peer_check(a, ssl, err, errlen);
	if (!ret)
		ret = agent_send(a, ssl, fd, err, errlen);
	if (!ret)
		ret = agent_receive(a, ssl, fd, status, err, errlen);
	return ret;
}

static int agent_post(struct agent *a, int *status, char *err, size_t errlen)
{
	SSL_CTX *ctx = NULL;
	struct in_addr v4;
	SSL *ssl = NULL;
	int fd = -1;
	int ret = agent_ctx_new(a, &ctx, err, errlen);

	if (!ret)
		ret = agent_connect(a, &fd, err, errlen);
	if (!ret) {
		ssl = SSL_new(ctx);
		if (!ssl || SSL_set_fd(ssl, fd) != 1) {
			ssl_why(err, errlen, "cannot create a TLS connection");
			ret = -ENOMEM;
		}
	}
	/* SNI only for a name: RFC 6066 forbids literal addresses there. */
	if (!ret && a->args.host[0] && a->args.host[0] != '[' &&
	    inet_pton(AF_INET, a->args.host, &v4) != 1)
		SSL_set_tlsext_host_name(ssl, a->args.host);
	if (!ret)
		ret = agent_exchange(a, ssl, fd, status, err, errlen);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* ---- the report ---- */

int pst_agent_report(int argc, char **argv, struct pst_agent_result *res, char *err,
		     size_t errlen)
{
	struct agent a;
	int ret;

	memset(&a, 0, sizeof(a));
	memset(res, 0, sizeof(*res));
	a.deadline = now_ms() + PST_AGENT_TIMEOUT_MS;
	ret = pst_csd_args_parse(argc, argv, &a.args, err, errlen);
	if (!ret)
		ret = agent_env(&a, err, errlen);
	if (!ret)
		ret = agent_collect(&a, err, errlen);
	if (!ret) {
		agent_host_header(&a);
		ret = agent_post(&a, &res->status, err, errlen);
	}
	snprintf(res->hostname, sizeof(res->hostname), "%s", a.hostname);
	res->port = a.port;
	res->n_facts = a.n_facts;
	return ret;
}
