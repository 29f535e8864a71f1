/* SPDX-License-Identifier: MIT */
/*
 * Client -> gateway packet checks (see filter.h). The IP header's own length
 * fields must agree with the frame, so a packet cannot smuggle bytes past
 * the checks; the source must be exactly the leased address.
 */
#include <string.h>

#include "gateway/filter.h"

static bool filter_allowed(const struct gw_filter_allow *allow, int family, const uint8_t *dst)
{
	if (!allow)
		return true;
	for (size_t i = 0; i < allow->n; i++) {
		if (conf_cidr_contains(&allow->nets[i], family, dst))
			return true;
	}
	return false;
}

/* Whether the profile names this very address (not merely a network around it). */
static bool filter_named(const struct gw_filter_allow *allow, int family, const uint8_t *dst)
{
	unsigned int host = family == AF_INET ? 32 : 128;

	for (size_t i = 0; allow && i < allow->n; i++) {
		if (allow->nets[i].prefix == host && conf_cidr_contains(&allow->nets[i], family, dst))
			return true;
	}
	return false;
}

/* The checks on the destination, after the source passed. */
static enum gw_filter_verdict filter_dst(const struct gw_filter_nets *n,
					 const struct gw_filter_allow *allow, int family,
					 const uint8_t *dst)
{
	const struct conf_cidr *pool = family == AF_INET ? n->pool4 : n->pool6;

	if (pool && conf_cidr_contains(pool, family, dst))
		return GW_FILTER_LATERAL;
	for (size_t i = 0; i < n->n_local; i++) {
		if (conf_cidr_contains(&n->local[i], family, dst))
			return filter_named(allow, family, dst) ? GW_FILTER_PASS : GW_FILTER_GATEWAY;
	}
	return filter_allowed(allow, family, dst) ? GW_FILTER_PASS : GW_FILTER_OUTSIDE;
}

static enum gw_filter_verdict filter_v4(const struct gw_filter_addrs *a,
					const struct gw_filter_nets *n,
					const struct gw_filter_allow *allow,
					const uint8_t *pkt, size_t len)
{
	size_t ihl, total;

	if (len < 20)
		return GW_FILTER_MALFORMED;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	total = (size_t)pkt[2] << 8 | pkt[3];
	if (ihl < 20 || total < ihl || total != len)
		return GW_FILTER_MALFORMED;
	if (!a->have_v4)
		return GW_FILTER_NO_LEASE;
	if (memcmp(pkt + 12, &a->v4, 4) != 0)
		return GW_FILTER_SPOOFED;
	return filter_dst(n, allow, AF_INET, pkt + 16);
}

static enum gw_filter_verdict filter_v6(const struct gw_filter_addrs *a,
					const struct gw_filter_nets *n,
					const struct gw_filter_allow *allow,
					const uint8_t *pkt, size_t len)
{
	static const uint8_t unspecified[16];

	if (len < 40 || ((size_t)pkt[4] << 8 | pkt[5]) + 40 != len)
		return GW_FILTER_MALFORMED;
	if ((pkt[8] == 0xfe && (pkt[9] & 0xc0) == 0x80) || !memcmp(pkt + 8, unspecified, 16))
		return GW_FILTER_LINK_LOCAL;
	if (!a->have_v6)
		return GW_FILTER_NO_LEASE;
	if (memcmp(pkt + 8, &a->v6, 16) != 0)
		return GW_FILTER_SPOOFED;
	return filter_dst(n, allow, AF_INET6, pkt + 24);
}

enum gw_filter_verdict gw_filter_from_client(const struct gw_filter_addrs *a,
					     const struct gw_filter_nets *nets,
					     const struct gw_filter_allow *allow,
					     const uint8_t *pkt, size_t len)
{
	static const struct gw_filter_nets none;
	const struct gw_filter_nets *n = nets ? nets : &none;

	if (len < 1)
		return GW_FILTER_MALFORMED;
	switch (pkt[0] >> 4) {
	case 4:
		return filter_v4(a, n, allow, pkt, len);
	case 6:
		return filter_v6(a, n, allow, pkt, len);
	default:
		return GW_FILTER_MALFORMED;
	}
}
