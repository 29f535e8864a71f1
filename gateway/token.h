/* SPDX-License-Identifier: MIT */
/*
 * Secret tokens on the wire (token.c): session cookies and host-scan
 * tokens travel as lower-case hex.
 */
#ifndef POSTERN_GW_TOKEN_H
#define POSTERN_GW_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/model.h"

/* n bytes as 2n lower-case hex digits and a NUL. */
void gw_hex(const uint8_t *in, size_t n, char *out);
/* Exactly 2 * GW_COOKIE_LEN lower-case hex digits, else -EINVAL. */
int gw_cookie_parse(const char *hex, size_t len, uint8_t out[GW_COOKIE_LEN]);

/* Whether hex could be a token of ours (the parse, without keeping it). */
bool gw_cookie_wellformed(const char *hex, size_t len);

#endif
