/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the posture engine (posture/policy.c), as tables: each case
 * is a device (certificate group and ownership, whether an agent report
 * counted, facts from the agent, the MDM and the client in facts-file form)
 * and the decision a test policy must give: verdict, rule, profile, and the
 * reasons, by fragments the gateway's users will read. Every case also
 * checks the engine's promise that a failed check never allows. The first
 * table is the engine before the MDM inventory; the second, under its own
 * policy, the inventory's part: device status, contradictions, per-source
 * ages, trust = mdm, per-rule agent and platform lists. Then the host-scan
 * question (pst_policy_wants_agent), judged_at, and a client's announced
 * OS version that cannot be the device's (openconnect's "1.0" on phones),
 * with the exact words the owner reads.
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
	/* Ranks: the MDM over the agent over the client. (An agent fact that
	 * disagrees with the MDM's is a failed check of its own: see the
	 * inventory table.) */
	{ "mdm outranks the client", "staff", CORP, NULL,
	  "os.name=linux\n" SECURE, "os.version=12.0\n", "os.version=11\n",
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
static void check_invariants(const struct conf_policy *p, const struct pst_decision *d)
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
		CHECK(d->profile == p->quarantine && d->rule);
	if (d->verdict == PST_DENY)
		CHECK(d->profile == NULL);
	/* Each reason has a class; a deny's are the deny classes, and only a
	 * deny has them. */
	for (i = 0; i < d->n_reasons; i++) {
		CHECK((unsigned int)d->classes[i] < PST_CLASS_N);
		CHECK((d->verdict == PST_DENY) == (d->classes[i] >= PST_CLASS_DEVICE_STATUS));
	}
}

/* The case's device, decided by p. */
static void case_decide(const struct conf_policy *p, const struct policy_case *c,
			struct pst_decision *d)
{
	struct pst_subject subj = {
		.device_id = "dev-1", .group = c->group, .ownership = c->ownership,
		.report_problem = c->report_problem,
	};
	struct pst_facts fs;

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "device.id", "dev-1", PST_SRC_CERT, NOW), 0);
	add_facts(&fs, c->agent, PST_SRC_AGENT);
	add_facts(&fs, c->mdm, PST_SRC_MDM);
	add_facts(&fs, c->client, PST_SRC_CLIENT);
	memset(d, 0x5a, sizeof(*d));
	pst_policy_decide(p, &subj, &fs, NOW, d);
	check_invariants(p, d);
}

static bool run_case(const struct conf_policy *p, const struct policy_case *c)
{
	struct pst_decision d;
	int before = unit_case_failures;
	size_t i;

	case_decide(p, c, &d);
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
		passed += run_case(policy, &cases[i]);
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

/* With agent = optional a missing report fails nothing by itself. Rules
 * take the policy's agent when the file is loaded; here the rule's own is
 * changed, as `agent = "optional"` in the rule would. */
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
	CHECK_EQ_STR(policy->rules[4].name, "personal");
	CHECK_EQ_INT(policy->rules[4].agent, CONF_AGENT_REQUIRED);
	policy->rules[4].agent = CONF_AGENT_OPTIONAL;
	pst_policy_decide(policy, &subj, &fs, NOW, &d);
	policy->rules[4].agent = CONF_AGENT_REQUIRED;
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
	check_invariants(&p, &d);
	/* With the inventory disagreeing on all four of its facts as well, the
	 * failures outnumber the reasons: the list is cut, the verdict is not. */
	add_facts(&fs, "mdm.enrolled=1\npasscode.set=1\nos.name=ios\nos.version=y\n",
		  PST_SRC_MDM);
	pst_policy_decide(&p, &subj, &fs, NOW, &d);
	CHECK_EQ_INT(d.verdict, PST_QUARANTINE);
	CHECK_EQ_INT(d.n_reasons, PST_REASONS_MAX);
	check_invariants(&p, &d);
}

static void test_verdict_names(void)
{
	CHECK_EQ_STR(pst_verdict_name(PST_ALLOW), "allow");
	CHECK_EQ_STR(pst_verdict_name(PST_QUARANTINE), "quarantine");
	CHECK_EQ_STR(pst_verdict_name(PST_DENY), "deny");
	CHECK_EQ_STR(pst_verdict_name((enum pst_verdict)7), "unknown");
}

/* ---- the MDM inventory's part ---- */

static const char ops_policy_text[] =
	"quarantine-profile = \"remediation\"\n"
	"max-report-age = 300\n"
	"max-inventory-age = 86400\n"
	"profile internal { allow = \"198.18.2.0/24\" }\n"
	"profile mail { allow = \"198.18.2.25/32\" }\n"
	"profile phones { allow = \"198.18.5.0/24\" }\n"
	"profile remediation { allow = \"198.18.3.0/24\" }\n"
	"platform ios { min-version = \"17.9\" }\n"
	"platform android { min-version = \"14\" }\n"
	"platform linux { min-version = \"12\" }\n"
	"rule no-windows { platform = \"windows\" action = \"deny\"\n"
	"  message = \"Windows is not supported.\" }\n"
	"rule managed { group = \"managed\" trust = \"mdm\" require-mdm = true\n"
	"  require-passcode = true action = \"allow\" profile = \"internal\" }\n"
	"rule kiosk { group = \"kiosk\" agent = \"optional\" action = \"allow\"\n"
	"  profile = \"mail\" }\n"
	"rule phones { platform = { \"ios\", \"android\" } require-passcode = true\n"
	"  action = \"allow\" profile = \"phones\" }\n"
	"rule laptops { ownership = \"corporate\" require-mdm = true action = \"allow\"\n"
	"  profile = \"internal\" }\n";

static struct conf_policy *ops_policy;

#define MDM_OLD "collected-at=1759910000\n"	/* 90000 s before NOW: past 86400 */
#define MDM_1000 "collected-at=1759999000\n"	/* 1000 s: too old for a report only */
#define MANAGED_MDM "mdm.enrolled=true\npasscode.set=true\nos.name=linux\nos.version=12\n"

static const struct policy_case ops_cases[] = {
	/* The inventory's status denies before any rule, however old. */
	{ "lost: denied before any rule", "staff", CORP, NULL, LINUX12 SECURE,
	  "device.status=lost\n", NULL, PST_DENY, NULL, NULL, 1,
	  { "device is reported lost in the MDM inventory; contact IT" } },
	{ "retired: denied", "staff", CORP, NULL, LINUX12 SECURE,
	  "device.status=retired\n", NULL, PST_DENY, NULL, NULL, 1,
	  { "device is retired in the MDM inventory; contact IT" } },
	{ "lost even when the record is stale", "kiosk", BYOD, NO_REPORT, NULL,
	  MDM_OLD "device.status=lost\n", LINUX12, PST_DENY, NULL, NULL, 1,
	  { "device is reported lost in the MDM inventory" } },
	{ "lost beats a deny rule's message", "staff", CORP, NULL, "os.name=windows\n",
	  "device.status=lost\n", NULL, PST_DENY, NULL, NULL, 1, { "reported lost" } },
	{ "a status of another kind denies", "staff", CORP, NULL, LINUX12 SECURE,
	  "device.status=stolen\n", NULL, PST_DENY, NULL, NULL, 1,
	  { "device status 'stolen' in the MDM inventory is not active, lost or retired" } },
	{ "only the inventory's status counts", "staff", CORP, NULL,
	  LINUX12 SECURE "device.status=lost\n", NULL, "device.status=retired\n",
	  PST_ALLOW, "laptops", "internal", 0, { NULL } },
	{ "active: the rules decide", "staff", CORP, NULL, LINUX12,
	  "device.status=active\nmdm.enrolled=true\n", NULL,
	  PST_ALLOW, "laptops", "internal", 0, { NULL } },
	/* Contradictions between the agent and the inventory. */
	{ "agent and MDM disagree: quarantine", "staff", CORP, NULL,
	  LINUX12 "mdm.enrolled=false\n", "mdm.enrolled=true\n", NULL,
	  PST_QUARANTINE, "laptops", "remediation", 1,
	  { "mdm.enrolled: agent says 'false', MDM inventory says 'true'; have the device "
	    "check in with the MDM and run the Postern posture agent again" } },
	{ "disagreement on a fact no check reads", "kiosk", CORP, NULL,
	  LINUX12 "passcode.set=true\n", "passcode.set=false\n", NULL,
	  PST_QUARANTINE, "kiosk", "remediation", 1,
	  { "passcode.set: agent says 'true', MDM inventory says 'false'" } },
	{ "versions compare as versions", "staff", CORP, NULL,
	  LINUX12 "mdm.enrolled=true\n", "os.version=12.0\n", NULL,
	  PST_ALLOW, "laptops", "internal", 0, { NULL } },
	{ "os.version disagrees", "staff", CORP, NULL, LINUX12 "mdm.enrolled=true\n",
	  "os.version=13\n", NULL, PST_QUARANTINE, "laptops", "remediation", 1,
	  { "os.version: agent says '12', MDM inventory says '13'" } },
	/* The inventory's os.name also chooses the rule: phones, not laptops. */
	{ "all four disagree", "staff", CORP, NULL,
	  LINUX12 "mdm.enrolled=true\npasscode.set=true\n",
	  "os.name=ios\nos.version=18\nmdm.enrolled=false\npasscode.set=false\n", NULL,
	  PST_QUARANTINE, "phones", "remediation", 5,
	  { "os.name: agent says 'linux', MDM inventory says 'ios'",
	    "mdm.enrolled: agent says", "os.version: agent says '12', MDM inventory says '18'",
	    "no passcode is set" } },
	{ "a stale agent fact contradicts nothing", "kiosk", CORP, NULL,
	  STALE "os.name=linux\nos.version=11\n", "os.name=linux\nos.version=12\n", NULL,
	  PST_ALLOW, "kiosk", "mail", 0, { NULL } },
	{ "the client contradicts nothing", "staff", CORP, NULL, "os.name=linux\n",
	  "mdm.enrolled=true\nos.version=12.1\n", "os.version=11\n",
	  PST_ALLOW, "laptops", "internal", 0, { NULL } },
	/* Ages by source: MDM facts against max-inventory-age. */
	{ "MDM facts live longer than reports", "staff", CORP, NULL, LINUX12,
	  MDM_1000 "mdm.enrolled=true\n", NULL, PST_ALLOW, "laptops", "internal", 0, { NULL } },
	{ "a stale inventory record is too old", "staff", CORP, NULL, LINUX12,
	  MDM_OLD "mdm.enrolled=true\n", NULL, PST_QUARANTINE, "laptops", "remediation", 1,
	  { "the MDM inventory's record of this device is too old (last check-in 90000 s ago; "
	    "the policy accepts 86400 s); have the device check in with the MDM" } },
	/* trust = mdm: the inventory's four facts only from the inventory. */
	{ "trust mdm: the inventory's passcode allows", "managed", CORP, NULL, LINUX12,
	  MANAGED_MDM, NULL, PST_ALLOW, "managed", "internal", 0, { NULL } },
	{ "trust mdm: an agent-only passcode quarantines", "managed", CORP, NULL,
	  LINUX12 "passcode.set=true\n", "mdm.enrolled=true\nos.name=linux\nos.version=12\n",
	  NULL, PST_QUARANTINE, "managed", "remediation", 1,
	  { "passcode.set is only reported by the agent; rule 'managed' takes it only from the "
	    "MDM inventory: have the device check in with the MDM" } },
	{ "trust mdm: a client-only os.name quarantines", "managed", CORP, NULL, NULL,
	  "mdm.enrolled=true\npasscode.set=true\n", LINUX12, PST_QUARANTINE, "managed",
	  "remediation", 1, { "os.name is only reported by the client" } },
	{ "trust mdm: not in the inventory", "managed", CORP, NULL, NULL, NULL, NULL,
	  PST_QUARANTINE, "managed", "remediation", 3,
	  { "os.name is not in the MDM inventory, the only source rule 'managed' takes it from",
	    "mdm.enrolled is not in the MDM inventory", "passcode.set is not in" } },
	{ "trust mdm: a stale record (status only)", "managed", CORP, NULL,
	  LINUX12 "mdm.enrolled=true\npasscode.set=true\n", MDM_OLD "device.status=active\n",
	  NULL, PST_QUARANTINE, "managed", "remediation", 1,
	  { "the MDM inventory's record of this device is too old (last check-in 90000 s ago; "
	    "the policy accepts 86400 s); have the device check in with the MDM" } },
	{ "trust mdm: a record without a last check-in", "managed", CORP, NULL, LINUX12,
	  "collected-at=0\ndevice.status=active\n", NULL, PST_QUARANTINE, "managed",
	  "remediation", 1, { "the MDM inventory's record of this device has no last check-in; "
	  "have the device check in with the MDM" } },
	{ "trust mdm: stale MDM facts", "managed", CORP, NULL, LINUX12,
	  MDM_OLD MANAGED_MDM, NULL, PST_QUARANTINE, "managed", "remediation", 1,
	  { "the MDM inventory's record of this device is too old" } },
	{ "trust mdm: other facts from anywhere", "managed", CORP, NULL, NULL,
	  MANAGED_MDM, "os.patch-level=2025-01-01\n", PST_ALLOW, "managed", "internal", 0,
	  { NULL } },
	/* Per-rule agent: kiosk says optional, the policy (and laptops) required. */
	{ "agent optional in the rule: no report is fine", "kiosk", BYOD, NO_REPORT, NULL,
	  NULL, LINUX12, PST_ALLOW, "kiosk", "mail", 0, { NULL } },
	{ "agent required by the policy's default", "staff", CORP, NO_REPORT, NULL,
	  "mdm.enrolled=true\n", LINUX12, PST_QUARANTINE, "laptops", "remediation", 1,
	  { NO_REPORT } },
	/* Platform lists, on the best-known os.name. */
	{ "platform: an iPhone fits phones", "staff", BYOD, NULL,
	  "os.name=ios\nos.version=18.1\npasscode.set=true\n", NULL, NULL,
	  PST_ALLOW, "phones", "phones", 0, { NULL } },
	{ "platform: the client's announcement when nothing else says", "staff", BYOD, NULL,
	  "passcode.set=true\n", NULL, "os.name=android\nos.version=15\n",
	  PST_ALLOW, "phones", "phones", 0, { NULL } },
	{ "platform: a deny rule by platform", "staff", CORP, NULL,
	  "os.name=windows\nos.version=10\nmdm.enrolled=true\n", NULL, NULL,
	  PST_DENY, "no-windows", NULL, 1, { "Windows is not supported." } },
	{ "platform: the inventory's os.name outranks the client's", "staff", BYOD, NULL,
	  "passcode.set=true\n", "os.name=ios\nos.version=18\n",
	  "os.name=windows\nos.version=10\n", PST_ALLOW, "phones", "phones", 0, { NULL } },
	{ "platform: a phone's failed check quarantines under phones", "staff", CORP, NULL,
	  "os.name=android\nos.version=13\npasscode.set=true\n", NULL, NULL,
	  PST_QUARANTINE, "phones", "remediation", 1, { "OS version 13 is below the minimum 14" } },
	{ "platform: a laptop skips phones", "staff", CORP, NULL,
	  LINUX12 "mdm.enrolled=true\n", NULL, NULL, PST_ALLOW, "laptops", "internal", 0,
	  { NULL } },
	{ "platform: without an os.name no platform rule fits", "staff", BYOD, NULL,
	  "passcode.set=true\n", NULL, NULL, PST_DENY, NULL, NULL, 1,
	  { "no policy rule matches this device (group 'staff', ownership byod, os.name "
	    "unknown)" } },
	{ "platform: a stale os.name still matches, then fails", "staff", BYOD, NULL,
	  STALE "os.name=ios\nos.version=18\npasscode.set=true\n", NULL, NULL,
	  PST_QUARANTINE, "phones", "remediation", 2, { "os.name is too old" } },
};

static void test_inventory_table(void)
{
	size_t i, passed = 0, n = sizeof(ops_cases) / sizeof(ops_cases[0]);

	for (i = 0; i < n; i++)
		passed += run_case(ops_policy, &ops_cases[i]);
	printf("# %zu of %zu inventory cases as expected\n", passed, n);
}

/* ---- reason classes: what postern_quarantines_total{reason} counts ---- */

struct class_case {
	const char *name;		/* of a case in cases[] or ops_cases[] */
	bool ops;			/* in ops_cases[] */
	enum pst_class classes[7];	/* each reason's, in order */
};

static const struct class_case class_cases[] = {
	{ "ios 17.8.9 below 17.9", false, { PST_CLASS_OS_VERSION } },
	{ "version not a number", false, { PST_CLASS_OS_VERSION } },
	{ "platform not in the policy", false, { PST_CLASS_OS_NOT_ALLOWED } },
	{ "os.version missing", false, { PST_CLASS_NOT_REPORTED } },
	{ "android patch level old", false, { PST_CLASS_PATCH_LEVEL } },
	{ "android patch level not a date", false, { PST_CLASS_PATCH_LEVEL } },
	{ "stale by one second", false, { PST_CLASS_STALE_REPORT, PST_CLASS_STALE_REPORT } },
	{ "personal and compliant", false, { PST_CLASS_NO_PASSCODE } },
	{ "ownership unknown: no rule", false, { PST_CLASS_NO_RULE } },
	{ "deny rule with a message", false, { PST_CLASS_DENY_RULE } },
	{ "deny rule without a message", false, { PST_CLASS_DENY_RULE } },
	{ "boolean with an unknown value", false,
	  { PST_CLASS_NOT_ENROLLED, PST_CLASS_NO_PASSCODE } },
	{ "everything fails, in order", false,
	  { PST_CLASS_NO_REPORT, PST_CLASS_DEVICE_ID, PST_CLASS_OS_VERSION,
	    PST_CLASS_NOT_ENROLLED, PST_CLASS_NO_PASSCODE, PST_CLASS_NOT_ENCRYPTED,
	    PST_CLASS_ROOTED } },
	{ "lost: denied before any rule", true, { PST_CLASS_DEVICE_STATUS } },
	{ "a status of another kind denies", true, { PST_CLASS_DEVICE_STATUS } },
	{ "agent and MDM disagree: quarantine", true, { PST_CLASS_CONTRADICTION } },
	{ "a stale inventory record is too old", true, { PST_CLASS_STALE_MDM } },
	{ "trust mdm: an agent-only passcode quarantines", true, { PST_CLASS_NOT_REPORTED } },
	{ "trust mdm: not in the inventory", true,
	  { PST_CLASS_NOT_REPORTED, PST_CLASS_NOT_REPORTED, PST_CLASS_NOT_REPORTED } },
};

static const struct policy_case *case_named(const struct policy_case *t, size_t n,
					    const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(t[i].name, name))
			return &t[i];
	}
	return NULL;
}

static void test_reason_classes(void)
{
	for (size_t i = 0; i < sizeof(class_cases) / sizeof(class_cases[0]); i++) {
		const struct class_case *k = &class_cases[i];
		const struct policy_case *c = k->ops ?
			case_named(ops_cases, sizeof(ops_cases) / sizeof(ops_cases[0]), k->name) :
			case_named(cases, sizeof(cases) / sizeof(cases[0]), k->name);
		struct pst_decision d;

		CHECK(c != NULL);
		if (!c)
			continue;
		case_decide(k->ops ? ops_policy : policy, c, &d);
		for (size_t r = 0; r < d.n_reasons; r++) {
			if (d.classes[r] != k->classes[r])
				printf("# %s: reason %zu is %s, expected %s\n", k->name, r,
				       pst_class_name(d.classes[r]), pst_class_name(k->classes[r]));
			CHECK_EQ_INT(d.classes[r], k->classes[r]);
		}
	}
}

/* The names are the label values: distinct, lower case and underscores. */
static void test_class_names(void)
{
	for (int a = 0; a < PST_CLASS_N; a++) {
		const char *n = pst_class_name((enum pst_class)a);

		CHECK(n && n[0] && strspn(n, "abcdefghijklmnopqrstuvwxyz_") == strlen(n));
		for (int b = 0; b < a; b++)
			CHECK(strcmp(n, pst_class_name((enum pst_class)b)) != 0);
	}
	CHECK_EQ_STR(pst_class_name(PST_CLASS_N), "other");
	CHECK_EQ_STR(pst_class_name((enum pst_class)-1), "other");
}

/* The loader resolves each rule's agent and keeps trust and platforms. */
static void test_ops_policy_model(void)
{
	const struct conf_rule *r = ops_policy->rules;

	CHECK_EQ_INT(ops_policy->n_rules, 5);
	CHECK_EQ_INT(ops_policy->max_inventory_age, 86400);
	CHECK(ops_policy->inventory == NULL);
	CHECK_EQ_INT(r[1].trust, CONF_TRUST_MDM);
	CHECK_EQ_INT(r[1].agent, CONF_AGENT_REQUIRED);
	CHECK_EQ_INT(r[2].agent, CONF_AGENT_OPTIONAL);
	CHECK_EQ_INT(r[3].n_platform, 2);
	CHECK_EQ_INT(r[4].trust, CONF_TRUST_ANY);
}

/* Reports are judged at judged_at, the inventory at now. */
static void test_judged_at(void)
{
	struct pst_subject subj = { .device_id = "dev-1", .group = "staff", .ownership = CORP };
	struct pst_decision d;
	struct pst_facts fs;

	pst_facts_init(&fs);
	add_facts(&fs, STALE LINUX12, PST_SRC_AGENT);		/* 1000 s before NOW */
	add_facts(&fs, MDM_1000 "mdm.enrolled=true\n", PST_SRC_MDM);
	pst_policy_decide(ops_policy, &subj, &fs, NOW, &d);
	CHECK_EQ_INT(d.verdict, PST_QUARANTINE);
	CHECK(has_reason(&d, "os.name is too old (reported 1000 s ago"));
	/* Judged at the original decision, 900 s after the report: fresh. */
	subj.judged_at = NOW - 900;
	pst_policy_decide(ops_policy, &subj, &fs, NOW, &d);
	CHECK_EQ_INT(d.verdict, PST_ALLOW);
	/* ... 301 s after it: too old, and the reason says by how much. */
	subj.judged_at = NOW - 699;
	pst_policy_decide(ops_policy, &subj, &fs, NOW, &d);
	CHECK_EQ_INT(d.verdict, PST_QUARANTINE);
	CHECK(has_reason(&d, "os.name is too old (reported 301 s ago; the policy accepts 300 s)"));
	/* The inventory's age is not moved by judged_at. */
	pst_facts_init(&fs);
	add_facts(&fs, LINUX12, PST_SRC_AGENT);
	add_facts(&fs, MDM_OLD "mdm.enrolled=true\n", PST_SRC_MDM);
	subj.judged_at = NOW - 86400;
	pst_policy_decide(ops_policy, &subj, &fs, NOW, &d);
	CHECK_EQ_INT(d.verdict, PST_QUARANTINE);
	CHECK(has_reason(&d, "the MDM inventory's record of this device is too old (last "
			 "check-in 90000 s ago"));
}

struct wants_case {
	const char *name;
	const char *group;
	enum conf_ownership ownership;
	const char *mdm, *client;
	bool want;
};

static const struct wants_case wants_cases[] = {
	{ "allow rule, agent required by default", "staff", CORP, NULL, LINUX12, true },
	{ "allow rule, agent optional", "kiosk", CORP, NULL, LINUX12, false },
	{ "a deny rule fits", "staff", CORP, NULL, "os.name=windows\n", false },
	{ "no rule fits", "staff", BYOD, NULL, NULL, false },
	{ "a platform rule fits on the inventory's os.name", "staff", BYOD, "os.name=ios\n",
	  NULL, true },
	{ "the inventory's os.name outranks the client's", "staff", CORP, "os.name=linux\n",
	  "os.name=windows\n", true },
	{ "lost", "staff", CORP, "device.status=lost\n", LINUX12, false },
	{ "retired", "kiosk", CORP, "device.status=retired\n", NULL, false },
	{ "active", "managed", CORP, "device.status=active\n", NULL, true },
};

static void test_wants_agent(void)
{
	struct pst_subject subj = { .device_id = "dev-1" };
	struct pst_facts fs;
	size_t i;

	for (i = 0; i < sizeof(wants_cases) / sizeof(wants_cases[0]); i++) {
		const struct wants_case *c = &wants_cases[i];

		subj.group = c->group;
		subj.ownership = c->ownership;
		pst_facts_init(&fs);
		add_facts(&fs, c->mdm, PST_SRC_MDM);
		add_facts(&fs, c->client, PST_SRC_CLIENT);
		if (pst_policy_wants_agent(ops_policy, &subj, &fs) != c->want) {
			printf("# wants_agent '%s': expected %d\n", c->name, c->want);
			CHECK(0);
		}
	}
	CHECK(!pst_policy_wants_agent(NULL, &subj, &fs));
	/* The first policy's own agent setting, through its rules. */
	subj.group = "staff";
	subj.ownership = BYOD;
	pst_facts_init(&fs);
	CHECK(pst_policy_wants_agent(policy, &subj, &fs));
	subj.group = "blocked";
	CHECK(!pst_policy_wants_agent(policy, &subj, &fs));
}

/* ---- a client's announced version that cannot be the device's ---- */

#define OC_ANDROID "os.name=android\nos.version=1.0\n"	/* openconnect --os=android */
#define OC_IOS "os.name=ios\nos.version=1.0\n"		/* openconnect --os=apple-ios */
#define NO_VERSION "this client does not report the OS version (it sends '1.0'); "
#define MDM_MUST NO_VERSION "the MDM record must state it, and "

struct version_case {
	const char *name;
	bool inventory;			/* the policy reads an MDM inventory */
	bool optional;			/* rule phones: agent = "optional" */
	const char *group;
	const char *agent, *mdm, *client;
	enum pst_verdict verdict;
	const char *reason;		/* the first reason, exactly; NULL = none */
	size_t n_reasons;
};

static const struct version_case version_cases[] = {
	/* Without an inventory: where else the version can come from. */
	{ "android 1.0, agent required", false, false, "staff", "passcode.set=true\n", NULL,
	  OC_ANDROID, PST_QUARANTINE,
	  NO_VERSION "run the Postern posture agent, which does", 1 },
	{ "ios 1.0, no agent, no inventory", false, true, "staff", "passcode.set=true\n", NULL,
	  OC_IOS, PST_QUARANTINE, NO_VERSION "the policy takes it from no other source (no MDM "
	  "inventory, no posture agent): contact IT", 1 },
	/* With one: what its record of the device lacks. */
	{ "no record", true, true, "staff", "passcode.set=true\n", NULL, OC_ANDROID,
	  PST_QUARANTINE, MDM_MUST "the MDM inventory has none for this device: enroll it in "
	  "the company MDM", 1 },
	{ "record without a last check-in", true, true, "staff", "passcode.set=true\n",
	  "collected-at=0\ndevice.status=active\n", OC_IOS, PST_QUARANTINE,
	  MDM_MUST "this device's has no last check-in: have the device check in with the MDM",
	  1 },
	{ "stale record", true, true, "staff", "passcode.set=true\n",
	  MDM_OLD "device.status=active\n", OC_ANDROID, PST_QUARANTINE,
	  MDM_MUST "this device's is 90000 s old (limit 86400 s): have the device check in "
	  "with the MDM", 1 },
	{ "fresh record without a version", true, true, "staff", NULL,
	  "device.status=active\npasscode.set=true\n", OC_ANDROID, PST_QUARANTINE,
	  MDM_MUST "this device's has no OS version: have the device check in with the MDM, "
	  "or contact IT", 1 },
	{ "a record without a status is still a record", true, true, "staff", NULL,
	  "passcode.set=true\n", OC_ANDROID, PST_QUARANTINE,
	  MDM_MUST "this device's has no OS version: have the device check in with the MDM, "
	  "or contact IT", 1 },
	/* The inventory's version is believed over the placeholder. */
	{ "the MDM's 15 allows", true, true, "staff", NULL,
	  "device.status=active\npasscode.set=true\nos.version=15\n", OC_ANDROID,
	  PST_ALLOW, NULL, 0 },
	{ "the MDM's 13: a real version, real advice", true, true, "staff", NULL,
	  "device.status=active\npasscode.set=true\nos.version=13\n", OC_ANDROID,
	  PST_QUARANTINE, "OS version 13 is below the minimum 14 for android; update the "
	  "operating system", 1 },
	/* The floor: below the first release that could run a VPN client,
	 * or no version at all, is unknown; above it, a version. */
	{ "android 3.2: no VPN client ever ran on it", false, false, "staff",
	  "passcode.set=true\n", NULL, "os.name=android\nos.version=3.2\n", PST_QUARANTINE,
	  "this client does not report the OS version (it sends '3.2'); run the Postern "
	  "posture agent, which does", 1 },
	{ "android 4.4 is a real version", false, false, "staff", "passcode.set=true\n", NULL,
	  "os.name=android\nos.version=4.4\n", PST_QUARANTINE,
	  "OS version 4.4 is below the minimum 14 for android; update the operating system", 1 },
	{ "a client that sends the real version", false, true, "staff", "passcode.set=true\n",
	  NULL, "os.name=android\nos.version=15\n", PST_ALLOW, NULL, 0 },
	{ "a client's garbage is unknown too", false, false, "staff", "passcode.set=true\n",
	  NULL, "os.name=ios\nos.version=iPhone\n", PST_QUARANTINE,
	  "this client does not report the OS version (it sends 'iPhone'); run the Postern "
	  "posture agent, which does", 1 },
	/* Only the client's announcement: the agent reads the system. */
	{ "the agent's 1.0 is judged as it is", false, false, "staff",
	  "os.version=1.0\npasscode.set=true\n", NULL, OC_ANDROID, PST_QUARANTINE,
	  "OS version 1.0 is below the minimum 14 for android; update the operating system",
	  1 },
	/* Linux has no floor: a distribution may well be at 1.0. */
	{ "linux 1.0 from the client", false, false, "kiosk", NULL, NULL,
	  "os.name=linux\nos.version=1.0\n", PST_QUARANTINE,
	  "OS version 1.0 is below the minimum 12 for linux; update the operating system", 1 },
	/* trust = mdm never reads the client's version, whatever it is. */
	{ "trust mdm", true, false, "managed", NULL,
	  "device.status=active\nmdm.enrolled=true\npasscode.set=true\nos.name=android\n",
	  OC_ANDROID, PST_QUARANTINE, "os.version is only reported by the client; rule "
	  "'managed' takes it only from the MDM inventory: have the device check in with the "
	  "MDM", 1 },
};

/* ops_policy with an inventory named or not, and rule phones' agent. */
static void version_policy(struct conf_policy *p, struct conf_rule *rules,
			   const struct version_case *c)
{
	*p = *ops_policy;
	memcpy(rules, ops_policy->rules, ops_policy->n_rules * sizeof(*rules));
	p->rules = rules;
	p->inventory = c->inventory ? (char *)"/srv/mdm/inventory.csv" : NULL;
	CHECK_EQ_STR(rules[3].name, "phones");
	rules[3].agent = c->optional ? CONF_AGENT_OPTIONAL : CONF_AGENT_REQUIRED;
}

static bool run_version_case(const struct version_case *c)
{
	struct pst_subject subj = { .device_id = "dev-1", .group = c->group, .ownership = BYOD };
	struct conf_rule rules[5];
	struct conf_policy p;
	struct pst_decision d;
	struct pst_facts fs;
	int before = unit_case_failures;

	version_policy(&p, rules, c);
	pst_facts_init(&fs);
	add_facts(&fs, c->agent, PST_SRC_AGENT);
	add_facts(&fs, c->mdm, PST_SRC_MDM);
	add_facts(&fs, c->client, PST_SRC_CLIENT);
	pst_policy_decide(&p, &subj, &fs, NOW, &d);
	check_invariants(&p, &d);
	CHECK_EQ_STR(pst_verdict_name(d.verdict), pst_verdict_name(c->verdict));
	CHECK_EQ_INT(d.n_reasons, c->n_reasons);
	if (c->reason)
		CHECK_EQ_STR(d.reasons[0], c->reason);
	if (unit_case_failures != before) {
		printf("# case '%s' decided:\n", c->name);
		print_decision(&d);
	}
	return unit_case_failures == before;
}

static void test_client_version(void)
{
	size_t i, passed = 0, n = sizeof(version_cases) / sizeof(version_cases[0]);

	CHECK_EQ_INT(ops_policy->n_rules, 5);
	for (i = 0; i < n; i++)
		passed += run_version_case(&version_cases[i]);
	printf("# %zu of %zu client version cases as expected\n", passed, n);
}

/* The longest of these reasons (a 16-character value quoted, a record
 * checked in at the epoch's first second) still fits whole: cutting it
 * would cut off what to do. */
static void test_client_version_fits(void)
{
	struct pst_subject subj = { .device_id = "dev-1", .group = "staff", .ownership = BYOD };
	struct version_case c = { .inventory = true, .optional = true };
	struct conf_rule rules[5];
	struct conf_policy p;
	struct pst_decision d;
	struct pst_facts fs;

	version_policy(&p, rules, &c);
	p.max_inventory_age = 2592000;
	pst_facts_init(&fs);
	add_facts(&fs, "os.name=android\nos.version=0.123456789.12345\n", PST_SRC_CLIENT);
	add_facts(&fs, "collected-at=1\ndevice.status=active\n", PST_SRC_MDM);
	pst_policy_decide(&p, &subj, &fs, NOW, &d);
	CHECK_EQ_INT(d.verdict, PST_QUARANTINE);
	CHECK(has_reason(&d, "(it sends '0.123456789.1234'); the MDM record must state it, and "
			 "this device's is 1759999999 s old (limit 2592000 s): have the device "
			 "check in with the MDM"));
	CHECK((int)strlen(d.reasons[0]) < PST_REASON_MAX - 1);
}

static int load_policy(const char *text, struct conf_policy **out)
{
	char path[] = "/tmp/postern-test-engine.XXXXXX", err[2048];
	size_t n = strlen(text);
	int fd = mkstemp(path), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, text, n) == (ssize_t)n ? 0 : -EIO;
	close(fd);
	if (!ret)
		ret = conf_policy_load(path, out, err, sizeof(err));
	if (ret)
		printf("# %s\n", err);
	unlink(path);
	return ret;
}

int main(void)
{
	if (load_policy(policy_text, &policy) || load_policy(ops_policy_text, &ops_policy)) {
		printf("not ok - load_policy\n");
		return 1;
	}
	RUN(test_table);
	RUN(test_reason_wording);
	RUN(test_agent_optional);
	RUN(test_future_fact);
	RUN(test_widest_decision);
	RUN(test_verdict_names);
	RUN(test_inventory_table);
	RUN(test_ops_policy_model);
	RUN(test_judged_at);
	RUN(test_wants_agent);
	RUN(test_client_version);
	RUN(test_client_version_fits);
	RUN(test_reason_classes);
	RUN(test_class_names);
	conf_policy_free(policy);
	conf_policy_free(ops_policy);
	UNIT_EXIT();
}
