/* SPDX-License-Identifier: MIT */
/*
 * The posture engine. A device the MDM inventory reports lost or retired is
 * denied before any rule is looked at. Otherwise the first rule whose group,
 * ownership and platform fit the device decides. A deny rule denies; an
 * allow rule allows only when every check holds, and otherwise sends the
 * device to the quarantine profile with one reason per failed check, in
 * plain words that say what to do (they are shown to the user and written to
 * the audit log).
 *
 * Where several sources state a fact, the highest-ranked one is the one
 * checked (posture.h): the MDM inventory over the agent over the client. Its
 * age is judged by its source: an MDM fact against max-inventory-age at the
 * time of the decision, the others against max-report-age at the time the
 * subject is judged at (the original decision, when the gateway re-evaluates
 * a live session). A rule with trust = mdm takes the facts the inventory can
 * state only from the inventory. An agent fact that contradicts the MDM's
 * fact of the same name fails a check of its own: one of the two is wrong
 * about this device, and the engine cannot tell which.
 *
 * A version the client announces but its platform cannot be running
 * (openconnect sends a fixed "1.0" for phones) is no fact: it fails the
 * version check as a missing one does, and the owner is told where the
 * version must come from instead (the MDM record, the agent), not to update
 * from a version the device never ran.
 *
 * Fail closed: a fact that is missing, too old or not parsable fails its
 * check; a lost or retired status denies however old its record is; and a
 * failure is counted even when the list of reasons is full, so nothing past
 * the last reason can let a device in.
 */
#include "posture/posture.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/macros.h"
#include "common/time.h"
#include "common/version.h"

#define PST_AGENT_HINT "run the Postern posture agent"
#define PST_MDM_HINT "have the device check in with the MDM"
/* How much of a reported value a reason quotes: two must fit in one. */
#define PST_SHOWN "%.32s"

/* The facts the MDM inventory can state, besides device.status: the ones
 * trust = mdm applies to and the ones compared for contradictions. */
static const char *const pst_mdm_facts[] = {
	"mdm.enrolled", "passcode.set", "os.name", "os.version",
};

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
	enum pst_class class;
	const char *failed;
};

static const struct pst_bool_check pst_check_mdm = {
	"mdm.enrolled", true, PST_CLASS_NOT_ENROLLED,
	"device is not enrolled in MDM; enroll it with the company MDM"
};
static const struct pst_bool_check pst_check_passcode = {
	"passcode.set", true, PST_CLASS_NO_PASSCODE,
	"no passcode is set; set a screen lock passcode"
};
static const struct pst_bool_check pst_check_disk = {
	"disk.encrypted", true, PST_CLASS_NOT_ENCRYPTED,
	"disk is not encrypted; turn on disk encryption"
};
static const struct pst_bool_check pst_check_rooted = {
	"device.rooted", false, PST_CLASS_ROOTED,
	"device is rooted or jailbroken; restore the manufacturer's software"
};

/* The state of one decision. */
struct pst_eval {
	const struct conf_policy *p;
	const struct pst_subject *subj;
	const struct pst_facts *facts;
	const struct conf_rule *rule;	/* the allow rule being checked */
	time_t now;			/* MDM facts' ages are judged at this time */
	time_t judged_at;		/* and the others' at this one */
	struct pst_decision *out;
	unsigned int failed;
	bool record_told;		/* the MDM record's age is a reason already */
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

static const char *const pst_class_names[PST_CLASS_N] = {
	[PST_CLASS_OTHER] = "other",
	[PST_CLASS_NO_REPORT] = "no_report",
	[PST_CLASS_NOT_REPORTED] = "not_reported",
	[PST_CLASS_STALE_REPORT] = "stale_report",
	[PST_CLASS_STALE_MDM] = "stale_mdm",
	[PST_CLASS_DEVICE_ID] = "device_id",
	[PST_CLASS_CONTRADICTION] = "contradiction",
	[PST_CLASS_OS_NOT_ALLOWED] = "os_not_allowed",
	[PST_CLASS_OS_VERSION] = "os_version",
	[PST_CLASS_PATCH_LEVEL] = "patch_level",
	[PST_CLASS_NOT_ENROLLED] = "not_enrolled",
	[PST_CLASS_NO_PASSCODE] = "no_passcode",
	[PST_CLASS_NOT_ENCRYPTED] = "not_encrypted",
	[PST_CLASS_ROOTED] = "rooted",
	[PST_CLASS_DEVICE_STATUS] = "device_status",
	[PST_CLASS_DENY_RULE] = "deny_rule",
	[PST_CLASS_NO_RULE] = "no_rule",
};

const char *pst_class_name(enum pst_class c)
{
	return (unsigned int)c < PST_CLASS_N ? pst_class_names[c] : "other";
}

void pst_decision_reasons(const struct pst_decision *d, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_reasons && n < len; i++) {
		int k = snprintf(buf + n, len - n, "%s%s", i ? "; " : "", d->reasons[i]);

		if (k < 0)
			break;
		n += (size_t)k;
	}
}

/* A failed check: its reason in words, and its class for the counters. */
__attribute__((format(printf, 3, 4)))
static void pst_fail(struct pst_eval *ev, enum pst_class class, const char *fmt, ...)
{
	struct pst_decision *out = ev->out;
	va_list ap;

	ev->failed++;
	if (out->n_reasons >= PST_REASONS_MAX)
		return;
	out->classes[out->n_reasons] = class;
	va_start(ap, fmt);
	vsnprintf(out->reasons[out->n_reasons++], PST_REASON_MAX, fmt, ap);
	va_end(ap);
}

static const char *pst_label_of(const char *fact)
{
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(pst_labels); i++) {
		if (!strcmp(pst_labels[i].fact, fact))
			return pst_labels[i].what;
	}
	return fact;
}

static bool pst_is_mdm_fact(const char *name)
{
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(pst_mdm_facts); i++) {
		if (!strcmp(pst_mdm_facts[i], name))
			return true;
	}
	return false;
}

/*
 * How old a fact is, against its source's limit: true when it is older than
 * the policy accepts. A fact dated in the future (a skewed clock) counts as
 * fresh; reports are dated no later than their receipt, and the inventory
 * leaves out records dated far ahead.
 */
static bool pst_stale(const struct pst_eval *ev, const struct pst_fact *f, long long *age,
		      unsigned int *limit)
{
	bool mdm = f->source == PST_SRC_MDM;

	*limit = mdm ? ev->p->max_inventory_age : ev->p->max_report_age;
	*age = (long long)(mdm ? ev->now : ev->judged_at) - (long long)f->time;
	return *age > (long long)*limit;
}

/*
 * An MDM record too old or without a check-in is one problem, however many
 * of its facts a rule reads: it is told once, and every further fact it
 * holds back still counts as a failed check (fail closed). age < 0: the
 * record has no last check-in.
 */
static void pst_fail_record(struct pst_eval *ev, long long age, unsigned int limit)
{
	if (ev->record_told) {
		ev->failed++;
		return;
	}
	ev->record_told = true;
	if (age < 0)
		pst_fail(ev, PST_CLASS_STALE_MDM,
			 "the MDM inventory's record of this device has no last check-in; "
			 PST_MDM_HINT);
	else
		pst_fail(ev, PST_CLASS_STALE_MDM,
			 "the MDM inventory's record of this device is too old (last check-in "
			 "%lld s ago; the policy accepts %u s); " PST_MDM_HINT, age, limit);
}

static void pst_fail_stale(struct pst_eval *ev, const struct pst_fact *f, long long age,
			   unsigned int limit)
{
	if (f->source == PST_SRC_MDM)
		pst_fail_record(ev, age, limit);
	else
		pst_fail(ev, PST_CLASS_STALE_REPORT,
			 "%s is too old (reported %lld s ago; the policy accepts %u s); "
			 PST_AGENT_HINT " again", f->name, age, limit);
}

/* What the MDM inventory holds on this device, as far as its facts show. */
enum pst_record {
	PST_RECORD_NONE,	/* no record (or one with neither status nor facts) */
	PST_RECORD_NO_CHECKIN,	/* a record without a last check-in */
	PST_RECORD_STALE,	/* a record older than max-inventory-age */
	PST_RECORD_FRESH,
};

/*
 * The inventory leaves out a stale record's facts but keeps its
 * device.status, dated like the record (at 0 when the record has no last
 * check-in), so the status tells the record's state; a record without a
 * status is known by any other fact of it.
 */
static enum pst_record pst_mdm_record(const struct pst_eval *ev, long long *age,
				      unsigned int *limit)
{
	const struct pst_fact *r = pst_facts_get_from(ev->facts, "device.status", PST_SRC_MDM);
	size_t i;

	for (i = 0; !r && i < sizeof(pst_mdm_facts) / sizeof(pst_mdm_facts[0]); i++)
		r = pst_facts_get_from(ev->facts, pst_mdm_facts[i], PST_SRC_MDM);
	if (!r)
		return PST_RECORD_NONE;
	if (r->time <= 0)
		return PST_RECORD_NO_CHECKIN;
	return pst_stale(ev, r, age, limit) ? PST_RECORD_STALE : PST_RECORD_FRESH;
}

/*
 * trust = mdm: only the inventory's value counts. Why there is none is
 * worded for what the user can do: a record too old to be used, a value
 * only the device itself claims, or none.
 */
static const struct pst_fact *pst_mdm_fact(struct pst_eval *ev, const char *name)
{
	const struct pst_fact *f = pst_facts_get_from(ev->facts, name, PST_SRC_MDM);
	const struct pst_fact *self = pst_facts_get(ev->facts, name);
	unsigned int limit;
	long long age;

	if (f && pst_stale(ev, f, &age, &limit)) {
		pst_fail_stale(ev, f, age, limit);
		return NULL;
	}
	if (f)
		return f;
	switch (pst_mdm_record(ev, &age, &limit)) {
	case PST_RECORD_NO_CHECKIN:
		pst_fail_record(ev, -1, 0);
		break;
	case PST_RECORD_STALE:
		pst_fail_record(ev, age, limit);
		break;
	case PST_RECORD_NONE:
	case PST_RECORD_FRESH:
		if (self)
			pst_fail(ev, PST_CLASS_NOT_REPORTED,
				 "%s is only reported by the %s; rule '%s' takes it only from "
				 "the MDM inventory: " PST_MDM_HINT, name,
				 pst_source_name(self->source), ev->rule->name);
		else
			pst_fail(ev, PST_CLASS_NOT_REPORTED,
				 "%s is not in the MDM inventory, the only source rule '%s' "
				 "takes it from; enroll the device in the MDM or " PST_MDM_HINT, name,
				 ev->rule->name);
		break;
	}
	return NULL;
}

/*
 * The fact a check reads, or NULL after reporting why there is none usable:
 * never reported, reported longer ago than the policy accepts, or (trust =
 * mdm) not stated by the inventory.
 */
static const struct pst_fact *pst_fresh_fact(struct pst_eval *ev, const char *name)
{
	const struct pst_fact *f;
	unsigned int limit;
	long long age;

	if (ev->rule->trust == CONF_TRUST_MDM && pst_is_mdm_fact(name))
		return pst_mdm_fact(ev, name);
	f = pst_facts_get(ev->facts, name);
	if (!f) {
		pst_fail(ev, PST_CLASS_NOT_REPORTED,
			 "%s not reported (%s); " PST_AGENT_HINT, pst_label_of(name), name);
		return NULL;
	}
	if (pst_stale(ev, f, &age, &limit)) {
		pst_fail_stale(ev, f, age, limit);
		return NULL;
	}
	return f;
}

/* ---- the checks of an allow rule, in the order they are reported ---- */

static void pst_check_report(struct pst_eval *ev)
{
	if (ev->rule->agent == CONF_AGENT_REQUIRED && ev->subj->report_problem)
		pst_fail(ev, PST_CLASS_NO_REPORT, "%s", ev->subj->report_problem);
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
			pst_fail(ev, PST_CLASS_DEVICE_ID,
				 "reported device.id '%s' differs from the certificate's '%s'",
				 f->value, want);
	}
}

/* Versions compare as versions ("17.0" is "17"); everything else as text. */
static bool pst_same_value(const char *name, const char *a, const char *b)
{
	struct cm_version va, vb;

	if (!strcmp(name, "os.version") && !cm_version_parse(a, &va) &&
	    !cm_version_parse(b, &vb))
		return cm_version_cmp(&va, &vb) == 0;
	return !strcmp(a, b);
}

/*
 * The agent looked at the device just now, the inventory at its last
 * check-in: when both are within their ages and disagree, one of them is
 * wrong about this device, and neither can be believed over the other.
 */
static void pst_check_contradictions(struct pst_eval *ev)
{
	const struct pst_fact *a, *m;
	unsigned int limit;
	long long age;
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(pst_mdm_facts); i++) {
		a = pst_facts_get_from(ev->facts, pst_mdm_facts[i], PST_SRC_AGENT);
		m = pst_facts_get_from(ev->facts, pst_mdm_facts[i], PST_SRC_MDM);
		if (!a || !m || pst_stale(ev, a, &age, &limit) || pst_stale(ev, m, &age, &limit) ||
		    pst_same_value(pst_mdm_facts[i], a->value, m->value))
			continue;
		pst_fail(ev, PST_CLASS_CONTRADICTION,
			 "%s: agent says '" PST_SHOWN "', MDM inventory says '" PST_SHOWN "'; "
			 PST_MDM_HINT " and " PST_AGENT_HINT " again",
			 pst_mdm_facts[i], a->value, m->value);
	}
}

/* How a reason quotes the version a client sent instead of its own. */
#define PST_NO_CLIENT_VERSION "this client does not report the OS version (it sends '%.16s'); "
#define PST_MDM_MUST "the MDM record must state it, and "

/* The inventory is the other source: what the owner must do depends on
 * what it holds on this device. */
static void pst_fail_client_version_mdm(struct pst_eval *ev, const char *sent)
{
	unsigned int limit;
	long long age;

	switch (pst_mdm_record(ev, &age, &limit)) {
	case PST_RECORD_NONE:
		pst_fail(ev, PST_CLASS_NOT_REPORTED,
			 PST_NO_CLIENT_VERSION PST_MDM_MUST "the MDM inventory has none for "
			 "this device: enroll it in the company MDM", sent);
		break;
	case PST_RECORD_NO_CHECKIN:
		pst_fail(ev, PST_CLASS_STALE_MDM,
			 PST_NO_CLIENT_VERSION PST_MDM_MUST "this device's has no last "
			 "check-in: " PST_MDM_HINT, sent);
		break;
	case PST_RECORD_STALE:
		pst_fail(ev, PST_CLASS_STALE_MDM,
			 PST_NO_CLIENT_VERSION PST_MDM_MUST "this device's is %lld s old "
			 "(limit %u s): " PST_MDM_HINT, sent, age, limit);
		break;
	case PST_RECORD_FRESH:
		pst_fail(ev, PST_CLASS_NOT_REPORTED,
			 PST_NO_CLIENT_VERSION PST_MDM_MUST "this device's has no OS version: "
			 PST_MDM_HINT ", or contact IT", sent);
		break;
	}
}

/*
 * The version the client announced is not the device's (see
 * pst_version_fact): the check fails as for a version never reported, and
 * the reason says where the version has to come from instead, which is
 * something the owner can do, unlike updating from a version the device
 * never ran. The inventory outranks the client, so a policy that reads one
 * takes the version from there; failing that, the agent, when this rule
 * asks for a host scan; failing that, nothing the owner can change.
 */
static void pst_fail_client_version(struct pst_eval *ev, const struct pst_fact *f)
{
	if (ev->p->inventory)
		pst_fail_client_version_mdm(ev, f->value);
	else if (ev->rule->agent == CONF_AGENT_REQUIRED)
		pst_fail(ev, PST_CLASS_NOT_REPORTED,
			 PST_NO_CLIENT_VERSION PST_AGENT_HINT ", which does", f->value);
	else
		pst_fail(ev, PST_CLASS_NOT_REPORTED,
			 PST_NO_CLIENT_VERSION "the policy takes it from no other source (no "
			 "MDM inventory, no posture agent): contact IT", f->value);
}

/*
 * The os.version the version check reads. The client's announcement is
 * the one source that states a version it did not read from the system:
 * the stock openconnect sends a fixed "1.0" for --os=android and
 * --os=apple-ios, whatever the phone runs. So when the best-ranked version
 * is the client's and its platform cannot be running it
 * (pst_version_possible: below the platform's first release that could
 * run a VPN client, or not a version at all), it counts as unknown, never
 * as a low version. The agent's and the MDM's are read from the device and
 * are judged as they are; under trust = mdm the client's never counts.
 */
static const struct pst_fact *pst_version_fact(struct pst_eval *ev,
					       const struct conf_platform *pl)
{
	const struct pst_fact *f = pst_facts_get(ev->facts, "os.version");

	if (ev->rule->trust != CONF_TRUST_MDM && f && f->source == PST_SRC_CLIENT &&
	    !pst_version_possible(pl->name, f->value)) {
		pst_fail_client_version(ev, f);
		return NULL;
	}
	return pst_fresh_fact(ev, "os.version");
}

static void pst_check_version(struct pst_eval *ev, const struct conf_platform *pl)
{
	const struct pst_fact *f = pst_version_fact(ev, pl);
	struct cm_version v;

	if (!f)
		return;
	if (cm_version_parse(f->value, &v))
		pst_fail(ev, PST_CLASS_OS_VERSION,
			 "OS version '%s' is not a version number", f->value);
	else if (cm_version_cmp(&v, &pl->min) < 0)
		pst_fail(ev, PST_CLASS_OS_VERSION,
			 "OS version %s is below the minimum %s for %s; update the operating "
			 "system", f->value, pl->min_version, pl->name);
}

static void pst_check_patch(struct pst_eval *ev, const struct conf_platform *pl)
{
	const struct pst_fact *f = pst_fresh_fact(ev, "os.patch-level");
	int64_t days;

	if (!f)
		return;
	if (cm_date_parse(f->value, &days))
		pst_fail(ev, PST_CLASS_PATCH_LEVEL,
			 "security patch level '%s' is not a date (YYYY-MM-DD)", f->value);
	else if (days < pl->min_patch_days)
		pst_fail(ev, PST_CLASS_PATCH_LEVEL,
			 "security patch level %s is older than the required %s; install the "
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
		pst_fail(ev, PST_CLASS_OS_NOT_ALLOWED,
			 "operating system '%s' is not allowed by the policy", f->value);
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
		pst_fail(ev, c->class, "%s has an unknown value '%s' (expected true or false); "
			 PST_AGENT_HINT, c->fact, f->value);
	else if (is_true != c->want)
		pst_fail(ev, c->class, "%s", c->failed);
}

static void pst_check_rule(struct pst_eval *ev, const struct conf_rule *r)
{
	ev->rule = r;
	pst_check_report(ev);
	pst_check_device_id(ev);
	pst_check_contradictions(ev);
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
		pst_fail(ev, PST_CLASS_OTHER, "rule '%s' has no profile; fix the policy", r->name);
}

/* ---- before any rule: the inventory's status ---- */

/*
 * Only the inventory's device.status counts (a device does not get to say
 * it is not lost), and it counts however old its record is: a device is
 * reported lost because it is not checking in. A value other than the three
 * (only a hand-written facts file can make one) denies too.
 */
static bool pst_status_denies(const struct pst_facts *facts, struct pst_eval *ev)
{
	const struct pst_fact *f = pst_facts_get_from(facts, "device.status", PST_SRC_MDM);

	if (!f || !strcmp(f->value, "active"))
		return false;
	if (!ev)
		return true;
	if (!strcmp(f->value, "lost"))
		pst_fail(ev, PST_CLASS_DEVICE_STATUS,
			 "device is reported lost in the MDM inventory; contact IT");
	else if (!strcmp(f->value, "retired"))
		pst_fail(ev, PST_CLASS_DEVICE_STATUS,
			 "device is retired in the MDM inventory; contact IT");
	else
		pst_fail(ev, PST_CLASS_DEVICE_STATUS,
			 "device status '" PST_SHOWN "' in the MDM inventory is not active, "
			 "lost or retired; contact IT", f->value);
	return true;
}

/* ---- choosing the rule ---- */

/*
 * A platform list fits the best-known os.name, whatever its age: which rule
 * applies is a matter of what the device is, and the checks of an allow rule
 * then judge the same fact's age and source. Without any os.name a rule with
 * a platform list does not fit.
 */
static bool pst_platform_fits(const struct conf_rule *r, const struct pst_facts *facts)
{
	const struct pst_fact *f;
	size_t i;

	if (!r->n_platform)
		return true;
	f = pst_facts_get(facts, "os.name");
	for (i = 0; f && i < r->n_platform; i++) {
		if (!strcmp(r->platform[i], f->value))
			return true;
	}
	return false;
}

static bool pst_rule_fits(const struct conf_rule *r, const struct pst_subject *subj,
			  const struct pst_facts *facts)
{
	const char *group = subj->group ? subj->group : "";

	if (r->group && strcmp(r->group, group))
		return false;
	if (r->ownership != CONF_OWNERSHIP_ANY && r->ownership != subj->ownership)
		return false;
	return pst_platform_fits(r, facts);
}

static const struct conf_rule *pst_first_rule(const struct conf_policy *p,
					      const struct pst_subject *subj,
					      const struct pst_facts *facts)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		if (pst_rule_fits(&p->rules[i], subj, facts))
			return &p->rules[i];
	}
	return NULL;
}

static bool pst_policy_has_platforms(const struct conf_policy *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		if (p->rules[i].n_platform)
			return true;
	}
	return false;
}

const char *pst_ownership_name(enum conf_ownership o)
{
	switch (o) {
	case CONF_OWNERSHIP_CORPORATE:
		return cm_ownership_name(CM_OWNERSHIP_CORPORATE);
	case CONF_OWNERSHIP_BYOD:
		return cm_ownership_name(CM_OWNERSHIP_BYOD);
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
			pst_fail(ev, PST_CLASS_DENY_RULE, "%s", r->message);
		else
			pst_fail(ev, PST_CLASS_DENY_RULE, "rule '%s' denies this device", r->name);
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

/* The reason when no rule fits names what rules are matched on. */
static void pst_fail_no_rule(struct pst_eval *ev)
{
	const struct pst_fact *os = pst_facts_get(ev->facts, "os.name");
	const char *group = ev->subj->group ? ev->subj->group : "";
	const char *owner = pst_ownership_name(ev->subj->ownership);

	if (pst_policy_has_platforms(ev->p))
		pst_fail(ev, PST_CLASS_NO_RULE,
			 "no policy rule matches this device (group '%s', ownership %s, "
			 "os.name " PST_SHOWN ")", group, owner, os ? os->value : "unknown");
	else
		pst_fail(ev, PST_CLASS_NO_RULE,
			 "no policy rule matches this device (group '%s', ownership %s)",
			 group, owner);
}

void pst_policy_decide(const struct conf_policy *p, const struct pst_subject *subj,
		       const struct pst_facts *facts, time_t now, struct pst_decision *out)
{
	struct pst_eval ev = {
		.p = p, .subj = subj, .facts = facts, .now = now,
		.judged_at = subj->judged_at ? subj->judged_at : now, .out = out,
	};
	const struct conf_rule *r;

	memset(out, 0, sizeof(*out));
	out->verdict = PST_DENY;
	if (pst_status_denies(facts, &ev))
		return;
	r = pst_first_rule(p, subj, facts);
	if (r)
		pst_decide_rule(&ev, r);
	else
		pst_fail_no_rule(&ev);
}

bool pst_policy_wants_agent(const struct conf_policy *p, const struct pst_subject *subj,
			    const struct pst_facts *facts)
{
	const struct conf_rule *r;

	if (!p || pst_status_denies(facts, NULL))
		return false;
	r = pst_first_rule(p, subj, facts);
	return r && r->action == CONF_ACTION_ALLOW && r->agent == CONF_AGENT_REQUIRED;
}
