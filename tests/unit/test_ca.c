/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the certs module: the operator input parsers, the device
 * ledger (insert, duplicate, revoke, renewals, lost devices, list, CRL
 * number, the migration of a schema version 1 file), the device files and
 * the sweep after a killed run, PKCS#12 bundles and password files, the
 * certificates and CRLs cert.c and crl.c build, checked the way the gateway
 * will read them (SAN URIs, the owner's name, key usages, the validity
 * window and an OpenSSL chain check with the CRL), and the words a failure
 * puts in the caller's buffer. Files go to a fresh mktemp directory that is
 * removed at the end.
 */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "certs/ca.h"
#include "certs/ledger.h"
#include "certs/store.h"
#include "tests/unit/unit.h"

static char tmp_dir[] = "/tmp/postern-test-ca.XXXXXX";

/* What the last failed call said (certs/error.h). */
static char why[CA_ERR_MAX];
#define ERRBUF why, sizeof(why)

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmp_dir, name);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* A CA in memory, as init would make it. */
static struct ca_authority *ca_make(const char *name)
{
	struct ca_authority *ca = calloc(1, sizeof(*ca));
	struct ca_validity v = { time(NULL), 30 };

	if (!ca || ca_key_generate(CA_KEY_EC_P256, &ca->key, ERRBUF) ||
	    ca_cert_build_ca(ca->key, name, &v, &ca->cert, ERRBUF)) {
		ca_authority_free(ca);
		return NULL;
	}
	return ca;
}

static X509 *device_make(struct ca_authority *ca, const char *id, const char *group,
			 enum cm_ownership own, time_t not_before, unsigned int days)
{
	struct ca_device_req req = {
		.device_id = id, .group = group, .ownership = own,
		.validity = { not_before, days },
	};
	EVP_PKEY *key = NULL;
	X509 *x = NULL;

	if (ca_key_generate(CA_KEY_EC_P256, &key, ERRBUF) == 0)
		ca_cert_build_device(ca, key, &req, &x, ERRBUF);
	EVP_PKEY_free(key);
	return x;
}

static struct ca_record device_record(const char *id, const char *serial)
{
	struct ca_record d = {
		.ownership = CM_OWNERSHIP_BYOD, .status = CA_STATUS_VALID,
		.not_before = 1000, .not_after = 2000000000, .created_at = 1000,
	};

	snprintf(d.device_id, sizeof(d.device_id), "%s", id);
	snprintf(d.owner, sizeof(d.owner), "Zoë \"Z\" Owner");
	snprintf(d.group, sizeof(d.group), "field");
	snprintf(d.serial, sizeof(d.serial), "%s", serial);
	return d;
}

static struct ca_ledger *ledger_make(const char *name)
{
	struct ca_ledger *l = NULL;
	char path[512];

	tmp_path(path, sizeof(path), name);
	CHECK_EQ_INT(ca_ledger_create(path, &l, ERRBUF), 0);
	return l;
}

/* Collects the URIs of a certificate's subjectAltName, comma-separated. */
static void san_uris(X509 *x, char *buf, size_t len)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i;

	buf[0] = '\0';
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);

		if (gn->type != GEN_URI)
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "," : "",
			 (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
	}
	GENERAL_NAMES_free(gens);
}

static void name_field(X509 *x, int nid, char *buf, int len)
{
	buf[0] = '\0';
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, buf, len);
}

static bool ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

/* ------------------------------------------------------------------ */
/* Parsers                                                             */
/* ------------------------------------------------------------------ */

static void test_device_id(void)
{
	char long_id[80];

	memset(long_id, 'a', sizeof(long_id));
	long_id[64] = '\0';
	CHECK(ca_device_id_valid("laptop-1"));
	CHECK(ca_device_id_valid("A.b_c-9"));
	CHECK(ca_device_id_valid(long_id));
	long_id[64] = 'a';
	long_id[65] = '\0';
	CHECK(!ca_device_id_valid(long_id));
	/* The rest of the grammar is common/device.c's (test_common_device). */
	CHECK(!ca_device_id_valid("../x"));
	CHECK(!ca_device_id_valid(NULL));
}

static void test_owner(void)
{
	char many[600];
	int i;

	CHECK(ca_owner_valid("Zo\xc3\xab M\xc3\xbcller"));
	CHECK(ca_owner_valid("\xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x93\xb1"));
	CHECK(!ca_owner_valid(""));
	CHECK(!ca_owner_valid("tab\there"));
	CHECK(!ca_owner_valid("new\nline"));
	CHECK(!ca_owner_valid("del\x7f"));
	CHECK(!ca_owner_valid("c1 \xc2\x85"));		/* U+0085 NEL */
	CHECK(!ca_owner_valid("bad \xc3"));		/* truncated */
	CHECK(!ca_owner_valid("over \xc0\xaf"));	/* overlong '/' */
	CHECK(!ca_owner_valid("sur \xed\xa0\x80"));	/* surrogate */
	/* 128 two-byte characters pass, 129 do not. */
	for (i = 0; i < 128; i++)
		memcpy(many + 2 * i, "\xc3\xa9", 2);
	many[256] = '\0';
	CHECK(ca_owner_valid(many));
	memcpy(many + 256, "\xc3\xa9", 3);
	CHECK(!ca_owner_valid(many));
}

static void test_hostname(void)
{
	CHECK(ca_hostname_valid("vpn.example.com"));
	CHECK(ca_hostname_valid("gw-1"));
	CHECK(!ca_hostname_valid(""));
	CHECK(!ca_hostname_valid("-gw.example.com"));
	CHECK(!ca_hostname_valid("gw..example.com"));
	CHECK(!ca_hostname_valid("gw.example.com."));
	CHECK(!ca_hostname_valid("*.example.com"));
	CHECK(!ca_hostname_valid("gw,DNS:evil.com"));
}

static void test_numbers_dates_ips(void)
{
	unsigned int days = 0;
	struct ca_ip ip;
	time_t t = 0;

	CHECK_EQ_INT(ca_days_parse("30", &days), 0);
	CHECK_EQ_INT(days, 30);
	CHECK_EQ_INT(ca_days_parse("36500", &days), 0);
	CHECK_EQ_INT(ca_days_parse("36501", &days), -EINVAL);
	CHECK_EQ_INT(ca_days_parse("0", &days), -EINVAL);
	CHECK_EQ_INT(ca_days_parse("-1", &days), -EINVAL);
	CHECK_EQ_INT(ca_days_parse(" 1", &days), -EINVAL);
	CHECK_EQ_INT(ca_days_parse("1x", &days), -EINVAL);
	CHECK_EQ_INT(ca_days_parse("99999999999999999999999", &days), -EINVAL);
	CHECK_EQ_INT(ca_days_parse("", &days), -EINVAL);
	/* The one number rule (common/number.h): no leading zero, no sign. */
	CHECK_EQ_INT(ca_days_parse("007", &days), -EINVAL);
	CHECK_EQ_INT(ca_days_parse("030", &days), -EINVAL);
	CHECK_EQ_INT(ca_days_parse("+30", &days), -EINVAL);

	CHECK_EQ_INT(ca_date_parse("2020-01-01", &t), 0);
	CHECK_EQ_INT(t, 1577836800);
	CHECK_EQ_INT(ca_date_parse("2024-02-29", &t), 0);
	CHECK_EQ_INT(ca_date_parse("2023-02-29", &t), -EINVAL);
	CHECK_EQ_INT(ca_date_parse("2020-13-01", &t), -EINVAL);
	CHECK_EQ_INT(ca_date_parse("2020-1-01", &t), -EINVAL);
	CHECK_EQ_INT(ca_date_parse("1969-12-31", &t), -EINVAL);
	CHECK_EQ_INT(ca_date_parse("2020-01-01x", &t), -EINVAL);

	CHECK_EQ_INT(ca_ip_parse("192.0.2.1", &ip), 0);
	CHECK_EQ_INT(ip.family, AF_INET);
	CHECK_EQ_INT(ca_ip_parse("2001:db8::1", &ip), 0);
	CHECK_EQ_INT(ip.family, AF_INET6);
	CHECK_EQ_INT(ca_ip_parse("192.0.2", &ip), -EINVAL);
	CHECK_EQ_INT(ca_ip_parse("192.0.2.256", &ip), -EINVAL);
	CHECK_EQ_INT(ca_ip_parse("vpn.example.com", &ip), -EINVAL);
}

static void test_reasons(void)
{
	enum ca_reason r = CA_REASON_UNSPECIFIED;

	CHECK_EQ_INT(ca_reason_parse("keyCompromise", &r), 0);
	CHECK_EQ_INT(r, 1);
	CHECK_EQ_INT(ca_reason_parse("cessationOfOperation", &r), 0);
	CHECK_EQ_INT(r, 5);
	CHECK_EQ_STR(ca_reason_name(CA_REASON_AFFILIATION_CHANGED), "affiliationChanged");
	CHECK_EQ_INT(ca_reason_parse("keycompromise", &r), -EINVAL);
	CHECK_EQ_INT(ca_reason_parse("removeFromCRL", &r), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* Ledger                                                              */
/* ------------------------------------------------------------------ */

static void test_ledger_insert_get(void)
{
	struct ca_ledger *l = ledger_make("insert.db");
	struct ca_record in = device_record("tablet-7", "0A1B"), out;
	char path[512];
	struct stat st;

	CHECK_EQ_INT(ca_ledger_insert(l, &in, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_get(l, "tablet-7", &out, ERRBUF), 0);
	CHECK_EQ_STR(out.owner, in.owner);
	CHECK_EQ_STR(out.group, "field");
	CHECK_EQ_STR(out.serial, "0A1B");
	CHECK_EQ_INT(out.ownership, CM_OWNERSHIP_BYOD);
	CHECK_EQ_INT(out.status, CA_STATUS_VALID);
	CHECK_EQ_INT(out.not_after, 2000000000);
	CHECK_EQ_INT(ca_ledger_get(l, "nobody", &out, ERRBUF), -ENOENT);
	ca_ledger_free(l);

	/* Reopened, the row is there; the file is the owner's alone. */
	tmp_path(path, sizeof(path), "insert.db");
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	l = NULL;
	CHECK_EQ_INT(ca_ledger_open(path, &l, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_get(l, "tablet-7", &out, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_create(path, &l, ERRBUF) == -EEXIST, 1);
	ca_ledger_free(l);
	ca_ledger_free(NULL);
}

static void test_ledger_duplicate(void)
{
	struct ca_ledger *l = ledger_make("dup.db");
	struct ca_record a = device_record("dup", "01"), b = device_record("dup", "02");
	struct ca_record c = device_record("other", "01");

	CHECK_EQ_INT(ca_ledger_begin(l, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_insert(l, &a, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_insert(l, &b, ERRBUF), -EEXIST);
	CHECK_EQ_INT(ca_ledger_commit(l, ERRBUF), 0);
	/* A serial is unique too: that is an error, not a duplicate id. */
	CHECK(ca_ledger_insert(l, &c, ERRBUF) < 0);
	ca_ledger_free(l);
}

static void test_ledger_revoke(void)
{
	struct ca_ledger *l = ledger_make("revoke.db");
	struct ca_record d = device_record("lost-phone", "7F"), out;

	CHECK_EQ_INT(ca_ledger_insert(l, &d, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_revoke(l, "lost-phone", NULL, NULL, 1700000000, CA_REASON_KEY_COMPROMISE, NULL, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_get(l, "lost-phone", &out, ERRBUF), 0);
	CHECK_EQ_INT(out.status, CA_STATUS_REVOKED);
	CHECK_EQ_INT(out.revoked_at, 1700000000);
	CHECK_EQ_INT(out.reason, CA_REASON_KEY_COMPROMISE);
	CHECK_EQ_STR(ca_record_status(&out, 0), "revoked");
	CHECK_EQ_INT(ca_ledger_revoke(l, "lost-phone", NULL, NULL, 1700000001, CA_REASON_SUPERSEDED, NULL, ERRBUF), -EALREADY);
	CHECK_EQ_INT(ca_ledger_revoke(l, "ghost", NULL, NULL, 1700000000, CA_REASON_UNSPECIFIED, NULL, ERRBUF), -ENOENT);
	/* A rolled-back revocation leaves the device valid. */
	d = device_record("kept", "80");
	CHECK_EQ_INT(ca_ledger_insert(l, &d, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_begin(l, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_revoke(l, "kept", NULL, NULL, 1, CA_REASON_UNSPECIFIED, NULL, ERRBUF), 0);
	ca_ledger_rollback(l);
	CHECK_EQ_INT(ca_ledger_get(l, "kept", &out, ERRBUF), 0);
	CHECK_EQ_INT(out.status, CA_STATUS_VALID);
	ca_ledger_free(l);
}

struct collect {
	char ids[256];
	int n;
};

static int collect_id(const struct ca_record *d, void *ctx)
{
	struct collect *c = ctx;

	snprintf(c->ids + strlen(c->ids), sizeof(c->ids) - strlen(c->ids), "%s%s",
		 c->n++ ? "," : "", d->device_id);
	return 0;
}

static int collect_serial(const struct ca_record *d, void *ctx)
{
	struct collect *c = ctx;

	snprintf(c->ids + strlen(c->ids), sizeof(c->ids) - strlen(c->ids), "%s%s",
		 c->n++ ? "," : "", d->serial);
	return 0;
}

static int stop_early(const struct ca_record *d, void *ctx)
{
	return -ECANCELED;
}

static void test_ledger_list(void)
{
	struct ca_ledger *l = ledger_make("list.db");
	const char *ids[] = { "b-second", "a-first", "c-third" };
	struct collect all = { "", 0 }, revoked = { "", 0 };
	struct ca_record d;
	char serial[8];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(serial, sizeof(serial), "0%zu", i + 1);
		d = device_record(ids[i], serial);
		CHECK_EQ_INT(ca_ledger_insert(l, &d, ERRBUF), 0);
	}
	CHECK_EQ_INT(ca_ledger_revoke(l, "a-first", NULL, NULL, 5, CA_REASON_SUPERSEDED, NULL, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_foreach(l, CA_LEDGER_ALL, collect_id, &all, ERRBUF), 0);
	CHECK_EQ_STR(all.ids, "b-second,a-first,c-third");	/* issue order */
	CHECK_EQ_INT(ca_ledger_foreach(l, CA_LEDGER_REVOKED, collect_id, &revoked, ERRBUF), 0);
	CHECK_EQ_STR(revoked.ids, "a-first");
	CHECK_EQ_INT(ca_ledger_foreach(l, CA_LEDGER_ALL, stop_early, NULL, ERRBUF), -ECANCELED);
	/* Expired is computed from not-after, inclusive. */
	d.not_after = 100;
	CHECK_EQ_STR(ca_record_status(&d, 100), "valid");
	CHECK_EQ_STR(ca_record_status(&d, 101), "expired");
	ca_ledger_free(l);
}

static void test_ledger_crl_number(void)
{
	struct ca_ledger *l = ledger_make("crlnum.db");
	uint64_t n = 0;
	char path[512];

	CHECK_EQ_INT(ca_ledger_crl_number_next(l, 0, &n, ERRBUF), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(ca_ledger_crl_number_next(l, 0, &n, ERRBUF), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(ca_ledger_begin(l, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_crl_number_next(l, 0, &n, ERRBUF), 0);
	CHECK_EQ_INT(n, 3);
	ca_ledger_rollback(l);		/* a failed CRL run gives its number back */
	ca_ledger_free(l);
	tmp_path(path, sizeof(path), "crlnum.db");
	l = NULL;
	CHECK_EQ_INT(ca_ledger_open(path, &l, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_crl_number_next(l, 0, &n, ERRBUF), 0);
	CHECK_EQ_INT(n, 3);
	/* A CRL on disk numbered above the ledger (its run wrote it, then died
	 * before the commit): the next number is above both, never reused. */
	CHECK_EQ_INT(ca_ledger_crl_number_next(l, 9, &n, ERRBUF), 0);
	CHECK_EQ_INT(n, 10);
	CHECK_EQ_INT(ca_ledger_crl_number_next(l, 4, &n, ERRBUF), 0);
	CHECK_EQ_INT(n, 11);
	CHECK_EQ_INT(ca_ledger_crl_number_next(l, INT64_MAX, &n, ERRBUF), -ERANGE);
	ca_ledger_free(l);
}

/* The number of the CRL on disk counts only when our CA signed it. */
static void test_crl_file_number(void)
{
	struct ca_authority *ca = ca_make("Number CA"), *other = ca_make("Number CA");
	X509_CRL *crl = NULL;
	char path[512];

	CHECK(ca && other);
	if (!ca || !other)
		goto out;
	tmp_path(path, sizeof(path), "number-crl.pem");
	CHECK(ca_crl_file_number(path, ca) == 0);		/* no file yet */
	CHECK_EQ_INT(ca_crl_new(ca, 41, time(NULL), 30, &crl, ERRBUF), 0);
	CHECK_EQ_INT(ca_crl_sign(crl, ca, ERRBUF), 0);
	CHECK_EQ_INT(ca_crl_save(path, crl, ERRBUF), 0);
	CHECK(ca_crl_file_number(path, ca) == 41);
	CHECK(ca_crl_file_number(path, other) == 0);		/* not signed by it */
	unlink(path);
out:
	X509_CRL_free(crl);
	ca_authority_free(ca);
	ca_authority_free(other);
}

static void test_ledger_not_a_ledger(void)
{
	struct ca_ledger *l = NULL;
	char path[512];
	FILE *f;

	tmp_path(path, sizeof(path), "missing.db");
	CHECK_EQ_INT(ca_ledger_open(path, &l, ERRBUF), -ENOENT);
	CHECK(strstr(why, "cannot open ledger ") && strstr(why, "/missing.db: No such file"));
	tmp_path(path, sizeof(path), "junk.db");
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("this is not a database, it is only text, long enough to matter\n", f);
		fclose(f);
	}
	CHECK(ca_ledger_open(path, &l, ERRBUF) < 0);
	CHECK(l == NULL);
}

/* ------------------------------------------------------------------ */
/* Certificates                                                        */
/* ------------------------------------------------------------------ */

static void test_serial(void)
{
	ASN1_INTEGER *a = NULL, *b = NULL;
	char ha[CA_SERIAL_HEX_MAX + 1], hb[CA_SERIAL_HEX_MAX + 1];
	BIGNUM *bn;

	CHECK_EQ_INT(ca_serial_random(&a, ERRBUF), 0);
	CHECK_EQ_INT(ca_serial_random(&b, ERRBUF), 0);
	CHECK(ASN1_INTEGER_cmp(a, b) != 0);
	bn = ASN1_INTEGER_to_BN(a, NULL);
	CHECK(bn && !BN_is_negative(bn) && !BN_is_zero(bn) && BN_num_bits(bn) <= 127);
	BN_free(bn);
	CHECK_EQ_INT(ca_serial_hex(a, ha, sizeof(ha)), 0);
	CHECK_EQ_INT(ca_serial_hex(b, hb, sizeof(hb)), 0);
	CHECK(strlen(ha) <= 32 && strlen(ha) % 2 == 0);
	CHECK(strspn(ha, "0123456789ABCDEF") == strlen(ha));
	CHECK_EQ_INT(ca_serial_hex(a, ha, 8), -ENOSPC);
	ASN1_INTEGER_free(a);
	ASN1_INTEGER_free(b);
	/* Always 16 bytes, 32 hex digits: one in 128 draws has a zero first
	 * byte, so 2 000 draws meet it with odds of 1 - 1e-7. */
	for (int i = 0; i < 2000; i++) {
		a = NULL;
		if (ca_serial_random(&a, ERRBUF) || ca_serial_hex(a, ha, sizeof(ha)) ||
		    strlen(ha) != 32) {
			CHECK_EQ_INT((int)strlen(ha), 32);
			ASN1_INTEGER_free(a);
			break;
		}
		ASN1_INTEGER_free(a);
	}
}

static void test_ca_cert(void)
{
	struct ca_authority *ca = ca_make("Test CA \xc3\xa9");
	char cn[128];

	CHECK(ca != NULL);
	if (!ca)
		return;
	CHECK_EQ_INT(X509_get_version(ca->cert), X509_VERSION_3);
	CHECK_EQ_INT(X509_check_ca(ca->cert), 1);
	CHECK(ext_critical(ca->cert, NID_basic_constraints));
	CHECK(ext_critical(ca->cert, NID_key_usage));
	CHECK_EQ_INT(X509_get_key_usage(ca->cert), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	CHECK(X509_get0_subject_key_id(ca->cert) != NULL);
	CHECK_EQ_INT(X509_verify(ca->cert, ca->key), 1);
	CHECK_EQ_INT(X509_check_issued(ca->cert, ca->cert), X509_V_OK);
	CHECK_EQ_INT(X509_get_signature_nid(ca->cert), NID_ecdsa_with_SHA256);
	name_field(ca->cert, NID_commonName, cn, sizeof(cn));
	CHECK_EQ_STR(cn, "Test CA \xc3\xa9");
	ca_authority_free(ca);
	ca_authority_free(NULL);
}

static void test_device_cert(void)
{
	struct ca_authority *ca = ca_make("Field CA");
	X509 *x = ca ? device_make(ca, "laptop-9", "sales", CM_OWNERSHIP_BYOD,
				   time(NULL), 365) : NULL;
	char buf[256];

	CHECK(x != NULL);
	if (!x)
		goto out;
	san_uris(x, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "urn:postern:device:laptop-9,urn:postern:ownership:byod");
	name_field(x, NID_commonName, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "laptop-9");
	name_field(x, NID_organizationalUnitName, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "sales");
	name_field(x, NID_organizationName, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "Field CA");
	CHECK_EQ_INT(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	CHECK_EQ_INT(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	CHECK(ext_critical(x, NID_key_usage));
	CHECK_EQ_INT(X509_check_ca(x), 0);
	CHECK(X509_get0_subject_key_id(x) != NULL);
	CHECK(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
				    X509_get0_subject_key_id(ca->cert)) == 0);
	CHECK_EQ_INT(X509_check_issued(ca->cert, x), X509_V_OK);
	CHECK_EQ_INT(X509_verify(x, ca->key), 1);
	X509_free(x);
	x = device_make(ca, "desk", "default", CM_OWNERSHIP_CORPORATE, time(NULL), 1);
	san_uris(x, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "urn:postern:device:desk,urn:postern:ownership:corporate");
	/* What fails the parsers never reaches a certificate. */
	CHECK(device_make(ca, "../x", "default", CM_OWNERSHIP_CORPORATE, time(NULL), 1) == NULL);
	CHECK(device_make(ca, "ok", "bad group", CM_OWNERSHIP_CORPORATE, time(NULL), 1) == NULL);
out:
	X509_free(x);
	ca_authority_free(ca);
}

static void test_device_validity(void)
{
	struct ca_authority *ca = ca_make("Validity CA");
	time_t nb = 1577836800;		/* 2020-01-01T00:00:00Z */
	X509 *x = ca ? device_make(ca, "old", "default", CM_OWNERSHIP_CORPORATE, nb, 30) : NULL;
	struct ca_validity far = { (time_t)253402214400, 2 };	/* 9999-12-31 */
	time_t end;

	CHECK(x != NULL);
	if (x) {
		CHECK_EQ_INT(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), nb), 0);
		CHECK_EQ_INT(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), nb + 30 * 86400), 0);
		CHECK_EQ_INT(X509_cmp_current_time(X509_get0_notAfter(x)), -1);
	}
	CHECK_EQ_INT(ca_validity_end(&far, &end), -ERANGE);
	CHECK(device_make(ca, "far", "default", CM_OWNERSHIP_CORPORATE, far.not_before, 2) == NULL);
	X509_free(x);
	ca_authority_free(ca);
}

static void test_server_cert(void)
{
	struct ca_authority *ca = ca_make("Server CA");
	struct ca_ip ips[2];
	struct ca_server_req req = {
		.hostname = "vpn.example.com", .ips = ips, .n_ips = 2,
		.validity = { time(NULL), 825 },
	};
	EVP_PKEY *key = NULL;
	X509 *x = NULL;

	ca_ip_parse("192.0.2.10", &ips[0]);
	ca_ip_parse("2001:db8::10", &ips[1]);
	CHECK_EQ_INT(ca_key_generate(CA_KEY_EC_P256, &key, ERRBUF), 0);
	CHECK_EQ_INT(ca && key ? ca_cert_build_server(ca, key, &req, &x, ERRBUF) : -1, 0);
	if (x) {
		CHECK_EQ_INT(X509_check_host(x, "vpn.example.com", 0, 0, NULL), 1);
		CHECK_EQ_INT(X509_check_ip_asc(x, "192.0.2.10", 0), 1);
		CHECK_EQ_INT(X509_check_ip_asc(x, "2001:db8::10", 0), 1);
		CHECK_EQ_INT(X509_check_ip_asc(x, "192.0.2.11", 0), 0);
		CHECK_EQ_INT(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
		CHECK_EQ_INT(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	}
	X509_free(x);
	EVP_PKEY_free(key);
	ca_authority_free(ca);
}

/* Verifies x against ca and crl the way the gateway does. */
static int chain_check(struct ca_authority *ca, X509_CRL *crl, X509 *x)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int err = -1;

	if (store && ctx && X509_STORE_add_cert(store, ca->cert) &&
	    X509_STORE_add_crl(store, crl) &&
	    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK) &&
	    X509_STORE_CTX_init(ctx, store, x, NULL)) {
		X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
		X509_verify_cert(ctx);
		err = X509_STORE_CTX_get_error(ctx);
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return err;
}

static X509_CRL *crl_reload(X509_CRL *crl)
{
	char path[512];
	X509_CRL *back = NULL;
	FILE *f;

	tmp_path(path, sizeof(path), "crl.pem");
	CHECK_EQ_INT(ca_crl_save(path, crl, ERRBUF), 0);
	f = fopen(path, "r");
	if (f) {
		back = PEM_read_X509_CRL(f, NULL, NULL, NULL);
		fclose(f);
	}
	return back;
}

static void test_crl(void)
{
	struct ca_authority *ca = ca_make("CRL CA");
	X509 *good = device_make(ca, "good", "default", CM_OWNERSHIP_CORPORATE, time(NULL), 10);
	X509 *bad = device_make(ca, "bad", "default", CM_OWNERSHIP_BYOD, time(NULL), 10);
	X509_CRL *crl = NULL, *back = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *num;
	char serial[CA_SERIAL_HEX_MAX + 1];
	int crit;

	CHECK(ca && good && bad);
	if (!ca || !good || !bad)
		goto out;
	ca_serial_hex(X509_get0_serialNumber(bad), serial, sizeof(serial));
	CHECK_EQ_INT(ca_crl_new(ca, 7, time(NULL), 30, &crl, ERRBUF), 0);
	CHECK_EQ_INT(ca_crl_add(crl, serial, time(NULL) - 60, CA_REASON_KEY_COMPROMISE, ERRBUF), 0);
	CHECK_EQ_INT(ca_crl_add(crl, "not hex", 0, CA_REASON_UNSPECIFIED, ERRBUF), -EINVAL);
	CHECK_EQ_INT(ca_crl_sign(crl, ca, ERRBUF), 0);
	back = crl_reload(crl);
	CHECK(back != NULL);
	if (!back)
		goto out;
	CHECK_EQ_INT(X509_CRL_get_version(back), X509_CRL_VERSION_2);
	CHECK_EQ_INT(X509_CRL_get_signature_nid(back), NID_ecdsa_with_SHA256);
	num = X509_CRL_get_ext_d2i(back, NID_crl_number, &crit, NULL);
	CHECK(num && ASN1_INTEGER_get(num) == 7);
	ASN1_INTEGER_free(num);
	CHECK(X509_CRL_get_ext_by_NID(back, NID_authority_key_identifier, -1) >= 0);
	CHECK_EQ_INT(X509_CRL_get0_by_serial(back, &rev, X509_get0_serialNumber(bad)), 1);
	CHECK_EQ_INT(chain_check(ca, back, good), X509_V_OK);
	CHECK_EQ_INT(chain_check(ca, back, bad), X509_V_ERR_CERT_REVOKED);
out:
	X509_CRL_free(crl);
	X509_CRL_free(back);
	X509_free(good);
	X509_free(bad);
	ca_authority_free(ca);
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

static void test_key_save(void)
{
	char path[512], line[64] = "";
	EVP_PKEY *key = NULL;
	struct stat st;
	mode_t old = umask(0);
	FILE *f;

	tmp_path(path, sizeof(path), "k.key");
	CHECK_EQ_INT(ca_key_generate(CA_KEY_EC_P256, &key, ERRBUF), 0);
	CHECK_EQ_INT(ca_key_save(path, key, ERRBUF), 0);
	umask(old);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	CHECK_EQ_INT(ca_key_save(path, key, ERRBUF), -EEXIST);	/* never overwritten */
	f = fopen(path, "r");
	if (f) {
		CHECK(fgets(line, sizeof(line), f) != NULL);
		fclose(f);
	}
	CHECK_EQ_STR(line, "-----BEGIN PRIVATE KEY-----\n");	/* PKCS#8 */
	/* A dangling symlink is not followed either. */
	tmp_path(line, sizeof(line), "link.key");
	CHECK_EQ_INT(symlink("/tmp/postern-test-ca-nowhere", line), 0);
	CHECK_EQ_INT(ca_key_save(line, key, ERRBUF), -EEXIST);
	EVP_PKEY_free(key);
}

static void test_authority_load(void)
{
	struct ca_authority *ca = ca_make("Load CA"), *back = NULL;
	char path[512];

	CHECK(ca != NULL);
	if (!ca)
		return;
	tmp_path(path, sizeof(path), "ca.key");
	CHECK_EQ_INT(ca_key_save(path, ca->key, ERRBUF), 0);
	tmp_path(path, sizeof(path), "ca.crt");
	CHECK_EQ_INT(ca_cert_save(path, ca->cert, ERRBUF), 0);
	CHECK_EQ_INT(ca_authority_load(tmp_dir, &back, ERRBUF), 0);
	CHECK(back && X509_cmp(back->cert, ca->cert) == 0);
	ca_authority_free(back);
	back = NULL;
	/* A CA key others can read is refused. */
	tmp_path(path, sizeof(path), "ca.key");
	chmod(path, 0644);
	CHECK_EQ_INT(ca_authority_load(tmp_dir, &back, ERRBUF), -EPERM);
	CHECK_EQ_INT(ca_authority_load("/nonexistent-postern-ca", &back, ERRBUF), -ENOENT);
	CHECK(back == NULL);
	ca_authority_free(ca);
}

/* ------------------------------------------------------------------ */
/* Owner, renewals, lost devices, migration                            */
/* ------------------------------------------------------------------ */

static X509 *owned_make(struct ca_authority *ca, const char *id, const char *owner)
{
	struct ca_device_req req = {
		.device_id = id, .owner = owner, .group = "field",
		.ownership = CM_OWNERSHIP_BYOD, .validity = { time(NULL), 30 },
	};
	EVP_PKEY *key = NULL;
	X509 *x = NULL;

	if (ca_key_generate(CA_KEY_EC_P256, &key, ERRBUF) == 0)
		ca_cert_build_device(ca, key, &req, &x, ERRBUF);
	EVP_PKEY_free(key);
	return x;
}

/* The owner is the subject attribute name (2.5.4.41), a UTF8String holding
 * exactly the bytes given; without an owner there is no such attribute. */
static void test_device_cert_owner(void)
{
	struct ca_authority *ca = ca_make("Owner CA");
	const char *owner = "Zo\xc3\xab \"Z\" M\xc3\xbcller \xe6\x9d\xb1";
	X509 *x = ca ? owned_make(ca, "phone-3", owner) : NULL;
	X509_NAME *name;
	ASN1_STRING *v;
	int i;

	CHECK(x != NULL);
	if (!x)
		goto out;
	name = X509_get_subject_name(x);
	i = X509_NAME_get_index_by_NID(name, NID_name, -1);
	CHECK(i >= 0);
	CHECK_EQ_INT(X509_NAME_get_index_by_NID(name, NID_name, i), -1);	/* once */
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	CHECK_EQ_INT(ASN1_STRING_type(v), V_ASN1_UTF8STRING);
	CHECK_EQ_INT(ASN1_STRING_length(v), (int)strlen(owner));
	CHECK(memcmp(ASN1_STRING_get0_data(v), owner, strlen(owner)) == 0);
	CHECK_EQ_INT(X509_verify(x, ca->key), 1);
	X509_free(x);
	x = owned_make(ca, "phone-4", NULL);
	CHECK(x && X509_NAME_get_index_by_NID(X509_get_subject_name(x), NID_name, -1) < 0);
	/* An owner the parser refuses never reaches a certificate. */
	CHECK(owned_make(ca, "phone-5", "tab\there") == NULL);
	CHECK(owned_make(ca, "phone-5", "") == NULL);
out:
	X509_free(x);
	ca_authority_free(ca);
}

static void test_ledger_renewal(void)
{
	struct ca_ledger *l = ledger_make("renew.db");
	struct ca_record d = device_record("laptop", "01"), out;
	struct collect all = { "", 0 }, serials = { "", 0 };
	unsigned int n = 99;

	CHECK_EQ_INT(ca_ledger_insert(l, &d, ERRBUF), 0);
	d = device_record("other", "0F");
	CHECK_EQ_INT(ca_ledger_insert(l, &d, ERRBUF), 0);
	d = device_record("laptop", "02");
	d.not_after = 2100000000;
	snprintf(d.owner, sizeof(d.owner), "ignored: the device keeps its owner");
	CHECK_EQ_INT(ca_ledger_add_cert(l, &d, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_get(l, "laptop", &out, ERRBUF), 0);	/* the newest */
	CHECK_EQ_STR(out.serial, "02");
	CHECK_EQ_INT(out.not_after, 2100000000);
	CHECK_EQ_STR(out.owner, "Zo\xc3\xab \"Z\" Owner");
	CHECK_EQ_INT(ca_ledger_get_serial(l, "01", &out, ERRBUF), 0);
	CHECK_EQ_STR(out.device_id, "laptop");
	CHECK_EQ_INT(ca_ledger_get_serial(l, "77", &out, ERRBUF), -ENOENT);
	/* Device by device, oldest first. */
	CHECK_EQ_INT(ca_ledger_foreach(l, CA_LEDGER_ALL, collect_id, &all, ERRBUF), 0);
	CHECK_EQ_STR(all.ids, "laptop,laptop,other");
	/* One device's certificates, oldest first; none for an unknown one. */
	CHECK_EQ_INT(ca_ledger_device_certs(l, "laptop", collect_serial, &serials, ERRBUF), 0);
	CHECK_EQ_STR(serials.ids, "01,02");
	CHECK_EQ_INT(ca_ledger_device_certs(l, "nobody", collect_serial, &serials, ERRBUF),
		     -ENOENT);
	CHECK_EQ_INT(ca_ledger_device_certs(l, "other", stop_early, NULL, ERRBUF), -ECANCELED);
	d = device_record("ghost", "03");
	CHECK_EQ_INT(ca_ledger_add_cert(l, &d, ERRBUF), -ENOENT);
	d = device_record("laptop", "0F");	/* another device's serial */
	CHECK(ca_ledger_add_cert(l, &d, ERRBUF) < 0);
	/* Revoke all but the new one; then that one by serial. */
	CHECK_EQ_INT(ca_ledger_revoke(l, "laptop", NULL, "02", 50, CA_REASON_SUPERSEDED, &n, ERRBUF), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(ca_ledger_get_serial(l, "01", &out, ERRBUF), 0);
	CHECK_EQ_STR(ca_record_status(&out, 0), "revoked");
	CHECK_EQ_INT(out.reason, CA_REASON_SUPERSEDED);
	CHECK_EQ_INT(ca_ledger_get(l, "laptop", &out, ERRBUF), 0);
	CHECK_EQ_STR(ca_record_status(&out, 0), "valid");
	CHECK_EQ_INT(ca_ledger_revoke(l, "laptop", "0F", NULL, 60, CA_REASON_UNSPECIFIED, &n, ERRBUF),
		     -ENOENT);	/* not this device's */
	CHECK_EQ_INT(ca_ledger_revoke(l, "laptop", "01", NULL, 60, CA_REASON_UNSPECIFIED, &n, ERRBUF),
		     -EALREADY);
	CHECK_EQ_INT(ca_ledger_revoke(l, "laptop", "02", NULL, 60, CA_REASON_UNSPECIFIED, &n, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_revoke(l, "laptop", NULL, NULL, 70, CA_REASON_UNSPECIFIED, &n, ERRBUF),
		     -EALREADY);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(ca_ledger_get(l, "other", &out, ERRBUF), 0);
	CHECK_EQ_STR(ca_record_status(&out, 0), "valid");	/* untouched */
	CHECK_EQ_INT(ca_ledger_check(l, ERRBUF), 0);
	ca_ledger_free(l);
}

static void test_ledger_lost(void)
{
	struct ca_ledger *l = ledger_make("lost.db");
	struct ca_record d = device_record("phone", "0A"), out;
	struct collect revoked = { "", 0 };
	unsigned int n = 0;

	CHECK_EQ_INT(ca_ledger_insert(l, &d, ERRBUF), 0);
	d = device_record("phone", "0B");
	CHECK_EQ_INT(ca_ledger_add_cert(l, &d, ERRBUF), 0);
	d = device_record("phone", "0C");
	CHECK_EQ_INT(ca_ledger_add_cert(l, &d, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_revoke(l, "phone", "0A", NULL, 10, CA_REASON_SUPERSEDED, NULL, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_mark_lost(l, "phone", 1800000000, &n, ERRBUF), 0);
	CHECK_EQ_INT(n, 2);		/* the two that were still valid */
	CHECK_EQ_INT(ca_ledger_get(l, "phone", &out, ERRBUF), 0);
	CHECK_EQ_INT(out.state, CA_DEVICE_LOST);
	CHECK_EQ_INT(out.lost_at, 1800000000);
	CHECK_EQ_INT(out.status, CA_STATUS_REVOKED);
	CHECK_EQ_INT(out.reason, CA_REASON_KEY_COMPROMISE);
	CHECK_EQ_INT(out.revoked_at, 1800000000);
	CHECK_EQ_STR(ca_record_status(&out, 0), "lost");
	CHECK_EQ_INT(ca_ledger_get_serial(l, "0A", &out, ERRBUF), 0);
	CHECK_EQ_INT(out.reason, CA_REASON_SUPERSEDED);		/* kept */
	CHECK_EQ_INT(ca_ledger_foreach(l, CA_LEDGER_REVOKED, collect_id, &revoked, ERRBUF), 0);
	CHECK_EQ_STR(revoked.ids, "phone,phone,phone");		/* all on the CRL */
	CHECK_EQ_INT(ca_ledger_mark_lost(l, "phone", 1800000001, &n, ERRBUF), -EALREADY);
	CHECK_EQ_INT(ca_ledger_mark_lost(l, "ghost", 1800000001, &n, ERRBUF), -ENOENT);
	/* A lost device rolled back is not lost. */
	d = device_record("tablet", "0D");
	CHECK_EQ_INT(ca_ledger_insert(l, &d, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_begin(l, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_mark_lost(l, "tablet", 5, NULL, ERRBUF), 0);
	ca_ledger_rollback(l);
	CHECK_EQ_INT(ca_ledger_get(l, "tablet", &out, ERRBUF), 0);
	CHECK_EQ_STR(ca_record_status(&out, 0), "valid");
	ca_ledger_free(l);
}

/* What postern-ca before the renewals wrote: one row per device. */
static const char v1_schema[] =
	"PRAGMA journal_mode = WAL;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE devices (device_id TEXT PRIMARY KEY, owner TEXT NOT NULL,"
	" grp TEXT NOT NULL,"
	" ownership TEXT NOT NULL CHECK (ownership IN ('corporate', 'byod')),"
	" serial TEXT NOT NULL UNIQUE, not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),"
	" revoked_at INTEGER, reason TEXT, created_at INTEGER NOT NULL);"
	"INSERT INTO meta (key, value) VALUES ('schema_version', 1), ('crl_number', 4);"
	"INSERT INTO devices VALUES ('zeta', 'Z', 'field', 'byod', '0A', 10, 2000000000,"
	" 'valid', NULL, NULL, 10);"
	"INSERT INTO devices VALUES ('alpha', 'A', 'default', 'corporate', '0B', 20, 30,"
	" 'revoked', 25, 'keyCompromise', 20);";

static int sql_file(const char *name, const char *sql)
{
	char path[512];
	sqlite3 *db = NULL;
	int rc;

	tmp_path(path, sizeof(path), name);
	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static long long sql_value(const char *name, const char *sql)
{
	char path[512];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	tmp_path(path, sizeof(path), name);
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_ledger_migrate_v1(void)
{
	struct ca_ledger *l = NULL;
	struct ca_record out, d = device_record("zeta", "0C");
	struct collect all = { "", 0 }, revoked = { "", 0 };
	char path[512];
	uint64_t n = 0;

	CHECK_EQ_INT(sql_file("v1.db", v1_schema), SQLITE_OK);
	tmp_path(path, sizeof(path), "v1.db");
	CHECK_EQ_INT(ca_ledger_open(path, &l, ERRBUF), 0);
	if (!l)
		return;
	CHECK_EQ_INT(sql_value("v1.db", "SELECT value FROM meta WHERE key = 'schema_version'"), 3);
	CHECK_EQ_INT(sql_value("v1.db", "SELECT count(*) FROM sqlite_master WHERE name = 'devices_v1'"), 0);
	CHECK_EQ_INT(ca_ledger_foreach(l, CA_LEDGER_ALL, collect_id, &all, ERRBUF), 0);
	CHECK_EQ_STR(all.ids, "zeta,alpha");		/* issue order kept */
	CHECK_EQ_INT(ca_ledger_foreach(l, CA_LEDGER_REVOKED, collect_id, &revoked, ERRBUF), 0);
	CHECK_EQ_STR(revoked.ids, "alpha");
	CHECK_EQ_INT(ca_ledger_get(l, "alpha", &out, ERRBUF), 0);
	CHECK_EQ_STR(out.serial, "0B");
	CHECK_EQ_INT(out.reason, CA_REASON_KEY_COMPROMISE);
	CHECK_EQ_INT(out.revoked_at, 25);
	CHECK_EQ_INT(out.state, CA_DEVICE_ACTIVE);
	CHECK_EQ_INT(ca_ledger_get(l, "zeta", &out, ERRBUF), 0);
	CHECK_EQ_STR(out.owner, "Z");
	CHECK_EQ_STR(out.group, "field");
	CHECK_EQ_INT(out.ownership, CM_OWNERSHIP_BYOD);
	CHECK_EQ_INT(out.key_origin, CA_KEY_ORIGIN_CA);	/* every key was made here */
	CHECK_EQ_INT(ca_ledger_crl_number_next(l, 0, &n, ERRBUF), 0);
	CHECK_EQ_INT(n, 5);				/* the counter carried over */
	CHECK_EQ_INT(ca_ledger_add_cert(l, &d, ERRBUF), 0);	/* renewals work now */
	CHECK_EQ_INT(ca_ledger_check(l, ERRBUF), 0);
	ca_ledger_free(l);
	l = NULL;
	/* Opened again, it is a version 3 ledger: nothing to migrate. */
	CHECK_EQ_INT(ca_ledger_open(path, &l, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_get(l, "zeta", &out, ERRBUF), 0);
	CHECK_EQ_STR(out.serial, "0C");
	ca_ledger_free(l);
	l = NULL;
	/* A version this postern-ca does not know is refused, unchanged. */
	CHECK_EQ_INT(sql_file("v1.db", "UPDATE meta SET value = 4 WHERE key = 'schema_version'"),
		     SQLITE_OK);
	CHECK_EQ_INT(ca_ledger_open(path, &l, ERRBUF), -EPROTO);
	CHECK(strstr(why, "/v1.db: unknown schema version 4 (this postern-ca reads 1 to 3)"));
	CHECK(l == NULL);
	CHECK_EQ_INT(sql_value("v1.db", "SELECT value FROM meta WHERE key = 'schema_version'"), 4);
}

/* What postern-ca wrote before it signed requests: version 2, without
 * key_origin. */
static const char v2_schema[] =
	"PRAGMA journal_mode = WAL;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE devices (device_id TEXT PRIMARY KEY, owner TEXT NOT NULL,"
	" grp TEXT NOT NULL,"
	" ownership TEXT NOT NULL CHECK (ownership IN ('corporate', 'byod')),"
	" state TEXT NOT NULL CHECK (state IN ('active', 'lost')), lost_at INTEGER,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE certificates (id INTEGER PRIMARY KEY,"
	" device_id TEXT NOT NULL REFERENCES devices (device_id),"
	" serial TEXT NOT NULL UNIQUE, not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),"
	" revoked_at INTEGER, reason TEXT, created_at INTEGER NOT NULL);"
	"CREATE INDEX certificates_by_device ON certificates (device_id, id);"
	"INSERT INTO meta (key, value) VALUES ('schema_version', 2), ('crl_number', 9);"
	"INSERT INTO devices VALUES ('eta', 'E', 'field', 'corporate', 'active', NULL, 10);"
	"INSERT INTO certificates (device_id, serial, not_before, not_after, status,"
	" created_at) VALUES ('eta', '0E', 10, 2000000000, 'valid', 10);";

static void test_ledger_migrate_v2(void)
{
	struct ca_ledger *l = NULL;
	struct ca_record out, d = device_record("eta", "0F");
	char path[512];

	CHECK_EQ_INT(sql_file("v2.db", v2_schema), SQLITE_OK);
	tmp_path(path, sizeof(path), "v2.db");
	CHECK_EQ_INT(ca_ledger_open(path, &l, ERRBUF), 0);
	if (!l)
		return;
	CHECK_EQ_INT(sql_value("v2.db", "SELECT value FROM meta WHERE key = 'schema_version'"), 3);
	CHECK_EQ_INT(ca_ledger_get(l, "eta", &out, ERRBUF), 0);
	CHECK_EQ_STR(out.serial, "0E");
	CHECK_EQ_INT(out.key_origin, CA_KEY_ORIGIN_CA);
	/* A certificate signed from a request keeps its origin. */
	d.key_origin = CA_KEY_ORIGIN_CSR;
	CHECK_EQ_INT(ca_ledger_add_cert(l, &d, ERRBUF), 0);
	CHECK_EQ_INT(ca_ledger_get(l, "eta", &out, ERRBUF), 0);
	CHECK_EQ_STR(out.serial, "0F");
	CHECK_EQ_INT(out.key_origin, CA_KEY_ORIGIN_CSR);
	CHECK_EQ_INT(ca_ledger_get_serial(l, "0E", &out, ERRBUF), 0);
	CHECK_EQ_INT(out.key_origin, CA_KEY_ORIGIN_CA);
	CHECK_EQ_INT(ca_ledger_check(l, ERRBUF), 0);
	ca_ledger_free(l);
	/* The ledger refuses an origin it does not know. */
	CHECK(sql_file("v2.db", "UPDATE certificates SET key_origin = 'tpm'") != SQLITE_OK);
	CHECK_EQ_STR(ca_key_origin_name(CA_KEY_ORIGIN_CSR), "csr");
	CHECK_EQ_STR(ca_key_origin_name(CA_KEY_ORIGIN_CA), "ca");
}

/* ------------------------------------------------------------------ */
/* Device files                                                        */
/* ------------------------------------------------------------------ */

static void test_staged_name(void)
{
	char id[CA_DEVICE_ID_MAX + 1], serial[CA_SERIAL_HEX_MAX + 1];
	bool is_key = false;

	CHECK(ca_store_staged_name(".dev.a.0A1B.key", id, serial, &is_key));
	CHECK_EQ_STR(id, "dev.a");
	CHECK_EQ_STR(serial, "0A1B");
	CHECK(is_key);
	CHECK(ca_store_staged_name(".x.00.crt", id, serial, &is_key));
	CHECK(!is_key);
	CHECK(!ca_store_staged_name("dev.0A1B.key", id, serial, &is_key));	/* current */
	CHECK(!ca_store_staged_name(".dev.key", id, serial, &is_key));
	CHECK(!ca_store_staged_name(".dev.0a1b.key", id, serial, &is_key));	/* lower case */
	CHECK(!ca_store_staged_name("..0A.key", id, serial, &is_key));
	CHECK(!ca_store_staged_name(".-x.0A.key", id, serial, &is_key));
	CHECK(!ca_store_staged_name(".x.0A.key.tmp.abcdef", id, serial, &is_key));
	CHECK(!ca_store_staged_name(".x.0A.pem", id, serial, &is_key));
	CHECK(!ca_store_staged_name(".", id, serial, &is_key));
	CHECK(!ca_store_staged_name("..", id, serial, &is_key));
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f)
		fclose(f);
}

/* What the sweep says it did, one count per kind of event. */
struct sweep_heard {
	unsigned int n[CA_SWEEP_REMOVED_TEMP + 1];
	bool paths_ok;
};

static void sweep_heard(const struct ca_sweep_event *ev, void *ctx)
{
	struct sweep_heard *h = ctx;

	h->n[ev->what]++;
	if (!ev->path || ev->error || (ev->what != CA_SWEEP_REMOVED_TEMP && !ev->serial) ||
	    (ev->what == CA_SWEEP_REMOVED_TEMP && !strstr(ev->path, "/crl.pem.tmp.")) ||
	    (ev->what == CA_SWEEP_ARCHIVED && !strstr(ev->path, "/devices/archive/renewed.01.")))
		h->paths_ok = false;
}

/* What a killed run leaves, and what the sweep makes of it. */
static void test_store_sweep(void)
{
	struct ca_authority *ca = ca_make("Sweep CA");
	char dir[512], path[600];
	struct ca_files cur, staged, old;
	struct ca_ledger *l = NULL;
	struct ca_sweep sw = { 9, 9, 9 };
	struct sweep_heard heard = { { 0 }, true };
	struct ca_record d;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;

	tmp_path(dir, sizeof(dir), "sweep");
	snprintf(path, sizeof(path), "%s/devices", dir);
	CHECK_EQ_INT(mkdir(dir, 0700) || mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	CHECK_EQ_INT(ca_ledger_create(path, &l, ERRBUF), 0);
	CHECK_EQ_INT(ca_key_generate(CA_KEY_EC_P256, &key, ERRBUF), 0);
	x = ca && key ? owned_make(ca, "done", "D") : NULL;
	CHECK(x != NULL);
	if (!l || !x)
		goto out;
	/* Committed, not yet in place: installed. */
	d = device_record("done", "0D");
	CHECK_EQ_INT(ca_ledger_insert(l, &d, ERRBUF), 0);
	CHECK_EQ_INT(ca_store_staged(dir, "done", "0D", &staged, ERRBUF), 0);
	CHECK_EQ_INT(ca_store_stage(&staged, key, x, ERRBUF), 0);
	CHECK_EQ_INT(ca_store_stage(&staged, key, x, ERRBUF), -EEXIST);	/* and cleans up */
	CHECK(!exists(staged.key) && !exists(staged.crt));
	CHECK_EQ_INT(ca_store_stage(&staged, key, x, ERRBUF), 0);
	/* Never committed: removed. */
	CHECK_EQ_INT(ca_store_staged(dir, "gone", "0E", &staged, ERRBUF), 0);
	CHECK_EQ_INT(ca_store_stage(&staged, key, x, ERRBUF), 0);
	/* Committed but since superseded: archived. */
	d = device_record("renewed", "01");
	CHECK_EQ_INT(ca_ledger_insert(l, &d, ERRBUF), 0);
	d = device_record("renewed", "02");
	CHECK_EQ_INT(ca_ledger_add_cert(l, &d, ERRBUF), 0);
	CHECK_EQ_INT(ca_store_staged(dir, "renewed", "01", &staged, ERRBUF), 0);
	touch(staged.crt);
	snprintf(path, sizeof(path), "%s/crl.pem.tmp.Ab12Cd", dir);
	touch(path);
	CHECK_EQ_INT(ca_store_sweep(dir, l, sweep_heard, &heard, &sw, ERRBUF), 0);
	CHECK_EQ_INT(sw.installed, 2);
	CHECK_EQ_INT(sw.removed, 3);
	CHECK_EQ_INT(sw.archived, 1);
	CHECK_EQ_INT(heard.n[CA_SWEEP_INSTALLED], 2);
	CHECK_EQ_INT(heard.n[CA_SWEEP_REMOVED], 2);
	CHECK_EQ_INT(heard.n[CA_SWEEP_REMOVED_TEMP], 1);
	CHECK_EQ_INT(heard.n[CA_SWEEP_ARCHIVED], 1);
	CHECK(heard.paths_ok);
	CHECK_EQ_INT(ca_store_current(dir, "done", &cur, ERRBUF), 0);
	CHECK(exists(cur.key) && exists(cur.crt));
	CHECK_EQ_INT(ca_store_current(dir, "gone", &cur, ERRBUF), 0);
	CHECK(!exists(cur.key) && !exists(cur.crt));
	CHECK_EQ_INT(ca_store_staged(dir, "gone", "0E", &staged, ERRBUF), 0);
	CHECK(!exists(staged.key) && !exists(staged.crt));
	CHECK_EQ_INT(ca_store_archived(dir, "renewed", "01", &old, ERRBUF), 0);
	CHECK(exists(old.crt));
	CHECK(!exists(path));
	/* Nothing left: a second sweep does nothing. */
	CHECK_EQ_INT(ca_store_sweep(dir, l, NULL, NULL, &sw, ERRBUF), 0);
	CHECK_EQ_INT(sw.installed + sw.removed + sw.archived, 0);
	/* Archiving links the current files; twice is fine. */
	CHECK_EQ_INT(ca_store_archive(dir, "done", "0D", ERRBUF), 0);
	CHECK_EQ_INT(ca_store_archive(dir, "done", "0D", ERRBUF), 0);
	CHECK_EQ_INT(ca_store_archived(dir, "done", "0D", &old, ERRBUF), 0);
	CHECK(exists(old.key) && exists(old.crt));
	CHECK_EQ_INT(ca_store_current(dir, "done", &cur, ERRBUF), 0);
	CHECK(exists(cur.key));
out:
	X509_free(x);
	EVP_PKEY_free(key);
	ca_ledger_free(l);
	ca_authority_free(ca);
}

/* ------------------------------------------------------------------ */
/* PKCS#12 and password files                                          */
/* ------------------------------------------------------------------ */

/* The cipher of a PBES2 AlgorithmIdentifier, NID_undef when it is not one. */
static int pbes2_cipher(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *oid;
	const void *param;
	PBE2PARAM *pbe2;
	int ptype, nid = NID_undef;

	X509_ALGOR_get0(&oid, &ptype, &param, alg);
	if (OBJ_obj2nid(oid) != NID_pbes2 || ptype != V_ASN1_SEQUENCE)
		return NID_undef;
	pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), &(ASN1_TYPE){
		.type = V_ASN1_SEQUENCE, .value.sequence = (ASN1_STRING *)param });
	if (pbe2)
		nid = OBJ_obj2nid(pbe2->encryption->algorithm);
	PBE2PARAM_free(pbe2);
	return nid;
}

/* Every encryption in the bundle: the certificate safe and the key bag. */
static void p12_ciphers(PKCS12 *p12, int *cert_nid, int *key_nid)
{
	STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
	STACK_OF(PKCS12_SAFEBAG) *bags;
	const X509_ALGOR *alg;
	int i, j;

	*cert_nid = *key_nid = NID_undef;
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);

		if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted) {
			*cert_nid = pbes2_cipher(p7->d.encrypted->enc_data->algorithm);
			continue;
		}
		bags = PKCS12_unpack_p7data(p7);
		for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
			const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);

			if (PKCS12_SAFEBAG_get_nid(bag) != NID_pkcs8ShroudedKeyBag)
				continue;
			X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, NULL);
			*key_nid = pbes2_cipher(alg);
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
}

static void test_p12(void)
{
	struct ca_authority *ca = ca_make("P12 CA");
	const char *pw = "correct horse \xc3\xa9";
	STACK_OF(X509) *chain = NULL;
	struct ca_device_req req = {
		.device_id = "phone-9", .owner = "P", .group = "default",
		.validity = { time(NULL), 30 },
	};
	EVP_PKEY *key = NULL, *back_key = NULL;
	X509 *x = NULL, *back = NULL;
	PKCS12 *p12 = NULL, *read = NULL;
	const X509_ALGOR *mac_alg = NULL;
	const ASN1_OBJECT *mac_oid;
	int cert_nid, key_nid;
	char path[512];
	struct stat st;
	FILE *f;

	CHECK_EQ_INT(ca_key_generate(CA_KEY_EC_P256, &key, ERRBUF), 0);
	CHECK_EQ_INT(ca && key ? ca_cert_build_device(ca, key, &req, &x, ERRBUF) : -1, 0);
	CHECK_EQ_INT(x ? ca_p12_build(key, x, ca->cert, "phone-9", pw, &p12, ERRBUF) : -1, 0);
	if (!p12)
		goto out;
	tmp_path(path, sizeof(path), "phone-9.p12");
	CHECK_EQ_INT(ca_p12_save(path, p12, ERRBUF), 0);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	CHECK_EQ_INT(ca_p12_save(path, p12, ERRBUF), -EEXIST);		/* never overwritten */
	f = fopen(path, "rb");
	read = f ? d2i_PKCS12_fp(f, NULL) : NULL;
	if (f)
		fclose(f);
	CHECK(read != NULL);
	if (!read)
		goto out;
	CHECK_EQ_INT(PKCS12_verify_mac(read, pw, -1), 1);
	CHECK_EQ_INT(PKCS12_verify_mac(read, "wrong", -1), 0);
	PKCS12_get0_mac(NULL, &mac_alg, NULL, NULL, read);
	X509_ALGOR_get0(&mac_oid, NULL, NULL, mac_alg);
	CHECK_EQ_INT(OBJ_obj2nid(mac_oid), NID_sha256);
	p12_ciphers(read, &cert_nid, &key_nid);
	CHECK_EQ_INT(cert_nid, NID_aes_256_cbc);
	CHECK_EQ_INT(key_nid, NID_aes_256_cbc);
	CHECK_EQ_INT(PKCS12_parse(read, pw, &back_key, &back, &chain), 1);
	CHECK(back && X509_cmp(back, x) == 0);
	CHECK(back_key && EVP_PKEY_eq(back_key, key) == 1);
	CHECK(back && back_key && X509_check_private_key(back, back_key) == 1);
	CHECK_EQ_INT(sk_X509_num(chain), 1);
	CHECK(sk_X509_num(chain) == 1 && X509_cmp(sk_X509_value(chain, 0), ca->cert) == 0);
out:
	sk_X509_pop_free(chain, X509_free);
	X509_free(back);
	EVP_PKEY_free(back_key);
	PKCS12_free(read);
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(key);
	ca_authority_free(ca);
}

/* Writes a password file of n bytes with the given mode. */
static void pw_file(const char *name, const char *data, size_t n, mode_t mode)
{
	char path[512];
	FILE *f;

	tmp_path(path, sizeof(path), name);
	unlink(path);
	f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, n, f);
		fclose(f);
	}
	chmod(path, mode);
}

static int pw_read(const char *name, char *buf)
{
	char path[512];

	tmp_path(path, sizeof(path), name);
	memset(buf, 'x', CA_PASSWORD_MAX + 1);
	return ca_password_read(path, buf, CA_PASSWORD_MAX + 1, ERRBUF);
}

static void test_password_file(void)
{
	char buf[CA_PASSWORD_MAX + 1], big[CA_PASSWORD_MAX + 8];

	pw_file("pw1", "s3cret\n", 7, 0600);
	CHECK_EQ_INT(pw_read("pw1", buf), 0);
	CHECK_EQ_STR(buf, "s3cret");
	pw_file("pw2", "two words\r\nsecond line\n", 23, 0400);
	CHECK_EQ_INT(pw_read("pw2", buf), 0);
	CHECK_EQ_STR(buf, "two words");
	pw_file("pw3", "no newline", 10, 0600);
	CHECK_EQ_INT(pw_read("pw3", buf), 0);
	CHECK_EQ_STR(buf, "no newline");
	pw_file("pw4", "", 0, 0600);
	CHECK_EQ_INT(pw_read("pw4", buf), -ENODATA);
	pw_file("pw5", "\nsecond\n", 8, 0600);
	CHECK_EQ_INT(pw_read("pw5", buf), -ENODATA);
	pw_file("pw6", "\r\n", 2, 0600);
	CHECK_EQ_INT(pw_read("pw6", buf), -ENODATA);
	pw_file("pw7", "a\0b\n", 4, 0600);
	CHECK_EQ_INT(pw_read("pw7", buf), -EINVAL);
	pw_file("pw8", "s3cret\n", 7, 0640);
	CHECK_EQ_INT(pw_read("pw8", buf), -EPERM);
	CHECK_EQ_INT(pw_read("pw-missing", buf), -ENOENT);
	/* CA_PASSWORD_MAX bytes pass, one more does not. */
	memset(big, 'p', sizeof(big));
	big[CA_PASSWORD_MAX] = '\n';
	pw_file("pw9", big, CA_PASSWORD_MAX + 1, 0600);
	CHECK_EQ_INT(pw_read("pw9", buf), 0);
	CHECK_EQ_INT(strlen(buf), CA_PASSWORD_MAX);
	big[CA_PASSWORD_MAX] = 'p';
	big[CA_PASSWORD_MAX + 1] = '\n';
	pw_file("pw10", big, CA_PASSWORD_MAX + 2, 0600);
	CHECK_EQ_INT(pw_read("pw10", buf), -E2BIG);
	pw_file("pw11", big, CA_PASSWORD_MAX + 8, 0600);
	CHECK_EQ_INT(pw_read("pw11", buf), -E2BIG);
}

/* Failures put one line in the caller's buffer; refusals the caller words
 * leave it alone; a NULL buffer is allowed. The library never prints. */
static void test_messages(void)
{
	char buf[CA_PASSWORD_MAX + 1], path[512], big[CA_PASSWORD_MAX + 8];
	struct ca_authority *ca = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;

	CHECK_EQ_INT(ca_authority_load("/nonexistent-postern-ca", &ca, ERRBUF), -ENOENT);
	CHECK_EQ_STR(why, "cannot open /nonexistent-postern-ca/ca.crt: No such file or directory");
	pw_file("msg-empty", "", 0, 0600);
	CHECK_EQ_INT(pw_read("msg-empty", buf), -ENODATA);
	CHECK(strstr(why, "/msg-empty: the password (the file's first line) is empty") != NULL);
	pw_file("msg-open", "s3cret\n", 7, 0644);
	CHECK_EQ_INT(pw_read("msg-open", buf), -EPERM);
	CHECK(strstr(why, "/msg-open is accessible by group or others (mode 0644): "
		      "chmod 600 it") != NULL);
	memset(big, 'q', sizeof(big));
	pw_file("msg-big", big, sizeof(big), 0600);
	CHECK_EQ_INT(pw_read("msg-big", buf), -E2BIG);
	CHECK(strstr(why, "the password is longer than 1023 bytes") && !strstr(why, "qqq"));
	tmp_path(path, sizeof(path), "msg-missing");
	CHECK_EQ_INT(ca_password_read(path, buf, sizeof(buf), NULL, 0), -ENOENT);
	/* libcrypto's reason follows the message. */
	tmp_path(path, sizeof(path), "msg-garbage.crt");
	touch(path);
	CHECK_EQ_INT(ca_cert_load(path, &x, ERRBUF), -EINVAL);
	CHECK(strstr(why, "msg-garbage.crt: not a PEM certificate (") != NULL);
	/* -EEXIST from a save is the caller's to word. */
	CHECK_EQ_INT(ca_key_generate(CA_KEY_EC_P256, &key, ERRBUF), 0);
	snprintf(why, sizeof(why), "untouched");
	CHECK_EQ_INT(key ? ca_key_save(path, key, ERRBUF) : -1, -EEXIST);
	CHECK_EQ_STR(why, "untouched");
	/* A line is cut, never overrun. */
	CHECK_EQ_INT(ca_err(why, 8, -EIO, "%s", "a long message"), -EIO);
	CHECK_EQ_STR(why, "a long ");
	EVP_PKEY_free(key);
}

int main(void)
{
	if (!mkdtemp(tmp_dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_device_id);
	RUN(test_owner);
	RUN(test_hostname);
	RUN(test_numbers_dates_ips);
	RUN(test_reasons);
	RUN(test_ledger_insert_get);
	RUN(test_ledger_duplicate);
	RUN(test_ledger_revoke);
	RUN(test_ledger_list);
	RUN(test_ledger_crl_number);
	RUN(test_crl_file_number);
	RUN(test_ledger_not_a_ledger);
	RUN(test_serial);
	RUN(test_ca_cert);
	RUN(test_device_cert);
	RUN(test_device_validity);
	RUN(test_server_cert);
	RUN(test_crl);
	RUN(test_key_save);
	RUN(test_authority_load);
	RUN(test_device_cert_owner);
	RUN(test_ledger_renewal);
	RUN(test_ledger_lost);
	RUN(test_ledger_migrate_v1);
	RUN(test_ledger_migrate_v2);
	RUN(test_staged_name);
	RUN(test_store_sweep);
	RUN(test_p12);
	RUN(test_password_file);
	RUN(test_messages);
	nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	UNIT_EXIT();
}
