/* SPDX-License-Identifier: MIT */
/*
 * The posture policy loader. Like the gateway's, it is a libconfuse option
 * table with a check per key run while the file is parsed (so it knows the
 * line), then a pass over the sections in file order that checks what spans
 * keys (a rule's profile must exist, a deny rule has no requirements) while
 * it builds struct conf_policy. Every problem is collected as
 * "FILE:LINE: message"; a file with any problem yields no policy, so a bad
 * edit never replaces the policy in force. The file's SHA-256 goes into the
 * policy so that the audit log can say which policy decided.
 *
 * The MDM inventory the policy names is checked here only as a file (it
 * exists, is regular and can be opened): its records are read by
 * posture/inventory.c, which conf/ must not depend on; the callers load it
 * right after the policy and refuse both when it fails.
 */
#include "conf/policy.h"
#include "conf/confuse_load.h"

#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/macros.h"
#include "common/time.h"
#include "common/version.h"

/* A policy is a few kilobytes even for a large company. */
#define POL_FILE_MAX (256 * 1024)
/* A deny rule's message becomes a decision's first reason (200 bytes). */
#define POL_MESSAGE_MAX 160

static const char *const pol_platforms[] = { "ios", "android", "linux", "windows", "macos" };
/* What a deny rule must not have: it denies on match, so none would apply. */
static const char *const pol_requirements[] = {
	"require-mdm", "require-passcode", "require-disk-encryption", "deny-rooted", "agent",
	"trust",
};

static const struct conf_range pol_ranges[] = {
	{ "max-report-age", 1, 86400 },
	/* A minute to thirty days: MDM exports run hourly to daily. */
	{ "max-inventory-age", 60, 2592000 },
};

/* ---- names and text ---- */

/* Profile, rule and group names become log fields and are matched against
 * certificate groups: the certificate's grammar (common/device.h). */
_Static_assert(CONF_NAME_MAX == CM_DEVICE_ID_MAX, "names are as long as certificate groups");
static bool pol_name_ok(const char *s)
{
	return s && cm_device_id_valid(s, strlen(s));
}

#define POL_NAME_RULE "a name is 1..64 letters, digits, '.', '_' or '-', starting with a " \
		      "letter or digit"

/* Printable ASCII, and newlines where allowed: banners and messages are
 * shown on the device and written to logs. */
static bool pol_text_ok(const char *s, bool newlines)
{
	for (; *s; s++) {
		if ((*s < 0x20 || *s > 0x7e) && !(newlines && *s == '\n'))
			return false;
	}
	return true;
}

/* "rule 'corporate': " for a key in a section, "" at the top level. */
static const char *pol_where(cfg_t *cfg, char *buf, size_t len)
{
	if (cfg == conf_cur->root || !cfg->title)
		return "";
	snprintf(buf, len, "%s '%s': ", cfg->name, cfg->title);
	return buf;
}

/* ---- checks of one value ---- */
/*
 * As in the gateway loader, every check reports through conf_err_opt and
 * returns 0, so that libconfuse goes on and the user sees every problem.
 */

static int pol_check_name(cfg_t *cfg, cfg_opt_t *opt)
{
	char where[CONF_MSG_MAX / 2];

	conf_note(cfg, opt);
	if (!pol_name_ok(conf_str(opt)))
		conf_err_opt(cfg, opt, "%s%s: '%s': " POL_NAME_RULE,
			     pol_where(cfg, where, sizeof(where)), opt->name, conf_str(opt));
	return 0;
}

/* Checks that the value is one of the NULL-terminated words. */
static void pol_check_word(cfg_t *cfg, cfg_opt_t *opt, const char *const *words,
			   const char *expected)
{
	char where[CONF_MSG_MAX / 2];
	size_t i;

	conf_note(cfg, opt);
	for (i = 0; words[i]; i++) {
		if (!strcmp(conf_str(opt), words[i]))
			return;
	}
	conf_err_opt(cfg, opt, "%s%s: '%s' is not %s", pol_where(cfg, where, sizeof(where)),
		     opt->name, conf_str(opt), expected);
}

static int pol_check_agent(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const words[] = { "required", "optional", NULL };

	pol_check_word(cfg, opt, words, "required or optional");
	return 0;
}

static int pol_check_ownership(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const words[] = { "corporate", "byod", "any", NULL };

	pol_check_word(cfg, opt, words, "corporate, byod or any");
	return 0;
}

static int pol_check_trust(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const words[] = { "any", "mdm", NULL };

	pol_check_word(cfg, opt, words, "any or mdm");
	return 0;
}

static int pol_check_action(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const words[] = { "allow", "deny", NULL };

	pol_check_word(cfg, opt, words, "allow or deny");
	return 0;
}

static int pol_check_banner(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = conf_str(opt);
	char where[CONF_MSG_MAX / 2];

	conf_note(cfg, opt);
	pol_where(cfg, where, sizeof(where));
	if (!s[0])
		conf_err_opt(cfg, opt, "%sbanner: empty (leave the key out for no banner)", where);
	else if (strlen(s) > CONF_BANNER_MAX)
		conf_err_opt(cfg, opt, "%sbanner: longer than %d bytes", where, CONF_BANNER_MAX);
	else if (!pol_text_ok(s, true))
		conf_err_opt(cfg, opt, "%sbanner: only printable ASCII and newlines are allowed",
			     where);
	return 0;
}

static int pol_check_message(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = conf_str(opt);
	char where[CONF_MSG_MAX / 2];

	conf_note(cfg, opt);
	pol_where(cfg, where, sizeof(where));
	if (!s[0] || strlen(s) > POL_MESSAGE_MAX || !pol_text_ok(s, false))
		conf_err_opt(cfg, opt, "%smessage: must be 1..%d printable ASCII characters, "
			     "on one line", where, POL_MESSAGE_MAX);
	return 0;
}

static int pol_check_min_version(cfg_t *cfg, cfg_opt_t *opt)
{
	char where[CONF_MSG_MAX / 2];
	struct cm_version v;

	const char *text = conf_str(opt);
	size_t n = text ? strlen(text) : 0;

	conf_note(cfg, opt);
	/* Digits and dots only: what a device reports may carry a suffix
	 * (cm_version_parse takes "14 (build 7)"), the policy's minimum not,
	 * and the value goes into lint and log lines as it is. */
	if (text && strspn(text, "0123456789.") == n && cm_version_parse(text, &v) == 0)
		return 0;
	if (text && n <= 32 && strspn(text, "0123456789.abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ-+~ ()") == n)
		conf_err_opt(cfg, opt, "%smin-version: '%s' is not a version number (like 12 or "
			     "17.4.1)", pol_where(cfg, where, sizeof(where)), text);
	else
		conf_err_opt(cfg, opt, "%smin-version: not a version number (like 12 or 17.4.1): "
			     "only digits and dots", pol_where(cfg, where, sizeof(where)));
	return 0;
}

static int pol_check_min_patch(cfg_t *cfg, cfg_opt_t *opt)
{
	char where[CONF_MSG_MAX / 2];
	int64_t days;

	conf_note(cfg, opt);
	if (cm_date_parse(conf_str(opt), &days))
		conf_err_opt(cfg, opt, "%smin-patch-level: '%s' is not a date (YYYY-MM-DD)",
			     pol_where(cfg, where, sizeof(where)), conf_str(opt));
	return 0;
}

/*
 * The inventory must be there and readable when the policy is loaded, so
 * that a typo in its name is reported at this line; stat comes before open
 * so that a FIFO or device named by mistake is never opened.
 */
static int pol_check_inventory(cfg_t *cfg, cfg_opt_t *opt)
{
	struct stat st;
	char *abs;
	int fd;

	conf_note(cfg, opt);
	if (!conf_str(opt)[0]) {
		conf_err_opt(cfg, opt, "inventory: empty file name");
		return 0;
	}
	abs = conf_path_abs(conf_cur->dir, conf_str(opt));
	if (!abs) {
		conf_err_opt(cfg, opt, "inventory: out of memory");
		return 0;
	}
	if (cm_file_stat(abs, &st) == 0 && !S_ISREG(st.st_mode)) {
		conf_err_opt(cfg, opt, "inventory: %s is not a regular file", abs);
	} else if ((fd = cm_file_open(abs)) < 0) {
		int e = -fd;

		conf_err_opt(cfg, opt, "inventory: cannot open %s: %s", abs, strerror(e));
	} else {
		close(fd);
	}
	free(abs);
	return 0;
}

static const struct conf_check pol_checks[] = {
	{ "quarantine-profile", pol_check_name },
	{ "agent", pol_check_agent },
	{ "inventory", pol_check_inventory },
	{ "profile", conf_section_done },
	{ "profile|banner", pol_check_banner },
	{ "platform", conf_section_done },
	{ "platform|min-version", pol_check_min_version },
	{ "platform|min-patch-level", pol_check_min_patch },
	{ "rule", conf_section_done },
	{ "rule|group", pol_check_name },
	{ "rule|ownership", pol_check_ownership },
	{ "rule|action", pol_check_action },
	{ "rule|profile", pol_check_name },
	{ "rule|message", pol_check_message },
	{ "rule|agent", pol_check_agent },
	{ "rule|trust", pol_check_trust },
};

/* ---- value parsers (libconfuse calls them once per value) ---- */

/* libconfuse would take yes, on and 1 too; a policy says true or false. */
static int pol_parse_bool(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	char where[CONF_MSG_MAX / 2];

	return conf_bool_parse(cfg, opt, value, result, pol_where(cfg, where, sizeof(where)));
}

/* Prefixes are parsed per element, as the gateway's routes are (a list's
 * validator would run twice for each); a bad one is stored as NULL. */
static int pol_parse_allow(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	char why[CONF_WHY_MAX], where[CONF_MSG_MAX / 2];
	struct conf_cidr *c = NULL;
	struct conf_cidr parsed;

	conf_note(cfg, opt);
	pol_where(cfg, where, sizeof(where));
	if (conf_cidr_parse_why(value ? value : "", &parsed, why, sizeof(why)))
		conf_err_opt(cfg, opt, "%sallow: '%s': %s", where, value ? value : "", why);
	else if (!(c = malloc(sizeof(*c))))
		conf_err_opt(cfg, opt, "%sallow: out of memory", where);
	else
		*c = parsed;
	*(void **)result = c;
	return 0;
}

/* A rule's platform names are kept as pointers to pol_platforms: nothing to
 * free. An unknown name is reported and stored as NULL. */
static int pol_parse_platform(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	char where[CONF_MSG_MAX / 2];
	size_t i;

	conf_note(cfg, opt);
	*(const void **)result = NULL;
	for (i = 0; value && i < CM_ARRAY_SIZE(pol_platforms); i++) {
		if (!strcmp(value, pol_platforms[i])) {
			*(const void **)result = pol_platforms[i];
			return 0;
		}
	}
	conf_err_opt(cfg, opt, "%splatform: '%s' is not ios, android, linux, windows or macos",
		     pol_where(cfg, where, sizeof(where)), value ? value : "");
	return 0;
}

static void pol_keep(void *static_name)
{
	(void)static_name;
}

/* Required keys have no default (CFGF_NODEFAULT): unset, their size is 0. */
static cfg_opt_t pol_profile_opts[] = {
	CFG_PTR_LIST_CB("allow", NULL, CFGF_NONE, pol_parse_allow, free),
	CFG_STR("banner", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static cfg_opt_t pol_platform_opts[] = {
	CFG_STR("min-version", NULL, CFGF_NODEFAULT),
	CFG_STR("min-patch-level", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static cfg_opt_t pol_rule_opts[] = {
	CFG_STR("group", NULL, CFGF_NODEFAULT),
	CFG_STR("ownership", "any", CFGF_NONE),
	CFG_BOOL_CB("require-mdm", cfg_false, CFGF_NONE, pol_parse_bool),
	CFG_BOOL_CB("require-passcode", cfg_false, CFGF_NONE, pol_parse_bool),
	CFG_BOOL_CB("require-disk-encryption", cfg_false, CFGF_NONE, pol_parse_bool),
	CFG_BOOL_CB("deny-rooted", cfg_false, CFGF_NONE, pol_parse_bool),
	CFG_PTR_LIST_CB("platform", NULL, CFGF_NODEFAULT, pol_parse_platform, pol_keep),
	CFG_STR("agent", NULL, CFGF_NODEFAULT),
	CFG_STR("trust", "any", CFGF_NONE),
	CFG_STR("action", NULL, CFGF_NODEFAULT),
	CFG_STR("profile", NULL, CFGF_NODEFAULT),
	CFG_STR("message", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static cfg_opt_t pol_opts[] = {
	CFG_STR("quarantine-profile", NULL, CFGF_NODEFAULT),
	CFG_STR("agent", "required", CFGF_NONE),
	CFG_INT_CB("max-report-age", 300, CFGF_NONE, conf_parse_uint),
	CFG_STR("inventory", NULL, CFGF_NODEFAULT),
	CFG_INT_CB("max-inventory-age", 86400, CFGF_NONE, conf_parse_uint),
	CFG_SEC("profile", pol_profile_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_SEC("platform", pol_platform_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_SEC("rule", pol_rule_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_END()
};

static const struct conf_schema pol_schema = {
	.opts = pol_opts,
	.checks = pol_checks,
	.n_checks = CM_ARRAY_SIZE(pol_checks),
	.ranges = pol_ranges,
	.n_ranges = CM_ARRAY_SIZE(pol_ranges),
};

/* ---- building the policy, with the checks across keys ---- */

static bool pol_is(const struct conf_section *s, const char *kind)
{
	return s->cfg && !strcmp(s->opt->name, kind);
}

static const char *pol_title(const struct conf_section *s)
{
	const char *t = cfg_title(s->cfg);

	return t ? t : "";
}

/* The section's title as a name; a bad one is reported but still used, so
 * that rules naming it do not add errors of their own. */
static int pol_section_name(struct conf_load *ld, const struct conf_section *s, char **name)
{
	if (!pol_name_ok(pol_title(s)))
		conf_err(ld, s->line, "%s '%s': " POL_NAME_RULE, s->opt->name, pol_title(s));
	return conf_dup(name, pol_title(s));
}

static int pol_build_allow(struct conf_load *ld, const struct conf_section *s,
			   struct conf_profile *pr)
{
	unsigned int i, n = cfg_size(s->cfg, "allow");
	const struct conf_cidr *c;

	if (n == 0 && !conf_key_bad(&s->keys, s->cfg, "allow"))
		conf_err(ld, s->line, "profile '%s': no allow list (name at least one prefix "
			 "the profile reaches)", pr->name);
	if (n > CONF_ROUTES_MAX)
		conf_err(ld, s->line, "profile '%s': allow: %u prefixes, more than the %d a client "
			 "can be sent", pr->name, n, CONF_ROUTES_MAX);
	if (n && !(pr->allow = calloc(n, sizeof(*pr->allow))))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		c = cfg_getnptr(s->cfg, "allow", i);
		if (c)
			pr->allow[pr->n_allow++] = *c;
	}
	return 0;
}

static int pol_build_profile(struct conf_load *ld, const struct conf_section *s,
			     struct conf_profile *pr)
{
	int ret = pol_section_name(ld, s, &pr->name);

	pr->line = s->line;
	if (!ret)
		ret = pol_build_allow(ld, s, pr);
	if (!ret)
		ret = conf_dup(&pr->banner, cfg_getstr(s->cfg, "banner"));
	return ret;
}

static bool pol_platform_known(const char *name)
{
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(pol_platforms); i++) {
		if (!strcmp(name, pol_platforms[i]))
			return true;
	}
	return false;
}

/* Values refused by their checks are left out: the load fails anyway. */
static int pol_build_platform(struct conf_load *ld, const struct conf_section *s,
			      struct conf_platform *pl)
{
	const char *v = cfg_getstr(s->cfg, "min-version");
	const char *d = cfg_getstr(s->cfg, "min-patch-level");

	pl->line = s->line;
	pl->min_version_line = conf_key_line(&s->keys, s->cfg, "min-version");
	pl->min_patch_line = conf_key_line(&s->keys, s->cfg, "min-patch-level");
	if (!pol_platform_known(pol_title(s)))
		conf_err(ld, s->line, "platform '%s': not one of ios, android, linux, windows, "
			 "macos", pol_title(s));
	if (v && cm_version_parse(v, &pl->min) == 0 && conf_dup(&pl->min_version, v))
		return -ENOMEM;
	if (d && cm_date_parse(d, &pl->min_patch_days) == 0 &&
	    conf_dup(&pl->min_patch_level, d))
		return -ENOMEM;
	return conf_dup(&pl->name, pol_title(s));
}

static enum conf_ownership pol_ownership(const char *s)
{
	enum cm_ownership o;

	if (cm_ownership_parse(s, strlen(s), &o))
		return CONF_OWNERSHIP_ANY;
	return conf_ownership_of(o);
}

/* A deny rule denies on match: a profile or a requirement would suggest it
 * grants something when it holds, which it never does. */
static void pol_check_deny(struct conf_load *ld, const struct conf_section *s,
			   const struct conf_rule *r)
{
	int line = conf_key_line(&s->keys, s->cfg, "profile");
	size_t i;

	if (line)
		conf_err(ld, line, "rule '%s': profile: a deny rule has no profile (deny rules "
			 "deny on match)", r->name);
	for (i = 0; i < CM_ARRAY_SIZE(pol_requirements); i++) {
		line = conf_key_line(&s->keys, s->cfg, pol_requirements[i]);
		if (line)
			conf_err(ld, line, "rule '%s': %s: a deny rule has no requirements (deny "
				 "rules deny on match)", r->name, pol_requirements[i]);
	}
}

static void pol_check_allow(struct conf_load *ld, const struct conf_section *s,
			    const struct conf_policy *p, struct conf_rule *r)
{
	const char *name = cfg_getstr(s->cfg, "profile");
	int line = conf_key_line(&s->keys, s->cfg, "message");

	if (line)
		conf_err(ld, line, "rule '%s': message: only a deny rule has a message (an allow "
			 "rule's reasons come from its checks)", r->name);
	if (!name) {
		conf_err(ld, s->line, "rule '%s': an allow rule needs a profile", r->name);
		return;
	}
	r->profile = conf_policy_profile(p, name);
	if (!r->profile && !conf_key_bad(&s->keys, s->cfg, "profile"))
		conf_err(ld, conf_key_line(&s->keys, s->cfg, "profile"),
			 "rule '%s': profile: no profile named '%s'", r->name, name);
}

static void pol_rule_lines(const struct conf_section *s, struct conf_rule_lines *l)
{
	l->platform = conf_key_line(&s->keys, s->cfg, "platform");
	l->trust = conf_key_line(&s->keys, s->cfg, "trust");
	l->require_mdm = conf_key_line(&s->keys, s->cfg, "require-mdm");
	l->require_passcode = conf_key_line(&s->keys, s->cfg, "require-passcode");
	l->require_disk_encryption = conf_key_line(&s->keys, s->cfg, "require-disk-encryption");
	l->deny_rooted = conf_key_line(&s->keys, s->cfg, "deny-rooted");
}

/* A rule without its own agent key takes the policy's (set before the rules
 * are built, wherever the key is in the file). */
static void pol_rule_flags(cfg_t *sec, const struct conf_policy *p, struct conf_rule *r)
{
	const char *agent = cfg_getstr(sec, "agent");
	const char *trust = cfg_getstr(sec, "trust");

	r->ownership = pol_ownership(cfg_getstr(sec, "ownership"));
	r->require_mdm = cfg_getbool(sec, "require-mdm");
	r->require_passcode = cfg_getbool(sec, "require-passcode");
	r->require_disk_encryption = cfg_getbool(sec, "require-disk-encryption");
	r->deny_rooted = cfg_getbool(sec, "deny-rooted");
	r->trust = trust && !strcmp(trust, "mdm") ? CONF_TRUST_MDM : CONF_TRUST_ANY;
	if (!agent)
		r->agent = p->agent;
	else
		r->agent = strcmp(agent, "optional") ? CONF_AGENT_REQUIRED : CONF_AGENT_OPTIONAL;
}

/*
 * Names refused while parsing are NULL and left out: the load fails anyway.
 * libconfuse calls nothing for "platform = {}", so an empty list is found
 * here, by the flag it leaves, and reported at the rule's line: a list that
 * names no platform would fit none, which is surely not what was meant.
 */
static int pol_rule_platforms(struct conf_load *ld, const struct conf_section *s,
			      struct conf_rule *r)
{
	unsigned int i, n = cfg_size(s->cfg, "platform");
	const char *name;
	size_t k;

	if (n == 0 && (cfg_getopt(s->cfg, "platform")->flags & CFGF_MODIFIED))
		conf_err(ld, s->line, "rule '%s': platform: empty list (leave the key out to fit "
			 "every platform)", r->name);

	if (n && !(r->platform = calloc(n, sizeof(*r->platform))))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		name = cfg_getnptr(s->cfg, "platform", i);
		if (!name)
			continue;
		for (k = 0; k < r->n_platform && r->platform[k] != name; k++)
			;
		if (k < r->n_platform)
			conf_err(ld, conf_key_line(&s->keys, s->cfg, "platform"),
				 "rule '%s': platform: '%s' is listed twice", r->name, name);
		else
			r->platform[r->n_platform++] = name;
	}
	return 0;
}

static int pol_build_rule(struct conf_load *ld, const struct conf_section *s,
			  const struct conf_policy *p, struct conf_rule *r)
{
	const char *action = cfg_getstr(s->cfg, "action");
	int ret = pol_section_name(ld, s, &r->name);

	r->line = s->line;
	if (!ret)
		ret = conf_dup(&r->group, cfg_getstr(s->cfg, "group"));
	if (!ret)
		ret = conf_dup(&r->message, cfg_getstr(s->cfg, "message"));
	if (!ret)
		ret = pol_rule_platforms(ld, s, r);
	if (ret)
		return ret;
	pol_rule_flags(s->cfg, p, r);
	pol_rule_lines(s, &r->lines);
	r->action = action && !strcmp(action, "deny") ? CONF_ACTION_DENY : CONF_ACTION_ALLOW;
	if (!action)
		conf_err(ld, s->line, "rule '%s': missing required key 'action'", r->name);
	else if (conf_key_bad(&s->keys, s->cfg, "action"))
		return 0;
	else if (r->action == CONF_ACTION_DENY)
		pol_check_deny(ld, s, r);
	else
		pol_check_allow(ld, s, p, r);
	return 0;
}

/* Arrays are sized before anything points into them: rules keep pointers
 * to profiles. */
static int pol_alloc(cfg_t *cfg, struct conf_policy *p)
{
	unsigned int np = cfg_size(cfg, "profile"), nl = cfg_size(cfg, "platform");
	unsigned int nr = cfg_size(cfg, "rule");

	if (np && !(p->profiles = calloc(np, sizeof(*p->profiles))))
		return -ENOMEM;
	if (nl && !(p->platforms = calloc(nl, sizeof(*p->platforms))))
		return -ENOMEM;
	if (nr && !(p->rules = calloc(nr, sizeof(*p->rules))))
		return -ENOMEM;
	return 0;
}

/*
 * Profiles and platforms first, so that a rule may name a profile defined
 * further down. The counts cannot run past the arrays: a section is only in
 * ld->sec with a cfg while libconfuse holds it. Should the comment pass and
 * libconfuse ever disagree on the sections, a section would be missing from
 * ld->sec: the counts are compared so that such a policy is refused rather
 * than loaded without a rule.
 */
static int pol_build_sections(struct conf_load *ld, cfg_t *cfg, struct conf_policy *p)
{
	size_t i;
	int ret = pol_alloc(cfg, p);

	for (i = 0; !ret && i < ld->n_sec; i++) {
		if (pol_is(&ld->sec[i], "profile"))
			ret = pol_build_profile(ld, &ld->sec[i], &p->profiles[p->n_profiles++]);
		else if (pol_is(&ld->sec[i], "platform"))
			ret = pol_build_platform(ld, &ld->sec[i], &p->platforms[p->n_platforms++]);
	}
	for (i = 0; !ret && i < ld->n_sec; i++) {
		if (pol_is(&ld->sec[i], "rule"))
			ret = pol_build_rule(ld, &ld->sec[i], p, &p->rules[p->n_rules++]);
	}
	if (!ret && p->n_rules == 0)
		conf_err(ld, 0, "no rule: a policy needs at least one rule");
	if (!ret && !ld->n_errors && (p->n_profiles != cfg_size(cfg, "profile") ||
				      p->n_platforms != cfg_size(cfg, "platform") ||
				      p->n_rules != cfg_size(cfg, "rule")))
		conf_err(ld, 0, "cannot tell where each section starts (a bug): refused");
	return ret;
}

/* The top-level settings come first: rules inherit the agent requirement. */
static int pol_build_settings(struct conf_load *ld, cfg_t *cfg, struct conf_policy *p)
{
	const char *agent = cfg_getstr(cfg, "agent");
	const char *inventory = cfg_getstr(cfg, "inventory");

	p->agent = agent && !strcmp(agent, "optional") ? CONF_AGENT_OPTIONAL : CONF_AGENT_REQUIRED;
	p->max_report_age = (unsigned int)cfg_getint(cfg, "max-report-age");
	p->max_inventory_age = (unsigned int)cfg_getint(cfg, "max-inventory-age");
	if (inventory && inventory[0] && !conf_key_bad(&ld->top, cfg, "inventory")) {
		p->inventory = conf_path_abs(ld->dir, inventory);
		if (!p->inventory)
			return -ENOMEM;
	}
	return 0;
}

static void pol_build_quarantine(struct conf_load *ld, cfg_t *cfg, struct conf_policy *p)
{
	const char *q = cfg_getstr(cfg, "quarantine-profile");

	if (!q) {
		conf_err(ld, 0, "missing required key 'quarantine-profile'");
		return;
	}
	p->quarantine = conf_policy_profile(p, q);
	if (!p->quarantine && !conf_key_bad(&ld->top, cfg, "quarantine-profile"))
		conf_err(ld, conf_key_line(&ld->top, cfg, "quarantine-profile"),
			 "quarantine-profile: no profile named '%s'", q);
}

static int pol_build(struct conf_load *ld, cfg_t *cfg, const char *sha256,
		     struct conf_policy **out)
{
	struct conf_policy *p = calloc(1, sizeof(*p));
	int ret = p ? 0 : -ENOMEM;

	if (!ret)
		ret = pol_build_settings(ld, cfg, p);
	if (!ret)
		ret = pol_build_sections(ld, cfg, p);
	if (!ret) {
		pol_build_quarantine(ld, cfg, p);
		memcpy(p->sha256, sha256, sizeof(p->sha256));
		p->path = conf_path_abs(ld->dir, ld->base);
		ret = p->path ? 0 : -ENOMEM;
	}
	if (ret)
		conf_err(ld, 0, "cannot build the policy: %s", strerror(-ret));
	else if (ld->n_errors)
		ret = -EINVAL;
	if (ret)
		conf_policy_free(p);
	else
		*out = p;
	return ret;
}

/* ---- the interface ---- */

int conf_policy_load(const char *path, struct conf_policy **out, char *err, size_t errlen)
{
	struct conf_load ld = { .path = path ? path : "", .err = err, .errlen = errlen };
	char *text = NULL, sha256[CM_SHA256_HEX_SIZE] = "";
	size_t len = 0;
	cfg_t *cfg = NULL;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	ret = conf_load_read(&ld, POL_FILE_MAX, &text, &len);
	/* The hash is of the bytes as read, before the comment pass blanks them. */
	if (!ret && cm_sha256_hex(text, len, sha256)) {
		conf_err(&ld, 0, "cannot compute the file's SHA-256");
		ret = -EIO;
	}
	if (!ret)
		ret = conf_load_parse(&ld, &pol_schema, text, len, &cfg);
	if (!ret)
		ret = pol_build(&ld, cfg, sha256, out);
	cfg_free(cfg);
	free(text);
	conf_load_done(&ld);
	return ret;
}

static void pol_profile_free(struct conf_profile *pr)
{
	free(pr->name);
	free(pr->allow);
	free(pr->banner);
}

static void pol_platform_free(struct conf_platform *pl)
{
	free(pl->name);
	free(pl->min_version);
	free(pl->min_patch_level);
}

static void pol_rule_free(struct conf_rule *r)
{
	free(r->name);
	free(r->group);
	free(r->message);
	free(r->platform);
}

void conf_policy_free(struct conf_policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_profiles; i++)
		pol_profile_free(&p->profiles[i]);
	for (i = 0; i < p->n_platforms; i++)
		pol_platform_free(&p->platforms[i]);
	for (i = 0; i < p->n_rules; i++)
		pol_rule_free(&p->rules[i]);
	free(p->profiles);
	free(p->platforms);
	free(p->rules);
	free(p->path);
	free(p->inventory);
	free(p);
}

const struct conf_profile *conf_policy_profile(const struct conf_policy *p, const char *name)
{
	size_t i;

	for (i = 0; p && name && i < p->n_profiles; i++) {
		if (p->profiles[i].name && !strcmp(p->profiles[i].name, name))
			return &p->profiles[i];
	}
	return NULL;
}

const struct conf_platform *conf_policy_platform(const struct conf_policy *p, const char *os_name)
{
	size_t i;

	for (i = 0; p && os_name && i < p->n_platforms; i++) {
		if (p->platforms[i].name && !strcmp(p->platforms[i].name, os_name))
			return &p->platforms[i];
	}
	return NULL;
}
