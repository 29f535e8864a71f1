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

int ca_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len) {
		ca_error("path too long: %s/%s", dir, name);
		return -ENAMETOOLONG;
	}
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
static int write_open(const char *path, enum ca_write how, char *tmp, size_t len)
{
	int fd, n;

	if (how == CA_WRITE_NEW) {
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			  CA_MODE_PRIVATE);
		if (fd < 0) {
			fd = -errno;
			if (fd != -EEXIST)
				ca_error("cannot create %s: %s", path, strerror(-fd));
		}
		return fd;
	}
	n = snprintf(tmp, len, "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= len) {
		ca_error("path too long: %s", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		ca_error("cannot create a temporary file next to %s: %s", path, strerror(-fd));
	}
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

int ca_file_write(const char *path, mode_t mode, BIO *mem, enum ca_write how)
{
	char tmp[PATH_MAX];
	int ret, fd = write_open(path, how, tmp, sizeof(tmp));

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
		ca_error("cannot write %s: %s", path, strerror(-ret));
	return ret;
}

/* Refuses a secret others can read: it has to be taken as leaked. */
int ca_file_secret_check(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		ca_error("cannot stat %s: %s", path, strerror(errno));
		return -EIO;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		ca_error("%s is accessible by group or others (mode %04o): "
			 "chmod 600 it", path, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int files_path(struct ca_files *out, const char *dir, const char *sub,
		      const char *fmt_id, const char *serial)
{
	int k, c;

	if (serial && sub[0] == '\0') {
		k = snprintf(out->key, sizeof(out->key), "%s/%s/.%s.%s.key", dir,
			     CA_DIR_DEVICES, fmt_id, serial);
		c = snprintf(out->crt, sizeof(out->crt), "%s/%s/.%s.%s.crt", dir,
			     CA_DIR_DEVICES, fmt_id, serial);
	} else if (serial) {
		k = snprintf(out->key, sizeof(out->key), "%s/%s/%s/%s.%s.key", dir,
			     CA_DIR_DEVICES, sub, fmt_id, serial);
		c = snprintf(out->crt, sizeof(out->crt), "%s/%s/%s/%s.%s.crt", dir,
			     CA_DIR_DEVICES, sub, fmt_id, serial);
	} else {
		k = snprintf(out->key, sizeof(out->key), "%s/%s/%s.key", dir,
			     CA_DIR_DEVICES, fmt_id);
		c = snprintf(out->crt, sizeof(out->crt), "%s/%s/%s.crt", dir,
			     CA_DIR_DEVICES, fmt_id);
	}
	if (k < 0 || c < 0 || (size_t)k >= sizeof(out->key) || (size_t)c >= sizeof(out->crt)) {
		ca_error("path too long under %s/%s", dir, CA_DIR_DEVICES);
		return -ENAMETOOLONG;
	}
	return 0;
}

int ca_store_current(const char *dir, const char *device_id, struct ca_files *out)
{
	return files_path(out, dir, "", device_id, NULL);
}

int ca_store_staged(const char *dir, const char *device_id, const char *serial,
		    struct ca_files *out)
{
	return files_path(out, dir, "", device_id, serial);
}

int ca_store_archived(const char *dir, const char *device_id, const char *serial,
		      struct ca_files *out)
{
	return files_path(out, dir, CA_DIR_ARCHIVE, device_id, serial);
}

static void unlink_quiet(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		ca_error("cannot remove %s: %s", path, strerror(errno));
}

int ca_store_stage(const struct ca_files *staged, EVP_PKEY *key, X509 *cert)
{
	int ret = ca_key_save(staged->key, key);

	if (!ret)
		ret = ca_cert_save(staged->crt, cert);
	if (ret == -EEXIST)	/* a serial is random: a leftover of a broken run */
		ca_error("%s already exists", staged->crt);
	if (ret)
		ca_store_unstage(staged);
	return ret;
}

void ca_store_unstage(const struct ca_files *staged)
{
	unlink_quiet(staged->crt);
	unlink_quiet(staged->key);
}

/* A rename whose source is gone was done by someone else: a sweep. */
static int rename_into(const char *from, const char *to)
{
	if (rename(from, to) < 0 && errno != ENOENT) {
		int ret = -errno;

		ca_error("cannot rename %s to %s: %s", from, to, strerror(-ret));
		return ret;
	}
	return 0;
}

int ca_store_install(const struct ca_files *staged, const struct ca_files *current)
{
	int ret = rename_into(staged->key, current->key);

	if (!ret)
		ret = rename_into(staged->crt, current->crt);
	if (!ret)
		ret = ca_dir_sync(current->crt);
	return ret;
}

static int archive_dir_make(const char *dir)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s/%s", dir, CA_DIR_DEVICES, CA_DIR_ARCHIVE);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		n = -errno;
		ca_error("cannot create %s: %s", path, strerror(-n));
		return n;
	}
	return 0;
}

static int link_into(const char *from, const char *to)
{
	if (link(from, to) < 0 && errno != ENOENT && errno != EEXIST) {
		int ret = -errno;

		ca_error("cannot link %s to %s: %s", from, to, strerror(-ret));
		return ret;
	}
	return 0;
}

int ca_store_archive(const char *dir, const char *device_id, const char *serial)
{
	struct ca_files cur, arc;
	int ret = ca_store_current(dir, device_id, &cur);

	if (!ret)
		ret = ca_store_archived(dir, device_id, serial, &arc);
	if (!ret)
		ret = archive_dir_make(dir);
	if (!ret)
		ret = link_into(cur.key, arc.key);
	if (!ret)
		ret = link_into(cur.crt, arc.crt);
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

/* What to do with one staged file, decided by the ledger. */
static int sweep_one(const char *dir, struct ca_ledger *l, const char *name,
		     bool verbose, struct ca_sweep *s)
{
	char id[CA_DEVICE_ID_MAX + 1], serial[CA_SERIAL_HEX_MAX + 1];
	struct ca_files staged, to;
	struct ca_record rec, cur;
	bool is_key;
	int ret;

	if (!ca_store_staged_name(name, id, serial, &is_key))
		return 0;
	ret = ca_store_staged(dir, id, serial, &staged);
	if (ret)
		return ret;
	ret = ca_ledger_get_serial(l, serial, &rec);
	if (ret == -ENOENT || (!ret && strcmp(rec.device_id, id) != 0)) {
		unlink_quiet(is_key ? staged.key : staged.crt);
		s->removed++;
		if (verbose)
			printf("removed %s/%s/%s, left by a run that did not commit\n", dir,
			       CA_DIR_DEVICES, name);
		return 0;
	}
	if (!ret)
		ret = ca_ledger_get(l, id, &cur);
	if (ret)
		return ret;
	if (strcmp(cur.serial, serial) == 0) {
		ret = ca_store_current(dir, id, &to);
		s->installed++;
	} else {
		ret = archive_dir_make(dir);
		if (!ret)
			ret = ca_store_archived(dir, id, serial, &to);
		s->archived++;
	}
	if (!ret)
		ret = rename_into(is_key ? staged.key : staged.crt, is_key ? to.key : to.crt);
	if (!ret)
		ret = ca_dir_sync(to.crt);
	if (!ret && verbose)
		printf("finished an interrupted run: %s (serial %s)\n", is_key ? to.key : to.crt,
		       serial);
	return ret;
}

/* CRLs are written under the write lock too: a temporary is a dead run's. */
static void sweep_crl_temps(const char *dir, bool verbose, struct ca_sweep *s)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, CA_FILE_CRL ".tmp.", strlen(CA_FILE_CRL ".tmp.")) != 0 ||
		    ca_path(path, sizeof(path), dir, e->d_name))
			continue;
		unlink_quiet(path);
		s->removed++;
		if (verbose)
			printf("removed %s, left by a run that did not finish\n", path);
	}
	if (d)
		closedir(d);
}

/* The staged names in DIR/devices, collected before any of them is renamed:
 * readdir may skip or repeat entries of a directory that changes. */
static int staged_names(const char *path, char (**out)[NAME_MAX + 1], size_t *n_out)
{
	char id[CA_DEVICE_ID_MAX + 1], serial[CA_SERIAL_HEX_MAX + 1];
	char (*names)[NAME_MAX + 1] = NULL, (*grown)[NAME_MAX + 1];
	size_t n = 0, cap = 0;
	struct dirent *e;
	bool is_key;
	DIR *d = opendir(path);
	int ret = 0;

	if (!d) {
		ret = -errno;
		ca_error("cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
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

int ca_store_sweep(const char *dir, struct ca_ledger *l, bool verbose, struct ca_sweep *out)
{
	struct ca_sweep s = { 0, 0, 0 };
	char path[PATH_MAX], (*names)[NAME_MAX + 1] = NULL;
	size_t i, n = 0;
	int ret = ca_path(path, sizeof(path), dir, CA_DIR_DEVICES);

	if (!ret)
		ret = staged_names(path, &names, &n);
	for (i = 0; !ret && i < n; i++)
		ret = sweep_one(dir, l, names[i], verbose, &s);
	free(names);
	if (!ret)
		sweep_crl_temps(dir, verbose, &s);
	if (out)
		*out = s;
	return ret;
}
