/* SPDX-License-Identifier: MIT */
/*
 * The TUN device (tundev.c): created with TUNSETIFF, configured through
 * rtnetlink (libnl-route).
 */
#ifndef POSTERN_GW_TUNDEV_H
#define POSTERN_GW_TUNDEV_H

#include <stdbool.h>
#include <stddef.h>


struct gw_tun {
	int fd;
	int ifindex;
	char name[16];
};

struct gw_worker;
struct gw_pool;

/* Opens (creating it if needed) the TUN device name; with multi_queue, one
 * more queue of it (IFF_MULTI_QUEUE). 0 or -errno (logged). */
int gw_tun_open(struct gw_tun *tun, const char *name, bool multi_queue);
/* Steers each packet to the queue of the worker that leases its destination
 * (n workers, pools shared by gw_pool_share). 0, or -errno with a message. */
/* Whether this kernel lets us load that program (before anything is set up). */
int gw_tun_steer_probe(char *err, size_t errlen);
int gw_tun_steer(struct gw_tun *tun, const struct gw_pool *pool4, const struct gw_pool *pool6,
		 unsigned int n, char *err, size_t errlen);
int gw_tun_configure(struct gw_tun *tun, const struct gw_worker *w);
void gw_tun_close(struct gw_tun *tun);

#endif
