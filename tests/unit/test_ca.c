/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the certs module: the operator input parsers, the device
 * ledger (insert, duplicate, revoke, list, CRL number) and the certificates
 * and CRLs ca.c builds, checked the way the gateway will read them: SAN
 * URIs, key usages, the validity window and an OpenSSL chain check with the
 * CRL. Files go to a fresh mktemp directory that is removed at the end.
 */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certs/ca.h"
#include "certs/ledger.h"
#include "tests/unit/unit.h"

static char tmp_dir[] = "/tmp/postern-test-ca.XXXXXX";

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

	if (!ca || ca_key_generate(CA_KEY_EC_P256, &ca->key) ||
	    ca_cert_build_ca(ca->key, name, &v, &ca->cert)) {
		ca_authority_free(ca);
		return NULL;
	}
	return ca;
}

static X509 *device_make(struct ca_authority *ca, const char *id, const char *group,
			 enum ca_ownership own, time_t not_before, unsigned int days)
{
	struct ca_device_req req = {
		.device_id = id, .group = group, .ownership = own,
		.validity = { not_before, days },
	};
	EVP_PKEY *key = NULL;
	X509 *x = NULL;

	if (ca_key_generate(CA_KEY_EC_P256, &key) == 0)
		ca_cert_build_device(ca, key, &req, &x);
	EVP_PKEY_free(key);
	return x;
}

static struct ca_device device_record(const char *id, const char *serial)
{
	struct ca_device d = {
		.ownership = CA_OWNERSHIP_BYOD, .status = CA_STATUS_VALID,
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
	CHECK_EQ_INT(ca_ledger_create(path, &l), 0);
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
	CHECK(!ca_device_id_valid(""));
	CHECK(!ca_device_id_valid("../x"));
	CHECK(!ca_device_id_valid(".hidden"));
	CHECK(!ca_device_id_valid("-rf"));
	CHECK(!ca_device_id_valid("a/b"));
	CHECK(!ca_device_id_valid("a b"));
	CHECK(!ca_device_id_valid("caf\xc3\xa9"));
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
	struct ca_device in = device_record("tablet-7", "0A1B"), out;
	char path[512];
	struct stat st;

	CHECK_EQ_INT(ca_ledger_insert(l, &in), 0);
	CHECK_EQ_INT(ca_ledger_get(l, "tablet-7", &out), 0);
	CHECK_EQ_STR(out.owner, in.owner);
	CHECK_EQ_STR(out.group, "field");
	CHECK_EQ_STR(out.serial, "0A1B");
	CHECK_EQ_INT(out.ownership, CA_OWNERSHIP_BYOD);
	CHECK_EQ_INT(out.status, CA_STATUS_VALID);
	CHECK_EQ_INT(out.not_after, 2000000000);
	CHECK_EQ_INT(ca_ledger_get(l, "nobody", &out), -ENOENT);
	ca_ledger_free(l);

	/* Reopened, the row is there; the file is the owner's alone. */
	tmp_path(path, sizeof(path), "insert.db");
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	l = NULL;
	CHECK_EQ_INT(ca_ledger_open(path, &l), 0);
	CHECK_EQ_INT(ca_ledger_get(l, "tablet-7", &out), 0);
	CHECK_EQ_INT(ca_ledger_create(path, &l) == -EEXIST, 1);
	ca_ledger_free(l);
	ca_ledger_free(NULL);
}

static void test_ledger_duplicate(void)
{
	struct ca_ledger *l = ledger_make("dup.db");
	struct ca_device a = device_record("dup", "01"), b = device_record("dup", "02");
	struct ca_device c = device_record("other", "01");

	CHECK_EQ_INT(ca_ledger_begin(l), 0);
	CHECK_EQ_INT(ca_ledger_insert(l, &a), 0);
	CHECK_EQ_INT(ca_ledger_insert(l, &b), -EEXIST);
	CHECK_EQ_INT(ca_ledger_commit(l), 0);
	/* A serial is unique too: that is an error, not a duplicate id. */
	CHECK(ca_ledger_insert(l, &c) < 0);
	ca_ledger_free(l);
}

static void test_ledger_revoke(void)
{
	struct ca_ledger *l = ledger_make("revoke.db");
	struct ca_device d = device_record("lost-phone", "7F"), out;

	CHECK_EQ_INT(ca_ledger_insert(l, &d), 0);
	CHECK_EQ_INT(ca_ledger_revoke(l, "lost-phone", 1700000000, CA_REASON_KEY_COMPROMISE), 0);
	CHECK_EQ_INT(ca_ledger_get(l, "lost-phone", &out), 0);
	CHECK_EQ_INT(out.status, CA_STATUS_REVOKED);
	CHECK_EQ_INT(out.revoked_at, 1700000000);
	CHECK_EQ_INT(out.reason, CA_REASON_KEY_COMPROMISE);
	CHECK_EQ_STR(ca_device_status(&out, 0), "revoked");
	CHECK_EQ_INT(ca_ledger_revoke(l, "lost-phone", 1700000001, CA_REASON_SUPERSEDED), -EALREADY);
	CHECK_EQ_INT(ca_ledger_revoke(l, "ghost", 1700000000, CA_REASON_UNSPECIFIED), -ENOENT);
	/* A rolled-back revocation leaves the device valid. */
	d = device_record("kept", "80");
	CHECK_EQ_INT(ca_ledger_insert(l, &d), 0);
	CHECK_EQ_INT(ca_ledger_begin(l), 0);
	CHECK_EQ_INT(ca_ledger_revoke(l, "kept", 1, CA_REASON_UNSPECIFIED), 0);
	ca_ledger_rollback(l);
	CHECK_EQ_INT(ca_ledger_get(l, "kept", &out), 0);
	CHECK_EQ_INT(out.status, CA_STATUS_VALID);
	ca_ledger_free(l);
}

struct collect {
	char ids[256];
	int n;
};

static int collect_id(const struct ca_device *d, void *ctx)
{
	struct collect *c = ctx;

	snprintf(c->ids + strlen(c->ids), sizeof(c->ids) - strlen(c->ids), "%s%s",
		 c->n++ ? "," : "", d->device_id);
	return 0;
}

static int stop_early(const struct ca_device *d, void *ctx)
{
	return -ECANCELED;
}

static void test_ledger_list(void)
{
	struct ca_ledger *l = ledger_make("list.db");
	const char *ids[] = { "b-second", "a-first", "c-third" };
	struct collect all = { "", 0 }, revoked = { "", 0 };
	struct ca_device d;
	char serial[8];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(serial, sizeof(serial), "0%zu", i + 1);
		d = device_record(ids[i], serial);
		CHECK_EQ_INT(ca_ledger_insert(l, &d), 0);
	}
	CHECK_EQ_INT(ca_ledger_revoke(l, "a-first", 5, CA_REASON_SUPERSEDED), 0);
	CHECK_EQ_INT(ca_ledger_foreach(l, CA_LEDGER_ALL, collect_id, &all), 0);
	CHECK_EQ_STR(all.ids, "b-second,a-first,c-third");	/* issue order */
	CHECK_EQ_INT(ca_ledger_foreach(l, CA_LEDGER_REVOKED, collect_id, &revoked), 0);
	CHECK_EQ_STR(revoked.ids, "a-first");
	CHECK_EQ_INT(ca_ledger_foreach(l, CA_LEDGER_ALL, stop_early, NULL), -ECANCELED);
	/* Expired is computed from not-after, inclusive. */
	d.not_after = 100;
	CHECK_EQ_STR(ca_device_status(&d, 100), "valid");
	CHECK_EQ_STR(ca_device_status(&d, 101), "expired");
	ca_ledger_free(l);
}

static void test_ledger_crl_number(void)
{
	struct ca_ledger *l = ledger_make("crlnum.db");
	uint64_t n = 0;
	char path[512];

	CHECK_EQ_INT(ca_ledger_crl_number_next(l, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(ca_ledger_crl_number_next(l, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(ca_ledger_begin(l), 0);
	CHECK_EQ_INT(ca_ledger_crl_number_next(l, &n), 0);
	CHECK_EQ_INT(n, 3);
	ca_ledger_rollback(l);		/* a failed CRL run gives its number back */
	ca_ledger_free(l);
	tmp_path(path, sizeof(path), "crlnum.db");
	l = NULL;
	CHECK_EQ_INT(ca_ledger_open(path, &l), 0);
	CHECK_EQ_INT(ca_ledger_crl_number_next(l, &n), 0);
	CHECK_EQ_INT(n, 3);
	ca_ledger_free(l);
}

static void test_ledger_not_a_ledger(void)
{
	struct ca_ledger *l = NULL;
	char path[512];
	FILE *f;

	tmp_path(path, sizeof(path), "missing.db");
	CHECK_EQ_INT(ca_ledger_open(path, &l), -ENOENT);
	tmp_path(path, sizeof(path), "junk.db");
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("this is not a database, it is only text, long enough to matter\n", f);
		fclose(f);
	}
	CHECK(ca_ledger_open(path, &l) < 0);
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

	CHECK_EQ_INT(ca_serial_random(&a), 0);
	CHECK_EQ_INT(ca_serial_random(&b), 0);
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
	X509 *x = ca ? device_make(ca, "laptop-9", "sales", CA_OWNERSHIP_BYOD,
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
	x = device_make(ca, "desk", "default", CA_OWNERSHIP_CORPORATE, time(NULL), 1);
	san_uris(x, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "urn:postern:device:desk,urn:postern:ownership:corporate");
	/* What fails the parsers never reaches a certificate. */
	CHECK(device_make(ca, "../x", "default", CA_OWNERSHIP_CORPORATE, time(NULL), 1) == NULL);
	CHECK(device_make(ca, "ok", "bad group", CA_OWNERSHIP_CORPORATE, time(NULL), 1) == NULL);
out:
	X509_free(x);
	ca_authority_free(ca);
}

static void test_device_validity(void)
{
	struct ca_authority *ca = ca_make("Validity CA");
	time_t nb = 1577836800;		/* 2020-01-01T00:00:00Z */
	X509 *x = ca ? device_make(ca, "old", "default", CA_OWNERSHIP_CORPORATE, nb, 30) : NULL;
	struct ca_validity far = { (time_t)253402214400, 2 };	/* 9999-12-31 */
	time_t end;

	CHECK(x != NULL);
	if (x) {
		CHECK_EQ_INT(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), nb), 0);
		CHECK_EQ_INT(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), nb + 30 * 86400), 0);
		CHECK_EQ_INT(X509_cmp_current_time(X509_get0_notAfter(x)), -1);
	}
	CHECK_EQ_INT(ca_validity_end(&far, &end), -ERANGE);
	CHECK(device_make(ca, "far", "default", CA_OWNERSHIP_CORPORATE, far.not_before, 2) == NULL);
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
	CHECK_EQ_INT(ca_key_generate(CA_KEY_EC_P256, &key), 0);
	CHECK_EQ_INT(ca && key ? ca_cert_build_server(ca, key, &req, &x) : -1, 0);
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
	CHECK_EQ_INT(ca_crl_save(path, crl), 0);
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
	X509 *good = device_make(ca, "good", "default", CA_OWNERSHIP_CORPORATE, time(NULL), 10);
	X509 *bad = device_make(ca, "bad", "default", CA_OWNERSHIP_BYOD, time(NULL), 10);
	X509_CRL *crl = NULL, *back = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *num;
	char serial[CA_SERIAL_HEX_MAX + 1];
	int crit;

	CHECK(ca && good && bad);
	if (!ca || !good || !bad)
		goto out;
	ca_serial_hex(X509_get0_serialNumber(bad), serial, sizeof(serial));
	CHECK_EQ_INT(ca_crl_new(ca, 7, time(NULL), 30, &crl), 0);
	CHECK_EQ_INT(ca_crl_add(crl, serial, time(NULL) - 60, CA_REASON_KEY_COMPROMISE), 0);
	CHECK_EQ_INT(ca_crl_add(crl, "not hex", 0, CA_REASON_UNSPECIFIED), -EINVAL);
	CHECK_EQ_INT(ca_crl_sign(crl, ca), 0);
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
	CHECK_EQ_INT(ca_key_generate(CA_KEY_EC_P256, &key), 0);
	CHECK_EQ_INT(ca_key_save(path, key), 0);
	umask(old);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	CHECK_EQ_INT(ca_key_save(path, key), -EEXIST);	/* never overwritten */
	f = fopen(path, "r");
	if (f) {
		CHECK(fgets(line, sizeof(line), f) != NULL);
		fclose(f);
	}
	CHECK_EQ_STR(line, "-----BEGIN PRIVATE KEY-----\n");	/* PKCS#8 */
	/* A dangling symlink is not followed either. */
	tmp_path(line, sizeof(line), "link.key");
	CHECK_EQ_INT(symlink("/tmp/postern-test-ca-nowhere", line), 0);
	CHECK_EQ_INT(ca_key_save(line, key), -EEXIST);
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
	CHECK_EQ_INT(ca_key_save(path, ca->key), 0);
	tmp_path(path, sizeof(path), "ca.crt");
	CHECK_EQ_INT(ca_cert_save(path, ca->cert), 0);
	CHECK_EQ_INT(ca_authority_load(tmp_dir, &back), 0);
	CHECK(back && X509_cmp(back->cert, ca->cert) == 0);
	ca_authority_free(back);
	back = NULL;
	/* A CA key others can read is refused. */
	tmp_path(path, sizeof(path), "ca.key");
	chmod(path, 0644);
	CHECK_EQ_INT(ca_authority_load(tmp_dir, &back), -EPERM);
	CHECK_EQ_INT(ca_authority_load("/nonexistent-postern-ca", &back), -ENOENT);
	CHECK(back == NULL);
	ca_authority_free(ca);
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
	RUN(test_ledger_not_a_ledger);
	RUN(test_serial);
	RUN(test_ca_cert);
	RUN(test_device_cert);
	RUN(test_device_validity);
	RUN(test_server_cert);
	RUN(test_crl);
	RUN(test_key_save);
	RUN(test_authority_load);
	nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	UNIT_EXIT();
}
