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
#include <sys/stat.h>

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
 * How a process reaches files: directly, or through the operations it set
 * (a sandboxed process that has no filesystem asks another to open, stat
 * and resolve paths for it). Each returns 0 (open: the descriptor) or
 * -errno; resolved has PATH_MAX bytes.
 */
struct cm_file_ops {
	int (*open)(const char *path);
	int (*stat)(const char *path, struct stat *st);
	int (*realpath)(const char *path, char *resolved);
};
/* NULL: directly again. */
void cm_file_set_ops(const struct cm_file_ops *ops);
/*
 * Opens path read-only (O_NONBLOCK, O_NOCTTY, O_CLOEXEC), as every reader
 * here does. Returns the descriptor or -errno.
 */
int cm_file_open(const char *path);
/* stat(2): 0 or -errno. */
int cm_file_stat(const char *path, struct stat *st);
/* realpath(3) into a new string (free it), or NULL with errno set. */
char *cm_file_realpath(const char *path);

#endif
