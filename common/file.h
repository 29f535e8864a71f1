/* SPDX-License-Identifier: MIT */
/*
 * Reading a whole file that someone else may have put in our way: a config,
 * a policy, an MDM export, a certificate, a facts file, a /proc or /sys
 * file. Only regular files are read (/proc and /sys files are regular), so
 * that a FIFO cannot hang the reader and a device cannot feed it without
 * end, and never more than the caller's limit.
 */
#ifndef POSTERN_COMMON_FILE_H
#define POSTERN_COMMON_FILE_H

#include <stddef.h>

/*
 * Reads path into a malloc'd, NUL-terminated *buf of *len bytes (the NUL not
 * counted). Returns 0, -EISDIR for a directory, -EINVAL for anything else
 * that is not a regular file, -EFBIG when it holds more than max bytes,
 * -ENOMEM, or the errno of open or read. Never prints.
 */
int cm_file_read(const char *path, size_t max, char **buf, size_t *len);
/*
 * The same, and on error writes what went wrong into why, in the words a
 * loader puts after the file's name: "cannot open: No such file or
 * directory", "not a regular file", "cannot read: File too large".
 */
int cm_file_read_why(const char *path, size_t max, char **buf, size_t *len, char *why,
		     size_t whylen);

/*
 * Opens path read-only (O_NONBLOCK, O_NOCTTY, O_CLOEXEC), as every reader
 * here does: directly, or through the opener a process set (a sandboxed
 * process that has no filesystem asks another to open for it). Returns the
 * descriptor or -errno.
 */
int cm_file_open(const char *path);
/* The opener: returns a descriptor or -errno; NULL opens directly again. */
void cm_file_set_opener(int (*opener)(const char *path));

#endif
