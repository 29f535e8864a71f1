/* SPDX-License-Identifier: MIT */
/*
 * The file broker (broker.c): the supervisor opens, for the sandboxed
 * network process, the files it re-reads, and hands over the descriptors.
 */
#ifndef POSTERN_GW_BROKER_H
#define POSTERN_GW_BROKER_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define GW_BROKER_DIRS 8

/* What the supervisor opens, and as whom. */
struct gw_broker_rules {
	char dir[GW_BROKER_DIRS][PATH_MAX];	/* resolved: files beneath, to read */
	size_t n_dirs;
	char append[PATH_MAX];			/* the audit log, as configured; "" none */
	uid_t uid;				/* opened with these file-system ids */
	gid_t gid;
};

/* Adds the directory of path (resolved; skipped when it does not exist). */
int gw_broker_rules_add(struct gw_broker_rules *r, const char *path);

/* Supervisor: answers one request on fd. 0, or -1 when the other end is
 * gone or broke the protocol (the caller stops listening). */
int gw_broker_serve(int fd, const struct gw_broker_rules *r);

/* Network process: from now on every file is opened through fd. */
void gw_broker_use(int fd);
/* Opens the audit log for appending, through the broker when in use. */
int gw_broker_open_append(const char *path);
/* The checks the supervisor makes on a path to read, for the tests:
 * 0 when it may be opened, else -errno. resolved gets the real path. */
int gw_broker_may_read(const struct gw_broker_rules *r, const char *path, char *resolved);

#endif
