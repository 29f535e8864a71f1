/* SPDX-License-Identifier: MIT */
/*
 * Dropping root, and trying files as another user (privs.c).
 */
#ifndef POSTERN_GW_PRIVS_H
#define POSTERN_GW_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/* privs.c: drop root for good (user NULL: only forbid new privileges);
 * empty_root: first make the root directory an empty one (below) */
int gw_privs_drop(const char *user, bool empty_root);
/*
 * privs.c: the filesystem's place of Landlock on a kernel without it: the
 * root directory becomes a fresh one, removed once the process stands in
 * it, so that no path resolves and nothing can be created there. Needs
 * CAP_SYS_CHROOT (root, before the drop). gw_privs_empty_rooted() says
 * whether it was done.
 */
int gw_privs_empty_root(void);
bool gw_privs_empty_rooted(void);
/* privs.c: keep uid 0 but lose every capability for good (the key holder:
 * another identity than the workers' user, with no power over anything) */
int gw_privs_shed(void);
/* privs.c: the supervisor's capabilities, limited for good to those that set
 * up a network process and serve its file broker (the list is in privs.c) */
int gw_privs_limit(void);
/* One file to try as another user: read it, or append to it (when it does
 * not exist: create it in its directory). */
struct gw_access {
	const char *path;
	bool append;
	int err;				/* out: 0 or -errno */
	size_t blocked_at;			/* out: on -EACCES, the length of the
						 * path's directory that user cannot
						 * search; 0 when it is the file itself */
};
/* Tries each file as user, in a child process that becomes user. 0 with
 * the results in a[], or -errno when the child could not run (-EPERM: we
 * are neither root nor user). */
int gw_privs_try_as(const char *user, struct gw_access *a, size_t n);

#endif
