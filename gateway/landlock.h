/* SPDX-License-Identifier: MIT */
/*
 * Landlock: the filesystem, TCP and signals a sandboxed process keeps
 * (landlock.c).
 */
#ifndef POSTERN_GW_LANDLOCK_H
#define POSTERN_GW_LANDLOCK_H

#include <stddef.h>

#define GW_LANDLOCK_READ_MAX 8

/*
 * What stays reachable; everything else of the filesystem is gone, and so
 * are new TCP binds and connections, signals to processes outside the
 * sandbox and abstract Unix sockets outside it. The directories are whole
 * trees, since a file replaced by rename (a CRL published atomically, a
 * rotated log) is a new file a rule on the old one would not cover.
 */
struct gw_landlock {
	const char *read[GW_LANDLOCK_READ_MAX];	/* directories: read files, list */
	size_t n_read;
	const char *append;			/* a directory: write and create files */
	const char *remove;			/* a directory: remove files */
};

/* Directory of path (a copy in buf, or "."), for the rules above; NULL
 * for no path. */
const char *gw_landlock_dir(const char *path, char *buf, size_t len);

/*
 * Restricts the calling thread (and every thread or process it creates
 * afterwards) to rules. Returns the kernel's Landlock ABI version it used
 * (> 0), 0 when the kernel has no Landlock (nothing done), or -errno.
 */
int gw_landlock_enter(const struct gw_landlock *rules);

#endif
