/* SPDX-License-Identifier: MIT */
/*
 * The crypto half of postern-ca, on libcrypto only: operator input parsers,
 * key generation, the CA, server and device certificates, CRLs, and the
 * files they are written to. Certificates are X.509 v3 signed with SHA-256
 * and carry a subject and an authority key identifier, because the stock
 * openconnect client (GnuTLS) and the gateway (OpenSSL with CRL checks) both
 * build chains by them. The device ledger lives in ledger.c; nothing here
 * touches it, so that renew, lost and export can reuse these pieces.
 * PKCS#12 bundles use what both phone platforms import: AES-256-CBC under
 * PBES2/PBKDF2 for the key and the certificates, and a SHA-256 MAC.
 */
#include "certs/ca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "common/macros.h"
#include "common/number.h"
#include "common/time.h"
#include "common/utf8.h"

#define SECONDS_PER_DAY 86400

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static void error_print(const char *reason, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void error_print(const char *reason, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (reason)
		fprintf(stderr, "postern-ca: %s (%s)\n", msg, reason);
	else
		fprintf(stderr, "postern-ca: %s\n", msg);
	ERR_clear_error();
}

void ca_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_print(NULL, fmt, ap);
	va_end(ap);
}

void ca_error_ssl(const char *fmt, ...)
{
	/* The earliest queued error is the root cause; later ones only say
	 * which caller gave up. */
	unsigned long e = ERR_peek_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;
	va_list ap;

	va_start(ap, fmt);
	error_print(reason ? reason : (e ? "libcrypto error" : NULL), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Operator input                                                      */
/* ------------------------------------------------------------------ */

static bool ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool ca_device_id_valid(const char *id)
{
	return id && cm_device_id_valid(id, strlen(id));
}

bool ca_group_valid(const char *group)
{
	return group && cm_device_id_valid(group, strlen(group));
}

bool ca_owner_valid(const char *owner)
{
	long n = owner ? cm_utf8_text_chars(owner, strlen(owner)) : -1;

	return n >= 1 && n <= CA_OWNER_MAX;
}

bool ca_name_valid(const char *name)
{
	long n = name ? cm_utf8_text_chars(name, strlen(name)) : -1;

	return n >= 1 && n <= CA_NAME_MAX;
}

static bool dns_label_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!ascii_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool ca_hostname_valid(const char *name)
{
	size_t n = name ? strnlen(name, CA_HOSTNAME_MAX + 1) : 0;
	const char *label = name, *dot;

	if (n == 0 || n > CA_HOSTNAME_MAX)
		return false;
	for (;;) {
		dot = strchr(label, '.');
		if (!dns_label_valid(label, dot ? (size_t)(dot - label) : strlen(label)))
			return false;
		if (!dot)
			return true;
		label = dot + 1;
	}
}

int ca_days_parse(const char *text, unsigned int *out)
{
	uint64_t v;

	if (cm_number_parse(text, 1, CA_DAYS_MAX, &v))
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* A certificate's validity cannot start before 1970: the day count is >= 0. */
int ca_date_parse(const char *text, time_t *out)
{
	int64_t days;

	if (cm_date_parse(text, &days) || days < 0)
		return -EINVAL;
	*out = (time_t)(days * SECONDS_PER_DAY);
	return 0;
}

int ca_ip_parse(const char *text, struct ca_ip *out)
{
	struct ca_ip ip = { 0 };

	if (!text)
		return -EINVAL;
	if (inet_pton(AF_INET, text, ip.addr) == 1)
		ip.family = AF_INET;
	else if (inet_pton(AF_INET6, text, ip.addr) == 1)
		ip.family = AF_INET6;
	else
		return -EINVAL;
	*out = ip;
	return 0;
}

static const struct {
	enum ca_reason reason;
	const char *name;
} reason_names[] = {
	{ CA_REASON_UNSPECIFIED, "unspecified" },
	{ CA_REASON_KEY_COMPROMISE, "keyCompromise" },
	{ CA_REASON_AFFILIATION_CHANGED, "affiliationChanged" },
	{ CA_REASON_SUPERSEDED, "superseded" },
	{ CA_REASON_CESSATION_OF_OPERATION, "cessationOfOperation" },
};

int ca_reason_parse(const char *text, enum ca_reason *out)
{
	size_t i;

	for (i = 0; text && i < CM_ARRAY_SIZE(reason_names); i++) {
		if (strcmp(text, reason_names[i].name) == 0) {
			*out = reason_names[i].reason;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ca_reason_name(enum ca_reason reason)
{
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(reason_names); i++)
		if (reason_names[i].reason == reason)
			return reason_names[i].name;
	return "unspecified";
}

/* ------------------------------------------------------------------ */
/* Keys, serials, validity                                             */
/* ------------------------------------------------------------------ */

int ca_key_generate(enum ca_key_type type, EVP_PKEY **out)
{
	EVP_PKEY *key;

	if (type == CA_KEY_RSA_3072)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!key) {
		ca_error_ssl("cannot generate a %s key",
			     type == CA_KEY_RSA_3072 ? "RSA 3072" : "ECDSA P-256");
		return -EIO;
	}
	*out = key;
	return 0;
}

int ca_serial_random(ASN1_INTEGER **out)
{
	unsigned char buf[CA_SERIAL_BYTES];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	int ret = -EIO;

	/* Top bit cleared keeps the DER INTEGER positive at 16 bytes; a zero
	 * serial is not allowed by RFC 5280, so draw again (2^-127 odds). */
	do {
		if (RAND_bytes(buf, sizeof(buf)) != 1)
			goto out;
		buf[0] &= 0x7f;
		BN_free(bn);
		bn = BN_bin2bn(buf, sizeof(buf), NULL);
		if (!bn)
			goto out;
	} while (BN_is_zero(bn));
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	if (!serial)
		goto out;
	*out = serial;
	ret = 0;
out:
	if (ret)
		ca_error_ssl("cannot draw a random serial number");
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

int ca_validity_end(const struct ca_validity *v, time_t *out)
{
	if (v->not_before < 0 || v->not_before > CA_TIME_MAX ||
	    v->days == 0 || v->days > CA_DAYS_MAX)
		return -EINVAL;
	if (v->not_before > CA_TIME_MAX - (time_t)v->days * SECONDS_PER_DAY)
		return -ERANGE;
	*out = v->not_before + (time_t)v->days * SECONDS_PER_DAY;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Certificates                                                        */
/* ------------------------------------------------------------------ */

/* What every certificate shares: v3, a random serial, the validity window
 * and the subject's public key. Names and extensions are the caller's. */
static int cert_new(EVP_PKEY *key, const struct ca_validity *v, X509 **out)
{
	ASN1_INTEGER *serial = NULL;
	X509 *x = NULL;
	time_t end;
	int ret;

	ret = ca_validity_end(v, &end);
	if (ret) {
		ca_error("the validity period must end by 9999-12-31");
		goto out;
	}
	ret = ca_serial_random(&serial);
	if (ret)
		goto out;
	ret = -EIO;
	x = X509_new();
	if (!x || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), v->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), end) || !X509_set_pubkey(x, key)) {
		ca_error_ssl("cannot fill in a certificate");
		goto out;
	}
	*out = x;
	x = NULL;
	ret = 0;
out:
	X509_free(x);
	ASN1_INTEGER_free(serial);
	return ret;
}

static int name_add(X509_NAME *name, int nid, const char *utf8)
{
	if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
					(const unsigned char *)utf8, -1, -1, 0)) {
		ca_error_ssl("cannot put %s=%s in a name", OBJ_nid2sn(nid), utf8);
		return -EINVAL;
	}
	return 0;
}

/* The CA's common name, which device certificates carry as their O. */
static int cert_common_name(X509 *cert, char **out)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;

	if (i < 0 || ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
						 X509_NAME_get_entry(name, i))) < 0) {
		ca_error_ssl("the CA certificate has no common name");
		return -EINVAL;
	}
	*out = (char *)utf8;
	return 0;
}

/* Adds an extension written in the openssl config syntax; ctx names the
 * issuer and subject so that "hash" and "keyid:always" can be derived. */
static int cert_ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok = ext && X509_add_ext(x, ext, -1);

	X509_EXTENSION_free(ext);
	if (!ok) {
		ca_error_ssl("cannot add the %s extension", OBJ_nid2sn(nid));
		return -EIO;
	}
	return 0;
}

/* basicConstraints, keyUsage, the key identifiers and, for leaves, the
 * extended key usage. The SKI goes first: for a self-signed CA the AKI is
 * copied from it. */
static int cert_exts_add(X509 *x, X509 *issuer, const char *basic,
			 const char *usage, const char *ext_usage)
{
	X509V3_CTX ctx;
	int ret;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ret = cert_ext_add(x, &ctx, NID_basic_constraints, basic);
	if (!ret)
		ret = cert_ext_add(x, &ctx, NID_key_usage, usage);
	if (!ret && ext_usage)
		ret = cert_ext_add(x, &ctx, NID_ext_key_usage, ext_usage);
	if (!ret)
		ret = cert_ext_add(x, &ctx, NID_subject_key_identifier, "hash");
	if (!ret)
		ret = cert_ext_add(x, &ctx, NID_authority_key_identifier, "keyid:always");
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

static int san_set(X509 *x, GENERAL_NAMES *gens)
{
	if (!X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT)) {
		ca_error_ssl("cannot add the subjectAltName extension");
		return -EIO;
	}
	return 0;
}

static int cert_sign(X509 *x, EVP_PKEY *key)
{
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		ca_error_ssl("cannot sign the certificate");
		return -EIO;
	}
	return 0;
}

int ca_cert_build_ca(EVP_PKEY *key, const char *name,
		     const struct ca_validity *v, X509 **out)
{
	X509 *x = NULL;
	int ret = -EINVAL;

	if (!ca_name_valid(name)) {
		ca_error("invalid CA name");
		goto out;
	}
	ret = cert_new(key, v, &x);
	if (!ret)
		ret = name_add(X509_get_subject_name(x), NID_commonName, name);
	if (!ret && !X509_set_issuer_name(x, X509_get_subject_name(x)))
		ret = -ENOMEM;
	if (!ret)
		ret = cert_exts_add(x, x, "critical,CA:TRUE",
				    "critical,keyCertSign,cRLSign", NULL);
	if (!ret)
		ret = cert_sign(x, key);
	if (ret)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return ret;
}

/* A leaf's issuer is the CA's subject; its key identifiers point at the
 * CA's. */
static int leaf_exts_add(X509 *x, const struct ca_authority *ca,
			 const char *usage, const char *ext_usage)
{
	if (!X509_set_issuer_name(x, X509_get_subject_name(ca->cert))) {
		ca_error_ssl("cannot set the issuer name");
		return -ENOMEM;
	}
	return cert_exts_add(x, ca->cert, "critical,CA:FALSE", usage, ext_usage);
}

static int server_san(X509 *x, const struct ca_server_req *req)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	size_t i;
	int ret = gens ? 0 : -ENOMEM;

	if (!ret)
		ret = san_add(gens, GEN_DNS, req->hostname, (int)strlen(req->hostname));
	for (i = 0; !ret && i < req->n_ips; i++)
		ret = san_add(gens, GEN_IPADD, req->ips[i].addr,
			      req->ips[i].family == AF_INET ? 4 : 16);
	if (!ret)
		ret = san_set(x, gens);
	else
		ca_error("cannot build the subjectAltName");
	GENERAL_NAMES_free(gens);
	return ret;
}

int ca_cert_build_server(const struct ca_authority *ca, EVP_PKEY *key,
			 const struct ca_server_req *req, X509 **out)
{
	/* keyEncipherment only matters to RSA key exchange, which an EC key
	 * cannot do; GnuTLS checks the bit when it is asked to. */
	const char *usage = EVP_PKEY_is_a(key, "RSA") ?
		"critical,digitalSignature,keyEncipherment" : "critical,digitalSignature";
	X509 *x = NULL;
	int ret = -EINVAL;

	if (!ca_hostname_valid(req->hostname) || req->n_ips > CA_SERVER_IPS_MAX) {
		ca_error("invalid server name or too many addresses");
		goto out;
	}
	ret = cert_new(key, &req->validity, &x);
	if (!ret)
		ret = name_add(X509_get_subject_name(x), NID_commonName, req->hostname);
	if (!ret)
		ret = leaf_exts_add(x, ca, usage, "serverAuth");
	if (!ret)
		ret = server_san(x, req);
	if (!ret)
		ret = cert_sign(x, ca->key);
	if (ret)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return ret;
}

/* The owner as X.520 "name" (2.5.4.41), always a UTF8String: set as the
 * exact bytes and type, so that no string-type guessing can turn it into a
 * T61 or BMP string that a reader would decode differently. */
static int owner_add(X509_NAME *name, const char *owner)
{
	if (!X509_NAME_add_entry_by_NID(name, NID_name, V_ASN1_UTF8STRING,
					(const unsigned char *)owner, (int)strlen(owner),
					-1, 0)) {
		ca_error_ssl("cannot put the owner's name in the subject");
		return -EINVAL;
	}
	return 0;
}

/* O=<CA name>, OU=<group>, CN=<device id>, name=<owner>: the gateway reads
 * the group from the OU and shows the owner to operators. */
static int device_subject(X509 *x, X509 *ca_cert, const struct ca_device_req *req)
{
	X509_NAME *name = X509_get_subject_name(x);
	char *org = NULL;
	int ret;

	ret = cert_common_name(ca_cert, &org);
	if (!ret)
		ret = name_add(name, NID_organizationName, org);
	if (!ret)
		ret = name_add(name, NID_organizationalUnitName, req->group);
	if (!ret)
		ret = name_add(name, NID_commonName, req->device_id);
	if (!ret && req->owner)
		ret = owner_add(name, req->owner);
	OPENSSL_free(org);
	return ret;
}

/* Two URIs: the device id, and whether the device is the company's or the
 * user's own; the gateway's policy keys on both. */
static int device_san(X509 *x, const struct ca_device_req *req)
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
	if (!ret)
		ret = san_set(x, gens);
	else
		ca_error("cannot build the subjectAltName");
	GENERAL_NAMES_free(gens);
	return ret;
}

int ca_cert_build_device(const struct ca_authority *ca, EVP_PKEY *key,
			 const struct ca_device_req *req, X509 **out)
{
	X509 *x = NULL;
	int ret = -EINVAL;

	if (!ca_device_id_valid(req->device_id) || !ca_group_valid(req->group) ||
	    (req->owner && !ca_owner_valid(req->owner))) {
		ca_error("invalid device id, group or owner");
		goto out;
	}
	ret = cert_new(key, &req->validity, &x);
	if (!ret)
		ret = device_subject(x, ca->cert, req);
	if (!ret)
		ret = leaf_exts_add(x, ca, "critical,digitalSignature", "clientAuth");
	if (!ret)
		ret = device_san(x, req);
	if (!ret)
		ret = cert_sign(x, ca->key);
	if (ret)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Loading the CA                                                      */
/* ------------------------------------------------------------------ */

/* Opens path for reading as a BIO; a symlink is not followed, so that a
 * planted link cannot make us read (or later trust) another file. */
static int bio_open_read(const char *path, BIO **out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int ret = -errno;

		ca_error("cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	*out = BIO_new_fd(fd, BIO_CLOSE);
	if (!*out) {
		close(fd);
		ca_error_ssl("cannot read %s", path);
		return -ENOMEM;
	}
	return 0;
}

int ca_cert_load(const char *path, X509 **out)
{
	BIO *bio = NULL;
	int ret = bio_open_read(path, &bio);

	if (ret)
		return ret;
	*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!*out) {
		ca_error_ssl("%s: not a PEM certificate", path);
		return -EINVAL;
	}
	return 0;
}

/* An encrypted key must fail, not prompt: postern-ca runs from scripts. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Refuses a secret others can read: it has to be taken as leaked. */
static int fd_secrecy_check(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		ca_error("cannot stat %s: %s", path, strerror(errno));
		return -EIO;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		ca_error("%s is accessible by group or others (mode %04o): "
			 "chmod 600 it", path, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int ca_key_load(const char *path, EVP_PKEY **out)
{
	BIO *bio = NULL;
	int fd = -1, ret = bio_open_read(path, &bio);

	if (ret)
		return ret;
	ret = BIO_get_fd(bio, &fd) < 0 ? -EIO : fd_secrecy_check(fd, path);
	if (!ret) {
		*out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		if (!*out) {
			ca_error_ssl("%s: not an unencrypted PEM private key", path);
			ret = -EINVAL;
		}
	}
	BIO_free(bio);
	return ret;
}

int ca_authority_load(const char *dir, struct ca_authority **out)
{
	struct ca_authority *ca = calloc(1, sizeof(*ca));
	char crt[PATH_MAX], key[PATH_MAX];
	int ret = ca ? 0 : -ENOMEM;

	if (!ret)
		ret = ca_path(crt, sizeof(crt), dir, CA_FILE_CERT);
	if (!ret)
		ret = ca_path(key, sizeof(key), dir, CA_FILE_KEY);
	if (!ret)
		ret = ca_cert_load(crt, &ca->cert);
	if (!ret)
		ret = ca_key_load(key, &ca->key);
	if (!ret && X509_check_private_key(ca->cert, ca->key) != 1) {
		ca_error_ssl("%s does not belong to %s", key, crt);
		ret = -EINVAL;
	}
	if (ret) {
		ca_authority_free(ca);
		return ret;
	}
	*out = ca;
	return 0;
}

void ca_authority_free(struct ca_authority *ca)
{
	if (!ca)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
}

/* ------------------------------------------------------------------ */
/* Revocation lists                                                    */
/* ------------------------------------------------------------------ */

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
	       unsigned int days, X509_CRL **out)
{
	X509_CRL *crl = X509_CRL_new();
	int ret = -EINVAL;

	if (days == 0 || days > CA_DAYS_MAX || now < 0 ||
	    now > CA_TIME_MAX - (time_t)days * SECONDS_PER_DAY)
		goto out;
	ret = -ENOMEM;
	if (!crl || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)))
		goto out;
	ret = crl_time_set(crl, now, now + (time_t)days * SECONDS_PER_DAY);
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
		ca_error_ssl("cannot build the CRL");
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
	       enum ca_reason reason)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *t = ASN1_TIME_set(NULL, when);
	int ret = serial_from_hex(serial_hex, &serial);

	if (ret) {
		ca_error("bad serial number '%s' in the ledger", serial_hex);
		goto out;
	}
	ret = -ENOMEM;
	if (!rev || !t || !X509_REVOKED_set_serialNumber(rev, serial) ||
	    !X509_REVOKED_set_revocationDate(rev, t) ||
	    revoked_reason_set(rev, reason) || !X509_CRL_add0_revoked(crl, rev)) {
		ca_error_ssl("cannot add serial %s to the CRL", serial_hex);
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

int ca_crl_sign(X509_CRL *crl, const struct ca_authority *ca)
{
	if (!X509_CRL_sort(crl) || X509_CRL_sign(crl, ca->key, EVP_sha256()) <= 0) {
		ca_error_ssl("cannot sign the CRL");
		return -EIO;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

int ca_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len) {
		ca_error("path too long: %s/%s", dir, name);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes, syncs and closes fd. The mode is set with fchmod so that it is
 * exactly what we mean whatever the umask. */
static int fd_finish(int fd, mode_t mode, BIO *mem)
{
	char *data = NULL;
	long len = BIO_get_mem_data(mem, &data);
	int ret = 0;

	if (len < 0 || fchmod(fd, mode) < 0)
		ret = len < 0 ? -EIO : -errno;
	if (!ret)
		ret = write_all(fd, data, (size_t)len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

int ca_dir_sync(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret = 0;

	if (strlen(path) >= sizeof(copy))
		return -ENAMETOOLONG;
	strcpy(copy, path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Creates path, which must not exist (not even as a dangling symlink), with
 * the contents of a memory BIO. O_EXCL and the 0600 creation mode mean a
 * key is never readable by others, not even between open and fchmod. */
static int file_create(const char *path, mode_t mode, BIO *mem)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
		      S_IRUSR | S_IWUSR);
	int ret;

	if (fd < 0) {
		ret = -errno;
		if (ret != -EEXIST)
			ca_error("cannot create %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = fd_finish(fd, mode, mem);
	if (!ret)
		ret = ca_dir_sync(path);
	if (ret) {
		ca_error("cannot write %s: %s", path, strerror(-ret));
		unlink(path);
	}
	return ret;
}

int ca_key_save(const char *path, EVP_PKEY *key)
{
	/* Secure memory is wiped when freed, so the PEM text of the key does
	 * not linger on the heap. */
	BIO *mem = BIO_new(BIO_s_secmem());
	int ret = -ENOMEM;

	if (!mem || !PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL))
		ca_error_ssl("cannot encode the private key for %s", path);
	else
		ret = file_create(path, S_IRUSR | S_IWUSR, mem);
	BIO_free(mem);
	return ret;
}

int ca_cert_save(const char *path, X509 *cert)
{
	BIO *mem = BIO_new(BIO_s_mem());
	int ret = -ENOMEM;

	if (!mem || !PEM_write_bio_X509(mem, cert))
		ca_error_ssl("cannot encode the certificate for %s", path);
	else
		ret = file_create(path, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH, mem);
	BIO_free(mem);
	return ret;
}

/* Readers (the gateway reloading its CRL) see the old file or the new one,
 * never half of one. With replace false the complete file is linked to
 * path instead, which fails with EEXIST when path exists (even as a
 * dangling symlink): a new file that never exists half-written. */
static int file_put(const char *path, mode_t mode, BIO *mem, bool replace)
{
	char tmp[PATH_MAX];
	int fd, n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path), ret;

	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		ca_error("path too long: %s", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ca_error("cannot create a temporary file next to %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	ret = fd_finish(fd, mode, mem);
	if (!ret && (replace ? rename(tmp, path) : link(tmp, path)) < 0)
		ret = -errno;
	if (!replace || ret)
		unlink(tmp);
	if (!ret)
		ret = ca_dir_sync(path);
	if (ret && ret != -EEXIST)
		ca_error("cannot write %s: %s", path, strerror(-ret));
	return ret;
}

int ca_crl_save(const char *path, X509_CRL *crl)
{
	BIO *mem = BIO_new(BIO_s_mem());
	int ret = -ENOMEM;

	if (!mem || !PEM_write_bio_X509_CRL(mem, crl))
		ca_error_ssl("cannot encode the CRL for %s", path);
	else
		ret = file_put(path, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH, mem, true);
	BIO_free(mem);
	return ret;
}

int ca_p12_save(const char *path, PKCS12 *p12)
{
	BIO *mem = BIO_new(BIO_s_secmem());
	int ret = -ENOMEM;

	if (!mem || i2d_PKCS12_bio(mem, p12) <= 0)
		ca_error_ssl("cannot encode the PKCS#12 bundle for %s", path);
	else
		ret = file_put(path, S_IRUSR | S_IWUSR, mem, false);
	BIO_free(mem);
	return ret;
}

/* ------------------------------------------------------------------ */
/* PKCS#12                                                             */
/* ------------------------------------------------------------------ */

/* iOS and Android both import PBES2 with AES-256-CBC and PBKDF2, and a
 * SHA-256 MAC (OpenSSL 3's defaults); they are named here rather than
 * left to defaults, so that another OpenSSL cannot silently produce a
 * bundle a phone refuses. */
int ca_p12_build(EVP_PKEY *key, X509 *cert, X509 *ca_cert, const char *name,
		 const char *password, PKCS12 **out)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	PKCS12 *p12 = NULL;
	int ret = -EIO;

	if (!chain || !sk_X509_push(chain, ca_cert))
		goto out;
	p12 = PKCS12_create(password, name, key, cert, chain, NID_aes_256_cbc,
			    NID_aes_256_cbc, PKCS12_DEFAULT_ITER, -1, 0);
	if (!p12 || !PKCS12_set_mac(p12, password, -1, NULL, 0, PKCS12_DEFAULT_ITER,
				    EVP_sha256()))
		goto out;
	*out = p12;
	p12 = NULL;
	ret = 0;
out:
	if (ret)
		ca_error_ssl("cannot build the PKCS#12 bundle");
	PKCS12_free(p12);
	sk_X509_free(chain);	/* the certificate itself stays the caller's */
	return ret;
}

/* Reads at most len - 1 bytes; what is past the first line is not ours. */
static ssize_t read_some(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 || memchr(buf + got, '\n', (size_t)n))
			return (ssize_t)(got + (size_t)n);
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Cuts raw (n bytes) at its first line end; 0 or a negative errno. */
static int password_line(char *raw, size_t n, size_t *len)
{
	char *nl = memchr(raw, '\n', n);
	size_t l = nl ? (size_t)(nl - raw) : n;

	if (!nl && n > CA_PASSWORD_MAX)
		return -E2BIG;
	if (l > 0 && raw[l - 1] == '\r')
		l--;
	if (l > CA_PASSWORD_MAX)
		return -E2BIG;
	if (memchr(raw, '\0', l))
		return -EINVAL;
	if (l == 0)
		return -ENODATA;
	*len = l;
	return 0;
}

int ca_password_read(const char *path, char *buf, size_t len)
{
	char raw[CA_PASSWORD_MAX + 3];	/* the line, "\r\n" and one more */
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;
	ssize_t n = 0;
	size_t l = 0;

	if (fd < 0) {
		ret = -errno;
		ca_error("cannot open the password file %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = fd_secrecy_check(fd, path);
	if (!ret)
		n = read_some(fd, raw, sizeof(raw));
	close(fd);
	if (n < 0) {
		ret = (int)n;
		ca_error("cannot read the password file %s: %s", path, strerror(-ret));
	} else if (!ret && (size_t)n < sizeof(raw)) {
		ret = password_line(raw, (size_t)n, &l);
	}
	if (ret == -E2BIG)
		ca_error("%s: the password is longer than %d bytes", path, CA_PASSWORD_MAX);
	else if (ret == -EINVAL)
		ca_error("%s: the password contains a NUL byte", path);
	else if (ret == -ENODATA)
		ca_error("%s: the password (the file's first line) is empty", path);
	if (!ret && l >= len)
		ret = -ENOSPC;
	if (!ret) {
		memcpy(buf, raw, l);
		buf[l] = '\0';
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}
