/* SPDX-License-Identifier: MIT */
/*
 * Reading the device CRL and deciding whether it may be put in force (see
 * crl.h for the rule and why). The file is trusted for nothing until the
 * device CA's signature over it checks out; then its numbers are read, and
 * gw_crl_order, the only place that compares two CRLs, says whether it is
 * newer than the one in force.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/file.h"
#include "common/sslerr.h"
#include "gateway/crl.h"

time_t gw_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* The CRL number extension: none (have false), or at most 20 octets. */
static int crl_number_of(const X509_CRL *crl, struct gw_crl_meta *m, char *err, size_t errlen)
{
	int crit = 0;
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	BIGNUM *bn = n ? ASN1_INTEGER_to_BN(n, NULL) : NULL;
	char *dec = bn ? BN_bn2dec(bn) : NULL;
	int ret = 0;

	if (!n && crit == -1)
		goto out;		/* no CRL number: lastUpdate orders it */
	if (!dec || BN_is_negative(bn) || BN_num_bytes(bn) > GW_CRL_NUMBER_MAX ||
	    strlen(dec) >= sizeof(m->number_dec)) {
		snprintf(err, errlen, "its CRL number is not a number of at most %d octets",
			 GW_CRL_NUMBER_MAX);
		ret = -EINVAL;
		goto out;
	}
	m->have_number = true;
	m->number_len = (size_t)BN_bn2bin(bn, m->number);
	snprintf(m->number_dec, sizeof(m->number_dec), "%s", dec);
out:
	OPENSSL_free(dec);
	BN_free(bn);
	ASN1_INTEGER_free(n);
	return ret;
}

int gw_crl_meta_of(const X509_CRL *crl, struct gw_crl_meta *m, char *err, size_t errlen)
{
	unsigned int len = 0;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = crl_number_of(crl, m, err, errlen);
	if (ret < 0)
		return ret;
	m->last_update = gw_asn1_time(X509_CRL_get0_lastUpdate(crl));
	m->next_update = gw_asn1_time(X509_CRL_get0_nextUpdate(crl));
	if (!m->last_update) {
		snprintf(err, errlen, "its lastUpdate cannot be read");
		return -EINVAL;
	}
	if (X509_CRL_digest(crl, EVP_sha256(), m->sha256, &len) != 1 || len != sizeof(m->sha256)) {
		ERR_clear_error();
		snprintf(err, errlen, "cannot compute its digest");
		return -EINVAL;
	}
	m->loaded = true;
	return 0;
}

bool gw_crl_same(const struct gw_crl_meta *a, const struct gw_crl_meta *b)
{
	return a->loaded && b->loaded && !memcmp(a->sha256, b->sha256, sizeof(a->sha256));
}

uint64_t gw_crl_number_u64(const struct gw_crl_meta *m)
{
	uint64_t v = 0;

	if (!m->have_number)
		return 0;
	if (m->number_len > sizeof(v))
		return UINT64_MAX;
	for (size_t i = 0; i < m->number_len; i++)
		v = v << 8 | m->number[i];
	return v;
}

/* Numbers without leading zero octets: the longer is the larger. */
static int crl_number_cmp(const struct gw_crl_meta *a, const struct gw_crl_meta *b)
{
	if (a->number_len != b->number_len)
		return a->number_len < b->number_len ? -1 : 1;
	return memcmp(a->number, b->number, a->number_len);
}

static void crl_time_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Why cand is refused; cmp is how it compares with the one in force. */
static void crl_order_why(const struct gw_crl_meta *cur, const struct gw_crl_meta *cand,
			  bool by_number, int cmp, char *err, size_t errlen)
{
	const char *how = cmp < 0 ? "older than" : "the same as, with other contents than,";
	char a[32], b[32];

	if (by_number) {
		snprintf(err, errlen, "CRL number %s is %s CRL number %s in force: a replayed or "
			 "forged CRL would un-revoke certificates", cand->number_dec, how,
			 cur->number_dec);
		return;
	}
	crl_time_text(cand->last_update, a, sizeof(a));
	crl_time_text(cur->last_update, b, sizeof(b));
	snprintf(err, errlen, "lastUpdate %s is %s lastUpdate %s of the CRL in force (%s): a "
		 "replayed or forged CRL would un-revoke certificates", a, how, b,
		 cur->have_number ? "this one has no CRL number" : "that one has no CRL number");
}

int gw_crl_order(const struct gw_crl_meta *cur, const struct gw_crl_meta *cand, char *err,
		 size_t errlen)
{
	bool by_number;
	int cmp;

	if (!cur || !cur->loaded)
		return 0;
	by_number = cur->have_number && cand->have_number;
	if (by_number)
		cmp = crl_number_cmp(cand, cur);
	else
		cmp = (cand->last_update > cur->last_update) - (cand->last_update < cur->last_update);
	if (cmp > 0 || (cmp == 0 && gw_crl_same(cur, cand)))
		return 0;
	crl_order_why(cur, cand, by_number, cmp, err, errlen);
	return -ESTALE;
}

/* The reason OpenSSL gives, after the file and what we were doing. */
static int crl_why(char *err, size_t errlen, const char *path, const char *what)
{
	char why[320];

	cm_ssl_why(why, sizeof(why), what);
	snprintf(err, errlen, "%s: %s", path, why);
	return -EINVAL;
}

/* A PEM CRL that ca issued and signed. */
static int crl_read(X509 *ca, const char *path, X509_CRL **out, char *err, size_t errlen)
{
	int fd = cm_file_open(path);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "re");
	X509_CRL *crl;

	if (!f) {
		int e = fd < 0 ? -fd : errno;

		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (!crl)
		return crl_why(err, errlen, path, "not a PEM CRL");
	/* A CRL is trusted only when our CA signed it. */
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)) != 0 ||
	    X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1) {
		X509_CRL_free(crl);
		return crl_why(err, errlen, path, "not signed by the device CA");
	}
	*out = crl;
	return 0;
}

int gw_crl_load(X509 *ca, const char *path, const struct gw_crl_meta *in_force,
		struct gw_crl_loaded *out, char *err, size_t errlen)
{
	char why[384];
	int ret;

	memset(out, 0, sizeof(*out));
	ret = crl_read(ca, path, &out->crl, err, errlen);
	if (!ret && (ret = gw_crl_meta_of(out->crl, &out->meta, why, sizeof(why))) < 0)
		snprintf(err, errlen, "%s: %s", path, why);
	if (!ret && (ret = gw_crl_order(in_force, &out->meta, why, sizeof(why))) < 0)
		snprintf(err, errlen, "%s: refused: %s", path, why);
	if (!ret) {
		out->store = gw_crl_store_new(ca, out->crl, err, errlen);
		if (!out->store)
			ret = -ENOMEM;
	}
	if (ret < 0)
		gw_crl_loaded_free(out);
	return ret;
}

void gw_crl_loaded_free(struct gw_crl_loaded *l)
{
	X509_CRL_free(l->crl);
	X509_STORE_free(l->store);
	l->crl = NULL;
	l->store = NULL;
}

X509_STORE *gw_crl_store_new(X509 *ca, X509_CRL *crl, char *err, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();

	if (!store || X509_STORE_add_cert(store, ca) != 1 || X509_STORE_add_crl(store, crl) != 1) {
		cm_ssl_why(err, errlen, "cannot build the trust store");
		X509_STORE_free(store);
		return NULL;
	}
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	return store;
}
