/* SPDX-License-Identifier: MIT */
/*
 * The MDM inventory: a CSV export of the company's mobile device management
 * that says, per device id, whether the device is enrolled, has a passcode,
 * which OS it runs, when it last checked in and whether it is still in
 * service. The policy names the file (`inventory = "FILE"`); the gateway and
 * `postern-posture check` load it with pst_inventory_load and add a device's
 * record to its facts with source mdm before the engine decides.
 *
 * The header line names the columns, in any order; unknown columns are
 * ignored and these are required:
 *
 *	device_id,mdm_enrolled,passcode_set,os_name,os_version,last_checkin,status
 *
 * Values may be quoted as RFC 4180 says ("a ""b""", commas and line breaks
 * inside quotes). device_id follows the certificate's grammar; booleans are
 * true/false, 1/0 or yes/no (any case); os_name is ios, android, linux,
 * windows or macos (any case); os_version is a version number; last_checkin
 * is YYYY-MM-DDTHH:MM:SSZ (optionally with a fraction of a second, or with an
 * offset +HH:MM / -HH:MM instead of Z) or seconds since 1970; status is
 * active, lost or retired (any case). An empty value is unknown: no fact.
 * Blank lines, CRLF line ends and a UTF-8 byte order mark are accepted.
 *
 * Any problem (a missing column, a bad value, a record with the wrong number
 * of fields, a device id listed twice) refuses the whole file, with every
 * problem reported as "FILE:LINE: message": a half-read inventory would
 * silently drop devices, and a dropped lost device would get back in.
 */
#ifndef POSTERN_POSTURE_INVENTORY_H
#define POSTERN_POSTURE_INVENTORY_H

#include <stddef.h>
#include <time.h>

#include "posture/posture.h"

#define PST_INVENTORY_FILE_MAX	(64u * 1024 * 1024)	/* bytes of the file */
#define PST_INVENTORY_RECORDS_MAX	1000000u
#define PST_INVENTORY_RECORD_MAX	65536u	/* bytes of one record, quoted line breaks too */
#define PST_INVENTORY_COLUMNS_MAX	256u
/* A record dated further ahead than this is a clock or time-zone mistake in
 * the export: it counts as stale rather than fresh for longer than the
 * policy allows. */
#define PST_INVENTORY_SKEW_MAX	3600

struct pst_inventory;	/* opaque; records sorted by device_id for bsearch */

/*
 * Loads FILE. Returns 0 and sets *out, or a negative errno (-EINVAL for
 * content, -EFBIG, -ENOENT, ...) with every problem as "FILE:LINE: message"
 * (or "FILE: message"), one per line, in err (NUL-terminated, cut to
 * errlen). Never prints.
 */
int pst_inventory_load(const char *path, struct pst_inventory **out, char *err, size_t errlen);
/* The same from memory; name stands for the file in messages. */
int pst_inventory_parse(const char *buf, size_t len, const char *name,
			struct pst_inventory **out, char *err, size_t errlen);
void pst_inventory_free(struct pst_inventory *inv);

size_t pst_inventory_count(const struct pst_inventory *inv);
/* Hex SHA-256 of the bytes as read, for the audit log. */
const char *pst_inventory_sha256(const struct pst_inventory *inv);

/*
 * Replaces the facts of source mdm in facts with the record of device_id,
 * each dated last_checkin: device.status always (a lost or retired device
 * is denied however old its record), mdm.enrolled, passcode.set, os.name and
 * os.version only when the record is fresh (now - last_checkin <= max_age,
 * and not dated more than PST_INVENTORY_SKEW_MAX ahead). The inventory is
 * the only source of mdm facts, so earlier mdm facts are removed first even
 * when there is no record: a device dropped from the inventory keeps none.
 * Returns 1 when there is a record, 0 when there is none (inv may be NULL),
 * -ENOSPC when the facts would not fit (facts unchanged).
 */
int pst_inventory_facts(const struct pst_inventory *inv, const char *device_id, time_t now,
			unsigned int max_age, struct pst_facts *facts);

#endif
