/* SPDX-License-Identifier: MIT */
/*
 * The policy lint (lint.h). Each check proves one thing about every device
 * that can ever connect, from the policy alone, and says nothing it cannot
 * prove: a warning is never a guess.
 *
 * Shadowed rules. A rule fits a device by three keys only: group (one name,
 * or any), ownership (corporate, byod, or any; a certificate may state
 * neither) and platform (a list of os.name values, or any; a device may have
 * no os.name). Any group that no earlier rule names stands for all the
 * others, so the devices a rule can fit fall into at most 3 x 6 classes
 * (ownership x os.name or none), and within a class every rule fits all of
 * it or none of it. A rule is reported when, for each class it fits, an
 * earlier rule fits that class too: then the earlier one decides every device
 * the rule would, and the rule is never reached. This is exact: a rule not
 * reported is reached by some device. The earlier rules named are the first
 * fit of each class.
 *
 * Unused profiles. A profile that is not the quarantine-profile and that no
 * reachable allow rule names is never handed to a session.
 *
 * Facts no source states. The engine fails a check whose fact is missing.
 * What each source can state (read from the code, as the stock clients
 * send it):
 *   - the MDM inventory, when the policy names one: mdm.enrolled,
 *     passcode.set, os.name and os.version, for every platform;
 *   - the posture agent (collect.c): os.name, os.version, disk.encrypted and
 *     mdm.enrolled, on linux only (it is the Linux agent; phones run none),
 *     and only under a rule whose agent is required, since the gateway asks
 *     for a report only then (pst_policy_wants_agent); never passcode.set,
 *     device.rooted or os.patch-level (a facts file that overrides what it
 *     collects is for tests and is not counted);
 *   - the client (announced.c): os.name on every platform, and no OS version
 *     (the stock openconnect sends none on desktops and a fixed "1.0" on
 *     phones, which the engine counts as unknown);
 *   - under trust = mdm, mdm.enrolled, passcode.set, os.name and os.version
 *     count from the inventory only.
 * An allow rule whose platform check can never pass (trust = mdm without an
 * inventory: no os.name; no platform section for any platform it fits)
 * quarantines every device it matches, and nothing more is said about it.
 * Otherwise a require-* or deny-rooted key is reported when no source states
 * its fact on any platform the rule fits that has a platform section, or, for
 * a rule that lists its platforms, on some of them; a platform's min-version
 * or min-patch-level when no source states the fact on that platform under a
 * reachable allow rule that fits it. A platform a rule lists without a
 * platform section quarantines all its devices and is reported too.
 */
#include "posture/lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macros.h"

#define LINT_MSG_MAX	640
#define LINT_NAMES_MAX	400	/* bytes of a list of rule names in one message */

/* os.name values, in the loader's order; index LINT_NO_OS: none of them. */
static const char *const lint_os[] = { "ios", "android", "linux", "windows", "macos" };
#define LINT_N_OS	5
#define LINT_NO_OS	LINT_N_OS
#define LINT_ALL_OS	((1u << LINT_N_OS) - 1)
#define LINT_LINUX	(1u << 2)

/* Ownership classes: a certificate states corporate, byod or neither. */
static const enum conf_ownership lint_owners[] = {
	CONF_OWNERSHIP_ANY, CONF_OWNERSHIP_CORPORATE, CONF_OWNERSHIP_BYOD,
};

struct lint_msg {
	int line;
	size_t seq;		/* emission order, for a stable sort */
	char text[LINT_MSG_MAX];
};

struct lint {
	const struct conf_policy *p;
	const char *name;
	struct lint_msg *msg;
	size_t n, cap;
	bool oom;
	bool *reached;		/* per rule */
};

__attribute__((format(printf, 3, 4)))
static void lint_warn(struct lint *l, int line, const char *fmt, ...)
{
	struct lint_msg *m;
	va_list ap;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;

		m = reallocarray(l->msg, cap, sizeof(*m));
		if (!m) {
			l->oom = true;
			return;
		}
		l->msg = m;
		l->cap = cap;
	}
	m = &l->msg[l->n];
	m->line = line;
	m->seq = l->n++;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
}

/* ---- which devices a rule fits ---- */

static int lint_os_index(const char *name)
{
	int i;

	for (i = 0; i < LINT_N_OS; i++) {
		if (!strcmp(lint_os[i], name))
			return i;
	}
	return LINT_NO_OS;
}

/* The os.name values a rule fits, as a mask of lint_os (any: all five). */
static unsigned int lint_rule_os(const struct conf_rule *r)
{
	unsigned int mask = 0;
	size_t i;

	if (!r->n_platform)
		return LINT_ALL_OS;
	for (i = 0; i < r->n_platform; i++) {
		int k = lint_os_index(r->platform[i]);

		if (k < LINT_N_OS)
			mask |= 1u << k;
	}
	return mask;
}

/* Whether a fits the class: group g (NULL: a group no rule names), ownership
 * o, os.name os (LINT_NO_OS: none). As pst_rule_fits decides. */
static bool lint_fits(const struct conf_rule *a, const char *g, enum conf_ownership o, int os)
{
	if (a->group && (!g || strcmp(a->group, g)))
		return false;
	if (a->ownership != CONF_OWNERSHIP_ANY && a->ownership != o)
		return false;
	if (!a->n_platform)
		return true;
	return os < LINT_N_OS && (lint_rule_os(a) & (1u << os));
}

static bool lint_class_of(const struct conf_rule *r, enum conf_ownership o, int os)
{
	if (r->ownership != CONF_OWNERSHIP_ANY && r->ownership != o)
		return false;
	return !r->n_platform || (os < LINT_N_OS && (lint_rule_os(r) & (1u << os)));
}

/* The first rule before rules[k] that fits the class, or NULL. */
static const struct conf_rule *lint_first_fit(const struct conf_policy *p, size_t k,
					      enum conf_ownership o, int os)
{
	size_t i;

	for (i = 0; i < k; i++) {
		if (lint_fits(&p->rules[i], p->rules[k].group, o, os))
			return &p->rules[i];
	}
	return NULL;
}

/* Adds "'name' (line N)" to a list of names, in a sentence: "a, b and c". */
static void lint_names_add(char *buf, size_t len, size_t i, size_t n, const char *name,
			   int line)
{
	size_t used = strlen(buf);
	const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";

	if (line)
		snprintf(buf + used, len - used, "%s'%s' (line %d)", sep, name, line);
	else
		snprintf(buf + used, len - used, "%s'%s'", sep, name);
}

/* Returns how many distinct earlier rules take the classes; 0 when some
 * class reaches rule k. */
static size_t lint_shadows(const struct conf_policy *p, size_t k,
			   const struct conf_rule **by, size_t max)
{
	const struct conf_rule *a;
	size_t n = 0, i, oi;
	int os;

	for (oi = 0; oi < CM_ARRAY_SIZE(lint_owners); oi++) {
		for (os = 0; os <= LINT_NO_OS; os++) {
			if (!lint_class_of(&p->rules[k], lint_owners[oi], os))
				continue;
			a = lint_first_fit(p, k, lint_owners[oi], os);
			if (!a)
				return 0;
			for (i = 0; i < n && by[i] != a; i++)
				;
			if (i == n && n < max)
				by[n++] = a;
		}
	}
	return n;
}

/* Rules are elements of one array: their addresses are their file order. */
static int lint_rule_cmp(const void *a, const void *b)
{
	const struct conf_rule *x = *(const struct conf_rule *const *)a;
	const struct conf_rule *y = *(const struct conf_rule *const *)b;

	return x < y ? -1 : x > y;
}

static void lint_shadowed(struct lint *l)
{
	const struct conf_policy *p = l->p;
	const struct conf_rule *by[CM_ARRAY_SIZE(lint_owners) * (LINT_N_OS + 1)];
	char names[LINT_NAMES_MAX];
	size_t k, n, i;

	for (k = 0; k < p->n_rules; k++) {
		n = lint_shadows(p, k, by, CM_ARRAY_SIZE(by));
		l->reached[k] = n == 0;
		if (!n)
			continue;
		qsort(by, n, sizeof(*by), lint_rule_cmp);
		names[0] = '\0';
		for (i = 0; i < n; i++)
			lint_names_add(names, sizeof(names), i, n, by[i]->name, by[i]->line);
		lint_warn(l, p->rules[k].line, "rule '%s' can never match: rule%s %s before it "
			  "match%s every device it would", p->rules[k].name, n > 1 ? "s" : "",
			  names, n > 1 ? "" : "es");
	}
}

/* ---- profiles ---- */

static void lint_profiles(struct lint *l)
{
	const struct conf_policy *p = l->p;
	char names[LINT_NAMES_MAX];
	size_t i, k, n_dead, n_live;

	for (i = 0; i < p->n_profiles; i++) {
		const struct conf_profile *pr = &p->profiles[i];

		if (pr == p->quarantine)
			continue;
		n_dead = n_live = 0;
		for (k = 0; k < p->n_rules; k++) {
			if (p->rules[k].profile != pr)
				continue;
			if (l->reached[k])
				n_live++;
			else
				n_dead++;
		}
		if (n_live)
			continue;
		if (!n_dead) {
			lint_warn(l, pr->line, "profile '%s' is never used: no rule names it and it "
				  "is not the quarantine-profile", pr->name);
			continue;
		}
		names[0] = '\0';
		for (k = 0, n_live = 0; k < p->n_rules; k++) {
			if (p->rules[k].profile == pr)
				lint_names_add(names, sizeof(names), n_live++, n_dead,
					       p->rules[k].name, 0);
		}
		lint_warn(l, pr->line, "profile '%s' is never used: only rule%s %s, which can "
			  "never match, name%s it", pr->name, n_dead > 1 ? "s" : "", names,
			  n_dead > 1 ? "" : "s");
	}
}

/* ---- facts and their sources ---- */

static bool lint_mdm_fact(const char *fact)
{
	return !strcmp(fact, "mdm.enrolled") || !strcmp(fact, "passcode.set") ||
	       !strcmp(fact, "os.name") || !strcmp(fact, "os.version");
}

/* What the Linux posture agent collects (collect.c). */
static bool lint_agent_fact(const char *fact)
{
	return !strcmp(fact, "os.name") || !strcmp(fact, "os.version") ||
	       !strcmp(fact, "disk.encrypted") || !strcmp(fact, "mdm.enrolled");
}

/* The platforms on which some source states fact under rule r. */
static unsigned int lint_have(const struct conf_policy *p, const struct conf_rule *r,
			      const char *fact)
{
	bool mdm_only = r->trust == CONF_TRUST_MDM && lint_mdm_fact(fact);
	unsigned int have = 0;

	if (p->inventory && lint_mdm_fact(fact))
		have |= LINT_ALL_OS;
	if (mdm_only)
		return have;
	if (r->agent == CONF_AGENT_REQUIRED && lint_agent_fact(fact))
		have |= LINT_LINUX;
	if (!strcmp(fact, "os.name"))
		have |= LINT_ALL_OS;
	return have;
}

/* Why the sources that could state fact under r do not, in words. */
static void lint_why(const struct conf_policy *p, const struct conf_rule *r, const char *fact,
		     char *buf, size_t len)
{
	const char *mdm = !lint_mdm_fact(fact) ? "the MDM inventory does not state it"
			  : !p->inventory ? "the policy names no MDM inventory" : NULL;
	const char *agent;

	if (r->trust == CONF_TRUST_MDM && lint_mdm_fact(fact))
		agent = "trust = mdm takes it from the MDM inventory only";
	else if (!lint_agent_fact(fact))
		agent = "the posture agent does not report it";
	else if (r->agent == CONF_AGENT_OPTIONAL)
		agent = "the rule asks for no posture report (agent = optional)";
	else
		agent = "the posture agent runs on linux only";
	snprintf(buf, len, "%s%s%s", mdm ? mdm : "", mdm ? "; " : "", agent);
}

/* "ios, android" for a mask of platforms. */
static void lint_os_list(unsigned int mask, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < LINT_N_OS; i++) {
		if (mask & (1u << i))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 lint_os[i]);
		if (used >= len)
			break;
	}
}

/* The platforms that have a platform section. */
static unsigned int lint_sections(const struct conf_policy *p)
{
	unsigned int mask = 0;
	size_t i;

	for (i = 0; i < p->n_platforms; i++) {
		int k = lint_os_index(p->platforms[i].name);

		if (k < LINT_N_OS)
			mask |= 1u << k;
	}
	return mask;
}

/* ---- an allow rule's checks ---- */

struct lint_req {
	const char *key, *fact;
	bool (*set)(const struct conf_rule *r);
	int (*line)(const struct conf_rule *r);
};

static bool req_mdm(const struct conf_rule *r) { return r->require_mdm; }
static bool req_passcode(const struct conf_rule *r) { return r->require_passcode; }
static bool req_disk(const struct conf_rule *r) { return r->require_disk_encryption; }
static bool req_rooted(const struct conf_rule *r) { return r->deny_rooted; }
static int line_mdm(const struct conf_rule *r) { return r->lines.require_mdm; }
static int line_passcode(const struct conf_rule *r) { return r->lines.require_passcode; }
static int line_disk(const struct conf_rule *r) { return r->lines.require_disk_encryption; }
static int line_rooted(const struct conf_rule *r) { return r->lines.deny_rooted; }

static const struct lint_req lint_reqs[] = {
	{ "require-mdm", "mdm.enrolled", req_mdm, line_mdm },
	{ "require-passcode", "passcode.set", req_passcode, line_passcode },
	{ "require-disk-encryption", "disk.encrypted", req_disk, line_disk },
	{ "deny-rooted", "device.rooted", req_rooted, line_rooted },
};

static int lint_line(int key_line, const struct conf_rule *r)
{
	return key_line ? key_line : r->line;
}

/* A rule that lists platforms without a section: their devices fail the
 * platform check ("operating system ... is not allowed by the policy"). */
static void lint_rule_platforms(struct lint *l, const struct conf_rule *r)
{
	unsigned int missing = lint_rule_os(r) & ~lint_sections(l->p);
	char os[64];

	if (!r->n_platform || !missing || missing == lint_rule_os(r))
		return;
	lint_os_list(missing, os, sizeof(os));
	lint_warn(l, lint_line(r->lines.platform, r), "rule '%s': platform: %s ha%s no platform "
		  "section, so every such device this rule matches is quarantined", r->name, os,
		  missing & (missing - 1) ? "ve" : "s");
}

static void lint_rule_req(struct lint *l, const struct conf_rule *r, const struct lint_req *q,
			  unsigned int fits)
{
	unsigned int missing = fits & ~lint_have(l->p, r, q->fact);
	char why[256], os[64];

	if (!missing)
		return;
	lint_why(l->p, r, q->fact, why, sizeof(why));
	if (missing == fits) {
		lint_warn(l, lint_line(q->line(r), r), "rule '%s': %s: no source states %s (%s), "
			  "so every device this rule matches is quarantined", r->name, q->key,
			  q->fact, why);
	} else if (r->n_platform) {
		lint_os_list(missing, os, sizeof(os));
		lint_warn(l, lint_line(q->line(r), r), "rule '%s': %s: no source states %s on %s "
			  "(%s), so every such device this rule matches is quarantined", r->name,
			  q->key, q->fact, os, why);
	}
}

/*
 * Returns the platforms (with a section) whose devices the rule's checks can
 * pass, after reporting a rule that quarantines every device it matches.
 */
static unsigned int lint_rule_fits(struct lint *l, const struct conf_rule *r)
{
	unsigned int fits = lint_rule_os(r) & lint_sections(l->p);

	if (r->trust == CONF_TRUST_MDM && !l->p->inventory) {
		lint_warn(l, lint_line(r->lines.trust, r), "rule '%s': trust = mdm, but the policy "
			  "names no MDM inventory: os.name is never known, so every device this "
			  "rule matches is quarantined", r->name);
		return 0;
	}
	if (!fits) {
		lint_warn(l, lint_line(r->lines.platform, r), "rule '%s': no platform section for "
			  "any platform this rule matches, so every device it matches is "
			  "quarantined", r->name);
		return 0;
	}
	return fits;
}

static void lint_rules(struct lint *l, unsigned int *fits)
{
	const struct conf_rule *r;
	size_t k, i;

	for (k = 0; k < l->p->n_rules; k++) {
		r = &l->p->rules[k];
		fits[k] = 0;
		if (!l->reached[k] || r->action != CONF_ACTION_ALLOW)
			continue;
		fits[k] = lint_rule_fits(l, r);
		if (!fits[k])
			continue;
		lint_rule_platforms(l, r);
		for (i = 0; i < CM_ARRAY_SIZE(lint_reqs); i++) {
			if (lint_reqs[i].set(r))
				lint_rule_req(l, r, &lint_reqs[i], fits[k]);
		}
	}
}

/* ---- platform minimums ---- */

/* The rules (reachable, allow, checks can pass on os) under which no source
 * states fact on os, as "'a' (line 3) and 'b' (line 9)"; how many. */
static size_t lint_rules_without(struct lint *l, const unsigned int *fits, int os,
				 const char *fact, char *names, size_t len, bool *optional,
				 bool *trust)
{
	size_t k, n = 0, total = 0;

	names[0] = '\0';
	for (k = 0; k < l->p->n_rules; k++) {
		if ((fits[k] & (1u << os)) && !(lint_have(l->p, &l->p->rules[k], fact) &
						(1u << os)))
			total++;
	}
	for (k = 0; k < l->p->n_rules && n < total; k++) {
		const struct conf_rule *r = &l->p->rules[k];

		if (!(fits[k] & (1u << os)) || (lint_have(l->p, r, fact) & (1u << os)))
			continue;
		lint_names_add(names, len, n++, total, r->name, r->line);
		*optional |= r->agent == CONF_AGENT_OPTIONAL;
		*trust |= r->trust == CONF_TRUST_MDM;
	}
	return n;
}

static void lint_min_version(struct lint *l, const struct conf_platform *pl, int os,
			     const unsigned int *fits)
{
	char names[LINT_NAMES_MAX], agent[160];
	bool optional = false, trust = false;
	size_t n = lint_rules_without(l, fits, os, "os.version", names, sizeof(names), &optional,
				      &trust);
	bool phone = os == 0 || os == 1;

	if (!n)
		return;
	if ((1u << os) != LINT_LINUX)
		snprintf(agent, sizeof(agent), "the posture agent runs on linux only");
	else
		snprintf(agent, sizeof(agent), "%s%s%s",
			 optional ? "the rule asks for no posture report (agent = optional)" : "",
			 optional && trust ? " or " : "",
			 trust ? "trust = mdm takes it from the MDM inventory only" : "");
	lint_warn(l, pl->min_version_line ? pl->min_version_line : pl->line,
		  "platform '%s': min-version %s: no source states os.version of %s devices "
		  "under rule%s %s (%s; the policy names no MDM inventory; %s), so every %s "
		  "device %s is quarantined", pl->name, pl->min_version, pl->name,
		  n > 1 ? "s" : "", names,
		  phone ? "the stock client announces 1.0 on phones, which is no version"
			: "the stock client announces no OS version",
		  agent, pl->name, n > 1 ? "they match" : "it matches");
}

static void lint_min_patch(struct lint *l, const struct conf_platform *pl, int os,
			   const unsigned int *fits)
{
	char names[LINT_NAMES_MAX];
	bool optional = false, trust = false;
	size_t n = lint_rules_without(l, fits, os, "os.patch-level", names, sizeof(names),
				      &optional, &trust);

	if (!n)
		return;
	lint_warn(l, pl->min_patch_line ? pl->min_patch_line : pl->line,
		  "platform '%s': min-patch-level %s: no source states os.patch-level (the MDM "
		  "inventory does not state it, the stock client does not announce it and the "
		  "posture agent does not report it), so every %s device rule%s %s match%s is "
		  "quarantined", pl->name, pl->min_patch_level, pl->name, n > 1 ? "s" : "", names,
		  n > 1 ? "" : "es");
}

static void lint_platforms(struct lint *l, const unsigned int *fits)
{
	size_t i;

	for (i = 0; i < l->p->n_platforms; i++) {
		const struct conf_platform *pl = &l->p->platforms[i];
		int os = lint_os_index(pl->name);

		if (os == LINT_NO_OS)
			continue;
		if (pl->min_version)
			lint_min_version(l, pl, os, fits);
		if (pl->min_patch_level)
			lint_min_patch(l, pl, os, fits);
	}
}

/* ---- the report ---- */

static int lint_msg_cmp(const void *a, const void *b)
{
	const struct lint_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void lint_write(const struct lint *l, char *out, size_t outlen)
{
	size_t used = 0, i;
	int n;

	if (!out || !outlen)
		return;
	out[0] = '\0';
	for (i = 0; i < l->n && used + 1 < outlen; i++) {
		n = snprintf(out + used, outlen - used, "%s%s:%d: warning: %s", used ? "\n" : "",
			     l->name, l->msg[i].line, l->msg[i].text);
		if (n > 0)
			used += (size_t)n < outlen - used ? (size_t)n : outlen - used - 1;
	}
	if (l->oom && used + 1 < outlen)
		snprintf(out + used, outlen - used, "%s%s: warning: out of memory: the lint "
			 "stopped early", used ? "\n" : "", l->name);
}

size_t pst_policy_lint(const struct conf_policy *p, const char *name, char *out,
		       size_t outlen)
{
	struct lint l = { .p = p, .name = name ? name : "" };
	unsigned int *fits = NULL;
	size_t n;

	if (out && outlen)
		out[0] = '\0';
	if (!p)
		return 0;
	l.reached = calloc(p->n_rules + 1, sizeof(*l.reached));
	fits = calloc(p->n_rules + 1, sizeof(*fits));
	if (!l.reached || !fits) {
		l.oom = true;
	} else {
		lint_shadowed(&l);
		lint_profiles(&l);
		lint_rules(&l, fits);
		lint_platforms(&l, fits);
	}
	if (l.n > 1)
		qsort(l.msg, l.n, sizeof(*l.msg), lint_msg_cmp);
	lint_write(&l, out, outlen);
	n = l.n + (l.oom ? 1 : 0);
	free(l.msg);
	free(l.reached);
	free(fits);
	return n;
}
