/* SPDX-License-Identifier: MIT */
/*
 * TLS for the gateway: the server context (TLS 1.2 and 1.3 only, the server
 * certificate, the device CA and its CRL) and the check of a device's
 * certificate once the handshake is done.
 *
 * Certificate errors do not abort the handshake. The verify callback lets the
 * handshake finish and records the first error; the HTTP layer then refuses
 * the device with that reason in the auth reply, which the openconnect client
 * prints. A TLS alert would only say "handshake failed", and a device owner
 * who is refused must be told why. Nothing is granted on such a connection:
 * every endpoint that does anything checks cert_ok first.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/file.h"
#include "common/sslerr.h"
#include "gateway/conn.h"
#include "gateway/keyd.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/tls.h"

static int tls_conn_idx = -1;

int gw_tls_conn_index(void)
{
	return tls_conn_idx;
}

static void tls_log_errors(const char *what)
{
	char why[320];

	cm_ssl_why(why, sizeof(why), what);
	gw_err("%s", why);
}

/* Remembers the first verification error; the handshake goes on (see above). */
static int tls_verify_cb(int preverify_ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct gw_conn *c = ssl ? SSL_get_ex_data(ssl, tls_conn_idx) : NULL;

	if (!preverify_ok && c && c->cert_refusal == GW_REF_NONE) {
		int err = X509_STORE_CTX_get_error(xs);

		switch (err) {
		case X509_V_ERR_CERT_REVOKED:
			c->cert_refusal = GW_REF_REVOKED;
			break;
		case X509_V_ERR_CERT_HAS_EXPIRED:
			c->cert_refusal = GW_REF_EXPIRED;
			break;
		case X509_V_ERR_CERT_NOT_YET_VALID:
			c->cert_refusal = GW_REF_NOT_YET_VALID;
			break;
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		case X509_V_ERR_CERT_SIGNATURE_FAILURE:
			c->cert_refusal = GW_REF_UNKNOWN_CA;
			break;
		case X509_V_ERR_CRL_HAS_EXPIRED:
		case X509_V_ERR_UNABLE_TO_GET_CRL:
			/* Fail closed: without a current CRL nobody is let in. */
			c->cert_refusal = GW_REF_CRL_OUT_OF_DATE;
			break;
		case X509_V_ERR_INVALID_PURPOSE:
			c->cert_refusal = GW_REF_NOT_CLIENT_CERT;
			break;
		default:
			c->cert_refusal = GW_REF_BAD_CERTIFICATE;
			gw_info("peer=%s: certificate verification: %s", c->peer,
				X509_verify_cert_error_string(err));
			break;
		}
	}
	return 1;
}

X509 *gw_tls_ca_load(const char *path)
{
	int fd = cm_file_open(path);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	X509 *ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	if (!ca)
		tls_log_errors(path);
	return ca;
}

/* The trust store itself (CA and CRL) is installed and replaced by reload.c. */
static int tls_load_trust(SSL_CTX *ctx, const struct gw_conf *conf)
{
	STACK_OF(X509_NAME) *names;

	/* Tell clients which CA we accept, so they pick the right certificate. */
	names = SSL_load_client_CA_file(conf->ca_cert);
	if (names)
		SSL_CTX_set_client_CA_list(ctx, names);
	return 0;
}

/* A test signature through the key holder, checked with the certificate. */
static bool tls_key_matches(EVP_PKEY *proxy, EVP_PKEY *pub)
{
	static const unsigned char probe[] = "postern key check";
	unsigned char sig[1024];
	size_t len = sizeof(sig);
	EVP_MD_CTX *s = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();
	bool ok = s && v &&
		  EVP_DigestSignInit(s, NULL, EVP_sha256(), NULL, proxy) == 1 &&
		  EVP_DigestSign(s, sig, &len, probe, sizeof(probe)) == 1 &&
		  EVP_DigestVerifyInit(v, NULL, EVP_sha256(), NULL, pub) == 1 &&
		  EVP_DigestVerify(v, sig, len, probe, sizeof(probe)) == 1;

	EVP_MD_CTX_free(s);
	EVP_MD_CTX_free(v);
	ERR_clear_error();
	return ok;
}

/*
 * The private key stays in the key holder process (keyd.c); this process,
 * which parses network input, only gets a proxy for it.
 */
static int tls_load_server(SSL_CTX *ctx, const struct gw_conf *conf, unsigned int channels,
			   struct gw_keyd *kd)
{
	EVP_PKEY *pub, *proxy;
	int err;

	if (SSL_CTX_use_certificate_chain_file(ctx, conf->server_cert) != 1) {
		tls_log_errors(conf->server_cert);
		return -EINVAL;
	}
	pub = X509_get0_pubkey(SSL_CTX_get0_certificate(ctx));
	err = gw_keyd_start(conf->server_key, channels, kd);
	if (err < 0) {
		gw_err("cannot start the key holder: %s", strerror(-err));
		return err;
	}
	proxy = pub ? gw_keyd_proxy_key(kd, pub) : NULL;
	if (!proxy) {
		gw_err("%s: unsupported key type (EC or RSA expected)", conf->server_cert);
		return -EINVAL;
	}
	if (!tls_key_matches(proxy, pub)) {
		gw_err("%s cannot sign for %s: not its key, or unreadable", conf->server_key,
		       conf->server_cert);
		EVP_PKEY_free(proxy);
		return -EINVAL;
	}
	err = SSL_CTX_use_PrivateKey(ctx, proxy) == 1 ? 0 : -EINVAL;
	if (err)
		tls_log_errors(conf->server_key);
	EVP_PKEY_free(proxy);
	return err;
}

SSL_CTX *gw_tls_ctx_new(const struct gw_conf *conf, unsigned int workers, struct gw_keyd *kd)
{
	SSL_CTX *ctx;

	if (tls_conn_idx < 0)
		tls_conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		tls_log_errors("SSL_CTX_new");
		return NULL;
	}
	/*
	 * TLS >= 1.2, and for 1.2 only ECDHE with AEAD ciphers: forward secrecy,
	 * and no CBC record splitting that could break the client's rule of
	 * one CSTP frame per TLS record. TLS 1.3 suites are all AEAD.
	 */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL") != 1) {
		tls_log_errors("cipher list");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
	/* No resumption: every connection presents and re-verifies its certificate. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	/* Whole socket reads instead of two syscalls per record (see conn.c). */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, tls_verify_cb);
	SSL_CTX_set_verify_depth(ctx, 4);
	if (tls_load_server(ctx, conf, workers + 1, kd) < 0 || tls_load_trust(ctx, conf) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * What the README promises a device certificate is, beyond what OpenSSL's
 * client purpose check enforces: that check lets a CA certificate through
 * as a leaf, and a certificate with no extended key usage at all. A
 * certificate the device CA issued as a CA (by mistake, or an intermediate)
 * or for another purpose is not a device's. GW_REF_NONE when it is one.
 */
static enum gw_refusal tls_not_device_cert(X509 *cert)
{
	uint32_t flags = X509_get_extension_flags(cert);

	if (flags & EXFLAG_INVALID)
		return GW_REF_CERT_BAD_EXTENSIONS;
	if (flags & EXFLAG_CA)
		return GW_REF_CERT_IS_CA;
	if (!(flags & EXFLAG_XKUSAGE))
		return GW_REF_CERT_NO_EKU;
	if (!(X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT))
		return GW_REF_CERT_EKU_NOT_CLIENT;
	return GW_REF_NONE;
}

void gw_tls_peer_check(struct gw_conn *c)
{
	X509 *cert = SSL_get0_peer_certificate(c->ssl);

	c->cert_ok = false;
	c->cert_absent = !cert;
	if (!cert) {
		c->cert_refusal = GW_REF_NO_CERTIFICATE;
		return;
	}
	if (!pst_cert_identity(cert, &c->id)) {
		if (c->cert_refusal == GW_REF_NONE)
			c->cert_refusal = GW_REF_NO_DEVICE_NAME;
		if (!c->id.device_id[0])
			snprintf(c->id.device_id, sizeof(c->id.device_id), "-");
		return;
	}
	if (c->cert_refusal != GW_REF_NONE || SSL_get_verify_result(c->ssl) != X509_V_OK) {
		if (c->cert_refusal == GW_REF_NONE)
			c->cert_refusal = GW_REF_BAD_CERTIFICATE;
		return;
	}
	c->cert_refusal = tls_not_device_cert(cert);
	c->cert_ok = c->cert_refusal == GW_REF_NONE;
}
