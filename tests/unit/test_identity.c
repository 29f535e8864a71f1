/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for what the gateway reads from a device certificate (device
 * id, group, ownership, owner, serial, fingerprint) and for the strict parser of
 * the session cookie a client sends back. The certificates are made with the
 * same certs/ code postern-ca uses, then altered where a test needs a
 * certificate postern-ca would never issue.
 */
#include <errno.h>
#include <stdlib.h>

#include <openssl/x509v3.h>

#include "certs/ca.h"
#include "gateway/model.h"
#include "gateway/token.h"
#include "tests/unit/unit.h"

static struct ca_authority authority;

static void authority_init(void)
{
	struct ca_validity v = { .not_before = time(NULL), .days = 30 };

	if (ca_key_generate(CA_KEY_EC_P256, &authority.key, NULL, 0) < 0 ||
	    ca_cert_build_ca(authority.key, "Unit CA", &v, &authority.cert, NULL, 0) < 0) {
		printf("# cannot build the test CA\n");
		exit(1);
	}
}

static X509 *device_cert(const char *id, const char *group, enum cm_ownership own)
{
	struct ca_device_req req = {
		.device_id = id, .group = group, .ownership = own,
		.validity = { .not_before = time(NULL), .days = 30 },
	};
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (ca_key_generate(CA_KEY_EC_P256, &key, NULL, 0) == 0)
		ca_cert_build_device(&authority, key, &req, &cert, NULL, 0);
	EVP_PKEY_free(key);
	return cert;
}

static X509 *owned_cert(const char *id, const char *owner)
{
	struct ca_device_req req = {
		.device_id = id, .owner = owner, .group = "sales",
		.ownership = CM_OWNERSHIP_BYOD,
		.validity = { .not_before = time(NULL), .days = 30 },
	};
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (ca_key_generate(CA_KEY_EC_P256, &key, NULL, 0) == 0)
		ca_cert_build_device(&authority, key, &req, &cert, NULL, 0);
	EVP_PKEY_free(key);
	return cert;
}

static void set_cn(X509 *cert, const char *cn)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);

	X509_NAME_ENTRY_free(X509_NAME_delete_entry(name, i));
	X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
}

static void test_device_certificate(void)
{
	X509 *cert = device_cert("laptop-0042", "sales", CM_OWNERSHIP_CORPORATE);
	struct pst_identity id;
	uint8_t zero[PST_FINGERPRINT_LEN] = { 0 };
	char serial[80];

	CHECK(cert != NULL);
	CHECK(pst_cert_identity(cert, &id));
	CHECK_EQ_STR(id.device_id, "laptop-0042");
	CHECK_EQ_STR(id.group, "sales");
	CHECK_EQ_INT(id.ownership, CONF_OWNERSHIP_CORPORATE);
	CHECK(memcmp(id.fingerprint, zero, sizeof(zero)) != 0);
	ca_serial_hex(X509_get0_serialNumber(cert), serial, sizeof(serial));
	CHECK_EQ_STR(id.serial, serial);
	X509_free(cert);
}

static void test_byod_certificate(void)
{
	X509 *cert = device_cert("phone-7", "default", CM_OWNERSHIP_BYOD);
	struct pst_identity id;

	CHECK(pst_cert_identity(cert, &id));
	CHECK_EQ_INT(id.ownership, CONF_OWNERSHIP_BYOD);
	X509_free(cert);
}

/* Fingerprints tell two certificates of the same device apart. */
static void test_fingerprint_is_per_certificate(void)
{
	X509 *a = device_cert("dev", "default", CM_OWNERSHIP_CORPORATE);
	X509 *b = device_cert("dev", "default", CM_OWNERSHIP_CORPORATE);
	struct pst_identity ia, ib;

	CHECK(pst_cert_identity(a, &ia) && pst_cert_identity(b, &ib));
	CHECK(memcmp(ia.fingerprint, ib.fingerprint, PST_FINGERPRINT_LEN) != 0);
	X509_free(a);
	X509_free(b);
}

/* The owner postern-ca writes (subject "name", a UTF8String) reads back
 * byte for byte, however long and whatever its script. */
static void test_owner_from_postern_ca(void)
{
	const char *owner = "Zo\xc3\xab \"Z\" M\xc3\xbcller \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x93\xb1";
	char longest[4 * 128 + 1];
	struct pst_identity id;
	X509 *cert = owned_cert("phone-1", owner);

	CHECK(cert && pst_cert_identity(cert, &id));
	CHECK_EQ_STR(id.owner, owner);
	CHECK_EQ_STR(id.device_id, "phone-1");
	CHECK_EQ_STR(id.group, "sales");
	X509_free(cert);
	/* 128 four-byte characters: the longest owner postern-ca accepts. */
	for (int i = 0; i < 128; i++)
		memcpy(longest + 4 * i, "\xf0\x9f\x93\xb1", 4);
	longest[4 * 128] = '\0';
	cert = owned_cert("phone-2", longest);
	CHECK(cert && pst_cert_identity(cert, &id));
	CHECK_EQ_STR(id.owner, longest);
	X509_free(cert);
	/* No owner, no attribute: empty, and still a device. */
	cert = owned_cert("phone-3", NULL);
	CHECK(cert && pst_cert_identity(cert, &id));
	CHECK_EQ_STR(id.owner, "");
	X509_free(cert);
}

/* An owner written by another tool: a BMPString decodes to the same UTF-8;
 * one with a control character is left out (the device still is one). */
static void test_owner_from_elsewhere(void)
{
	X509 *cert = device_cert("laptop-5", "default", CM_OWNERSHIP_CORPORATE);
	X509_NAME *name = cert ? X509_get_subject_name(cert) : NULL;
	const unsigned char bmp[] = { 0x00, 'Z', 0x00, 0xeb };	/* "Zë" */
	struct pst_identity id;

	CHECK(name != NULL);
	if (!name)
		return;
	CHECK(X509_NAME_add_entry_by_NID(name, NID_name, V_ASN1_BMPSTRING, bmp,
					 sizeof(bmp), -1, 0));
	CHECK(pst_cert_identity(cert, &id));
	CHECK_EQ_STR(id.owner, "Z\xc3\xab");
	X509_NAME_ENTRY_free(X509_NAME_delete_entry(name,
				X509_NAME_get_index_by_NID(name, NID_name, -1)));
	CHECK(X509_NAME_add_entry_by_NID(name, NID_name, V_ASN1_UTF8STRING,
					 (const unsigned char *)"bell\a", -1, -1, 0));
	CHECK(pst_cert_identity(cert, &id));
	CHECK_EQ_STR(id.owner, "");
	CHECK_EQ_STR(id.device_id, "laptop-5");
	X509_free(cert);
}

/* A CN that the device URI does not repeat is not a device certificate. */
static void test_cn_must_match_device_uri(void)
{
	X509 *cert = device_cert("laptop-1", "default", CM_OWNERSHIP_CORPORATE);
	struct pst_identity id;

	set_cn(cert, "laptop-2");
	CHECK(!pst_cert_identity(cert, &id));
	set_cn(cert, "../etc");
	CHECK(!pst_cert_identity(cert, &id));
	X509_free(cert);
}

/* A certificate without the device URI (a server's, say) names no device. */
static void test_server_certificate_is_not_a_device(void)
{
	struct ca_ip ip = { .family = AF_INET, .addr = { 198, 18, 0, 1 } };
	struct ca_server_req req = {
		.hostname = "gw.postern.test", .ips = &ip, .n_ips = 1,
		.validity = { .not_before = time(NULL), .days = 30 },
	};
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	struct pst_identity id;

	CHECK(ca_key_generate(CA_KEY_EC_P256, &key, NULL, 0) == 0);
	CHECK(ca_cert_build_server(&authority, key, &req, &cert, NULL, 0) == 0);
	CHECK(cert && !pst_cert_identity(cert, &id));
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void test_cookie_parse(void)
{
	char good[2 * GW_COOKIE_LEN + 1];
	uint8_t out[GW_COOKIE_LEN];

	for (int i = 0; i < 2 * GW_COOKIE_LEN; i++)
		good[i] = "0123456789abcdef"[i % 16];
	good[2 * GW_COOKIE_LEN] = '\0';
	CHECK_EQ_INT(gw_cookie_parse(good, strlen(good), out), 0);
	CHECK_EQ_INT(out[0], 0x01);
	CHECK_EQ_INT(out[7], 0xef);
	CHECK_EQ_INT(gw_cookie_parse(good, strlen(good) - 1, out), -EINVAL);
	CHECK_EQ_INT(gw_cookie_parse("refused", 7, out), -EINVAL);
	CHECK_EQ_INT(gw_cookie_parse("", 0, out), -EINVAL);
	good[5] = 'A';
	CHECK_EQ_INT(gw_cookie_parse(good, strlen(good), out), -EINVAL);
	good[5] = 'g';
	CHECK_EQ_INT(gw_cookie_parse(good, strlen(good), out), -EINVAL);
	good[5] = '\0';
	CHECK_EQ_INT(gw_cookie_parse(good, 2 * GW_COOKIE_LEN, out), -EINVAL);
}

int main(void)
{
	authority_init();
	RUN(test_device_certificate);
	RUN(test_byod_certificate);
	RUN(test_fingerprint_is_per_certificate);
	RUN(test_owner_from_postern_ca);
	RUN(test_owner_from_elsewhere);
	RUN(test_cn_must_match_device_uri);
	RUN(test_server_certificate_is_not_a_device);
	RUN(test_cookie_parse);
	X509_free(authority.cert);
	EVP_PKEY_free(authority.key);
	UNIT_EXIT();
}
