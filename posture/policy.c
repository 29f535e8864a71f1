/* SPDX-License-Identifier: MIT */
/*
 * The posture engine: the first rule whose group and ownership fit the
 * device decides. A deny rule denies; an allow rule allows only when every
 * check holds, and otherwise sends the device to the quarantine profile with
 * one reason per failed check, in plain words that say what to do (they are
 * shown to the user and written to the audit log).
 *
 * Fail closed: a fact that is missing, older than max-report-age or not
 * parsable fails its check, and a failure is counted even when the list of
 * reasons is full, so nothing past the last reason can let a device in.
 */
#include "posture/posture.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PST_AGENT_HINT "run the Postern posture agent"

/* How a requirement's fact is named in a reason. */
struct pst_label {
	const char *fact;
	const char *what;	/* "OS version" in "OS version not reported (os.version)" */
};

static const struct pst_label pst_labels[] = {
	{ "os.name", "operating system" },
	{ "os.version", "OS version" },
	{ "os.patch-level", "security patch level" },
	{ "mdm.enrolled", "MDM enrollment" },
	{ "passcode.set", "passcode" },
	{ "disk.encrypted", "disk encryption" },
	{ "device.rooted", "root or jailbreak state" },
};

/* A boolean requirement: the fact, the value that passes, and the reason
 * when it has the other one. */
struct pst_bool_check {
	const char *fact;
	bool want;
	const char *failed;
};

static const struct pst_bool_check pst_check_mdm = {
	"mdm.enrolled", true, "device is not enrolled in MDM; enroll it with the company MDM"
};
static const struct pst_bool_check pst_check_passcode = {
	"passcode.set", true, "no passcode is set; set a screen lock passcode"
};
static const struct pst_bool_check pst_check_disk = {
	"disk.encrypted", true, "disk is not encrypted; turn on disk encryption"
};
static const struct pst_bool_check pst_check_rooted = {
	"device.rooted", false,
	"device is rooted or jailbroken; restore the manufacturer's software"
};

/* The state of one decision. */
struct pst_eval {
	const struct conf_policy *p;
	const struct pst_subject *subj;
	const struct pst_facts *facts;
	time_t now;
	struct pst_decision *out;
	unsigned int failed;
};

const char *pst_verdict_name(enum pst_verdict v)
{
	switch (v) {
	case PST_ALLOW:
		return "allow";
	case PST_QUARANTINE:
		return "quarantine";
	case PST_DENY:
		return "deny";
	}
	return "unknown";
}

/* ---- reasons ---- */

__attribute__((format(printf, 2, 3)))
static void pst_fail(struct pst_eval *ev, const char *fmt, ...)
{
	struct pst_decision *out = ev->out;
	va_list ap;

	ev->failed++;
	if (out->n_reasons >= PST_REASONS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(out->reasons[out->n_reasons++], PST_REASON_MAX, fmt, ap);
	va_end(ap);
}

static const char *pst_label_of(const char *fact)
{
	size_t i;

	for (i = 0; i < sizeof(pst_labels) / sizeof(pst_labels[0]); i++) {
		if (!strcmp(pst_labels[i].fact, fact))
			return pst_labels[i].what;
	}
	return fact;
}

/*
 * The fact a check reads, or NULL after reporting why there is none usable:
 * never reported, or reported longer ago than the policy accepts. A fact
 * dated in the future (a skewed clock) counts as fresh; reports are dated no
 * later than their receipt anyway.
 */
static const struct pst_fact *pst_fresh_fact(struct pst_eval *ev, const char *name)
{
	const struct pst_fact *f = pst_facts_get(ev->facts, name);
	long long age;

	if (!f) {
		pst_fail(ev, "%s not reported (%s); " PST_AGENT_HINT, pst_label_of(name), name);
		return NULL;
	}
	age = (long long)ev->now - (long long)f->time;
	if (age > (long long)ev->p->max_report_age) {
		pst_fail(ev, "%s is too old (reported %lld s ago; the policy accepts %u s); "
			 PST_AGENT_HINT " again", name, age, ev->p->max_report_age);
		return NULL;
	}
	return f;
}

/* ---- the checks of an allow rule, in the order they are reported ---- */

static void pst_check_report(struct pst_eval *ev)
{
	if (ev->p->agent == CONF_AGENT_REQUIRED && ev->subj->report_problem)
		pst_fail(ev, "%s", ev->subj->report_problem);
}

/* Every source but the certificate is compared, not just the highest-ranked
 * one: an MDM record or report for another device must not be used for this
 * one, whichever source would win. */
static void pst_check_device_id(struct pst_eval *ev)
{
	const char *want = ev->subj->device_id ? ev->subj->device_id : "";
	const struct pst_fact *f;
	int src;

	for (src = 0; src < PST_SRC_N; src++) {
		if (src == PST_SRC_CERT)
			continue;
		f = pst_facts_get_from(ev->facts, "device.id", (enum pst_source)src);
		if (f && strcmp(f->value, want))
			pst_fail(ev, "reported device.id '%s' differs from the certificate's '%s'",
				 f->value, want);
	}
}

static void pst_check_version(struct pst_eval *ev, const struct conf_platform *pl)
{
	const struct pst_fact *f = pst_fresh_fact(ev, "os.version");
	struct conf_version v;

	if (!f)
		return;
	if (conf_version_parse(f->value, &v))
		pst_fail(ev, "OS version '%s' is not a version number", f->value);
	else if (conf_version_cmp(&v, &pl->min) < 0)
		pst_fail(ev, "OS version %s is below the minimum %s for %s; update the operating "
			 "system", f->value, pl->min_version, pl->name);
}

static void pst_check_patch(struct pst_eval *ev, const struct conf_platform *pl)
{
	const struct pst_fact *f = pst_fresh_fact(ev, "os.patch-level");
	long days;

	if (!f)
		return;
	if (conf_date_parse(f->value, &days))
		pst_fail(ev, "security patch level '%s' is not a date (YYYY-MM-DD)", f->value);
	else if (days < pl->min_patch_days)
		pst_fail(ev, "security patch level %s is older than the required %s; install the "
			 "latest security update", f->value, pl->min_patch_level);
}

/* Without a usable os.name the platform's minimums cannot apply, so they
 * are not checked (the os.name failure already quarantines). */
static void pst_check_platform(struct pst_eval *ev)
{
	const struct pst_fact *f = pst_fresh_fact(ev, "os.name");
	const struct conf_platform *pl;

	if (!f)
		return;
	pl = conf_policy_platform(ev->p, f->value);
	if (!pl) {
		pst_fail(ev, "operating system '%s' is not allowed by the policy", f->value);
		return;
	}
	if (pl->min_version)
		pst_check_version(ev, pl);
	if (pl->min_patch_level)
		pst_check_patch(ev, pl);
}

static void pst_check_bool(struct pst_eval *ev, const struct pst_bool_check *c)
{
	const struct pst_fact *f = pst_fresh_fact(ev, c->fact);
	bool is_true;

	if (!f)
		return;
	is_true = !strcmp(f->value, "true");
	if (!is_true && strcmp(f->value, "false"))
		pst_fail(ev, "%s has an unknown value '%s' (expected true or false); "
			 PST_AGENT_HINT, c->fact, f->value);
	else if (is_true != c->want)
		pst_fail(ev, "%s", c->failed);
}

static void pst_check_rule(struct pst_eval *ev, const struct conf_rule *r)
{
	pst_check_report(ev);
	pst_check_device_id(ev);
	pst_check_platform(ev);
	if (r->require_mdm)
		pst_check_bool(ev, &pst_check_mdm);
	if (r->require_passcode)
		pst_check_bool(ev, &pst_check_passcode);
	if (r->require_disk_encryption)
		pst_check_bool(ev, &pst_check_disk);
	if (r->deny_rooted)
		pst_check_bool(ev, &pst_check_rooted);
	/* The loader never lets an allow rule without a profile through. */
	if (!r->profile)
		pst_fail(ev, "rule '%s' has no profile; fix the policy", r->name);
}

/* ---- choosing the rule ---- */

static bool pst_rule_fits(const struct conf_rule *r, const struct pst_subject *subj)
{
	const char *group = subj->group ? subj->group : "";

	if (r->group && strcmp(r->group, group))
		return false;
	return r->ownership == CONF_OWNERSHIP_ANY || r->ownership == subj->ownership;
}

static const char *pst_ownership_word(enum conf_ownership o)
{
	switch (o) {
	case CONF_OWNERSHIP_CORPORATE:
		return "corporate";
	case CONF_OWNERSHIP_BYOD:
		return "byod";
	case CONF_OWNERSHIP_ANY:
		break;
	}
	return "unknown";
}

static void pst_decide_rule(struct pst_eval *ev, const struct conf_rule *r)
{
	struct pst_decision *out = ev->out;

	out->rule = r;
	if (r->action == CONF_ACTION_DENY) {
		out->verdict = PST_DENY;
		if (r->message)
			pst_fail(ev, "%s", r->message);
		else
			pst_fail(ev, "rule '%s' denies this device", r->name);
		return;
	}
	pst_check_rule(ev, r);
	if (ev->failed) {
		out->verdict = PST_QUARANTINE;
		out->profile = ev->p->quarantine;
	} else {
		out->verdict = PST_ALLOW;
		out->profile = r->profile;
	}
}

void pst_policy_decide(const struct conf_policy *p, const struct pst_subject *subj,
		       const struct pst_facts *facts, time_t now, struct pst_decision *out)
{
	struct pst_eval ev = { .p = p, .subj = subj, .facts = facts, .now = now, .out = out };
	size_t i;

	memset(out, 0, sizeof(*out));
	out->verdict = PST_DENY;
	for (i = 0; i < p->n_rules; i++) {
		if (pst_rule_fits(&p->rules[i], subj)) {
			pst_decide_rule(&ev, &p->rules[i]);
			return;
		}
	}
	pst_fail(&ev, "no policy rule matches this device (group '%s', ownership %s)",
		 subj->group ? subj->group : "", pst_ownership_word(subj->ownership));
}
