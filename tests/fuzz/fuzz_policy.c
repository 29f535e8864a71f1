/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the posture policy loader (libconfuse plus our comment
 * pass, section bookkeeping and checks). Each input is written to one file per
 * process (in memory: tests/fuzz/fuzz_tmp.h) and loaded. The target checks the
 * loader's contract: success exactly when a policy comes back with an empty
 * err; then the policy holds what the engine relies on (a quarantine profile,
 * at least one rule, every allow rule's profile one of the policy's own, deny
 * rules without profile, requirements or trust, rule platforms among the five
 * OS names and each listed once, an inventory path that is absolute, names and
 * values within their grammar and ranges); failure with every err line naming
 * the file. The same input, as a string, also goes through the version and
 * date parsers and the platforms' version floors (posture/platform.c). A
 * policy that loads is linted (posture/lint.c): every finding is one line
 * naming the file, and a small buffer cuts the output without overrunning it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/time.h"
#include "common/version.h"
#include "conf/policy.h"
#include "posture/lint.h"
#include "posture/posture.h"
#include "tests/fuzz/fuzz_tmp.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

static char fuzz_dir[FUZZ_TMP_MAX];
static char fuzz_path[FUZZ_TMP_MAX + 32];
static int fuzz_fd = -1;

static void fuzz_cleanup(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

static void fuzz_setup(void)
{
	fuzz_tmpdir(fuzz_dir, "policy");
	atexit(fuzz_cleanup);
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/policy.conf", fuzz_dir);
	fuzz_fd = open(fuzz_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_ASSERT(fuzz_fd >= 0);
}

static void check_lint(const struct conf_policy *p)
{
	static char out[PST_LINT_MAX];
	char small[64];
	size_t n = pst_policy_lint(p, fuzz_path, out, sizeof(out)), lines = out[0] ? 1 : 0;

	for (const char *c = out; *c; c++)
		lines += *c == '\n';
	FUZZ_ASSERT(lines <= n);
	FUZZ_ASSERT(!out[0] || !strncmp(out, fuzz_path, strlen(fuzz_path)));
	FUZZ_ASSERT(pst_policy_lint(p, fuzz_path, small, sizeof(small)) == n);
	FUZZ_ASSERT(strlen(small) < sizeof(small));
}

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > CONF_NAME_MAX || s[0] == '.' || s[0] == '_' || s[0] == '-')
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789._-") == n;
}

static bool points_into(const struct conf_policy *p, const struct conf_profile *pr)
{
	return pr && pr >= p->profiles && pr < p->profiles + p->n_profiles;
}

static void check_profiles(const struct conf_policy *p)
{
	const struct conf_profile *pr;
	size_t i, k;

	for (i = 0; i < p->n_profiles; i++) {
		pr = &p->profiles[i];
		FUZZ_ASSERT(name_ok(pr->name) && pr->n_allow >= 1 && pr->allow && pr->line > 0);
		FUZZ_ASSERT(!pr->banner ||
			    (pr->banner[0] && strlen(pr->banner) <= CONF_BANNER_MAX));
		for (k = 0; k < pr->n_allow; k++)
			FUZZ_ASSERT(pr->allow[k].family == AF_INET || pr->allow[k].family == AF_INET6);
		for (k = 0; k < i; k++)
			FUZZ_ASSERT(strcmp(p->profiles[k].name, pr->name));
	}
}

static void check_platforms(const struct conf_policy *p)
{
	static const char *const os[] = { "ios", "android", "linux", "windows", "macos" };
	const struct conf_platform *pl;
	struct cm_version v;
	size_t i, k;
	int64_t days;

	for (i = 0; i < p->n_platforms; i++) {
		pl = &p->platforms[i];
		for (k = 0; k < 5 && strcmp(pl->name, os[k]); k++)
			;
		FUZZ_ASSERT(k < 5 && conf_policy_platform(p, pl->name) == pl);
		FUZZ_ASSERT(!pl->min_version || (cm_version_parse(pl->min_version, &v) == 0 &&
						 cm_version_cmp(&v, &pl->min) == 0));
		FUZZ_ASSERT(!pl->min_patch_level ||
			    (cm_date_parse(pl->min_patch_level, &days) == 0 &&
			     days == pl->min_patch_days));
	}
}

static void check_rule_platforms(const struct conf_rule *r)
{
	static const char *const os[] = { "ios", "android", "linux", "windows", "macos" };
	size_t i, k;

	FUZZ_ASSERT(r->n_platform <= 5 && (r->n_platform == 0 || r->platform));
	for (i = 0; i < r->n_platform; i++) {
		for (k = 0; k < 5 && strcmp(r->platform[i], os[k]); k++)
			;
		FUZZ_ASSERT(k < 5);
		for (k = 0; k < i; k++)
			FUZZ_ASSERT(strcmp(r->platform[k], r->platform[i]));
	}
}

static void check_rules(const struct conf_policy *p)
{
	const struct conf_rule *r;
	size_t i, k;

	FUZZ_ASSERT(p->n_rules >= 1);
	for (i = 0; i < p->n_rules; i++) {
		r = &p->rules[i];
		FUZZ_ASSERT(name_ok(r->name) && (!r->group || name_ok(r->group)));
		if (r->action == CONF_ACTION_ALLOW) {
			FUZZ_ASSERT(points_into(p, r->profile) && !r->message);
		} else {
			FUZZ_ASSERT(r->action == CONF_ACTION_DENY && !r->profile);
			FUZZ_ASSERT(!r->require_mdm && !r->require_passcode &&
				    !r->require_disk_encryption && !r->deny_rooted);
			FUZZ_ASSERT(r->trust == CONF_TRUST_ANY && r->agent == p->agent);
			FUZZ_ASSERT(!r->message || (r->message[0] && !strchr(r->message, '\n')));
		}
		FUZZ_ASSERT(r->agent == CONF_AGENT_REQUIRED || r->agent == CONF_AGENT_OPTIONAL);
		FUZZ_ASSERT(r->trust == CONF_TRUST_ANY || r->trust == CONF_TRUST_MDM);
		check_rule_platforms(r);
		for (k = 0; k < i; k++)
			FUZZ_ASSERT(strcmp(p->rules[k].name, r->name));
	}
}

static void check_policy(const struct conf_policy *p)
{
	size_t i;

	FUZZ_ASSERT(!strcmp(p->path, fuzz_path));
	FUZZ_ASSERT(strlen(p->sha256) == 64 && strspn(p->sha256, "0123456789abcdef") == 64);
	FUZZ_ASSERT(points_into(p, p->quarantine));
	FUZZ_ASSERT(p->agent == CONF_AGENT_REQUIRED || p->agent == CONF_AGENT_OPTIONAL);
	FUZZ_ASSERT(p->max_report_age >= 1 && p->max_report_age <= 86400);
	FUZZ_ASSERT(p->max_inventory_age >= 60 && p->max_inventory_age <= 2592000);
	FUZZ_ASSERT(!p->inventory || p->inventory[0] == '/');
	check_profiles(p);
	check_platforms(p);
	check_rules(p);
	for (i = 0; i < p->n_profiles; i++)
		FUZZ_ASSERT(conf_policy_profile(p, p->profiles[i].name) == &p->profiles[i]);
}

/* Every line of err starts with the file name and a colon. */
static void check_err(const char *err, size_t len)
{
	size_t plen = strlen(fuzz_path);
	const char *l;

	FUZZ_ASSERT(memchr(err, '\0', len) != NULL);
	FUZZ_ASSERT(err[0] != '\0');
	for (l = err; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		/* The last line may be cut short by the buffer's end. */
		if (strlen(l) < plen + 1)
			FUZZ_ASSERT(!strncmp(l, fuzz_path, strlen(l)));
		else
			FUZZ_ASSERT(!strncmp(l, fuzz_path, plen) && l[plen] == ':');
	}
}

/* A version compares equal to itself and to itself with ".0" added; only
 * a version is one a device can be running, and on Android only from 4.0. */
static void check_version(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size), *more;
	struct cm_version v, w;
	int64_t days;
	bool ok;

	FUZZ_ASSERT(text != NULL);
	ok = cm_version_parse(text, &v) == 0;
	FUZZ_ASSERT(pst_version_possible("linux", text) == ok);
	FUZZ_ASSERT(!pst_version_possible("android", text) || (ok && v.part[0] >= 4));
	if (ok) {
		FUZZ_ASSERT(v.n >= 1 && v.n <= CM_VERSION_PARTS);
		FUZZ_ASSERT(cm_version_cmp(&v, &v) == 0);
		if (v.n < CM_VERSION_PARTS && strcspn(text, "-+~ ") == strlen(text) &&
		    asprintf(&more, "%s.0", text) > 0) {
			FUZZ_ASSERT(cm_version_parse(more, &w) == 0 &&
				    cm_version_cmp(&v, &w) == 0);
			free(more);
		}
	}
	if (cm_date_parse(text, &days) == 0)
		FUZZ_ASSERT(strlen(text) == 10 && days >= -25567 && days <= 2932896);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_policy *p = NULL;
	char err[1024];
	int ret;

	if (fuzz_fd < 0)
		fuzz_setup();
	fuzz_tmp_write(fuzz_fd, data, size);
	ret = conf_policy_load(fuzz_path, &p, err, sizeof(err));
	FUZZ_ASSERT((ret == 0) == (p != NULL));
	FUZZ_ASSERT(ret <= 0);
	if (p) {
		FUZZ_ASSERT(err[0] == '\0');
		check_policy(p);
		check_lint(p);
	} else {
		check_err(err, sizeof(err));
	}
	conf_policy_free(p);
	check_version(data, size);
	return 0;
}
