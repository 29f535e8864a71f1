/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gateway/control.c, posternctl's commands as the gateway runs
 * them, on a worker built by hand (no sockets, no TLS: the answer goes to an
 * open_memstream FILE): devA allowed and detached, devB quarantined with a
 * tunnel (a connection that is never written to), devC denied (a refusal on
 * its way, which no command lists or kicks), and some history. Malformed
 * requests (empty, no command, unknown format or command, bad or unknown
 * device ids, overlong lines, thousands of random byte strings and token
 * salads) get an error message of one line and never crash; "json
 * sessions", "json status", "json stats" and "json show DEVICE" are read
 * back by a strict JSON reader and hold the spec's fields with the
 * worker's values; the text forms are TAB-separated tables with their
 * header lines, both tunnel addresses, an owner whole and a control
 * character in it as "?"; show finds a device by id, tunnel address or
 * owner (all of an owner with several); kick ends the session, returns
 * its address and leaves a history entry; ban ends the device's session,
 * is listed by bans until its time or an unban, and refuses bad durations
 * with words; history names the audit log and events hands the client to
 * the socket; the history ring
 * keeps the latest GW_HISTORY_MAX decisions in order; reload with a config
 * that cannot be read is refused with FILE lines and changes nothing; and
 * policy-diff reports what a candidate policy would change without
 * changing it, with a whole JSON answer even when the candidate's path
 * takes kilobytes to escape.
 */
#include <arpa/inet.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/policy.h"
#include "gateway/ban.h"
#include "gateway/conn.h"
#include "gateway/control.h"
#include "gateway/ctlcmd.h"
#include "gateway/ctllist.h"
#include "gateway/events.h"
#include "gateway/history.h"
#include "gateway/model.h"
#include "gateway/reeval.h"
#include "gateway/session.h"
#include "tests/unit/json_check.h"
#include "tests/unit/unit.h"
#include "tests/unit/worker_fixture.h"

/* ---- a worker by hand ---- */

#define SINCE 1795773600	/* 2026-11-27T10:00:00Z */

static struct gw_conf conf;
static struct gw_worker w;
static struct gw_conn fake_conn;	/* devB's tunnel; never sent to */
static char conf_path[] = "/nonexistent/postern-test/posternd.conf";
static char crl_path[] = "/nonexistent/postern-test/crl.pem";
static struct conf_profile prof_internal = { .name = "internal" };
static struct conf_profile prof_remediation = { .name = "remediation" };
static struct conf_rule rule_laptops = { .name = "laptops" };
static struct conf_rule rule_phones = { .name = "phones" };

static struct gw_session *add_session(const char *device, const char *group, enum pst_verdict v,
				      bool lease)
{
	struct gw_session *s;

	CHECK_EQ_INT(wf_add_session(&w, device, group, v, lease, &s), 0);
	if (s)
		s->since = SINCE;
	return s;
}

static void fact(struct gw_session *s, const char *name, const char *value, time_t t)
{
	struct pst_fact *f;

	s->facts = realloc(s->facts, (s->n_facts + 1) * sizeof(*s->facts));
	if (!s->facts)
		return;
	f = &s->facts[s->n_facts++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->value, sizeof(f->value), "%s", value);
	f->source = PST_SRC_AGENT;
	f->time = t;
}

static void decision(struct pst_decision *d, enum pst_verdict v, const struct conf_rule *r,
		     const struct conf_profile *p, const char *reason1, const char *reason2)
{
	memset(d, 0, sizeof(*d));
	d->verdict = v;
	d->rule = r;
	d->profile = p;
	if (reason1)
		snprintf(d->reasons[d->n_reasons++], PST_REASON_MAX, "%s", reason1);
	if (reason2)
		snprintf(d->reasons[d->n_reasons++], PST_REASON_MAX, "%s", reason2);
}

static void worker_init(bool pool6)
{
	time_t now = time(NULL);
	struct gw_session *a, *b;
	struct pst_decision d;

	CHECK(wf_worker_init(&w, &conf, pool6, true));
	memset(&fake_conn, 0, sizeof(fake_conn));
	conf.path = conf_path;
	conf.crl = crl_path;
	w.ctl.started = now - 100;
	w.pol.conf_loaded = w.pol.crl_loaded = SINCE;
	w.pol.crl_revoked = 7;
	w.pol.crl_meta.loaded = w.pol.crl_meta.have_number = true;
	w.pol.crl_meta.number_len = 2;
	w.pol.crl_meta.number[0] = 1;
	w.pol.crl_meta.number[1] = 2;
	snprintf(w.pol.crl_meta.number_dec, sizeof(w.pol.crl_meta.number_dec), "258");
	w.pol.crl_meta.last_update = SINCE - 3600;
	w.pol.crl_meta.next_update = SINCE - 3600 + 30 * 86400;
	w.pol.server_not_after = SINCE + 365 * 86400;
	w.pol.ca_not_after = SINCE + 3650 * 86400;

	a = add_session("devA", "staff", PST_ALLOW, true);
	b = add_session("devB", "field", PST_QUARANTINE, true);
	add_session("devC", "staff", PST_DENY, false);
	if (!a || !b)
		return;
	snprintf(a->id.owner, sizeof(a->id.owner), "Zo\xc3\xab");
	a->id.ownership = CONF_OWNERSHIP_CORPORATE;
	snprintf(a->rule, sizeof(a->rule), "laptops");
	snprintf(a->profile, sizeof(a->profile), "internal");
	a->judged = true;
	a->judged_at = now - 30;
	a->counters.rx_bytes = 1234;
	a->counters.tx_bytes = 5678;
	fact(a, "os.name", "linux", now - 30);
	fact(a, "os.version", "12", now - 30);
	decision(&d, PST_ALLOW, &rule_laptops, &prof_internal, NULL, NULL);
	gw_history_add(&w, "devA", "login", &d);

	snprintf(b->id.owner, sizeof(b->id.owner), "O\"Brien \\ \x01");
	b->id.ownership = CONF_OWNERSHIP_BYOD;
	snprintf(b->rule, sizeof(b->rule), "phones");
	snprintf(b->profile, sizeof(b->profile), "remediation");
	b->reasons = strdup("update iOS to 18.6 or later\nset a passcode");
	snprintf(fake_conn.peer, sizeof(fake_conn.peer), "[2001:db8::7]:50123");
	b->conn = &fake_conn;
	decision(&d, PST_QUARANTINE, &rule_phones, &prof_remediation,
		 "update iOS to 18.6 or later", "set a passcode");
	gw_history_add(&w, "devB", "login", &d);
}

static void worker_free(void)
{
	wf_worker_free(&w);
}

static struct gw_session *find(const char *device)
{
	return wf_find(&w, device);
}

/* Runs one request; *body gets what was written (malloc'd). */
static const char *run(const char *line, char **body)
{
	static char err[8192];
	size_t len = 0;
	FILE *f = open_memstream(body, &len);
	int ret;

	*body = NULL;
	if (!f)
		return "open_memstream failed";
	err[0] = '\0';
	ret = gw_control_run(&w, line, f, err, sizeof(err));
	fclose(f);
	/* 0, or a negative errno with a message of its own. */
	if (ret > 0 || (ret < 0 && !err[0]))
		return "gw_control_run: neither 0 nor -errno with a message";
	return ret < 0 ? err : NULL;
}

/* Prints at most max bytes of s, printable ASCII only, for a "# " line. */
static void show(const char *s, size_t max)
{
	for (size_t i = 0; s[i] && i < max; i++)
		putchar(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
	if (strlen(s) > max)
		printf("...");
}

/* Runs a request that must succeed with a JSON body; returns it flattened. */
static char *run_json(const char *line)
{
	char *body, *flat;
	const char *fail = run(line, &body);

	if (fail) {
		printf("# '");
		show(line, 80);
		printf("': error %s\n", fail);
		CHECK(0);
		free(body);
		return NULL;
	}
	flat = body ? json_flat(body) : NULL;
	if (!flat) {
		printf("# '");
		show(line, 80);
		printf("': not JSON: ");
		show(body ? body : "(nothing)", 300);
		printf("\n");
		CHECK(0);
	} else {
		CHECK(body[strlen(body) - 1] == '\n');
	}
	free(body);
	return flat;
}

/* The index of device's entry in a flattened array at path, or -1. */
static int json_find(const char *flat, const char *array, const char *device)
{
	char path[128], want[80];
	const char *v;

	snprintf(want, sizeof(want), "\"%s\"", device);
	for (int i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "%s[%d].device", array, i);
		v = json_get(flat, path);
		if (!v)
			return -1;
		if (!strcmp(v, want))
			return i;
	}
	return -1;
}

static const char *at(const char *flat, const char *prefix, const char *key)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s", prefix, key);
	return json_get(flat, path);
}

static bool is_iso_time(const char *v)
{
	struct tm tm;
	const char *end;

	if (!v || strlen(v) != 22 || v[0] != '"' || v[21] != '"')
		return false;
	end = strptime(v + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return end && end == v + 21;
}

static long num(const char *v)
{
	char *end;
	long n;

	if (!v)
		return -1;
	n = strtol(v, &end, 10);
	return *end ? -1 : n;
}

/* ---- malformed requests ---- */

/* An error: one line (the protocol's first line), no body. */
static void expect_error(const char *line, const char *prefix, bool empty_body)
{
	char *body;
	const char *fail = run(line, &body);

	if (!fail || strncmp(fail, prefix, strlen(prefix)) != 0) {
		printf("# '");
		show(line, 60);
		printf("': %s, expected error '%s...'\n", fail ? fail : "ok", prefix);
		CHECK(0);
	}
	CHECK(!fail || (fail[0] && !strchr(fail, '\n')));
	if (empty_body && body && body[0]) {
		printf("# '");
		show(line, 60);
		printf("': body ");
		show(body, 200);
		printf("\n");
		CHECK(0);
	}
	free(body);
}

static void test_malformed(void)
{
	static const char *const malformed[] = {
		"", " ", "\t", "text", "json", "xml status", "JSON status", "Text status",
		"jsonstatus", "json\x01status", "\x7f" "json status", "json:status", "{}",
		"json\"status",
	};
	static const char *const unknown[] = {
		"json show", "json kick", "text show", "json status extra", "json frobnicate",
		"json sessions all", "json stats now", "text reload now", "json policy-diff",
		"json STATUS", "json status\x01", "json help",
	};

	worker_init(false);
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		expect_error(malformed[i], "malformed request", true);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		expect_error(unknown[i], "unknown command or wrong arguments", true);
	/* show takes a device id, a tunnel address or an owner: any text. */
	expect_error("json show bad/id", "no live session or decision in this run for 'bad/id' "
		     "(a device id, a tunnel address or an owner)", true);
	expect_error("json show devA devB", "no live session or decision in this run for "
		     "'devA devB'", true);
	expect_error("json show dev\xc3\xa9", "no live session or decision", true);
	expect_error("json show dev\x01", "not a device id, a tunnel address or an owner's name",
		     true);
	expect_error("json show dev\xff", "not a device id, a tunnel address or an owner's name",
		     true);
	expect_error("json kick dev%s", "not a device id", true);
	expect_error("text kick dev\"A", "not a device id", true);
	expect_error("json kick -devA", "not a device id", true);
	expect_error("json kick .x", "not a device id", true);
	expect_error("json show nosuch", "no live session or decision in this run for 'nosuch'",
		     true);
	expect_error("json show devC", "no live session or decision in this run for 'devC'", true);
	expect_error("json kick nosuch", "no live session for device nosuch", true);
	expect_error("json kick devC", "no live session for device devC", true);
	/* 64 characters is the longest id, 65 too long; a query, up to an owner's 512 bytes. */
	{
		char line[16 + PST_OWNER_MAX + 2];

		snprintf(line, sizeof(line), "json kick ");
		memset(line + 10, 'a', PST_DEVICE_ID_MAX);
		line[10 + PST_DEVICE_ID_MAX] = '\0';
		expect_error(line, "no live session for device", true);
		strcat(line, "a");
		expect_error(line, "not a device id", true);
		snprintf(line, sizeof(line), "json show ");
		memset(line + 10, 'a', PST_OWNER_MAX);
		line[10 + PST_OWNER_MAX] = '\0';
		expect_error(line, "no live session or decision", true);
		strcat(line, "a");
		expect_error(line, "not a device id, a tunnel address or an owner's name", true);
	}
	/* Nothing happened to the sessions. */
	CHECK(find("devA") && find("devB") && find("devC"));
	CHECK_EQ_INT(w.stats.ended[GW_END_KICKED], 0);
	worker_free();
}

/*
 * The command table posternctl shares: every command in it is dispatched
 * (with its argument, and only with it), names are unique, help is one
 * short line, and the unknown-command error lists the table, word for word.
 */
static void test_command_table(void)
{
	char line[128], *body;
	size_t n = 0;

	worker_init(false);
	for (const struct gw_ctlcmd *c = gw_ctlcmds; c->name; c++, n++) {
		const char *arg = c->arg == GW_CTLCMD_ARG_DEVICE ? " nosuch" :
				  c->arg == GW_CTLCMD_ARG_QUERY ? " devA" :
				  c->arg == GW_CTLCMD_ARG_BAN ? " nosuch 1h" :
				  c->arg == GW_CTLCMD_ARG_FILE ? " /nonexistent/policy.conf" : "";
		const char *fail;

		CHECK(gw_ctlcmd_find(c->name) == c);
		CHECK(c->help && c->help[0] && !strchr(c->help, '\n'));
		CHECK(strlen(c->help) <= GW_CTLCMD_HELP_MAX);
		snprintf(line, sizeof(line), "text %s%s", c->name, arg);
		fail = run(line, &body);
		free(body);
		if (fail && !strncmp(fail, "unknown command", 15)) {
			printf("# '%s' is in the table but not dispatched\n", line);
			CHECK(0);
		}
		snprintf(line, sizeof(line), "text %s%s", c->name, arg[0] ? "" : " extra");
		expect_error(line, "unknown command or wrong arguments", true);
	}
	CHECK_EQ_INT(n, 12);
	CHECK(gw_ctlcmd_find("sho") == NULL && gw_ctlcmd_find("s") == NULL);
	expect_error("text sho devA", "unknown command or wrong arguments (status, sessions, show "
		     "DEVICE|ADDRESS|OWNER, history DEVICE, events, kick DEVICE, ban DEVICE --for "
		     "DURATION, unban DEVICE, bans, reload, policy-diff FILE, stats)", true);
	CHECK(find("devA") && find("devB"));
	worker_free();
}

static void test_overlong(void)
{
	size_t n = 10000;
	char *line = malloc(n + 1);

	worker_init(false);
	if (!line)
		return;
	memset(line, 'x', n);
	line[n] = '\0';
	expect_error(line, "malformed request", true);
	memcpy(line, "json ", 5);
	expect_error(line, "unknown command", true);
	memcpy(line, "json show ", 10);
	expect_error(line, "not a device id", true);
	memcpy(line, "json kick ", 10);
	expect_error(line, "not a device id", true);
	memcpy(line, "text sessions ", 14);
	expect_error(line, "unknown command", true);
	/* The file name is cut at PATH_MAX_ARG bytes and does not load. */
	memcpy(line, "json policy-diff ", 17);
	expect_error(line, "the candidate policy does not load", false);
	memset(line, ' ', n);
	expect_error(line, "malformed request", true);
	free(line);
	CHECK(find("devA") && find("devB"));
	worker_free();
}

/* Any answer: an error of one line, or (json) one JSON document. */
static void check_any(const char *line)
{
	char *body, fmt[8] = "";
	const char *fail = run(line, &body);

	if (fail) {
		if (!fail[0] || strchr(fail, '\n')) {
			printf("# error message '");
			show(fail, 200);
			printf("'\n");
			CHECK(0);
		}
	} else if (sscanf(line, "%7s", fmt) == 1 && !strcmp(fmt, "json")) {
		char *flat = body ? json_flat(body) : NULL;

		if (!flat) {
			printf("# '");
			show(line, 80);
			printf("' answered with invalid JSON: ");
			show(body, 300);
			printf("\n");
			CHECK(0);
		}
		free(flat);
	}
	free(body);
}

static void test_garbage(void)
{
	static const char *const tokens[] = {
		"json", "text", "show", "sessions", "status", "stats", "devA", "devB", "devC",
		"dev", "x", " ", "  ", "\t", "\n", "\r", "-", "/", "json show", "\xc3\xa9",
		"\xff", "%s", "%n", "\"", "\\",
	};
	unsigned int seed = 12345;
	char line[512];

	worker_init(true);
	/* Random bytes, 1..255, of random lengths. */
	for (int i = 0; i < 5000; i++) {
		size_t n = (size_t)(rand_r(&seed) % 300);

		for (size_t k = 0; k < n; k++)
			line[k] = (char)(1 + rand_r(&seed) % 255);
		line[n] = '\0';
		check_any(line);
	}
	/* Salads of the protocol's own words (no kick: the sessions stay). */
	for (int i = 0; i < 5000; i++) {
		size_t len = 0;
		int n = 1 + rand_r(&seed) % 5;

		line[0] = '\0';
		for (int k = 0; k < n; k++) {
			const char *t = tokens[rand_r(&seed) % (sizeof(tokens) / sizeof(tokens[0]))];

			if (len + strlen(t) + 2 >= sizeof(line))
				break;
			len += (size_t)sprintf(line + len, "%s%s", k ? " " : "", t);
		}
		check_any(line);
	}
	CHECK(find("devA") && find("devB") && find("devC"));
	CHECK_EQ_INT(w.dp.pool4.n_free, 3);
	worker_free();
}

/* ---- sessions ---- */

static void test_sessions_json(void)
{
	static const char *const fields[] = {
		"device", "owner", "group", "ownership", "serial", "peer", "address", "address6",
		"verdict", "rule", "profile", "rx_bytes", "tx_bytes", "connected_since",
		"posture_age", "tunnel",
	};
	char *flat, a[32], b[32];
	int ia, ib;

	worker_init(false);
	flat = run_json("json sessions");
	if (!flat)
		goto done;
	CHECK_EQ_STR(json_get(flat, ""), "{1}");
	CHECK_EQ_STR(json_get(flat, "sessions"), "[2]");	/* devC is a refusal */
	ia = json_find(flat, "sessions", "devA");
	ib = json_find(flat, "sessions", "devB");
	CHECK(ia >= 0 && ib >= 0);
	if (ia < 0 || ib < 0)
		goto done;
	snprintf(a, sizeof(a), "sessions[%d].", ia);
	snprintf(b, sizeof(b), "sessions[%d].", ib);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!at(flat, a, fields[i]) || !at(flat, b, fields[i])) {
			printf("# sessions: no field %s\n", fields[i]);
			CHECK(0);
		}
	}
	CHECK_EQ_STR(at(flat, a, "owner"), "\"Zo\xc3\xab\"");
	CHECK_EQ_STR(at(flat, a, "group"), "\"staff\"");
	CHECK_EQ_STR(at(flat, a, "ownership"), "\"corporate\"");
	CHECK_EQ_STR(at(flat, a, "serial"), "\"41\"");
	CHECK_EQ_STR(at(flat, a, "peer"), "null");
	CHECK_EQ_STR(at(flat, a, "address"), "\"198.18.100.2\"");
	CHECK_EQ_STR(at(flat, a, "address6"), "null");
	CHECK_EQ_STR(at(flat, a, "verdict"), "\"allow\"");
	CHECK_EQ_STR(at(flat, a, "rule"), "\"laptops\"");
	CHECK_EQ_STR(at(flat, a, "profile"), "\"internal\"");
	CHECK_EQ_STR(at(flat, a, "rx_bytes"), "1234");
	CHECK_EQ_STR(at(flat, a, "tx_bytes"), "5678");
	CHECK_EQ_STR(at(flat, a, "connected_since"), "\"2026-11-27T10:00:00Z\"");
	CHECK(num(at(flat, a, "posture_age")) >= 30 && num(at(flat, a, "posture_age")) <= 32);
	CHECK_EQ_STR(at(flat, a, "tunnel"), "false");
	/* devB: a tunnel, an owner with characters to escape, never judged. */
	CHECK_EQ_STR(at(flat, b, "owner"), "\"O\\\"Brien \\\\ \\u0001\"");
	CHECK_EQ_STR(at(flat, b, "ownership"), "\"byod\"");
	CHECK_EQ_STR(at(flat, b, "peer"), "\"[2001:db8::7]:50123\"");
	CHECK_EQ_STR(at(flat, b, "address"), "\"198.18.100.3\"");
	CHECK_EQ_STR(at(flat, b, "verdict"), "\"quarantine\"");
	CHECK_EQ_STR(at(flat, b, "posture_age"), "null");
	CHECK_EQ_STR(at(flat, b, "tunnel"), "true");
done:
	free(flat);
	worker_free();
}

static void test_sessions_json_ipv6(void)
{
	char *flat;
	int ia;

	worker_init(true);
	flat = run_json("json sessions");
	ia = flat ? json_find(flat, "sessions", "devA") : -1;
	CHECK(ia >= 0);
	if (ia >= 0) {
		char a[32];

		snprintf(a, sizeof(a), "sessions[%d].", ia);
		CHECK_EQ_STR(at(flat, a, "address6"), "\"fd00:5057::2\"");
	}
	free(flat);
	worker_free();
	/* No session at all: an empty list. */
	memset(&w, 0, sizeof(w));
	w.pol.conf = &conf;
	flat = run_json("json sessions");
	CHECK_EQ_STR(flat ? json_get(flat, "sessions") : NULL, "[0]");
	free(flat);
}

/* Every character of s is whole UTF-8. */
static bool utf8_line_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n) {
		if (!(n = jr_utf8(p)))
			return false;
	}
	return true;
}

/* The line of s in text, cut off at its newline (static), or NULL. */
static const char *line_of(const char *text, const char *device)
{
	static char buf[1024];

	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);

		if (!strncmp(l, device, strlen(device)) && l[strlen(device)] == '\t') {
			snprintf(buf, sizeof(buf), "%.*s", (int)n, l);
			return buf;
		}
		l = e ? e + 1 : NULL;
	}
	return NULL;
}

static void test_sessions_text(void)
{
	char *body;
	const char *fail, *l;
	int lines = 0;

	worker_init(false);
	fail = run("text sessions", &body);
	CHECK(fail == NULL);
	if (!body)
		goto done;
	for (const char *p = body; *p; p++)
		lines += *p == '\n';
	CHECK_EQ_INT(lines, 3);			/* the header, devA, devB */
	/* A table for posternctl to align: cells between TABs, the header first. */
	CHECK(!strncmp(body, "DEVICE\tOWNER\tPEER\tADDRESS\tADDRESS6\tVERDICT\tRULE\tPROFILE\t"
		       "RX\tTX\tSINCE\tAGE\n", 69));
	l = line_of(body, "devA");
	CHECK(l && !strncmp(l, "devA\tZo\xc3\xab\t(detached)\t198.18.100.2\t-\tallow\tlaptops\t"
			    "internal\t1234\t5678\t2026-11-27 10:00:00Z\t3", 73));
	CHECK(l && l[strlen(l) - 1] == 's');
	/* An owner's control character would reach the terminal: '?' instead. */
	l = line_of(body, "devB");
	CHECK_EQ_STR(l, "devB\tO\"Brien \\ ?\t[2001:db8::7]:50123\t198.18.100.3\t-\tquarantine\t"
		     "phones\tremediation\t0\t0\t2026-11-27 10:00:00Z\t-");
	CHECK(!line_of(body, "devC"));
done:
	free(body);
	worker_free();
}

/* Both tunnel addresses, each in its own column. */
static void test_sessions_text_ipv6(void)
{
	char *body, a6[INET6_ADDRSTRLEN] = "", want[128];
	const char *l;

	worker_init(true);
	CHECK(run("text sessions", &body) == NULL);
	if (find("devA"))
		inet_ntop(AF_INET6, &find("devA")->lease.v6, a6, sizeof(a6));
	snprintf(want, sizeof(want), "\t198.18.100.2\t%s\tallow\t", a6);
	l = body ? line_of(body, "devA") : NULL;
	CHECK(a6[0] && l && strstr(l, want));
	free(body);
	worker_free();
}

/* An owner is shown whole, however long (posternctl aligns the column). */
static void test_sessions_text_owner_whole(void)
{
	static const char *const owners[] = {
		"aaaaaaaaaaaaaaaaa\xc3\xab", "\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e",
		"Maximilian Mustermann-Schmidt von und zu Hohenstein-Ernstthal",
	};
	char *body, want[256];

	worker_init(false);
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		const char *l;

		snprintf(find("devA")->id.owner, sizeof(find("devA")->id.owner), "%s", owners[i]);
		CHECK(run("text sessions", &body) == NULL);
		l = body ? line_of(body, "devA") : NULL;
		snprintf(want, sizeof(want), "devA\t%s\t(detached)\t", owners[i]);
		if (!l || strncmp(l, want, strlen(want)) || !utf8_line_ok(l)) {
			printf("# owner case %zu: ", i);
			show(l ? l : "(no line)", 120);
			printf("\n");
			CHECK(0);
		}
		free(body);
	}
	worker_free();
}

/* ---- status ---- */

static void test_status_json(void)
{
	char *flat;

	worker_init(false);
	flat = run_json("json status");
	if (!flat)
		goto done;
	CHECK_EQ_STR(json_get(flat, "version"), "\"" POSTERN_VERSION "\"");
	CHECK_EQ_INT(num(json_get(flat, "pid")), getpid());
	CHECK(num(json_get(flat, "uptime")) >= 100 && num(json_get(flat, "uptime")) <= 102);
	CHECK_EQ_STR(json_get(flat, "sessions.allow"), "1");
	CHECK_EQ_STR(json_get(flat, "sessions.quarantine"), "1");
	CHECK_EQ_STR(json_get(flat, "sessions.deny"), "1");
	CHECK_EQ_STR(json_get(flat, "sessions.total"), "3");
	CHECK_EQ_STR(json_get(flat, "sessions.tunnels"), "1");
	CHECK_EQ_STR(json_get(flat, "sessions"), "{5}");
	CHECK_EQ_STR(json_get(flat, "pool.ipv4.size"), "5");
	CHECK_EQ_STR(json_get(flat, "pool.ipv4.used"), "2");
	CHECK_EQ_STR(json_get(flat, "pool.ipv6"), "null");
	CHECK_EQ_STR(json_get(flat, "config.path"), "\"/nonexistent/postern-test/posternd.conf\"");
	CHECK_EQ_STR(json_get(flat, "config.loaded"), "\"2026-11-27T10:00:00Z\"");
	CHECK_EQ_STR(json_get(flat, "policy"), "null");
	CHECK_EQ_STR(json_get(flat, "crl.path"), "\"/nonexistent/postern-test/crl.pem\"");
	CHECK(is_iso_time(json_get(flat, "crl.loaded")));
	CHECK_EQ_STR(json_get(flat, "crl.revoked"), "7");
	CHECK_EQ_STR(json_get(flat, "crl.number"), "258");
	CHECK_EQ_STR(json_get(flat, "crl.last_update"), "\"2026-11-27T09:00:00Z\"");
	CHECK_EQ_STR(json_get(flat, "crl.next_update"), "\"2026-12-27T09:00:00Z\"");
	CHECK_EQ_INT(num(json_get(flat, "crl.age")), time(NULL) - (SINCE - 3600));
	CHECK_EQ_STR(json_get(flat, "crl.state"), "\"ok\"");
	CHECK_EQ_STR(json_get(flat, "crl.problem"), "null");
	CHECK_EQ_STR(json_get(flat, "crl.problem_since"), "null");
	CHECK_EQ_STR(json_get(flat, "crl.reload_failures"), "0");
	CHECK_EQ_STR(json_get(flat, "certificates.server.not_after"), "\"2027-11-27T10:00:00Z\"");
	CHECK_EQ_STR(json_get(flat, "certificates.ca.not_after"), "\"2036-11-24T10:00:00Z\"");
	CHECK_EQ_STR(json_get(flat, "inventory"), "null");
done:
	free(flat);
	worker_free();
}

static void test_status_json_ipv6(void)
{
	char *flat;

	worker_init(true);
	flat = run_json("json status");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "pool.ipv6.size"), "254");
		CHECK_EQ_STR(json_get(flat, "pool.ipv6.used"), "2");
	}
	free(flat);
	worker_free();
}

static void test_status_text(void)
{
	char *body;

	worker_init(true);
	CHECK(run("text status", &body) == NULL);
	CHECK(body && !strncmp(body, "posternd " POSTERN_VERSION ", pid ", 10 + strlen(POSTERN_VERSION)));
	CHECK(body && strstr(body, "sessions: 1 allow, 1 quarantine, 1 deny; 1 tunnels\n"));
	CHECK(body && strstr(body, "IPv4 2 of 5 leased, IPv6 2 of 254"));
	CHECK(body && strstr(body, "policy:   none"));
	CHECK(body && strstr(body, "crl:      /nonexistent/postern-test/crl.pem (7 revoked, number 258"));
	CHECK(body && strstr(body, "last update 2026-11-27 09:00:00Z (age "));
	CHECK(body && strstr(body, "next update 2026-12-27 09:00:00Z; state ok\n"));
	CHECK(body && strstr(body, "(expires 2027-11-27 10:00:00Z)"));
	free(body);
	worker_free();
}

/* A CRL file that could not replace the one in force: status says stale,
 * why and since when, and keeps showing the CRL in force. */
static void test_status_crl_stale(void)
{
	char *flat, *body;

	worker_init(false);
	snprintf(w.pol.crl_problem, sizeof(w.pol.crl_problem), "%s: cannot open: Permission denied",
		 crl_path);
	w.pol.crl_problem_since = SINCE + 60;
	w.stats.crl_reload_failures = 3;
	flat = run_json("json status");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "crl.state"), "\"stale\"");
		CHECK_EQ_STR(json_get(flat, "crl.problem"),
			     "\"/nonexistent/postern-test/crl.pem: cannot open: Permission denied\"");
		CHECK_EQ_STR(json_get(flat, "crl.problem_since"), "\"2026-11-27T10:01:00Z\"");
		CHECK_EQ_STR(json_get(flat, "crl.reload_failures"), "3");
		CHECK_EQ_STR(json_get(flat, "crl.number"), "258");
	}
	free(flat);
	CHECK(run("text status", &body) == NULL);
	CHECK(body && strstr(body, "state STALE since 2026-11-27 10:01:00Z (3 failed reloads): "
			     "/nonexistent/postern-test/crl.pem: cannot open: Permission denied"));
	free(body);
	worker_free();
}

/* ---- stats ---- */

static void test_stats(void)
{
	char *flat, *text;

	worker_init(true);
	w.stats.refused_by[GW_REF_REVOKED] = 3;
	w.stats.ended[GW_END_LOST] = 2;
	flat = run_json("json stats");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "refused"), "{14}");
		CHECK_EQ_STR(json_get(flat, "refused.revoked"), "3");
		CHECK_EQ_STR(json_get(flat, "sessions_ended.lost"), "2");
		CHECK_EQ_STR(json_get(flat, "sessions.quarantine"), "1");
		CHECK_EQ_STR(json_get(flat, "pool.ipv6_used"), "2");
	}
	CHECK(run("text stats", &text) == NULL);
	CHECK(text && strstr(text, "refused.revoked") && strstr(text, "sessions_ended.lost"));
	free(text);
	free(flat);
	worker_free();
}

/* ---- show ---- */

static void test_show_json(void)
{
	char *flat;

	worker_init(false);
	flat = run_json("json show devA");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "device"), "\"devA\"");
		CHECK_EQ_STR(json_get(flat, "session.device"), "\"devA\"");
		CHECK_EQ_STR(json_get(flat, "session.address"), "\"198.18.100.2\"");
		CHECK_EQ_STR(json_get(flat, "facts"), "[2]");
		CHECK_EQ_STR(json_get(flat, "facts[0].name"), "\"os.name\"");
		CHECK_EQ_STR(json_get(flat, "facts[0].value"), "\"linux\"");
		CHECK_EQ_STR(json_get(flat, "facts[0].source"), "\"agent\"");
		CHECK(num(json_get(flat, "facts[0].age")) >= 30 && num(json_get(flat, "facts[0].age")) <= 32);
		CHECK_EQ_STR(json_get(flat, "facts[1].value"), "\"12\"");
		CHECK_EQ_STR(json_get(flat, "reasons"), "[0]");
		CHECK_EQ_STR(json_get(flat, "history"), "[1]");
		CHECK(is_iso_time(json_get(flat, "history[0].time")));
		CHECK_EQ_STR(json_get(flat, "history[0].event"), "\"login\"");
		CHECK_EQ_STR(json_get(flat, "history[0].verdict"), "\"allow\"");
		CHECK_EQ_STR(json_get(flat, "history[0].rule"), "\"laptops\"");
		CHECK_EQ_STR(json_get(flat, "history[0].profile"), "\"internal\"");
		CHECK_EQ_STR(json_get(flat, "history[0].reasons"), "[0]");
	}
	free(flat);
	flat = run_json("json show devB");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "session.verdict"), "\"quarantine\"");
		CHECK_EQ_STR(json_get(flat, "session.tunnel"), "true");
		CHECK_EQ_STR(json_get(flat, "facts"), "[0]");
		CHECK_EQ_STR(json_get(flat, "reasons"), "[2]");
		CHECK_EQ_STR(json_get(flat, "reasons[0]"), "\"update iOS to 18.6 or later\"");
		CHECK_EQ_STR(json_get(flat, "reasons[1]"), "\"set a passcode\"");
		CHECK_EQ_STR(json_get(flat, "history[0].verdict"), "\"quarantine\"");
		CHECK_EQ_STR(json_get(flat, "history[0].reasons[1]"), "\"set a passcode\"");
	}
	free(flat);
	worker_free();
}

/*
 * show by a tunnel address (either family, any form inet_pton reads), by an
 * owner (ASCII case aside) listing every device of an ambiguous one, and a
 * device id before an owner of the same name.
 */
static void test_show_query(void)
{
	char *flat, *body, a6[INET6_ADDRSTRLEN] = "", line[80];

	worker_init(true);
	flat = run_json("json show 198.18.100.3");
	CHECK(flat && !strcmp(json_get(flat, "device"), "\"devB\""));
	free(flat);
	if (find("devA"))
		inet_ntop(AF_INET6, &find("devA")->lease.v6, a6, sizeof(a6));
	snprintf(line, sizeof(line), "json show %s", a6);
	flat = run_json(line);
	CHECK(flat && !strcmp(json_get(flat, "device"), "\"devA\""));
	free(flat);
	expect_error("json show 198.18.100.6", "no live session has the tunnel address "
		     "198.18.100.6", true);
	expect_error("json show fd00:5057::fe", "no live session has the tunnel address", true);
	/* devC's refusal on its way is no session to show, whatever names it. */
	snprintf(find("devC")->id.owner, sizeof(find("devC")->id.owner), "Zo\xc3\xab");
	flat = run_json("json show zo\xc3\xab");
	CHECK(flat && !strcmp(json_get(flat, "device"), "\"devA\""));
	free(flat);
	/* Two devices of one owner: both, whole. */
	snprintf(find("devB")->id.owner, sizeof(find("devB")->id.owner), "ZO\xc3\xab");
	flat = run_json("json show Zo\xc3\xab");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "query"), "\"Zo\xc3\xab\"");
		CHECK_EQ_STR(json_get(flat, "truncated"), "false");
		CHECK_EQ_STR(json_get(flat, "devices"), "[2]");
		CHECK(strstr(flat, "\"devA\"") && strstr(flat, "\"devB\""));
		CHECK_EQ_STR(json_get(flat, "devices[0].history"), "[1]");
		CHECK(json_get(flat, "devices[1].session.address") != NULL);
	}
	free(flat);
	CHECK(run("text show Zo\xc3\xab", &body) == NULL);
	CHECK(body && !strncmp(body, "2 devices for 'Zo\xc3\xab':\n\nDEVICE\t", 27));
	CHECK(body && line_of(body, "devA") && line_of(body, "devB"));
	free(body);
	/* An owner called like a device: the device comes first. */
	snprintf(find("devA")->id.owner, sizeof(find("devA")->id.owner), "devB");
	flat = run_json("json show devB");
	CHECK(flat && !strcmp(json_get(flat, "device"), "\"devB\""));
	free(flat);
	CHECK(find("devA") && find("devB") && find("devC"));
	worker_free();
}

static void test_show_text(void)
{
	char *body;

	worker_init(false);
	CHECK(run("text show devB", &body) == NULL);
	CHECK(body && !strncmp(body, "DEVICE\t", 7));
	CHECK(body && strstr(body, "\nfacts: none\n") && strstr(body, "\nreasons:\n  - update iOS "
		      "to 18.6 or later\n  - set a passcode\n"));
	CHECK(body && strstr(body, "\nhistory:\n  TIME\tEVENT\tVERDICT\tRULE\tPROFILE\tREASONS\n"));
	CHECK(body && strstr(body, "\tlogin\tquarantine\tphones\tremediation\tupdate iOS to 18.6 "
		      "or later; set a passcode\n"));
	free(body);
	CHECK(run("text show devA", &body) == NULL);
	CHECK(body && strstr(body, "\nfacts:\n  NAME\tVALUE\tSOURCE\tAGE\n  os.name\tlinux\tagent\t"));
	CHECK(body && strstr(body, "\tlogin\tallow\tlaptops\tinternal\t-\n"));
	free(body);
	worker_free();
}

/* The ring keeps the latest GW_HISTORY_MAX decisions, oldest first. */
static void test_history_ring(void)
{
	struct pst_decision d;
	char *flat, path[64], want[32];

	worker_init(false);
	for (int i = 0; i < GW_HISTORY_MAX + 5; i++) {
		char r[16];

		snprintf(r, sizeof(r), "n=%d", i);
		decision(&d, PST_QUARANTINE, &rule_phones, &prof_remediation, r, NULL);
		gw_history_add(&w, "devH", "reload", &d);
	}
	CHECK_EQ_INT(w.ctl.history_n, GW_HISTORY_MAX);
	flat = run_json("json show devH");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "session"), "null");
		snprintf(want, sizeof(want), "[%d]", GW_HISTORY_MAX);
		CHECK_EQ_STR(json_get(flat, "history"), want);
		/* devA's and devB's logins and devH's first five were pushed out. */
		CHECK_EQ_STR(json_get(flat, "history[0].reasons[0]"), "\"n=5\"");
		snprintf(path, sizeof(path), "history[%d].reasons[0]", GW_HISTORY_MAX - 1);
		snprintf(want, sizeof(want), "\"n=%d\"", GW_HISTORY_MAX + 4);
		CHECK_EQ_STR(json_get(flat, path), want);
		CHECK_EQ_STR(json_get(flat, "history[0].event"), "\"reload\"");
	}
	free(flat);
	/* devA still has its session, though no history left. */
	flat = run_json("json show devA");
	CHECK_EQ_STR(flat ? json_get(flat, "history") : NULL, "[0]");
	free(flat);
	worker_free();
}

/* ---- kick ---- */

static void test_kick(void)
{
	char *flat, *body;
	uint32_t free_before;

	worker_init(false);
	free_before = w.dp.pool4.n_free;
	flat = run_json("json kick devA");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, ""), "{1}");
		CHECK_EQ_STR(json_get(flat, "kicked"), "\"devA\"");
	}
	free(flat);
	CHECK(find("devA") == NULL);
	CHECK_EQ_INT(w.dp.pool4.n_free, free_before + 1);
	CHECK_EQ_INT(w.stats.ended[GW_END_KICKED], 1);
	expect_error("json kick devA", "no live session for device devA", true);
	/* The history says who ended it, and show still answers. */
	flat = run_json("json show devA");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "session"), "null");
		CHECK_EQ_STR(json_get(flat, "history"), "[2]");
		CHECK_EQ_STR(json_get(flat, "history[1].event"), "\"kick\"");
		CHECK_EQ_STR(json_get(flat, "history[1].verdict"), "\"ended\"");
	}
	free(flat);
	flat = run_json("json sessions");
	CHECK_EQ_STR(flat ? json_get(flat, "sessions") : NULL, "[1]");
	free(flat);
	/* The text form. */
	add_session("devD", "staff", PST_ALLOW, true);
	CHECK(run("text kick devD", &body) == NULL);
	CHECK_EQ_STR(body, "devD: session ended\n");
	free(body);
	CHECK(find("devD") == NULL);
	CHECK_EQ_INT(w.stats.ended[GW_END_KICKED], 2);
	CHECK(run("text show devD", &body) == NULL);
	CHECK(body && !strncmp(body, "devD: no live session\n", 22));
	free(body);
	worker_free();
}

/* ---- ban, unban, bans ---- */

/* A ban ends the device's session, bars it until its time and is listed;
 * banning again moves its time; unban lifts it. */
static void test_ban(void)
{
	const struct gw_ban *b;
	char *flat, *body;
	time_t now = time(NULL);
	long left;

	worker_init(false);
	CHECK(run("text ban devA 1h", &body) == NULL);
	CHECK(body && !strncmp(body, "devA: banned until 20", 21) &&
	      strstr(body, "Z; 1 session ended\n"));
	free(body);
	CHECK(find("devA") == NULL);
	CHECK_EQ_INT(w.stats.ended[GW_END_KICKED], 1);
	b = gw_ban_find(&w, "devA", now);
	CHECK(b && b->until >= now + 3600 && b->until <= now + 3602);
	CHECK(gw_ban_find(&w, "devA", now + 3700) == NULL);	/* it runs out by itself */
	flat = run_json("json show devA");
	CHECK(flat && !strcmp(json_get(flat, "history[1].event"), "\"ban\""));
	CHECK(flat && !strncmp(json_get(flat, "history[1].reasons[0]"), "\"banned until ", 14));
	free(flat);
	/* Any device id may be banned, connected or not; the form as typed or in seconds. */
	flat = run_json("json ban laptop-9 90");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "banned"), "\"laptop-9\"");
		CHECK_EQ_STR(json_get(flat, "seconds"), "90");
		CHECK_EQ_STR(json_get(flat, "sessions_ended"), "0");
		CHECK(is_iso_time(json_get(flat, "until")));
	}
	free(flat);
	flat = run_json("json bans");
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "bans"), "[2]");
		CHECK(strstr(flat, "\"laptop-9\"") && strstr(flat, "\"devA\""));
		left = num(json_get(flat, "bans[0].seconds_left")) + num(json_get(flat, "bans[1].seconds_left"));
		CHECK(left >= 3600 + 88 && left <= 3600 + 90);
		CHECK(is_iso_time(json_get(flat, "bans[0].since")));
	}
	free(flat);
	CHECK(run("text bans", &body) == NULL);
	CHECK(body && !strncmp(body, "DEVICE\tUNTIL\tSECONDS LEFT\tSINCE\n", 32));
	CHECK(body && line_of(body, "devA") && line_of(body, "laptop-9"));
	free(body);
	/* Again: a new time, still one ban. */
	CHECK(run("text ban devA 30m", &body) == NULL);
	CHECK(body && strstr(body, "; 0 sessions ended\n"));
	free(body);
	b = gw_ban_find(&w, "devA", now);
	CHECK(b && b->until >= now + 1800 && b->until <= now + 1802);
	CHECK_EQ_INT(w.ctl.n_bans, 2);
	CHECK(run("text unban devA", &body) == NULL);
	CHECK_EQ_STR(body, "devA: ban lifted\n");
	free(body);
	CHECK(gw_ban_find(&w, "devA", now) == NULL);
	expect_error("text unban devA", "device devA is not banned", true);
	flat = run_json("json unban laptop-9");
	CHECK_EQ_STR(flat ? json_get(flat, "unbanned") : NULL, "\"laptop-9\"");
	free(flat);
	CHECK(run("text bans", &body) == NULL);
	CHECK_EQ_STR(body, "no device is banned\n");
	free(body);
	worker_free();
}

/* Bad durations and ids are refused with words; a ban that ran out is none. */
static void test_ban_refused(void)
{
	static const struct {
		const char *line, *error;
	} bad[] = {
		{ "text ban devA 0", "ban: '0' is no time at all: at least 1s" },
		{ "text ban devA 366d", "ban: '366d' is more than 365d" },
		{ "text ban devA 31536001", "ban: '31536001' is more than 365d" },
		{ "text ban devA 5x", "ban: unknown unit 'x' in '5x' (s, m, h or d)" },
		{ "text ban devA -1h", "ban: '-1h' is not a duration" },
		{ "text ban devA 1h 5m", "ban: unknown unit 'h 5m'" },
		{ "text ban devA", "ban: not a device id and a duration (expected DEVICE DURATION)" },
		{ "text ban bad/id 1h", "ban: not a device id and a duration" },
		{ "json ban  1h", "ban: not a device id and a duration" },
		{ "text unban bad/id", "not a device id" },
		{ "text bans all", "unknown command or wrong arguments" },
	};
	char *flat;
	time_t now = time(NULL);

	worker_init(false);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(bad[i].line, bad[i].error, true);
	CHECK_EQ_INT(w.ctl.n_bans, 0);
	CHECK(find("devA") && find("devB"));
	CHECK_EQ_INT(gw_ban_set(&w, "devE", now - 60, now - 60, now - 1), 0);
	CHECK(gw_ban_find(&w, "devE", now) == NULL);
	flat = run_json("json bans");
	CHECK_EQ_STR(flat ? json_get(flat, "bans") : NULL, "[0]");
	free(flat);
	expect_error("text unban devE", "device devE is not banned", true);
	CHECK_EQ_INT(w.ctl.n_bans, 0);
	worker_free();
}

/* ---- history, events ---- */

/* history names the audit log (posternctl reads it); events hands the
 * client to the socket to follow them, as text or JSON lines. */
static void test_history_events(void)
{
	char *body, err[256];
	FILE *f;
	size_t len;

	worker_init(false);
	expect_error("text history devA", "this gateway keeps no audit log (audit-log in "
		     "/nonexistent/postern-test/posternd.conf)", true);
	conf.audit_log = "/var/log/postern/audit.log";
	CHECK(run("text history devA", &body) == NULL);
	CHECK_EQ_STR(body, "/var/log/postern/audit.log\n");
	free(body);
	CHECK(run("json history nosuch", &body) == NULL);
	CHECK_EQ_STR(body, "{\"audit_log\":\"/var/log/postern/audit.log\"}\n");
	free(body);
	expect_error("text history bad/id", "not a device id", true);
	conf.audit_log = NULL;
	expect_error("text events", "this gateway has no events to follow", true);
	expect_error("text events now", "unknown command or wrong arguments", true);
	w.ctl.events = gw_events_new();
	for (int json = 0; json < 2; json++) {
		body = NULL;
		f = open_memstream(&body, &len);
		CHECK_EQ_INT(gw_control_run(&w, json ? "json events" : "text events", f, err,
					    sizeof(err)),
			     json ? GW_CONTROL_FOLLOW_JSON : GW_CONTROL_FOLLOW_TEXT);
		fclose(f);
		CHECK(body && !body[0]);
		free(body);
	}
	gw_events_free(w.ctl.events);
	w.ctl.events = NULL;
	worker_free();
}

/* ---- reload and policy-diff ---- */

static void test_reload_refused(void)
{
	char *body;
	const char *fail;

	worker_init(false);
	fail = run("json reload", &body);
	CHECK_EQ_STR(fail, "reload refused: nothing was changed");
	CHECK(body && !strncmp(body, conf_path, strlen(conf_path)) && body[strlen(conf_path)] == ':');
	CHECK(body && body[strlen(body) - 1] == '\n');
	free(body);
	CHECK_EQ_INT(w.stats.reloads_failed, 1);
	CHECK_EQ_INT(w.stats.reloads_ok, 0);
	CHECK(w.pol.conf == &conf);
	CHECK(find("devA") && find("devA")->verdict == PST_ALLOW);
	worker_free();
}

static unsigned int count_verdict(enum pst_verdict v)
{
	unsigned int n = 0;

	for (struct gw_session *s = w.sess.sessions; s; s = s->next)
		n += s->verdict == v;
	return n;
}

/*
 * A re-evaluation in slices (a reload with many sessions): each step decides
 * some sessions and returns so that tunnels run in between, a session that
 * ends meanwhile is stepped over, and the job is done only once every
 * session was decided. With no policy in force, every quarantined session
 * is allowed again.
 */
static void test_reeval_slices(void)
{
	struct gw_reeval_req rq = { .event = "reload" };
	const unsigned int n = 60;
	unsigned int steps = 0, left;
	struct gw_session *s;
	char dev[16];

	worker_init(false);
	for (unsigned int i = 0; i < n; i++) {
		snprintf(dev, sizeof(dev), "devQ%02u", i);
		add_session(dev, "field", PST_QUARANTINE, false);
	}
	w.ctl.reeval_slice_us = 1;
	CHECK_EQ_INT(gw_reeval_start(&w, &rq, NULL), 0);	/* no client waits */
	CHECK(w.ctl.reeval != NULL);
	CHECK(gw_reeval_step(&w, 1));		/* sessions are left after one slice */
	left = count_verdict(PST_QUARANTINE);
	CHECK(left > 0 && left < n + 1);	/* the 60 and devB, some decided */
	CHECK(!gw_reeval_ready(&w));
	/* The next session to decide ends: the walk goes on past it. */
	s = w.sess.reeval_next;
	CHECK(s != NULL);
	if (s)
		gw_session_end(&w, s, "ended in the middle of a re-evaluation");
	while (gw_reeval_step(&w, 1) && steps < 10000)
		steps++;
	CHECK(steps > 0);
	CHECK(gw_reeval_ready(&w));
	gw_reeval_poll(&w);
	CHECK(w.ctl.reeval == NULL);
	CHECK(!w.sess.reeval_active && !w.sess.reeval_next);
	CHECK_EQ_INT(count_verdict(PST_QUARANTINE), 0);
	/* 59 of the 60 (one ended), devB, and devA whose rule and profile go. */
	CHECK_EQ_INT(w.stats.reevaluated, n - 1 + 2);
	worker_free();
}

/* Occurrences of needle in hay. */
static unsigned int count_of(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/*
 * posternctl sessions in slices (many sessions): the answer comes later,
 * each step writes some rows of the worker's own sessions, a session that
 * ends before its row is left out and the walk goes on past it, and the
 * document is the one an unsliced listing gives, less that session. A few
 * sessions are listed at once even with slicing on.
 */
static void test_sessions_slices(void)
{
	const unsigned int n = GW_LISTING_AT_ONCE + 44;
	char *whole = NULL, *body = NULL, err[256], dev[16], gone[PST_DEVICE_ID_MAX + 3];
	const char *doc = NULL;
	unsigned int steps = 0;
	struct gw_session *s;
	size_t len = 0;
	FILE *f;

	worker_init(false);
	w.ctl.reeval_slice_us = 1;
	CHECK(run("json sessions", &body) == NULL);	/* three: at once */
	CHECK(body && count_of(body, "\"device\":") == 2);	/* devC is denied */
	free(body);
	body = NULL;
	w.ctl.reeval_slice_us = 0;
	for (unsigned int i = 0; i < n; i++) {
		snprintf(dev, sizeof(dev), "devL%03u", i);
		add_session(dev, "field", PST_ALLOW, false);
	}
	CHECK(run("json sessions", &whole) == NULL);	/* slicing off: at once */
	CHECK(whole && count_of(whole, "\"device\":") == n + 2);
	w.ctl.reeval_slice_us = 1;
	f = open_memstream(&body, &len);
	CHECK_EQ_INT(gw_control_run(&w, "json sessions", f, err, sizeof(err)), 1);
	fclose(f);
	CHECK_EQ_INT(len, 0);			/* nothing yet: the answer comes later */
	CHECK(w.sess.list_active && !gw_listing_ready(&w));
	s = w.sess.list_next;			/* the next to list ends first */
	CHECK(s != NULL);
	gone[0] = '\0';
	if (s) {
		snprintf(gone, sizeof(gone), "\"%s\"", s->id.device_id);
		gw_session_end(&w, s, "ended in the middle of a listing");
	}
	while (gw_listing_step(&w, 1) && steps < 100000)
		steps++;
	CHECK(steps > 0);
	CHECK(gw_listing_ready(&w) && !w.sess.list_active);
	doc = gw_listing_document(&w, &len);
	CHECK(doc != NULL);
	if (doc && whole && gone[0]) {
		CHECK_EQ_INT(count_of(doc, "\"device\":"), n + 1);
		CHECK_EQ_INT(count_of(doc, gone), 0);
		CHECK_EQ_INT(count_of(whole, gone), 1);
		CHECK(!strncmp(doc, "{\"sessions\":[{", 14));
		CHECK(len >= 3 && !strcmp(doc + len - 3, "]}\n"));
	}
	gw_listing_stop(&w);
	CHECK(!w.ctl.listing && !w.sess.list_next && !w.sess.list_active);
	free(body);
	free(whole);
	worker_free();
}

static char dir[] = "/tmp/postern-test-control.XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void test_policy_diff(void)
{
	static const char policy[] =
		"quarantine-profile = \"remediation\"\n"
		"agent = \"optional\"\n"
		"profile internal { allow = { \"198.18.2.0/24\" } }\n"
		"profile remediation { allow = { \"198.18.3.0/24\" } }\n"
		"platform linux { }\n"
		"rule laptops { group = \"staff\" action = \"allow\" profile = \"internal\" }\n"
		"rule phones { group = \"field\" action = \"deny\"\n"
		"  message = \"field phones are retired\" }\n";
	char path[128], line[160], *flat, *body, want[160];
	const char *sha;
	FILE *f;

	worker_init(false);
	snprintf(dir, sizeof(dir), "/tmp/postern-test-control.XXXXXX");
	if (!mkdtemp(dir)) {
		CHECK(0);
		worker_free();
		return;
	}
	snprintf(path, sizeof(path), "%s/candidate.conf", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(policy, f);
		fclose(f);
	}
	/* devA enforces the internal profile's networks as the candidate has them. */
	if (find("devA") && (find("devA")->allow = calloc(1, sizeof(struct conf_cidr)))) {
		find("devA")->n_allow = 1;
		CHECK_EQ_INT(conf_cidr_parse("198.18.2.0/24", find("devA")->allow), 0);
	}
	snprintf(line, sizeof(line), "json policy-diff %s", path);
	flat = run_json(line);
	if (flat) {
		snprintf(want, sizeof(want), "\"%s\"", path);
		CHECK_EQ_STR(json_get(flat, "policy"), want);
		sha = json_get(flat, "sha256");
		CHECK(sha && strlen(sha) == 66 && strspn(sha + 1, "0123456789abcdef") == 64);
		CHECK_EQ_STR(json_get(flat, "changes"), "[1]");
		CHECK_EQ_STR(json_get(flat, "changes[0].device"), "\"devB\"");
		CHECK_EQ_STR(json_get(flat, "changes[0].from.verdict"), "\"quarantine\"");
		CHECK_EQ_STR(json_get(flat, "changes[0].from.rule"), "\"phones\"");
		CHECK_EQ_STR(json_get(flat, "changes[0].from.profile"), "\"remediation\"");
		CHECK_EQ_STR(json_get(flat, "changes[0].to.verdict"), "\"deny\"");
		CHECK_EQ_STR(json_get(flat, "changes[0].to.rule"), "\"phones\"");
		CHECK_EQ_STR(json_get(flat, "changes[0].to.profile"), "null");
		CHECK(json_get(flat, "changes[0].reasons") != NULL);
		CHECK_EQ_STR(json_get(flat, "unchanged"), "1");
	}
	free(flat);
	/* Nothing changed. */
	CHECK(find("devB") && find("devB")->verdict == PST_QUARANTINE);
	CHECK(find("devA") && !strcmp(find("devA")->profile, "internal"));
	CHECK_EQ_INT(w.stats.ended[GW_END_POLICY], 0);
	CHECK_EQ_INT(w.stats.reevaluated, 0);
	/* The text form says the same. */
	snprintf(line, sizeof(line), "text policy-diff %s", path);
	CHECK(run(line, &body) == NULL);
	CHECK(body && strstr(body, "devB") && strstr(body, "quarantine/remediation -> deny/-"));
	free(body);
	/* A candidate that does not load: its problems are the body. */
	snprintf(line, sizeof(line), "json policy-diff %s/missing.conf", dir);
	CHECK_EQ_STR(run(line, &body), "the candidate policy does not load");
	snprintf(want, sizeof(want), "%s/missing.conf:", dir);
	CHECK(body && !strncmp(body, want, strlen(want)));
	free(body);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	worker_free();
}

/*
 * A candidate whose path needs much escaping (a directory named with
 * control characters: legal, if odd) still gets a whole JSON answer: the
 * path may be up to PATH_MAX_ARG bytes, six times that escaped.
 */
static void test_policy_diff_long_path(void)
{
	static const char policy[] =
		"quarantine-profile = \"remediation\"\n"
		"profile remediation { allow = { \"198.18.3.0/24\" } }\n"
		"rule all { action = \"allow\" profile = \"remediation\" }\n";
	char path[1024], name[151], line[1100], *flat;
	FILE *f;

	worker_init(false);
	snprintf(dir, sizeof(dir), "/tmp/postern-test-control.XXXXXX");
	if (!mkdtemp(dir)) {
		CHECK(0);
		worker_free();
		return;
	}
	memset(name, '\x01', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(path, sizeof(path), "%s", dir);
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(path);

		snprintf(path + n, sizeof(path) - n, "/%s", name);
		CHECK_EQ_INT(mkdir(path, 0700), 0);
	}
	strcat(path, "/p.conf");
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(policy, f);
		fclose(f);
	}
	snprintf(line, sizeof(line), "json policy-diff %s", path);
	flat = run_json(line);
	CHECK(flat && json_get(flat, "policy") && strlen(json_get(flat, "policy")) > 2700);
	free(flat);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	worker_free();
}

int main(void)
{
	/* Line by line: a sanitizer report must not swallow the cases before it. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_malformed);
	RUN(test_command_table);
	RUN(test_overlong);
	RUN(test_garbage);
	RUN(test_sessions_json);
	RUN(test_sessions_json_ipv6);
	RUN(test_sessions_text);
	RUN(test_sessions_text_ipv6);
	RUN(test_sessions_text_owner_whole);
	RUN(test_sessions_slices);
	RUN(test_status_json);
	RUN(test_status_json_ipv6);
	RUN(test_status_text);
	RUN(test_status_crl_stale);
	RUN(test_stats);
	RUN(test_show_json);
	RUN(test_show_query);
	RUN(test_show_text);
	RUN(test_history_ring);
	RUN(test_kick);
	RUN(test_ban);
	RUN(test_ban_refused);
	RUN(test_history_events);
	RUN(test_reload_refused);
	RUN(test_policy_diff);
	RUN(test_policy_diff_long_path);
	RUN(test_reeval_slices);
	UNIT_EXIT();
}
