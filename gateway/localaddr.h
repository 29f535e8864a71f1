/* SPDX-License-Identifier: MIT */
/*
 * The gateway's own addresses, on every interface and in both families,
 * followed through netlink as they come and go. The packet filter keeps
 * tunnel traffic away from them: a device allowed into a network that holds
 * the gateway's inside address must still not reach the gateway's SSH, its
 * metrics port or anything else it listens on (see filter.h).
 *
 * What counts as "own" is what the kernel would deliver locally: every
 * entry of the local routing table (local, broadcast, anycast, multicast),
 * so 127.0.0.0/8, directed broadcasts and IPv6 subnet-router anycast
 * addresses are covered as well as the configured addresses.
 */
#ifndef POSTERN_GW_LOCALADDR_H
#define POSTERN_GW_LOCALADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

struct mnl_socket;

struct gw_local {
	struct mnl_socket *watch;	/* subscribed to address changes */
	struct conf_cidr *nets;		/* the local table's entries */
	size_t n;
	unsigned int generation;	/* bumped by every successful dump */
};

/*
 * Subscribes to address changes, then reads the local table. 0, or -errno
 * with the reason in err.
 */
int gw_local_open(struct gw_local *l, char *err, size_t errlen);
/* The descriptor to poll for changes, or -1. */
int gw_local_fd(const struct gw_local *l);
/*
 * Drains the change notices and, when there were any (or the kernel dropped
 * some), reads the table again. 0 when nothing changed, 1 when it was read
 * again, -errno when that failed (the previous list stays in force).
 */
int gw_local_event(struct gw_local *l, char *err, size_t errlen);
void gw_local_close(struct gw_local *l);

/* Reads the local routing table once, into a new array. 0 or -errno. */
int gw_local_dump(struct conf_cidr **nets, size_t *n, char *err, size_t errlen);

#endif
