/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the posture policy loader (conf/policy_conf.c): the shipped
 * sample loads as it is; a file's values, defaults and SHA-256 come through;
 * and each kind of mistake is reported once, as FILE:LINE with the line of
 * the offending key or section, with every problem of a file in one run and
 * no policy at all. Each policy is written to its own mkstemp file.
 */
#include "conf/policy.h"
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[PATH_MAX];	/* the policy file of the case running */

static void write_policy(const char *text, size_t len)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/postern-test-policy.XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ_INT(write(fd, text, len), (long long)len);
	close(fd);
}

/* Writes text to a new file and loads it; the file stays for sha256sum. */
static int load(const char *text, struct conf_policy **p, char *err, size_t errlen)
{
	write_policy(text, strlen(text));
	return conf_policy_load(path, p, err, errlen);
}

static int load_and_remove(const char *text, struct conf_policy **p, char *err, size_t errlen)
{
	int ret = load(text, p, err, errlen);

	unlink(path);
	return ret;
}

/* True when err has a line "PATH:LINE: ..." (or "PATH: ..." for line 0)
 * that contains needle. */
static bool err_has(const char *err, int line, const char *needle)
{
	char prefix[PATH_MAX + 32], *copy = strdup(err), *save = NULL, *l;
	bool found = false;

	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	for (l = strtok_r(copy, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save))
		found = !strncmp(l, prefix, strlen(prefix)) && strstr(l, needle);
	free(copy);
	if (!found)
		printf("# no '%s...%s' in:\n# %s\n", prefix, needle, err);
	return found;
}

static int err_lines(const char *err)
{
	int n = err[0] ? 1 : 0;

	for (; *err; err++)
		n += *err == '\n';
	return n;
}

/* A policy that loads; cases add a line or replace a part. */
#define HEAD	"quarantine-profile = \"remediation\"\n"			/* 1 */ \
		"profile remediation { allow = { \"198.18.3.0/24\" } }\n"	/* 2 */
#define RULE	"rule r { action = \"allow\"\n profile = \"remediation\" }\n"

/* Loads a bad policy and checks the single error it must produce. */
static void expect_error(const char *text, int line, const char *needle)
{
	struct conf_policy *p = (struct conf_policy *)1;
	char err[4096];

	CHECK_EQ_INT(load_and_remove(text, &p, err, sizeof(err)), -EINVAL);
	CHECK(p == NULL);
	CHECK(err_has(err, line, needle));
	if (err_lines(err) != 1) {
		printf("# expected one error, got:\n# %s\n", err);
		CHECK(0);
	}
}

/* ---- good files ---- */

static char *read_text(const char *name, size_t *len)
{
	FILE *f = fopen(name, "r");
	char *buf = malloc(65536);

	*len = 0;
	if (f && buf)
		*len = fread(buf, 1, 65535, f);
	if (f)
		fclose(f);
	if (buf)
		buf[*len] = '\0';
	return buf;
}

/* The hash sha256sum(1) prints for the file at path. */
static void sha256sum(char hex[65])
{
	char cmd[PATH_MAX + 32];
	FILE *f;

	hex[0] = '\0';
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fscanf(f, "%64s", hex) == 1);
	pclose(f);
}

static void check_cidr(const struct conf_cidr *c, const char *want)
{
	char buf[64];

	CHECK_EQ_INT(conf_cidr_format(c, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, want);
}

/* The sample shipped to users loads as it is and says what it promises. */
static void test_sample(void)
{
	struct conf_policy *p = NULL;
	const struct conf_platform *pl;
	char err[4096], hex[65];
	size_t len;
	char *text = read_text("conf/policy.conf", &len);

	CHECK(text && len > 0);
	if (!text)
		return;
	CHECK_EQ_INT(load(text, &p, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	free(text);
	if (!p) {
		unlink(path);
		return;
	}
	sha256sum(hex);
	CHECK_EQ_STR(p->sha256, hex);
	CHECK_EQ_STR(p->path, path);
	CHECK_EQ_STR(p->quarantine->name, "remediation");
	CHECK_EQ_INT(p->agent, CONF_AGENT_REQUIRED);
	CHECK_EQ_INT(p->max_report_age, 300);
	CHECK_EQ_INT(p->n_profiles, 3);
	CHECK(conf_policy_profile(p, "internal") && conf_policy_profile(p, "mail"));
	check_cidr(&conf_policy_profile(p, "internal")->allow[0], "198.18.2.0/24");
	check_cidr(&conf_policy_profile(p, "internal")->allow[1], "fd00:2::/64");
	CHECK_EQ_STR(conf_policy_profile(p, "internal")->banner, "Connected to internal systems.");
	CHECK(strchr(p->quarantine->banner, '\n') != NULL);
	CHECK_EQ_INT(p->n_platforms, 5);
	pl = conf_policy_platform(p, "android");
	CHECK(pl && pl->min_version && pl->min_patch_level);
	CHECK(conf_policy_platform(p, "ios") && conf_policy_platform(p, "linux") &&
	      conf_policy_platform(p, "windows") && conf_policy_platform(p, "macos"));
	CHECK_EQ_INT(p->n_rules, 4);
	if (p->n_rules == 4) {
		CHECK_EQ_INT(p->rules[0].action, CONF_ACTION_DENY);
		CHECK(p->rules[0].message && !p->rules[0].profile);
		CHECK_EQ_STR(p->rules[1].name, "corporate");
		CHECK(p->rules[1].require_mdm && p->rules[1].require_passcode &&
		      p->rules[1].require_disk_encryption && p->rules[1].deny_rooted);
		CHECK_EQ_INT(p->rules[1].ownership, CONF_OWNERSHIP_CORPORATE);
		CHECK(p->rules[1].profile == conf_policy_profile(p, "internal"));
		CHECK_EQ_INT(p->rules[2].ownership, CONF_OWNERSHIP_BYOD);
		CHECK(p->rules[2].profile == conf_policy_profile(p, "mail"));
		CHECK(p->rules[2].require_passcode && !p->rules[2].require_mdm);
	}
	conf_policy_free(p);
	conf_policy_free(NULL);
	unlink(path);
}

static void test_defaults(void)
{
	struct conf_policy *p = NULL;
	char err[1024];

	CHECK_EQ_INT(load_and_remove(HEAD RULE, &p, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (!p)
		return;
	CHECK_EQ_INT(p->agent, CONF_AGENT_REQUIRED);
	CHECK_EQ_INT(p->max_report_age, 300);
	CHECK_EQ_INT(p->n_platforms, 0);
	CHECK_EQ_INT(p->n_rules, 1);
	CHECK(p->rules[0].group == NULL);
	CHECK_EQ_INT(p->rules[0].ownership, CONF_OWNERSHIP_ANY);
	CHECK(!p->rules[0].require_mdm && !p->rules[0].require_passcode &&
	      !p->rules[0].require_disk_encryption && !p->rules[0].deny_rooted);
	CHECK_EQ_INT(p->rules[0].action, CONF_ACTION_ALLOW);
	CHECK(p->rules[0].message == NULL);
	CHECK(p->quarantine->banner == NULL);
	CHECK_EQ_INT(p->rules[0].line, 3);
	CHECK_EQ_INT(p->quarantine->line, 2);
	CHECK(p->path[0] == '/');
	conf_policy_free(p);
}

static void test_all_keys(void)
{
	static const char text[] =
		"# every key\n"
		"agent = \"optional\"\n"
		"max-report-age = 86400\n"
		"rule first {\n"			/* 4: a rule may name a later profile */
		"  group = \"field.ops-2\"\n"
		"  ownership = \"byod\"\n"
		"  require-mdm = true\n"
		"  require-passcode = false\n"
		"  require-disk-encryption = true\n"
		"  deny-rooted = true\n"
		"  action = \"allow\"\n"
		"  profile = \"mail\"\n"
		"}\n"
		"rule \"no-go\" { ownership = \"corporate\" action = \"deny\"\n"
		"  message = \"Not today.\" }\n"
		"profile mail {\n"			/* 16 */
		"  allow = { \"198.18.2.25/32\", // smtp\n"
		"            \"fd00:2::19/128\" }\n"
		"  allow += \"198.18.2.26/32\"\n"
		"  banner = \"line one\\nline two\"\n"
		"}\n"
		"profile remediation { allow = \"198.18.3.0/24\" }\n"
		"platform android { min-version = \"14\"  min-patch-level = \"2024-06-01\" }\n"
		"platform ios { min-version = \"17.10\" }\n"
		"platform linux { }\n"
		"quarantine-profile = \"remediation\"\n";
	struct conf_policy *p = NULL;
	const struct conf_platform *pl;
	const struct conf_profile *mail;
	char err[1024];

	CHECK_EQ_INT(load_and_remove(text, &p, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (!p)
		return;
	CHECK_EQ_INT(p->agent, CONF_AGENT_OPTIONAL);
	CHECK_EQ_INT(p->max_report_age, 86400);
	CHECK_EQ_INT(p->n_rules, 2);
	mail = conf_policy_profile(p, "mail");
	CHECK(mail != NULL);
	if (p->n_rules == 2 && mail) {
		CHECK_EQ_STR(p->rules[0].name, "first");
		CHECK_EQ_STR(p->rules[0].group, "field.ops-2");
		CHECK_EQ_INT(p->rules[0].ownership, CONF_OWNERSHIP_BYOD);
		CHECK(p->rules[0].require_mdm && !p->rules[0].require_passcode);
		CHECK(p->rules[0].require_disk_encryption && p->rules[0].deny_rooted);
		CHECK(p->rules[0].profile == mail);
		CHECK_EQ_INT(p->rules[0].line, 4);
		CHECK_EQ_STR(p->rules[1].name, "no-go");
		CHECK_EQ_INT(p->rules[1].action, CONF_ACTION_DENY);
		CHECK_EQ_STR(p->rules[1].message, "Not today.");
		CHECK(p->rules[1].profile == NULL);
		CHECK_EQ_INT(mail->line, 16);
		CHECK_EQ_INT(mail->n_allow, 3);
		check_cidr(&mail->allow[0], "198.18.2.25/32");
		check_cidr(&mail->allow[1], "fd00:2::19/128");
		check_cidr(&mail->allow[2], "198.18.2.26/32");
		CHECK_EQ_STR(mail->banner, "line one\nline two");
	}
	pl = conf_policy_platform(p, "android");
	CHECK(pl != NULL);
	if (pl) {
		CHECK_EQ_STR(pl->min_version, "14");
		CHECK_EQ_INT(pl->min.n, 1);
		CHECK_EQ_STR(pl->min_patch_level, "2024-06-01");
		CHECK_EQ_INT(pl->min_patch_days, 19875);
	}
	pl = conf_policy_platform(p, "linux");
	CHECK(pl && !pl->min_version && !pl->min_patch_level);
	CHECK(conf_policy_platform(p, "windows") == NULL);
	CHECK(conf_policy_platform(p, NULL) == NULL);
	CHECK(conf_policy_profile(p, "nope") == NULL);
	CHECK(conf_policy_profile(NULL, "mail") == NULL);
	conf_policy_free(p);
}

/* The hash is of the bytes on disk, comments included. */
static void test_sha256(void)
{
	struct conf_policy *p = NULL, *q = NULL;
	char err[1024], hex[65];

	CHECK_EQ_INT(load(HEAD RULE, &p, err, sizeof(err)), 0);
	sha256sum(hex);
	unlink(path);
	CHECK(p && !strcmp(p->sha256, hex));
	CHECK_EQ_INT((int)strlen(hex), 64);
	CHECK_EQ_INT(load(HEAD RULE "# a comment changes the hash\n", &q, err, sizeof(err)), 0);
	unlink(path);
	CHECK(p && q && strcmp(p->sha256, q->sha256));
	conf_policy_free(p);
	conf_policy_free(q);
}

/* ---- bad files: one problem each, at the line it is on ---- */

static void test_err_syntax(void)
{
	expect_error(HEAD RULE "bogus = 1\n", 5, "bogus");
	expect_error(HEAD "# c\nrule r { action = \"allow\" profile = \"remediation\"\n"
		     "  colour = \"blue\" }\n", 5, "colour");
	expect_error(HEAD RULE "rule x {\n action = \"deny\"\n", 5,
		     "this section is never closed");
	expect_error(HEAD RULE "profile p { allow = { \"198.18.2.0/24\"\n", 6, "");
	expect_error(HEAD RULE "quarantine-profile \"x\"\n", 5, "");
	expect_error(HEAD RULE "/* open\n", 5, "this comment is never closed");
	expect_error(HEAD RULE "group = \"x\n", 5, "this string is never closed");
	expect_error(HEAD RULE "section x { }\n", 5, "section");
}

/*
 * A quote left open pairs with every later one, so the lexer finds the
 * last quote of the file open: the line named is that of the quote the
 * user left open, found as the first string that spans a line and leaves
 * the rest of the file clean when ended at its own line's end (issue 13).
 */
static void test_err_unclosed_string_line(void)
{
	/* Line 6 opens a string that the quote of line 7 "closes". */
	expect_error(HEAD RULE "rule x {\n group = \"sales\n action = \"deny\"\n}\n"
		     "rule y {\n action = \"deny\"\n}\n# the end\n", 6,
		     "this string is never closed");
	/* A banner meant to span two lines (lines 4-5) is not taken for it. */
	expect_error(HEAD "profile b { allow = { \"198.18.4.0/24\" }\n banner = \"two\n"
		     "lines\" }\n" RULE "rule x {\n group = \"sales\n action = \"deny\"\n"
		     "}\n", 9, "this string is never closed");
	/* Single quotes too. */
	expect_error(HEAD RULE "rule x {\n group = 'sales\n action = 'deny'\n}\n", 6,
		     "this string is never closed");
}

static void test_err_top(void)
{
	expect_error("profile remediation { allow = \"198.18.3.0/24\" }\n" RULE, 0,
		     "missing required key 'quarantine-profile'");
	expect_error("quarantine-profile = \"quarantine\"\n"
		     "profile remediation { allow = \"198.18.3.0/24\" }\n" RULE, 1,
		     "quarantine-profile: no profile named 'quarantine'");
	expect_error(HEAD RULE "agent = \"sometimes\"\n", 5,
		     "agent: 'sometimes' is not required or optional");
	expect_error(HEAD RULE "max-report-age = 0\n", 5,
		     "max-report-age: 0 is out of range 1..86400");
	expect_error(HEAD RULE "max-report-age = 86401\n", 5, "out of range 1..86400");
	expect_error(HEAD RULE "max-report-age = 0300\n", 5,
		     "'0300' is not a plain decimal number");
	expect_error(HEAD RULE "max-report-age = 0x12c\n", 5, "is not a plain decimal number");
	expect_error(HEAD RULE "max-report-age = -1\n", 5, "is not a plain decimal number");
	expect_error(HEAD RULE "max-report-age = 300\n# x\nmax-report-age = 30\n", 7,
		     "max-report-age: set twice (first on line 5)");
	expect_error(HEAD, 0, "no rule: a policy needs at least one rule");
}

static void test_err_profile(void)
{
	expect_error(HEAD RULE "profile p {\n allow = { \"198.18.2.0/24\",\n"
		     "  \"198.18.2.1/24\" } }\n", 7, "profile 'p': allow: '198.18.2.1/24': "
		     "host bits set, did you mean 198.18.2.0/24?");
	expect_error(HEAD RULE "profile empty {\n}\n", 5,
		     "profile 'empty': no allow list");
	expect_error(HEAD RULE "profile empty { allow = {} }\n", 5, "no allow list");
	expect_error(HEAD RULE "profile \"bad name\" { allow = \"198.18.2.0/24\" }\n", 5,
		     "profile 'bad name': a name is 1..64 letters");
	expect_error(HEAD RULE "profile -x { allow = \"198.18.2.0/24\" }\n", 5, "a name is");
	expect_error(HEAD RULE "profile p { allow = \"198.18.2.0/24\"\n banner = \"\" }\n", 6,
		     "profile 'p': banner: empty");
	expect_error(HEAD RULE "profile p { allow = \"198.18.2.0/24\"\n banner = \"a\\tb\" }\n", 6,
		     "banner: only printable ASCII and newlines are allowed");
	expect_error(HEAD RULE "profile p { allow = \"198.18.2.0/24\"\n"
		     " banner = \"caf\xc3\xa9\" }\n", 6, "only printable ASCII");
	expect_error(HEAD RULE "profile p { allow = \"198.18.2.0/24\"\n banner = \"a\"\n"
		     " banner = \"b\" }\n", 7, "profile 'p': banner: set twice (first on line 6)");
	/* The routes travel in one CONNECT reply: 64 prefixes at most. */
	{
		char text[4096];
		size_t n = (size_t)snprintf(text, sizeof(text), HEAD RULE "profile p { allow = {");

		for (int i = 0; i <= CONF_ROUTES_MAX; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"198.18.%d.0/24\"",
					      i ? "," : "", i);
		snprintf(text + n, sizeof(text) - n, "} }\n");
		expect_error(text, 5, "profile 'p': allow: 65 prefixes, more than the 64");
	}
}

static void test_err_banner_length(void)
{
	char text[2048], banner[CONF_BANNER_MAX + 2];
	struct conf_policy *p = NULL;
	char err[1024];

	memset(banner, 'b', sizeof(banner) - 2);
	banner[CONF_BANNER_MAX] = '\0';
	snprintf(text, sizeof(text), HEAD RULE "profile p { allow = \"198.18.2.0/24\"\n"
		 " banner = \"%s\" }\n", banner);
	CHECK_EQ_INT(load_and_remove(text, &p, err, sizeof(err)), 0);
	CHECK(p && strlen(conf_policy_profile(p, "p")->banner) == CONF_BANNER_MAX);
	conf_policy_free(p);
	strcat(banner, "b");
	snprintf(text, sizeof(text), HEAD RULE "profile p { allow = \"198.18.2.0/24\"\n"
		 " banner = \"%s\" }\n", banner);
	expect_error(text, 6, "banner: longer than 512 bytes");
}

static void test_err_platform(void)
{
	expect_error(HEAD RULE "platform beos { }\n", 5,
		     "platform 'beos': not one of ios, android, linux, windows, macos");
	expect_error(HEAD RULE "platform linux {\n min-version = \"twelve\" }\n", 6,
		     "platform 'linux': min-version: 'twelve' is not a version number");
	expect_error(HEAD RULE "platform linux { min-version = \"12.\" }\n", 5, "min-version");
	/* A device's version may carry a suffix, the policy's minimum not: a
	 * value running over lines (found by fuzz_policy) went into lint lines. */
	expect_error(HEAD RULE "platform linux { min-version = \"12 beta\" }\n", 5,
		     "platform 'linux': min-version: '12 beta' is not a version number");
	expect_error(HEAD RULE "platform android {\n min-version = \"14 required\n}\nprofile x {\" }\n",
		     8, "platform 'android': min-version: not a version number (like 12 or "
		     "17.4.1): only digits and dots");
	expect_error(HEAD RULE "platform android {\n\n min-patch-level = \"2024-02-30\" }\n", 7,
		     "platform 'android': min-patch-level: '2024-02-30' is not a date "
		     "(YYYY-MM-DD)");
	expect_error(HEAD RULE "platform android { min-patch-level = \"2024-6-1\" }\n", 5,
		     "is not a date");
	expect_error(HEAD RULE "platform ios { }\n# between\nplatform ios { }\n", 7,
		     "platform 'ios' is defined twice (first on line 5)");
}

static void test_err_rule(void)
{
	expect_error(HEAD "rule r {\n profile = \"remediation\"\n}\n", 3,
		     "rule 'r': missing required key 'action'");
	expect_error(HEAD "rule r {\n action = \"permit\" }\n", 4,
		     "rule 'r': action: 'permit' is not allow or deny");
	expect_error(HEAD "rule r {\n action = \"allow\"\n}\n", 3,
		     "rule 'r': an allow rule needs a profile");
	expect_error(HEAD "rule r { action = \"allow\"\n profile = \"internal\" }\n", 4,
		     "rule 'r': profile: no profile named 'internal'");
	expect_error(HEAD RULE "rule d { action = \"deny\"\n profile = \"remediation\" }\n", 6,
		     "rule 'd': profile: a deny rule has no profile (deny rules deny on match)");
	expect_error(HEAD RULE "rule d { action = \"deny\"\n\n require-mdm = true }\n", 7,
		     "rule 'd': require-mdm: a deny rule has no requirements (deny rules deny "
		     "on match)");
	expect_error(HEAD RULE "rule d { action = \"deny\"\n deny-rooted = false }\n", 6,
		     "deny-rooted: a deny rule has no requirements");
	expect_error(HEAD "rule r { action = \"allow\" profile = \"remediation\"\n"
		     " message = \"hello\" }\n", 4,
		     "rule 'r': message: only a deny rule has a message");
	expect_error(HEAD RULE "rule d { action = \"deny\"\n message = \"two\\nlines\" }\n", 6,
		     "rule 'd': message: must be 1..160 printable ASCII characters");
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " require-mdm = yes }\n", 6,
		     "rule 'r2': require-mdm: 'yes' is not true or false");
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " ownership = \"company\" }\n", 6,
		     "rule 'r2': ownership: 'company' is not corporate, byod or any");
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " group = \"a group\" }\n", 6, "rule 'r2': group: 'a group': a name is");
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " require-passcode = true require-passcode = true }\n", 6,
		     "require-passcode: set twice (first on line 6)");
	expect_error(HEAD RULE "rule \"r r\" { action = \"allow\" profile = \"remediation\" }\n", 5,
		     "rule 'r r': a name is");
}

/* libconfuse would silently keep only the second of two sections with one
 * title; the loader refuses, naming both lines. */
static void test_err_duplicate_title(void)
{
	expect_error(HEAD RULE "\nrule r {\n action = \"deny\" }\n", 6,
		     "rule 'r' is defined twice (first on line 3)");
	expect_error(HEAD RULE "profile remediation { allow = \"198.18.4.0/24\" }\n", 5,
		     "profile 'remediation' is defined twice (first on line 2)");
	/* Each repeat is reported, naming the first. */
	{
		struct conf_policy *p = NULL;
		char err[4096];

		CHECK_EQ_INT(load_and_remove(HEAD RULE RULE "\n" RULE, &p, err, sizeof(err)),
			     -EINVAL);
		CHECK(err_has(err, 5, "rule 'r' is defined twice (first on line 3)"));
		CHECK(err_has(err, 8, "rule 'r' is defined twice (first on line 3)"));
		CHECK_EQ_INT(err_lines(err), 2);
	}
	/* Two names repeated, with something between. */
	{
		struct conf_policy *p = NULL;
		char err[4096];

		CHECK_EQ_INT(load_and_remove(HEAD RULE "profile x { allow = \"198.18.4.0/24\" }\n"
					     RULE "profile x { allow = \"198.18.5.0/24\" }\n",
					     &p, err, sizeof(err)), -EINVAL);
		CHECK(err_has(err, 6, "rule 'r' is defined twice (first on line 3)"));
		CHECK(err_has(err, 8, "profile 'x' is defined twice (first on line 5)"));
		CHECK_EQ_INT(err_lines(err), 2);
	}
}

/* Comments before a problem do not move its line (libconfuse 3.3 would). */
static void test_err_after_comments(void)
{
	expect_error("# one\n// two\n/* three\n four */\n" HEAD "# six\n" RULE
		     "rule d { action = \"deny\" # ten\n profile = \"remediation\" }\n", 11,
		     "a deny rule has no profile");
}

/* ---- the MDM inventory's keys ---- */

static char inv_path[128];	/* an inventory file next to the policies, in /tmp */

static void inv_create(void)
{
	FILE *f;

	snprintf(inv_path, sizeof(inv_path), "/tmp/postern-test-inventory.%d.csv", (int)getpid());
	f = fopen(inv_path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("device_id,mdm_enrolled,passcode_set,os_name,os_version,last_checkin,"
		      "status\n", f);
		fclose(f);
	}
}

static void test_inventory_keys(void)
{
	char text[2048], err[1024];
	struct conf_policy *p = NULL;

	inv_create();
	/* Relative to the policy's directory (/tmp), stored absolute. */
	snprintf(text, sizeof(text), HEAD RULE "inventory = \"%s\"\nmax-inventory-age = 60\n",
		 strrchr(inv_path, '/') + 1);
	CHECK_EQ_INT(load_and_remove(text, &p, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (p) {
		CHECK_EQ_STR(p->inventory, inv_path);
		CHECK_EQ_INT(p->max_inventory_age, 60);
	}
	conf_policy_free(p);
	p = NULL;
	snprintf(text, sizeof(text), HEAD RULE "inventory = \"%s\"\n"
		 "max-inventory-age = 2592000\n", inv_path);
	CHECK_EQ_INT(load_and_remove(text, &p, err, sizeof(err)), 0);
	CHECK(p && !strcmp(p->inventory, inv_path) && p->max_inventory_age == 2592000);
	conf_policy_free(p);
	p = NULL;
	/* Unset: no inventory, a day's age. */
	CHECK_EQ_INT(load_and_remove(HEAD RULE, &p, err, sizeof(err)), 0);
	CHECK(p && p->inventory == NULL && p->max_inventory_age == 86400);
	conf_policy_free(p);
	unlink(inv_path);
}

static void test_err_inventory(void)
{
	char text[2048];

	expect_error(HEAD RULE "inventory = \"\"\n", 5, "inventory: empty file name");
	snprintf(text, sizeof(text), HEAD RULE "\ninventory = \"no-such-%d.csv\"\n",
		 (int)getpid());
	expect_error(text, 6, "inventory: cannot open /tmp/no-such-");
	expect_error(HEAD RULE "inventory = \"/tmp\"\n", 5,
		     "inventory: /tmp is not a regular file");
	inv_create();
	snprintf(text, sizeof(text), HEAD RULE "inventory = \"%s\"\ninventory = \"%s\"\n",
		 inv_path, inv_path);
	expect_error(text, 6, "inventory: set twice (first on line 5)");
	unlink(inv_path);
	expect_error(HEAD RULE "max-inventory-age = 59\n", 5,
		     "max-inventory-age: 59 is out of range 60..2592000");
	expect_error(HEAD RULE "max-inventory-age = 2592001\n", 5, "out of range 60..2592000");
	expect_error(HEAD RULE "max-inventory-age = 0x3c\n", 5,
		     "max-inventory-age: '0x3c' is not a plain decimal number");
	expect_error(HEAD RULE "max-inventory-age = 086400\n", 5, "is not a plain decimal number");
}

/* agent, trust and platform in rules; the agent comes from the policy when
 * the rule says nothing, wherever the top-level key is. */
static void test_rule_keys(void)
{
	static const char text[] =
		HEAD
		"rule a { agent = \"optional\" trust = \"mdm\"\n"
		"  platform = { \"ios\", \"android\" }\n"
		"  action = \"allow\" profile = \"remediation\" }\n"
		"rule b { platform = \"linux\" action = \"allow\" profile = \"remediation\" }\n"
		"rule c { agent = \"required\" trust = \"any\" action = \"allow\"\n"
		"  profile = \"remediation\" }\n"
		"rule d { platform = { \"windows\", \"macos\" } action = \"deny\" }\n"
		"agent = \"optional\"\n";
	struct conf_policy *p = NULL;
	const struct conf_rule *r;
	char err[1024];

	CHECK_EQ_INT(load_and_remove(text, &p, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (!p || p->n_rules != 4)
		goto out;
	r = p->rules;
	CHECK_EQ_INT(p->agent, CONF_AGENT_OPTIONAL);
	CHECK_EQ_INT(r[0].agent, CONF_AGENT_OPTIONAL);
	CHECK_EQ_INT(r[0].trust, CONF_TRUST_MDM);
	CHECK_EQ_INT(r[0].n_platform, 2);
	if (r[0].n_platform == 2) {
		CHECK_EQ_STR(r[0].platform[0], "ios");
		CHECK_EQ_STR(r[0].platform[1], "android");
	}
	CHECK_EQ_INT(r[1].agent, CONF_AGENT_OPTIONAL);	/* the policy's, set below it */
	CHECK_EQ_INT(r[1].trust, CONF_TRUST_ANY);
	CHECK(r[1].n_platform == 1 && !strcmp(r[1].platform[0], "linux"));
	CHECK_EQ_INT(r[2].agent, CONF_AGENT_REQUIRED);
	CHECK_EQ_INT(r[2].n_platform, 0);
	CHECK_EQ_INT(r[3].action, CONF_ACTION_DENY);
	CHECK_EQ_INT(r[3].n_platform, 2);
out:
	conf_policy_free(p);
}

static void test_err_rule_keys(void)
{
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " agent = \"sometimes\" }\n", 6,
		     "rule 'r2': agent: 'sometimes' is not required or optional");
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " trust = \"cloud\" }\n", 6, "rule 'r2': trust: 'cloud' is not any or mdm");
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " platform = { \"ios\", \"beos\" } }\n", 6,
		     "rule 'r2': platform: 'beos' is not ios, android, linux, windows or macos");
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " platform = \"iOS\" }\n", 6, "platform: 'iOS' is not ios");
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " platform = { \"ios\", \"android\", \"ios\" } }\n", 6,
		     "rule 'r2': platform: 'ios' is listed twice");
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " platform = {} }\n", 5, "rule 'r2': platform: empty list");
	expect_error(HEAD RULE "rule r2 { action = \"allow\" profile = \"remediation\"\n"
		     " agent = \"optional\" agent = \"required\" }\n", 6,
		     "agent: set twice (first on line 6)");
	expect_error(HEAD RULE "rule d { action = \"deny\"\n agent = \"optional\" }\n", 6,
		     "rule 'd': agent: a deny rule has no requirements (deny rules deny on match)");
	expect_error(HEAD RULE "rule d { action = \"deny\"\n\n trust = \"mdm\" }\n", 7,
		     "rule 'd': trust: a deny rule has no requirements");
}

/* ---- collecting errors ---- */

static const char many_errors[] =
	"quarantine-profile = \"nowhere\"\n"			/* 1 */
	"agent = \"maybe\"\n"					/* 2 */
	"profile p {\n"						/* 3 */
	"  allow = { \"198.18.2.1/24\" }\n"			/* 4 */
	"}\n"
	"platform plan9 { min-version = \"4e\" }\n"		/* 6: two problems */
	"rule a { action = \"deny\" profile = \"p\" }\n"	/* 7 */
	"rule b {\n"						/* 8 */
	"  action = \"allow\"\n"
	"  profile = \"missing\"\n"				/* 10 */
	"}\n"
	"profile p { allow = \"198.18.9.0/24\" }\n";		/* 12 */

static void test_collects_all(void)
{
	struct conf_policy *p = (struct conf_policy *)1;
	char err[4096];

	memset(err, 'X', sizeof(err));
	CHECK_EQ_INT(load_and_remove(many_errors, &p, err, sizeof(err)), -EINVAL);
	CHECK(p == NULL);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	CHECK(err_has(err, 1, "quarantine-profile: no profile named 'nowhere'"));
	CHECK(err_has(err, 2, "agent: 'maybe'"));
	CHECK(err_has(err, 4, "did you mean 198.18.2.0/24?"));
	CHECK(err_has(err, 6, "min-version: '4e'"));
	CHECK(err_has(err, 6, "platform 'plan9': not one of"));
	CHECK(err_has(err, 7, "a deny rule has no profile"));
	CHECK(err_has(err, 10, "rule 'b': profile: no profile named 'missing'"));
	CHECK(err_has(err, 12, "profile 'p' is defined twice (first on line 3)"));
	CHECK_EQ_INT(err_lines(err), 8);
	CHECK(err[strlen(err) - 1] != '\n');
}

static void test_err_truncated(void)
{
	struct conf_policy *p = NULL;
	char err[64];

	memset(err, 'X', sizeof(err));
	write_policy(many_errors, strlen(many_errors));
	CHECK_EQ_INT(conf_policy_load(path, &p, err, 20), -EINVAL);
	CHECK_EQ_INT((int)strlen(err), 19);
	CHECK_EQ_INT(err[30], 'X');
	CHECK_EQ_INT(conf_policy_load(path, &p, NULL, 0), -EINVAL);
	CHECK(p == NULL);
	CHECK_EQ_INT(conf_policy_load(path, NULL, err, sizeof(err)), -EINVAL);
	unlink(path);
}

static void test_err_file(void)
{
	struct conf_policy *p = (struct conf_policy *)1;
	char err[1024], *big;
	size_t n = 300 * 1024;

	snprintf(path, sizeof(path), "/tmp/postern-test-policy-missing.%d", (int)getpid());
	CHECK_EQ_INT(conf_policy_load(path, &p, err, sizeof(err)), -ENOENT);
	CHECK(p == NULL);
	CHECK(err_has(err, 0, "cannot open: No such file or directory"));
	snprintf(path, sizeof(path), "/tmp");
	CHECK(conf_policy_load(path, &p, err, sizeof(err)) < 0);
	CHECK(err_has(err, 0, "not a regular file"));
	/* Far larger than any policy: refused before it is parsed. */
	big = malloc(n);
	CHECK(big != NULL);
	if (big) {
		memset(big, '\n', n);
		write_policy(big, n);
		CHECK_EQ_INT(conf_policy_load(path, &p, err, sizeof(err)), -EFBIG);
		CHECK(err_has(err, 0, "cannot read: File too large"));
		unlink(path);
		free(big);
	}
	write_policy(HEAD "x\0y", sizeof(HEAD) + 2);
	CHECK_EQ_INT(conf_policy_load(path, &p, err, sizeof(err)), -EINVAL);
	CHECK(err_has(err, 3, "NUL byte"));
	unlink(path);
}

/* A failed load leaves nothing behind: the next one succeeds. */
static void test_load_after_failure(void)
{
	struct conf_policy *p = NULL;
	char err[1024];

	expect_error(HEAD RULE "rule r { action = \"deny\" }\n", 5, "defined twice");
	expect_error(HEAD RULE "profile p { allow = \"x", 5, "never closed");
	CHECK_EQ_INT(load_and_remove(HEAD RULE, &p, err, sizeof(err)), 0);
	CHECK(p && p->n_rules == 1);
	conf_policy_free(p);
}

int main(void)
{
	RUN(test_sample);
	RUN(test_defaults);
	RUN(test_all_keys);
	RUN(test_sha256);
	RUN(test_err_syntax);
	RUN(test_err_unclosed_string_line);
	RUN(test_err_top);
	RUN(test_err_profile);
	RUN(test_err_banner_length);
	RUN(test_err_platform);
	RUN(test_err_rule);
	RUN(test_err_duplicate_title);
	RUN(test_err_after_comments);
	RUN(test_inventory_keys);
	RUN(test_err_inventory);
	RUN(test_rule_keys);
	RUN(test_err_rule_keys);
	RUN(test_collects_all);
	RUN(test_err_truncated);
	RUN(test_err_file);
	RUN(test_load_after_failure);
	UNIT_EXIT();
}
