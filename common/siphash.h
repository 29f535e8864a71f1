/* SPDX-License-Identifier: MIT */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a keyed 64-bit hash for hash tables whose keys come from outside.
 * With a secret random key, nobody who does not know it can pick inputs that
 * collide, or learn anything from which bucket an input lands in, so a
 * table keyed on a session cookie stays constant-time in the secret and no
 * flood of chosen device ids can turn a bucket into a long list.
 */
#ifndef POSTERN_COMMON_SIPHASH_H
#define POSTERN_COMMON_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define CM_SIPHASH_KEY_LEN 16

/* The 64-bit SipHash-2-4 of len bytes of data under a 16-byte key; the
 * paper's output bytes are this value in little-endian order. */
uint64_t cm_siphash(const uint8_t key[CM_SIPHASH_KEY_LEN], const void *data, size_t len);

#endif
