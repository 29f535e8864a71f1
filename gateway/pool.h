/* SPDX-License-Identifier: MIT */
/*
 * Address pool: hands out the addresses of one IPv4 or IPv6 prefix by index.
 * Index 0 (the network address) and index 1 (the gateway's own address on
 * the TUN device) are never leased, nor is the IPv4 broadcast address. The
 * lowest free index is leased first. An IPv6 pool is capped at
 * GW_POOL_MAX_SIZE addresses from the start of its prefix.
 */
#ifndef POSTERN_GW_POOL_H
#define POSTERN_GW_POOL_H

#include <stdint.h>

#include "conf/conf.h"

#define GW_POOL_MAX_SIZE	65536u
#define GW_POOL_GATEWAY_INDEX	1u

struct gw_pool {
	struct conf_cidr net;
	uint32_t size;		/* addresses in the range, including the reserved ones */
	uint32_t n_free;	/* leasable addresses not leased */
	uint64_t *used;		/* bitmap, one bit per index */
	uint32_t *queue;	/* the free indexes, a ring of size: least recently freed first */
	uint32_t q_head, q_len;
	uint32_t share_k, share_n;	/* leases only i % share_n == share_k (n > 1) */
};

/* Returns 0, -EINVAL for a prefix too small to lease a single address
 * (IPv4 longer than /30, IPv6 longer than /126) or -ENOMEM. */
int gw_pool_init(struct gw_pool *p, const struct conf_cidr *net);
void gw_pool_destroy(struct gw_pool *p);
/*
 * Keeps only this worker's share of the pool: the indexes i with i % n == k
 * (the TUN steers a packet to worker index % n). The others are never
 * leased nor released here. n < 2 keeps the whole pool.
 */
void gw_pool_share(struct gw_pool *p, uint32_t k, uint32_t n);

/* Leases the free index that has been free longest (never leased ones
 * first, lowest first). Returns 0 or -ENOSPC. */
int gw_pool_alloc(struct gw_pool *p, uint32_t *index);
/*
 * Takes the given index out of the free ones (a session that keeps its
 * address across a restart of the network process). 0, or -EBUSY when it is
 * reserved, another worker's, leased or outside the pool. The queue is left
 * stale: the caller ends a run of claims with gw_pool_requeue.
 */
int gw_pool_claim(struct gw_pool *p, uint32_t index);
/* Queues the free indexes again, lowest first (after gw_pool_claim). */
void gw_pool_requeue(struct gw_pool *p);
/* Returns an index to the pool; reserved or free indexes are ignored. */
void gw_pool_release(struct gw_pool *p, uint32_t index);
/* The address at index, 4 or 16 bytes in network order by the pool's family. */
void gw_pool_addr(const struct gw_pool *p, uint32_t index, void *addr);
/* The index of addr inside the pool. Returns 0 or -ENOENT when outside. */
int gw_pool_index(const struct gw_pool *p, const void *addr, uint32_t *index);

#endif
