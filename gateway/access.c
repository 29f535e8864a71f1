/* SPDX-License-Identifier: MIT */
/*
 * Fail loud, not open: the files the daemon goes back to after it has
 * dropped root, tried as the user it drops to, before it starts (and by
 * `posternd -t`). A CRL the daemon cannot re-read as that user is a
 * revocation that silently never takes effect; a policy or inventory it
 * cannot re-read is a reload or a lost device that never applies; an audit
 * log it cannot reopen after logrotate is decisions written to a rotated
 * file. Each is refused here with the file, the user and the command that
 * fixes it, instead of a warning that scrolls by.
 *
 * The audit log needs the file writable by the user (logrotate's `create`
 * line makes each new one so), or, while it does not exist yet, its
 * directory. A directory the user may write would let the daemon delete
 * the rotated logs, so it is not demanded when the file is there.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/policy.h"
#include "gateway/access.h"
#include "gateway/memstream.h"
#include "gateway/privs.h"

enum { ACC_CONFIG, ACC_CRL, ACC_POLICY, ACC_INVENTORY, ACC_AUDIT, ACC_N };

/* What each file is, when the daemon goes back to it, and what breaks when
 * the user cannot: "NOUN is VERB as USER WHEN". */
static const struct {
	const char *noun, *verb, *when;
} acc_what[ACC_N] = {
	[ACC_CONFIG] = { "the configuration", "re-read", "on reload (SIGHUP, posternctl reload)" },
	[ACC_CRL] = { "the CRL", "re-read", "when it changes: revocations would never take effect" },
	[ACC_POLICY] = { "the policy", "re-read", "on reload (SIGHUP, posternctl reload)" },
	[ACC_INVENTORY] = { "the MDM inventory", "re-read",
			    "when it changes: a lost device would keep its access" },
	[ACC_AUDIT] = { "the audit log", "reopened", "on SIGUSR1 after logrotate" },
};

struct acc_user {
	const char *name;
	char group[64];			/* its primary group, for the advice */
};

static void acc_user_of(const char *user, struct acc_user *u)
{
	struct passwd *pw = getpwnam(user);
	struct group *gr = pw ? getgrgid(pw->pw_gid) : NULL;

	u->name = user;
	if (gr)
		snprintf(u->group, sizeof(u->group), "%s", gr->gr_name);
	else
		snprintf(u->group, sizeof(u->group), "%u", pw ? (unsigned)pw->pw_gid : 0u);
}

/* The problem with one file and the command that fixes it. */
static void acc_problem(FILE *f, const struct gw_access *a, int kind, const struct acc_user *u)
{
	const char *verb = a->append ? "writable" : "readable";
	const char *p = a->path;
	struct stat st;

	fprintf(f, "%s: not %s by user %s (%s", p, verb, u->name, strerror(-a->err));
	if (a->err == -EACCES && a->blocked_at)
		fprintf(f, ": it cannot search the directory %.*s", (int)a->blocked_at, p);
	fprintf(f, "); %s is %s as %s %s", acc_what[kind].noun, acc_what[kind].verb, u->name,
		acc_what[kind].when);
	if (a->err != -EACCES) {
		fputs(".\n", f);
		return;
	}
	if (a->blocked_at)
		fprintf(f, ". Fix: chgrp %s %.*s && chmod g+x %.*s (search only: the files in it "
			"keep their own modes)\n", u->group, (int)a->blocked_at, p,
			(int)a->blocked_at, p);
	else if (a->append && stat(p, &st) < 0)
		fprintf(f, ". Fix: install -m 0660 -o root -g %s /dev/null %s\n", u->group, p);
	else
		fprintf(f, ". Fix: chgrp %s %s && chmod g+%c %s\n", u->group, p,
			a->append ? 'w' : 'r', p);
}

/* The files to try, by kind; NULL paths are skipped. */
static size_t acc_list(const struct gw_conf *conf, const struct conf_policy *policy,
		       struct gw_access *a, int *kind)
{
	const char *paths[ACC_N] = {
		[ACC_CONFIG] = conf->path,
		[ACC_CRL] = conf->crl,
		[ACC_POLICY] = conf->policy,
		[ACC_INVENTORY] = policy ? policy->inventory : NULL,
		[ACC_AUDIT] = conf->audit_log,
	};
	size_t n = 0;

	for (int k = 0; k < ACC_N; k++) {
		if (!paths[k])
			continue;
		a[n] = (struct gw_access){ .path = paths[k], .append = k == ACC_AUDIT };
		kind[n++] = k;
	}
	return n;
}

static int acc_report(const struct gw_access *a, const int *kind, size_t n,
		      const struct acc_user *u, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, bad = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (a[i].err) {
			acc_problem(f, &a[i], kind[i], u);
			bad++;
		}
	}
	if (!gw_stream_done(f, &buf)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(err, errlen, "%s", bad ? buf : "");
	free(buf);
	return bad ? -EACCES : 0;
}

int gw_access_check(const struct gw_conf *conf, const struct conf_policy *policy, char *err,
		    size_t errlen)
{
	struct gw_access a[ACC_N];
	int kind[ACC_N], ret;
	struct acc_user u;
	size_t n;

	err[0] = '\0';
	if (!conf->user)
		return 0;	/* it stays root: nothing it reads now becomes unreadable */
	n = acc_list(conf, policy, a, kind);
	ret = gw_privs_try_as(conf->user, a, n);
	if (ret < 0) {
		snprintf(err, errlen, "cannot check the files as user %s: %s%s", conf->user,
			 strerror(-ret), ret == -EPERM ? " (only root can)" : "");
		return ret;
	}
	acc_user_of(conf->user, &u);
	return acc_report(a, kind, n, &u, err, errlen);
}
