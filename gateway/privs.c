/* SPDX-License-Identifier: MIT */
/*
 * The one place where a Postern process gives up root: the worker once its
 * TUN device and listener are open, the key holder once its key is loaded
 * (gw_privs_shed: it keeps uid 0, an identity the workers' user cannot
 * signal or trace, and loses every capability for good).
 * No new privileges can be gained afterwards (no setuid executables, no file
 * capabilities), root cannot be regained, and the process is not dumpable,
 * so another process of the same user can neither ptrace it nor read its
 * memory.
 *
 * Also here: trying files as that user before the daemon depends on them
 * (gw_privs_try_as). A forked child becomes the user, exactly as the drop
 * does, and opens each file: the kernel then answers with everything that
 * decides it (modes of the file and of every directory above it, groups,
 * ACLs, a read-only mount), which guessing from mode bits would not.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/privs.h"

#define PRIVS_TRY_MAX	16

static bool privs_rooted;

int gw_privs_empty_root(void)
{
	char dir[] = "/tmp/postern-root.XXXXXX";
	int err = 0;

	if (!mkdtemp(dir))
		return -errno;
	/* Standing in it, it is removed: a deleted directory takes no new
	 * entries, and ".." at the new root is the root itself. */
	if (chdir(dir) < 0 || rmdir(dir) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		err = -errno;
		rmdir(dir);
		return err;
	}
	privs_rooted = true;
	return 0;
}

bool gw_privs_empty_rooted(void)
{
	return privs_rooted;
}

/* Becomes pw's user for good: supplementary groups, group, (an empty root
 * directory, once the group file is read), then user. */
static int privs_become(const struct passwd *pw, bool empty_root)
{
	int err;

	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0)
		return -errno;
	if (empty_root && (err = gw_privs_empty_root()) < 0)
		return err;
	if (setuid(pw->pw_uid) < 0)
		return -errno;
	if (pw->pw_uid != 0 && setuid(0) == 0)
		return -EPERM;
	return 0;
}

int gw_privs_drop(const char *user, bool empty_root)
{
	struct passwd *pw;
	int err;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (!user)
		return empty_root ? gw_privs_empty_root() : 0;
	pw = getpwnam(user);
	if (!pw)
		return -ENOENT;
	err = privs_become(pw, empty_root);
	if (err < 0)
		return err;
	/* A change of user can make a process dumpable again: undo that. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Root without root's powers: no capability in any set, none in the
 * bounding set, and securebits that keep uid 0 from giving them back
 * (at exec or by a change of user), locked.
 */
int gw_privs_shed(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { 0 };
	const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
		SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (geteuid() != 0)
		return 0;		/* nothing to shed */
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return -errno;
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	if (syscall(SYS_capset, &hdr, none) < 0)
		return -errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/*
 * What the supervisor keeps (posternd's first process, which parses no
 * network input and no file): only what setting up a network process and
 * serving its file broker take. Opening and configuring the TUN device,
 * its addresses, routes and steering program (NET_ADMIN, BPF), binding the
 * listeners and forcing socket buffers (NET_BIND_SERVICE, NET_ADMIN),
 * raising the descriptor limit (SYS_RESOURCE), reading files an
 * administrator wrote (DAC_OVERRIDE, DAC_READ_SEARCH), becoming the
 * workers' user and shedding root in the key holder (SETUID, SETGID,
 * SETPCAP), and signalling a network process that runs as that user
 * (KILL: reload, log reopening, stop), and, on a kernel without Landlock,
 * the empty root directories of a network process and its key holder
 * (SYS_CHROOT). Everything else (SYS_ADMIN,
 * SYS_PTRACE, SYS_MODULE, SYS_RAWIO, MKNOD, CHOWN, ...) goes from every
 * set, the bounding set included, for good. conf/postern.service's
 * CapabilityBoundingSet is this list less DAC_* and SYS_RESOURCE (the
 * unit sets LimitNOFILE; its files are root's).
 */
static const int privs_supervisor_caps[] = {
	CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP,
	CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_SYS_RESOURCE, CAP_BPF, CAP_SYS_CHROOT,
};

static bool privs_supervisor_keeps(int cap)
{
	for (size_t i = 0; i < sizeof(privs_supervisor_caps) / sizeof(privs_supervisor_caps[0]); i++)
		if (privs_supervisor_caps[i] == cap)
			return true;
	return false;
}

int gw_privs_limit(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (geteuid() != 0)
		return 0;		/* not root: nothing to limit */
	if (syscall(SYS_capget, &hdr, d) < 0)
		return -errno;
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		uint32_t bit = UINT32_C(1) << (cap % 32);

		if (privs_supervisor_keeps(cap) || cap / 32 >= _LINUX_CAPABILITY_U32S_3)
			continue;
		d[cap / 32].effective &= ~bit;
		d[cap / 32].permitted &= ~bit;
		d[cap / 32].inheritable &= ~bit;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	return syscall(SYS_capset, &hdr, d) < 0 ? -errno : 0;
}

/* ---- trying files as another user ---- */

struct privs_result {
	int err;
	size_t blocked_at;
};

/* The length of the first directory on path this process cannot search;
 * 0 when it can search them all. */
static size_t privs_blocked_at(const char *path)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(dir))
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (path[i] != '/')
			continue;
		memcpy(dir, path, i);
		dir[i] = '\0';
		if (access(dir, X_OK) < 0)
			return i;
	}
	return 0;
}

/* A file to append to that does not exist yet is created in its directory. */
static int privs_try_create(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return access(n ? dir : "/", W_OK | X_OK) < 0 ? -errno : 0;
}

/* As the audit log is opened: for append, never through a symlink. */
static void privs_try_one(const struct gw_access *a, struct privs_result *r)
{
	int flags = O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = open(a->path, flags | (a->append ? O_WRONLY | O_APPEND | O_NOFOLLOW : O_RDONLY));

	r->blocked_at = 0;
	r->err = fd < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	if (r->err == -ENOENT && a->append)
		r->err = privs_try_create(a->path);
	if (r->err == -EACCES)
		r->blocked_at = privs_blocked_at(a->path);
}

/* The child: becomes pw's user (unless it is already), tries, reports. */
static void privs_child(const struct passwd *pw, const struct gw_access *a, size_t n, int fd)
{
	struct privs_result r[PRIVS_TRY_MAX];
	const char *p;
	size_t left = n * sizeof(r[0]);

	if (geteuid() != pw->pw_uid && privs_become(pw, false) < 0)
		_exit(2);
	for (size_t i = 0; i < n; i++)
		privs_try_one(&a[i], &r[i]);
	for (p = (const char *)r; left;) {
		ssize_t k = write(fd, p, left);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(3);
		p += k;
		left -= (size_t)k;
	}
	_exit(0);
}

/* Reads the child's results and reaps it; -EIO when it did not finish. */
static int privs_collect(pid_t pid, int fd, struct gw_access *a, size_t n)
{
	struct privs_result r[PRIVS_TRY_MAX];
	size_t got = 0, want = n * sizeof(r[0]);
	int status = 0;

	while (got < want) {
		ssize_t k = read(fd, (char *)r + got, want - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != want || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return WIFEXITED(status) && WEXITSTATUS(status) == 2 ? -EPERM : -EIO;
	for (size_t i = 0; i < n; i++) {
		a[i].err = r[i].err;
		a[i].blocked_at = r[i].blocked_at;
	}
	return 0;
}

int gw_privs_try_as(const char *user, struct gw_access *a, size_t n)
{
	struct passwd *pw = user ? getpwnam(user) : NULL;
	int fds[2], ret;
	pid_t pid;

	if (!pw)
		return -ENOENT;
	if (n > PRIVS_TRY_MAX)
		return -E2BIG;
	if (geteuid() != 0 && geteuid() != pw->pw_uid)
		return -EPERM;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		close(fds[0]);
		privs_child(pw, a, n, fds[1]);
	}
	close(fds[1]);
	ret = privs_collect(pid, fds[0], a, n);
	close(fds[0]);
	return ret;
}
