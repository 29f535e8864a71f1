/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for certificate signing requests (certs/csr.c), which
 * come from a device or its MDM. ca_csr_parse must take any bytes without
 * crashing and say why it refused them; what it takes, ca_csr_key must
 * either refuse with a reason or return a key of an accepted type and size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certs/ca.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

static void fuzz_check_key(EVP_PKEY *key)
{
	int bits = EVP_PKEY_get_bits(key);

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		FUZZ_ASSERT(bits >= CA_CSR_RSA_BITS_MIN && bits <= CA_CSR_RSA_BITS_MAX);
	else
		FUZZ_ASSERT(EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && (bits == 256 || bits == 384));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CA_ERR_MAX];
	X509_REQ *req = NULL;
	EVP_PKEY *key = NULL;

	err[0] = '\0';
	if (ca_csr_parse(data, size, &req, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0' && req == NULL);
		return 0;
	}
	err[0] = '\0';
	if (ca_csr_key(req, &key, err, sizeof(err)) < 0)
		FUZZ_ASSERT(err[0] != '\0' && key == NULL);
	else
		fuzz_check_key(key);
	EVP_PKEY_free(key);
	X509_REQ_free(req);
	return 0;
}
