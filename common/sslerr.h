/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL's reason for a failure, in the caller's message buffer: the one
 * way every part turns the library's error queue into words.
 */
#ifndef POSTERN_CM_SSLERR_H
#define POSTERN_CM_SSLERR_H

#include <stddef.h>

/* "WHAT: OpenSSL's first reason", or just WHAT when the queue is empty;
 * the queue is cleared. */
void cm_ssl_why(char *err, size_t errlen, const char *what);

#endif
