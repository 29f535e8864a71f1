/* SPDX-License-Identifier: MIT */
/*
 * The files of a CA directory. Every key, certificate, CRL and bundle
 * postern-ca writes goes through ca_file_write, which syncs it and its
 * directory, so that a run killed at any moment leaves each file whole or
 * absent. The device files are kept in step with the ledger:
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
 * Functions return 0 or a negative errno, with why in err (certs/error.h).
 */
#ifndef POSTERN_CA_STORE_H
#define POSTERN_CA_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <openssl/bio.h>

#include "certs/ledger.h"
#include "certs/model.h"

#define CA_DIR_ARCHIVE "archive"	/* inside CA_DIR_DEVICES */

/* --- Files --- */

/* dir + "/" + name into buf; -ENAMETOOLONG when it does not fit. */
int ca_path(char *buf, size_t len, const char *dir, const char *name,
	    char *err, size_t errlen);
/*
 * How ca_file_write gives a new file its name. Whichever, the file is
 * synced, then its directory, before the call returns; its mode is set
 * with fchmod, whatever the umask.
 */
enum ca_write {
	/* Created under its name with O_EXCL|O_NOFOLLOW: never over another
	 * file (-EEXIST, silent), removed again when writing fails. For
	 * files whose name no reader uses until a later step. */
	CA_WRITE_NEW,
	/* Written to a temporary next to it, then linked to its name: it
	 * never exists half-written, and never over another file (-EEXIST,
	 * silent). */
	CA_WRITE_LINK,
	/* Written to a temporary, then renamed over its name: a reader (the
	 * gateway reloading its CRL) sees the old file or the new one. */
	CA_WRITE_REPLACE,
};

/* The modes of what postern-ca writes: a key (or a bundle holding one)
 * for its owner only, a certificate or CRL for anyone to read. */
#define CA_MODE_PRIVATE	(S_IRUSR | S_IWUSR)
#define CA_MODE_PUBLIC	(S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH)

/*
 * The one crash-safe writer: what was encoded into mem, a memory BIO (freed
 * here), to path. encoded false means that encoding it failed, which is
 * said as "cannot encode WHAT for PATH" with libcrypto's reason (what: "the
 * certificate", ...).
 */
int ca_file_write(const char *path, mode_t mode, enum ca_write how, BIO *mem, bool encoded,
		  const char *what, char *err, size_t errlen);
/* Makes a rename or a new name in path's directory durable; -errno
 * (without words: the caller names what it was doing). */
int ca_dir_sync(const char *path);
/* Refuses (-EPERM) a secret file that group or others can access. */
int ca_file_secret_check(int fd, const char *path, char *err, size_t errlen);

/* --- Device files --- */

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

int ca_store_current(const char *dir, const char *device_id, struct ca_files *out,
		     char *err, size_t errlen);
int ca_store_staged(const char *dir, const char *device_id, const char *serial,
		    struct ca_files *out, char *err, size_t errlen);
int ca_store_archived(const char *dir, const char *device_id, const char *serial,
		      struct ca_files *out, char *err, size_t errlen);

/* Writes and syncs the staged key (0600; none when key is NULL: the
 * device made it), then the certificate (0644); removes what it wrote when
 * it fails. */
int ca_store_stage(const struct ca_files *staged, EVP_PKEY *key, X509 *cert,
		   char *err, size_t errlen);
/* Removes staged files; ones already gone are fine. When one cannot be
 * removed, err names it: the next sweep removes it. */
int ca_store_unstage(const struct ca_files *staged, char *err, size_t errlen);
/* Renames the staged files over the current ones and syncs the directory.
 * A staged file that is already gone was put in place by a sweep. Without
 * a key (has_key false: the device made it) the current key file, which
 * belongs to an earlier certificate and is archived, is removed before the
 * certificate is put in place, so that ID.key never sits beside a
 * certificate it does not belong to; a sweep that finds the certificate
 * still staged does the same. */
int ca_store_install(const struct ca_files *staged, const struct ca_files *current,
		     bool has_key, char *err, size_t errlen);
/* Hard-links the device's current files into the archive under serial
 * (made 0700 when missing); a missing current file (a key the device
 * made), or one already archived, is fine. */
int ca_store_archive(const char *dir, const char *device_id, const char *serial,
		     char *err, size_t errlen);

/* What a sweep did to one file, for its caller to report. */
enum ca_sweep_what {
	CA_SWEEP_INSTALLED,	/* a committed run's file, put in place */
	CA_SWEEP_ARCHIVED,	/* a committed run's file, superseded since: archived */
	CA_SWEEP_REMOVED,	/* a staged file of a run that did not commit */
	CA_SWEEP_REMOVED_TEMP,	/* a CRL temporary of a run that did not finish */
};

struct ca_sweep_event {
	enum ca_sweep_what what;
	const char *path;	/* where the file is now, or was */
	const char *serial;	/* NULL for a CRL temporary */
	int error;		/* removed: 0, or the -errno of a removal that
				 * failed (the sweep goes on; the next one
				 * tries again) */
};

typedef void (*ca_sweep_cb)(const struct ca_sweep_event *ev, void *ctx);

/* Finishes or undoes what interrupted runs left in DIR/devices (see
 * above) and removes CRL temporaries. Call with the write lock held. cb
 * (may be NULL) hears of every file, in the order the sweep met them;
 * out (may be NULL) counts them. */
int ca_store_sweep(const char *dir, struct ca_ledger *l, ca_sweep_cb cb, void *ctx,
		   struct ca_sweep *out, char *err, size_t errlen);

/* Parses a staged file name ".ID.SERIAL.key" or ".ID.SERIAL.crt". */
bool ca_store_staged_name(const char *name, char *device_id, char *serial, bool *is_key);

#endif
