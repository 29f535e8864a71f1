/* SPDX-License-Identifier: MIT */
/*
 * The worker's UDP socket for the DTLS channel (udp.c): datagrams are read
 * in batches with recvmmsg and handed to gateway/dtls.c; what the channel
 * sends is queued and leaves with one sendmmsg per loop turn (or when the
 * queue is full).
 */
#ifndef POSTERN_GW_UDP_H
#define POSTERN_GW_UDP_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "gateway/dtls.h"

struct gw_udp;

/* What the worker's metrics show of the socket; the counters only grow. */
struct gw_udp_stats {
	uint64_t rx_batches;		/* recvmmsg calls that returned datagrams */
	uint64_t tx_batches;		/* sendmmsg calls */
	uint64_t tx_datagrams;
	uint64_t tx_errors;		/* datagrams the kernel refused (UDP is best effort) */
	uint64_t rx_truncated;		/* larger than any record we accept: dropped */
};

/*
 * Binds a UDP socket to addr:port (a literal, as the TLS listener's) with
 * large socket buffers, and the DTLS context whose datagrams it carries
 * (ops and ctx as for gw_dtls_new; ops->send must call gw_udp_send).
 * 0, or -errno with a message in err.
 */
int gw_udp_open(struct gw_udp **out, const char *addr, uint16_t port,
		const struct gw_dtls_config *cfg, const struct gw_dtls_ops *ops, void *ctx,
		char *err, size_t errlen);
/* Closes the socket and frees the DTLS context (no callbacks); accepts NULL. */
void gw_udp_close(struct gw_udp *u);

int gw_udp_fd(const struct gw_udp *u);
struct gw_dtls *gw_udp_dtls(const struct gw_udp *u);

/* Reads what the socket holds (a bounded number of batches) into the channel. */
void gw_udp_input(struct gw_udp *u, time_t now);
/* Queues one datagram; the queue leaves with gw_udp_flush, or at once when full. */
void gw_udp_send(struct gw_udp *u, const struct sockaddr *to, socklen_t tolen,
		 const uint8_t *buf, size_t len);
/* Sends what is queued: call it once per loop turn. */
void gw_udp_flush(struct gw_udp *u);

void gw_udp_get_stats(const struct gw_udp *u, struct gw_udp_stats *out);

#endif
