/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gateway/tally.c: a latency lands in the first bucket whose
 * bound it does not pass (and past the last one, in the overflow), with
 * its sum and count; the bounds read as the exposition writes them, rising;
 * a decision counts by verdict, by its rule's slot, and a quarantine once
 * under each class its reasons have; a reload carries the counts by rule
 * name, drops a rule's that the new policy lacks, and keeps "no rule" and
 * the rules past the counted ones.
 */
#include <stdlib.h>

#include "conf/policy.h"
#include "gateway/model.h"
#include "gateway/tally.h"
#include "tests/unit/unit.h"

static void test_latency_buckets(void)
{
	struct gw_latency h;
	uint64_t now = gw_latency_now();

	memset(&h, 0, sizeof(h));
	gw_latency_observe(&h, now + 5000000);		/* from the future: 0 */
	gw_latency_observe(&h, now - 1700);		/* 1.7 ms */
	gw_latency_observe(&h, now - 700000);		/* 0.7 s */
	gw_latency_observe(&h, now - 40000000);		/* 40 s: past every bound */
	CHECK_EQ_INT(h.bucket[0], 1);
	CHECK_EQ_INT(h.bucket[1], 1);
	CHECK_EQ_INT(h.bucket[9], 1);			/* up to 1 s */
	CHECK_EQ_INT(h.bucket[GW_LATENCY_BUCKETS], 1);
	CHECK_EQ_INT(h.count, 4);
	CHECK(h.sum_us >= 40701700 && h.sum_us < 40701700 + 500000);
	CHECK(gw_latency_now() >= now);
}

static void test_latency_le(void)
{
	double prev = 0;

	for (size_t i = 0; i < GW_LATENCY_BUCKETS; i++) {
		double le = strtod(gw_latency_le(i), NULL);

		CHECK(le > prev);
		prev = le;
	}
	CHECK_EQ_STR(gw_latency_le(0), "0.001");
	CHECK_EQ_STR(gw_latency_le(GW_LATENCY_BUCKETS - 1), "30");
	CHECK_EQ_STR(gw_latency_le(GW_LATENCY_BUCKETS), "+Inf");
}

/* ---- decisions ---- */

static struct conf_rule rules_a[3] = {
	{ .name = (char *)"corporate" }, { .name = (char *)"blocked" },
	{ .name = (char *)"personal" },
};
static struct conf_policy policy_a = { .rules = rules_a, .n_rules = 3 };

static void test_rule_slot(void)
{
	struct conf_rule other = { .name = (char *)"corporate" };

	CHECK_EQ_INT(gw_rule_slot(&policy_a, NULL), 0);
	CHECK_EQ_INT(gw_rule_slot(NULL, &rules_a[0]), 0);
	CHECK_EQ_INT(gw_rule_slot(&policy_a, &other), 0);	/* not this policy's */
	CHECK_EQ_INT(gw_rule_slot(&policy_a, &rules_a[0]), 1);
	CHECK_EQ_INT(gw_rule_slot(&policy_a, &rules_a[2]), 3);
}

/* Rules past GW_RULE_STATS share the last slot. */
static void test_rule_slot_many(void)
{
	struct conf_rule *many = calloc(GW_RULE_STATS + 5, sizeof(*many));
	struct conf_policy p = { .rules = many, .n_rules = GW_RULE_STATS + 5 };

	CHECK(many != NULL);
	if (!many)
		return;
	CHECK_EQ_INT(gw_rule_slot(&p, &many[GW_RULE_STATS - 1]), GW_RULE_STATS);
	CHECK_EQ_INT(gw_rule_slot(&p, &many[GW_RULE_STATS]), GW_RULE_SLOTS - 1);
	CHECK_EQ_INT(gw_rule_slot(&p, &many[GW_RULE_STATS + 4]), GW_RULE_SLOTS - 1);
	free(many);
}

static void test_tally_decision(void)
{
	static struct gw_stats st;
	struct pst_decision d = { .verdict = PST_QUARANTINE, .rule = &rules_a[2], .n_reasons = 3,
				  .classes = { PST_CLASS_OS_VERSION, PST_CLASS_STALE_REPORT,
					       PST_CLASS_OS_VERSION } };

	memset(&st, 0, sizeof(st));
	gw_tally_decision(&st, &policy_a, &d);
	CHECK_EQ_INT(st.decisions[PST_QUARANTINE], 1);
	CHECK_EQ_INT(st.by_rule[3][PST_QUARANTINE], 1);
	CHECK_EQ_INT(st.quarantines[PST_CLASS_OS_VERSION], 1);	/* once, though twice */
	CHECK_EQ_INT(st.quarantines[PST_CLASS_STALE_REPORT], 1);
	d = (struct pst_decision){ .verdict = PST_DENY, .n_reasons = 1,
				   .classes = { PST_CLASS_NO_RULE } };
	gw_tally_decision(&st, &policy_a, &d);
	CHECK_EQ_INT(st.by_rule[0][PST_DENY], 1);
	CHECK_EQ_INT(st.quarantines[PST_CLASS_NO_RULE], 0);	/* a deny is no quarantine */
	d = (struct pst_decision){ .verdict = PST_ALLOW, .rule = &rules_a[0] };
	gw_tally_decision(&st, &policy_a, &d);
	CHECK_EQ_INT(st.by_rule[1][PST_ALLOW], 1);
	CHECK_EQ_INT(st.decisions[PST_ALLOW] + st.decisions[PST_DENY], 2);
}

/* The new policy: personal first, corporate renamed, blocked dropped. */
static void test_rules_carry(void)
{
	static struct gw_stats st;
	struct conf_rule rules_b[3] = {
		{ .name = (char *)"personal" }, { .name = (char *)"staff" },
		{ .name = (char *)"newcomer" },
	};
	struct conf_policy policy_b = { .rules = rules_b, .n_rules = 3 };

	memset(&st, 0, sizeof(st));
	st.by_rule[0][PST_DENY] = 11;
	st.by_rule[1][PST_ALLOW] = 21;		/* corporate */
	st.by_rule[2][PST_DENY] = 31;		/* blocked */
	st.by_rule[3][PST_ALLOW] = 41;		/* personal */
	st.by_rule[3][PST_QUARANTINE] = 42;
	st.by_rule[GW_RULE_SLOTS - 1][PST_ALLOW] = 51;
	gw_tally_rules_carry(&st, &policy_a, &policy_b);
	CHECK_EQ_INT(st.by_rule[0][PST_DENY], 11);
	CHECK_EQ_INT(st.by_rule[1][PST_ALLOW], 41);
	CHECK_EQ_INT(st.by_rule[1][PST_QUARANTINE], 42);
	CHECK_EQ_INT(st.by_rule[2][PST_ALLOW], 0);
	CHECK_EQ_INT(st.by_rule[3][PST_DENY], 0);
	CHECK_EQ_INT(st.by_rule[GW_RULE_SLOTS - 1][PST_ALLOW], 51);
	/* To no policy: only "no rule" and the rest stay. */
	gw_tally_rules_carry(&st, &policy_b, NULL);
	CHECK_EQ_INT(st.by_rule[1][PST_ALLOW], 0);
	CHECK_EQ_INT(st.by_rule[0][PST_DENY], 11);
}

int main(void)
{
	RUN(test_latency_buckets);
	RUN(test_latency_le);
	RUN(test_rule_slot);
	RUN(test_rule_slot_many);
	RUN(test_tally_decision);
	RUN(test_rules_carry);
	UNIT_EXIT();
}
