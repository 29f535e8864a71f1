/* SPDX-License-Identifier: MIT */
/*
 * The bounded file reader (see common/file.h). The file is opened with
 * O_NONBLOCK so that a FIFO cannot block the open, checked with fstat on the
 * descriptor (no race with a rename), and read until EOF rather than for
 * st_size bytes, because /proc files say they are empty; one byte more than
 * max shows that the file is too big.
 */
#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_CHUNK 4096

static const struct cm_file_ops *file_ops;

void cm_file_set_ops(const struct cm_file_ops *ops)
{
	file_ops = ops;
}

int cm_file_open(const char *path)
{
	int fd;

	if (file_ops)
		return file_ops->open(path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

int cm_file_stat(const char *path, struct stat *st)
{
	if (file_ops)
		return file_ops->stat(path, st);
	return stat(path, st) < 0 ? -errno : 0;
}

char *cm_file_realpath(const char *path)
{
	char buf[PATH_MAX], *out;
	int err;

	if (!file_ops)
		return realpath(path, NULL);
	err = file_ops->realpath(path, buf);
	if (err < 0) {
		errno = -err;
		return NULL;
	}
	out = strdup(buf);
	return out;
}

static int file_grow(char **buf, size_t *cap, size_t max)
{
	size_t want = *cap * 2 > max + 2 ? max + 2 : *cap * 2;
	char *bigger = realloc(*buf, want);

	if (!bigger)
		return -ENOMEM;
	*buf = bigger;
	*cap = want;
	return 0;
}

/* Reads until EOF, or until one byte more than max shows the file is too big. */
static int file_read_fd(int fd, size_t max, char **out, size_t *outlen)
{
	size_t cap = max + 2 < FILE_CHUNK ? max + 2 : FILE_CHUNK, len = 0;
	char *buf = malloc(cap);
	int ret = buf ? 0 : -ENOMEM;
	ssize_t n = 1;

	while (!ret && n > 0 && len <= max) {
		if (len + 1 == cap)
			ret = file_grow(&buf, &cap, max);
		if (ret)
			break;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n < 0)
			ret = -errno;
		else
			len += (size_t)n;
	}
	if (!ret && len > max)
		ret = -EFBIG;
	if (ret) {
		free(buf);
		return ret;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* Reads path; *opened says whether the open succeeded, so that an error can
 * be put down to the open or to the read. */
static int file_read_step(const char *path, size_t max, char **buf, size_t *len, bool *opened)
{
	int fd = cm_file_open(path);
	struct stat st;
	int ret;

	*opened = fd >= 0;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		ret = -errno;
	else if (S_ISDIR(st.st_mode))
		ret = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		ret = -EINVAL;
	else
		ret = file_read_fd(fd, max, buf, len);
	close(fd);
	return ret;
}

int cm_file_read(const char *path, size_t max, char **buf, size_t *len)
{
	bool opened;

	return file_read_step(path, max, buf, len, &opened);
}

int cm_file_read_why(const char *path, size_t max, char **buf, size_t *len, char *why,
		     size_t whylen)
{
	bool opened;
	int ret = file_read_step(path, max, buf, len, &opened);

	if (!ret || !why || !whylen)
		return ret;
	if (ret == -EISDIR || ret == -EINVAL)
		snprintf(why, whylen, "not a regular file");
	else
		snprintf(why, whylen, "cannot %s: %s", opened ? "read" : "open", strerror(-ret));
	return ret;
}
