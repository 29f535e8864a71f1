/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gateway/access.c and gw_privs_try_as (privs.c): the files a
 * running gateway re-reads, tried for real as the user it drops to. As root
 * (the tests run as root under tests/run.sh; otherwise only the refusal to
 * guess is checked): a CRL in a directory of mode 0700 is refused with the
 * directory named and the chgrp/chmod that fixes it; readable once the
 * directory is searchable; a CRL of mode 0600 is refused with chmod g+r; an
 * audit log that does not exist in a directory the user cannot write is
 * refused with the install command, one that exists but is root's 0640 with
 * chmod g+w, one the user's group may write passes; without `user` nothing
 * is checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/access.h"
#include "gateway/privs.h"
#include "tests/unit/unit.h"

static char tmp_dir[] = "/tmp/postern-test-access.XXXXXX";
static char crl[128], audit[128], conf_file[128], group[64];
static struct gw_conf conf;

static void touch(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(chmod(path, mode) == 0);
}

static bool has(const char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* err contains the text fmt makes; says what was missing when not. */
static bool has(const char *err, const char *fmt, ...)
{
	char want[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	if (strstr(err, want))
		return true;
	printf("# no '%s' in: %s\n", want, err);
	return false;
}

static void setup(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = pw ? getgrgid(pw->pw_gid) : NULL;

	snprintf(group, sizeof(group), "%s", gr ? gr->gr_name : "?");
	snprintf(crl, sizeof(crl), "%s/crl.pem", tmp_dir);
	snprintf(audit, sizeof(audit), "%s/audit.log", tmp_dir);
	snprintf(conf_file, sizeof(conf_file), "/tmp/postern-test-access-%d.conf", (int)getpid());
	touch(crl, 0644);
	touch(conf_file, 0644);
	memset(&conf, 0, sizeof(conf));
	conf.path = conf_file;
	conf.crl = crl;
	conf.user = "nobody";
}

/* The CRL behind a directory nobody cannot search, then the file itself. */
static void test_crl(void)
{
	char err[4096];

	CHECK(chmod(tmp_dir, 0700) == 0);
	CHECK_EQ_INT(gw_access_check(&conf, NULL, err, sizeof(err)), -EACCES);
	CHECK(has(err, "%s: not readable by user nobody (Permission denied: it cannot search the "
		  "directory %s)", crl, tmp_dir));
	CHECK(has(err, "the CRL is re-read as nobody when it changes: revocations would never "
		  "take effect"));
	CHECK(has(err, "Fix: chgrp %s %s && chmod g+x", group, tmp_dir));
	CHECK(strstr(err, conf_file) == NULL);		/* the config is fine */
	CHECK(chmod(tmp_dir, 0711) == 0);
	CHECK_EQ_INT(gw_access_check(&conf, NULL, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	CHECK(chmod(crl, 0600) == 0);
	CHECK_EQ_INT(gw_access_check(&conf, NULL, err, sizeof(err)), -EACCES);
	CHECK(has(err, "Fix: chgrp %s %s && chmod g+r", group, crl));
	CHECK(chmod(crl, 0644) == 0);
}

/* The audit log must be reopenable: the file writable, or creatable. */
static void test_audit(void)
{
	struct passwd *pw = getpwnam("nobody");
	char err[4096];

	conf.audit_log = audit;
	CHECK_EQ_INT(gw_access_check(&conf, NULL, err, sizeof(err)), -EACCES);
	CHECK(has(err, "%s: not writable by user nobody", audit));
	CHECK(has(err, "Fix: install -m 0660 -o root -g %s /dev/null %s", group, audit));
	touch(audit, 0640);
	CHECK_EQ_INT(gw_access_check(&conf, NULL, err, sizeof(err)), -EACCES);
	CHECK(has(err, "Fix: chgrp %s %s && chmod g+w", group, audit));
	CHECK(pw && chown(audit, 0, pw->pw_gid) == 0 && chmod(audit, 0660) == 0);
	CHECK_EQ_INT(gw_access_check(&conf, NULL, err, sizeof(err)), 0);
	conf.audit_log = NULL;
}

static void test_no_user(void)
{
	char err[256];

	CHECK(chmod(tmp_dir, 0700) == 0);
	conf.user = NULL;
	CHECK_EQ_INT(gw_access_check(&conf, NULL, err, sizeof(err)), 0);
	conf.user = "nobody";
	CHECK(chmod(tmp_dir, 0711) == 0);
}

static void test_try_as(void)
{
	struct gw_access a = { .path = "/" };

	CHECK_EQ_INT(gw_privs_try_as("no-such-user-postern", &a, 1), -ENOENT);
	CHECK_EQ_INT(gw_privs_try_as("nobody", &a, 1), 0);
	CHECK_EQ_INT(a.err, 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!getpwnam("nobody")) {
		printf("ok - skipped: no user nobody\n");
		return 0;
	}
	if (geteuid() != 0) {
		struct gw_access a = { .path = "/" };

		/* Not root: the check must say it cannot try, never guess. */
		CHECK_EQ_INT(gw_privs_try_as("nobody", &a, 1), -EPERM);
		printf("%s - not root: -EPERM, the rest skipped\n",
		       unit_case_failures ? "not ok" : "ok");
		return unit_case_failures ? 1 : 0;
	}
	if (!mkdtemp(tmp_dir)) {
		printf("not ok - mkdtemp\n");
		return 1;
	}
	setup();
	RUN(test_crl);
	RUN(test_audit);
	RUN(test_no_user);
	RUN(test_try_as);
	nftw(tmp_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	unlink(conf_file);
	UNIT_EXIT();
}
