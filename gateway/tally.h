/* SPDX-License-Identifier: MIT */
/*
 * What the data path counts beyond plain counters (tally.c): how long a
 * TLS handshake and a login take, as latency histograms, and each login
 * decision by verdict, by the policy rule that made it and by the classes
 * of a quarantine's reasons. Like every counter of struct gw_stats these
 * are a worker's own, changed under that worker's lock only and added up
 * across the workers when they are shown (stats.c): nothing here locks.
 */
#ifndef POSTERN_GW_TALLY_H
#define POSTERN_GW_TALLY_H

#include <stddef.h>
#include <stdint.h>

struct conf_policy;
struct conf_rule;
struct gw_stats;
struct pst_decision;

/*
 * A latency histogram with fixed buckets, from a millisecond to half a
 * minute (a login waits on the key holder and, with an inventory, on
 * nothing slower; the handshake deadline is 20 s). Counts per bucket, not
 * cumulative; the last counts what took longer than every bound. Every
 * member is a uint64_t, so that the workers' add up member by member.
 */
#define GW_LATENCY_BUCKETS	14
struct gw_latency {
	uint64_t bucket[GW_LATENCY_BUCKETS + 1];
	uint64_t sum_us;			/* microseconds */
	uint64_t count;
};

/* Now on the monotonic clock, in microseconds: a start for gw_latency_observe. */
uint64_t gw_latency_now(void);
/* Counts the time from since (gw_latency_now) to now. */
void gw_latency_observe(struct gw_latency *h, uint64_t since);
/* Bucket i's upper bound in seconds as the exposition writes it ("0.005"). */
const char *gw_latency_le(size_t i);

/*
 * Decisions by rule: the policy's first GW_RULE_STATS rules each have a
 * slot (the rule's place in the policy, plus one); slot 0 is no rule (the
 * MDM status denied first, or no rule fits) and the last slot every rule
 * past those. A reload carries each rule's counts to the rule of the same
 * name in the new policy; a rule it no longer has loses them.
 */
#define GW_RULE_STATS		64
#define GW_RULE_SLOTS		(GW_RULE_STATS + 2)

size_t gw_rule_slot(const struct conf_policy *p, const struct conf_rule *r);
/* Counts a login's decision d, made by policy p, in st. */
void gw_tally_decision(struct gw_stats *st, const struct conf_policy *p,
		       const struct pst_decision *d);
/* Moves st's counts by rule from policy from's places to policy to's. */
void gw_tally_rules_carry(struct gw_stats *st, const struct conf_policy *from,
			  const struct conf_policy *to);

#endif
