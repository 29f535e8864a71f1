/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gateway/stats.c on a worker built by hand (pools, three
 * sessions: allow with a tunnel, quarantine, deny; every counter set to a
 * value of its own; no sockets). gw_stats_rows names each counter once and
 * fits its table; gw_stats_json has exactly the keys of the spec (issue 4,
 * "stats") with the struct's numbers in them, read back by a strict JSON
 * reader; gw_stats_prometheus is valid text format 0.0.4 (HELP and TYPE
 * once, before a metric's first sample; a metric's samples together;
 * counters end in _total, nothing else does; well-formed labels; no series
 * twice; histograms cumulative up to +Inf, whose count _count repeats) and
 * every sample, mapped by the spec's table of metric names, equals the
 * JSON's number, one sample per number but posternctl's own (decisions by
 * verdict, uptime); the metrics' own (decisions by verdict and rule, which
 * add up to the JSON's by verdict, only the verdicts a rule can give; the
 * latency histograms; postern_build_info; process_*, with and without
 * /proc opened) are there; gw_stats_text says what the JSON says. The
 * refusal table gives each refusal the gateway tells a device (tls.c,
 * auth.c, verdict.c) its words, word for word as listed here, and the
 * counter it is counted under; every value of the enum is listed, and the
 * sources spell out none of the words themselves.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <time.h>

#include "conf/policy.h"
#include "gateway/conn.h"
#include "gateway/model.h"
#include "gateway/procstat.h"
#include "gateway/refusal.h"
#include "gateway/stats.h"
#include "tests/unit/json_check.h"
#include "tests/unit/unit.h"
#include "tests/unit/worker_fixture.h"

/* ---- a worker by hand ---- */

static struct gw_conf conf;
static struct gw_worker w;
static struct gw_conn fake_conn;	/* a tunnel; never sent to */

/* A policy of three rules, for the decisions by rule: an allow rule, a
 * deny rule, an allow rule. */
static struct conf_rule rules[3] = {
	{ .name = (char *)"corporate", .action = CONF_ACTION_ALLOW },
	{ .name = (char *)"blocked", .action = CONF_ACTION_DENY },
	{ .name = (char *)"personal", .action = CONF_ACTION_ALLOW },
};
static struct conf_policy policy = { .rules = rules, .n_rules = 3 };

static void worker_init(bool pool6)
{
	CHECK(wf_worker_init(&w, &conf, pool6, false));
	w.ctl.started = time(NULL) - 1000;
}

static struct gw_session *add_session(const char *device, enum pst_verdict v, bool lease)
{
	struct gw_session *s;

	CHECK_EQ_INT(wf_add_session(&w, device, "staff", v, lease, &s), 0);
	return s;
}

/* devA allow with a tunnel, devB quarantine, devC deny (no lease). */
static void add_sessions(void)
{
	struct gw_session *a = add_session("devA", PST_ALLOW, true);

	add_session("devB", PST_QUARANTINE, true);
	add_session("devC", PST_DENY, false);
	snprintf(fake_conn.peer, sizeof(fake_conn.peer), "192.0.2.7:50123");
	if (a)
		a->conn = &fake_conn;
}

static void worker_free(void)
{
	wf_worker_free(&w);
}

/* ---- what the spec says ---- */

/* The stats.refused keys, by enum gw_refusal (issue 4 spec and updates). */
static const char *const ref_keys[GW_REF_COUNTERS] = {
	[GW_REF_REVOKED] = "revoked",
	[GW_REF_EXPIRED] = "expired",
	[GW_REF_NOT_YET_VALID] = "not_yet_valid",
	[GW_REF_UNKNOWN_CA] = "unknown_ca",
	[GW_REF_CRL_OUT_OF_DATE] = "crl_out_of_date",
	[GW_REF_NOT_CLIENT_CERT] = "not_client_cert",
	[GW_REF_NO_CERTIFICATE] = "no_certificate",
	[GW_REF_BAD_CERTIFICATE] = "bad_certificate",
	[GW_REF_POLICY_DENY] = "policy_deny",
	[GW_REF_POOL_EXHAUSTED] = "pool_exhausted",
	[GW_REF_RESOURCES] = "resources",
	[GW_REF_COOKIE] = "cookie",
	[GW_REF_POSTURE_CHECK] = "posture_check",
	[GW_REF_BANNED] = "banned",
};

static const char *const end_keys[GW_END_N] = {
	[GW_END_KICKED] = "kicked",
	[GW_END_REVOKED] = "revoked",
	[GW_END_LOST] = "lost",
	[GW_END_POLICY] = "policy",
	[GW_END_EXPIRED] = "expired",
};

struct want {
	char path[64];
	uint64_t value;
	bool seen;
};

static struct want wants[100];
static size_t n_wants;

static void want(const char *group, const char *key, uint64_t value)
{
	struct want *x = &wants[n_wants++];

	snprintf(x->path, sizeof(x->path), "%s%s%s", group ? group : "", group ? "." : "", key);
	x->value = value;
	x->seen = false;
}

/*
 * The counters only the metrics show: decisions by rule (that add up to the
 * totals by verdict, as they do while no reload drops a rule: "-" denies,
 * corporate allows 3 and quarantines 1, blocked denies, personal allows
 * the rest) and two latency histograms.
 */
static void fill_metrics_only(struct gw_stats *st)
{
	w.pol.policy = &policy;		/* after the leases: it has no profiles */
	st->by_rule[0][PST_DENY] = 7;
	st->by_rule[1][PST_ALLOW] = 3;
	st->by_rule[1][PST_QUARANTINE] = 1;
	st->by_rule[2][PST_DENY] = st->decisions[PST_DENY] - 7;
	st->by_rule[3][PST_ALLOW] = st->decisions[PST_ALLOW] - 3;
	st->by_rule[3][PST_QUARANTINE] = st->decisions[PST_QUARANTINE] - 1;
	memset(&st->tls_handshake, 0, sizeof(st->tls_handshake));
	st->tls_handshake.bucket[0] = 5;		/* up to 1 ms */
	st->tls_handshake.bucket[4] = 2;		/* up to 25 ms */
	st->tls_handshake.bucket[GW_LATENCY_BUCKETS] = 1;	/* over 30 s */
	st->tls_handshake.sum_us = 31500250;
	st->tls_handshake.count = 8;
	memset(&st->login, 0, sizeof(st->login));
}

/*
 * Sets every counter of w->stats to a number of its own (all above 100000,
 * so none equals a gauge) and lists where the spec puts each one. The
 * gauges are what add_sessions() made: one session per verdict, one tunnel,
 * two IPv4 leases of five (and two IPv6 of 254 with pool6).
 */
static void fill_counters(void)
{
	struct gw_stats *st = &w.stats;
	struct gw_counters *t = &st->traffic;
	uint64_t v = 100001;

	n_wants = 0;
	want(NULL, "accepted", st->accepted = v++);
	want(NULL, "handshakes", st->handshakes = v++);
	want(NULL, "handoffs", st->handoffs = v++);
	want("shed", "evicted_idle", st->shed_idle = v++);
	want("shed", "turned_away", st->shed_full = v++);
	want("shed", "per_source", st->shed_source = v++);
	want("shed", "max_pending", st->shed_pending = v++);
	want(NULL, "accept_pauses", st->accept_pauses = v++);
	for (int i = GW_REF_NONE + 1; i < GW_REF_COUNTERS; i++)
		want("refused", ref_keys[i], st->refused_by[i] = v++);
	want("decisions", "allow", st->decisions[PST_ALLOW] = v++);
	want("decisions", "quarantine", st->decisions[PST_QUARANTINE] = v++);
	want("decisions", "deny", st->decisions[PST_DENY] = v++);
	for (int c = 0; c < PST_CLASS_DEVICE_STATUS; c++)
		want("quarantines", pst_class_name((enum pst_class)c), st->quarantines[c] = v++);
	want("dropped", "spoofed", t->dropped_spoofed = v++);
	want("dropped", "outside_profile", t->dropped_outside = v++);
	want("dropped", "lateral", t->dropped_lateral = v++);
	want("dropped", "gateway", t->dropped_gateway = v++);
	want("dropped", "unroutable", t->dropped_unroutable = v++);
	want("dropped", "malformed", t->dropped_malformed = v++);
	want("dropped", "queue_full", t->dropped_queue_full = v++);
	want("bytes", "rx", t->rx_bytes = v++);
	want("bytes", "tx", t->tx_bytes = v++);
	want("packets", "rx", t->rx_packets = v++);
	want("packets", "tx", t->tx_packets = v++);
	want("reports", "accepted", st->reports = v++);
	want("reports", "refused", st->reports_refused = v++);
	want("reloads", "ok", st->reloads_ok = v++);
	want("reloads", "failed", st->reloads_failed = v++);
	want(NULL, "reevaluated", st->reevaluated = v++);
	want(NULL, "restarts", 0);	/* the supervisor's count: none in a test */
	want(NULL, "worker_restarts", st->worker_restarts = v++);
	want(NULL, "resumed", st->resumed = v++);
	for (int i = 0; i < GW_END_N; i++)
		want("sessions_ended", end_keys[i], st->ended[i] = v++);
	/* Not in the spec's list: totals and internals with no key of their own. */
	st->refused = v++;
	st->auth_ok = v++;
	st->tunnels = v++;
	st->closed_bad_input = v++;
	fill_metrics_only(st);
	want("sessions", "allow", 1);
	want("sessions", "quarantine", 1);
	want("sessions", "deny", 1);
	want(NULL, "tunnels", 1);
	want("pool", "ipv4_used", 2);
	want("pool", "ipv4_size", 5);
	if (w.dp.have_pool6) {
		want("pool", "ipv6_used", 2);
		want("pool", "ipv6_size", 254);
	}
	want(NULL, "uptime", 1000);
	/* The CRL in force and the certificates: times well apart from the rest. */
	w.pol.crl_meta.loaded = w.pol.crl_meta.have_number = true;
	w.pol.crl_meta.number_len = 2;
	w.pol.crl_meta.number[0] = 0x01;
	w.pol.crl_meta.number[1] = 0x02;
	w.pol.crl_meta.last_update = time(NULL) - 7200;
	w.pol.crl_meta.next_update = 2000000000;
	w.pol.server_not_after = 2100000000;
	w.pol.ca_not_after = 2200000000;
	snprintf(w.pol.crl_problem, sizeof(w.pol.crl_problem), "crl.pem: cannot open: Permission denied");
	want("crl", "last_update", (uint64_t)w.pol.crl_meta.last_update);
	want("crl", "next_update", 2000000000);
	want("crl", "age", 7200);
	want("crl", "number", 0x0102);
	want("crl", "stale", 1);
	want("crl", "reload_failures", st->crl_reload_failures = v++);
	want("certificate_expiry", "server", 2100000000);
	want("certificate_expiry", "ca", 2200000000);
}

static struct want *want_find(const char *path)
{
	for (size_t i = 0; i < n_wants; i++) {
		if (!strcmp(wants[i].path, path))
			return &wants[i];
	}
	return NULL;
}

/* Uptime and the CRL's age are measured again by each call: a second may
 * pass in between. */
static bool value_ok(const struct want *x, uint64_t got)
{
	if (!strcmp(x->path, "uptime") || !strcmp(x->path, "crl.age"))
		return got >= x->value && got <= x->value + 2;
	return got == x->value;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1]))
		return false;
	*v = strtoull(s, &end, 10);
	return *end == '\0';
}

static char *capture(void (*fn)(const struct gw_worker *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(&w, f);
	fclose(f);
	return buf;
}

/* ---- gw_stats_rows ---- */

/* The family a row's metric belongs to: a histogram's _bucket, _sum and
 * _count rows are one. */
static void family_of(const struct gw_stat_row *r, char *buf, size_t len)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
	size_t n = strlen(r->metric);

	for (size_t i = 0; r->type == GW_STAT_HISTOGRAM && i < 3; i++) {
		size_t k = strlen(suffixes[i]);

		if (n > k && !strcmp(r->metric + n - k, suffixes[i])) {
			n -= k;
			break;
		}
	}
	snprintf(buf, len, "%.*s", (int)n, r->metric);
}

/* The rows with a metric: HELP on a family's first row only, its rows
 * together and of one type, no series twice. */
static void check_metric_rows(const struct gw_stat_row *r, size_t n)
{
	char fam[96], prev[96] = "", other[96];

	for (size_t i = 0; i < n; i++) {
		bool first;

		if (!r[i].metric)
			continue;
		family_of(&r[i], fam, sizeof(fam));
		first = strcmp(prev, fam) != 0;
		CHECK((r[i].help != NULL) == first);
		for (size_t k = 0; k < i; k++) {
			if (!r[k].metric)
				continue;
			family_of(&r[k], other, sizeof(other));
			if (first && !strcmp(other, fam)) {
				printf("# metric %s: rows apart\n", fam);
				CHECK(0);
			}
			if (!first && !strcmp(other, fam))
				CHECK(r[k].type == r[i].type);
			if (!strcmp(r[k].metric, r[i].metric) && !strcmp(r[k].label, r[i].label)) {
				printf("# series %s{%s} twice\n", r[i].metric, r[i].label);
				CHECK(0);
			}
		}
		snprintf(prev, sizeof(prev), "%s", fam);
	}
}

static void test_rows_each_once(void)
{
	struct gw_stat_row r[GW_STAT_ROWS_MAX];
	size_t n, keyed = 0;

	worker_init(true);
	add_sessions();
	fill_counters();
	n = gw_stats_rows(&w, r, GW_STAT_ROWS_MAX);
	/* Room to spare: a full table would drop rows without a word. */
	CHECK(n < GW_STAT_ROWS_MAX);
	for (size_t i = 0; i < n; i++) {
		char path[64];
		struct want *x;

		CHECK(r[i].key || r[i].metric);
		if (!r[i].key)
			continue;
		keyed++;
		snprintf(path, sizeof(path), "%s%s%s", r[i].group ? r[i].group : "",
			 r[i].group ? "." : "", r[i].key);
		x = want_find(path);
		if (!x) {
			printf("# row %zu: %s is not a key of the spec\n", i, path);
			CHECK(0);
			continue;
		}
		if (x->seen) {
			printf("# row %zu: %s named twice\n", i, path);
			CHECK(0);
		}
		x->seen = true;
		if (!value_ok(x, r[i].value)) {
			printf("# row %s = %llu, expected %llu\n", path,
			       (unsigned long long)r[i].value, (unsigned long long)x->value);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(keyed, n_wants);
	check_metric_rows(r, n);
	for (size_t i = 0; i < n_wants; i++) {
		if (!wants[i].seen) {
			printf("# no row for %s\n", wants[i].path);
			CHECK(0);
		}
	}
	worker_free();
}

/* A short table gets what fits and nothing past it. */
static void test_rows_cap(void)
{
	struct gw_stat_row r[4];

	worker_init(false);
	memset(r, 0xa5, sizeof(r));
	CHECK_EQ_INT(gw_stats_rows(&w, r, 3), 3);
	CHECK_EQ_INT(((unsigned char *)&r[3])[0], 0xa5);
	CHECK_EQ_INT(((unsigned char *)&r[3])[sizeof(r[3]) - 1], 0xa5);
	CHECK_EQ_INT(gw_stats_rows(&w, r, 0), 0);
	worker_free();
}

/* ---- gw_stats_json ---- */

/* Every line of the flattened JSON is a wanted number or one of the spec's
 * groups, and every wanted number is there. */
static void check_stats_json(bool pool6)
{
	static const char *const groups[] = {
		"refused", "shed", "decisions", "quarantines", "dropped", "bytes", "packets",
		"reports", "reloads", "sessions_ended", "sessions", "pool", "crl",
		"certificate_expiry",
	};
	char *out, *flat;

	worker_init(pool6);
	add_sessions();
	fill_counters();
	out = capture(gw_stats_json);
	flat = out ? json_flat(out) : NULL;
	CHECK(flat != NULL);
	if (!flat) {
		printf("# not JSON: %s\n", out ? out : "(nothing)");
		goto done;
	}
	CHECK(out[strlen(out) - 1] == '\n');
	/* The group sizes, so that nothing extra hides in one. */
	CHECK_EQ_STR(json_get(flat, "refused"), "{14}");
	CHECK_EQ_STR(json_get(flat, "quarantines"), "{14}");
	CHECK_EQ_STR(json_get(flat, "dropped"), "{7}");
	CHECK_EQ_STR(json_get(flat, "sessions_ended"), "{5}");
	CHECK_EQ_STR(json_get(flat, "pool"), pool6 ? "{4}" : "{2}");
	/* The lines are cut apart in place from here on. */
	for (char *l = flat, *e; (e = strchr(l, '\n')); l = e + 1) {
		char path[128], *eq;
		struct want *x;
		uint64_t v;

		*e = '\0';
		eq = strchr(l, '=');
		snprintf(path, sizeof(path), "%.*s", (int)(eq - l), l);
		if (eq[1] == '{') {
			bool known = !path[0];

			for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
				known = known || !strcmp(groups[i], path);
			if (!known) {
				printf("# unexpected object %s\n", path);
				CHECK(0);
			}
			continue;
		}
		x = want_find(path);
		if (!x || x->seen || !parse_u64(eq + 1, &v) || !value_ok(x, v)) {
			printf("# unexpected %s=%s (spec: %s %llu)\n", path, eq + 1,
			       x ? "" : "no such key,", x ? (unsigned long long)x->value : 0ULL);
			CHECK(0);
		}
		if (x)
			x->seen = true;
	}
	for (size_t i = 0; i < n_wants; i++) {
		if (!wants[i].seen) {
			printf("# stats JSON has no %s\n", wants[i].path);
			CHECK(0);
		}
	}
done:
	free(flat);
	free(out);
	worker_free();
}

static void test_json_keys(void)
{
	check_stats_json(true);
}

static void test_json_keys_without_ipv6(void)
{
	check_stats_json(false);
}

/* A worker with nothing in it is still the whole document, all zeros. */
static void test_json_empty_worker(void)
{
	char *out, *flat;

	worker_init(false);
	w.ctl.started = time(NULL);
	out = capture(gw_stats_json);
	flat = out ? json_flat(out) : NULL;
	CHECK(flat != NULL);
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "refused.revoked"), "0");
		CHECK_EQ_STR(json_get(flat, "sessions.allow"), "0");
		CHECK_EQ_STR(json_get(flat, "pool.ipv4_size"), "5");
		CHECK_EQ_STR(json_get(flat, "tunnels"), "0");
	}
	free(flat);
	free(out);
	worker_free();
}

/* ---- gw_stats_prometheus ---- */

/* Metric -> JSON place, from the spec's list of Prometheus names: the
 * label whose value names the key (group.VALUE, then suffix), or none
 * (group is the whole path). */
static const struct {
	const char *metric, *label, *group, *suffix;
	const char *type;
} prom_map[] = {
	{ "postern_tls_handshakes_total", NULL, "handshakes", "", "counter" },
	{ "postern_connections_handed_over_total", NULL, "handoffs", "", "counter" },
	{ "postern_connections_shed_total", "reason", "shed", "", "counter" },
	{ "postern_accept_pauses_total", NULL, "accept_pauses", "", "counter" },
	{ "postern_connections_accepted_total", NULL, "accepted", "", "counter" },
	{ "postern_refusals_total", "reason", "refused", "", "counter" },
	{ "postern_quarantines_total", "reason", "quarantines", "", "counter" },
	{ "postern_dropped_packets_total", "reason", "dropped", "", "counter" },
	{ "postern_bytes_total", "direction", "bytes", "", "counter" },
	{ "postern_packets_total", "direction", "packets", "", "counter" },
	{ "postern_posture_reports_total", "result", "reports", "", "counter" },
	{ "postern_reloads_total", "result", "reloads", "", "counter" },
	{ "postern_reevaluations_total", NULL, "reevaluated", "", "counter" },
	{ "postern_network_process_restarts_total", NULL, "restarts", "", "counter" },
	{ "postern_worker_restarts_total", NULL, "worker_restarts", "", "counter" },
	{ "postern_sessions_resumed_total", NULL, "resumed", "", "counter" },
	{ "postern_sessions_ended_total", "reason", "sessions_ended", "", "counter" },
	{ "postern_sessions", "verdict", "sessions", "", "gauge" },
	{ "postern_tunnels", NULL, "tunnels", "", "gauge" },
	{ "postern_pool_addresses", "family", "pool", "_size", "gauge" },
	{ "postern_pool_addresses_in_use", "family", "pool", "_used", "gauge" },
	{ "postern_crl_last_update_timestamp_seconds", NULL, "crl.last_update", "", "gauge" },
	{ "postern_crl_next_update_timestamp_seconds", NULL, "crl.next_update", "", "gauge" },
	{ "postern_crl_age_seconds", NULL, "crl.age", "", "gauge" },
	{ "postern_crl_number", NULL, "crl.number", "", "gauge" },
	{ "postern_crl_stale", NULL, "crl.stale", "", "gauge" },
	{ "postern_crl_reload_failures_total", NULL, "crl.reload_failures", "", "counter" },
	{ "postern_server_certificate_expiry_timestamp_seconds", NULL,
	  "certificate_expiry.server", "", "gauge" },
	{ "postern_ca_certificate_expiry_timestamp_seconds", NULL, "certificate_expiry.ca", "",
	  "gauge" },
};

/* The families only the metrics have, and their types. */
static const struct {
	const char *name, *type;
} metrics_only[] = {
	{ "postern_decisions_total", "counter" },
	{ "postern_build_info", "gauge" },
	{ "postern_tls_handshake_duration_seconds", "histogram" },
	{ "postern_login_duration_seconds", "histogram" },
	{ "postern_control_hold_duration_seconds", "histogram" },
	{ "process_cpu_seconds_total", "counter" },
	{ "process_start_time_seconds", "gauge" },
	{ "process_resident_memory_bytes", "gauge" },
	{ "process_virtual_memory_bytes", "gauge" },
	{ "process_open_fds", "gauge" },
	{ "process_max_fds", "gauge" },
};

#define MAX_FAMILIES	80
#define MAX_SERIES	256

struct family {
	char name[96];
	char type[16];
	bool help, sampled, done;
	/* a histogram: the last bucket's count and bound, and what it ended with */
	double last_le;
	uint64_t last_bucket, inf, count;
	bool have_inf, have_count;
};

struct labels {
	char names[2][32];
	char vals[2][80];
	int n;
};

/* What the metrics-only samples must add up to. */
struct tally {
	uint64_t decisions[3];
	bool build_info;
	unsigned int process;
};

static bool metric_name_ok(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != ':')
			return false;
	}
	return true;
}

/* Parses {k="v",...}; up to two labels. */
static bool labels_parse(const char *s, const char **end, struct labels *lb)
{
	lb->n = 0;
	if (*s != '{')
		return false;
	s++;
	while (*s != '}') {
		const char *k = s;
		size_t vn = 0;

		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		if (s == k || isdigit((unsigned char)*k) || lb->n == 2 || s[0] != '=' ||
		    s[1] != '"')
			return false;
		snprintf(lb->names[lb->n], 32, "%.*s", (int)(s - k), k);
		for (s += 2; *s != '"'; s++) {
			if (!*s || *s == '\n')
				return false;
			if (*s == '\\' && !strchr("\\\"n", *++s))
				return false;
			if (vn < sizeof(lb->vals[0]) - 1)
				lb->vals[lb->n][vn++] = *s;
		}
		lb->vals[lb->n][vn] = '\0';
		lb->n++;
		s++;
		if (*s == ',')
			s++;
		else if (*s != '}')
			return false;
	}
	*end = s + 1;
	return true;
}

static struct family *family_find(struct family *fam, size_t n_fam, const char *name,
				  size_t len)
{
	for (size_t i = 0; i < n_fam; i++) {
		if (strlen(fam[i].name) == len && !strncmp(fam[i].name, name, len))
			return &fam[i];
	}
	return NULL;
}

static struct family *family_get(struct family *fam, size_t *n_fam, const char *name, size_t len)
{
	struct family *f = family_find(fam, *n_fam, name, len);

	if (f || *n_fam == MAX_FAMILIES || len >= sizeof(fam[0].name))
		return f;
	memset(&fam[*n_fam], 0, sizeof(fam[0]));
	snprintf(fam[*n_fam].name, sizeof(fam[0].name), "%.*s", (int)len, name);
	return &fam[(*n_fam)++];
}

/* A sample's family: a histogram's _bucket, _sum and _count are its own. */
static struct family *family_of_sample(struct family *fam, size_t n_fam, const char *name,
				       size_t len, const char **suffix)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };

	*suffix = "";
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(suffixes[i]);
		struct family *f = len > k && !strncmp(name + len - k, suffixes[i], k) ?
			family_find(fam, n_fam, name, len - k) : NULL;

		if (f && !strcmp(f->type, "histogram")) {
			*suffix = suffixes[i];
			return f;
		}
	}
	return family_find(fam, n_fam, name, len);
}

static const char *metrics_only_type(const char *name)
{
	for (size_t i = 0; i < sizeof(metrics_only) / sizeof(metrics_only[0]); i++) {
		if (!strcmp(metrics_only[i].name, name))
			return metrics_only[i].type;
	}
	return NULL;
}

/* A histogram's sample: buckets cumulative with rising bounds, +Inf
 * last, then _sum and _count, the count equal to +Inf's. */
static void histogram_sample(struct family *f, const char *suffix, const struct labels *lb,
			     const char *value)
{
	uint64_t v = 0;

	if (!strcmp(suffix, "_sum")) {
		CHECK(lb->n == 0 && f->have_inf && strtod(value, NULL) >= 0);
		return;
	}
	CHECK(parse_u64(value, &v));
	if (!strcmp(suffix, "_count")) {
		CHECK(lb->n == 0 && f->have_inf && v == f->inf);
		f->have_count = true;
		f->count = v;
		return;
	}
	CHECK(!strcmp(suffix, "_bucket") && lb->n == 1 && !strcmp(lb->names[0], "le") &&
	      !f->have_inf);
	CHECK(v >= f->last_bucket);
	f->last_bucket = v;
	if (!strcmp(lb->vals[0], "+Inf")) {
		f->have_inf = true;
		f->inf = v;
		return;
	}
	CHECK(strtod(lb->vals[0], NULL) > f->last_le);
	f->last_le = strtod(lb->vals[0], NULL);
}

static void metrics_only_sample(struct family *f, const char *suffix, const struct labels *lb,
				const char *value, struct tally *t)
{
	uint64_t v;

	CHECK_EQ_STR(f->type, metrics_only_type(f->name));
	if (!strcmp(f->type, "histogram"))
		return histogram_sample(f, suffix, lb, value);
	if (!strcmp(f->name, "postern_decisions_total")) {
		CHECK(lb->n == 2 && !strcmp(lb->names[0], "verdict") &&
		      !strcmp(lb->names[1], "rule") && parse_u64(value, &v));
		for (int k = 0; k < 3 && lb->n == 2; k++) {
			if (!strcmp(lb->vals[0], pst_verdict_name((enum pst_verdict)k)))
				t->decisions[k] += v;
		}
		return;
	}
	if (!strcmp(f->name, "postern_build_info")) {
		CHECK(lb->n == 2 && !strcmp(lb->names[0], "version") &&
		      !strcmp(lb->vals[0], POSTERN_VERSION) && !strcmp(lb->names[1], "openssl") &&
		      lb->vals[1][0] && !strcmp(value, "1"));
		t->build_info = true;
		return;
	}
	CHECK(lb->n == 0 && strtod(value, NULL) >= 0);
	t->process++;
}

/* One sample of posternctl's numbers: maps it to its JSON key and checks
 * the number. */
static void prom_sample(const char *flat, struct family *f, const struct labels *lb,
			const char *value)
{
	char path[256] = "";
	const char *j;
	uint64_t v, jv;
	size_t i;

	for (i = 0; i < sizeof(prom_map) / sizeof(prom_map[0]); i++) {
		if (!strcmp(prom_map[i].metric, f->name))
			break;
	}
	if (i == sizeof(prom_map) / sizeof(prom_map[0])) {
		printf("# metric %s is not in the spec\n", f->name);
		CHECK(0);
		return;
	}
	CHECK_EQ_STR(f->type, prom_map[i].type);
	if (!prom_map[i].label) {
		CHECK_EQ_INT(lb->n, 0);
		snprintf(path, sizeof(path), "%s", prom_map[i].group);
	} else {
		CHECK(lb->n == 1 && !strcmp(lb->names[0], prom_map[i].label));
		snprintf(path, sizeof(path), "%s.%s%s", prom_map[i].group, lb->vals[0],
			 prom_map[i].suffix);
	}
	j = json_get(flat, path);
	if (!parse_u64(value, &v) || !j || !parse_u64(j, &jv) ||
	    (strcmp(path, "crl.age") ? v != jv : v < jv || v > jv + 1)) {
		printf("# sample %s (%s) = %s, JSON %s = %s\n", f->name, path, value, path,
		       j ? j : "(absent)");
		CHECK(0);
	}
}

/* A HELP or TYPE line: once each, HELP first, before the samples. */
static void prom_head_line(struct family *fam, size_t *n_fam, const char *l)
{
	const char *name = l + 7, *sp = strchr(name, ' ');
	struct family *f = sp ? family_get(fam, n_fam, name, (size_t)(sp - name)) : NULL;

	CHECK(sp && sp[1] && f && metric_name_ok(name, (size_t)(sp - name)));
	if (!f)
		return;
	if (f->sampled) {
		printf("# %s after the samples of %s\n", l, f->name);
		CHECK(0);
	}
	if (l[2] == 'H') {
		CHECK(!f->help && !f->type[0]);		/* HELP once, first */
		f->help = true;
		return;
	}
	CHECK(f->help && !f->type[0]);
	CHECK(!strcmp(sp + 1, "counter") || !strcmp(sp + 1, "gauge") ||
	      !strcmp(sp + 1, "histogram"));
	snprintf(f->type, sizeof(f->type), "%s", sp + 1);
}

struct scrape {
	struct family fam[MAX_FAMILIES];
	size_t n_fam, n_series, n_mapped;
	char series[MAX_SERIES][200];
	struct family *last;
	struct tally tally;
};

/* A sample line: its family's HELP and TYPE came first, its family's
 * samples are together, no series twice; checked against the JSON. */
static void prom_sample_line(struct scrape *sc, const char *flat, const char *l)
{
	const char *p = l, *value, *suffix;
	struct labels lb = { .n = 0 };
	struct family *f;

	while (*p && *p != '{' && *p != ' ')
		p++;
	CHECK(metric_name_ok(l, (size_t)(p - l)));
	f = family_of_sample(sc->fam, sc->n_fam, l, (size_t)(p - l), &suffix);
	if (!f || !f->help || !f->type[0]) {
		printf("# sample before HELP and TYPE: %s\n", l);
		CHECK(0);
		return;
	}
	if (f->done) {
		printf("# samples of %s apart: %s\n", f->name, l);
		CHECK(0);
	}
	if (sc->last && sc->last != f)
		sc->last->done = true;
	sc->last = f;
	f->sampled = true;
	if (*p == '{' && !labels_parse(p, &p, &lb)) {
		printf("# bad labels: %s\n", l);
		CHECK(0);
		return;
	}
	CHECK(*p == ' ');
	value = p + 1;
	/* Counters end in _total; nothing else does. */
	CHECK((strlen(f->name) > 6 && !strcmp(f->name + strlen(f->name) - 6, "_total")) ==
	      !strcmp(f->type, "counter"));
	CHECK(sc->n_series < MAX_SERIES);
	if (sc->n_series == MAX_SERIES)
		return;
	snprintf(sc->series[sc->n_series], sizeof(sc->series[0]), "%.*s", (int)(value - l - 1), l);
	for (size_t k = 0; k < sc->n_series; k++)
		CHECK(strcmp(sc->series[k], sc->series[sc->n_series]) != 0);
	sc->n_series++;
	if (metrics_only_type(f->name))
		return metrics_only_sample(f, suffix, &lb, value, &sc->tally);
	sc->n_mapped++;
	prom_sample(flat, f, &lb, value);
}

/* What the whole scrape must hold: every family sampled, every histogram
 * whole, the decisions by rule adding up to posternctl's by verdict. */
static void prom_check_whole(struct scrape *sc, const char *flat, bool proc)
{
	size_t n_leaves = 0;

	for (size_t i = 0; i < sc->n_fam; i++) {
		struct family *f = &sc->fam[i];

		if (!f->sampled) {
			printf("# %s: HELP/TYPE without a sample\n", f->name);
			CHECK(0);
		}
		if (!strcmp(f->type, "histogram"))
			CHECK(f->have_inf && f->have_count);
	}
	for (int v = 0; v < 3; v++) {
		char path[32];
		const char *j;

		snprintf(path, sizeof(path), "decisions.%s", pst_verdict_name((enum pst_verdict)v));
		j = json_get(flat, path);
		CHECK(j && strtoull(j, NULL, 10) == sc->tally.decisions[v]);
	}
	CHECK(sc->tally.build_info);
	/* CPU time and the descriptor limit are always there; the start,
	 * memory and open descriptors once gw_proc_started/gw_proc_open ran. */
	CHECK_EQ_INT(sc->tally.process, proc ? 6 : 2);
	/* One sample per JSON number but posternctl's own (decisions by
	 * verdict, uptime): as many as those numbers, and no series twice
	 * (above), so each was sampled exactly once. */
	for (const char *l = flat; (l = strchr(l, '=')); l++)
		n_leaves += l[1] != '{';
	CHECK_EQ_INT(sc->n_mapped, n_leaves - 4);
	CHECK_EQ_INT(sc->n_mapped, n_wants - 4);
}

static void check_prometheus(bool proc)
{
	struct scrape *sc = calloc(1, sizeof(*sc));
	char *json, *flat, *text;

	worker_init(true);
	add_sessions();
	fill_counters();
	json = capture(gw_stats_json);
	text = capture(gw_stats_prometheus);
	flat = json ? json_flat(json) : NULL;
	CHECK(sc && flat && text);
	if (!sc || !flat || !text)
		goto done;
	CHECK(text[strlen(text) - 1] == '\n');
	CHECK(strstr(text, "\npostern_refusals_total{reason=\"revoked\"} 100009\n") != NULL);
	CHECK(strstr(text, "\npostern_pool_addresses{family=\"ipv6\"} 254\n") != NULL);
	CHECK(strstr(text, "\npostern_pool_addresses_in_use{family=\"ipv4\"} 2\n") != NULL);
	CHECK(strstr(text, "\npostern_decisions_total{verdict=\"deny\",rule=\"-\"} 7\n") != NULL);
	CHECK(strstr(text, "\npostern_decisions_total{verdict=\"quarantine\",rule=\"corporate\"} "
		      "1\n") != NULL);
	/* A deny rule only denies, an allow rule never does. */
	CHECK(strstr(text, "verdict=\"allow\",rule=\"blocked\"") == NULL);
	CHECK(strstr(text, "verdict=\"deny\",rule=\"personal\"") == NULL);
	CHECK(strstr(text, "\npostern_tls_handshake_duration_seconds_bucket{le=\"0.025\"} 7\n"));
	CHECK(strstr(text, "\npostern_tls_handshake_duration_seconds_bucket{le=\"+Inf\"} 8\n"));
	CHECK(strstr(text, "\npostern_tls_handshake_duration_seconds_sum 31.500250\n"));
	CHECK(strstr(text, "\n# TYPE postern_login_duration_seconds histogram\n"));
	CHECK(strstr(text, "\npostern_login_duration_seconds_count 0\n"));
	/* The lines are cut apart in place from here on. */
	for (char *l = text, *e; (e = strchr(l, '\n')); l = e + 1) {
		*e = '\0';
		if (!strncmp(l, "# HELP ", 7) || !strncmp(l, "# TYPE ", 7)) {
			prom_head_line(sc->fam, &sc->n_fam, l);
			continue;
		}
		CHECK(l[0] != '#' && l[0] != '\0');		/* no other comments, no blanks */
		prom_sample_line(sc, flat, l);
	}
	prom_check_whole(sc, flat, proc);
done:
	free(sc);
	free(flat);
	free(json);
	free(text);
	worker_free();
}

/* In a unit test no process has marked its start or opened /proc. */
static void test_prometheus(void)
{
	check_prometheus(false);
}

/* The network process's own numbers, once it has. */
static void test_prometheus_process(void)
{
	gw_proc_started();
	CHECK_EQ_INT(gw_proc_open(), 0);
	check_prometheus(true);
	gw_proc_close();
}

/* ---- gw_stats_text ---- */

static void test_text(void)
{
	char *json, *flat, *text;
	size_t n = 0;

	worker_init(true);
	add_sessions();
	fill_counters();
	json = capture(gw_stats_json);
	text = capture(gw_stats_text);
	flat = json ? json_flat(json) : NULL;
	CHECK(flat && text);
	for (char *l = text, *e; flat && text && (e = strchr(l, '\n')); l = e + 1) {
		char name[64], value[32];
		const char *j;

		*e = '\0';
		if (sscanf(l, "%63s %31s", name, value) != 2) {
			printf("# text line: %s\n", l);
			CHECK(0);
			continue;
		}
		j = json_get(flat, name);
		if (!j || (strcmp(j, value) && strcmp(name, "uptime") && strcmp(name, "crl.age"))) {
			printf("# text %s %s, JSON %s\n", name, value, j ? j : "(absent)");
			CHECK(0);
		}
		n++;
	}
	CHECK_EQ_INT(n, n_wants);
	free(flat);
	free(json);
	free(text);
	worker_free();
}

/* ---- the refusal table ---- */

/*
 * Every refusal the gateway tells a device or logs, word for word (clients
 * and tests grep them), with the counter it is counted under: what
 * gw_refusal_of() filed each of them under by its words, before the
 * refusals became an enum, but for two that meant a second thing under
 * their counter (issue 13): a certificate of the CA that names no device
 * is not a device certificate (not bad_certificate), and a cookie-only
 * CONNECT whose certificate has expired is an expired certificate (not a
 * bad cookie).
 */
static const struct {
	const char *words;
	enum gw_refusal counter;
} refusals[] = {
	/* tls.c, the certificate check */
	{ "device certificate has been revoked", GW_REF_REVOKED },
	{ "device certificate has expired", GW_REF_EXPIRED },
	{ "device certificate is not yet valid", GW_REF_NOT_YET_VALID },
	{ "device certificate was not issued by this gateway's CA", GW_REF_UNKNOWN_CA },
	{ "the gateway's revocation list is out of date; contact IT", GW_REF_CRL_OUT_OF_DATE },
	{ "certificate is not a device (client) certificate", GW_REF_NOT_CLIENT_CERT },
	{ "certificate is not a device (client) certificate: it is a CA certificate "
	  "(basicConstraints CA:TRUE)", GW_REF_NOT_CLIENT_CERT },
	{ "certificate is not a device (client) certificate: it has no extended key usage "
	  "(clientAuth is required)", GW_REF_NOT_CLIENT_CERT },
	{ "certificate is not a device (client) certificate: its extended key usage does not "
	  "include clientAuth", GW_REF_NOT_CLIENT_CERT },
	{ "certificate is not a device (client) certificate: its extensions cannot be read",
	  GW_REF_NOT_CLIENT_CERT },
	{ "device certificate rejected", GW_REF_BAD_CERTIFICATE },
	{ "a device certificate is required", GW_REF_NO_CERTIFICATE },
	{ "certificate does not name a device (no urn:postern:device)", GW_REF_NOT_CLIENT_CERT },
	/* auth.c */
	{ "the posture check expired or was already used; connect again", GW_REF_POSTURE_CHECK },
	{ "the posture check belongs to another device", GW_REF_POSTURE_CHECK },
	{ "the gateway is out of resources; try again later", GW_REF_RESOURCES },
	{ "denied by the posture policy", GW_REF_POLICY_DENY },
	/* auth.c, the CONNECT's cookie (logged only: the client gets a 401) */
	{ "CONNECT without a session cookie", GW_REF_COOKIE },
	{ "CONNECT with an unknown or expired cookie", GW_REF_COOKIE },
	{ "CONNECT with an unknown or expired cookie and no certificate", GW_REF_COOKIE },
	{ "CONNECT with a cookie issued to another certificate", GW_REF_COOKIE },
	{ "CONNECT with a cookie whose device certificate has expired", GW_REF_EXPIRED },
	/* verdict.c */
	{ "the VPN address pool is exhausted; try again later", GW_REF_POOL_EXHAUSTED },
	/* ban.c (its own words, "banned until T", when it has them) */
	{ "the device is banned for a while; contact IT", GW_REF_BANNED },
};
#define N_REFUSALS (sizeof(refusals) / sizeof(refusals[0]))

/* Each listed refusal is one value of the enum, with its words and counter;
 * every value is listed, so no refusal's words can change unnoticed. */
static void test_refusal_table(void)
{
	bool listed[GW_REF_N] = { false };

	for (size_t i = 0; i < N_REFUSALS; i++) {
		int found = 0;

		for (int r = GW_REF_NONE + 1; r < GW_REF_N; r++) {
			if (strcmp(gw_refusal_words((enum gw_refusal)r, NULL), refusals[i].words))
				continue;
			found++;
			listed[r] = true;
			CHECK_EQ_INT(gw_refusal_counter((enum gw_refusal)r), refusals[i].counter);
			CHECK_EQ_STR(gw_refusal_key((enum gw_refusal)r), ref_keys[refusals[i].counter]);
		}
		if (found != 1)
			printf("# '%s': %d values say it\n", refusals[i].words, found);
		CHECK_EQ_INT(found, 1);
	}
	for (int r = GW_REF_NONE + 1; r < GW_REF_N; r++) {
		if (!listed[r])
			printf("# refusal %d ('%s') is not in this test's table\n", r,
			       gw_refusal_words((enum gw_refusal)r, NULL));
		CHECK(listed[r]);
	}
	/* The counters are counted under themselves. */
	for (int r = GW_REF_NONE + 1; r < GW_REF_COUNTERS; r++)
		CHECK_EQ_INT(gw_refusal_counter((enum gw_refusal)r), r);
}

/* A policy deny tells its own words; no refusal recorded (or a value out of
 * range) reads and counts as a bad certificate: fail closed. */
static void test_refusal_words(void)
{
	CHECK_EQ_STR(gw_refusal_words(GW_REF_POLICY_DENY, "personal devices are not allowed"),
		     "personal devices are not allowed");
	CHECK_EQ_STR(gw_refusal_words(GW_REF_NONE, NULL), "device certificate rejected");
	CHECK_EQ_INT(gw_refusal_counter(GW_REF_NONE), GW_REF_BAD_CERTIFICATE);
	CHECK_EQ_STR(gw_refusal_words(GW_REF_N, NULL), "device certificate rejected");
	CHECK_EQ_INT(gw_refusal_counter(GW_REF_N), GW_REF_BAD_CERTIFICATE);
	CHECK_EQ_INT(gw_refusal_counter((enum gw_refusal)-1), GW_REF_BAD_CERTIFICATE);
}

static void test_stats_refused(void)
{
	worker_init(false);
	gw_stats_refused(&w, GW_REF_REVOKED);
	gw_stats_refused(&w, GW_REF_REVOKED);
	gw_stats_refused(&w, GW_REF_POOL_EXHAUSTED);
	gw_stats_refused(&w, GW_REF_NONE);
	gw_stats_refused(&w, GW_REF_CERT_IS_CA);
	gw_stats_refused(&w, GW_REF_COOKIE_OTHER_CERT);
	CHECK_EQ_INT(w.stats.refused, 6);
	CHECK_EQ_INT(w.stats.refused_by[GW_REF_REVOKED], 2);
	CHECK_EQ_INT(w.stats.refused_by[GW_REF_POOL_EXHAUSTED], 1);
	CHECK_EQ_INT(w.stats.refused_by[GW_REF_BAD_CERTIFICATE], 1);
	CHECK_EQ_INT(w.stats.refused_by[GW_REF_NOT_CLIENT_CERT], 1);
	CHECK_EQ_INT(w.stats.refused_by[GW_REF_COOKIE], 1);
	CHECK_EQ_INT(w.stats.refused_by[GW_REF_NONE], 0);
	worker_free();
}

/*
 * The words live in the table only: no source that decides a refusal
 * spells one out (it would be a second copy, free to drift from the
 * counted one). Skipped when the sources are not in the working directory
 * (the test is run from the repository's top, as tests/run.sh does).
 */
static void test_refusal_words_in_table_only(void)
{
	static const char *const files[] = {
		"gateway/tls.c", "gateway/auth.c", "gateway/verdict.c", "gateway/scan.c",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "r");
		char line[512];

		if (!f) {
			printf("# %s not found from here; source scan skipped\n", files[i]);
			return;
		}
		while (fgets(line, sizeof(line), f)) {
			for (size_t k = 0; k < N_REFUSALS; k++) {
				char quoted[256];

				snprintf(quoted, sizeof(quoted), "\"%s\"", refusals[k].words);
				if (strstr(line, quoted)) {
					printf("# %s spells out the refusal '%s'\n", files[i],
					       refusals[k].words);
					CHECK(0);
				}
			}
		}
		fclose(f);
	}
}

int main(void)
{
	/* Line by line: a sanitizer report must not swallow the cases before it. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_rows_each_once);
	RUN(test_rows_cap);
	RUN(test_json_keys);
	RUN(test_json_keys_without_ipv6);
	RUN(test_json_empty_worker);
	RUN(test_prometheus);
	RUN(test_prometheus_process);
	RUN(test_text);
	RUN(test_refusal_table);
	RUN(test_refusal_words);
	RUN(test_stats_refused);
	RUN(test_refusal_words_in_table_only);
	UNIT_EXIT();
}
