/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gateway/crl.c. gw_crl_order, on CRL descriptions made by
 * hand: a higher CRL number replaces the one in force, a lower one never
 * does (a replay would un-revoke), the same number only with the same
 * contents, and without a number on either side lastUpdate decides the
 * same way; each refusal names both numbers (or times). gw_crl_meta_of and
 * gw_crl_load on real CRLs signed with a CA made by certs/ca.c: the
 * numbers and dates read back, a CRL of another CA, a file that is not a
 * CRL and a missing file refused with the file named, and an older CRL
 * refused by the load that every path (start, watch, reload) goes through.
 */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certs/ca.h"
#include "gateway/crl.h"
#include "tests/unit/unit.h"

static char tmp_dir[] = "/tmp/postern-test-crl.XXXXXX";

/* ---- gw_crl_order on descriptions made by hand ---- */

static struct gw_crl_meta meta(int number, time_t last, char digest)
{
	struct gw_crl_meta m;

	memset(&m, 0, sizeof(m));
	m.loaded = true;
	m.last_update = last;
	memset(m.sha256, digest, sizeof(m.sha256));
	if (number >= 0) {
		m.have_number = true;
		for (int v = number; v; v >>= 8)
			m.number_len++;
		for (size_t i = 0; i < m.number_len; i++)
			m.number[i] = (uint8_t)(number >> (8 * (m.number_len - 1 - i)));
		snprintf(m.number_dec, sizeof(m.number_dec), "%d", number);
	}
	return m;
}

#define T0 1795773600	/* 2026-11-27T10:00:00Z */

static void test_order_by_number(void)
{
	struct gw_crl_meta cur = meta(5, T0, 'a'), m;
	char err[512];

	CHECK_EQ_INT(gw_crl_order(NULL, &cur, err, sizeof(err)), 0);
	m = meta(6, T0 - 100, 'b');		/* a higher number wins over an earlier date */
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), 0);
	m = meta(256, T0, 'b');			/* longer is larger: 0x0100 > 0x05 */
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), 0);
	m = meta(5, T0, 'a');			/* the same CRL read again */
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), 0);
	CHECK(gw_crl_same(&cur, &m));

	err[0] = '\0';
	m = meta(4, T0 + 100, 'b');		/* a lower number loses, whatever its date */
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), -ESTALE);
	CHECK(strstr(err, "CRL number 4 is older than CRL number 5 in force") != NULL);
	err[0] = '\0';
	m = meta(5, T0, 'b');			/* same number, other contents */
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), -ESTALE);
	CHECK(strstr(err, "CRL number 5 is the same as, with other contents than, CRL number 5")
	      != NULL);
	CHECK(!gw_crl_same(&cur, &m));
	cur = meta(256, T0, 'a');
	m = meta(255, T0, 'b');			/* 0xff < 0x0100: shorter is smaller */
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), -ESTALE);
	cur = meta(0, T0, 'a');			/* zero is a number too */
	m = meta(1, T0, 'b');
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), 0);
	CHECK_EQ_INT(gw_crl_order(&m, &cur, err, sizeof(err)), -ESTALE);
}

static void test_order_by_last_update(void)
{
	struct gw_crl_meta cur = meta(-1, T0, 'a'), m;
	char err[512];

	m = meta(-1, T0 + 1, 'b');
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), 0);
	err[0] = '\0';
	m = meta(-1, T0 - 1, 'b');
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), -ESTALE);
	CHECK(strstr(err, "lastUpdate 2026-11-27T09:59:59Z is older than lastUpdate "
		      "2026-11-27T10:00:00Z of the CRL in force") != NULL);
	m = meta(-1, T0, 'b');
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), -ESTALE);
	m = meta(-1, T0, 'a');
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), 0);
	/* One side without a number: the dates decide, whatever the number. */
	m = meta(1000, T0 - 1, 'b');
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), -ESTALE);
	CHECK(strstr(err, "(that one has no CRL number)") != NULL);
	cur = meta(7, T0, 'a');
	m = meta(-1, T0 + 60, 'b');
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), 0);
	m = meta(-1, T0 - 60, 'b');
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), -ESTALE);
	CHECK(strstr(err, "(this one has no CRL number)") != NULL);
	/* Nothing in force yet (start-up): anything goes. */
	cur.loaded = false;
	CHECK_EQ_INT(gw_crl_order(&cur, &m, err, sizeof(err)), 0);
}

static void test_number_u64(void)
{
	struct gw_crl_meta m = meta(258, T0, 'a');

	CHECK_EQ_INT(gw_crl_number_u64(&m), 258);
	m.number_len = 9;
	CHECK(gw_crl_number_u64(&m) == UINT64_MAX);
	m.have_number = false;
	CHECK_EQ_INT(gw_crl_number_u64(&m), 0);
}

/* ---- real CRLs ---- */

static struct ca_authority *ca_make(const char *name)
{
	struct ca_authority *ca = calloc(1, sizeof(*ca));
	struct ca_validity v = { time(NULL) - 60, 30 };

	if (!ca || ca_key_generate(CA_KEY_EC_P256, &ca->key, NULL, 0) ||
	    ca_cert_build_ca(ca->key, name, &v, &ca->cert, NULL, 0)) {
		ca_authority_free(ca);
		return NULL;
	}
	return ca;
}

/* A signed CRL numbered number (none when 0), as postern-ca makes them,
 * written to tmp_dir/name. */
static X509_CRL *crl_make(const struct ca_authority *ca, uint64_t number, time_t now,
			  const char *name)
{
	X509_CRL *crl = NULL;
	char path[256];

	if (number) {
		if (ca_crl_new(ca, number, now, 30, &crl, NULL, 0))
			return NULL;
	} else {
		ASN1_TIME *t = ASN1_TIME_set(NULL, now);

		crl = X509_CRL_new();
		if (!crl || !t || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
		    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) ||
		    !X509_CRL_set1_lastUpdate(crl, t)) {
			X509_CRL_free(crl);
			crl = NULL;
		}
		ASN1_TIME_free(t);
		if (!crl)
			return NULL;
	}
	if (ca_crl_add(crl, "0A1B", now - 10, CA_REASON_UNSPECIFIED, NULL, 0) ||
	    ca_crl_sign(crl, ca, NULL, 0)) {
		X509_CRL_free(crl);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
	if (ca_crl_save(path, crl, NULL, 0)) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

static void test_meta_of(void)
{
	struct ca_authority *ca = ca_make("Meta CA");
	time_t now = time(NULL);
	X509_CRL *crl = ca ? crl_make(ca, 258, now, "meta.pem") : NULL;
	X509_CRL *bare = ca ? crl_make(ca, 0, now, "bare.pem") : NULL;
	struct gw_crl_meta m;
	char err[256];

	CHECK(crl && bare);
	if (!crl || !bare)
		goto out;
	CHECK_EQ_INT(gw_crl_meta_of(crl, &m, err, sizeof(err)), 0);
	CHECK(m.loaded && m.have_number);
	CHECK_EQ_INT(m.number_len, 2);
	CHECK_EQ_STR(m.number_dec, "258");
	CHECK_EQ_INT(m.last_update, now);
	CHECK_EQ_INT(m.next_update, now + 30 * 86400);
	CHECK_EQ_INT(gw_crl_meta_of(bare, &m, err, sizeof(err)), 0);
	CHECK(m.loaded && !m.have_number);
	CHECK_EQ_STR(m.number_dec, "");
	CHECK_EQ_INT(m.next_update, 0);
out:
	X509_CRL_free(crl);
	X509_CRL_free(bare);
	ca_authority_free(ca);
}

static int load(const struct ca_authority *ca, const char *name, const struct gw_crl_meta *cur,
		struct gw_crl_meta *m, char *err, size_t errlen)
{
	struct gw_crl_loaded l;
	char path[256];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
	err[0] = '\0';
	ret = gw_crl_load(ca->cert, path, cur, &l, err, errlen);
	if (ret == 0) {
		CHECK(l.crl && l.store);
		*m = l.meta;
	} else {
		CHECK(!l.crl && !l.store);
	}
	gw_crl_loaded_free(&l);
	return ret;
}

static void test_load(void)
{
	struct ca_authority *ca = ca_make("Load CA"), *other = ca_make("Load CA");
	time_t now = time(NULL);
	X509_CRL *c1 = NULL, *c2 = NULL, *c3 = NULL;
	struct gw_crl_meta in_force, m;
	char err[512], path[256];
	FILE *f;

	CHECK(ca && other);
	if (!ca || !other)
		goto out;
	c1 = crl_make(ca, 1, now - 3600, "one.pem");
	c2 = crl_make(ca, 2, now, "two.pem");
	c3 = crl_make(other, 3, now, "other.pem");	/* same name, other key */
	CHECK(c1 && c2 && c3);
	CHECK_EQ_INT(load(ca, "two.pem", NULL, &in_force, err, sizeof(err)), 0);
	CHECK_EQ_STR(in_force.number_dec, "2");
	/* Copying the older CRL back is refused, naming both numbers. */
	CHECK_EQ_INT(load(ca, "one.pem", &in_force, &m, err, sizeof(err)), -ESTALE);
	CHECK(strstr(err, "/one.pem: refused: CRL number 1 is older than CRL number 2 in force"));
	CHECK_EQ_INT(load(ca, "two.pem", &in_force, &m, err, sizeof(err)), 0);
	CHECK(gw_crl_same(&in_force, &m));
	CHECK_EQ_INT(load(ca, "other.pem", &in_force, &m, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "/other.pem: not signed by the device CA"));
	snprintf(path, sizeof(path), "%s/junk.pem", tmp_dir);
	f = fopen(path, "w");
	if (f) {
		fputs("not a CRL\n", f);
		fclose(f);
	}
	CHECK_EQ_INT(load(ca, "junk.pem", &in_force, &m, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "/junk.pem: not a PEM CRL"));
	CHECK_EQ_INT(load(ca, "missing.pem", &in_force, &m, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "/missing.pem: cannot open: No such file or directory"));
out:
	X509_CRL_free(c1);
	X509_CRL_free(c2);
	X509_CRL_free(c3);
	ca_authority_free(ca);
	ca_authority_free(other);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(tmp_dir)) {
		printf("not ok - mkdtemp\n");
		return 1;
	}
	RUN(test_order_by_number);
	RUN(test_order_by_last_update);
	RUN(test_number_u64);
	RUN(test_meta_of);
	RUN(test_load);
	nftw(tmp_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	UNIT_EXIT();
}
