/* SPDX-License-Identifier: MIT */
/*
 * Revocation lists (certs/crl.h): v2 CRLs with a CRL number, which the
 * gateway uses to refuse an older list, and an authority key identifier,
 * which lets a verifier pick the right CA key. A CRL is replaced by a
 * rename, so that a gateway reloading it reads the old list or the new
 * one, never half of one.
 */
#include "certs/crl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certs/error.h"
#include "certs/store.h"

/* The inverse of ca_serial_hex, for serials read back from the ledger. */
static int serial_from_hex(const char *text, ASN1_INTEGER **out)
{
	BIGNUM *bn = NULL;
	size_t n = strnlen(text, CA_SERIAL_HEX_MAX + 1);
	int ret = -EINVAL;

	if (n == 0 || n > CA_SERIAL_HEX_MAX || BN_hex2bn(&bn, text) != (int)n)
		goto out;
	*out = BN_to_ASN1_INTEGER(bn, NULL);
	ret = *out ? 0 : -ENOMEM;
out:
	BN_free(bn);
	return ret;
}

static int crl_time_set(X509_CRL *crl, time_t last, time_t next)
{
	ASN1_TIME *t_last = ASN1_TIME_set(NULL, last);
	ASN1_TIME *t_next = ASN1_TIME_set(NULL, next);
	int ok = t_last && t_next && X509_CRL_set1_lastUpdate(crl, t_last) &&
		 X509_CRL_set1_nextUpdate(crl, t_next);

	ASN1_TIME_free(t_last);
	ASN1_TIME_free(t_next);
	return ok ? 0 : -ENOMEM;
}

static int crl_number_set(X509_CRL *crl, uint64_t number)
{
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	int ok = n && ASN1_INTEGER_set_uint64(n, number) &&
		 X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0);

	ASN1_INTEGER_free(n);
	return ok ? 0 : -ENOMEM;
}

/* The AKI lets a verifier pick the right CA key when it holds several. */
static int crl_akid_set(X509_CRL *crl, X509 *ca_cert)
{
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	int ok;

	X509V3_set_ctx(&ctx, ca_cert, NULL, NULL, crl, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier,
				   "keyid:always");
	ok = ext && X509_CRL_add_ext(crl, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -EIO;
}

int ca_crl_new(const struct ca_authority *ca, uint64_t number, time_t now,
	       unsigned int days, X509_CRL **out, char *err, size_t errlen)
{
	X509_CRL *crl = X509_CRL_new();
	int ret = -EINVAL;

	if (days == 0 || days > CA_DAYS_MAX || now < 0 ||
	    now > CA_TIME_MAX - (time_t)days * CA_DAY_SECONDS)
		goto out;
	ret = -ENOMEM;
	if (!crl || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)))
		goto out;
	ret = crl_time_set(crl, now, now + (time_t)days * CA_DAY_SECONDS);
	if (!ret)
		ret = crl_number_set(crl, number);
	if (!ret)
		ret = crl_akid_set(crl, ca->cert);
	if (ret)
		goto out;
	*out = crl;
	crl = NULL;
out:
	if (ret)
		ca_err_ssl(err, errlen, ret, "cannot build the CRL");
	X509_CRL_free(crl);
	return ret;
}

/* RFC 5280 5.3.1: the reason code SHOULD be absent rather than say
 * unspecified; the ledger still records it. */
static int revoked_reason_set(X509_REVOKED *rev, enum ca_reason reason)
{
	ASN1_ENUMERATED *code;
	int ok;

	if (reason == CA_REASON_UNSPECIFIED)
		return 0;
	code = ASN1_ENUMERATED_new();
	ok = code && ASN1_ENUMERATED_set(code, reason) &&
	     X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, code, 0, 0);
	ASN1_ENUMERATED_free(code);
	return ok ? 0 : -ENOMEM;
}

int ca_crl_add(X509_CRL *crl, const char *serial_hex, time_t when,
	       enum ca_reason reason, char *err, size_t errlen)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *t = ASN1_TIME_set(NULL, when);
	int ret = serial_from_hex(serial_hex, &serial);

	if (ret) {
		ca_err(err, errlen, ret, "bad serial number '%s' in the ledger", serial_hex);
		goto out;
	}
	ret = -ENOMEM;
	if (!rev || !t || !X509_REVOKED_set_serialNumber(rev, serial) ||
	    !X509_REVOKED_set_revocationDate(rev, t) ||
	    revoked_reason_set(rev, reason) || !X509_CRL_add0_revoked(crl, rev)) {
		ca_err_ssl(err, errlen, ret, "cannot add serial %s to the CRL", serial_hex);
		goto out;
	}
	rev = NULL;
	ret = 0;
out:
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(t);
	return ret;
}

uint64_t ca_crl_file_number(const char *path, const struct ca_authority *ca)
{
	FILE *f = fopen(path, "re");
	X509_CRL *crl = f ? PEM_read_X509_CRL(f, NULL, NULL, NULL) : NULL;
	ASN1_INTEGER *n = NULL;
	uint64_t v = 0;

	if (f)
		fclose(f);
	if (crl && X509_CRL_verify(crl, X509_get0_pubkey(ca->cert)) == 1)
		n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	if (!n || ASN1_INTEGER_get_uint64(&v, n) != 1)
		v = 0;
	ASN1_INTEGER_free(n);
	X509_CRL_free(crl);
	ERR_clear_error();
	return v;
}

int ca_crl_sign(X509_CRL *crl, const struct ca_authority *ca, char *err, size_t errlen)
{
	if (!X509_CRL_sort(crl) || X509_CRL_sign(crl, ca->key, EVP_sha256()) <= 0)
		return ca_err_ssl(err, errlen, -EIO, "cannot sign the CRL");
	return 0;
}

int ca_crl_save(const char *path, X509_CRL *crl, char *err, size_t errlen)
{
	BIO *mem = BIO_new(BIO_s_mem());

	return ca_file_write(path, CA_MODE_PUBLIC, CA_WRITE_REPLACE, mem,
			     mem && PEM_write_bio_X509_CRL(mem, crl), "the CRL", err, errlen);
}
