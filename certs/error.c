/* SPDX-License-Identifier: MIT */
/* The failure messages of certs/error.h. */
#include "certs/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

/* The reason of the earliest queued libcrypto error, if any. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	return reason ? reason : (e ? "libcrypto error" : NULL);
}

static int err_put(char *err, size_t errlen, int ret, const char *reason,
		   const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static int err_put(char *err, size_t errlen, int ret, const char *reason,
		   const char *fmt, va_list ap)
{
	char msg[CA_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err && errlen && reason)
		snprintf(err, errlen, "%s (%s)", msg, reason);
	else if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	ERR_clear_error();
	return ret;
}

int ca_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ret = err_put(err, errlen, ret, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

int ca_err_ssl(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ret = err_put(err, errlen, ret, ssl_reason(), fmt, ap);
	va_end(ap);
	return ret;
}

int ca_err_sys(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	char msg[CA_MSG_MAX];
	va_list ap;

	/* Cut where the whole line would have been cut. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ca_err(err, errlen, ret, "%s: %s", msg, strerror(-ret));
}
