/* SPDX-License-Identifier: MIT */
/*
 * The device ledger on SQLite. Every statement is prepared with bound
 * parameters, never built from strings. The file is in WAL mode, so that
 * `list` never waits for a writer, and each connection has a 5 s busy
 * timeout, so that concurrent postern-ca runs queue on the write lock
 * instead of failing. Writers take the lock with BEGIN IMMEDIATE before
 * they check anything: a deferred transaction would let two runs both see
 * "no such device" and then race to insert. Foreign keys are on, so that a
 * certificate never names a device the ledger does not have. Schema
 * version 2 keeps devices and their certificates (one per issue or
 * renewal) in two tables; version 3 adds where each certificate's key
 * was made (by postern-ca, or on the device, which sent a CSR). The first
 * run that opens an older file migrates it in place in one IMMEDIATE
 * transaction, so that a run killed half-way leaves it as it was and
 * concurrent first runs migrate it once.
 */
#include "certs/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "certs/error.h"
#include "certs/input.h"
#include "common/macros.h"

struct ca_ledger {
	sqlite3 *db;
	char *path;
};

/* Columns of a record, in the order row_read reads them. */
#define RECORD_SELECT \
	"SELECT d.device_id, d.owner, d.grp, d.ownership, c.serial, c.not_before, " \
	"c.not_after, c.status, c.revoked_at, c.reason, c.created_at, d.state, " \
	"d.lost_at, c.key_origin FROM certificates c " \
	"JOIN devices d ON d.device_id = c.device_id"

#define SQL_DEVICES \
	"CREATE TABLE devices (" \
	" device_id TEXT PRIMARY KEY," \
	" owner TEXT NOT NULL," \
	" grp TEXT NOT NULL," \
	" ownership TEXT NOT NULL CHECK (ownership IN ('corporate', 'byod'))," \
	" state TEXT NOT NULL CHECK (state IN ('active', 'lost'))," \
	" lost_at INTEGER," \
	" created_at INTEGER NOT NULL)"

#define SQL_CERTIFICATES \
	"CREATE TABLE certificates (" \
	" id INTEGER PRIMARY KEY," \
	" device_id TEXT NOT NULL REFERENCES devices (device_id)," \
	" serial TEXT NOT NULL UNIQUE," \
	" not_before INTEGER NOT NULL," \
	" not_after INTEGER NOT NULL," \
	" status TEXT NOT NULL CHECK (status IN ('valid', 'revoked'))," \
	" revoked_at INTEGER," \
	" reason TEXT," \
	" created_at INTEGER NOT NULL," \
	SQL_KEY_ORIGIN ")"

/* Where the certificate's key was made: 'ca' (postern-ca made it and keeps
 * it in devices/), 'csr' (on the device or by its MDM; postern-ca signed its
 * request and never had it). Every certificate before version 3 is 'ca'. */
#define SQL_KEY_ORIGIN \
	" key_origin TEXT NOT NULL DEFAULT 'ca' CHECK (key_origin IN ('ca', 'csr'))"

#define SQL_CERTIFICATES_INDEX \
	"CREATE INDEX certificates_by_device ON certificates (device_id, id)"

static const char *const schema[] = {
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL)",
	SQL_DEVICES,
	SQL_CERTIFICATES,
	SQL_CERTIFICATES_INDEX,
	"INSERT INTO meta (key, value) VALUES ('schema_version', 3), ('crl_number', 0)",
};

/* Version 1 to 3: each device row becomes a device and its one
 * certificate, in the order they were issued, its key made by postern-ca. */
static const char *const migrate_v1[] = {
	"ALTER TABLE devices RENAME TO devices_v1",
	SQL_DEVICES,
	SQL_CERTIFICATES,
	SQL_CERTIFICATES_INDEX,
	"INSERT INTO devices (device_id, owner, grp, ownership, state, lost_at, created_at)"
	" SELECT device_id, owner, grp, ownership, 'active', NULL, created_at"
	" FROM devices_v1 ORDER BY rowid",
	"INSERT INTO certificates (device_id, serial, not_before, not_after, status,"
	" revoked_at, reason, created_at)"
	" SELECT device_id, serial, not_before, not_after, status, revoked_at, reason,"
	" created_at FROM devices_v1 ORDER BY rowid",
	"DROP TABLE devices_v1",
	"UPDATE meta SET value = 3 WHERE key = 'schema_version'",
};

/* Version 2 to 3: every certificate so far had its key made here. */
static const char *const migrate_v2[] = {
	"ALTER TABLE certificates ADD COLUMN" SQL_KEY_ORIGIN,
	"UPDATE meta SET value = 3 WHERE key = 'schema_version'",
};


/* ------------------------------------------------------------------ */
/* Statements                                                          */
/* ------------------------------------------------------------------ */

/* SQLite's last failure on l in words: "ledger PATH: MESSAGE (WHAT)". */
static int ledger_fail(struct ca_ledger *l, const char *what, char *err, size_t errlen)
{
	int rc = sqlite3_errcode(l->db);

	return ca_err(err, errlen, rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY : -EIO,
		      "ledger %s: %s (%s)", l->path, sqlite3_errmsg(l->db), what);
}

static int ledger_prepare(struct ca_ledger *l, const char *sql, sqlite3_stmt **out,
			  char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(l->db, sql, -1, out, NULL) != SQLITE_OK)
		return ledger_fail(l, "prepare", err, errlen);
	return 0;
}

/* Runs a statement to its end; rows, if any, are not wanted. */
static int stmt_run(struct ca_ledger *l, sqlite3_stmt *st, const char *what,
		    char *err, size_t errlen)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	return rc == SQLITE_DONE ? 0 : ledger_fail(l, what, err, errlen);
}

static int ledger_exec(struct ca_ledger *l, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = ledger_prepare(l, sql, &st, err, errlen);

	if (!ret)
		ret = stmt_run(l, st, sql, err, errlen);
	sqlite3_finalize(st);
	return ret;
}

static int bind_text(sqlite3_stmt *st, int i, const char *text)
{
	if (!text)
		return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -EIO;
	return sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC) == SQLITE_OK ? 0 : -EIO;
}

static int bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? 0 : -EIO;
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

static int ledger_connect(const char *path, struct ca_ledger **out, char *err, size_t errlen)
{
	struct ca_ledger *l = calloc(1, sizeof(*l));
	int rc, e, ret;

	if (!l || !(l->path = strdup(path))) {
		free(l);
		return -ENOMEM;
	}
	rc = sqlite3_open_v2(path, &l->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		e = l->db ? sqlite3_system_errno(l->db) : 0;
		ret = ca_err(err, errlen, e ? -e : -EIO, "cannot open ledger %s: %s", path,
			     e ? strerror(e) : sqlite3_errstr(rc));
		ca_ledger_free(l);
		return ret;
	}
	sqlite3_busy_timeout(l->db, CA_LEDGER_BUSY_TIMEOUT_MS);
	if (ledger_exec(l, "PRAGMA foreign_keys = ON", err, errlen)) {
		ca_ledger_free(l);
		return -EIO;
	}
	*out = l;
	return 0;
}

/* WAL is what lets readers and one writer share the file; a filesystem
 * that cannot do it (no shared memory) is refused rather than silently
 * run in another mode. */
static int ledger_wal_enable(struct ca_ledger *l, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int ret = ledger_prepare(l, "PRAGMA journal_mode = WAL", &st, err, errlen);

	if (ret)
		return ret;
	if (sqlite3_step(st) != SQLITE_ROW) {
		ret = ledger_fail(l, "journal_mode", err, errlen);
	} else {
		mode = sqlite3_column_text(st, 0);
		if (!mode || strcmp((const char *)mode, "wal") != 0)
			ret = ca_err(err, errlen, -EIO, "ledger %s: WAL journal mode not available",
				     l->path);
	}
	sqlite3_finalize(st);
	return ret;
}

/* Runs n statements in one transaction: all of them or none. */
static int ledger_script(struct ca_ledger *l, const char *const *sql, size_t n,
			 char *err, size_t errlen)
{
	size_t i;
	int ret = ca_ledger_begin(l, err, errlen);

	for (i = 0; !ret && i < n; i++)
		ret = ledger_exec(l, sql[i], err, errlen);
	if (!ret)
		ret = ca_ledger_commit(l, err, errlen);
	if (ret)
		ca_ledger_rollback(l);
	return ret;
}

int ca_ledger_create(const char *path, struct ca_ledger **out, char *err, size_t errlen)
{
	/* An empty file is an empty database; creating it ourselves is what
	 * makes the ledger (and its -wal and -shm files, which SQLite gives
	 * the same mode) 0600, and refuses to replace a ledger. */
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct ca_ledger *l = NULL;
	int ret;

	if (fd < 0 && errno == EEXIST)
		return -EEXIST;
	if (fd < 0)
		return ca_err_sys(err, errlen, -errno, "cannot create %s", path);
	close(fd);
	ret = ledger_connect(path, &l, err, errlen);
	if (!ret)
		ret = ledger_wal_enable(l, err, errlen);
	if (!ret)
		ret = ledger_script(l, schema, CM_ARRAY_SIZE(schema), err, errlen);
	if (ret) {
		ca_ledger_free(l);
		unlink(path);
		return ret;
	}
	*out = l;
	return 0;
}

/* The stored schema version, 0 when the meta table has none. */
static int ledger_version(struct ca_ledger *l, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = ledger_prepare(l, "SELECT value FROM meta WHERE key = 'schema_version'",
				     &st, err, errlen);

	if (ret)
		return ret;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else
		ret = ledger_fail(l, "schema version", err, errlen);
	sqlite3_finalize(st);
	return ret;
}

/* The statements that take version v to the current one. */
static const char *const *migration(int64_t v, size_t *n)
{
	if (v == 1) {
		*n = CM_ARRAY_SIZE(migrate_v1);
		return migrate_v1;
	}
	*n = v == 2 ? CM_ARRAY_SIZE(migrate_v2) : 0;
	return migrate_v2;
}

/* Migrates an older ledger (version from) under the write lock. The
 * version is read again once the lock is held: another run may have
 * migrated it since. A failure is said as the migration's, with SQLite's
 * words as the reason. */
static int ledger_migrate(struct ca_ledger *l, int64_t from, char *err, size_t errlen)
{
	const char *const *sql;
	int64_t v = 0;
	size_t i, n = 0;
	int ret = ca_ledger_begin(l, NULL, 0);

	if (!ret)
		ret = ledger_version(l, &v, NULL, 0);
	sql = migration(v, &n);
	for (i = 0; !ret && i < n; i++)
		ret = ledger_exec(l, sql[i], NULL, 0);
	if (!ret)
		ret = ca_ledger_commit(l, NULL, 0);
	if (ret) {
		ca_err(err, errlen, ret, "ledger %s: cannot migrate it from schema version %lld "
		       "(%s)", l->path, (long long)from, sqlite3_errmsg(l->db));
		ca_ledger_rollback(l);
	}
	return ret;
}

static int ledger_version_check(struct ca_ledger *l, char *err, size_t errlen)
{
	int64_t v = 0;
	int ret = ledger_version(l, &v, err, errlen);

	if (!ret && v >= 1 && v < CA_LEDGER_SCHEMA_VERSION)
		ret = ledger_migrate(l, v, err, errlen);
	else if (!ret && v != CA_LEDGER_SCHEMA_VERSION)
		ret = ca_err(err, errlen, -EPROTO, "ledger %s: unknown schema version %lld (this "
			     "postern-ca reads 1 to %d)", l->path, (long long)v,
			     CA_LEDGER_SCHEMA_VERSION);
	return ret;
}

int ca_ledger_open(const char *path, struct ca_ledger **out, char *err, size_t errlen)
{
	struct ca_ledger *l = NULL;
	int ret = ledger_connect(path, &l, err, errlen);

	if (!ret)
		ret = ledger_version_check(l, err, errlen);
	if (ret) {
		ca_ledger_free(l);
		return ret;
	}
	*out = l;
	return 0;
}

void ca_ledger_free(struct ca_ledger *l)
{
	if (!l)
		return;
	sqlite3_close(l->db);
	free(l->path);
	free(l);
}

/* ------------------------------------------------------------------ */
/* Transactions                                                        */
/* ------------------------------------------------------------------ */

int ca_ledger_begin(struct ca_ledger *l, char *err, size_t errlen)
{
	return ledger_exec(l, "BEGIN IMMEDIATE", err, errlen);
}

int ca_ledger_commit(struct ca_ledger *l, char *err, size_t errlen)
{
	return ledger_exec(l, "COMMIT", err, errlen);
}

/* A rollback that fails leaves the transaction to SQLite, which rolls it
 * back when the connection closes; the failure that led here is the one
 * that matters. */
void ca_ledger_rollback(struct ca_ledger *l)
{
	if (l && !sqlite3_get_autocommit(l->db))
		ledger_exec(l, "ROLLBACK", NULL, 0);
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */
/* ------------------------------------------------------------------ */

/* Copies a text column; a value too long for the record or with an
 * embedded NUL means the file was edited by something other than us. */
static int text_copy(sqlite3_stmt *st, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (!t || n < 0 || (size_t)n >= size || memchr(t, '\0', (size_t)n))
		return -EBADMSG;
	memcpy(buf, t, (size_t)n);
	buf[n] = '\0';
	return 0;
}

static int status_parse(const char *text, enum ca_status *out)
{
	if (strcmp(text, "valid") == 0)
		*out = CA_STATUS_VALID;
	else if (strcmp(text, "revoked") == 0)
		*out = CA_STATUS_REVOKED;
	else
		return -EBADMSG;
	return 0;
}

static int key_origin_parse(const char *text, enum ca_key_origin *out)
{
	if (strcmp(text, "ca") == 0)
		*out = CA_KEY_ORIGIN_CA;
	else if (strcmp(text, "csr") == 0)
		*out = CA_KEY_ORIGIN_CSR;
	else
		return -EBADMSG;
	return 0;
}

static int state_parse(const char *text, enum ca_device_state *out)
{
	if (strcmp(text, "active") == 0)
		*out = CA_DEVICE_ACTIVE;
	else if (strcmp(text, "lost") == 0)
		*out = CA_DEVICE_LOST;
	else
		return -EBADMSG;
	return 0;
}

/* The enumerations of a record: ownership, status, (when set) reason, the
 * device's state and the key's origin. */
static int row_enums_read(sqlite3_stmt *st, struct ca_record *r)
{
	char text[32];
	int ret;

	ret = text_copy(st, 3, text, sizeof(text));
	if (!ret)
		ret = cm_ownership_parse(text, strlen(text), &r->ownership) ? -EBADMSG : 0;
	if (!ret)
		ret = text_copy(st, 7, text, sizeof(text));
	if (!ret)
		ret = status_parse(text, &r->status);
	r->reason = CA_REASON_UNSPECIFIED;
	if (!ret && sqlite3_column_type(st, 9) != SQLITE_NULL) {
		ret = text_copy(st, 9, text, sizeof(text));
		if (!ret)
			ret = ca_reason_parse(text, &r->reason) ? -EBADMSG : 0;
	}
	if (!ret)
		ret = text_copy(st, 11, text, sizeof(text));
	if (!ret)
		ret = state_parse(text, &r->state);
	if (!ret)
		ret = text_copy(st, 13, text, sizeof(text));
	if (!ret)
		ret = key_origin_parse(text, &r->key_origin);
	return ret;
}

/* Reads a row selected with RECORD_SELECT. */
static int row_read(struct ca_ledger *l, sqlite3_stmt *st, struct ca_record *r,
		    char *err, size_t errlen)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ret = text_copy(st, 0, r->device_id, sizeof(r->device_id));
	if (!ret)
		ret = text_copy(st, 1, r->owner, sizeof(r->owner));
	if (!ret)
		ret = text_copy(st, 2, r->group, sizeof(r->group));
	if (!ret)
		ret = text_copy(st, 4, r->serial, sizeof(r->serial));
	if (!ret)
		ret = row_enums_read(st, r);
	r->not_before = sqlite3_column_int64(st, 5);
	r->not_after = sqlite3_column_int64(st, 6);
	r->revoked_at = sqlite3_column_int64(st, 8);	/* NULL reads as 0 */
	r->created_at = sqlite3_column_int64(st, 10);
	r->lost_at = sqlite3_column_int64(st, 12);
	if (ret)
		ca_err(err, errlen, ret, "ledger %s: malformed row for device '%.64s'", l->path,
		       r->device_id[0] ? r->device_id : "?");
	return ret;
}

/* The first record a one-parameter query selects; -ENOENT when none. */
static int record_get(struct ca_ledger *l, const char *sql, const char *param,
		      struct ca_record *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = ledger_prepare(l, sql, &st, err, errlen);

	if (!ret)
		ret = bind_text(st, 1, param);
	if (!ret) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			ret = row_read(l, st, out, err, errlen);
		else
			ret = rc == SQLITE_DONE ? -ENOENT : ledger_fail(l, "get", err, errlen);
	}
	sqlite3_finalize(st);
	return ret;
}

int ca_ledger_get(struct ca_ledger *l, const char *device_id, struct ca_record *out,
		  char *err, size_t errlen)
{
	return record_get(l, RECORD_SELECT " WHERE c.device_id = ?1 ORDER BY c.id DESC LIMIT 1",
			  device_id, out, err, errlen);
}

int ca_ledger_get_serial(struct ca_ledger *l, const char *serial, struct ca_record *out,
			 char *err, size_t errlen)
{
	return record_get(l, RECORD_SELECT " WHERE c.serial = ?1", serial, out, err, errlen);
}

/* Whether a device exists: 1, 0, or a negative errno. */
static int device_exists(struct ca_ledger *l, const char *device_id, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = ledger_prepare(l, "SELECT 1 FROM devices WHERE device_id = ?1", &st,
				     err, errlen);

	if (!ret)
		ret = bind_text(st, 1, device_id);
	if (!ret) {
		rc = sqlite3_step(st);
		ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : ledger_fail(l, "get", err,
										   errlen);
	}
	sqlite3_finalize(st);
	return ret;
}

static int device_insert(struct ca_ledger *l, const struct ca_record *r, char *err,
			 size_t errlen)
{
	sqlite3_stmt *st = NULL;
	bool lost = r->state == CA_DEVICE_LOST;
	int ret = ledger_prepare(l, "INSERT INTO devices (device_id, owner, grp, ownership, "
				 "state, lost_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
				 &st, err, errlen);

	ret = ret ? ret : bind_text(st, 1, r->device_id);
	ret = ret ? ret : bind_text(st, 2, r->owner);
	ret = ret ? ret : bind_text(st, 3, r->group);
	ret = ret ? ret : bind_text(st, 4, cm_ownership_name(r->ownership));
	ret = ret ? ret : bind_text(st, 5, ca_device_state_name(r->state));
	ret = ret ? ret : (lost ? bind_int(st, 6, r->lost_at) : bind_text(st, 6, NULL));
	ret = ret ? ret : bind_int(st, 7, r->created_at);
	if (!ret && sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(l->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			ret = -EEXIST;
		else
			ret = ledger_fail(l, "insert device", err, errlen);
	}
	sqlite3_finalize(st);
	return ret;
}

static int cert_insert(struct ca_ledger *l, const struct ca_record *r, char *err,
		       size_t errlen)
{
	sqlite3_stmt *st = NULL;
	bool revoked = r->status == CA_STATUS_REVOKED;
	int ret = ledger_prepare(l, "INSERT INTO certificates (device_id, serial, not_before, "
				 "not_after, status, revoked_at, reason, created_at, key_origin) "
				 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &st, err, errlen);

	ret = ret ? ret : bind_text(st, 1, r->device_id);
	ret = ret ? ret : bind_text(st, 2, r->serial);
	ret = ret ? ret : bind_int(st, 3, r->not_before);
	ret = ret ? ret : bind_int(st, 4, r->not_after);
	ret = ret ? ret : bind_text(st, 5, ca_status_name(r->status));
	ret = ret ? ret : (revoked ? bind_int(st, 6, r->revoked_at) : bind_text(st, 6, NULL));
	ret = ret ? ret : bind_text(st, 7, revoked ? ca_reason_name(r->reason) : NULL);
	ret = ret ? ret : bind_int(st, 8, r->created_at);
	ret = ret ? ret : bind_text(st, 9, ca_key_origin_name(r->key_origin));
	if (!ret)
		ret = stmt_run(l, st, "insert certificate", err, errlen);
	sqlite3_finalize(st);
	return ret;
}

/* A savepoint makes the device and its first certificate one change even
 * outside a transaction: a duplicate serial leaves no device behind. */
int ca_ledger_insert(struct ca_ledger *l, const struct ca_record *r, char *err, size_t errlen)
{
	int ret = ledger_exec(l, "SAVEPOINT insert_device", err, errlen);

	if (ret)
		return ret;
	ret = device_insert(l, r, err, errlen);
	if (!ret)
		ret = cert_insert(l, r, err, errlen);
	if (ret)
		ledger_exec(l, "ROLLBACK TO insert_device", NULL, 0);
	ledger_exec(l, "RELEASE insert_device", NULL, 0);
	return ret;
}

int ca_ledger_add_cert(struct ca_ledger *l, const struct ca_record *r, char *err,
		       size_t errlen)
{
	int ret = device_exists(l, r->device_id, err, errlen);

	if (ret == 0)
		return -ENOENT;
	return ret < 0 ? ret : cert_insert(l, r, err, errlen);
}

/* Revokes the selected valid certificates of an existing device and
 * counts them; nothing selected is not an error here. */
static int certs_revoke(struct ca_ledger *l, const char *device_id, const char *serial,
			const char *except, int64_t when, enum ca_reason reason,
			unsigned int *count, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = ledger_prepare(l, "UPDATE certificates SET status = 'revoked', "
				 "revoked_at = ?2, reason = ?3 WHERE device_id = ?1 AND "
				 "status = 'valid' AND (?4 IS NULL OR serial = ?4) AND "
				 "(?5 IS NULL OR serial <> ?5)", &st, err, errlen);

	ret = ret ? ret : bind_text(st, 1, device_id);
	ret = ret ? ret : bind_int(st, 2, when);
	ret = ret ? ret : bind_text(st, 3, ca_reason_name(reason));
	ret = ret ? ret : bind_text(st, 4, serial);
	ret = ret ? ret : bind_text(st, 5, except);
	if (!ret)
		ret = stmt_run(l, st, "revoke", err, errlen);
	if (!ret)
		*count = (unsigned int)sqlite3_changes(l->db);
	sqlite3_finalize(st);
	return ret;
}

/* -ENOENT unless the device exists and, when serial is given, has it. */
static int revoke_target(struct ca_ledger *l, const char *device_id, const char *serial,
			 char *err, size_t errlen)
{
	struct ca_record r;
	int ret = device_exists(l, device_id, err, errlen);

	if (ret <= 0)
		return ret ? ret : -ENOENT;
	if (!serial)
		return 0;
	ret = ca_ledger_get_serial(l, serial, &r, err, errlen);
	return !ret && strcmp(r.device_id, device_id) != 0 ? -ENOENT : ret;
}

int ca_ledger_revoke(struct ca_ledger *l, const char *device_id, const char *serial,
		     const char *except, int64_t when, enum ca_reason reason,
		     unsigned int *count, char *err, size_t errlen)
{
	unsigned int n = 0;
	int ret = revoke_target(l, device_id, serial, err, errlen);

	if (ret)
		return ret;
	ret = certs_revoke(l, device_id, serial, except, when, reason, &n, err, errlen);
	if (!ret && n == 0)
		ret = -EALREADY;
	if (count)
		*count = n;
	return ret;
}

int ca_ledger_mark_lost(struct ca_ledger *l, const char *device_id, int64_t when,
			unsigned int *count, char *err, size_t errlen)
{
	struct ca_record r;
	sqlite3_stmt *st = NULL;
	unsigned int n = 0;
	int ret = ca_ledger_get(l, device_id, &r, err, errlen);

	if (!ret && r.state == CA_DEVICE_LOST)
		ret = -EALREADY;
	if (!ret)
		ret = ledger_prepare(l, "UPDATE devices SET state = 'lost', lost_at = ?2 "
				     "WHERE device_id = ?1", &st, err, errlen);
	ret = ret ? ret : bind_text(st, 1, device_id);
	ret = ret ? ret : bind_int(st, 2, when);
	if (!ret)
		ret = stmt_run(l, st, "lost", err, errlen);
	sqlite3_finalize(st);
	if (!ret)
		ret = certs_revoke(l, device_id, NULL, NULL, when, CA_REASON_KEY_COMPROMISE, &n,
				   err, errlen);
	if (count)
		*count = n;
	return ret;
}

int ca_ledger_foreach(struct ca_ledger *l, enum ca_ledger_filter filter,
		      ca_ledger_cb cb, void *ctx, char *err, size_t errlen)
{
	static const char *const sql[] = {
		[CA_LEDGER_ALL] = RECORD_SELECT " ORDER BY d.rowid, c.id",
		[CA_LEDGER_REVOKED] = RECORD_SELECT " WHERE c.status = 'revoked'"
				      " ORDER BY d.rowid, c.id",
	};
	struct ca_record r;
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, ret = ledger_prepare(l, sql[filter], &st, err, errlen);

	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = row_read(l, st, &r, err, errlen);
		if (!ret)
			ret = cb(&r, ctx);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = ledger_fail(l, "list", err, errlen);
	sqlite3_finalize(st);
	return ret;
}

int ca_ledger_device_certs(struct ca_ledger *l, const char *device_id, ca_ledger_cb cb,
			   void *ctx, char *err, size_t errlen)
{
	struct ca_record r;
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, n = 0;
	int ret = ledger_prepare(l, RECORD_SELECT " WHERE c.device_id = ?1 ORDER BY c.id", &st,
				 err, errlen);

	if (!ret)
		ret = bind_text(st, 1, device_id);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		ret = row_read(l, st, &r, err, errlen);
		if (!ret)
			ret = cb(&r, ctx);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = ledger_fail(l, "list", err, errlen);
	if (!ret && n == 0)
		ret = -ENOENT;
	sqlite3_finalize(st);
	return ret;
}

/* The new number, from a statement that sets it and returns it. */
static int crl_number_step(struct ca_ledger *l, sqlite3_stmt *st, sqlite3_int64 *v,
			   char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		return stmt_run(l, st, "crl_number", err, errlen);
	}
	return rc == SQLITE_DONE ? 0 : ledger_fail(l, "crl_number", err, errlen);
}

int ca_ledger_crl_number_next(struct ca_ledger *l, uint64_t above, uint64_t *out,
			      char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 v = 0;
	int ret = ledger_prepare(l, "UPDATE meta SET value = MAX(value, ?1) + 1 "
				 "WHERE key = 'crl_number' RETURNING value", &st, err, errlen);

	if (!ret && above >= INT64_MAX)
		ret = -ERANGE;
	if (!ret)
		ret = bind_int(st, 1, (int64_t)above);
	if (!ret)
		ret = crl_number_step(l, st, &v, err, errlen);
	if (!ret && v <= 0)
		ret = ca_err(err, errlen, -EBADMSG, "ledger %s: missing or bad CRL number",
			     l->path);
	if (!ret)
		*out = (uint64_t)v;
	sqlite3_finalize(st);
	return ret;
}

/* The first row of a check that is not good is the problem found. */
static int pragma_check(struct ca_ledger *l, const char *sql, const char *good,
			char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc, ret = ledger_prepare(l, sql, &st, err, errlen);

	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = sqlite3_column_text(st, 0);
		if (good && t && strcmp((const char *)t, good) == 0)
			continue;
		ret = ca_err(err, errlen, -EBADMSG, "ledger %s: %s: %.200s", l->path, sql,
			     t ? (const char *)t : "?");
	}
	if (!ret && rc != SQLITE_DONE)
		ret = ledger_fail(l, sql, err, errlen);
	sqlite3_finalize(st);
	return ret;
}

int ca_ledger_check(struct ca_ledger *l, char *err, size_t errlen)
{
	int ret = pragma_check(l, "PRAGMA integrity_check", "ok", err, errlen);

	return ret ? ret : pragma_check(l, "PRAGMA foreign_key_check", NULL, err, errlen);
}

/* ------------------------------------------------------------------ */
/* Presentation                                                        */
/* ------------------------------------------------------------------ */

const char *ca_status_name(enum ca_status status)
{
	return status == CA_STATUS_REVOKED ? "revoked" : "valid";
}

const char *ca_device_state_name(enum ca_device_state state)
{
	return state == CA_DEVICE_LOST ? "lost" : "active";
}

const char *ca_key_origin_name(enum ca_key_origin origin)
{
	return origin == CA_KEY_ORIGIN_CSR ? "csr" : "ca";
}

const char *ca_record_status(const struct ca_record *r, time_t now)
{
	/* A certificate is valid through its notAfter second (RFC 5280). */
	if (r->state == CA_DEVICE_LOST)
		return "lost";
	if (r->status == CA_STATUS_REVOKED)
		return "revoked";
	return (int64_t)now > r->not_after ? "expired" : "valid";
}
