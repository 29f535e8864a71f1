/* SPDX-License-Identifier: MIT */
/*
 * The device ledger: the system department's record of every device (owner,
 * group, ownership, whether it is reported lost) and of every certificate
 * issued to it (serial, validity, revocation), in an SQLite file next to the
 * CA. A device has one certificate when it is issued and one more per
 * renewal; the newest is its current one. The ledger is the source of the
 * CRL and of the answer to "which devices do we have"; the gateway never
 * reads it. Writers take an IMMEDIATE transaction around check-then-change,
 * so that concurrent postern-ca runs neither lose an entry nor issue a device
 * id twice.
 *
 * Functions return 0 or a negative errno. An SQLite failure is put in err
 * as one line naming the ledger and the step (certs/error.h); the outcomes
 * a caller words itself (-ENOENT for an unknown device or serial, -EEXIST
 * for a duplicate, -EALREADY for a second revocation or loss) leave err
 * untouched.
 */
#ifndef POSTERN_CA_LEDGER_H
#define POSTERN_CA_LEDGER_H

#include <stdint.h>
#include <time.h>

#include "certs/error.h"
#include "certs/model.h"

/* Version 1 had one row per device (its only certificate); version 2
 * splits devices from their certificates; version 3 records where each
 * certificate's key was made. ca_ledger_open migrates an older file in
 * place, in one transaction. */
#define CA_LEDGER_SCHEMA_VERSION 3
#define CA_LEDGER_BUSY_TIMEOUT_MS 5000

struct ca_ledger;

/* A certificate's own state; "expired" is computed, never stored. */
enum ca_status {
	CA_STATUS_VALID,
	CA_STATUS_REVOKED,
};

/* Where a certificate's key was made. postern-ca keeps the keys it makes
 * (devices/ID.key, for export); a key made on the device or by its MDM,
 * which sent a certificate signing request, it never sees. */
enum ca_key_origin {
	CA_KEY_ORIGIN_CA,
	CA_KEY_ORIGIN_CSR,
};

/* A device's state: lost means every certificate it had is revoked for
 * keyCompromise and it is never renewed. */
enum ca_device_state {
	CA_DEVICE_ACTIVE,
	CA_DEVICE_LOST,
};

/*
 * One certificate with its device's fields, as `list` shows it. Times are
 * seconds since the epoch (UTC). When inserting, the device fields are used
 * only by ca_ledger_insert (a new device).
 */
struct ca_record {
	char device_id[CA_DEVICE_ID_MAX + 1];
	char owner[CA_OWNER_BYTES_MAX + 1];
	char group[CA_DEVICE_ID_MAX + 1];
	enum cm_ownership ownership;
	enum ca_device_state state;
	int64_t lost_at;		/* 0 unless lost */
	char serial[CA_SERIAL_HEX_MAX + 1];
	int64_t not_before;
	int64_t not_after;
	enum ca_status status;
	int64_t revoked_at;		/* 0 unless revoked */
	enum ca_reason reason;		/* CA_REASON_UNSPECIFIED unless revoked */
	int64_t created_at;		/* of the certificate */
	enum ca_key_origin key_origin;	/* of the certificate's key */
};

enum ca_ledger_filter {
	CA_LEDGER_ALL,
	CA_LEDGER_REVOKED,
};

/* Called once per record; a non-zero return stops the walk and is
 * returned (the callback words its own failure). */
typedef int (*ca_ledger_cb)(const struct ca_record *r, void *ctx);

/* Creates a new ledger file (0600, WAL mode, schema); -EEXIST (silent) when
 * path exists. */
int ca_ledger_create(const char *path, struct ca_ledger **out, char *err, size_t errlen);
/* Opens an existing ledger read-write, checks its schema version and
 * migrates a version 1 ledger. */
int ca_ledger_open(const char *path, struct ca_ledger **out, char *err, size_t errlen);
void ca_ledger_free(struct ca_ledger *l);

/* BEGIN IMMEDIATE: takes the write lock now, waiting up to the busy
 * timeout, so that what a later check sees still holds at the write. */
int ca_ledger_begin(struct ca_ledger *l, char *err, size_t errlen);
int ca_ledger_commit(struct ca_ledger *l, char *err, size_t errlen);
/* Rolls back the open transaction, if any. Called after a failure, it has
 * no words of its own: a rollback that fails is done by SQLite when the
 * ledger is closed. */
void ca_ledger_rollback(struct ca_ledger *l);

/* The device's current (newest) certificate; -ENOENT when there is no such
 * device. */
int ca_ledger_get(struct ca_ledger *l, const char *device_id, struct ca_record *out,
		  char *err, size_t errlen);
/* The certificate with this serial; -ENOENT when there is none. */
int ca_ledger_get_serial(struct ca_ledger *l, const char *serial, struct ca_record *out,
			 char *err, size_t errlen);
/* A new device and its first certificate; -EEXIST when the device id is
 * taken. A serial is unique too: a second use is an error (-EIO). */
int ca_ledger_insert(struct ca_ledger *l, const struct ca_record *r, char *err, size_t errlen);
/* Another certificate (r's serial, validity, created_at) for the existing
 * device r->device_id, which becomes its current one; -ENOENT when there
 * is no such device. */
int ca_ledger_add_cert(struct ca_ledger *l, const struct ca_record *r, char *err,
		       size_t errlen);
/*
 * Revokes the device's valid certificates: only the one with serial when
 * serial is given, all but the one with except when except is given, else
 * all. *count (may be NULL) says how many. -ENOENT when there is no such
 * device (or it has no such serial), -EALREADY when nothing was left to
 * revoke. Call inside a transaction together with the CRL that lists it.
 */
int ca_ledger_revoke(struct ca_ledger *l, const char *device_id, const char *serial,
		     const char *except, int64_t when, enum ca_reason reason,
		     unsigned int *count, char *err, size_t errlen);
/* Marks the device lost and revokes its valid certificates for
 * keyCompromise; -ENOENT, or -EALREADY when it already is lost. */
int ca_ledger_mark_lost(struct ca_ledger *l, const char *device_id, int64_t when,
			unsigned int *count, char *err, size_t errlen);
/* Walks the records device by device (in the order the devices were
 * issued), each device's certificates oldest first. */
int ca_ledger_foreach(struct ca_ledger *l, enum ca_ledger_filter filter,
		      ca_ledger_cb cb, void *ctx, char *err, size_t errlen);
/* Walks one device's certificates, oldest first; -ENOENT when there is no
 * such device. */
int ca_ledger_device_certs(struct ca_ledger *l, const char *device_id, ca_ledger_cb cb,
			   void *ctx, char *err, size_t errlen);
/*
 * Sets the stored CRL number to one more than the larger of itself and
 * above, and returns it. above is the number of the CRL file on disk: a run
 * killed after it wrote its CRL but before its commit has used that number
 * already, and a gateway refuses a second, different CRL under one number.
 */
int ca_ledger_crl_number_next(struct ca_ledger *l, uint64_t above, uint64_t *out,
			      char *err, size_t errlen);
/* SQLite's integrity and foreign key checks; -EBADMSG, with the first
 * problem they find in err, when they find one. */
int ca_ledger_check(struct ca_ledger *l, char *err, size_t errlen);

/* "valid", "revoked", "lost" (its device is), or "expired" for a valid
 * one past its not-after. */
const char *ca_record_status(const struct ca_record *r, time_t now);
const char *ca_status_name(enum ca_status status);
const char *ca_device_state_name(enum ca_device_state state);
/* "ca" or "csr", as the ledger and list --json have them. */
const char *ca_key_origin_name(enum ca_key_origin origin);

#endif
