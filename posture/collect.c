/* SPDX-License-Identifier: MIT */
/*
 * What the posture agent finds out about the Linux device it runs on: OS
 * name, version and kernel, host name, the device id its certificate was
 * issued to, and whether the root filesystem sits on dm-crypt; pst_collect
 * adds whether an MDM has enrolled it (the marker file the agent's own
 * config names, posture/agentconf.c) and then the overrides of a facts file
 * (posture/factsfile.c). Each collector reads one file or directory given
 * by its caller, so that unit tests can point it at fixtures. A collector
 * that cannot tell leaves its fact out: the policy counts a missing fact as
 * a failed check, which is safer than a guess. These facts are the device's
 * own word; the gateway weighs them as such (posture.h: the agent ranks
 * below the MDM inventory).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "common/file.h"
#include "common/macros.h"
#include "common/number.h"
#include "posture/agentconf.h"
#include "posture/collect.h"
#include "posture/factsfile.h"

#define OSRELEASE_MAX	(64 * 1024)
#define MOUNTINFO_MAX	(4 * 1024 * 1024)
#define SYSFS_ATTR_MAX	4096
#define CERT_FILE_MAX	(64 * 1024)
#define BLOCK_DEPTH_MAX	8	/* dm on dm on md on ...: deeper stacks are not followed */

/* ---- files ---- */

static int path_join(char *buf, size_t len, const char *dir, const char *rel)
{
	size_t dlen = strlen(dir);
	int n;

	while (dlen > 0 && dir[dlen - 1] == '/')
		dlen--;
	n = snprintf(buf, len, "%.*s/%s", (int)dlen, dir, rel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Words for cm_file_read's errors. */
const char *pst_file_error(int err)
{
	if (err == -EINVAL)
		return "not a regular file";
	if (err == -EFBIG)
		return "file too large";
	return strerror(-err);
}

/* ---- os-release ---- */

/* Characters a shell would treat specially: os-release(5) says to quote them. */
static bool osrelease_plain(char c)
{
	return c > ' ' && c < 0x7f && !strchr("\"'\\$`", c);
}

static int osrelease_put(char *out, size_t outlen, size_t *n, char c)
{
	if (*n + 1 >= outlen)
		return -ENOSPC;
	out[(*n)++] = c;
	return 0;
}

/* A double-quoted value: \" \\ \$ \` escape; other backslashes are refused. */
static int osrelease_dquoted(const char *v, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;
	int ret = 0;

	for (i = 1; !ret && i < len - 1; i++) {
		if (v[i] == '\\' && i + 1 < len - 1 && strchr("\"\\$`", v[i + 1]))
			i++;
		else if (v[i] == '\\' || v[i] == '"' || v[i] == '$' || v[i] == '`')
			return -EINVAL;
		ret = osrelease_put(out, outlen, &n, v[i]);
	}
	out[n] = '\0';
	return ret;
}

static int osrelease_unquote(const char *v, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;
	int ret = 0;

	if (len >= 2 && v[0] == '"' && v[len - 1] == '"')
		return osrelease_dquoted(v, len, out, outlen);
	if (len >= 2 && v[0] == '\'' && v[len - 1] == '\'') {
		if (memchr(v + 1, '\'', len - 2))
			return -EINVAL;
		v++;
		len -= 2;
	} else {
		for (i = 0; i < len; i++)
			if (!osrelease_plain(v[i]))
				return -EINVAL;
	}
	for (i = 0; !ret && i < len; i++)
		ret = osrelease_put(out, outlen, &n, v[i]);
	if (outlen)
		out[n] = '\0';
	return ret;
}

/* The shell reads the file top to bottom, so the last assignment wins. */
int pst_osrelease_value(const char *buf, size_t len, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key), pos = 0;
	int ret = -ENOENT;

	if (outlen == 0)
		return -ENOSPC;
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;

		pos += llen + 1;
		if (llen > klen && !memcmp(line, key, klen) && line[klen] == '=')
			ret = osrelease_unquote(line + klen + 1, llen - klen - 1, out, outlen);
		if (ret && ret != -ENOENT)
			return ret;
	}
	return ret;
}

/*
 * os-release(5): /etc/os-release takes precedence, and /usr/lib/os-release
 * is read only when the former does not exist (not when it lacks the key).
 */
int pst_osrelease_version(const char *root, char *out, size_t outlen)
{
	static const char *const files[] = { "etc/os-release", "usr/lib/os-release" };
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0, i;
	int ret = -ENOENT;

	for (i = 0; ret == -ENOENT && i < CM_ARRAY_SIZE(files); i++) {
		ret = path_join(path, sizeof(path), root, files[i]);
		if (!ret)
			ret = cm_file_read(path, OSRELEASE_MAX, &buf, &len);
	}
	if (ret)
		return ret;
	ret = pst_osrelease_value(buf, len, "VERSION_ID", out, outlen);
	free(buf);
	return ret;
}

/* ---- the root filesystem's device ---- */

/* A number (common/number.h) that ends at stop; *p moves past stop. */
static int mountinfo_number(const char **p, const char *end, char stop, unsigned int *out)
{
	const char *s = *p, *at = memchr(s, stop, (size_t)(end - s));
	uint64_t v;

	if (!at || cm_number_parse_n(s, (size_t)(at - s), 0, UINT32_MAX, &v))
		return -EINVAL;
	*out = (unsigned int)v;
	*p = at + 1;
	return 0;
}

/* Moves *p past one space-separated field (spaces in paths are \040). */
static int mountinfo_skip(const char **p, const char *end)
{
	const char *sp = memchr(*p, ' ', (size_t)(end - *p));

	if (!sp || sp == *p)
		return -EINVAL;
	*p = sp + 1;
	return 0;
}

/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": sets *is_root and the device. */
static int mountinfo_line(const char *p, const char *end, bool *is_root, unsigned int *major,
			  unsigned int *minor)
{
	unsigned int id;
	int ret = mountinfo_number(&p, end, ' ', &id);

	if (!ret)
		ret = mountinfo_number(&p, end, ' ', &id);
	if (!ret)
		ret = mountinfo_number(&p, end, ':', major);
	if (!ret)
		ret = mountinfo_number(&p, end, ' ', minor);
	if (!ret)
		ret = mountinfo_skip(&p, end);
	if (!ret)
		*is_root = end - p >= 2 && p[0] == '/' && p[1] == ' ';
	return ret;
}

int pst_mountinfo_root(const char *buf, size_t len, unsigned int *major, unsigned int *minor)
{
	size_t pos = 0;
	int ret = -ENOENT;

	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;
		unsigned int ma, mi;
		bool is_root = false;

		pos += llen + 1;
		if (mountinfo_line(line, line + llen, &is_root, &ma, &mi))
			return -EINVAL;
		if (is_root) {
			*major = ma;
			*minor = mi;
			ret = 0;
		}
	}
	return ret;
}

/* ---- dm-crypt ---- */

/*
 * The dm uuid prefixes cryptsetup gives devices that encrypt. CRYPT-VERITY,
 * CRYPT-INTEGRITY and CRYPT-SUBDEV devices also start with "CRYPT-" but only
 * check or carry data, so the list names the encrypting types (an unknown new
 * type reads as not encrypted, failing closed).
 */
static bool dm_uuid_encrypts(const char *uuid)
{
	static const char *const types[] = {
		"CRYPT-LUKS1-", "CRYPT-LUKS2-", "CRYPT-PLAIN-", "CRYPT-LOOPAES-",
		"CRYPT-TCRYPT-", "CRYPT-BITLK-", "CRYPT-FVAULT2-",
	};
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(types); i++)
		if (!strncmp(uuid, types[i], strlen(types[i])))
			return true;
	return false;
}

/* 1 when DIR/dm/uuid names an encrypting device, 0 when not or not dm. */
static int block_dm_crypt(const char *dir)
{
	char path[PATH_MAX], *uuid = NULL;
	size_t len;
	int ret = path_join(path, sizeof(path), dir, "dm/uuid");

	if (!ret)
		ret = cm_file_read(path, SYSFS_ATTR_MAX, &uuid, &len);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	ret = dm_uuid_encrypts(uuid);
	free(uuid);
	return ret;
}

static int block_encrypted_at(const char *dir, int depth, bool *encrypted);

/*
 * A device sits on dm-crypt when it has slaves (the devices it is built
 * from) and every one of them is or sits on dm-crypt: a volume group that
 * spans one encrypted and one plain disk is not an encrypted disk. No slaves
 * directory (a partition) or an empty one (a whole disk): a plain device.
 */
static int block_slaves_encrypted(const char *dir, int depth, bool *encrypted)
{
	char path[PATH_MAX];
	struct dirent *e;
	bool any = false, all = true;
	DIR *d;
	int ret = path_join(path, sizeof(path), dir, "slaves");

	if (ret)
		return ret;
	*encrypted = false;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && all && (e = readdir(d))) {
		char sub[PATH_MAX];

		if (e->d_name[0] == '.')
			continue;
		ret = path_join(sub, sizeof(sub), path, e->d_name);
		if (!ret)
			ret = block_encrypted_at(sub, depth + 1, &all);
		any = true;
	}
	closedir(d);
	*encrypted = any && all;
	return ret;
}

static int block_encrypted_at(const char *dir, int depth, bool *encrypted)
{
	int ret;

	if (depth > BLOCK_DEPTH_MAX)
		return -ELOOP;
	ret = block_dm_crypt(dir);
	if (ret < 0)
		return ret;
	if (ret == 1) {
		*encrypted = true;
		return 0;
	}
	return block_slaves_encrypted(dir, depth, encrypted);
}

int pst_blockdev_encrypted(const char *sys, unsigned int major, unsigned int minor,
			   bool *encrypted)
{
	char rel[64], dir[PATH_MAX];
	struct stat st;
	int ret;

	/* Major 0 is the kernel's anonymous devices: overlay, tmpfs, NFS, btrfs
	 * subvolumes. Which disk holds their data cannot be read from here. */
	if (major == 0)
		return -ENODEV;
	snprintf(rel, sizeof(rel), "dev/block/%u:%u", major, minor);
	ret = path_join(dir, sizeof(dir), sys, rel);
	if (ret)
		return ret;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ENODEV;
	return block_encrypted_at(dir, 0, encrypted);
}

static int collect_disk(const struct pst_collect_paths *paths, bool *encrypted)
{
	unsigned int major = 0, minor = 0;
	char *buf = NULL;
	size_t len = 0;
	int ret = cm_file_read(paths->mountinfo, MOUNTINFO_MAX, &buf, &len);

	if (ret)
		return ret;
	ret = pst_mountinfo_root(buf, len, &major, &minor);
	free(buf);
	if (!ret)
		ret = pst_blockdev_encrypted(paths->sys, major, minor, encrypted);
	return ret;
}

/* ---- the device certificate ---- */

int pst_certfile_identity(const char *path, struct pst_identity *id, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *cert = NULL;
	int ret = cm_file_read(path, CERT_FILE_MAX, &buf, &len);

	if (ret) {
		snprintf(err, errlen, "%s: %s", path, pst_file_error(ret));
		return ret;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (!cert) {
		snprintf(err, errlen, "%s: not a PEM certificate", path);
		ret = -EINVAL;
	} else if (!pst_cert_identity(cert, id)) {
		snprintf(err, errlen, "%s: not a Postern device certificate", path);
		ret = -EINVAL;
	}
	X509_free(cert);
	BIO_free(bio);
	free(buf);
	return ret;
}

/* ---- all together ---- */

void pst_collect_paths_default(struct pst_collect_paths *paths)
{
	const char *conf = getenv("POSTERN_AGENT_CONF");
	const char *cert = getenv("POSTERN_CERT");
	const char *facts = getenv("POSTERN_FACTS");

	paths->root = "/";
	paths->mountinfo = "/proc/self/mountinfo";
	paths->sys = "/sys";
	paths->agent_conf = conf && *conf ? conf : PST_AGENT_CONF_DEFAULT;
	paths->cert = cert && *cert ? cert : NULL;
	paths->facts = facts && *facts ? facts : NULL;
}

/* A value outside the fact grammar (an odd host name) is left out, not fatal. */
static int collect_set(struct pst_facts *facts, const char *name, const char *value, time_t now)
{
	int ret = pst_facts_set(facts, name, value, PST_SRC_AGENT, now);

	return ret == -EINVAL ? 0 : ret;
}

/*
 * passcode.set and device.rooted are not reported on Linux: a desktop has no
 * single device passcode (logins are per user, screen locks per session),
 * and "rooted" means nothing where the owner may hold root by design. A
 * policy that requires them quarantines Linux devices, as it should when it
 * asks for something the platform cannot show.
 */
static int collect_os(const struct pst_collect_paths *paths, struct pst_facts *facts, time_t now)
{
	char version[PST_VALUE_MAX + 1];
	struct utsname u;
	int ret = 0;

	if (uname(&u) == 0) {
		if (!strcmp(u.sysname, "Linux"))
			ret = collect_set(facts, "os.name", "linux", now);
		if (!ret)
			ret = collect_set(facts, "os.kernel", u.release, now);
		if (!ret)
			ret = collect_set(facts, "device.hostname", u.nodename, now);
	}
	if (!ret && pst_osrelease_version(paths->root, version, sizeof(version)) == 0 &&
	    version[0])
		ret = collect_set(facts, "os.version", version, now);
	return ret;
}

static int collect_device(const struct pst_collect_paths *paths, struct pst_facts *facts,
			  time_t now, char *err, size_t errlen)
{
	struct pst_identity id;
	bool flag = false;
	int ret = 0;

	if (collect_disk(paths, &flag) == 0)
		ret = collect_set(facts, "disk.encrypted", flag ? "true" : "false", now);
	if (!ret) {
		ret = pst_agentconf_mdm(paths->agent_conf, &flag, err, errlen);
		if (!ret)
			ret = collect_set(facts, "mdm.enrolled", flag ? "true" : "false", now);
		else if (ret == -ENOENT)
			ret = 0;
	}
	if (!ret && paths->cert) {
		ret = pst_certfile_identity(paths->cert, &id, err, errlen);
		if (!ret)
			ret = collect_set(facts, "device.id", id.device_id, now);
	}
	return ret;
}

int pst_collect(const struct pst_collect_paths *paths, time_t now, struct pst_facts *facts,
		char *err, size_t errlen)
{
	int ret;

	pst_facts_init(facts);
	ret = collect_os(paths, facts, now);
	if (!ret)
		ret = collect_device(paths, facts, now, err, errlen);
	if (ret == -ENOSPC)
		snprintf(err, errlen, "more than %d facts", PST_FACTS_MAX);
	if (!ret && paths->facts)
		ret = pst_factsfile_load(paths->facts, now, facts, err, errlen);
	return ret;
}
