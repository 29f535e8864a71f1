/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of certificate signing requests (certs/csr.c): requests in PEM
 * and DER, what is not one (garbage, a certificate, a second block, bytes
 * after the request), a signature that does not verify (a request altered
 * after it was signed), the key types and sizes accepted and refused, and
 * the point of it all: a request that asks for a subject, DNS names, CA:TRUE
 * and serverAuth gets a device certificate with none of them, only the
 * CA's own subject and extensions around the request's key.
 */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certs/ca.h"
#include "tests/unit/unit.h"

static char why[CA_ERR_MAX];
#define ERRBUF why, sizeof(why)

static char tmp_dir[] = "/tmp/postern-test-csr.XXXXXX";

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

static EVP_PKEY *key_of(const char *type, const char *param, size_t bits)
{
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	if (strcmp(type, "EC") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	return EVP_PKEY_Q_keygen(NULL, NULL, type);
}

static void ext_push(STACK_OF(X509_EXTENSION) *exts, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, NULL, nid, value);

	if (ext)
		sk_X509_EXTENSION_push(exts, ext);
}

/* A request for key, signed by signer (a different key makes a request
 * whose signature does not verify), with a subject CN=admin and, when
 * greedy, everything a forger would ask for. */
static X509_REQ *req_make(EVP_PKEY *key, EVP_PKEY *signer, bool greedy)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_REQ_get_subject_name(req);
	const EVP_MD *md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? NULL :
			   EVP_sha256();

	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"admin",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, (const unsigned char *)"admins",
				   -1, -1, 0);
	X509_REQ_set_version(req, X509_REQ_VERSION_1);
	X509_REQ_set_pubkey(req, key);
	if (greedy) {
		ext_push(exts, NID_subject_alt_name,
			 "DNS:vpn.example.com,URI:urn:postern:device:someone-else,"
			 "URI:urn:postern:ownership:corporate");
		ext_push(exts, NID_basic_constraints, "critical,CA:TRUE");
		ext_push(exts, NID_key_usage, "keyCertSign,cRLSign,digitalSignature");
		ext_push(exts, NID_ext_key_usage, "serverAuth,clientAuth,codeSigning");
		X509_REQ_add_extensions(req, exts);
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (X509_REQ_sign(req, signer, md) <= 0) {
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

/* The request in PEM (pem) or DER, into a malloc'd buffer. */
static unsigned char *req_encode(X509_REQ *req, bool pem, size_t *len)
{
	BIO *mem = BIO_new(BIO_s_mem());
	unsigned char *out = NULL;
	char *data = NULL;
	long n;

	if (mem && (pem ? PEM_write_bio_X509_REQ(mem, req) : i2d_X509_REQ_bio(mem, req))) {
		n = BIO_get_mem_data(mem, &data);
		out = malloc((size_t)n + 1);
		if (out) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
			*len = (size_t)n;
		}
	}
	BIO_free(mem);
	return out;
}

/* Parses and checks an encoded request: ca_csr_key's return. */
static int csr_check(const unsigned char *data, size_t len, EVP_PKEY **key)
{
	X509_REQ *req = NULL;
	int ret = ca_csr_parse(data, len, &req, ERRBUF);

	if (!ret)
		ret = ca_csr_key(req, key, ERRBUF);
	X509_REQ_free(req);
	return ret;
}

/* Makes a request for a new key of this type, signed by itself, and
 * checks it: ca_csr_key's return. */
static int key_check(const char *type, const char *param, size_t bits)
{
	EVP_PKEY *key = key_of(type, param, bits), *got = NULL;
	X509_REQ *req = key ? req_make(key, key, false) : NULL;
	int ret = req ? ca_csr_key(req, &got, ERRBUF) : -999;

	if (!ret)
		CHECK(EVP_PKEY_eq(got, key) == 1);
	EVP_PKEY_free(got);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return ret;
}

static struct ca_authority *ca_make(void)
{
	struct ca_authority *ca = calloc(1, sizeof(*ca));
	struct ca_validity v = { time(NULL), 30 };

	if (!ca || ca_key_generate(CA_KEY_EC_P256, &ca->key, ERRBUF) ||
	    ca_cert_build_ca(ca->key, "CSR Test CA", &v, &ca->cert, ERRBUF)) {
		ca_authority_free(ca);
		return NULL;
	}
	return ca;
}

/* ------------------------------------------------------------------ */
/* Cases                                                               */
/* ------------------------------------------------------------------ */

static void test_parse_pem_der(void)
{
	EVP_PKEY *key = key_of("EC", "P-256", 0), *got = NULL;
	X509_REQ *req = key ? req_make(key, key, false) : NULL;
	unsigned char *pem = NULL, *der = NULL, *padded = NULL;
	size_t pem_len = 0, der_len = 0;

	CHECK(req != NULL);
	if (!req)
		goto out;
	pem = req_encode(req, true, &pem_len);
	der = req_encode(req, false, &der_len);
	CHECK_EQ_INT(csr_check(pem, pem_len, &got), 0);
	CHECK(got && EVP_PKEY_eq(got, key) == 1);
	EVP_PKEY_free(got);
	got = NULL;
	CHECK_EQ_INT(csr_check(der, der_len, &got), 0);
	CHECK(got && EVP_PKEY_eq(got, key) == 1);
	EVP_PKEY_free(got);
	got = NULL;
	/* White space around the PEM block is fine. */
	padded = malloc(pem_len + 8);
	memcpy(padded, "\n \r\n", 4);
	memcpy(padded + 4, pem, pem_len);
	memcpy(padded + 4 + pem_len, "\n\t\n", 3);
	CHECK_EQ_INT(csr_check(padded, pem_len + 7, &got), 0);
out:
	free(padded);
	free(pem);
	free(der);
	EVP_PKEY_free(got);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

static void test_parse_refused(void)
{
	static const char garbage[] = "hello, I am a request";
	EVP_PKEY *key = key_of("EC", "P-256", 0), *got = NULL;
	X509_REQ *req = key ? req_make(key, key, false) : NULL, *out = NULL;
	unsigned char *pem = NULL, *der = NULL, *two = NULL;
	size_t pem_len = 0, der_len = 0;

	CHECK_EQ_INT(ca_csr_parse((const unsigned char *)garbage, sizeof(garbage) - 1, &out,
				  ERRBUF), -EINVAL);
	CHECK(strstr(why, "not a certificate signing request") != NULL);
	CHECK_EQ_INT(ca_csr_parse((const unsigned char *)"", 0, &out, ERRBUF), -EINVAL);
	CHECK(strstr(why, "(empty)") != NULL);
	CHECK_EQ_INT(ca_csr_parse((const unsigned char *)garbage, CA_CSR_MAX + 1, &out, ERRBUF),
		     -EINVAL);
	CHECK(strstr(why, "(too long)") != NULL);
	if (!req)
		goto out;
	pem = req_encode(req, true, &pem_len);
	der = req_encode(req, false, &der_len);
	/* A second block after the request, or text: refused. */
	two = malloc(2 * pem_len + 16);
	memcpy(two, pem, pem_len);
	memcpy(two + pem_len, pem, pem_len);
	CHECK_EQ_INT(ca_csr_parse(two, 2 * pem_len, &out, ERRBUF), -EINVAL);
	memcpy(two + pem_len, "trailer\n", 8);
	CHECK_EQ_INT(ca_csr_parse(two, pem_len + 8, &out, ERRBUF), -EINVAL);
	/* One more byte after the DER request: refused; one less: too. */
	memcpy(two, der, der_len);
	two[der_len] = 0;
	CHECK_EQ_INT(ca_csr_parse(two, der_len + 1, &out, ERRBUF), -EINVAL);
	CHECK_EQ_INT(ca_csr_parse(der, der_len - 1, &out, ERRBUF), -EINVAL);
	/* A PEM certificate is not a request. */
	pem[11] = 'X';	/* "-----BEGIN CERTIFICATE REQUEST" becomes another label */
	CHECK_EQ_INT(ca_csr_parse(pem, pem_len, &out, ERRBUF), -EINVAL);
	CHECK(out == NULL);
out:
	free(two);
	free(pem);
	free(der);
	EVP_PKEY_free(got);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

/* A request whose signature is not its key's: signed by another key, or
 * changed after it was signed. */
static void test_bad_signature(void)
{
	EVP_PKEY *key = key_of("EC", "P-256", 0), *other = key_of("EC", "P-256", 0);
	EVP_PKEY *got = NULL;
	X509_REQ *req = key && other ? req_make(key, other, false) : NULL;
	unsigned char *der = NULL;
	size_t len = 0, i;

	CHECK(req != NULL);
	if (!req)
		goto out;
	CHECK_EQ_INT(ca_csr_key(req, &got, ERRBUF), -EBADMSG);
	CHECK(strstr(why, "its signature does not verify under its own key") != NULL);
	CHECK(got == NULL);
	X509_REQ_free(req);
	/* Signed right, then one byte of the subject changed: "admin" to "bdmin". */
	req = req_make(key, key, false);
	der = req ? req_encode(req, false, &len) : NULL;
	for (i = 0; der && i + 5 <= len; i++)
		if (memcmp(der + i, "admin", 5) == 0) {
			der[i] = 'b';
			break;
		}
	CHECK(der && i + 5 <= len);
	CHECK_EQ_INT(der ? csr_check(der, len, &got) : 0, -EBADMSG);
	CHECK(got == NULL);
	/* PKCS#10 knows version 1 only (encoded 0). */
	CHECK(req && X509_REQ_set_version(req, 1) && X509_REQ_sign(req, key, EVP_sha256()) > 0);
	CHECK_EQ_INT(req ? ca_csr_key(req, &got, ERRBUF) : 0, -EBADMSG);
	CHECK_EQ_STR(why, "unknown request version 2");
out:
	free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void test_key_types(void)
{
	CHECK_EQ_INT(key_check("EC", "P-256", 0), 0);
	CHECK_EQ_INT(key_check("EC", "P-384", 0), 0);
	CHECK_EQ_INT(key_check("RSA", NULL, 2048), 0);
	CHECK_EQ_INT(key_check("RSA", NULL, 1024), -EINVAL);
	CHECK(strstr(why, "its key is RSA 1024: RSA must have 2048 to 8192 bits") != NULL);
	CHECK_EQ_INT(key_check("EC", "P-521", 0), -EINVAL);
	CHECK(strstr(why, "its key is ECDSA on secp521r1: only P-256 and P-384") != NULL);
	CHECK_EQ_INT(key_check("EC", "secp256k1", 0), -EINVAL);
	CHECK_EQ_INT(key_check("ED25519", NULL, 0), -EINVAL);
	CHECK(strstr(why, "its key is ED25519: only RSA (2048 to 8192 bits) and ECDSA") != NULL);
}

/* The request asks for another device's id, a DNS name, CA:TRUE and
 * serverAuth; the certificate has the operator's device and our profile. */
static void test_request_not_trusted(void)
{
	struct ca_authority *ca = ca_make();
	EVP_PKEY *key = key_of("EC", "P-256", 0), *got = NULL;
	X509_REQ *req = key ? req_make(key, key, true) : NULL;
	struct ca_device_req dev = {
		.device_id = "phone-7", .owner = "Sam", .group = "field",
		.ownership = CM_OWNERSHIP_BYOD, .validity = { time(NULL), 30 },
	};
	STACK_OF(X509_EXTENSION) *asked = req ? X509_REQ_get_extensions(req) : NULL;
	GENERAL_NAMES *gens = NULL;
	char buf[256];
	X509 *x = NULL;
	int i;

	CHECK(ca && req && sk_X509_EXTENSION_num(asked) == 4);	/* what it asks for */
	if (!ca || !req)
		goto out;
	CHECK_EQ_INT(ca_csr_key(req, &got, ERRBUF), 0);
	CHECK_EQ_INT(got ? ca_cert_build_device(ca, got, &dev, &x, ERRBUF) : -1, 0);
	if (!x)
		goto out;
	CHECK(EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1);
	X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf));
	CHECK_EQ_STR(buf, "/O=CSR Test CA/OU=field/CN=phone-7/name=Sam");
	CHECK_EQ_INT(X509_check_ca(x), 0);
	CHECK_EQ_INT(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	CHECK_EQ_INT(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	/* Exactly our six: basic constraints, key usage, EKU, SKI, AKI, SAN. */
	CHECK_EQ_INT(X509_get_ext_count(x), 6);
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	CHECK_EQ_INT(sk_GENERAL_NAME_num(gens), 2);
	buf[0] = '\0';
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);

		CHECK_EQ_INT(gn->type, GEN_URI);
		if (gn->type == GEN_URI)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s;",
				 ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
	}
	CHECK_EQ_STR(buf, "urn:postern:device:phone-7;urn:postern:ownership:byod;");
	CHECK_EQ_INT(X509_verify(x, ca->key), 1);
out:
	sk_X509_EXTENSION_pop_free(asked, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	X509_free(x);
	EVP_PKEY_free(got);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	ca_authority_free(ca);
}

static void file_put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static void test_load(void)
{
	EVP_PKEY *key = key_of("EC", "P-256", 0);
	X509_REQ *req = key ? req_make(key, key, false) : NULL, *out = NULL;
	char path[512];
	unsigned char *pem = NULL, *big = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/missing.csr", tmp_dir);
	CHECK_EQ_INT(ca_csr_load(path, &out, ERRBUF), -ENOENT);
	CHECK(strstr(why, "/missing.csr: cannot open: No such file or directory") != NULL);
	CHECK_EQ_INT(ca_csr_load(tmp_dir, &out, ERRBUF), -EISDIR);
	if (!req)
		goto out;
	pem = req_encode(req, true, &len);
	snprintf(path, sizeof(path), "%s/good.csr", tmp_dir);
	file_put(path, pem, len);
	CHECK_EQ_INT(ca_csr_load(path, &out, ERRBUF), 0);
	CHECK(out != NULL);
	X509_REQ_free(out);
	out = NULL;
	big = calloc(1, CA_CSR_MAX + 1);
	snprintf(path, sizeof(path), "%s/big.csr", tmp_dir);
	file_put(path, big, CA_CSR_MAX + 1);
	CHECK_EQ_INT(ca_csr_load(path, &out, ERRBUF), -EFBIG);
	CHECK(strstr(why, "/big.csr: ") != NULL);
	snprintf(path, sizeof(path), "%s/junk.csr", tmp_dir);
	file_put(path, "junk", 4);
	CHECK_EQ_INT(ca_csr_load(path, &out, ERRBUF), -EINVAL);
	CHECK(strstr(why, "/junk.csr: not a certificate signing request") != NULL);
out:
	free(big);
	free(pem);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	if (!mkdtemp(tmp_dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_parse_pem_der);
	RUN(test_parse_refused);
	RUN(test_bad_signature);
	RUN(test_key_types);
	RUN(test_request_not_trusted);
	RUN(test_load);
	nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	UNIT_EXIT();
}
