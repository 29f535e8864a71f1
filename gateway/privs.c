/* SPDX-License-Identifier: MIT */
/*
 * The one place where a Postern process gives up root: the worker once its
 * TUN device and listener are open, the key holder once its key is loaded.
 * No new privileges can be gained afterwards (no setuid executables, no file
 * capabilities), root cannot be regained, and the process is not dumpable,
 * so another process of the same user can neither ptrace it nor read its
 * memory.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "gateway/gateway.h"

int gw_privs_drop(const char *user)
{
	struct passwd *pw;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (!user)
		return 0;
	pw = getpwnam(user);
	if (!pw)
		return -ENOENT;
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return -errno;
	if (pw->pw_uid != 0 && setuid(0) == 0)
		return -EPERM;
	/* A change of user can make a process dumpable again: undo that. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
