/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the address pool: which prefixes are accepted, which
 * indexes are reserved, lowest-first leasing, least-recently-freed
 * re-leasing, exhaustion,
 * releases that must not disturb the free count, the index <-> address
 * mapping in both families, and the GW_POOL_MAX_SIZE cap. Prefixes are
 * filled in by hand with inet_pton so that these tests depend on nothing but
 * the pool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/pool.h"
#include "tests/unit/unit.h"

static struct conf_cidr cidr(const char *addr, unsigned int prefix)
{
	struct conf_cidr c;

	memset(&c, 0, sizeof(c));
	c.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	c.prefix = prefix;
	if (inet_pton(c.family, addr, &c.addr) != 1)
		printf("# bad test address %s\n", addr);
	return c;
}

/* The address at index, as text. */
static const char *addr_at(const struct gw_pool *p, uint32_t index)
{
	static char text[INET6_ADDRSTRLEN];
	uint8_t a[16];

	memset(a, 0xee, sizeof(a));
	gw_pool_addr(p, index, a);
	return inet_ntop(p->net.family, a, text, sizeof(text));
}

/* The index of a textual address, or the negative errno. */
static long long index_of(const struct gw_pool *p, const char *text)
{
	uint8_t a[16];
	uint32_t index = 0xdeadbeef;
	int ret;

	if (inet_pton(p->net.family, text, a) != 1)
		return -9999;
	ret = gw_pool_index(p, a, &index);
	return ret < 0 ? ret : (long long)index;
}

static void test_invalid(void)
{
	static const struct {
		const char *addr;
		unsigned int prefix;
	} bad[] = {
		{ "10.0.0.0", 31 }, { "10.0.0.0", 32 }, { "10.0.0.0", 33 },
		{ "fd00::", 127 }, { "fd00::", 128 }, { "fd00::", 129 },
		/* host bits set: the arithmetic needs a true network address */
		{ "10.0.0.1", 24 }, { "10.0.1.0", 23 }, { "fd00::1", 64 }, { "fd00::6", 126 },
	};
	struct gw_pool p;
	struct conf_cidr c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = cidr(bad[i].addr, bad[i].prefix);
		if (gw_pool_init(&p, &c) != -EINVAL)
			printf("# %s/%u accepted\n", bad[i].addr, bad[i].prefix);
		CHECK_EQ_INT(gw_pool_init(&p, &c), -EINVAL);
		CHECK(p.used == NULL);
	}
	c = cidr("10.0.0.0", 24);
	c.family = AF_UNIX;
	CHECK_EQ_INT(gw_pool_init(&p, &c), -EINVAL);
}

static void test_v4_slash30(void)
{
	struct conf_cidr c = cidr("192.0.2.4", 30);
	struct gw_pool p;
	uint32_t index = 0;

	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(p.size, 4);
	CHECK_EQ_INT(p.n_free, 1);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 2);
	CHECK_EQ_STR(addr_at(&p, index), "192.0.2.6");
	CHECK_EQ_STR(addr_at(&p, GW_POOL_GATEWAY_INDEX), "192.0.2.5");
	CHECK_EQ_INT(p.n_free, 0);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), -ENOSPC);
	gw_pool_release(&p, 2);
	CHECK_EQ_INT(p.n_free, 1);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 2);
	gw_pool_destroy(&p);
}

static void test_v4_slash24(void)
{
	struct conf_cidr c = cidr("10.1.2.0", 24);
	struct gw_pool p;
	uint32_t i, index = 0;
	int out_of_order = 0;

	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(p.size, 256);
	CHECK_EQ_INT(p.n_free, 253);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_STR(addr_at(&p, index), "10.1.2.2");
	for (i = 3; i <= 254; i++) {
		if (gw_pool_alloc(&p, &index) != 0 || index != i)
			out_of_order++;
	}
	CHECK_EQ_INT(out_of_order, 0);
	CHECK_EQ_STR(addr_at(&p, index), "10.1.2.254");
	CHECK_EQ_INT(p.n_free, 0);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), -ENOSPC);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), -ENOSPC);

	/* Released addresses come back least recently released first. */
	gw_pool_release(&p, 100);
	CHECK_EQ_INT(p.n_free, 1);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 100);
	CHECK_EQ_STR(addr_at(&p, index), "10.1.2.100");
	gw_pool_release(&p, 200);
	gw_pool_release(&p, 50);
	gw_pool_release(&p, 130);
	CHECK_EQ_INT(p.n_free, 3);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 200);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 50);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 130);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), -ENOSPC);
	gw_pool_destroy(&p);
}

/*
 * A freed address is not handed out again while others have been free
 * longer: the next device must not get the TCP retransmissions and late
 * replies meant for the address's last holder.
 */
static void test_lru(void)
{
	struct conf_cidr c = cidr("10.1.2.0", 24);
	struct gw_pool p;
	uint32_t a, b, index = 0;

	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(gw_pool_alloc(&p, &a), 0);
	CHECK_EQ_INT(gw_pool_alloc(&p, &b), 0);
	CHECK_EQ_INT(a, 2);
	CHECK_EQ_INT(b, 3);
	gw_pool_release(&p, a);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 4);		/* not 2, freed a moment ago */
	/* Once the never-leased ones are gone, 2 comes before 3, freed later. */
	gw_pool_release(&p, b);
	for (uint32_t i = 5; i <= 254; i++)
		CHECK(gw_pool_alloc(&p, &index) == 0 && index == i);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 2);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 3);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), -ENOSPC);
	/* Releasing twice queues once. */
	gw_pool_release(&p, 7);
	gw_pool_release(&p, 7);
	CHECK_EQ_INT(p.n_free, 1);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 7);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), -ENOSPC);
	gw_pool_destroy(&p);
}

/* Releasing what is reserved, free or outside never changes the count. */
static void test_release_noop(void)
{
	struct conf_cidr c = cidr("10.1.2.0", 24);
	struct gw_pool p;
	uint32_t index = 0;

	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	gw_pool_release(&p, 0);
	gw_pool_release(&p, GW_POOL_GATEWAY_INDEX);
	gw_pool_release(&p, 255);
	gw_pool_release(&p, 256);
	gw_pool_release(&p, UINT32_MAX);
	gw_pool_release(&p, 2);
	gw_pool_release(&p, 77);
	CHECK_EQ_INT(p.n_free, 253);

	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 2);
	gw_pool_release(&p, 2);
	gw_pool_release(&p, 2);
	CHECK_EQ_INT(p.n_free, 253);
	/* The reserved indexes were not freed by the attempts above: 3 to 254
	 * and then 2 (freed last) are all there is. */
	for (uint32_t i = 3; i <= 254; i++)
		CHECK(gw_pool_alloc(&p, &index) == 0 && index == i);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 2);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), -ENOSPC);
	gw_pool_destroy(&p);
}

/* Two workers share a /29: each leases only its residue, and together all. */
static void test_share(void)
{
	struct conf_cidr c = cidr("10.1.2.0", 29);
	struct gw_pool p0, p1;
	uint32_t i, seen = 0;

	CHECK_EQ_INT(gw_pool_init(&p0, &c), 0);
	CHECK_EQ_INT(gw_pool_init(&p1, &c), 0);
	gw_pool_share(&p0, 0, 2);
	gw_pool_share(&p1, 1, 2);
	/* 2..6 leasable: 2, 4, 6 for worker 0; 3, 5 for worker 1. */
	CHECK_EQ_INT(p0.n_free, 3);
	CHECK_EQ_INT(p1.n_free, 2);
	while (gw_pool_alloc(&p0, &i) == 0) {
		CHECK_EQ_INT(i % 2, 0);
		seen |= 1u << i;
	}
	while (gw_pool_alloc(&p1, &i) == 0) {
		CHECK_EQ_INT(i % 2, 1);
		seen |= 1u << i;
	}
	CHECK_EQ_INT(seen, 0x7c);		/* indexes 2..6, each once */
	gw_pool_release(&p0, 3);		/* not worker 0's: ignored */
	CHECK_EQ_INT(p0.n_free, 0);
	gw_pool_release(&p1, 3);
	CHECK_EQ_INT(p1.n_free, 1);
	CHECK_EQ_INT(gw_pool_alloc(&p1, &i), 0);
	CHECK_EQ_INT(i, 3);
	gw_pool_share(&p0, 0, 1);		/* one worker: nothing changes */
	CHECK_EQ_INT(p0.n_free, 0);
	gw_pool_destroy(&p0);
	gw_pool_destroy(&p1);
}

/* Claims: what a session resumed after a restart of the network process
 * takes back; then the queue holds exactly the rest, lowest first. */
static void test_claim(void)
{
	struct conf_cidr c = cidr("10.1.2.0", 29);
	struct gw_pool p;
	uint32_t i;

	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	gw_pool_share(&p, 0, 2);		/* 2, 4, 6 */
	CHECK_EQ_INT(gw_pool_claim(&p, 4), 0);
	CHECK_EQ_INT(gw_pool_claim(&p, 4), -EBUSY);	/* taken */
	CHECK_EQ_INT(gw_pool_claim(&p, 3), -EBUSY);	/* another worker's */
	CHECK_EQ_INT(gw_pool_claim(&p, 1), -EBUSY);	/* the gateway's */
	CHECK_EQ_INT(gw_pool_claim(&p, 0), -EBUSY);	/* the network's */
	CHECK_EQ_INT(gw_pool_claim(&p, 7), -EBUSY);	/* broadcast */
	CHECK_EQ_INT(gw_pool_claim(&p, 8), -EBUSY);	/* outside */
	gw_pool_requeue(&p);
	CHECK_EQ_INT(p.n_free, 2);
	CHECK_EQ_INT(gw_pool_alloc(&p, &i), 0);
	CHECK_EQ_INT(i, 2);
	CHECK_EQ_INT(gw_pool_alloc(&p, &i), 0);
	CHECK_EQ_INT(i, 6);
	CHECK_EQ_INT(gw_pool_alloc(&p, &i), -ENOSPC);
	gw_pool_release(&p, 4);
	CHECK_EQ_INT(gw_pool_alloc(&p, &i), 0);
	CHECK_EQ_INT(i, 4);
	gw_pool_destroy(&p);
}

static void test_v4_mapping(void)
{
	struct conf_cidr c = cidr("10.1.2.0", 24);
	struct gw_pool p;
	uint32_t i;
	int bad = 0;

	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	for (i = 0; i < p.size; i++) {
		uint8_t a[4];
		uint32_t index = UINT32_MAX;

		gw_pool_addr(&p, i, a);
		if (gw_pool_index(&p, a, &index) != 0 || index != i)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_STR(addr_at(&p, 0), "10.1.2.0");
	CHECK_EQ_STR(addr_at(&p, 255), "10.1.2.255");
	CHECK_EQ_INT(index_of(&p, "10.1.2.0"), 0);
	CHECK_EQ_INT(index_of(&p, "10.1.2.1"), 1);
	CHECK_EQ_INT(index_of(&p, "10.1.2.255"), 255);
	CHECK_EQ_INT(index_of(&p, "10.1.3.0"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "10.1.1.255"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "10.2.2.2"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "0.0.0.0"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "255.255.255.255"), -ENOENT);
	gw_pool_destroy(&p);

	/* A prefix that does not end on a byte boundary. */
	c = cidr("10.20.16.0", 20);
	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(p.size, 4096);
	CHECK_EQ_INT(p.n_free, 4093);
	CHECK_EQ_STR(addr_at(&p, 300), "10.20.17.44");
	CHECK_EQ_STR(addr_at(&p, 4095), "10.20.31.255");
	CHECK_EQ_INT(index_of(&p, "10.20.31.254"), 4094);
	CHECK_EQ_INT(index_of(&p, "10.20.32.0"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "10.20.15.255"), -ENOENT);
	gw_pool_destroy(&p);
}

/* Leases every address; returns the last index leased. */
static uint32_t drain(struct gw_pool *p, uint32_t *count)
{
	uint32_t index = 0, last = 0;

	*count = 0;
	while (gw_pool_alloc(p, &index) == 0) {
		last = index;
		(*count)++;
	}
	return last;
}

static void test_v4_large(void)
{
	struct conf_cidr c = cidr("172.16.0.0", 16);
	struct gw_pool p;
	uint32_t count;

	/* /16 is exactly the cap: the broadcast address is inside and reserved. */
	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(p.size, GW_POOL_MAX_SIZE);
	CHECK_EQ_INT(p.n_free, GW_POOL_MAX_SIZE - 3);
	CHECK_EQ_INT(drain(&p, &count), GW_POOL_MAX_SIZE - 2);
	CHECK_EQ_INT(count, GW_POOL_MAX_SIZE - 3);
	CHECK_EQ_STR(addr_at(&p, GW_POOL_MAX_SIZE - 2), "172.16.255.254");
	gw_pool_destroy(&p);

	/* /8 is capped: the range ends before the broadcast address, so all of it is leasable. */
	c = cidr("10.0.0.0", 8);
	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(p.size, GW_POOL_MAX_SIZE);
	CHECK_EQ_INT(p.n_free, GW_POOL_MAX_SIZE - 2);
	CHECK_EQ_INT(drain(&p, &count), GW_POOL_MAX_SIZE - 1);
	CHECK_EQ_INT(count, GW_POOL_MAX_SIZE - 2);
	CHECK_EQ_STR(addr_at(&p, GW_POOL_MAX_SIZE - 1), "10.0.255.255");
	CHECK_EQ_INT(index_of(&p, "10.0.255.255"), GW_POOL_MAX_SIZE - 1);
	/* Inside the prefix but past the cap: not the pool's. */
	CHECK_EQ_INT(index_of(&p, "10.1.0.0"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "10.255.255.255"), -ENOENT);
	gw_pool_release(&p, GW_POOL_MAX_SIZE - 1);
	CHECK_EQ_INT(p.n_free, 1);
	gw_pool_destroy(&p);

	c = cidr("0.0.0.0", 0);
	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(p.size, GW_POOL_MAX_SIZE);
	CHECK_EQ_INT(p.n_free, GW_POOL_MAX_SIZE - 2);
	gw_pool_destroy(&p);
}

static void test_v6_slash64(void)
{
	struct conf_cidr c = cidr("fd00:1:2:3::", 64);
	struct gw_pool p;
	uint32_t i, index = 0, count;
	int bad = 0;

	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(p.size, GW_POOL_MAX_SIZE);
	CHECK_EQ_INT(p.n_free, GW_POOL_MAX_SIZE - 2);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 2);
	CHECK_EQ_STR(addr_at(&p, index), "fd00:1:2:3::2");
	CHECK_EQ_STR(addr_at(&p, GW_POOL_GATEWAY_INDEX), "fd00:1:2:3::1");
	CHECK_EQ_STR(addr_at(&p, 0xabcd), "fd00:1:2:3::abcd");
	CHECK_EQ_STR(addr_at(&p, GW_POOL_MAX_SIZE - 1), "fd00:1:2:3::ffff");
	CHECK_EQ_INT(index_of(&p, "fd00:1:2:3::ffff"), 0xffff);
	CHECK_EQ_INT(index_of(&p, "fd00:1:2:3::"), 0);
	CHECK_EQ_INT(index_of(&p, "fd00:1:2:3::1:0"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "fd00:1:2:3:1::2"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "fd00:1:2:4::2"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "fd00:1:2:2:ffff:ffff:ffff:ffff"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "::2"), -ENOENT);
	for (i = 0; i < p.size; i += 251) {
		uint8_t a[16];
		uint32_t back = UINT32_MAX;

		gw_pool_addr(&p, i, a);
		if (gw_pool_index(&p, a, &back) != 0 || back != i)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* No broadcast in IPv6: the last index of the range is leased too. */
	CHECK_EQ_INT(drain(&p, &count), GW_POOL_MAX_SIZE - 1);
	CHECK_EQ_INT(count, GW_POOL_MAX_SIZE - 3);
	CHECK_EQ_INT(p.n_free, 0);
	gw_pool_destroy(&p);

	/* A short IPv6 prefix is capped the same way and has no broadcast either. */
	c = cidr("2001:db8::", 32);
	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(p.size, GW_POOL_MAX_SIZE);
	CHECK_EQ_INT(p.n_free, GW_POOL_MAX_SIZE - 2);
	CHECK_EQ_INT(drain(&p, &count), GW_POOL_MAX_SIZE - 1);
	CHECK_EQ_STR(addr_at(&p, GW_POOL_MAX_SIZE - 1), "2001:db8::ffff");
	gw_pool_destroy(&p);
}

static void test_v6_small(void)
{
	struct conf_cidr c = cidr("2001:db8::100", 126);
	struct gw_pool p;
	uint32_t index = 0;

	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(p.size, 4);
	CHECK_EQ_INT(p.n_free, 2);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_STR(addr_at(&p, index), "2001:db8::102");
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_STR(addr_at(&p, index), "2001:db8::103");
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), -ENOSPC);
	CHECK_EQ_INT(index_of(&p, "2001:db8::104"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "2001:db8::ff"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "2001:db8::103"), 3);
	gw_pool_release(&p, 2);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), 0);
	CHECK_EQ_INT(index, 2);
	/* Even with a wrong count, the bits past the end of the range are never leased. */
	p.n_free = 1;
	index = 0;
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), -ENOSPC);
	CHECK_EQ_INT(index, 0);
	gw_pool_destroy(&p);

	c = cidr("fd00::100", 120);
	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	CHECK_EQ_INT(p.size, 256);
	CHECK_EQ_INT(p.n_free, 254);
	CHECK_EQ_STR(addr_at(&p, 5), "fd00::105");
	CHECK_EQ_INT(index_of(&p, "fd00::1ff"), 255);
	CHECK_EQ_INT(index_of(&p, "fd00::200"), -ENOENT);
	CHECK_EQ_INT(index_of(&p, "fd00::ff"), -ENOENT);
	gw_pool_destroy(&p);
}

/* A destroyed pool is inert, and destroy accepts NULL and repeats. */
static void test_destroy(void)
{
	struct conf_cidr c = cidr("10.1.2.0", 24);
	struct gw_pool p;
	uint32_t index = 0;

	CHECK_EQ_INT(gw_pool_init(&p, &c), 0);
	gw_pool_destroy(&p);
	CHECK(p.used == NULL);
	CHECK_EQ_INT(p.n_free, 0);
	CHECK_EQ_INT(gw_pool_alloc(&p, &index), -ENOSPC);
	gw_pool_release(&p, 5);
	CHECK_EQ_INT(p.n_free, 0);
	gw_pool_destroy(&p);
	gw_pool_destroy(NULL);
}

int main(void)
{
	RUN(test_invalid);
	RUN(test_v4_slash30);
	RUN(test_v4_slash24);
	RUN(test_release_noop);
	RUN(test_lru);
	RUN(test_share);
	RUN(test_claim);
	RUN(test_v4_mapping);
	RUN(test_v4_large);
	RUN(test_v6_slash64);
	RUN(test_v6_small);
	RUN(test_destroy);
	UNIT_EXIT();
}
