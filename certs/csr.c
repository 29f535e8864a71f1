/* SPDX-License-Identifier: MIT */
/*
 * Certificate signing requests (certs/csr.h). A request comes from outside
 * the CA host, so it is parsed strictly (one request, PEM or DER, nothing
 * else in the file) and trusted for one thing only: the public key, once
 * the request's self-signature shows that whoever sent it holds the private
 * key. Its subject and its requested extensions (a DNS name, CA:TRUE,
 * serverAuth) are what a compromised MDM or a curious user would forge, so
 * they are never read: the device certificate is built from the operator's
 * options alone, as issue builds it. The key types are those the stock
 * openconnect client and the gateway both handle and that are strong today;
 * Ed25519 is refused because postern-ca does not make such keys either and
 * not every client's TLS library signs with one.
 */
#include "certs/csr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "certs/error.h"
#include "common/file.h"

static bool all_space(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* The first PEM block must be the request, and nothing but white space
 * may follow it (a second block would be a second request, or a key). */
static X509_REQ *csr_pem(const unsigned char *data, size_t len)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
	const unsigned char *rest = NULL;
	long n = req ? BIO_get_mem_data(bio, (char **)&rest) : 0;

	if (req && (n < 0 || !all_space(rest, (size_t)n))) {
		X509_REQ_free(req);
		req = NULL;
	}
	BIO_free(bio);
	return req;
}

/* Exactly one DER request, nothing after it. */
static X509_REQ *csr_der(const unsigned char *data, size_t len)
{
	const unsigned char *p = data;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);

	if (req && p != data + len) {
		X509_REQ_free(req);
		req = NULL;
	}
	return req;
}

int ca_csr_parse(const unsigned char *data, size_t len, X509_REQ **out,
		 char *err, size_t errlen)
{
	size_t skip = 0;
	X509_REQ *req;

	if (len == 0 || len > CA_CSR_MAX)
		return ca_err(err, errlen, -EINVAL, "not a certificate signing request (%s)",
			      len ? "too long" : "empty");
	while (skip < len && all_space(data + skip, 1))
		skip++;
	if (len - skip >= 10 && memcmp(data + skip, "-----BEGIN", 10) == 0)
		req = csr_pem(data + skip, len - skip);
	else
		req = csr_der(data, len);
	if (!req)
		return ca_err(err, errlen, -EINVAL, "not a certificate signing request (one "
			      "PEM CERTIFICATE REQUEST block, or DER, and nothing else)");
	*out = req;
	return 0;
}

int ca_csr_load(const char *path, X509_REQ **out, char *err, size_t errlen)
{
	char why[CA_MSG_MAX], *buf = NULL;
	size_t len = 0;
	int ret = cm_file_read_why(path, CA_CSR_MAX, &buf, &len, why, sizeof(why));

	if (ret)
		return ca_err(err, errlen, ret, "%s: %s", path, why);
	ret = ca_csr_parse((const unsigned char *)buf, len, out, why, sizeof(why));
	if (ret)
		ca_err(err, errlen, ret, "%s: %s", path, why);
	free(buf);
	return ret;
}

/* RSA of a sane size, or ECDSA on P-256 or P-384 (named, not explicit,
 * parameters), with a public value that passes OpenSSL's checks. */
static int key_accepted(EVP_PKEY *key, char *err, size_t errlen)
{
	char group[64] = "";
	int bits = EVP_PKEY_get_bits(key), nid = NID_undef, ok;
	EVP_PKEY_CTX *ctx;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		if (bits < CA_CSR_RSA_BITS_MIN || bits > CA_CSR_RSA_BITS_MAX)
			return ca_err(err, errlen, -EINVAL, "its key is RSA %d: RSA must have %d "
				      "to %d bits", bits, CA_CSR_RSA_BITS_MIN, CA_CSR_RSA_BITS_MAX);
	} else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		if (EVP_PKEY_get_group_name(key, group, sizeof(group), NULL))
			nid = OBJ_sn2nid(group);
		if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1)
			return ca_err(err, errlen, -EINVAL, "its key is ECDSA on %s: only P-256 "
				      "and P-384 are accepted", group[0] ? group : "an unnamed curve");
	} else {
		return ca_err(err, errlen, -EINVAL, "its key is %s: only RSA (%d to %d bits) "
			      "and ECDSA (P-256, P-384) are accepted",
			      EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown",
			      CA_CSR_RSA_BITS_MIN, CA_CSR_RSA_BITS_MAX);
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	ok = ctx && EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : ca_err_ssl(err, errlen, -EINVAL, "its public key is not valid");
}

int ca_csr_key(X509_REQ *req, EVP_PKEY **out, char *err, size_t errlen)
{
	EVP_PKEY *key = X509_REQ_get0_pubkey(req);
	int ret;

	if (X509_REQ_get_version(req) != X509_REQ_VERSION_1)
		return ca_err(err, errlen, -EBADMSG, "unknown request version %ld",
			      X509_REQ_get_version(req) + 1);
	if (!key)
		return ca_err_ssl(err, errlen, -EINVAL, "its public key cannot be read");
	ret = key_accepted(key, err, errlen);
	if (ret)
		return ret;
	if (X509_REQ_verify(req, key) != 1)
		return ca_err_ssl(err, errlen, -EBADMSG, "its signature does not verify under "
				  "its own key: altered, or not made with that key");
	if (!EVP_PKEY_up_ref(key))
		return ca_err(err, errlen, -ENOMEM, "out of memory");
	*out = key;
	return 0;
}
