/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the control socket's request line: each input, cut
 * at 4096 bytes (the socket's limit) and at its first NUL, goes to
 * gw_control_run on a worker built by hand with three sessions (devA
 * allowed, devB quarantined with reasons and an owner full of characters to
 * escape, devC denied) and a little history, the same for every input (a
 * kicked or banned session is made again, a ban forgotten), so that one
 * input cannot change the next. The target checks the
 * protocol's contract: an error is one non-empty line (it becomes the
 * answer's first line); a JSON answer is one valid JSON document (read by a
 * strict reader of our own, tests/unit/json_check.h) ending in a newline;
 * and the pools and the sessions stay consistent (every leased address is
 * held by one session).
 * reload reads a real configuration from a temporary directory and is
 * refused at its CRL, a dummy; policy-diff reads whatever file the input
 * names (the seeds name the policies in tests/fixtures/ops/, relative to
 * the repository's top, where tests/run.sh runs). The gateway's log lines
 * go to stderr as in the daemon.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gateway/control.h"
#include "gateway/history.h"
#include "gateway/model.h"
#include "tests/unit/json_check.h"
#include "tests/unit/worker_fixture.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)
#define FUZZ_LINE_MAX 4096

/* UBSan only reports by default in this build; a report must fail the run. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* ---- the files reload reads ---- */

static char fuzz_dir[] = "/tmp/postern-fuzz-control.XXXXXX";
static char conf_path[sizeof(fuzz_dir) + 32], crl_path[sizeof(fuzz_dir) + 32];

static const char *const fuzz_files[] = {
	"pki/ca.crt", "pki/crl.pem", "pki/server.crt", "pki/server.key", "p.conf", "posternd.conf",
};

static const char fuzz_policy[] =
	"quarantine-profile = \"remediation\"\n"
	"agent = \"optional\"\n"
	"profile internal { allow = { \"198.18.2.0/24\" } }\n"
	"profile remediation { allow = { \"198.18.3.0/24\" } }\n"
	"platform linux { }\n"
	"rule laptops { group = \"staff\" action = \"allow\" profile = \"internal\" }\n"
	"rule phones { group = \"field\" action = \"deny\" message = \"no phones\" }\n";

static const char fuzz_conf[] =
	"ca-cert = \"pki/ca.crt\"\n"
	"crl = \"pki/crl.pem\"\n"
	"server-cert = \"pki/server.crt\"\n"
	"server-key = \"pki/server.key\"\n"
	"ipv4-pool = \"198.18.100.0/29\"\n"
	"policy = \"p.conf\"\n";

static void fuzz_cleanup(void)
{
	char p[sizeof(fuzz_dir) + 32];

	for (size_t i = 0; i < sizeof(fuzz_files) / sizeof(fuzz_files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fuzz_dir, fuzz_files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/pki", fuzz_dir);
	rmdir(p);
	rmdir(fuzz_dir);
}

static void fuzz_file(const char *name, const char *text)
{
	char p[sizeof(fuzz_dir) + 32];
	size_t n = strlen(text);
	int fd;

	snprintf(p, sizeof(p), "%s/%s", fuzz_dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_ASSERT(fd >= 0 && write(fd, text, n) == (ssize_t)n);
	close(fd);
}

static void fuzz_files_setup(void)
{
	char p[sizeof(fuzz_dir) + 32];

	FUZZ_ASSERT(mkdtemp(fuzz_dir) != NULL);
	atexit(fuzz_cleanup);
	snprintf(p, sizeof(p), "%s/pki", fuzz_dir);
	FUZZ_ASSERT(mkdir(p, 0700) == 0);
	for (size_t i = 0; i < 4; i++)
		fuzz_file(fuzz_files[i], "not PEM\n");
	fuzz_file("p.conf", fuzz_policy);
	fuzz_file("posternd.conf", fuzz_conf);
	snprintf(conf_path, sizeof(conf_path), "%s/posternd.conf", fuzz_dir);
	snprintf(crl_path, sizeof(crl_path), "%s/pki/crl.pem", fuzz_dir);
}

/* ---- the worker ---- */

static struct gw_conf conf;
static struct gw_worker w;
static bool ready;
static struct conf_profile prof_internal = { .name = "internal" };
static struct conf_profile prof_remediation = { .name = "remediation" };
static struct conf_rule rule_laptops = { .name = "laptops" };
static struct conf_rule rule_phones = { .name = "phones" };

static void worker_setup(void)
{
	fuzz_files_setup();
	FUZZ_ASSERT(wf_worker_init(&w, &conf, true, true));
	conf.path = conf_path;
	conf.crl = crl_path;
	w.pol.conf_loaded = w.pol.crl_loaded = w.ctl.started;
	ready = true;
}

static struct gw_session *add_session(const char *device, const char *group, enum pst_verdict v)
{
	struct gw_session *s;

	FUZZ_ASSERT(wf_add_session(&w, device, group, v, v != PST_DENY, &s) == 0 && s);
	return s;
}

static void history(const char *device, enum pst_verdict v, const struct conf_rule *r,
		    const struct conf_profile *p, const char *reason)
{
	struct pst_decision d;

	memset(&d, 0, sizeof(d));
	d.verdict = v;
	d.rule = r;
	d.profile = p;
	if (reason)
		snprintf(d.reasons[d.n_reasons++], PST_REASON_MAX, "%s", reason);
	gw_history_add(&w, device, "login", &d);
}

/*
 * The same three sessions, history, zero counters and no bans for every
 * input. No command but kick and ban changes a session (reload is refused
 * here, policy-diff changes nothing), so only an ended one is made again:
 * ending and making all three each time would log six lines per input.
 */
static void worker_reset(void)
{
	struct gw_session *a, *b;
	time_t now = time(NULL);

	memset(&w.stats, 0, sizeof(w.stats));
	w.ctl.history_n = w.ctl.history_next = 0;
	w.ctl.n_bans = 0;
	if (!wf_find(&w, "devA")) {
		a = add_session("devA", "staff", PST_ALLOW);
		snprintf(a->rule, sizeof(a->rule), "laptops");
		snprintf(a->profile, sizeof(a->profile), "internal");
		snprintf(a->id.owner, sizeof(a->id.owner), "Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac");
		a->judged = true;
		a->judged_at = now - 30;
		a->facts = calloc(1, sizeof(*a->facts));
		FUZZ_ASSERT(a->facts);
		snprintf(a->facts[0].name, sizeof(a->facts[0].name), "os.name");
		snprintf(a->facts[0].value, sizeof(a->facts[0].value), "linux");
		a->facts[0].source = PST_SRC_AGENT;
		a->facts[0].time = now - 30;
		a->n_facts = 1;
	}
	if (!wf_find(&w, "devB")) {
		b = add_session("devB", "field", PST_QUARANTINE);
		snprintf(b->rule, sizeof(b->rule), "phones");
		snprintf(b->profile, sizeof(b->profile), "remediation");
		snprintf(b->id.owner, sizeof(b->id.owner), "O\"Brien \\ \x01\x7f");
		b->reasons = strdup("update iOS\nset a passcode");
		FUZZ_ASSERT(b->reasons);
	}
	if (!wf_find(&w, "devC"))
		add_session("devC", "staff", PST_DENY);
	history("devA", PST_ALLOW, &rule_laptops, &prof_internal, NULL);
	history("devB", PST_QUARANTINE, &rule_phones, &prof_remediation, "update iOS");
	history("devX", PST_ALLOW, &rule_laptops, &prof_internal, NULL);
}

/* Every leased address belongs to one live session; nothing leaked. */
static void check_worker(void)
{
	uint32_t used4 = 0, used6 = 0;
	unsigned int n = 0;

	for (const struct gw_session *s = w.sess.sessions; s; s = s->next) {
		FUZZ_ASSERT(s->verdict <= PST_DENY);
		if (s->lease.have_v4) {
			FUZZ_ASSERT(w.dp.by_v4[s->v4_index] == s);
			used4++;
		}
		if (s->lease.have_v6) {
			FUZZ_ASSERT(w.dp.by_v6[s->v6_index] == s);
			used6++;
		}
		n++;
	}
	FUZZ_ASSERT(n <= 3);
	FUZZ_ASSERT(used4 + w.dp.pool4.n_free == 5);
	FUZZ_ASSERT(used6 + w.dp.pool6.n_free == 254);
	FUZZ_ASSERT(w.ctl.history_n <= 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[FUZZ_LINE_MAX + 1], err[8192], fmt[8] = "", *body = NULL, *flat;
	size_t n = size < FUZZ_LINE_MAX ? size : FUZZ_LINE_MAX, len = 0;
	int ret;
	FILE *f;

	if (!ready)
		worker_setup();
	worker_reset();
	memcpy(line, data, n);
	line[n] = '\0';
	f = open_memstream(&body, &len);
	FUZZ_ASSERT(f != NULL);
	err[0] = '\0';
	ret = gw_control_run(&w, line, f, err, sizeof(err));
	FUZZ_ASSERT(fclose(f) == 0);
	FUZZ_ASSERT(ret <= 0);
	if (ret < 0) {
		FUZZ_ASSERT(err[0] != '\0' && !strchr(err, '\n'));
	} else if (sscanf(line, "%7s", fmt) == 1 && !strcmp(fmt, "json")) {
		FUZZ_ASSERT(len > 0 && body[len - 1] == '\n' && strlen(body) == len);
		flat = json_flat(body);
		FUZZ_ASSERT(flat != NULL);
		free(flat);
	}
	free(body);
	check_worker();
	return 0;
}
