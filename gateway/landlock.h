/* SPDX-License-Identifier: MIT */
/*
 * Landlock: the filesystem, TCP and signals a sandboxed process keeps
 * (landlock.c).
 */
#ifndef POSTERN_GW_LANDLOCK_H
#define POSTERN_GW_LANDLOCK_H

#include <stddef.h>

/*
 * What stays reachable: at most the removal of files in one directory (the
 * network process's control socket). Everything else of the filesystem is
 * gone (its files come from the supervisor's broker), and so are new TCP
 * binds and connections, signals to processes outside the sandbox and
 * abstract Unix sockets outside it.
 */
struct gw_landlock {
	const char *remove;			/* a directory: remove files; NULL: none */
};

/* Directory of path (a copy in buf, or "."), for the rules above; NULL
 * for no path. */
const char *gw_landlock_dir(const char *path, char *buf, size_t len);

/*
 * The kernel's Landlock ABI version, 0 when it has none. Also 0 when the
 * environment has POSTERN_NO_LANDLOCK=1: to run (and test) the empty-root
 * fallback (privs.h) on a kernel that has Landlock.
 */
int gw_landlock_abi(void);

/*
 * Restricts the calling thread (and every thread or process it creates
 * afterwards) to rules. Returns the kernel's Landlock ABI version it used
 * (> 0), 0 when the kernel has no Landlock (nothing done), or -errno.
 */
int gw_landlock_enter(const struct gw_landlock *rules);

#endif
