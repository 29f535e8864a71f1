/* SPDX-License-Identifier: MIT */
/*
 * Keys, serials and certificates on libcrypto. Certificates are X.509 v3
 * signed with SHA-256 and carry a subject and an authority key identifier,
 * because the stock openconnect client (GnuTLS) and the gateway (OpenSSL
 * with CRL checks) both build chains by them. A device certificate carries
 * what the gateway decides by (certs/model.h): its id as the CN and a URI,
 * its group as the OU, its ownership as a second URI and the owner's name.
 * Nothing here touches the ledger or a file, so that init, issue and renew
 * share these pieces and the unit tests check them in memory.
 */
#include "certs/cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "certs/error.h"
#include "certs/input.h"

int ca_key_generate(enum ca_key_type type, EVP_PKEY **out, char *err, size_t errlen)
{
	EVP_PKEY *key;

	if (type == CA_KEY_RSA_3072)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!key)
		return ca_err_ssl(err, errlen, -EIO, "cannot generate a %s key",
				  type == CA_KEY_RSA_3072 ? "RSA 3072" : "ECDSA P-256");
	*out = key;
	return 0;
}

int ca_serial_random(ASN1_INTEGER **out, char *err, size_t errlen)
{
	unsigned char buf[CA_SERIAL_BYTES];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	int ret = -EIO;

	/* Top bit cleared keeps the DER INTEGER positive at 16 bytes. A zero
	 * first byte would make it 15 bytes (BN_bin2bn drops it), and every
	 * serial is printed and parsed as 32 hex digits in `list`, `show` and
	 * scripts that cut columns: draw again (1 in 128), which also rules
	 * out the zero serial RFC 5280 forbids. */
	do {
		if (RAND_bytes(buf, sizeof(buf)) != 1)
			goto out;
		buf[0] &= 0x7f;
	} while (buf[0] == 0);
	bn = BN_bin2bn(buf, sizeof(buf), NULL);
	if (!bn)
		goto out;
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	if (!serial)
		goto out;
	*out = serial;
	ret = 0;
out:
	if (ret)
		ca_err_ssl(err, errlen, ret, "cannot draw a random serial number");
	BN_free(bn);
	return ret;
}

int ca_serial_hex(const ASN1_INTEGER *serial, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = ASN1_STRING_get0_data(serial);
	int i, n = ASN1_STRING_length(serial);

	if (n <= 0 || (size_t)n * 2 + 1 > len || n * 2 > CA_SERIAL_HEX_MAX)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		buf[2 * i] = hex[p[i] >> 4];
		buf[2 * i + 1] = hex[p[i] & 0x0f];
	}
	buf[2 * n] = '\0';
	return 0;
}

int ca_validity_end(const struct ca_validity *v, time_t *out)
{
	if (v->not_before < 0 || v->not_before > CA_TIME_MAX ||
	    v->days == 0 || v->days > CA_DAYS_MAX)
		return -EINVAL;
	if (v->not_before > CA_TIME_MAX - (time_t)v->days * CA_DAY_SECONDS)
		return -ERANGE;
	*out = v->not_before + (time_t)v->days * CA_DAY_SECONDS;
	return 0;
}

/* What every certificate shares: v3, a random serial, the validity window
 * and the subject's public key. Names and extensions are the caller's. */
static int cert_new(EVP_PKEY *key, const struct ca_validity *v, X509 **out,
		    char *err, size_t errlen)
{
	ASN1_INTEGER *serial = NULL;
	X509 *x = NULL;
	time_t end;
	int ret;

	ret = ca_validity_end(v, &end);
	if (ret)
		return ca_err(err, errlen, ret, "the validity period must end by 9999-12-31");
	ret = ca_serial_random(&serial, err, errlen);
	if (ret)
		return ret;
	x = X509_new();
	if (!x || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), v->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), end) || !X509_set_pubkey(x, key)) {
		ret = ca_err_ssl(err, errlen, -EIO, "cannot fill in a certificate");
		goto out;
	}
	*out = x;
	x = NULL;
out:
	X509_free(x);
	ASN1_INTEGER_free(serial);
	return ret;
}

/* Signs x and hands it over, unless an earlier step failed (ret); x is
 * freed on any failure. */
static int cert_done(X509 *x, EVP_PKEY *key, int ret, X509 **out, char *err, size_t errlen)
{
	if (!ret && X509_sign(x, key, EVP_sha256()) <= 0)
		ret = ca_err_ssl(err, errlen, -EIO, "cannot sign the certificate");
	if (ret) {
		X509_free(x);
		return ret;
	}
	*out = x;
	return 0;
}

static int name_add(X509_NAME *name, int nid, const char *utf8, char *err, size_t errlen)
{
	if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
					(const unsigned char *)utf8, -1, -1, 0))
		return ca_err_ssl(err, errlen, -EINVAL, "cannot put %s=%s in a name",
				  OBJ_nid2sn(nid), utf8);
	return 0;
}

/* The CA's common name, which device certificates carry as their O. */
static int cert_common_name(X509 *cert, char **out, char *err, size_t errlen)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;

	if (i < 0 || ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
						 X509_NAME_get_entry(name, i))) < 0)
		return ca_err_ssl(err, errlen, -EINVAL, "the CA certificate has no common name");
	*out = (char *)utf8;
	return 0;
}

/* Adds an extension written in the openssl config syntax; ctx names the
 * issuer and subject so that "hash" and "keyid:always" can be derived. */
static int cert_ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value,
			char *err, size_t errlen)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok = ext && X509_add_ext(x, ext, -1);

	X509_EXTENSION_free(ext);
	if (!ok)
		return ca_err_ssl(err, errlen, -EIO, "cannot add the %s extension",
				  OBJ_nid2sn(nid));
	return 0;
}

/* What a certificate may be used for: basicConstraints, keyUsage and, for
 * a leaf, the extended key usage. */
struct cert_usage {
	const char *basic;
	const char *key;
	const char *ext;		/* NULL: none */
};

/* The usages, then the key identifiers. The SKI goes first: for a
 * self-signed CA the AKI is copied from it. */
static int cert_exts_add(X509 *x, X509 *issuer, const struct cert_usage *u,
			 char *err, size_t errlen)
{
	X509V3_CTX ctx;
	int ret;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ret = cert_ext_add(x, &ctx, NID_basic_constraints, u->basic, err, errlen);
	if (!ret)
		ret = cert_ext_add(x, &ctx, NID_key_usage, u->key, err, errlen);
	if (!ret && u->ext)
		ret = cert_ext_add(x, &ctx, NID_ext_key_usage, u->ext, err, errlen);
	if (!ret)
		ret = cert_ext_add(x, &ctx, NID_subject_key_identifier, "hash", err, errlen);
	if (!ret)
		ret = cert_ext_add(x, &ctx, NID_authority_key_identifier, "keyid:always",
				   err, errlen);
	return ret;
}

/* Appends a URI or DNS name (IA5String) or an IP address (octets). Built
 * from structures rather than config text, so that no input can smuggle
 * in a second name with a comma. */
static int san_add(GENERAL_NAMES *gens, int type, const void *data, int len)
{
	ASN1_STRING *s = ASN1_STRING_type_new(type == GEN_IPADD ?
					      V_ASN1_OCTET_STRING : V_ASN1_IA5STRING);
	GENERAL_NAME *gn = GENERAL_NAME_new();

	if (!s || !gn || !ASN1_STRING_set(s, data, len))
		goto fail;
	GENERAL_NAME_set0_value(gn, type, s);
	s = NULL;
	if (!sk_GENERAL_NAME_push(gens, gn))
		goto fail;
	return 0;
fail:
	ASN1_STRING_free(s);
	GENERAL_NAME_free(gn);
	return -ENOMEM;
}

/* Puts the names gens holds into x as its subjectAltName, unless
 * collecting them failed (ret); frees gens either way. */
static int san_put(X509 *x, GENERAL_NAMES *gens, int ret, char *err, size_t errlen)
{
	if (ret)
		ca_err(err, errlen, ret, "cannot build the subjectAltName");
	else if (!X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT))
		ret = ca_err_ssl(err, errlen, -EIO, "cannot add the subjectAltName extension");
	GENERAL_NAMES_free(gens);
	return ret;
}

int ca_cert_build_ca(EVP_PKEY *key, const char *name, const struct ca_validity *v,
		     X509 **out, char *err, size_t errlen)
{
	static const struct cert_usage usage = {
		"critical,CA:TRUE", "critical,keyCertSign,cRLSign", NULL,
	};
	X509 *x = NULL;
	int ret;

	if (!ca_name_valid(name))
		return ca_err(err, errlen, -EINVAL, "invalid CA name");
	ret = cert_new(key, v, &x, err, errlen);
	if (ret)
		return ret;
	ret = name_add(X509_get_subject_name(x), NID_commonName, name, err, errlen);
	if (!ret && !X509_set_issuer_name(x, X509_get_subject_name(x)))
		ret = -ENOMEM;
	if (!ret)
		ret = cert_exts_add(x, x, &usage, err, errlen);
	return cert_done(x, key, ret, out, err, errlen);
}

/* What every leaf starts from: cert_new, the CA as its issuer, and its key
 * identifiers pointing at the CA's. */
static int leaf_new(const struct ca_authority *ca, EVP_PKEY *key,
		    const struct ca_validity *v, const struct cert_usage *u, X509 **out,
		    char *err, size_t errlen)
{
	X509 *x = NULL;
	int ret = cert_new(key, v, &x, err, errlen);

	if (!ret && !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)))
		ret = ca_err_ssl(err, errlen, -ENOMEM, "cannot set the issuer name");
	if (!ret)
		ret = cert_exts_add(x, ca->cert, u, err, errlen);
	if (ret) {
		X509_free(x);
		return ret;
	}
	*out = x;
	return 0;
}

static int server_san(X509 *x, const struct ca_server_req *req, char *err, size_t errlen)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	size_t i;
	int ret = gens ? 0 : -ENOMEM;

	if (!ret)
		ret = san_add(gens, GEN_DNS, req->hostname, (int)strlen(req->hostname));
	for (i = 0; !ret && i < req->n_ips; i++)
		ret = san_add(gens, GEN_IPADD, req->ips[i].addr,
			      req->ips[i].family == AF_INET ? 4 : 16);
	return san_put(x, gens, ret, err, errlen);
}

int ca_cert_build_server(const struct ca_authority *ca, EVP_PKEY *key,
			 const struct ca_server_req *req, X509 **out, char *err, size_t errlen)
{
	/* keyEncipherment only matters to RSA key exchange, which an EC key
	 * cannot do; GnuTLS checks the bit when it is asked to. */
	const struct cert_usage usage = {
		"critical,CA:FALSE",
		EVP_PKEY_is_a(key, "RSA") ? "critical,digitalSignature,keyEncipherment" :
					    "critical,digitalSignature",
		"serverAuth",
	};
	X509 *x = NULL;
	int ret;

	if (!ca_hostname_valid(req->hostname) || req->n_ips > CA_SERVER_IPS_MAX)
		return ca_err(err, errlen, -EINVAL, "invalid server name or too many addresses");
	ret = leaf_new(ca, key, &req->validity, &usage, &x, err, errlen);
	if (ret)
		return ret;
	ret = name_add(X509_get_subject_name(x), NID_commonName, req->hostname, err, errlen);
	if (!ret)
		ret = server_san(x, req, err, errlen);
	return cert_done(x, ca->key, ret, out, err, errlen);
}

/* The owner as X.520 "name" (2.5.4.41), always a UTF8String: set as the
 * exact bytes and type, so that no string-type guessing can turn it into a
 * T61 or BMP string that a reader would decode differently. */
static int owner_add(X509_NAME *name, const char *owner, char *err, size_t errlen)
{
	if (!X509_NAME_add_entry_by_NID(name, NID_name, V_ASN1_UTF8STRING,
					(const unsigned char *)owner, (int)strlen(owner),
					-1, 0))
		return ca_err_ssl(err, errlen, -EINVAL,
				  "cannot put the owner's name in the subject");
	return 0;
}

/* O=<CA name>, OU=<group>, CN=<device id>, name=<owner>: the gateway reads
 * the group from the OU and shows the owner to operators. */
static int device_subject(X509 *x, X509 *ca_cert, const struct ca_device_req *req,
			  char *err, size_t errlen)
{
	X509_NAME *name = X509_get_subject_name(x);
	char *org = NULL;
	int ret;

	ret = cert_common_name(ca_cert, &org, err, errlen);
	if (!ret)
		ret = name_add(name, NID_organizationName, org, err, errlen);
	if (!ret)
		ret = name_add(name, NID_organizationalUnitName, req->group, err, errlen);
	if (!ret)
		ret = name_add(name, NID_commonName, req->device_id, err, errlen);
	if (!ret && req->owner)
		ret = owner_add(name, req->owner, err, errlen);
	OPENSSL_free(org);
	return ret;
}

/* Two URIs: the device id, and whether the device is the company's or the
 * user's own; the gateway's policy keys on both. */
static int device_san(X509 *x, const struct ca_device_req *req, char *err, size_t errlen)
{
	char id[CM_DEVICE_URI_MAX], own[CM_DEVICE_URI_MAX];
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	int ret = gens ? 0 : -ENOMEM;

	if (!ret)
		ret = cm_device_uri_format(req->device_id, id, sizeof(id));
	if (!ret)
		ret = cm_ownership_uri_format(req->ownership, own, sizeof(own));
	if (!ret)
		ret = san_add(gens, GEN_URI, id, (int)strlen(id));
	if (!ret)
		ret = san_add(gens, GEN_URI, own, (int)strlen(own));
	return san_put(x, gens, ret, err, errlen);
}

int ca_cert_build_device(const struct ca_authority *ca, EVP_PKEY *key,
			 const struct ca_device_req *req, X509 **out, char *err, size_t errlen)
{
	static const struct cert_usage usage = {
		"critical,CA:FALSE", "critical,digitalSignature", "clientAuth",
	};
	X509 *x = NULL;
	int ret;

	if (!ca_device_id_valid(req->device_id) || !ca_group_valid(req->group) ||
	    (req->owner && !ca_owner_valid(req->owner)))
		return ca_err(err, errlen, -EINVAL, "invalid device id, group or owner");
	ret = leaf_new(ca, key, &req->validity, &usage, &x, err, errlen);
	if (ret)
		return ret;
	ret = device_subject(x, ca->cert, req, err, errlen);
	if (!ret)
		ret = device_san(x, req, err, errlen);
	return cert_done(x, ca->key, ret, out, err, errlen);
}
