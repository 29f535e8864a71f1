/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for everything that reads a device's claims: the agent's
 * report, the facts file, the client's <device-id> element and its
 * X-AnyConnect headers. Each input goes through all of them, and then the
 * facts they produced go through the engine with a fixed policy. The target
 * checks the contracts: a refused input leaves the set exactly as it was
 * and says why; an accepted one yields only facts within the grammar, at
 * most PST_FACTS_MAX, one per (name, source), never dated after receipt; a
 * report formats and parses back to itself; and a decision never allows
 * with a failed check.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "posture/posture.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)
#define NOW ((time_t)1760000000)

static struct conf_policy *fuzz_policy;

static const char fuzz_policy_text[] =
	"quarantine-profile = \"remediation\"\n"
	"profile internal { allow = \"198.18.2.0/24\" }\n"
	"profile remediation { allow = \"198.18.3.0/24\" }\n"
	"platform android { min-version = \"14\" min-patch-level = \"2024-06-01\" }\n"
	"platform linux { min-version = \"12\" }\n"
	"rule corporate { ownership = \"corporate\" require-mdm = true require-passcode = true\n"
	"  require-disk-encryption = true deny-rooted = true\n"
	"  action = \"allow\" profile = \"internal\" }\n"
	"rule any { action = \"allow\" profile = \"remediation\" }\n";

static void fuzz_load_policy(void)
{
	char path[] = "/tmp/postern-fuzz-report.XXXXXX", err[1024];
	int fd = mkstemp(path);

	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(write(fd, fuzz_policy_text, strlen(fuzz_policy_text)) ==
		    (ssize_t)strlen(fuzz_policy_text));
	close(fd);
	FUZZ_ASSERT(conf_policy_load(path, &fuzz_policy, err, sizeof(err)) == 0);
	unlink(path);
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= PST_NAME_MAX && s[0] >= 'a' && s[0] <= 'z' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

static bool value_ok(const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return false;
	}
	return n >= 1 && n <= PST_VALUE_MAX;
}

/* The set's invariants, whatever went into it. */
static void check_set(const struct pst_facts *fs)
{
	size_t i, j;

	FUZZ_ASSERT(fs->n <= PST_FACTS_MAX);
	for (i = 0; i < fs->n; i++) {
		FUZZ_ASSERT(name_ok(fs->f[i].name) && value_ok(fs->f[i].value));
		FUZZ_ASSERT((unsigned int)fs->f[i].source < PST_SRC_N);
		FUZZ_ASSERT(fs->f[i].time <= NOW);
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(fs->f[j].source != fs->f[i].source ||
				    strcmp(fs->f[j].name, fs->f[i].name));
	}
}

/* Facts from elsewhere that a parse must leave alone. */
static void fuzz_base(struct pst_facts *fs)
{
	pst_facts_init(fs);
	FUZZ_ASSERT(pst_facts_set(fs, "device.id", "dev-1", PST_SRC_CERT, NOW) == 0);
	FUZZ_ASSERT(pst_facts_set(fs, "os.name", "linux", PST_SRC_MDM, NOW - 5) == 0);
	FUZZ_ASSERT(pst_facts_set(fs, "os.version", "11", PST_SRC_AGENT, NOW - 7) == 0);
}

static void check_refused(const struct pst_facts *fs, const struct pst_facts *before,
			  const char *why, size_t whylen)
{
	FUZZ_ASSERT(!memcmp(fs, before, sizeof(*fs)));
	FUZZ_ASSERT(memchr(why, '\0', whylen) != NULL && why[0] != '\0');
}

/* Accepted facts of src are known names only (plus what was there). */
static void check_known(const struct pst_facts *fs, enum pst_source src)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		FUZZ_ASSERT(fs->f[i].source != src || pst_fact_known(fs->f[i].name));
}

/* A report formats and parses back to the same values. */
static void check_round_trip(const struct pst_facts *fs)
{
	struct pst_facts back;
	const struct pst_fact *a, *b;
	char buf[PST_FACTS_MAX * (PST_NAME_MAX + PST_VALUE_MAX + 20) + 64];
	int n = pst_report_format(fs, PST_SRC_AGENT, buf, sizeof(buf));
	size_t i;

	FUZZ_ASSERT(n >= 0 && (size_t)n == strlen(buf));
	pst_facts_init(&back);
	FUZZ_ASSERT(pst_report_parse(buf, (size_t)n, PST_SRC_AGENT, NOW, &back, NULL, 0) == 0);
	for (i = 0; i < fs->n; i++) {
		a = &fs->f[i];
		if (a->source != PST_SRC_AGENT)
			continue;
		b = pst_facts_get_from(&back, a->name, PST_SRC_AGENT);
		FUZZ_ASSERT(b && !strcmp(a->value, b->value));
	}
}

static void fuzz_report(const uint8_t *data, size_t size, struct pst_facts *out)
{
	struct pst_facts fs, before;
	char why[128];
	int ret;

	fuzz_base(&fs);
	before = fs;
	ret = pst_report_parse((const char *)data, size, PST_SRC_AGENT, NOW, &fs, why,
			       sizeof(why));
	FUZZ_ASSERT(ret == 0 || ret == -EBADMSG);
	check_set(&fs);
	if (ret) {
		check_refused(&fs, &before, why, sizeof(why));
		return;
	}
	check_known(&fs, PST_SRC_AGENT);
	check_round_trip(&fs);
	*out = fs;
}

static void fuzz_facts_file(const uint8_t *data, size_t size)
{
	struct pst_facts fs, before;
	char why[128];
	int ret;

	fuzz_base(&fs);
	before = fs;
	ret = pst_facts_file_parse((const char *)data, size, PST_SRC_AGENT, NOW, &fs, why,
				   sizeof(why));
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL);
	check_set(&fs);
	if (ret)
		check_refused(&fs, &before, why, sizeof(why));
	else
		check_known(&fs, PST_SRC_AGENT);
}

/* The client can only state these, and os.name only as one of five. */
static void check_client(const struct pst_facts *fs)
{
	static const char *const os[] = { "ios", "android", "linux", "windows", "macos" };
	const struct pst_fact *f;
	size_t i, k;

	check_set(fs);
	for (i = 0; i < fs->n; i++) {
		f = &fs->f[i];
		FUZZ_ASSERT(f->source == PST_SRC_CLIENT);
		FUZZ_ASSERT(!strcmp(f->name, "os.name") || !strcmp(f->name, "os.version") ||
			    !strcmp(f->name, "device.type") ||
			    !strcmp(f->name, "device.unique-id"));
		if (strcmp(f->name, "os.name"))
			continue;
		for (k = 0; k < 5 && strcmp(f->value, os[k]); k++)
			;
		FUZZ_ASSERT(k < 5);
	}
}

/* The XML, and the input as one header "Name: value". */
static void fuzz_client(const uint8_t *data, size_t size, struct pst_facts *out)
{
	const char *s = (const char *)data, *colon = memchr(s, ':', size);
	struct pst_facts fs;

	pst_facts_init(&fs);
	pst_client_xml(s, size, NOW, &fs);
	check_client(&fs);
	if (colon)
		pst_client_header(s, (size_t)(colon - s), colon + 1, size - (size_t)(colon - s) - 1,
				  NOW, &fs);
	check_client(&fs);
	*out = fs;
}

static void check_decision(const struct pst_decision *d)
{
	size_t i;

	FUZZ_ASSERT(d->n_reasons <= PST_REASONS_MAX);
	for (i = 0; i < d->n_reasons; i++)
		FUZZ_ASSERT(memchr(d->reasons[i], '\0', PST_REASON_MAX) && d->reasons[i][0]);
	if (d->verdict == PST_ALLOW)
		FUZZ_ASSERT(d->n_reasons == 0 && d->rule && d->profile == d->rule->profile &&
			    d->rule->action == CONF_ACTION_ALLOW);
	else
		FUZZ_ASSERT(d->n_reasons > 0);
	if (d->verdict == PST_QUARANTINE)
		FUZZ_ASSERT(d->profile == fuzz_policy->quarantine);
}

/* The engine on whatever the parsers accepted, merged as the gateway does. */
static void fuzz_decide(const struct pst_facts *agent, const struct pst_facts *client)
{
	struct pst_subject subj = { .device_id = "dev-1", .group = "staff" };
	struct pst_decision d;
	struct pst_facts fs = *agent;

	(void)pst_facts_merge(&fs, client, PST_SRC_CLIENT);
	check_set(&fs);
	subj.ownership = CONF_OWNERSHIP_CORPORATE;
	pst_policy_decide(fuzz_policy, &subj, &fs, NOW, &d);
	check_decision(&d);
	subj.ownership = CONF_OWNERSHIP_BYOD;
	subj.report_problem = "no posture report was received";
	pst_policy_decide(fuzz_policy, &subj, &fs, NOW, &d);
	check_decision(&d);
	FUZZ_ASSERT(d.verdict == PST_QUARANTINE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pst_facts agent, client;

	if (!fuzz_policy)
		fuzz_load_policy();
	fuzz_base(&agent);
	fuzz_report(data, size, &agent);
	fuzz_facts_file(data, size);
	fuzz_client(data, size, &client);
	fuzz_decide(&agent, &client);
	return 0;
}
