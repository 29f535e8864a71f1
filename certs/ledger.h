/* SPDX-License-Identifier: MIT */
/*
 * The device ledger: the system department's record of every device
 * certificate issued (owner, group, ownership, serial, validity, status), in
 * an SQLite file next to the CA. It is the source of the CRL and of the
 * answer to "which devices do we have"; the gateway never reads it. Writers
 * take an IMMEDIATE transaction around check-then-change, so that concurrent
 * postern-ca runs neither lose an entry nor issue a device id twice.
 *
 * Functions return 0 or a negative errno. SQLite failures are printed once
 * (ca_error); the outcomes a caller words itself (-ENOENT for an unknown
 * device, -EEXIST for a duplicate, -EALREADY for a second revocation) are
 * returned silently.
 */
#ifndef POSTERN_CA_LEDGER_H
#define POSTERN_CA_LEDGER_H

#include <stdint.h>
#include <time.h>

#include "certs/ca.h"

#define CA_LEDGER_SCHEMA_VERSION 1
#define CA_LEDGER_BUSY_TIMEOUT_MS 5000

struct ca_ledger;

enum ca_status {
	CA_STATUS_VALID,
	CA_STATUS_REVOKED,
};

/* One row of the devices table. Times are seconds since the epoch (UTC). */
struct ca_device {
	char device_id[CA_DEVICE_ID_MAX + 1];
	char owner[CA_OWNER_BYTES_MAX + 1];
	char group[CA_DEVICE_ID_MAX + 1];
	enum ca_ownership ownership;
	char serial[CA_SERIAL_HEX_MAX + 1];
	int64_t not_before;
	int64_t not_after;
	enum ca_status status;
	int64_t revoked_at;		/* 0 unless revoked */
	enum ca_reason reason;		/* CA_REASON_UNSPECIFIED unless revoked */
	int64_t created_at;
};

enum ca_ledger_filter {
	CA_LEDGER_ALL,
	CA_LEDGER_REVOKED,
};

/* Called once per row; a non-zero return stops the walk and is returned. */
typedef int (*ca_ledger_cb)(const struct ca_device *dev, void *ctx);

/* Creates a new ledger file (0600, WAL mode, schema); -EEXIST (silent) when
 * path exists. */
int ca_ledger_create(const char *path, struct ca_ledger **out);
/* Opens an existing ledger read-write and checks its schema version. */
int ca_ledger_open(const char *path, struct ca_ledger **out);
void ca_ledger_free(struct ca_ledger *l);

/* BEGIN IMMEDIATE: takes the write lock now, waiting up to the busy
 * timeout, so that what a later check sees still holds at the write. */
int ca_ledger_begin(struct ca_ledger *l);
int ca_ledger_commit(struct ca_ledger *l);
/* Rolls back the open transaction, if any. */
void ca_ledger_rollback(struct ca_ledger *l);

/* -ENOENT when there is no such device. */
int ca_ledger_get(struct ca_ledger *l, const char *device_id, struct ca_device *out);
/* -EEXIST when the device id is taken. */
int ca_ledger_insert(struct ca_ledger *l, const struct ca_device *dev);
/* Marks a valid device revoked; -ENOENT, or -EALREADY when it already is.
 * Call inside a transaction together with the CRL that lists it. */
int ca_ledger_revoke(struct ca_ledger *l, const char *device_id, int64_t when,
		     enum ca_reason reason);
/* Walks the devices in the order they were issued. */
int ca_ledger_foreach(struct ca_ledger *l, enum ca_ledger_filter filter,
		      ca_ledger_cb cb, void *ctx);
/* Increments the stored CRL number and returns the new value. */
int ca_ledger_crl_number_next(struct ca_ledger *l, uint64_t *out);

/* "valid", "revoked", or "expired" for a valid one past its not-after. */
const char *ca_device_status(const struct ca_device *dev, time_t now);
const char *ca_status_name(enum ca_status status);

#endif
