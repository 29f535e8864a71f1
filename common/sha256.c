/* SPDX-License-Identifier: MIT */
/* SHA-256 hex (see common/sha256.h), on libcrypto's one-shot digest. */
#include "common/sha256.h"

#include <errno.h>
#include <stdio.h>

#include <openssl/evp.h>

int cm_sha256_hex(const void *buf, size_t len, char hex[CM_SHA256_HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return -EIO;
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
