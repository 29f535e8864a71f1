/* SPDX-License-Identifier: MIT */
/*
 * The TUN device (tundev.c): created with TUNSETIFF, configured through
 * rtnetlink (libnl-route).
 */
#ifndef POSTERN_GW_TUNDEV_H
#define POSTERN_GW_TUNDEV_H



struct gw_tun {
	int fd;
	int ifindex;
	char name[16];
};

struct gw_worker;

int gw_tun_open(struct gw_tun *tun, const char *name);
int gw_tun_configure(struct gw_tun *tun, const struct gw_worker *w);
void gw_tun_close(struct gw_tun *tun);

#endif
