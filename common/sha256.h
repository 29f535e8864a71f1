/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 in lower-case hex, as the audit log, `posternctl status` and
 * `policy-diff` name the exact bytes of a policy or an MDM inventory that a
 * decision was made under (`sha256sum FILE` prints the same).
 */
#ifndef POSTERN_COMMON_SHA256_H
#define POSTERN_COMMON_SHA256_H

#include <stddef.h>

#define CM_SHA256_HEX_SIZE 65	/* 64 hex digits and the NUL */

/* Hashes len bytes of buf into hex. 0, or -EIO when libcrypto fails. */
int cm_sha256_hex(const void *buf, size_t len, char hex[CM_SHA256_HEX_SIZE]);

#endif
