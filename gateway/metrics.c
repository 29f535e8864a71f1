/* SPDX-License-Identifier: MIT */
/*
 * The rows only GET /metrics has (see stats.c): the standard process_*
 * metrics and postern_build_info, by the names every dashboard knows; the
 * latency histograms; and the login decisions by verdict and rule.
 *
 * The rule label's values are the policy's rule names (a bounded set, in
 * the certificate-group grammar, so nothing to escape), "-" for no rule
 * and "_other" for rules past the first GW_RULE_STATS (tally.h). Only the
 * verdicts a rule can give are series: an allow rule's allow and
 * quarantine, a deny rule's deny. A reload keeps a rule's counts when the
 * new policy has a rule of the same name; a rule it drops disappears from
 * the exposition (Prometheus marks its series stale), and a renamed rule
 * starts from zero. posternctl stats keeps the totals by verdict, which a
 * reload never drops.
 */
#include <openssl/crypto.h>

#include "conf/policy.h"
#include "gateway/model.h"
#include "gateway/procstat.h"
#include "gateway/stats.h"

static void gauge(struct gw_stat_list *l, const char *metric, const char *help, uint64_t v,
		  bool micro)
{
	struct gw_stat_row *r = gw_stat_add(l, NULL, NULL, metric, NULL, help, GW_STAT_GAUGE, v);

	if (r)
		r->micro = micro;
}

/* The build, and the process as every exporter names it. */
static void rows_process(struct gw_stat_list *l)
{
	char label[GW_STAT_LABEL_MAX];
	struct gw_proc p;
	struct gw_stat_row *r;

	snprintf(label, sizeof(label), "version=\"%s\",openssl=\"%s\"", POSTERN_VERSION,
		 OpenSSL_version(OPENSSL_VERSION_STRING));
	gw_stat_add(l, NULL, NULL, "postern_build_info", label,
		    "Postern's version and the OpenSSL it runs with; always 1", GW_STAT_GAUGE, 1);
	gw_proc_read(&p);
	r = gw_stat_add(l, NULL, NULL, "process_cpu_seconds_total", NULL,
			"Total user and system CPU time spent in seconds", GW_STAT_COUNTER,
			p.cpu_us);
	if (r)
		r->micro = true;
	if (p.start_us)
		gauge(l, "process_start_time_seconds",
		      "Start time of the process since unix epoch in seconds", p.start_us, true);
	if (p.have_mem) {
		gauge(l, "process_resident_memory_bytes", "Resident memory size in bytes",
		      p.rss_bytes, false);
		gauge(l, "process_virtual_memory_bytes", "Virtual memory size in bytes",
		      p.vsize_bytes, false);
	}
	if (p.have_fds)
		gauge(l, "process_open_fds", "Number of open file descriptors", p.open_fds, false);
	if (p.have_max_fds)
		gauge(l, "process_max_fds", "Maximum number of open file descriptors", p.max_fds,
		      false);
}

struct histogram {
	const struct gw_latency *h;
	const char *bucket, *sum, *count;
	const char *help;
};

/* _bucket{le} cumulative, +Inf last, then _sum (seconds) and _count. */
static void rows_histogram(struct gw_stat_list *l, const struct histogram *x)
{
	char label[32];
	uint64_t below = 0;
	struct gw_stat_row *r;

	for (size_t i = 0; i <= GW_LATENCY_BUCKETS; i++) {
		below += x->h->bucket[i];
		snprintf(label, sizeof(label), "le=\"%s\"", gw_latency_le(i));
		gw_stat_add(l, NULL, NULL, x->bucket, label, i ? NULL : x->help,
			    GW_STAT_HISTOGRAM, below);
	}
	r = gw_stat_add(l, NULL, NULL, x->sum, NULL, NULL, GW_STAT_HISTOGRAM, x->h->sum_us);
	if (r)
		r->micro = true;
	gw_stat_add(l, NULL, NULL, x->count, NULL, NULL, GW_STAT_HISTOGRAM, x->h->count);
}

static void rows_latency(struct gw_stat_list *l, const struct gw_stats *sum)
{
	const struct histogram hs[] = {
		{ &sum->tls_handshake, "postern_tls_handshake_duration_seconds_bucket",
		  "postern_tls_handshake_duration_seconds_sum",
		  "postern_tls_handshake_duration_seconds_count",
		  "Seconds from accepting a connection to the end of its TLS handshake" },
		{ &sum->login, "postern_login_duration_seconds_bucket",
		  "postern_login_duration_seconds_sum", "postern_login_duration_seconds_count",
		  "Seconds from accepting a connection to the answer to its login: a session or "
		  "a refusal" },
		{ &sum->control_hold, "postern_control_hold_duration_seconds_bucket",
		  "postern_control_hold_duration_seconds_sum",
		  "postern_control_hold_duration_seconds_count",
		  "Seconds the control plane held every worker at once (a posternctl command, a "
		  "slice of a reload or listing, the file watches each second): how long tunnels "
		  "waited on it" },
	};

	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		rows_histogram(l, &hs[i]);
}

/* One slot's series: rule is its label value, verdicts a bit per verdict;
 * the metric's help goes with its first row. */
static void rows_rule(struct gw_stat_list *l, const uint64_t counts[3], const char *rule,
		      unsigned int verdicts, const char **help)
{
	char label[GW_STAT_LABEL_MAX];

	for (int v = 0; v < 3; v++) {
		if (!(verdicts & (1u << v)))
			continue;
		snprintf(label, sizeof(label), "verdict=\"%s\",rule=\"%s\"",
			 pst_verdict_name((enum pst_verdict)v), rule);
		gw_stat_add(l, NULL, NULL, "postern_decisions_total", label, *help,
			    GW_STAT_COUNTER, counts[v]);
		*help = NULL;
	}
}

static void rows_by_rule(struct gw_stat_list *l, const struct conf_policy *p,
			 const struct gw_stats *sum)
{
	const unsigned int deny = 1u << PST_DENY;
	const unsigned int allow = 1u << PST_ALLOW | 1u << PST_QUARANTINE;
	const char *help = "Posture decisions at login, by verdict and the policy rule that "
			   "made them (\"-\": none)";

	if (!p)
		return;
	rows_rule(l, sum->by_rule[0], "-", deny, &help);
	for (size_t i = 0; i < p->n_rules && i < GW_RULE_STATS; i++)
		rows_rule(l, sum->by_rule[i + 1], p->rules[i].name,
			  p->rules[i].action == CONF_ACTION_DENY ? deny : allow, &help);
	if (p->n_rules > GW_RULE_STATS)
		rows_rule(l, sum->by_rule[GW_RULE_SLOTS - 1], "_other", deny | allow, &help);
}

void gw_stats_metrics_rows(struct gw_stat_list *l, const struct gw_worker *w,
			   const struct gw_stats *sum)
{
	rows_by_rule(l, w->pol.policy, sum);
	rows_latency(l, sum);
	rows_process(l);
}
