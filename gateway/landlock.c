/* SPDX-License-Identifier: MIT */
/*
 * Landlock for the sandboxed processes: the network process keeps only
 * the removal of its control socket (the files it re-reads, the supervisor
 * opens for it: broker.c); the key holder keeps no filesystem at all.
 * Both lose new TCP binds and connections (ABI 4) and the signalling
 * of processes outside their sandbox (ABI 6). What the kernel's ABI does
 * not know is not asked for: each right is handled only from the ABI
 * version that brought it, so an older kernel gets what it can enforce.
 *
 * The build's kernel headers (Debian 12: ABI 2) may predate the newer
 * rights and the larger ruleset structure, so both are spelled out here
 * with the kernel's values.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "gateway/landlock.h"

#define LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP	(1ULL << 1)	/* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */


/* The kernel's struct landlock_ruleset_attr as of ABI 6; its size tells
 * the kernel which fields a caller knows. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

const char *gw_landlock_dir(const char *path, char *buf, size_t len)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	if (!path)
		return NULL;
	if (!slash)
		return ".";		/* relative to where posternd started */
	if (slash == path)
		return "/";
	if ((size_t)(slash - path) >= len)
		return NULL;
	memcpy(buf, path, (size_t)(slash - path));
	buf[slash - path] = '\0';
	return buf;
}

static uint64_t ll_handled_fs(int abi)
{
	uint64_t fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;	/* ABI 1: bits 0-12 */

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LL_FS_IOCTL_DEV;
	return fs;
}

static size_t ll_attr_size(int abi)
{
	if (abi >= 6)
		return sizeof(struct ll_ruleset_attr);
	if (abi >= 4)
		return offsetof(struct ll_ruleset_attr, scoped);
	return offsetof(struct ll_ruleset_attr, handled_access_net);
}

/* One tree under access; a directory that does not exist is skipped (the
 * file in it cannot be there either). */
static int ll_allow(int ruleset, const char *dir, uint64_t access)
{
	struct landlock_path_beneath_attr rule = { .allowed_access = access };
	int err = 0;

	if (!dir)
		return 0;
	rule.parent_fd = open(dir, O_PATH | O_CLOEXEC | O_DIRECTORY);
	if (rule.parent_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
		err = -errno;
	close(rule.parent_fd);
	return err;
}

int gw_landlock_abi(void)
{
	const char *off = getenv("POSTERN_NO_LANDLOCK");
	long abi;

	if (off && !strcmp(off, "1"))
		return 0;
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi > 0 ? (int)abi : 0;
}

int gw_landlock_enter(const struct gw_landlock *rules)
{
	int abi = gw_landlock_abi();
	struct ll_ruleset_attr attr = { 0 };
	int fd, err = 0;

	if (!abi)
		return 0;
	attr.handled_access_fs = ll_handled_fs(abi);
	if (abi >= 4)
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, ll_attr_size(abi), 0);
	if (fd < 0)
		return -errno;
	err = ll_allow(fd, rules->remove, LANDLOCK_ACCESS_FS_REMOVE_FILE);
	if (!err && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		err = -errno;
	if (!err && syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		err = -errno;
	close(fd);
	return err ? err : abi;
}
