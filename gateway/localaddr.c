/* SPDX-License-Identifier: MIT */
/*
 * The gateway's own addresses (see localaddr.h), read from the kernel's
 * local routing table with an rtnetlink dump (libmnl) and read again when a
 * subscribed socket announces that an address came or went.
 *
 * Two sockets: the subscription lives on its own, so that a dump's replies
 * are never interleaved with notices. The subscription is made before the
 * first dump, so a change that races the dump still triggers a new one; a
 * notice queue that overflowed (ENOBUFS) triggers one too. Every attribute
 * is validated for type and length before it is read, unknown ones are
 * skipped, and the dump's replies must carry its sequence number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "gateway/localaddr.h"

struct local_dump {
	struct conf_cidr *nets;
	size_t n, cap;
	int err;
};

/* The route types the kernel delivers to the host itself. */
static bool local_type(unsigned char type)
{
	return type == RTN_LOCAL || type == RTN_BROADCAST || type == RTN_ANYCAST ||
	       type == RTN_MULTICAST;
}

static int local_attr_dst(const struct nlattr *a, void *data)
{
	const struct nlattr **dst = data;

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;	/* newer than us: skip it */
	if (mnl_attr_get_type(a) == RTA_DST)
		*dst = a;
	return MNL_CB_OK;
}

static int local_add(struct local_dump *d, int family, unsigned int prefix, const void *addr,
		     size_t len)
{
	struct conf_cidr *c;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct conf_cidr *nets = realloc(d->nets, cap * sizeof(*nets));

		if (!nets)
			return -ENOMEM;
		d->nets = nets;
		d->cap = cap;
	}
	c = &d->nets[d->n++];
	memset(c, 0, sizeof(*c));
	c->family = family;
	c->prefix = prefix;
	memcpy(c->addr.bytes, addr, len);
	return 0;
}

static int local_route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *dst = NULL;
	struct local_dump *d = data;
	size_t len;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) ||
	    rtm->rtm_table != RT_TABLE_LOCAL || !local_type(rtm->rtm_type))
		return MNL_CB_OK;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return MNL_CB_OK;
	len = rtm->rtm_family == AF_INET ? 4 : 16;
	if (rtm->rtm_dst_len > len * 8)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), local_attr_dst, &dst);
	if (!dst || mnl_attr_get_payload_len(dst) != len)
		return MNL_CB_OK;
	d->err = local_add(d, rtm->rtm_family, rtm->rtm_dst_len, mnl_attr_get_payload(dst), len);
	return d->err < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int local_dump_family(struct mnl_socket *nl, int family, struct local_dump *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	unsigned int seq = (unsigned int)time(NULL) ^ (unsigned int)family;
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_table = RT_TABLE_LOCAL;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, local_route_cb, d);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return d->err < 0 ? d->err : -errno;
	return 0;
}

int gw_local_dump(struct conf_cidr **nets, size_t *n, char *err, size_t errlen)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	struct local_dump d = { 0 };
	int ret = -errno;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		snprintf(err, errlen, "rtnetlink: %s", strerror(-ret));
		goto out;
	}
	ret = local_dump_family(nl, AF_INET, &d);
	if (ret == 0)
		ret = local_dump_family(nl, AF_INET6, &d);
	/* A kernel without IPv6 answers the second dump with an error. */
	if (ret == -EAFNOSUPPORT || ret == -EOPNOTSUPP)
		ret = 0;
	if (ret < 0) {
		snprintf(err, errlen, "reading the local routing table: %s", strerror(-ret));
		goto out;
	}
	free(*nets);
	*nets = d.nets;
	*n = d.n;
	d.nets = NULL;
out:
	free(d.nets);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

int gw_local_open(struct gw_local *l, char *err, size_t errlen)
{
	unsigned int groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;

	memset(l, 0, sizeof(*l));
	l->watch = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!l->watch || mnl_socket_bind(l->watch, groups, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "subscribing to address changes: %s", strerror(errno));
		gw_local_close(l);
		return -EIO;
	}
	if (gw_local_dump(&l->nets, &l->n, err, errlen) < 0) {
		gw_local_close(l);
		return -EIO;
	}
	l->generation++;
	return 0;
}

int gw_local_fd(const struct gw_local *l)
{
	return l->watch ? mnl_socket_get_fd(l->watch) : -1;
}

int gw_local_event(struct gw_local *l, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	bool changed = false;

	/* Bounded: a storm of notices is one re-read, not a loop without end. */
	for (int i = 0; i < 256; i++) {
		ssize_t n = mnl_socket_recvfrom(l->watch, buf, sizeof(buf));

		if (n > 0 || (n < 0 && errno == ENOBUFS)) {
			changed = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (!changed)
		return 0;
	if (gw_local_dump(&l->nets, &l->n, err, errlen) < 0)
		return -EIO;
	l->generation++;
	return 1;
}

void gw_local_close(struct gw_local *l)
{
	if (l->watch)
		mnl_socket_close(l->watch);
	free(l->nets);
	memset(l, 0, sizeof(*l));
}
