/* SPDX-License-Identifier: MIT */
/* The one-line failure reports of certs/error.h. */
#include "certs/error.h"

#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

static void error_print(const char *reason, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void error_print(const char *reason, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (reason)
		fprintf(stderr, "postern-ca: %s (%s)\n", msg, reason);
	else
		fprintf(stderr, "postern-ca: %s\n", msg);
	ERR_clear_error();
}

void ca_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_print(NULL, fmt, ap);
	va_end(ap);
}

void ca_error_ssl(const char *fmt, ...)
{
	/* The earliest queued error is the root cause; later ones only say
	 * which caller gave up. */
	unsigned long e = ERR_peek_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;
	va_list ap;

	va_start(ap, fmt);
	error_print(reason ? reason : (e ? "libcrypto error" : NULL), fmt, ap);
	va_end(ap);
}

