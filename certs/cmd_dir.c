/* SPDX-License-Identifier: MIT */
/*
 * What postern-ca's commands share: the CA directory opened (the CA, the
 * ledger), the ledger's write lock taken with the sweep that finishes what
 * killed runs left, a device looked up, and a file name checked free.
 */
#include "certs/cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int cmd_dir_ready(const struct opts *o, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	int e, ret;

	if (stat(o->dir, &st) < 0) {
		e = errno;
		return ca_err(err, errlen, -e, "no CA in %s (%s): %s; 'postern-ca init' makes "
			      "one", o->dir, o->dir_how, strerror(e));
	}
	if (!S_ISDIR(st.st_mode))
		return ca_err(err, errlen, -ENOTDIR, "no CA in %s (%s): not a directory",
			      o->dir, o->dir_how);
	ret = ca_path(path, sizeof(path), o->dir, CA_FILE_LEDGER, err, errlen);
	if (ret || lstat(path, &st) == 0)
		return ret;
	e = errno;
	return ca_err(err, errlen, -e, "no CA in %s (%s): %s: %s; 'postern-ca init' makes one",
		      o->dir, o->dir_how, CA_FILE_LEDGER, strerror(e));
}

int cmd_ledger_open(const char *dir, struct ca_ledger **l, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int ret = ca_path(path, sizeof(path), dir, CA_FILE_LEDGER, err, errlen);

	return ret ? ret : ca_ledger_open(path, l, err, errlen);
}

int cmd_ca_open(const char *dir, struct ca_authority **ca, struct ca_ledger **l,
		char *err, size_t errlen)
{
	int ret = ca_authority_load(dir, ca, err, errlen);

	return ret ? ret : cmd_ledger_open(dir, l, err, errlen);
}

/* What the sweep did, said as it happens: a file it could not remove
 * always (on stderr), the rest only when asked (check, on stdout). */
static void sweep_said(const struct ca_sweep_event *ev, void *ctx)
{
	const bool *verbose = ctx;
	char why[CA_ERR_MAX];

	if (ev->error) {
		ca_err_sys(why, sizeof(why), ev->error, "cannot remove %s", ev->path);
		cmd_print(why);
	}
	if (!*verbose)
		return;
	if (ev->what == CA_SWEEP_REMOVED)
		printf("removed %s, left by a run that did not commit\n", ev->path);
	else if (ev->what == CA_SWEEP_REMOVED_TEMP)
		printf("removed %s, left by a run that did not finish\n", ev->path);
	else
		printf("finished an interrupted run: %s (serial %s)\n", ev->path, ev->serial);
}

int cmd_sweep(const char *dir, struct ca_ledger *l, bool verbose, struct ca_sweep *out,
	      char *err, size_t errlen)
{
	return ca_store_sweep(dir, l, sweep_said, &verbose, out, err, errlen);
}

int cmd_ledger_lock(const char *dir, struct ca_ledger *l, char *err, size_t errlen)
{
	int ret = ca_ledger_begin(l, err, errlen);

	if (!ret)
		ret = cmd_sweep(dir, l, false, NULL, err, errlen);
	if (ret)
		ca_ledger_rollback(l);
	return ret;
}

int cmd_no_overwrite(const char *path, int ret, char *err, size_t errlen)
{
	if (ret == -EEXIST)
		return ca_err(err, errlen, ret, "%s already exists: refusing to overwrite it",
			      path);
	return ret;
}

int cmd_path_free(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return cmd_no_overwrite(path, -EEXIST, err, errlen);
	if (errno != ENOENT)
		return ca_err_sys(err, errlen, -errno, "cannot check %s", path);
	return 0;
}

int cmd_device_get(struct ca_ledger *l, const char *device_id, struct ca_record *out,
		   char *err, size_t errlen)
{
	int ret = ca_ledger_get(l, device_id, out, err, errlen);

	if (ret == -ENOENT)
		ca_err(err, errlen, ret, "unknown device %s", device_id);
	return ret;
}

int cmd_device_files(const char *dir, const char *device_id, struct ca_files *cur,
		     EVP_PKEY **key, X509 **cert, char *err, size_t errlen)
{
	int ret = ca_store_current(dir, device_id, cur, err, errlen);

	if (!ret)
		ret = ca_cert_load(cur->crt, cert, err, errlen);
	if (!ret)
		ret = ca_key_load(cur->key, key, err, errlen);
	return ret;
}

void cmd_serial_of(X509 *cert, char *buf, size_t len)
{
	if (ca_serial_hex(X509_get0_serialNumber(cert), buf, len))
		snprintf(buf, len, "?");
}
