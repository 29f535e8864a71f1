/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL's error queue into words (see sslerr.h). Only the first reason is
 * kept: it is the one that says what failed; the rest repeat it from the
 * callers' side.
 */
#include <stdio.h>

#include <openssl/err.h>

#include "common/sslerr.h"

void cm_ssl_why(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", buf);
	ERR_clear_error();
}
