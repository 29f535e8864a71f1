/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the posture engine (posture/policy.c), as a table: each case
 * is a device (certificate group and ownership, whether an agent report
 * counted, facts from the agent, the MDM and the client in facts-file form)
 * and the decision the test policy below must give: verdict, rule, profile,
 * and the reasons, by fragments the gateway's users will read. Every case
 * also checks the engine's promise that a failed check never allows.
 */
#include "conf/policy.h"
#include "posture/posture.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define NOW ((time_t)1760000000)

static const char policy_text[] =
	"quarantine-profile = \"remediation\"\n"
	"max-report-age = 300\n"
	"profile internal { allow = \"198.18.2.0/24\" }\n"
	"profile mail { allow = \"198.18.2.25/32\" }\n"
	"profile field { allow = \"198.18.4.0/24\" }\n"
	"profile remediation { allow = \"198.18.3.0/24\" }\n"
	"platform ios { min-version = \"17.9\" }\n"
	"platform android { min-version = \"14\" min-patch-level = \"2024-06-01\" }\n"
	"platform linux { min-version = \"12\" }\n"
	"platform macos { }\n"
	"rule blocked { group = \"blocked\" action = \"deny\"\n"
	"  message = \"This device is blocked.\" }\n"
	"rule gone { group = \"gone\" action = \"deny\" }\n"
	"rule field { group = \"field\" ownership = \"corporate\" require-mdm = true\n"
	"  action = \"allow\" profile = \"field\" }\n"
	"rule corporate { ownership = \"corporate\" require-mdm = true require-passcode = true\n"
	"  require-disk-encryption = true deny-rooted = true\n"
	"  action = \"allow\" profile = \"internal\" }\n"
	"rule personal { ownership = \"byod\" require-passcode = true\n"
	"  action = \"allow\" profile = \"mail\" }\n";

static struct conf_policy *policy;

#define CORP CONF_OWNERSHIP_CORPORATE
#define BYOD CONF_OWNERSHIP_BYOD
#define NONE CONF_OWNERSHIP_ANY
#define NO_REPORT "no posture report was received"

/* Facts, in facts-file form. */
#define LINUX12 "os.name=linux\nos.version=12\n"
#define SECURE "mdm.enrolled=true\npasscode.set=true\ndisk.encrypted=true\ndevice.rooted=false\n"
#define DEV1 "device.id=dev-1\n"
#define STALE "collected-at=1759999000\n"	/* 1000 s before NOW */

struct policy_case {
	const char *name;
	const char *group;
	enum conf_ownership ownership;
	const char *report_problem;
	const char *agent, *mdm, *client;	/* facts of each source, or NULL */
	enum pst_verdict verdict;
	const char *rule, *profile;		/* expected names, NULL = none */
	size_t n_reasons;
	const char *reasons[4];			/* each must be in some reason */
};

static const struct policy_case cases[] = {
	{ "corporate and compliant", "staff", CORP, NULL, LINUX12 SECURE DEV1, NULL, NULL,
	  PST_ALLOW, "corporate", "internal", 0, { NULL } },
	/* Version comparison is numeric: 17.10 is newer than the minimum 17.9. */
	{ "ios 17.10 above 17.9", "staff", CORP, NULL,
	  "os.name=ios\nos.version=17.10\n" SECURE, NULL, NULL,
	  PST_ALLOW, "corporate", "internal", 0, { NULL } },
	{ "ios 17.9 is the minimum", "staff", CORP, NULL,
	  "os.name=ios\nos.version=17.9.0\n" SECURE, NULL, NULL,
	  PST_ALLOW, "corporate", "internal", 0, { NULL } },
	{ "ios 17.8.9 below 17.9", "staff", CORP, NULL,
	  "os.name=ios\nos.version=17.8.9\n" SECURE, NULL, NULL,
	  PST_QUARANTINE, "corporate", "remediation", 1,
	  { "OS version 17.8.9 is below the minimum 17.9 for ios; update the operating system" } },
	{ "linux 11 below 12", "staff", CORP, NULL, "os.name=linux\nos.version=11\n" SECURE,
	  NULL, NULL, PST_QUARANTINE, "corporate", "remediation", 1,
	  { "OS version 11 is below the minimum 12 for linux; update the operating system" } },
	{ "version not a number", "staff", CORP, NULL, "os.name=linux\nos.version=Linux\n" SECURE,
	  NULL, NULL, PST_QUARANTINE, "corporate", "remediation", 1,
	  { "OS version 'Linux' is not a version number" } },
	{ "platform without minimums", "staff", CORP, NULL, "os.name=macos\n" SECURE,
	  NULL, NULL, PST_ALLOW, "corporate", "internal", 0, { NULL } },
	{ "platform not in the policy", "staff", CORP, NULL,
	  "os.name=windows\nos.version=10.0.22631\n" SECURE, NULL, NULL,
	  PST_QUARANTINE, "corporate", "remediation", 1,
	  { "operating system 'windows' is not allowed by the policy" } },
	/* Rules are tried in order; the first that fits decides. */
	{ "first match: field before corporate", "field", CORP, NULL,
	  LINUX12 "mdm.enrolled=true\n", NULL, NULL, PST_ALLOW, "field", "field", 0, { NULL } },
	{ "first match: field rule fails, corporate is not tried", "field", CORP, NULL,
	  LINUX12 "mdm.enrolled=false\npasscode.set=true\ndisk.encrypted=true\n"
	  "device.rooted=false\n", NULL, NULL, PST_QUARANTINE, "field", "remediation", 1,
	  { "device is not enrolled in MDM; enroll it with the company MDM" } },
	{ "field group but personal device", "field", BYOD, NULL,
	  LINUX12 "passcode.set=true\n", NULL, NULL, PST_ALLOW, "personal", "mail", 0, { NULL } },
	/* Missing facts fail their checks. */
	{ "os.version missing", "staff", CORP, NULL, "os.name=linux\n" SECURE, NULL, NULL,
	  PST_QUARANTINE, "corporate", "remediation", 1,
	  { "OS version not reported (os.version); run the Postern posture agent" } },
	{ "os.name missing: no platform checks", "staff", CORP, NULL, "os.version=1\n" SECURE,
	  NULL, NULL, PST_QUARANTINE, "corporate", "remediation", 1,
	  { "operating system not reported (os.name)" } },
	{ "nothing reported", "staff", CORP, NULL, NULL, NULL, NULL,
	  PST_QUARANTINE, "corporate", "remediation", 5,
	  { "not reported (os.name)", "not reported (mdm.enrolled)",
	    "not reported (passcode.set)", "not reported (device.rooted)" } },
	{ "android patch level missing", "staff", BYOD, NULL,
	  "os.name=android\nos.version=14\npasscode.set=true\n", NULL, NULL,
	  PST_QUARANTINE, "personal", "remediation", 1,
	  { "security patch level not reported (os.patch-level)" } },
	{ "android patch level old", "staff", BYOD, NULL,
	  "os.name=android\nos.version=14\nos.patch-level=2024-01-01\npasscode.set=true\n",
	  NULL, NULL, PST_QUARANTINE, "personal", "remediation", 1,
	  { "security patch level 2024-01-01 is older than the required 2024-06-01; install "
	    "the latest security update" } },
	{ "android patch level current", "staff", BYOD, NULL,
	  "os.name=android\nos.version=15\nos.patch-level=2024-06-01\npasscode.set=true\n",
	  NULL, NULL, PST_ALLOW, "personal", "mail", 0, { NULL } },
	{ "android patch level not a date", "staff", BYOD, NULL,
	  "os.name=android\nos.version=14\nos.patch-level=June\npasscode.set=true\n",
	  NULL, NULL, PST_QUARANTINE, "personal", "remediation", 1,
	  { "security patch level 'June' is not a date" } },
	/* Stale facts fail too: every fact is 1000 s old, the policy takes 300. */
	{ "stale report", "staff", CORP, NULL, STALE LINUX12 SECURE, NULL, NULL,
	  PST_QUARANTINE, "corporate", "remediation", 5,
	  { "os.name is too old (reported 1000 s ago; the policy accepts 300 s)",
	    "mdm.enrolled is too old (reported 1000 s ago; the policy accepts 300 s)",
	    "device.rooted is too old" } },
	{ "stale only where it is read", "staff", BYOD, NULL,
	  "collected-at=1759999700\n" LINUX12 "passcode.set=true\n", NULL, NULL,
	  PST_ALLOW, "personal", "mail", 0, { NULL } },	/* exactly 300 s: still good */
	{ "stale by one second", "staff", BYOD, NULL,
	  "collected-at=1759999699\n" LINUX12 "passcode.set=true\n", NULL, NULL,
	  PST_QUARANTINE, "personal", "remediation", 2,
	  { "os.name is too old (reported 301 s ago; the policy accepts 300 s)",
	    "passcode.set is too old (reported 301 s ago" } },
	/* Ownership. */
	{ "personal and compliant", "staff", BYOD, NULL, LINUX12 "passcode.set=false\n",
	  NULL, NULL, PST_QUARANTINE, "personal", "remediation", 1,
	  { "no passcode is set; set a screen lock passcode" } },
	{ "ownership unknown: no rule", "staff", NONE, NULL, LINUX12 SECURE, NULL, NULL,
	  PST_DENY, NULL, NULL, 1,
	  { "no policy rule matches this device (group 'staff', ownership unknown)" } },
	{ "no group, corporate", "", CORP, NULL, LINUX12 SECURE, NULL, NULL,
	  PST_ALLOW, "corporate", "internal", 0, { NULL } },
	/* Deny rules deny on match, whatever the facts. */
	{ "deny rule with a message", "blocked", CORP, NULL, LINUX12 SECURE, NULL, NULL,
	  PST_DENY, "blocked", NULL, 1, { "This device is blocked." } },
	{ "deny rule without a message", "gone", BYOD, NO_REPORT, NULL, NULL, NULL,
	  PST_DENY, "gone", NULL, 1, { "rule 'gone' denies this device" } },
	/* Each requirement. */
	{ "disk not encrypted", "staff", CORP, NULL,
	  LINUX12 "mdm.enrolled=true\npasscode.set=true\ndisk.encrypted=false\n"
	  "device.rooted=false\n", NULL, NULL, PST_QUARANTINE, "corporate", "remediation", 1,
	  { "disk is not encrypted; turn on disk encryption" } },
	{ "rooted", "staff", CORP, NULL,
	  LINUX12 "mdm.enrolled=true\npasscode.set=true\ndisk.encrypted=true\n"
	  "device.rooted=true\n", NULL, NULL, PST_QUARANTINE, "corporate", "remediation", 1,
	  { "device is rooted or jailbroken; restore the manufacturer's software" } },
	{ "boolean with an unknown value", "staff", CORP, NULL,
	  LINUX12 "mdm.enrolled=yes\npasscode.set=TRUE\ndisk.encrypted=true\n"
	  "device.rooted=false\n", NULL, NULL, PST_QUARANTINE, "corporate", "remediation", 2,
	  { "mdm.enrolled has an unknown value 'yes'",
	    "passcode.set has an unknown value 'TRUE'" } },
	{ "everything fails, in order", "staff", CORP, NO_REPORT,
	  "os.name=linux\nos.version=9\nmdm.enrolled=false\npasscode.set=false\n"
	  "disk.encrypted=false\ndevice.rooted=true\ndevice.id=dev-2\n", NULL, NULL,
	  PST_QUARANTINE, "corporate", "remediation", 7,
	  { NO_REPORT, "differs", "below the minimum", "rooted" } },
	/* The reported device.id must be the certificate's, from every source. */
	{ "device.id matches", "staff", CORP, NULL, LINUX12 SECURE DEV1, DEV1, DEV1,
	  PST_ALLOW, "corporate", "internal", 0, { NULL } },
	{ "device.id differs", "staff", CORP, NULL, LINUX12 SECURE "device.id=dev-2\n",
	  NULL, NULL, PST_QUARANTINE, "corporate", "remediation", 1,
	  { "reported device.id 'dev-2' differs from the certificate's 'dev-1'" } },
	{ "device.id differs in a lower source", "staff", CORP, NULL, LINUX12 SECURE DEV1,
	  DEV1, "device.id=laptop-9\n", PST_QUARANTINE, "corporate", "remediation", 1,
	  { "reported device.id 'laptop-9' differs from the certificate's 'dev-1'" } },
	{ "device.id differs twice", "staff", CORP, NULL, LINUX12 SECURE "device.id=a\n",
	  "device.id=b\n", NULL, PST_QUARANTINE, "corporate", "remediation", 2,
	  { "reported device.id 'a' differs", "reported device.id 'b' differs" } },
	/* With agent = required, a missing report fails by itself. */
	{ "no agent report", "staff", CORP, NO_REPORT, NULL, LINUX12 SECURE, NULL,
	  PST_QUARANTINE, "corporate", "remediation", 1, { NO_REPORT } },
	/* Ranks: the MDM over the agent over the client. */
	{ "mdm outranks the agent", "staff", CORP, NULL,
	  LINUX12 "mdm.enrolled=false\npasscode.set=true\ndisk.encrypted=true\n"
	  "device.rooted=false\n", "mdm.enrolled=true\n", NULL,
	  PST_ALLOW, "corporate", "internal", 0, { NULL } },
	{ "the agent outranks the client", "staff", CORP, NULL,
	  "os.name=linux\nos.version=11\n" SECURE, NULL, "os.name=linux\nos.version=99\n",
	  PST_QUARANTINE, "corporate", "remediation", 1, { "OS version 11 is below" } },
	{ "client facts count when nothing else says", "staff", BYOD, NULL,
	  "passcode.set=true\n", NULL, LINUX12, PST_ALLOW, "personal", "mail", 0, { NULL } },
};

static void add_facts(struct pst_facts *fs, const char *text, enum pst_source src)
{
	char why[128];

	if (!text)
		return;
	if (pst_facts_file_parse(text, strlen(text), src, NOW, fs, why, sizeof(why))) {
		printf("# bad facts in the test: %s\n", why);
		CHECK(0);
	}
}

static bool has_reason(const struct pst_decision *d, const char *want)
{
	size_t i;

	for (i = 0; i < d->n_reasons; i++) {
		if (strstr(d->reasons[i], want))
			return true;
	}
	return false;
}

static void print_decision(const struct pst_decision *d)
{
	size_t i;

	printf("#   %s, rule %s, profile %s\n", pst_verdict_name(d->verdict),
	       d->rule ? d->rule->name : "-", d->profile ? d->profile->name : "-");
	for (i = 0; i < d->n_reasons; i++)
		printf("#   - %s\n", d->reasons[i]);
}

static bool same_name(const char *got, const char *want)
{
	return got == want || (got && want && !strcmp(got, want));
}

/* What every decision must satisfy, whatever the case. */
static void check_invariants(const struct pst_decision *d)
{
	size_t i;

	CHECK(d->n_reasons <= PST_REASONS_MAX);
	for (i = 0; i < d->n_reasons; i++)
		CHECK(d->reasons[i][0] != '\0' && memchr(d->reasons[i], '\0', PST_REASON_MAX));
	if (d->verdict == PST_ALLOW)
		CHECK(d->n_reasons == 0 && d->rule && d->rule->action == CONF_ACTION_ALLOW &&
		      d->profile == d->rule->profile);
	else
		CHECK(d->n_reasons > 0);
	if (d->verdict == PST_QUARANTINE)
		CHECK(d->profile == policy->quarantine && d->rule);
	if (d->verdict == PST_DENY)
		CHECK(d->profile == NULL);
}

static bool run_case(const struct policy_case *c)
{
	struct pst_subject subj = {
		.device_id = "dev-1", .group = c->group, .ownership = c->ownership,
		.report_problem = c->report_problem,
	};
	struct pst_decision d;
	struct pst_facts fs;
	int before = unit_case_failures;
	size_t i;

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "device.id", "dev-1", PST_SRC_CERT, NOW), 0);
	add_facts(&fs, c->agent, PST_SRC_AGENT);
	add_facts(&fs, c->mdm, PST_SRC_MDM);
	add_facts(&fs, c->client, PST_SRC_CLIENT);
	memset(&d, 0x5a, sizeof(d));
	pst_policy_decide(policy, &subj, &fs, NOW, &d);
	check_invariants(&d);
	CHECK_EQ_STR(pst_verdict_name(d.verdict), pst_verdict_name(c->verdict));
	CHECK(same_name(d.rule ? d.rule->name : NULL, c->rule));
	CHECK(same_name(d.profile ? d.profile->name : NULL, c->profile));
	CHECK_EQ_INT(d.n_reasons, c->n_reasons);
	for (i = 0; i < 4 && c->reasons[i]; i++) {
		if (!has_reason(&d, c->reasons[i])) {
			printf("# no reason with '%s'\n", c->reasons[i]);
			CHECK(0);
		}
	}
	if (unit_case_failures != before) {
		printf("# case '%s' decided:\n", c->name);
		print_decision(&d);
	}
	return unit_case_failures == before;
}

static void test_table(void)
{
	size_t i, passed = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		passed += run_case(&cases[i]);
	printf("# %zu of %zu engine cases as expected\n", passed, sizeof(cases) / sizeof(cases[0]));
}

/* The exact wording of the missing-fact and stale-fact reasons. */
static void test_reason_wording(void)
{
	struct pst_subject subj = { .device_id = "dev-1", .group = "staff", .ownership = BYOD };
	struct pst_decision d;
	struct pst_facts fs;

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "linux", PST_SRC_AGENT, NOW), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "passcode.set", "true", PST_SRC_AGENT, NOW - 400), 0);
	pst_policy_decide(policy, &subj, &fs, NOW, &d);
	CHECK_EQ_INT(d.n_reasons, 2);
	CHECK_EQ_STR(d.reasons[0], "OS version not reported (os.version); run the Postern "
		     "posture agent");
	CHECK_EQ_STR(d.reasons[1], "passcode.set is too old (reported 400 s ago; the policy "
		     "accepts 300 s); run the Postern posture agent again");
}

/* With agent = optional a missing report fails nothing by itself. */
static void test_agent_optional(void)
{
	struct pst_subject subj = {
		.device_id = "dev-1", .group = "staff", .ownership = BYOD,
		.report_problem = NO_REPORT,
	};
	struct pst_decision d;
	struct pst_facts fs;

	pst_facts_init(&fs);
	add_facts(&fs, LINUX12 "passcode.set=true\n", PST_SRC_MDM);
	policy->agent = CONF_AGENT_OPTIONAL;
	pst_policy_decide(policy, &subj, &fs, NOW, &d);
	policy->agent = CONF_AGENT_REQUIRED;
	CHECK_EQ_INT(d.verdict, PST_ALLOW);
	pst_policy_decide(policy, &subj, &fs, NOW, &d);
	CHECK_EQ_INT(d.verdict, PST_QUARANTINE);
	CHECK_EQ_STR(d.reasons[0], NO_REPORT);
}

/* A fact dated in the future (a skewed clock) is not stale. */
static void test_future_fact(void)
{
	struct pst_subject subj = { .device_id = "dev-1", .group = "staff", .ownership = BYOD };
	struct pst_decision d;
	struct pst_facts fs;

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "linux", PST_SRC_MDM, NOW + 3600), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.version", "12", PST_SRC_MDM, NOW), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "passcode.set", "true", PST_SRC_MDM, NOW), 0);
	pst_policy_decide(policy, &subj, &fs, NOW, &d);
	CHECK_EQ_INT(d.verdict, PST_ALLOW);
}

/* The widest decision the checks can make stays within the limits: each
 * reason is cut to PST_REASON_MAX, and the list to PST_REASONS_MAX. */
static void test_widest_decision(void)
{
	struct conf_rule rules[1];
	struct conf_policy p = *policy;
	struct pst_subject subj = { .device_id = "dev-1", .group = "g", .ownership = CORP };
	struct pst_decision d;
	struct pst_facts fs;

	char problem[PST_REASON_MAX * 2];

	memset(problem, 'p', sizeof(problem) - 1);
	problem[sizeof(problem) - 1] = '\0';
	subj.report_problem = problem;
	rules[0] = policy->rules[3];
	p.rules = rules;
	p.n_rules = 1;
	pst_facts_init(&fs);
	add_facts(&fs, "os.name=linux\nos.version=x\nmdm.enrolled=0\npasscode.set=0\n"
		  "disk.encrypted=0\ndevice.rooted=0\ndevice.id=a\n", PST_SRC_AGENT);
	add_facts(&fs, "device.id=b\n", PST_SRC_MDM);
	add_facts(&fs, "device.id=c\n", PST_SRC_CLIENT);
	pst_policy_decide(&p, &subj, &fs, NOW, &d);
	CHECK_EQ_INT(d.verdict, PST_QUARANTINE);
	CHECK_EQ_INT(d.n_reasons, 9);
	CHECK_EQ_INT((int)strlen(d.reasons[0]), PST_REASON_MAX - 1);
	check_invariants(&d);
}

static void test_verdict_names(void)
{
	CHECK_EQ_STR(pst_verdict_name(PST_ALLOW), "allow");
	CHECK_EQ_STR(pst_verdict_name(PST_QUARANTINE), "quarantine");
	CHECK_EQ_STR(pst_verdict_name(PST_DENY), "deny");
	CHECK_EQ_STR(pst_verdict_name((enum pst_verdict)7), "unknown");
}

static int load_policy(void)
{
	char path[] = "/tmp/postern-test-engine.XXXXXX", err[2048];
	size_t n = strlen(policy_text);
	int fd = mkstemp(path), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, policy_text, n) == (ssize_t)n ? 0 : -EIO;
	close(fd);
	if (!ret)
		ret = conf_policy_load(path, &policy, err, sizeof(err));
	if (ret)
		printf("# %s\n", err);
	unlink(path);
	return ret;
}

int main(void)
{
	if (load_policy()) {
		printf("not ok - load_policy\n");
		return 1;
	}
	RUN(test_table);
	RUN(test_reason_wording);
	RUN(test_agent_optional);
	RUN(test_future_fact);
	RUN(test_widest_decision);
	RUN(test_verdict_names);
	conf_policy_free(policy);
	UNIT_EXIT();
}
