/* SPDX-License-Identifier: MIT */
/*
 * The device CRL as the gateway holds it: what is known about the one in
 * force (its CRL number, lastUpdate, nextUpdate and digest, which status
 * and the metrics show), and the one rule that decides whether a CRL read
 * from the file may replace it. A CRL is only ever replaced by a newer one:
 * a higher CRL number, or, when either has none, a later lastUpdate. An
 * older CRL, validly signed as it is, would un-revoke every certificate
 * revoked since it was issued, so copying one back (by mistake, from a
 * backup, or by someone who can write the file but holds no CA key) is
 * refused; and a CA never issues two different CRLs under one number, so
 * that is refused too. The very same CRL read again is fine.
 */
#ifndef POSTERN_GW_CRL_H
#define POSTERN_GW_CRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#define GW_CRL_NUMBER_MAX	20	/* octets (RFC 5280, 5.2.3) */
#define GW_CRL_NUMBER_DEC	50	/* its decimal digits and a NUL */

struct gw_crl_meta {
	bool loaded;				/* false: no CRL yet (nothing to compare with) */
	bool have_number;
	uint8_t number[GW_CRL_NUMBER_MAX];	/* big-endian, without leading zero octets */
	size_t number_len;
	char number_dec[GW_CRL_NUMBER_DEC];	/* for people; "" without a number */
	time_t last_update;
	time_t next_update;			/* 0: the CRL has none */
	uint8_t sha256[32];			/* of its DER encoding */
};

/* What a CRL says about itself. 0, or -EINVAL with the reason in err (a
 * negative or over-long CRL number, a missing or unreadable lastUpdate). */
int gw_crl_meta_of(const X509_CRL *crl, struct gw_crl_meta *m, char *err, size_t errlen);

/*
 * May cand replace in_force (NULL or not loaded: nothing in force)? 0 when
 * it is newer or the very same CRL; -ESTALE when it is older, or has the
 * same number (or lastUpdate) with other contents, with both numbers (or
 * times) in err.
 */
int gw_crl_order(const struct gw_crl_meta *in_force, const struct gw_crl_meta *cand, char *err,
		 size_t errlen);

/* The same CRL (same DER bytes). */
bool gw_crl_same(const struct gw_crl_meta *a, const struct gw_crl_meta *b);

/* The CRL number as an unsigned 64-bit value, UINT64_MAX when it does not
 * fit, 0 without one (for the metrics). */
uint64_t gw_crl_number_u64(const struct gw_crl_meta *m);

/* An ASN1_TIME as seconds since the epoch; 0 for NULL or a bad time. */
time_t gw_asn1_time(const ASN1_TIME *t);

/* A CRL read from its file, checked and ready to be put in force. */
struct gw_crl_loaded {
	X509_CRL *crl;
	X509_STORE *store;			/* the CA and this CRL, CRL checks on */
	struct gw_crl_meta meta;
};

/*
 * Reads the CRL at path: a PEM CRL issued and signed by ca, whose numbers
 * can be read, that gw_crl_order lets replace in_force. Every way a CRL
 * gets into force (start, the file watch, reload) goes through here. 0, or
 * a negative errno with the reason in err: -ESTALE for an older CRL.
 */
int gw_crl_load(X509 *ca, const char *path, const struct gw_crl_meta *in_force,
		struct gw_crl_loaded *out, char *err, size_t errlen);
void gw_crl_loaded_free(struct gw_crl_loaded *l);
/* A trust store for device certificates: ca and crl, with CRL checking on.
 * NULL with the reason in err. */
X509_STORE *gw_crl_store_new(X509 *ca, X509_CRL *crl, char *err, size_t errlen);

#endif
