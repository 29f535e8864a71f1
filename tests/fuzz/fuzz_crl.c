/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what the gateway reads from a CRL (gateway/crl.c).
 * Each input is taken as a DER CRL; when OpenSSL decodes it, gw_crl_meta_of
 * must either fail with a reason or describe it within its bounds (a number
 * of at most 20 octets without a leading zero octet, its decimal form
 * matching, a lastUpdate). Then gw_crl_order must be a strict order on
 * what it read: a CRL may always replace nothing, may replace itself, and
 * of two different CRLs at most one may replace the other.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "gateway/crl.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

/* A CRL in force to compare with: number 5, 2026-11-27T10:00:00Z. */
static struct gw_crl_meta fuzz_in_force(void)
{
	struct gw_crl_meta m;

	memset(&m, 0, sizeof(m));
	m.loaded = m.have_number = true;
	m.number[0] = 5;
	m.number_len = 1;
	snprintf(m.number_dec, sizeof(m.number_dec), "5");
	m.last_update = 1795773600;
	memset(m.sha256, 0x55, sizeof(m.sha256));
	return m;
}

static void fuzz_check_meta(const struct gw_crl_meta *m)
{
	FUZZ_ASSERT(m->loaded && m->last_update != 0);
	FUZZ_ASSERT(m->number_len <= GW_CRL_NUMBER_MAX);
	if (!m->have_number) {
		FUZZ_ASSERT(m->number_len == 0 && m->number_dec[0] == '\0');
		return;
	}
	FUZZ_ASSERT(m->number_len == 0 || m->number[0] != 0);
	FUZZ_ASSERT(m->number_dec[0] >= '0' && m->number_dec[0] <= '9');
	FUZZ_ASSERT(strlen(m->number_dec) < GW_CRL_NUMBER_DEC);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)size);
	struct gw_crl_meta m, cur = fuzz_in_force();
	char err[512];
	int fwd, back;

	if (!crl)
		return 0;
	err[0] = '\0';
	if (gw_crl_meta_of(crl, &m, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		X509_CRL_free(crl);
		return 0;
	}
	fuzz_check_meta(&m);
	FUZZ_ASSERT(gw_crl_order(NULL, &m, err, sizeof(err)) == 0);
	FUZZ_ASSERT(gw_crl_order(&m, &m, err, sizeof(err)) == 0);
	fwd = gw_crl_order(&cur, &m, err, sizeof(err));
	back = gw_crl_order(&m, &cur, err, sizeof(err));
	FUZZ_ASSERT(fwd == 0 || fwd == -ESTALE);
	FUZZ_ASSERT(back == 0 || back == -ESTALE);
	FUZZ_ASSERT(fwd != 0 || back != 0);	/* different digests: not both ways */
	X509_CRL_free(crl);
	return 0;
}
