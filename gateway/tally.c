/* SPDX-License-Identifier: MIT */
/*
 * The data path's histograms and decision tallies (tally.h). Each worker
 * changes its own under its own lock; worker 0 reads them all, holding
 * every lock, when it answers a scrape or `posternctl stats`.
 */
#include <string.h>
#include <time.h>

#include "conf/policy.h"
#include "gateway/model.h"
#include "gateway/tally.h"
#include "posture/posture.h"

/* The bounds in microseconds, and as the exposition writes them. */
static const uint64_t latency_bound_us[GW_LATENCY_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 30000000,
};
static const char *const latency_le[GW_LATENCY_BUCKETS] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
	"1", "2.5", "5", "10", "30",
};

uint64_t gw_latency_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void gw_latency_observe(struct gw_latency *h, uint64_t since)
{
	uint64_t now = gw_latency_now();
	uint64_t us = now > since ? now - since : 0;
	size_t i = 0;

	while (i < GW_LATENCY_BUCKETS && us > latency_bound_us[i])
		i++;
	h->bucket[i]++;
	h->sum_us += us;
	h->count++;
}

const char *gw_latency_le(size_t i)
{
	return i < GW_LATENCY_BUCKETS ? latency_le[i] : "+Inf";
}

size_t gw_rule_slot(const struct conf_policy *p, const struct conf_rule *r)
{
	size_t i;

	if (!p || !r || r < p->rules || r >= p->rules + p->n_rules)
		return 0;
	i = (size_t)(r - p->rules);
	return i < GW_RULE_STATS ? i + 1 : GW_RULE_SLOTS - 1;
}

/* A quarantine counts once under each class its reasons have. */
void gw_tally_decision(struct gw_stats *st, const struct conf_policy *p,
		       const struct pst_decision *d)
{
	bool seen[PST_CLASS_N] = { false };

	st->decisions[d->verdict]++;
	st->by_rule[gw_rule_slot(p, d->rule)][d->verdict]++;
	if (d->verdict != PST_QUARANTINE)
		return;
	for (size_t i = 0; i < d->n_reasons; i++) {
		unsigned int c = (unsigned int)d->classes[i];

		if (c < PST_CLASS_N && !seen[c]) {
			seen[c] = true;
			st->quarantines[c]++;
		}
	}
}

/* The slot of the rule named name in p (0: none of that name). */
static size_t rule_slot_named(const struct conf_policy *p, const char *name)
{
	for (size_t i = 0; p && i < p->n_rules; i++) {
		if (!strcmp(p->rules[i].name, name))
			return gw_rule_slot(p, &p->rules[i]);
	}
	return 0;
}

void gw_tally_rules_carry(struct gw_stats *st, const struct conf_policy *from,
			  const struct conf_policy *to)
{
	uint64_t was[GW_RULE_SLOTS][3];

	memcpy(was, st->by_rule, sizeof(was));
	memset(st->by_rule, 0, sizeof(st->by_rule));
	/* No rule stays no rule; the rules past the counted ones stay together. */
	memcpy(st->by_rule[0], was[0], sizeof(was[0]));
	memcpy(st->by_rule[GW_RULE_SLOTS - 1], was[GW_RULE_SLOTS - 1], sizeof(was[0]));
	for (size_t i = 0; to && i < to->n_rules && i < GW_RULE_STATS; i++) {
		size_t old = rule_slot_named(from, to->rules[i].name);

		if (old > 0 && old < GW_RULE_SLOTS - 1)
			memcpy(st->by_rule[i + 1], was[old], sizeof(was[old]));
	}
}
