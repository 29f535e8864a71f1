/* SPDX-License-Identifier: MIT */
/*
 * The device files of a CA directory, kept in step with the ledger:
 *
 *   devices/ID.crt, devices/ID.key      the device's current certificate and key
 *   devices/.ID.SERIAL.crt|key          staged: written and synced under the
 *                                       ledger's write lock, before the commit
 *                                       that records SERIAL; renamed into place
 *                                       after it
 *   devices/archive/ID.SERIAL.crt|key   certificates a renewal replaced
 *
 * A run killed at any moment leaves staged files of a serial the ledger does
 * not have (its transaction died with it) or of one it has (it committed).
 * ca_store_sweep, run under the write lock, removes the first and puts the
 * second in place, so that a device's current files are never half-written
 * and a certificate the ledger does not list (and so could never revoke)
 * never appears under a device's name. Staged names start with a dot, which
 * no device id does, and a serial is hex, so no name can mean two things.
 *
 * Functions return 0 or a negative errno and print failures (ca_error).
 */
#ifndef POSTERN_CA_STORE_H
#define POSTERN_CA_STORE_H

#include <limits.h>
#include <stdbool.h>

#include "certs/ca.h"
#include "certs/ledger.h"

#define CA_DIR_ARCHIVE "archive"	/* inside CA_DIR_DEVICES */

/* The key and certificate paths of one certificate. */
struct ca_files {
	char key[PATH_MAX];
	char crt[PATH_MAX];
};

struct ca_sweep {
	unsigned int installed;		/* committed, put in place */
	unsigned int archived;		/* committed but superseded, archived */
	unsigned int removed;		/* never committed, removed */
};

int ca_store_current(const char *dir, const char *device_id, struct ca_files *out);
int ca_store_staged(const char *dir, const char *device_id, const char *serial,
		    struct ca_files *out);
int ca_store_archived(const char *dir, const char *device_id, const char *serial,
		      struct ca_files *out);

/* Writes and syncs the staged key (0600), then the certificate (0644);
 * removes what it wrote when it fails. */
int ca_store_stage(const struct ca_files *staged, EVP_PKEY *key, X509 *cert);
/* Removes staged files; ones already gone are fine. */
void ca_store_unstage(const struct ca_files *staged);
/* Renames the staged files over the current ones and syncs the directory.
 * A staged file that is already gone was put in place by a sweep. */
int ca_store_install(const struct ca_files *staged, const struct ca_files *current);
/* Hard-links the device's current files into the archive under serial
 * (made 0700 when missing); a missing current file, or one already
 * archived, is fine. */
int ca_store_archive(const char *dir, const char *device_id, const char *serial);

/* Finishes or undoes what interrupted runs left in DIR/devices (see
 * above) and removes CRL temporaries. Call with the write lock held. With
 * verbose, says what it did on stdout, one line per file. */
int ca_store_sweep(const char *dir, struct ca_ledger *l, bool verbose, struct ca_sweep *out);

/* Parses a staged file name ".ID.SERIAL.key" or ".ID.SERIAL.crt". */
bool ca_store_staged_name(const char *name, char *device_id, char *serial, bool *is_key);

#endif
