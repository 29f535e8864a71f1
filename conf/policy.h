/* SPDX-License-Identifier: MIT */
/*
 * The posture policy as the security department writes it, loaded from a
 * libconfuse file: profiles (the networks a session may reach), platforms
 * (minimum OS version and patch level per os.name), rules (tried in order;
 * the first whose group, ownership and platform fit the device decides) and
 * the top-level quarantine profile, agent requirement, maximum report age,
 * and the MDM inventory with its maximum age.
 *
 * The inventory file is only named here (resolved against the policy's
 * directory, and checked to be a readable regular file): its content is read
 * by posture/inventory.c, which callers (the gateway, `postern-posture
 * check`) load next to the policy, so that conf/ never depends on posture/.
 *
 * The loader checks the whole file before anything uses it and reports every
 * problem as "FILE:LINE: message"; a file with any problem yields no policy,
 * so a bad edit never replaces the policy in force. The engine that applies
 * a policy to a device's facts is posture/policy.c; this file only knows the
 * model, so that conf/ depends on nothing else in the tree.
 *
 * Version numbers (min-version) are common/version.h's and dates
 * (min-patch-level) common/time.h's: the loader refuses a value it could
 * never compare, and the engine compares by the same rules.
 */
#ifndef POSTERN_CONF_POLICY_H
#define POSTERN_CONF_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/device.h"
#include "common/sha256.h"
#include "common/version.h"
#include "conf/conf.h"

#define CONF_BANNER_MAX		512	/* bytes of a profile banner */
#define CONF_NAME_MAX		64	/* profile, platform, rule and group names */

/* A rule's ownership, or a certificate's (ANY: it states none); the names are
 * the device-certificate contract's (common/device.h). */
enum conf_ownership { CONF_OWNERSHIP_ANY, CONF_OWNERSHIP_CORPORATE, CONF_OWNERSHIP_BYOD };

static inline enum conf_ownership conf_ownership_of(enum cm_ownership o)
{
	return o == CM_OWNERSHIP_BYOD ? CONF_OWNERSHIP_BYOD : CONF_OWNERSHIP_CORPORATE;
}
enum conf_action { CONF_ACTION_ALLOW, CONF_ACTION_DENY };
enum conf_agent { CONF_AGENT_REQUIRED, CONF_AGENT_OPTIONAL };
/* Which sources may satisfy the requirements on facts the MDM inventory can
 * state (mdm.enrolled, passcode.set, os.name, os.version). */
enum conf_trust { CONF_TRUST_ANY, CONF_TRUST_MDM };

struct conf_profile {
	char *name;
	struct conf_cidr *allow;	/* pushed as split-include routes, enforced by the gateway */
	size_t n_allow;
	char *banner;			/* may be NULL; printable text, "\n" allowed */
	int line;
};

/* name is an os.name value: ios, android, linux, windows or macos. */
struct conf_platform {
	char *name;
	char *min_version;		/* as written, for messages; NULL = no minimum */
	struct cm_version min;
	char *min_patch_level;		/* as written, YYYY-MM-DD; NULL = no minimum */
	int64_t min_patch_days;		/* since 1970-01-01 (cm_date_parse) */
	int line;
	int min_version_line, min_patch_line;	/* where they are set, for the lint */
};

/* Where some of a rule's keys are set (0: not set), so that the lint
 * (posture/lint.c) names the line to edit. */
struct conf_rule_lines {
	int platform, trust, require_mdm, require_passcode, require_disk_encryption, deny_rooted;
};

struct conf_rule {
	char *name;
	char *group;			/* NULL = any group */
	enum conf_ownership ownership;
	bool require_mdm;		/* mdm.enrolled = true */
	bool require_passcode;		/* passcode.set = true */
	bool require_disk_encryption;	/* disk.encrypted = true */
	bool deny_rooted;		/* device.rooted = false */
	/* The os.name values the rule fits (pointers to static names: ios,
	 * android, linux, windows, macos); none = any. A matching key, so deny
	 * rules may have it too. */
	const char **platform;
	size_t n_platform;
	enum conf_agent agent;		/* as set in the rule, else the policy's */
	enum conf_trust trust;		/* default any */
	enum conf_action action;
	/* allow: the profile a compliant device gets. A deny rule has no
	 * profile and no requirements, agent or trust (the loader refuses them):
	 * it denies on match, since quarantine would grant more than deny. */
	const struct conf_profile *profile;
	char *message;			/* deny: shown to the device; may be NULL */
	int line;
	struct conf_rule_lines lines;
};

struct conf_policy {
	char *path;			/* absolute */
	char sha256[CM_SHA256_HEX_SIZE];	/* of the file's bytes, for the audit log */
	struct conf_profile *profiles;
	size_t n_profiles;
	struct conf_platform *platforms;
	size_t n_platforms;
	struct conf_rule *rules;	/* in file order */
	size_t n_rules;
	const struct conf_profile *quarantine;	/* required */
	enum conf_agent agent;			/* default required; rules may differ */
	unsigned int max_report_age;		/* seconds, 1..86400, default 300 */
	char *inventory;			/* absolute path of the MDM export, or NULL */
	unsigned int max_inventory_age;		/* seconds, 60..2592000, default 86400 */
};

/*
 * Loads and checks the policy at path. On success returns 0 and sets *out.
 * On failure returns a negative errno and writes every problem, one
 * "FILE:LINE: message" per line, into err (NUL-terminated, truncated to
 * errlen). Never prints. Not thread-safe (libconfuse's lexer is global).
 */
int conf_policy_load(const char *path, struct conf_policy **out, char *err, size_t errlen);
void conf_policy_free(struct conf_policy *p);

const struct conf_profile *conf_policy_profile(const struct conf_policy *p, const char *name);
const struct conf_platform *conf_policy_platform(const struct conf_policy *p, const char *os_name);

#endif
