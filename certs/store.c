/* SPDX-License-Identifier: MIT */
/*
 * The files of a CA directory (see store.h for the layout): the one writer
 * every file of postern-ca goes through, the device files, and the sweep
 * that keeps them in step with the ledger after a run was killed. A file
 * and a database row cannot change in one atomic step, so the order is
 * what makes it safe: files are written and synced under a name no reader
 * uses before the commit, and renamed to the name readers use only after
 * it. Because staging happens under the ledger's write lock, a sweep that
 * holds the lock knows that every staged file of an uncommitted serial
 * belongs to a run that is gone.
 */
#include "certs/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs/error.h"
#include "certs/input.h"
#include "certs/pem.h"

int ca_path(char *buf, size_t len, const char *dir, const char *name,
	    char *err, size_t errlen)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return ca_err(err, errlen, -ENAMETOOLONG, "path too long: %s/%s", dir, name);
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes, syncs and closes fd. The mode is set with fchmod so that it is
 * exactly what we mean whatever the umask. */
static int fd_finish(int fd, mode_t mode, BIO *mem)
{
	char *data = NULL;
	long len = BIO_get_mem_data(mem, &data);
	int ret = 0;

	if (len < 0 || fchmod(fd, mode) < 0)
		ret = len < 0 ? -EIO : -errno;
	if (!ret)
		ret = write_all(fd, data, (size_t)len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

int ca_dir_sync(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret = 0;

	if (strlen(path) >= sizeof(copy))
		return -ENAMETOOLONG;
	strcpy(copy, path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Opens the file the data goes to: path itself for CA_WRITE_NEW, which
 * must not exist (not even as a dangling symlink); O_EXCL and the 0600
 * creation mode mean a key is never readable by others, not even between
 * open and fchmod. Otherwise a temporary next to path, named into tmp.
 */
static int write_open(const char *path, enum ca_write how, char *tmp, size_t len,
		      char *err, size_t errlen)
{
	int fd, n;

	if (how == CA_WRITE_NEW) {
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			  CA_MODE_PRIVATE);
		if (fd < 0 && errno == EEXIST)
			return -EEXIST;
		if (fd < 0)
			return ca_err_sys(err, errlen, -errno, "cannot create %s", path);
		return fd;
	}
	n = snprintf(tmp, len, "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= len)
		return ca_err(err, errlen, -ENAMETOOLONG, "path too long: %s", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ca_err_sys(err, errlen, -errno,
				  "cannot create a temporary file next to %s", path);
	return fd;
}

/* Gives a complete temporary its name, unless writing it failed (ret), and
 * leaves no temporary behind. A link fails with EEXIST when path exists,
 * even as a dangling symlink. */
static int write_name(const char *tmp, const char *path, enum ca_write how, int ret)
{
	if (!ret && (how == CA_WRITE_REPLACE ? rename(tmp, path) : link(tmp, path)) < 0)
		ret = -errno;
	if (how == CA_WRITE_LINK || ret)
		unlink(tmp);
	return ret;
}

static int file_write(const char *path, mode_t mode, BIO *mem, enum ca_write how,
		      char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int ret, fd = write_open(path, how, tmp, sizeof(tmp), err, errlen);

	if (fd < 0)
		return fd;
	ret = fd_finish(fd, mode, mem);
	if (how != CA_WRITE_NEW)
		ret = write_name(tmp, path, how, ret);
	if (!ret)
		ret = ca_dir_sync(path);
	if (ret && how == CA_WRITE_NEW)
		unlink(path);
	if (ret && ret != -EEXIST)
		ca_err_sys(err, errlen, ret, "cannot write %s", path);
	return ret;
}

int ca_file_write(const char *path, mode_t mode, enum ca_write how, BIO *mem, bool encoded,
		  const char *what, char *err, size_t errlen)
{
	int ret = encoded ? file_write(path, mode, mem, how, err, errlen) :
		  ca_err_ssl(err, errlen, -ENOMEM, "cannot encode %s for %s", what, path);

	BIO_free(mem);
	return ret;
}

/* Refuses a secret others can read: it has to be taken as leaked. */
int ca_file_secret_check(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		ca_err_sys(err, errlen, -errno, "cannot stat %s", path);
		return -EIO;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return ca_err(err, errlen, -EPERM, "%s is accessible by group or others "
			      "(mode %04o): chmod 600 it", path,
			      (unsigned int)(st.st_mode & 07777));
	return 0;
}

/* DIR/devices/ID, DIR/devices/.ID.SERIAL or DIR/devices/SUB/ID.SERIAL, each
 * with .key and .crt. */
static int files_path(struct ca_files *out, const char *dir, const char *sub,
		      const char *id, const char *serial, char *err, size_t errlen)
{
	char base[PATH_MAX];
	int n, k = 0, c = 0;

	if (!serial)
		n = snprintf(base, sizeof(base), "%s/%s/%s", dir, CA_DIR_DEVICES, id);
	else if (!sub)
		n = snprintf(base, sizeof(base), "%s/%s/.%s.%s", dir, CA_DIR_DEVICES, id, serial);
	else
		n = snprintf(base, sizeof(base), "%s/%s/%s/%s.%s", dir, CA_DIR_DEVICES, sub, id,
			     serial);
	if (n >= 0 && (size_t)n < sizeof(base)) {
		k = snprintf(out->key, sizeof(out->key), "%s.key", base);
		c = snprintf(out->crt, sizeof(out->crt), "%s.crt", base);
	}
	if (n < 0 || (size_t)n >= sizeof(base) || k < 0 || (size_t)k >= sizeof(out->key) ||
	    c < 0 || (size_t)c >= sizeof(out->crt))
		return ca_err(err, errlen, -ENAMETOOLONG, "path too long under %s/%s", dir,
			      CA_DIR_DEVICES);
	return 0;
}

int ca_store_current(const char *dir, const char *device_id, struct ca_files *out,
		     char *err, size_t errlen)
{
	return files_path(out, dir, NULL, device_id, NULL, err, errlen);
}

int ca_store_staged(const char *dir, const char *device_id, const char *serial,
		    struct ca_files *out, char *err, size_t errlen)
{
	return files_path(out, dir, NULL, device_id, serial, err, errlen);
}

int ca_store_archived(const char *dir, const char *device_id, const char *serial,
		      struct ca_files *out, char *err, size_t errlen)
{
	return files_path(out, dir, CA_DIR_ARCHIVE, device_id, serial, err, errlen);
}

/* Removes a file; one already gone is fine. 0 or -errno. */
static int file_remove(const char *path)
{
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int ca_store_stage(const struct ca_files *staged, EVP_PKEY *key, X509 *cert,
		   char *err, size_t errlen)
{
	int ret = key ? ca_key_save(staged->key, key, err, errlen) : 0;

	if (!ret)
		ret = ca_cert_save(staged->crt, cert, err, errlen);
	if (ret == -EEXIST)	/* a serial is random: a leftover of a broken run */
		ca_err(err, errlen, ret, "%s already exists", staged->crt);
	/* What cannot be removed is a staged file of a serial the ledger
	 * does not have: the next sweep removes it. err says why staging
	 * failed, the failure that matters. */
	if (ret)
		ca_store_unstage(staged, NULL, 0);
	return ret;
}

int ca_store_unstage(const struct ca_files *staged, char *err, size_t errlen)
{
	int ret = file_remove(staged->crt);
	const char *path = staged->crt;

	if (!ret) {
		ret = file_remove(staged->key);
		path = staged->key;
	} else {
		file_remove(staged->key);
	}
	if (ret)
		ca_err_sys(err, errlen, ret, "cannot remove %s", path);
	return ret;
}

/* A rename whose source is gone was done by someone else: a sweep. */
static int rename_into(const char *from, const char *to, char *err, size_t errlen)
{
	if (rename(from, to) < 0 && errno != ENOENT)
		return ca_err_sys(err, errlen, -errno, "cannot rename %s to %s", from, to);
	return 0;
}

/* Removes a device's current key file when its new certificate's key is
 * the device's own. */
static int key_drop(const char *path, char *err, size_t errlen)
{
	int ret = file_remove(path);

	return ret ? ca_err_sys(err, errlen, ret, "cannot remove %s", path) : 0;
}

int ca_store_install(const struct ca_files *staged, const struct ca_files *current,
		     bool has_key, char *err, size_t errlen)
{
	int ret = has_key ? rename_into(staged->key, current->key, err, errlen) :
		  key_drop(current->key, err, errlen);

	if (!ret)
		ret = rename_into(staged->crt, current->crt, err, errlen);
	if (!ret)
		ret = ca_dir_sync(current->crt);
	return ret;
}

static int archive_dir_make(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s/%s", dir, CA_DIR_DEVICES, CA_DIR_ARCHIVE);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return ca_err_sys(err, errlen, -errno, "cannot create %s", path);
	return 0;
}

static int link_into(const char *from, const char *to, char *err, size_t errlen)
{
	if (link(from, to) < 0 && errno != ENOENT && errno != EEXIST)
		return ca_err_sys(err, errlen, -errno, "cannot link %s to %s", from, to);
	return 0;
}

int ca_store_archive(const char *dir, const char *device_id, const char *serial,
		     char *err, size_t errlen)
{
	struct ca_files cur, arc;
	int ret = ca_store_current(dir, device_id, &cur, err, errlen);

	if (!ret)
		ret = ca_store_archived(dir, device_id, serial, &arc, err, errlen);
	if (!ret)
		ret = archive_dir_make(dir, err, errlen);
	if (!ret)
		ret = link_into(cur.key, arc.key, err, errlen);
	if (!ret)
		ret = link_into(cur.crt, arc.crt, err, errlen);
	if (!ret)
		ret = ca_dir_sync(arc.crt);
	return ret;
}

static bool hex_upper(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return n > 0;
}

bool ca_store_staged_name(const char *name, char *device_id, char *serial, bool *is_key)
{
	size_t n = strlen(name);
	const char *dot;

	if (n < 6 || name[0] != '.')
		return false;
	if (strcmp(name + n - 4, ".key") == 0)
		*is_key = true;
	else if (strcmp(name + n - 4, ".crt") == 0)
		*is_key = false;
	else
		return false;
	n -= 4;
	for (dot = name + n - 1; dot > name && *dot != '.'; dot--)
		;
	if (dot <= name + 1 || (size_t)(name + n - dot - 1) > CA_SERIAL_HEX_MAX ||
	    (size_t)(dot - name - 1) > CA_DEVICE_ID_MAX ||
	    !hex_upper(dot + 1, (size_t)(name + n - dot - 1)))
		return false;
	memcpy(serial, dot + 1, (size_t)(name + n - dot - 1));
	serial[name + n - dot - 1] = '\0';
	memcpy(device_id, name + 1, (size_t)(dot - name - 1));
	device_id[dot - name - 1] = '\0';
	return ca_device_id_valid(device_id);
}

/* ------------------------------------------------------------------ */
/* The sweep                                                           */
/* ------------------------------------------------------------------ */

struct sweep {
	const char *dir;
	struct ca_ledger *l;
	ca_sweep_cb cb;
	void *ctx;
	struct ca_sweep count;
};

static void sweep_tell(struct sweep *sw, enum ca_sweep_what what, const char *path,
		       const char *serial, int error)
{
	struct ca_sweep_event ev = { what, path, serial, error };

	if (what == CA_SWEEP_INSTALLED)
		sw->count.installed++;
	else if (what == CA_SWEEP_ARCHIVED)
		sw->count.archived++;
	else
		sw->count.removed++;
	if (sw->cb)
		sw->cb(&ev, sw->ctx);
}

/* A committed run's file: put in place when its serial is still the
 * device's current one, else (a later renewal superseded it) archived. A
 * current certificate whose key the device made replaces the key file of
 * the one before, as ca_store_install does. */
static int sweep_finish(struct sweep *sw, const struct ca_record *rec, const char *from,
			bool is_key, bool current, char *err, size_t errlen)
{
	const char *id = rec->device_id, *serial = rec->serial;
	struct ca_files to;
	const char *path;
	int ret;

	if (current)
		ret = ca_store_current(sw->dir, id, &to, err, errlen);
	else
		ret = archive_dir_make(sw->dir, err, errlen);
	if (!ret && !current)
		ret = ca_store_archived(sw->dir, id, serial, &to, err, errlen);
	path = is_key ? to.key : to.crt;
	if (!ret && current && rec->key_origin == CA_KEY_ORIGIN_CSR)
		ret = key_drop(to.key, err, errlen);
	if (!ret)
		ret = rename_into(from, path, err, errlen);
	if (!ret)
		ret = ca_dir_sync(to.crt);
	if (!ret)
		sweep_tell(sw, current ? CA_SWEEP_INSTALLED : CA_SWEEP_ARCHIVED, path, serial, 0);
	return ret;
}

/* What to do with one staged file, decided by the ledger. */
static int sweep_one(struct sweep *sw, const char *name, char *err, size_t errlen)
{
	char id[CA_DEVICE_ID_MAX + 1], serial[CA_SERIAL_HEX_MAX + 1];
	struct ca_files staged;
	struct ca_record rec, cur;
	const char *from;
	bool is_key;
	int ret;

	if (!ca_store_staged_name(name, id, serial, &is_key))
		return 0;
	ret = ca_store_staged(sw->dir, id, serial, &staged, err, errlen);
	if (ret)
		return ret;
	from = is_key ? staged.key : staged.crt;
	ret = ca_ledger_get_serial(sw->l, serial, &rec, err, errlen);
	if (ret == -ENOENT || (!ret && strcmp(rec.device_id, id) != 0)) {
		sweep_tell(sw, CA_SWEEP_REMOVED, from, serial, file_remove(from));
		return 0;
	}
	if (!ret)
		ret = ca_ledger_get(sw->l, id, &cur, err, errlen);
	if (!ret)
		ret = sweep_finish(sw, &rec, from, is_key, strcmp(cur.serial, serial) == 0, err,
				   errlen);
	return ret;
}

/* CRLs are written under the write lock too: a temporary is a dead run's. */
static void sweep_crl_temps(struct sweep *sw)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(sw->dir);

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, CA_FILE_CRL ".tmp.", strlen(CA_FILE_CRL ".tmp.")) != 0 ||
		    ca_path(path, sizeof(path), sw->dir, e->d_name, NULL, 0))
			continue;
		sweep_tell(sw, CA_SWEEP_REMOVED_TEMP, path, NULL, file_remove(path));
	}
	if (d)
		closedir(d);
}

/* The staged names in DIR/devices, collected before any of them is renamed:
 * readdir may skip or repeat entries of a directory that changes. */
static int staged_names(const char *path, char (**out)[NAME_MAX + 1], size_t *n_out,
			char *err, size_t errlen)
{
	char id[CA_DEVICE_ID_MAX + 1], serial[CA_SERIAL_HEX_MAX + 1];
	char (*names)[NAME_MAX + 1] = NULL, (*grown)[NAME_MAX + 1];
	size_t n = 0, cap = 0;
	struct dirent *e;
	bool is_key;
	DIR *d = opendir(path);
	int ret = 0;

	if (!d)
		return ca_err_sys(err, errlen, -errno, "cannot read %s", path);
	while (!ret && (e = readdir(d))) {
		if (!ca_store_staged_name(e->d_name, id, serial, &is_key))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			names = grown;
		}
		snprintf(names[n++], NAME_MAX + 1, "%s", e->d_name);
	}
	closedir(d);
	if (ret) {
		free(names);
		return ret;
	}
	*out = names;
	*n_out = n;
	return 0;
}

int ca_store_sweep(const char *dir, struct ca_ledger *l, ca_sweep_cb cb, void *ctx,
		   struct ca_sweep *out, char *err, size_t errlen)
{
	struct sweep sw = { dir, l, cb, ctx, { 0, 0, 0 } };
	char path[PATH_MAX], (*names)[NAME_MAX + 1] = NULL;
	size_t i, n = 0;
	int ret = ca_path(path, sizeof(path), dir, CA_DIR_DEVICES, err, errlen);

	if (!ret)
		ret = staged_names(path, &names, &n, err, errlen);
	for (i = 0; !ret && i < n; i++)
		ret = sweep_one(&sw, names[i], err, errlen);
	free(names);
	if (!ret)
		sweep_crl_temps(&sw);
	if (out)
		*out = sw.count;
	return ret;
}
