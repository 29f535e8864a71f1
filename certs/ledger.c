/* SPDX-License-Identifier: MIT */
/*
 * The device ledger on SQLite. Every statement is prepared with bound
 * parameters, never built from strings. The file is in WAL mode, so that
 * `list` never waits for a writer, and each connection has a 5 s busy
 * timeout, so that concurrent postern-ca runs queue on the write lock
 * instead of failing. Writers take the lock with BEGIN IMMEDIATE before
 * they check anything: a deferred transaction would let two runs both see
 * "no such device" and then race to insert.
 */
#include "certs/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

struct ca_ledger {
	sqlite3 *db;
	char *path;
};

#define DEVICE_COLUMNS \
	"device_id, owner, grp, ownership, serial, not_before, not_after, " \
	"status, revoked_at, reason, created_at"

static const char *const schema[] = {
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL)",
	"CREATE TABLE devices ("
	" device_id TEXT PRIMARY KEY,"
	" owner TEXT NOT NULL,"
	" grp TEXT NOT NULL,"
	" ownership TEXT NOT NULL CHECK (ownership IN ('corporate', 'byod')),"
	" serial TEXT NOT NULL UNIQUE,"
	" not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),"
	" revoked_at INTEGER,"
	" reason TEXT,"
	" created_at INTEGER NOT NULL)",
	"INSERT INTO meta (key, value) VALUES ('schema_version', 1), ('crl_number', 0)",
};

/* ------------------------------------------------------------------ */
/* Statements                                                          */
/* ------------------------------------------------------------------ */

static int ledger_fail(struct ca_ledger *l, const char *what)
{
	int rc = sqlite3_errcode(l->db);

	ca_error("ledger %s: %s (%s)", l->path, sqlite3_errmsg(l->db), what);
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY : -EIO;
}

static int ledger_prepare(struct ca_ledger *l, const char *sql, sqlite3_stmt **out)
{
	if (sqlite3_prepare_v2(l->db, sql, -1, out, NULL) != SQLITE_OK)
		return ledger_fail(l, "prepare");
	return 0;
}

/* Runs a statement to its end; rows, if any, are not wanted. */
static int stmt_run(struct ca_ledger *l, sqlite3_stmt *st, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	return rc == SQLITE_DONE ? 0 : ledger_fail(l, what);
}

static int ledger_exec(struct ca_ledger *l, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int ret = ledger_prepare(l, sql, &st);

	if (!ret)
		ret = stmt_run(l, st, sql);
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

static int ledger_connect(const char *path, struct ca_ledger **out)
{
	struct ca_ledger *l = calloc(1, sizeof(*l));
	int rc, e;

	if (!l || !(l->path = strdup(path))) {
		free(l);
		return -ENOMEM;
	}
	rc = sqlite3_open_v2(path, &l->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		e = l->db ? sqlite3_system_errno(l->db) : 0;
		ca_error("cannot open ledger %s: %s", path,
			 e ? strerror(e) : sqlite3_errstr(rc));
		ca_ledger_free(l);
		return e ? -e : -EIO;
	}
	sqlite3_busy_timeout(l->db, CA_LEDGER_BUSY_TIMEOUT_MS);
	*out = l;
	return 0;
}

/* WAL is what lets readers and one writer share the file; a filesystem
 * that cannot do it (no shared memory) is refused rather than silently
 * run in another mode. */
static int ledger_wal_enable(struct ca_ledger *l)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int ret = ledger_prepare(l, "PRAGMA journal_mode = WAL", &st);

	if (ret)
		return ret;
	if (sqlite3_step(st) != SQLITE_ROW) {
		ret = ledger_fail(l, "journal_mode");
	} else {
		mode = sqlite3_column_text(st, 0);
		if (!mode || strcmp((const char *)mode, "wal") != 0) {
			ca_error("ledger %s: WAL journal mode not available", l->path);
			ret = -EIO;
		}
	}
	sqlite3_finalize(st);
	return ret;
}

static int ledger_schema_create(struct ca_ledger *l)
{
	size_t i;
	int ret = ca_ledger_begin(l);

	for (i = 0; !ret && i < sizeof(schema) / sizeof(schema[0]); i++)
		ret = ledger_exec(l, schema[i]);
	if (!ret)
		ret = ca_ledger_commit(l);
	if (ret)
		ca_ledger_rollback(l);
	return ret;
}

int ca_ledger_create(const char *path, struct ca_ledger **out)
{
	/* An empty file is an empty database; creating it ourselves is what
	 * makes the ledger (and its -wal and -shm files, which SQLite gives
	 * the same mode) 0600, and refuses to replace a ledger. */
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct ca_ledger *l = NULL;
	int ret;

	if (fd < 0) {
		ret = -errno;
		if (ret != -EEXIST)
			ca_error("cannot create %s: %s", path, strerror(-ret));
		return ret;
	}
	close(fd);
	ret = ledger_connect(path, &l);
	if (!ret)
		ret = ledger_wal_enable(l);
	if (!ret)
		ret = ledger_schema_create(l);
	if (ret) {
		ca_ledger_free(l);
		unlink(path);
		return ret;
	}
	*out = l;
	return 0;
}

static int ledger_version_check(struct ca_ledger *l)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = ledger_prepare(l, "SELECT value FROM meta WHERE key = 'schema_version'",
				     &st);

	if (ret)
		return ret;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ret = ledger_fail(l, "schema version");
	} else if (rc == SQLITE_DONE ||
		   sqlite3_column_int64(st, 0) != CA_LEDGER_SCHEMA_VERSION) {
		ca_error("ledger %s: unknown schema version (this postern-ca reads %d)",
			 l->path, CA_LEDGER_SCHEMA_VERSION);
		ret = -EPROTO;
	}
	sqlite3_finalize(st);
	return ret;
}

int ca_ledger_open(const char *path, struct ca_ledger **out)
{
	struct ca_ledger *l = NULL;
	int ret = ledger_connect(path, &l);

	if (!ret)
		ret = ledger_version_check(l);
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

int ca_ledger_begin(struct ca_ledger *l)
{
	return ledger_exec(l, "BEGIN IMMEDIATE");
}

int ca_ledger_commit(struct ca_ledger *l)
{
	return ledger_exec(l, "COMMIT");
}

void ca_ledger_rollback(struct ca_ledger *l)
{
	if (l && !sqlite3_get_autocommit(l->db))
		ledger_exec(l, "ROLLBACK");
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

/* The enumerations of a row: ownership, status and (when set) reason. */
static int row_enums_read(sqlite3_stmt *st, struct ca_device *d)
{
	char text[32];
	int ret;

	ret = text_copy(st, 3, text, sizeof(text));
	if (!ret)
		ret = ca_ownership_parse(text, &d->ownership) ? -EBADMSG : 0;
	if (!ret)
		ret = text_copy(st, 7, text, sizeof(text));
	if (!ret)
		ret = status_parse(text, &d->status);
	d->reason = CA_REASON_UNSPECIFIED;
	if (!ret && sqlite3_column_type(st, 9) != SQLITE_NULL) {
		ret = text_copy(st, 9, text, sizeof(text));
		if (!ret)
			ret = ca_reason_parse(text, &d->reason) ? -EBADMSG : 0;
	}
	return ret;
}

/* Reads a row selected with DEVICE_COLUMNS. */
static int row_read(struct ca_ledger *l, sqlite3_stmt *st, struct ca_device *d)
{
	int ret;

	memset(d, 0, sizeof(*d));
	ret = text_copy(st, 0, d->device_id, sizeof(d->device_id));
	if (!ret)
		ret = text_copy(st, 1, d->owner, sizeof(d->owner));
	if (!ret)
		ret = text_copy(st, 2, d->group, sizeof(d->group));
	if (!ret)
		ret = text_copy(st, 4, d->serial, sizeof(d->serial));
	if (!ret)
		ret = row_enums_read(st, d);
	d->not_before = sqlite3_column_int64(st, 5);
	d->not_after = sqlite3_column_int64(st, 6);
	d->revoked_at = sqlite3_column_int64(st, 8);	/* NULL reads as 0 */
	d->created_at = sqlite3_column_int64(st, 10);
	if (ret)
		ca_error("ledger %s: malformed row for device '%.64s'", l->path,
			 d->device_id[0] ? d->device_id : "?");
	return ret;
}

int ca_ledger_get(struct ca_ledger *l, const char *device_id, struct ca_device *out)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = ledger_prepare(l, "SELECT " DEVICE_COLUMNS
				     " FROM devices WHERE device_id = ?1", &st);

	if (!ret)
		ret = bind_text(st, 1, device_id);
	if (!ret) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			ret = row_read(l, st, out);
		else
			ret = rc == SQLITE_DONE ? -ENOENT : ledger_fail(l, "get");
	}
	sqlite3_finalize(st);
	return ret;
}

static int device_bind(sqlite3_stmt *st, const struct ca_device *d)
{
	bool revoked = d->status == CA_STATUS_REVOKED;
	int ret;

	ret = bind_text(st, 1, d->device_id);
	ret = ret ? ret : bind_text(st, 2, d->owner);
	ret = ret ? ret : bind_text(st, 3, d->group);
	ret = ret ? ret : bind_text(st, 4, ca_ownership_name(d->ownership));
	ret = ret ? ret : bind_text(st, 5, d->serial);
	ret = ret ? ret : bind_int(st, 6, d->not_before);
	ret = ret ? ret : bind_int(st, 7, d->not_after);
	ret = ret ? ret : bind_text(st, 8, ca_status_name(d->status));
	ret = ret ? ret : (revoked ? bind_int(st, 9, d->revoked_at) : bind_text(st, 9, NULL));
	ret = ret ? ret : bind_text(st, 10, revoked ? ca_reason_name(d->reason) : NULL);
	ret = ret ? ret : bind_int(st, 11, d->created_at);
	return ret;
}

int ca_ledger_insert(struct ca_ledger *l, const struct ca_device *dev)
{
	sqlite3_stmt *st = NULL;
	int ret = ledger_prepare(l, "INSERT INTO devices (" DEVICE_COLUMNS ") VALUES "
				 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &st);

	if (!ret)
		ret = device_bind(st, dev);
	if (!ret && sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(l->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			ret = -EEXIST;
		else
			ret = ledger_fail(l, "insert");
	}
	sqlite3_finalize(st);
	return ret;
}

int ca_ledger_revoke(struct ca_ledger *l, const char *device_id, int64_t when,
		     enum ca_reason reason)
{
	struct ca_device dev;
	sqlite3_stmt *st = NULL;
	int ret = ca_ledger_get(l, device_id, &dev);

	if (!ret && dev.status == CA_STATUS_REVOKED)
		ret = -EALREADY;
	if (!ret)
		ret = ledger_prepare(l, "UPDATE devices SET status = 'revoked', "
				     "revoked_at = ?2, reason = ?3 WHERE device_id = ?1", &st);
	if (!ret)
		ret = bind_text(st, 1, device_id);
	if (!ret)
		ret = bind_int(st, 2, when);
	if (!ret)
		ret = bind_text(st, 3, ca_reason_name(reason));
	if (!ret)
		ret = stmt_run(l, st, "revoke");
	sqlite3_finalize(st);
	return ret;
}

int ca_ledger_foreach(struct ca_ledger *l, enum ca_ledger_filter filter,
		      ca_ledger_cb cb, void *ctx)
{
	static const char *const sql[] = {
		[CA_LEDGER_ALL] = "SELECT " DEVICE_COLUMNS
				  " FROM devices ORDER BY rowid",
		[CA_LEDGER_REVOKED] = "SELECT " DEVICE_COLUMNS
				      " FROM devices WHERE status = 'revoked' ORDER BY rowid",
	};
	struct ca_device dev;
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, ret = ledger_prepare(l, sql[filter], &st);

	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = row_read(l, st, &dev);
		if (!ret)
			ret = cb(&dev, ctx);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = ledger_fail(l, "list");
	sqlite3_finalize(st);
	return ret;
}

int ca_ledger_crl_number_next(struct ca_ledger *l, uint64_t *out)
{
	sqlite3_stmt *st = NULL;
	int ret = ledger_prepare(l, "UPDATE meta SET value = value + 1 "
				 "WHERE key = 'crl_number' RETURNING value", &st);
	sqlite3_int64 v = 0;
	int rc;

	if (ret)
		return ret;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		ret = stmt_run(l, st, "crl_number");
	} else if (rc != SQLITE_DONE) {
		ret = ledger_fail(l, "crl_number");
	}
	if (!ret && v <= 0) {
		ca_error("ledger %s: missing or bad CRL number", l->path);
		ret = -EBADMSG;
	}
	if (!ret)
		*out = (uint64_t)v;
	sqlite3_finalize(st);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Presentation                                                        */
/* ------------------------------------------------------------------ */

const char *ca_status_name(enum ca_status status)
{
	return status == CA_STATUS_REVOKED ? "revoked" : "valid";
}

const char *ca_device_status(const struct ca_device *dev, time_t now)
{
	/* A certificate is valid through its notAfter second (RFC 5280). */
	if (dev->status == CA_STATUS_REVOKED)
		return "revoked";
	return (int64_t)now > dev->not_after ? "expired" : "valid";
}
