/* SPDX-License-Identifier: MIT */
/*
 * The TUN device and its kernel configuration. The device is created with
 * the TUNSETIFF ioctl; its MTU, state and addresses are set through rtnetlink
 * (libnl-route), never by running ip(8). The gateway's own address in each
 * pool (the pool's index 1) goes on the device with the pool's prefix length,
 * so the kernel's connected route sends every leased address to the TUN and
 * no per-session route is needed: after start-up the data path needs no
 * privilege at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/if_addr.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/pool.h"
#include "gateway/tundev.h"

int gw_tun_open(struct gw_tun *tun, const char *name, bool multi_queue)
{
	struct ifreq ifr;
	int fd;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi_queue ? IFF_MULTI_QUEUE : 0);
	if (snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name) >= (int)sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		gw_err("cannot open /dev/net/tun: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		gw_err("cannot create TUN device %s: %s", name, strerror(e));
		close(fd);
		return -e;
	}
	tun->fd = fd;
	snprintf(tun->name, sizeof(tun->name), "%s", ifr.ifr_name);
	return 0;
}

/*
 * Steering: with one TUN queue per worker, the kernel picks the queue a
 * packet for the clients is read from. Left to itself it follows flows,
 * which need not be where the destination's session lives; this program
 * (eBPF, attached with TUNSETSTEERINGEBPF) picks the worker that leases
 * the destination instead: worker i leases the pool indexes with
 * index % n == i (gw_pool_share), and the index is the destination minus
 * the pool's network address, in its last 32 bits for both families. A
 * packet to no pool address goes to queue 0, whose worker drops it.
 *
 *   r6 = r1 (the skb, as LD_ABS wants); r0 = packet[0] >> 4
 *   IPv4: r0 = (ntohl(packet[16..19]) - base4) % n
 *   IPv6: r0 = (ntohl(packet[36..39]) - base6) % n
 */
static int tun_steer_prog(uint32_t base4, uint32_t base6, uint32_t n)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 6, .src_reg = 1 },
		{ .code = BPF_LD | BPF_ABS | BPF_B, .imm = 0 },
		{ .code = BPF_ALU | BPF_RSH | BPF_K, .dst_reg = 0, .imm = 4 },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 3, .imm = 4 },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 6, .imm = 6 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
		{ .code = BPF_LD | BPF_ABS | BPF_W, .imm = 16 },
		{ .code = BPF_ALU | BPF_SUB | BPF_K, .dst_reg = 0, .imm = (int32_t)base4 },
		{ .code = BPF_ALU | BPF_MOD | BPF_K, .dst_reg = 0, .imm = (int32_t)n },
		{ .code = BPF_JMP | BPF_EXIT },
		{ .code = BPF_LD | BPF_ABS | BPF_W, .imm = 36 },
		{ .code = BPF_ALU | BPF_SUB | BPF_K, .dst_reg = 0, .imm = (int32_t)base6 },
		{ .code = BPF_ALU | BPF_MOD | BPF_K, .dst_reg = 0, .imm = (int32_t)n },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static const char license[] = "MIT";
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	attr.license = (uint64_t)(uintptr_t)license;
	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

static uint32_t tun_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int gw_tun_steer_probe(char *err, size_t errlen)
{
	int prog = tun_steer_prog(0, 0, 2), e;

	if (prog < 0) {
		e = errno;
		snprintf(err, errlen, "cannot load the TUN steering program (bpf: %s)", strerror(e));
		return -e;
	}
	close(prog);
	return 0;
}

int gw_tun_steer(struct gw_tun *tun, const struct gw_pool *pool4, const struct gw_pool *pool6,
		 unsigned int n, char *err, size_t errlen)
{
	uint32_t base6 = pool6 ? tun_be32(pool6->net.addr.bytes + 12) : 0;
	int prog = tun_steer_prog(tun_be32(pool4->net.addr.bytes), base6, n), e;

	if (prog < 0) {
		e = errno;
		snprintf(err, errlen, "cannot load the TUN steering program (bpf: %s)", strerror(e));
		return -e;
	}
	if (ioctl(tun->fd, TUNSETSTEERINGEBPF, &prog) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot attach the TUN steering program: %s", strerror(e));
		close(prog);
		return -e;
	}
	close(prog);	/* the device holds its own reference */
	return 0;
}

void gw_tun_close(struct gw_tun *tun)
{
	if (tun->fd >= 0)
		close(tun->fd);
	tun->fd = -1;
}

/* Sets the MTU and brings the link up in one RTM_NEWLINK change. */
static int tun_link_up(struct nl_sock *sk, struct gw_tun *tun, unsigned int mtu)
{
	struct rtnl_link *link = NULL, *change = NULL;
	int err;

	err = rtnl_link_get_kernel(sk, 0, tun->name, &link);
	if (err < 0)
		goto out;
	tun->ifindex = rtnl_link_get_ifindex(link);
	change = rtnl_link_alloc();
	if (!change) {
		err = -NLE_NOMEM;
		goto out;
	}
	rtnl_link_set_mtu(change, mtu);
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(sk, link, change, 0);
out:
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err;
}

/* Puts the pool's gateway address on the device with the pool's prefix. */
static int tun_add_addr(struct nl_sock *sk, const struct gw_tun *tun, const struct gw_pool *pool)
{
	uint8_t bytes[16];
	size_t blen = pool->net.family == AF_INET ? 4 : 16;
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int err = -NLE_NOMEM;

	gw_pool_addr(pool, GW_POOL_GATEWAY_INDEX, bytes);
	local = nl_addr_build(pool->net.family, bytes, blen);
	if (!addr || !local)
		goto out;
	nl_addr_set_prefixlen(local, (int)pool->net.prefix);
	rtnl_addr_set_ifindex(addr, tun->ifindex);
	rtnl_addr_set_family(addr, pool->net.family);
	err = rtnl_addr_set_local(addr, local);
	if (err < 0)
		goto out;
	/* A point-to-point TUN has no neighbours to detect duplicates with. */
	if (pool->net.family == AF_INET6)
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
	err = rtnl_addr_add(sk, addr, NLM_F_REPLACE);
out:
	nl_addr_put(local);
	rtnl_addr_put(addr);
	return err;
}

int gw_tun_configure(struct gw_tun *tun, const struct gw_worker *w)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err >= 0)
		err = tun_link_up(sk, tun, w->pol.conf->mtu);
	if (err >= 0)
		err = tun_add_addr(sk, tun, &w->dp.pool4);
	if (err >= 0 && w->dp.have_pool6)
		err = tun_add_addr(sk, tun, &w->dp.pool6);
	if (err < 0)
		gw_err("configuring %s through netlink: %s", tun->name, nl_geterror(err));
	nl_socket_free(sk);
	return err < 0 ? -EIO : 0;
}
