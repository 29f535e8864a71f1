/* SPDX-License-Identifier: MIT */
/*
 * The worker's UDP socket. Reading: recvmmsg of up to UDP_BATCH datagrams
 * per call, at most UDP_ROUNDS calls per readiness event so that the TLS
 * connections and the TUN get their turn too. Writing: each datagram the
 * DTLS channel sends (a record with one tunnel packet, a DPD echo, a
 * handshake flight) is copied into a queue that leaves with one sendmmsg
 * per loop turn, so a burst of packets from the TUN costs one system call
 * per UDP_BATCH datagrams instead of one each. A datagram larger than a
 * queue slot (a handshake flight can be) is sent at once. UDP is best
 * effort: a datagram the kernel refuses is counted, never retried.
 *
 * Socket buffers: a burst from a fast client must not overflow the
 * receive buffer between two turns of the loop (each lost datagram is a
 * lost tunnel packet, and TCP inside the tunnel halves its window), so both
 * are raised to UDP_SOCKBUF with the *FORCE options while the daemon still
 * runs as root, and to what net.core.[rw]mem_max allows otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/dtls.h"
#include "gateway/udp.h"

#define UDP_BATCH	32		/* datagrams per recvmmsg or sendmmsg */
#define UDP_ROUNDS	8		/* recvmmsg calls per readiness event */
#define UDP_RX_MAX	(9000 + 64)	/* the largest datagram of a 9000-byte path */
#define UDP_TX_SLOT	2048		/* queued datagrams; a larger one goes at once */
#define UDP_SOCKBUF	(8 * 1024 * 1024)

struct gw_udp {
	int fd;
	struct gw_dtls *dtls;
	struct gw_udp_stats stats;
	/* receiving */
	struct mmsghdr rx_msg[UDP_BATCH];
	struct iovec rx_iov[UDP_BATCH];
	struct sockaddr_storage rx_from[UDP_BATCH];
	uint8_t rx_buf[UDP_BATCH][UDP_RX_MAX];
	/* the send queue */
	unsigned int n_tx;
	struct mmsghdr tx_msg[UDP_BATCH];
	struct iovec tx_iov[UDP_BATCH];
	struct sockaddr_storage tx_to[UDP_BATCH];
	uint8_t tx_buf[UDP_BATCH][UDP_TX_SLOT];
};

static int udp_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*sl = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*sl = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static void udp_bufsize(int fd, int force, int plain)
{
	int size = UDP_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, force, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, plain, &size, sizeof(size));
}

static int udp_socket(const char *addr, uint16_t port, int *out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd, e;

	if (udp_addr(addr, port, &ss, &sl) < 0) {
		snprintf(err, errlen, "listen address %s is not an IP address", addr);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "UDP socket: %s", strerror(e));
		return -e;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	udp_bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF);
	udp_bufsize(fd, SO_SNDBUFFORCE, SO_SNDBUF);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot listen on %s UDP port %u for DTLS: %s", addr, port,
			 strerror(e));
		close(fd);
		return -e;
	}
	*out = fd;
	return 0;
}

int gw_udp_open(struct gw_udp **out, const char *addr, uint16_t port,
		const struct gw_dtls_config *cfg, const struct gw_dtls_ops *ops, void *ctx,
		char *err, size_t errlen)
{
	struct gw_udp *u = calloc(1, sizeof(*u));
	int ret;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	u->fd = -1;
	ret = udp_socket(addr, port, &u->fd, err, errlen);
	if (ret == 0)
		ret = gw_dtls_new(&u->dtls, cfg, ops, ctx, err, errlen);
	if (ret < 0) {
		gw_udp_close(u);
		return ret;
	}
	for (unsigned int i = 0; i < UDP_BATCH; i++) {
		u->rx_iov[i] = (struct iovec){ u->rx_buf[i], sizeof(u->rx_buf[i]) };
		u->tx_iov[i].iov_base = u->tx_buf[i];
	}
	*out = u;
	return 0;
}

void gw_udp_close(struct gw_udp *u)
{
	if (!u)
		return;
	gw_dtls_free(u->dtls);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
}

int gw_udp_fd(const struct gw_udp *u)
{
	return u->fd;
}

struct gw_dtls *gw_udp_dtls(const struct gw_udp *u)
{
	return u->dtls;
}

void gw_udp_input(struct gw_udp *u, time_t now)
{
	for (int round = 0; round < UDP_ROUNDS; round++) {
		int n;

		for (unsigned int i = 0; i < UDP_BATCH; i++) {
			u->rx_msg[i].msg_hdr = (struct msghdr){
				.msg_name = &u->rx_from[i],
				.msg_namelen = sizeof(u->rx_from[i]),
				.msg_iov = &u->rx_iov[i],
				.msg_iovlen = 1,
			};
		}
		n = recvmmsg(u->fd, u->rx_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;	/* EAGAIN, or an ICMP error reported on the socket: nothing to do */
		u->stats.rx_batches++;
		for (int i = 0; i < n; i++) {
			if (u->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				u->stats.rx_truncated++;
				continue;
			}
			gw_dtls_input(u->dtls, now, (struct sockaddr *)&u->rx_from[i],
				      u->rx_msg[i].msg_hdr.msg_namelen, u->rx_buf[i],
				      u->rx_msg[i].msg_len);
		}
		if (n < UDP_BATCH)
			return;
	}
}

void gw_udp_flush(struct gw_udp *u)
{
	unsigned int done = 0;

	while (done < u->n_tx) {
		int n = sendmmsg(u->fd, u->tx_msg + done, u->n_tx - done, MSG_DONTWAIT);

		u->stats.tx_batches++;
		if (n <= 0) {
			/* The first datagram was refused (a full buffer, an
			 * unreachable address): it is lost, the rest may go. */
			u->stats.tx_errors++;
			done++;
			continue;
		}
		u->stats.tx_datagrams += (unsigned int)n;
		done += (unsigned int)n;
	}
	u->n_tx = 0;
}

void gw_udp_send(struct gw_udp *u, const struct sockaddr *to, socklen_t tolen,
		 const uint8_t *buf, size_t len)
{
	unsigned int i;

	if (len > UDP_TX_SLOT || tolen > sizeof(u->tx_to[0])) {
		gw_udp_flush(u);	/* keep the order of what the channel sent */
		if (sendto(u->fd, buf, len, MSG_DONTWAIT, to, tolen) < 0)
			u->stats.tx_errors++;
		else
			u->stats.tx_datagrams++;
		return;
	}
	if (u->n_tx == UDP_BATCH)
		gw_udp_flush(u);
	i = u->n_tx++;
	memcpy(u->tx_buf[i], buf, len);
	memcpy(&u->tx_to[i], to, tolen);
	u->tx_iov[i].iov_len = len;
	u->tx_msg[i].msg_hdr = (struct msghdr){
		.msg_name = &u->tx_to[i],
		.msg_namelen = tolen,
		.msg_iov = &u->tx_iov[i],
		.msg_iovlen = 1,
	};
}

void gw_udp_get_stats(const struct gw_udp *u, struct gw_udp_stats *out)
{
	*out = u->stats;
}
