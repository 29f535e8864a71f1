/* SPDX-License-Identifier: MIT */
/*
 * How certs/ reports an operational failure (I/O, OpenSSL, SQLite): one
 * line on stderr, where it is found.
 */
#ifndef POSTERN_CA_ERROR_H
#define POSTERN_CA_ERROR_H

/* Print "postern-ca: MESSAGE" as one line on stderr; ca_error_ssl appends
 * the reason libcrypto queued. Both clear the libcrypto error queue, so a
 * stale entry never decorates a later, unrelated message. */
void ca_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ca_error_ssl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
