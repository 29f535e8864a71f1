/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the client -> gateway packet filter: well-formed packets
 * from the leased address pass, anything else is classified as spoofed or
 * malformed.
 */
#include <arpa/inet.h>

#include "gateway/filter.h"
#include "tests/unit/unit.h"

static struct conf_cidr pool4, pool6;
static struct gw_filter_nets pools = { &pool4, &pool6, NULL, 0 };

static struct gw_filter_addrs lease(void)
{
	struct gw_filter_addrs a = { .have_v4 = true, .have_v6 = true };

	inet_pton(AF_INET, "198.18.100.2", &a.v4);
	inet_pton(AF_INET6, "fd00:5057::2", &a.v6);
	return a;
}

static void ipv4_packet(uint8_t *p, size_t len, const char *src)
{
	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[9] = 17;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, "198.18.2.2", p + 16);
}

static void ipv6_packet(uint8_t *p, size_t len, const char *src)
{
	memset(p, 0, len);
	p[0] = 0x60;
	p[4] = (uint8_t)((len - 40) >> 8);
	p[5] = (uint8_t)(len - 40);
	p[6] = 17;
	inet_pton(AF_INET6, src, p + 8);
	inet_pton(AF_INET6, "fd00:1::2", p + 24);
}

static void test_ipv4_leased_source_passes(void)
{
	struct gw_filter_addrs a = lease();
	uint8_t p[60];

	ipv4_packet(p, sizeof(p), "198.18.100.2");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_PASS);
}

static void test_ipv4_other_source_is_spoofed(void)
{
	struct gw_filter_addrs a = lease();
	uint8_t p[60];

	ipv4_packet(p, sizeof(p), "198.18.100.3");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_SPOOFED);
	ipv4_packet(p, sizeof(p), "0.0.0.0");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_SPOOFED);
	a.have_v4 = false;
	ipv4_packet(p, sizeof(p), "198.18.100.2");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_NO_LEASE);
}

static void test_ipv4_lengths_must_agree(void)
{
	struct gw_filter_addrs a = lease();
	uint8_t p[60];

	ipv4_packet(p, sizeof(p), "198.18.100.2");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p) - 1), GW_FILTER_MALFORMED);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, 19), GW_FILTER_MALFORMED);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, 1), GW_FILTER_MALFORMED);
	p[0] = 0x44;	/* header length 16 bytes */
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_MALFORMED);
}

static void test_ipv6(void)
{
	struct gw_filter_addrs a = lease();
	uint8_t p[80];

	ipv6_packet(p, sizeof(p), "fd00:5057::2");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_PASS);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p) - 1), GW_FILTER_MALFORMED);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, 39), GW_FILTER_MALFORMED);
	ipv6_packet(p, sizeof(p), "fd00:5057::3");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_SPOOFED);
	a.have_v6 = false;
	ipv6_packet(p, sizeof(p), "fd00:5057::2");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_NO_LEASE);
}

/* Router solicitations and MLD reports are the OS's, not a forgery. */
static void test_ipv6_link_housekeeping_is_not_spoofing(void)
{
	struct gw_filter_addrs a = lease();
	uint8_t p[80];

	ipv6_packet(p, sizeof(p), "fe80::1");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_LINK_LOCAL);
	ipv6_packet(p, sizeof(p), "febf::1");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_LINK_LOCAL);
	ipv6_packet(p, sizeof(p), "::");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_LINK_LOCAL);
	a.have_v6 = false;
	ipv6_packet(p, sizeof(p), "fe80::1");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_LINK_LOCAL);
	ipv6_packet(p, sizeof(p), "fec0::1");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_NO_LEASE);
}

/* Devices do not reach each other, nor the gateway's tunnel address. */
static void test_destination_in_a_pool_is_lateral(void)
{
	struct gw_filter_addrs a = lease();
	uint8_t p4[60], p6[80];

	ipv4_packet(p4, sizeof(p4), "198.18.100.2");
	inet_pton(AF_INET, "198.18.100.3", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p4, sizeof(p4)), GW_FILTER_LATERAL);
	inet_pton(AF_INET, "198.18.100.1", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p4, sizeof(p4)), GW_FILTER_LATERAL);
	inet_pton(AF_INET, "198.18.101.1", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p4, sizeof(p4)), GW_FILTER_PASS);
	/* Without pools to protect, the same packet passes. */
	inet_pton(AF_INET, "198.18.100.3", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, NULL, NULL, p4, sizeof(p4)), GW_FILTER_PASS);
	ipv6_packet(p6, sizeof(p6), "fd00:5057::2");
	inet_pton(AF_INET6, "fd00:5057::3", p6 + 24);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p6, sizeof(p6)), GW_FILTER_LATERAL);
	inet_pton(AF_INET6, "fd00:5058::3", p6 + 24);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p6, sizeof(p6)), GW_FILTER_PASS);
	/* A forged source is reported as such, wherever it goes. */
	ipv4_packet(p4, sizeof(p4), "198.18.100.9");
	inet_pton(AF_INET, "198.18.100.3", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p4, sizeof(p4)), GW_FILTER_SPOOFED);
}

/* A profile confines a session: anything outside its networks is dropped. */
static void test_profile_confines_destinations(void)
{
	struct gw_filter_addrs a = lease();
	struct conf_cidr nets[2];
	struct gw_filter_allow allow = { nets, 2 }, none = { nets, 0 };
	uint8_t p4[60], p6[80];

	CHECK(conf_cidr_parse("198.18.3.0/24", &nets[0]) == 0);
	CHECK(conf_cidr_parse("fd00:3::/64", &nets[1]) == 0);
	ipv4_packet(p4, sizeof(p4), "198.18.100.2");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, &allow, p4, sizeof(p4)), GW_FILTER_OUTSIDE);
	inet_pton(AF_INET, "198.18.3.7", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, &allow, p4, sizeof(p4)), GW_FILTER_PASS);
	inet_pton(AF_INET, "198.18.4.0", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, &allow, p4, sizeof(p4)), GW_FILTER_OUTSIDE);
	/* An empty profile reaches nothing; the pool check still comes first. */
	inet_pton(AF_INET, "198.18.3.7", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, &none, p4, sizeof(p4)), GW_FILTER_OUTSIDE);
	inet_pton(AF_INET, "198.18.100.3", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, &allow, p4, sizeof(p4)), GW_FILTER_LATERAL);
	ipv6_packet(p6, sizeof(p6), "fd00:5057::2");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, &allow, p6, sizeof(p6)), GW_FILTER_OUTSIDE);
	inet_pton(AF_INET6, "fd00:3::99", p6 + 24);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, &allow, p6, sizeof(p6)), GW_FILTER_PASS);
	/* A forged source stays spoofing, not "outside". */
	ipv4_packet(p4, sizeof(p4), "198.18.100.9");
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, &allow, p4, sizeof(p4)), GW_FILTER_SPOOFED);
}

/*
 * The gateway's own addresses are closed even inside an allowed network,
 * unless the profile names the very address; so is the local table's
 * whole 127.0.0.0/8 and a directed broadcast.
 */
static void test_gateway_addresses_are_closed(void)
{
	struct gw_filter_addrs a = lease();
	struct conf_cidr local[3], nets[3];
	struct gw_filter_nets with_local = { &pool4, &pool6, local, 3 };
	struct gw_filter_allow allow = { nets, 2 }, named = { nets, 3 };
	uint8_t p4[60], p6[80];

	CHECK(conf_cidr_parse("198.18.2.1/32", &local[0]) == 0);
	CHECK(conf_cidr_parse("127.0.0.0/8", &local[1]) == 0);
	CHECK(conf_cidr_parse("fd00:1::1/128", &local[2]) == 0);
	CHECK(conf_cidr_parse("198.18.2.0/24", &nets[0]) == 0);
	CHECK(conf_cidr_parse("fd00:1::/64", &nets[1]) == 0);
	CHECK(conf_cidr_parse("198.18.2.1/32", &nets[2]) == 0);
	ipv4_packet(p4, sizeof(p4), "198.18.100.2");
	CHECK_EQ_INT(gw_filter_from_client(&a, &with_local, &allow, p4, sizeof(p4)), GW_FILTER_PASS);
	inet_pton(AF_INET, "198.18.2.1", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, &with_local, &allow, p4, sizeof(p4)),
		     GW_FILTER_GATEWAY);
	CHECK_EQ_INT(gw_filter_from_client(&a, &with_local, &named, p4, sizeof(p4)), GW_FILTER_PASS);
	inet_pton(AF_INET, "127.3.4.5", p4 + 16);
	CHECK_EQ_INT(gw_filter_from_client(&a, &with_local, &named, p4, sizeof(p4)),
		     GW_FILTER_GATEWAY);
	ipv6_packet(p6, sizeof(p6), "fd00:5057::2");
	CHECK_EQ_INT(gw_filter_from_client(&a, &with_local, &allow, p6, sizeof(p6)), GW_FILTER_PASS);
	inet_pton(AF_INET6, "fd00:1::1", p6 + 24);
	CHECK_EQ_INT(gw_filter_from_client(&a, &with_local, &allow, p6, sizeof(p6)),
		     GW_FILTER_GATEWAY);
	/* Without a profile that names it, even no destination filter opens it. */
	CHECK_EQ_INT(gw_filter_from_client(&a, &with_local, NULL, p6, sizeof(p6)),
		     GW_FILTER_GATEWAY);
}

static void test_other_versions_are_malformed(void)
{
	struct gw_filter_addrs a = lease();
	uint8_t p[60] = { 0 };

	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_MALFORMED);
	p[0] = 0x55;
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, sizeof(p)), GW_FILTER_MALFORMED);
	CHECK_EQ_INT(gw_filter_from_client(&a, &pools, NULL, p, 0), GW_FILTER_MALFORMED);
}

int main(void)
{
	conf_cidr_parse("198.18.100.0/24", &pool4);
	conf_cidr_parse("fd00:5057::/64", &pool6);
	RUN(test_ipv4_leased_source_passes);
	RUN(test_ipv4_other_source_is_spoofed);
	RUN(test_ipv4_lengths_must_agree);
	RUN(test_ipv6);
	RUN(test_ipv6_link_housekeeping_is_not_spoofing);
	RUN(test_destination_in_a_pool_is_lateral);
	RUN(test_profile_confines_destinations);
	RUN(test_gateway_addresses_are_closed);
	RUN(test_other_versions_are_malformed);
	UNIT_EXIT();
}
