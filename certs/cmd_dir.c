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

int cmd_ledger_open(const char *dir, struct ca_ledger **l)
{
	char path[PATH_MAX];
	int ret = ca_path(path, sizeof(path), dir, CA_FILE_LEDGER);

	return ret ? ret : ca_ledger_open(path, l);
}

int cmd_ca_open(const char *dir, struct ca_authority **ca, struct ca_ledger **l)
{
	int ret = ca_authority_load(dir, ca);

	return ret ? ret : cmd_ledger_open(dir, l);
}

int cmd_ledger_lock(const char *dir, struct ca_ledger *l)
{
	int ret = ca_ledger_begin(l);

	if (!ret)
		ret = ca_store_sweep(dir, l, false, NULL);
	if (ret)
		ca_ledger_rollback(l);
	return ret;
}

int cmd_path_free(const char *path)
{
	struct stat st;
	int e;

	if (lstat(path, &st) == 0) {
		ca_error("%s already exists: refusing to overwrite it", path);
		return -EEXIST;
	}
	e = errno;
	if (e != ENOENT) {
		ca_error("cannot check %s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

int cmd_device_get(struct ca_ledger *l, const char *device_id, struct ca_record *out)
{
	int ret = ca_ledger_get(l, device_id, out);

	if (ret == -ENOENT)
		ca_error("unknown device %s", device_id);
	return ret;
}

void cmd_serial_of(X509 *cert, char *buf, size_t len)
{
	if (ca_serial_hex(X509_get0_serialNumber(cert), buf, len))
		snprintf(buf, len, "?");
}
