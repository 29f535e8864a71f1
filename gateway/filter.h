/* SPDX-License-Identifier: MIT */
/*
 * The per-session packet filter on the client -> gateway path. A packet
 * passes only if it is a well-formed IPv4 or IPv6 packet whose source is an
 * address leased to the session that sent it (anti-spoofing), and whose
 * destination is not inside the VPN pools: devices do not reach each other
 * or the gateway's own tunnel address, so malware on one field device
 * cannot move sideways to the next. Nor may it be any other address of the
 * gateway itself (its inside address, loopback, a broadcast; localaddr.h):
 * a profile that allows the inside network must not open the gateway's own
 * ports to every device, so such an address passes only when the profile
 * names it alone (a /32 or /128). The destination must also lie inside the
 * networks of the session's profile, or without a policy inside the
 * configured routes: that is what confines a quarantined device to the
 * remediation hosts, whatever routes its client chooses to install.
 *
 * Client operating systems send IPv6 link housekeeping (router
 * solicitations, MLD reports from fe80:: or ::) into any new interface, and
 * IPv6 packets even when only IPv4 was leased. Those are dropped as well but
 * told apart from spoofing, so that the spoofing counter and log mean an
 * actual forged source.
 */
#ifndef POSTERN_GW_FILTER_H
#define POSTERN_GW_FILTER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

enum gw_filter_verdict {
	GW_FILTER_PASS,
	GW_FILTER_MALFORMED,	/* not IPv4/IPv6, or shorter than its header says */
	GW_FILTER_SPOOFED,	/* source is not the session's leased address */
	GW_FILTER_LINK_LOCAL,	/* IPv6 link housekeeping (fe80::/10 or :: source) */
	GW_FILTER_NO_LEASE,	/* a family the session has no address of */
	GW_FILTER_LATERAL,	/* destination inside a VPN pool */
	GW_FILTER_OUTSIDE,	/* destination outside the session's profile */
	GW_FILTER_GATEWAY,	/* destination is one of the gateway's own addresses */
};

struct gw_filter_addrs {
	bool have_v4, have_v6;
	struct in_addr v4;
	struct in6_addr v6;
};

/* The VPN pools, which no client packet may be addressed to (either may be
 * NULL), and the gateway's own addresses. */
struct gw_filter_nets {
	const struct conf_cidr *pool4, *pool6;
	const struct conf_cidr *local;
	size_t n_local;
};

/* The networks a session's profile allows (or, without a policy, the
 * configured routes); NULL in the call: no destination check (tests only). */
struct gw_filter_allow {
	const struct conf_cidr *nets;
	size_t n;
};

enum gw_filter_verdict gw_filter_from_client(const struct gw_filter_addrs *a,
					     const struct gw_filter_nets *nets,
					     const struct gw_filter_allow *allow,
					     const uint8_t *pkt, size_t len);

#endif
