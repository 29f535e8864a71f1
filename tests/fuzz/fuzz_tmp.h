/* SPDX-License-Identifier: MIT */
/*
 * A scratch directory for the fuzz targets whose parser only takes a path
 * (the configuration and policy loaders), made in /dev/shm when that is a
 * writable directory, else in $TMPDIR or /tmp. The file is rewritten for
 * every input: on a disk file system (ext4 flushes a file truncated to zero
 * when it is closed) that cost more than the parse itself, and held such a
 * target to about a thousand executions a second.
 */
#ifndef POSTERN_TESTS_FUZZ_TMP_H
#define POSTERN_TESTS_FUZZ_TMP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define FUZZ_TMP_MAX	256

/* Makes the directory ("postern-fuzz-NAME.XXXXXX") into dir, or aborts. */
static inline void fuzz_tmpdir(char dir[FUZZ_TMP_MAX], const char *name)
{
	const char *env = getenv("TMPDIR"), *base = "/tmp";
	int n;

	if (access("/dev/shm", W_OK | X_OK) == 0)
		base = "/dev/shm";
	else if (env && env[0] == '/')
		base = env;
	n = snprintf(dir, FUZZ_TMP_MAX, "%s/postern-fuzz-%s.XXXXXX", base, name);
	if (n < 0 || n >= FUZZ_TMP_MAX || !mkdtemp(dir))
		abort();
}

/* Replaces the file's contents: written first, then cut to size, so that it
 * is never truncated to zero (see above) unless the input is empty. */
static inline void fuzz_tmp_write(int fd, const void *data, size_t size)
{
	if (pwrite(fd, data, size, 0) != (ssize_t)size || ftruncate(fd, (off_t)size) != 0)
		abort();
}

#endif
