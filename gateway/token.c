/* SPDX-License-Identifier: MIT */
/*
 * Secret tokens as they travel: a session cookie (webvpn) and a host-scan
 * token (sdesktop) are GW_COOKIE_LEN random bytes, sent as lower-case hex.
 * The parser takes exactly that and nothing else, so a token's text has one
 * spelling and a lookup never sees a near miss.
 */
#include <errno.h>

#include <openssl/crypto.h>

#include "gateway/token.h"

static const char hexdigits[] = "0123456789abcdef";

void gw_hex(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int gw_cookie_parse(const char *hex, size_t len, uint8_t out[GW_COOKIE_LEN])
{
	if (len != 2 * GW_COOKIE_LEN)
		return -EINVAL;
	for (size_t i = 0; i < GW_COOKIE_LEN; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool gw_cookie_wellformed(const char *cookie, size_t len)
{
	uint8_t tmp[GW_COOKIE_LEN];
	bool ok = gw_cookie_parse(cookie, len, tmp) == 0;

	OPENSSL_cleanse(tmp, sizeof(tmp));
	return ok;
}
