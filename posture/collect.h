/* SPDX-License-Identifier: MIT */
/*
 * What the posture agent reads from the device it runs on (collect.c): the
 * collectors, each given the file or directory it reads so that unit tests
 * can point it at fixtures, and pst_collect, which runs them all and adds
 * the agent config's MDM marker (posture/agentconf.h) and a facts file's
 * overrides (posture/factsfile.h). Only the postern-posture program uses
 * this; the gateway never sees it.
 */
#ifndef POSTERN_POSTURE_COLLECT_H
#define POSTERN_POSTURE_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "posture/posture.h"

#define PST_WHY_MAX		512	/* room for one error message */

/* Where the collectors look; pst_collect_paths_default() fills the real ones. */
struct pst_collect_paths {
	const char *root;		/* "/": etc/os-release, usr/lib/os-release */
	const char *mountinfo;		/* "/proc/self/mountinfo" */
	const char *sys;		/* "/sys" */
	const char *agent_conf;		/* POSTERN_AGENT_CONF or the default */
	const char *cert;		/* POSTERN_CERT, or NULL: no device.id */
	const char *facts;		/* POSTERN_FACTS, or NULL: no overrides */
};

void pst_collect_paths_default(struct pst_collect_paths *paths);

/*
 * Collects every fact this platform can tell, all with source agent and
 * time now, then applies the overrides file. Returns 0, or a negative errno
 * with one line in err (a file that names a path: the certificate, the agent
 * config, the overrides). A fact a collector cannot tell is simply not
 * reported: the policy counts a missing fact as a failed check.
 */
int pst_collect(const struct pst_collect_paths *paths, time_t now, struct pst_facts *facts,
		char *err, size_t errlen);

/* The value of KEY=VALUE in an os-release file (quotes and backslash escapes
 * removed). 0, -ENOENT when KEY is absent, -EINVAL for a malformed value,
 * -ENOSPC when it does not fit. */
int pst_osrelease_value(const char *buf, size_t len, const char *key, char *out, size_t outlen);
/* VERSION_ID of ROOT/etc/os-release, else of ROOT/usr/lib/os-release. */
int pst_osrelease_version(const char *root, char *out, size_t outlen);

/*
 * The device (major:minor) mounted on "/" according to a mountinfo file's
 * text; the last "/" mount wins, as it hides the ones below. 0, -ENOENT when
 * nothing is mounted on "/", -EINVAL for a malformed line.
 */
int pst_mountinfo_root(const char *buf, size_t len, unsigned int *major, unsigned int *minor);

/*
 * Whether block device major:minor is dm-crypt or sits only on dm-crypt
 * devices, read from SYS/dev/block/M:m. 0 with *encrypted set; -ENODEV when
 * it cannot tell (an anonymous device such as overlay or tmpfs, or no such
 * device in sysfs); -ELOOP when the stack is deeper than we follow.
 */
int pst_blockdev_encrypted(const char *sys, unsigned int major, unsigned int minor,
			   bool *encrypted);

/* The identity in a PEM device certificate file. 0, or -errno with err. */
int pst_certfile_identity(const char *path, struct pst_identity *id, char *err, size_t errlen);

/* Words for cm_file_read's errors, to follow a file's name in a message:
 * "not a regular file", "file too large", else strerror's. */
const char *pst_file_error(int err);

#endif
