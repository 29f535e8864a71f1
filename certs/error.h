/* SPDX-License-Identifier: MIT */
/*
 * The words of a failure in certs/. A function that can fail returns 0 or
 * a negative errno; where a person needs to know why, its caller passes a
 * buffer (char *err, size_t errlen) and the function writes one line there,
 * naming the file or the step, before it returns. The outcomes a caller
 * words itself (-EEXIST from a save, -ENOENT for an unknown device) leave
 * err untouched. Library code never prints: postern-ca's command files do.
 */
#ifndef POSTERN_CA_ERROR_H
#define POSTERN_CA_ERROR_H

#include <stddef.h>

/* A message is cut at CA_MSG_MAX - 1 bytes; an err buffer of CA_ERR_MAX
 * bytes holds any message and the reason libcrypto gave. */
#define CA_MSG_MAX	512
#define CA_ERR_MAX	768

/* Writes the message into err and returns ret, so that a failure reads
 * `return ca_err(err, errlen, -EIO, "cannot ...")`. err may be NULL (with
 * errlen 0): the words are not wanted. Clears libcrypto's error queue, so
 * that a stale entry never decorates a later, unrelated message. */
int ca_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same, followed by " (REASON)", the reason libcrypto queued first:
 * the root cause (later entries only say which caller gave up). */
int ca_err_ssl(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The same, followed by ": " and the text of the errno -ret, for a failed
 * system call: `return ca_err_sys(err, errlen, -errno, "cannot open %s",
 * path)`. */
int ca_err_sys(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
