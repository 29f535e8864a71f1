/* SPDX-License-Identifier: MIT */
/*
 * Address pool of one IPv4 or IPv6 prefix: a bitmap with one bit per
 * address index, and the free indexes in a queue. Addresses never leased
 * come out lowest first, so that they stay predictable for operators and
 * tests; a released address joins the back of the queue, so the address
 * that has been free longest is leased first. An address is then not handed
 * to a new device while packets meant for its last holder (TCP
 * retransmissions, late replies) may still be on their way to it.
 * Reserved indexes (network, gateway, IPv4 broadcast, other workers'
 * shares) are set in the bitmap and never queued. A range is capped at
 * GW_POOL_MAX_SIZE addresses, which keeps the bitmap at most 8 KiB, the
 * queue at most 256 KiB, and lets address arithmetic work on the last 32
 * bits only.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/pool.h"

#define GW_POOL_WORD_BITS 64u

/* gw_pool_addr copies 4 or 16 bytes out of the network address. */
_Static_assert(sizeof(((struct conf_cidr *)0)->addr.bytes) == 16, "conf_cidr holds an IPv6 address");

static size_t gw_pool_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static uint32_t gw_pool_get_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void gw_pool_put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static void gw_pool_set(uint64_t *map, uint32_t i)
{
	map[i / GW_POOL_WORD_BITS] |= UINT64_C(1) << (i % GW_POOL_WORD_BITS);
}

static void gw_pool_clear(uint64_t *map, uint32_t i)
{
	map[i / GW_POOL_WORD_BITS] &= ~(UINT64_C(1) << (i % GW_POOL_WORD_BITS));
}

static bool gw_pool_test(const uint64_t *map, uint32_t i)
{
	return map[i / GW_POOL_WORD_BITS] & (UINT64_C(1) << (i % GW_POOL_WORD_BITS));
}

static uint32_t gw_pool_words(uint32_t size)
{
	return (size + GW_POOL_WORD_BITS - 1) / GW_POOL_WORD_BITS;
}

/*
 * Host bits of the prefix. At least two are needed: with fewer, indexes 0
 * and 1 are all there is and nothing would ever be leased.
 */
static int gw_pool_host_bits(const struct conf_cidr *net, unsigned int *bits)
{
	unsigned int max;

	if (net->family == AF_INET)
		max = 32;
	else if (net->family == AF_INET6)
		max = 128;
	else
		return -EINVAL;
	if (net->prefix > max - 2)
		return -EINVAL;
	*bits = max - net->prefix;
	return 0;
}

/*
 * The address arithmetic relies on the host bits being zero (no carry out of
 * the range), which conf_cidr_parse guarantees; a hand-built prefix that
 * breaks it is refused rather than silently rounded down.
 */
static bool gw_pool_host_bits_zero(const struct conf_cidr *net)
{
	size_t i, len = gw_pool_addr_len(net->family);

	for (i = 0; i < len; i++) {
		unsigned int bit = (unsigned int)i * 8;
		uint8_t host_mask;

		if (bit >= net->prefix)
			host_mask = 0xff;
		else if (net->prefix - bit < 8)
			host_mask = (uint8_t)(0xff >> (net->prefix - bit));
		else
			host_mask = 0;
		if (net->addr.bytes[i] & host_mask)
			return false;
	}
	return true;
}

/* IPv4 has a broadcast address only when the whole prefix fits under the cap. */
static bool gw_pool_has_broadcast(const struct gw_pool *p)
{
	return p->net.family == AF_INET && 32 - p->net.prefix <= 16;
}

static bool gw_pool_is_reserved(const struct gw_pool *p, uint32_t index)
{
	if (index == 0 || index == GW_POOL_GATEWAY_INDEX)
		return true;
	if (p->share_n > 1 && index % p->share_n != p->share_k)
		return true;
	return gw_pool_has_broadcast(p) && index == p->size - 1;
}

/* Marks the reserved indexes and, in a pool smaller than a word, the bits past its end. */
static void gw_pool_reserve(struct gw_pool *p)
{
	uint32_t i, end = gw_pool_words(p->size) * GW_POOL_WORD_BITS;

	for (i = p->size; i < end; i++)
		gw_pool_set(p->used, i);
	gw_pool_set(p->used, 0);
	gw_pool_set(p->used, GW_POOL_GATEWAY_INDEX);
	if (gw_pool_has_broadcast(p))
		gw_pool_set(p->used, p->size - 1);
	p->n_free = p->size - (gw_pool_has_broadcast(p) ? 3 : 2);
}

/* Queues every free index, lowest first. */
static void gw_pool_fill(struct gw_pool *p)
{
	p->q_head = p->q_len = 0;
	for (uint32_t i = 0; i < p->size; i++)
		if (!gw_pool_test(p->used, i))
			p->queue[p->q_len++] = i;
}

int gw_pool_init(struct gw_pool *p, const struct conf_cidr *net)
{
	unsigned int bits;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = gw_pool_host_bits(net, &bits);
	if (ret < 0)
		return ret;
	if (!gw_pool_host_bits_zero(net))
		return -EINVAL;
	p->net = *net;
	p->size = bits >= 16 ? GW_POOL_MAX_SIZE : 1u << bits;
	p->used = calloc(gw_pool_words(p->size), sizeof(*p->used));
	p->queue = calloc(p->size, sizeof(*p->queue));
	if (!p->used || !p->queue) {
		free(p->used);
		free(p->queue);
		memset(p, 0, sizeof(*p));
		return -ENOMEM;
	}
	gw_pool_reserve(p);
	gw_pool_fill(p);
	return 0;
}

void gw_pool_share(struct gw_pool *p, uint32_t k, uint32_t n)
{
	if (n < 2 || k >= n)
		return;
	p->share_k = k;
	p->share_n = n;
	for (uint32_t i = 0; i < p->size; i++) {
		if (i % n != k && !gw_pool_test(p->used, i)) {
			gw_pool_set(p->used, i);
			p->n_free--;
		}
	}
	gw_pool_fill(p);
}

void gw_pool_destroy(struct gw_pool *p)
{
	if (!p)
		return;
	free(p->used);
	free(p->queue);
	memset(p, 0, sizeof(*p));
}

int gw_pool_alloc(struct gw_pool *p, uint32_t *index)
{
	uint32_t i;

	/* The queue holds exactly the free indexes: n_free of them. */
	if (!p->n_free || !p->q_len)
		return -ENOSPC;
	i = p->queue[p->q_head];
	p->q_head = (p->q_head + 1) % p->size;
	p->q_len--;
	gw_pool_set(p->used, i);
	p->n_free--;
	*index = i;
	return 0;
}

int gw_pool_claim(struct gw_pool *p, uint32_t index)
{
	if (index >= p->size || gw_pool_is_reserved(p, index) || gw_pool_test(p->used, index))
		return -EBUSY;
	gw_pool_set(p->used, index);
	p->n_free--;
	return 0;
}

void gw_pool_requeue(struct gw_pool *p)
{
	gw_pool_fill(p);
}

void gw_pool_release(struct gw_pool *p, uint32_t index)
{
	if (index >= p->size || gw_pool_is_reserved(p, index))
		return;
	if (!gw_pool_test(p->used, index))
		return;
	gw_pool_clear(p->used, index);
	p->n_free++;
	p->queue[(p->q_head + p->q_len++) % p->size] = index;
}

/*
 * No carry leaves the last 32 bits: the host bits are zero and, for the
 * index < size the caller must pass, index < 2^16.
 */
void gw_pool_addr(const struct gw_pool *p, uint32_t index, void *addr)
{
	size_t len = gw_pool_addr_len(p->net.family);
	uint8_t *out = addr;

	memcpy(out, p->net.addr.bytes, len);
	gw_pool_put_be32(out + len - 4, gw_pool_get_be32(out + len - 4) + index);
}

/*
 * Every address of the pool shares the network address's leading bytes, so
 * only the last 32 bits need subtracting. An address below the network
 * address wraps around to an offset of at least 2^32 - net >= size, which
 * the range check refuses like any other outsider. Reserved indexes are
 * returned too: what the gateway's own address means is the caller's call.
 */
int gw_pool_index(const struct gw_pool *p, const void *addr, uint32_t *index)
{
	size_t len = gw_pool_addr_len(p->net.family);
	const uint8_t *a = addr;
	uint32_t off;

	if (!p->size || memcmp(a, p->net.addr.bytes, len - 4) != 0)
		return -ENOENT;
	off = gw_pool_get_be32(a + len - 4) - gw_pool_get_be32(p->net.addr.bytes + len - 4);
	if (off >= p->size)
		return -ENOENT;
	*index = off;
	return 0;
}
