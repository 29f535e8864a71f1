/* SPDX-License-Identifier: MIT */
/*
 * The MDM inventory loader (the format is in inventory.h). The file is read
 * into memory once and split in place: fields are NUL-terminated where they
 * end and quoted ones are unescaped where they stand, so a record only holds
 * pointers into that text and a million devices cost little more than the
 * file itself. Every record is checked as it is read and every problem is
 * collected as "FILE:LINE: message", the line being where the record starts;
 * then the records are sorted by device id, which finds the ids listed twice
 * and lets a lookup be a binary search. A file with any problem yields no
 * inventory.
 *
 * Limits keep a broken or hostile export from costing more than a real one:
 * the file, the records, one record's bytes and the columns are capped, and
 * a quote left open is reported where it was opened instead of swallowing
 * the rest of the file.
 */
#include "posture/inventory.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/device.h"
#include "common/file.h"
#include "common/macros.h"
#include "common/number.h"
#include "common/sha256.h"
#include "common/time.h"
#include "common/version.h"
#include "conf/policy.h"

#define INV_MSG_MAX	256
#define INV_VALUE_SHOWN	"%.48s"		/* how much of a bad value a message quotes */
#define INV_UNKNOWN	(-1)

enum inv_key {
	INV_DEVICE_ID, INV_MDM_ENROLLED, INV_PASSCODE_SET, INV_OS_NAME, INV_OS_VERSION,
	INV_LAST_CHECKIN, INV_STATUS, INV_KEYS
};

static const char *const inv_columns[INV_KEYS] = {
	"device_id", "mdm_enrolled", "passcode_set", "os_name", "os_version", "last_checkin",
	"status",
};

#define INV_COLUMN_LIST "device_id, mdm_enrolled, passcode_set, os_name, os_version, " \
			"last_checkin and status"

/* The fact values a record can state, in their canonical spelling. */
static const char *const inv_os[] = { "ios", "android", "linux", "windows", "macos" };
static const char *const inv_status[] = { "active", "lost", "retired" };
static const char *const inv_true[] = { "true", "1", "yes" };
static const char *const inv_false[] = { "false", "0", "no" };


/* One device. Strings point into the inventory's text. */
struct inv_record {
	const char *device_id;
	const char *os_version;		/* NULL: unknown */
	time_t last_checkin;		/* valid when have_checkin */
	unsigned int line;
	signed char mdm_enrolled;	/* INV_UNKNOWN, 0 or 1 */
	signed char passcode_set;
	signed char os_name;		/* INV_UNKNOWN or an index into inv_os */
	signed char status;		/* INV_UNKNOWN or an index into inv_status */
	bool have_checkin;
};

struct pst_inventory {
	char *text;
	struct inv_record *rec;		/* sorted by device_id */
	size_t n, cap;
	char sha256[CM_SHA256_HEX_SIZE];
};

/* The state of one parse. */
struct inv_parse {
	char *s;			/* the text, NUL-terminated at len */
	size_t len, pos;
	unsigned int line;		/* the line pos is on, from 1 */
	const char *name;
	char *err;
	size_t errlen, used;
	unsigned int n_errors;
	size_t col[INV_KEYS];		/* the column that holds each key */
	size_t n_cols;			/* 0 while the header is read */
	size_t field;			/* the index of the field being read */
	struct pst_inventory *inv;
};

/* How a field ended. A field with a syntax error is reported and read on
 * to the next ',' or line end, so that the rest of its record is still
 * read and every bad field of a line is reported, each once. */
enum inv_end {
	INV_MORE,	/* ',': another field follows */
	INV_EOR,	/* the end of the line or of the text: the record is complete */
	INV_FATAL,	/* a quote never closed: nothing after it can be read */
};

/* ---- errors ---- */

/* Messages quote the file; a control character would split a line. */
static void inv_msg_clean(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

/* Appends "NAME:LINE: message" (or "NAME: message" for line 0); when err is
 * full the rest is dropped and it stays NUL-terminated. */
__attribute__((format(printf, 3, 4)))
static void inv_err(struct inv_parse *ps, unsigned int line, const char *fmt, ...)
{
	const char *sep = ps->used ? "\n" : "";
	char msg[INV_MSG_MAX];
	size_t room;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	inv_msg_clean(msg);
	ps->n_errors++;
	if (!ps->err || ps->used + 1 >= ps->errlen)
		return;
	room = ps->errlen - ps->used;
	if (line)
		n = snprintf(ps->err + ps->used, room, "%s%s:%u: %s", sep, ps->name, line, msg);
	else
		n = snprintf(ps->err + ps->used, room, "%s%s: %s", sep, ps->name, msg);
	if (n > 0)
		ps->used += (size_t)n < room ? (size_t)n : room - 1;
}

/* ---- splitting the text into fields ---- */

/* "mdm_enrolled: " for a field of a record, "" for the header's. */
static const char *inv_field_name(const struct inv_parse *ps, char *buf, size_t len)
{
	size_t k;

	if (!ps->n_cols)
		return "";
	for (k = 0; k < INV_KEYS; k++) {
		if (ps->col[k] == ps->field) {
			snprintf(buf, len, "%s: ", inv_columns[k]);
			return buf;
		}
	}
	snprintf(buf, len, "column %zu: ", ps->field + 1);
	return buf;
}

/* Reports a syntax error in the field being read and reads on to its end:
 * the next ',' or line end, quotes and carriage returns included. */
static size_t inv_field_bad(struct inv_parse *ps, size_t from, const char *what)
{
	char name[INV_KEYS + 32];

	inv_err(ps, ps->line, "%s%s", inv_field_name(ps, name, sizeof(name)), what);
	return from + strcspn(ps->s + from, ",\n");
}

/* The separator after a field: ',' or a line end (LF or CRLF) or the end;
 * anything else is a syntax error (*bad), read on to the separator. */
static enum inv_end inv_field_end(struct inv_parse *ps, size_t *sep, const char *what,
				  bool *bad)
{
	size_t at = *sep;
	const char *s = ps->s;

	if (s[at] != ',' && s[at] != '\n' && at != ps->len &&
	    !(s[at] == '\r' && s[at + 1] == '\n')) {
		at = inv_field_bad(ps, at, what);
		*bad = true;
	}
	*sep = at;
	ps->pos = at;
	if (s[at] == ',') {
		ps->pos++;
		return INV_MORE;
	}
	if (s[at] == '\r' && s[at + 1] == '\n')
		ps->pos++;
	if (s[ps->pos] == '\n') {
		ps->pos++;
		ps->line++;
	}
	return INV_EOR;
}

/* "a ""b""" -> a "b", unescaped in place; a line break inside is kept. */
static enum inv_end inv_quoted(struct inv_parse *ps, char **value, bool *bad)
{
	char *s = ps->s;
	size_t start = ps->pos, w = ps->pos, i = ps->pos + 1;
	unsigned int first = ps->line;
	enum inv_end e;

	for (;;) {
		if (i == ps->len) {
			inv_err(ps, first, "a quoted value opened here is never closed");
			return INV_FATAL;
		}
		if (s[i] == '"' && s[i + 1] != '"')
			break;
		if (s[i] == '"')
			i++;
		else if (s[i] == '\n')
			ps->line++;
		s[w++] = s[i++];
	}
	i++;
	e = inv_field_end(ps, &i, "unexpected text after a closing quote (a quote inside a "
			  "quoted value is written \"\")", bad);
	s[w] = '\0';
	*value = s + start;
	return e;
}

static enum inv_end inv_plain(struct inv_parse *ps, char **value, bool *bad)
{
	char *s = ps->s, *v = s + ps->pos;
	size_t end = ps->pos + strcspn(v, ",\r\n\"");
	const char *what = s[end] == '"' ? "a quote inside an unquoted value (quote the whole "
					   "value: \"a \"\"b\"\"\")"
					 : "a carriage return inside a value";
	enum inv_end e = inv_field_end(ps, &end, what, bad);

	s[end] = '\0';
	*value = v;
	return e;
}

static enum inv_end inv_field(struct inv_parse *ps, char **value, bool *bad)
{
	*bad = false;
	if (ps->s[ps->pos] == '"')
		return inv_quoted(ps, value, bad);
	return inv_plain(ps, value, bad);
}

/* A line of nothing but spaces and tabs is consumed; true when it was one. */
static bool inv_blank_line(struct inv_parse *ps)
{
	size_t i = ps->pos;

	while (ps->s[i] == ' ' || ps->s[i] == '\t')
		i++;
	if (ps->s[i] == '\r' && ps->s[i + 1] == '\n')
		i++;
	if (ps->s[i] != '\n' && i != ps->len)
		return false;
	ps->pos = i == ps->len ? i : i + 1;
	ps->line += i == ps->len ? 0 : 1;
	return true;
}

/* One record read. */
struct inv_fields {
	char **v;		/* the first max values */
	bool *bad;		/* and whether each had a syntax error (reported) */
	bool any_bad;
	size_t max;
	size_t n;		/* how many there were */
	unsigned int line;	/* where the record starts */
};

/*
 * Reads the next record into f. Returns 1 for a record (fields with a syntax
 * error are reported and flagged in f->bad), 0 at the end of the text,
 * -EINVAL for a record too long (reported), -EBADMSG when nothing more can be
 * read.
 */
static int inv_next(struct inv_parse *ps, struct inv_fields *f)
{
	enum inv_end e = INV_MORE;
	size_t start;
	bool bad;
	char *v;

	while (ps->pos < ps->len && inv_blank_line(ps))
		;
	if (ps->pos >= ps->len)
		return 0;
	start = ps->pos;
	f->line = ps->line;
	f->n = 0;
	f->any_bad = false;
	while (e == INV_MORE) {
		ps->field = f->n;
		e = inv_field(ps, &v, &bad);
		if (e == INV_FATAL)
			return -EBADMSG;
		if (f->n < f->max) {
			f->v[f->n] = v;
			f->bad[f->n] = bad;
		}
		f->any_bad |= bad;
		f->n++;
	}
	if (ps->pos - start > PST_INVENTORY_RECORD_MAX) {
		inv_err(ps, f->line, "the record starting here is longer than %u bytes (a quote "
			"left open?)", PST_INVENTORY_RECORD_MAX);
		return -EINVAL;
	}
	return 1;
}

/* ---- the header ---- */

static char *inv_trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Column names are matched in any case, with spaces around them ignored. */
static int inv_header(struct inv_parse *ps, struct inv_fields *f)
{
	unsigned int before = ps->n_errors;
	bool seen[INV_KEYS] = { false };
	size_t i, k;

	if (f->n > f->max) {
		inv_err(ps, f->line, "%zu columns, more than the %u a header may name", f->n,
			PST_INVENTORY_COLUMNS_MAX);
		return -EINVAL;
	}
	ps->n_cols = f->n;
	for (i = 0; i < f->n; i++) {
		const char *name = inv_trim(f->v[i]);

		for (k = 0; k < INV_KEYS && strcasecmp(name, inv_columns[k]); k++)
			;
		if (k == INV_KEYS)
			continue;
		if (seen[k])
			inv_err(ps, f->line, "column '%s' is named twice (columns %zu and %zu)",
				inv_columns[k], ps->col[k] + 1, i + 1);
		seen[k] = true;
		ps->col[k] = i;
	}
	for (k = 0; k < INV_KEYS; k++) {
		if (!seen[k])
			inv_err(ps, f->line, "no column '%s' (the header must name " INV_COLUMN_LIST
				")", inv_columns[k]);
	}
	return ps->n_errors == before ? 0 : -EINVAL;
}

/* ---- values ---- */

static int inv_word(const char *v, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcasecmp(v, words[i]))
			return (int)i;
	}
	return INV_UNKNOWN;
}

/* What a fact value may be (posture.h): printable ASCII without '"' and '\\'. */
static bool inv_fact_value_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++) {
		if (n == PST_VALUE_MAX || s[n] < 0x20 || s[n] > 0x7e || s[n] == '"' || s[n] == '\\')
			return false;
	}
	return n > 0;
}

static int inv_bool(const char *v, signed char *out)
{
	if (inv_word(v, inv_true, CM_ARRAY_SIZE(inv_true)) != INV_UNKNOWN)
		*out = 1;
	else if (inv_word(v, inv_false, CM_ARRAY_SIZE(inv_false)) != INV_UNKNOWN)
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

/* Seconds since 1970 (common/number.h), up to 9999-12-31T23:59:59Z. */
static int inv_epoch(const char *v, time_t *out)
{
	uint64_t t;

	if (cm_number_parse(v, 0, (uint64_t)CM_TIME_MAX, &t))
		return -EINVAL;
	*out = (time_t)t;
	return 0;
}

static int inv_time(const char *v, time_t *out)
{
	if (v[0] >= '0' && v[0] <= '9' && strspn(v, "0123456789") == strlen(v))
		return inv_epoch(v, out);
	return cm_time_parse(v, out);
}

/* Each check reports its own problem; the record is kept only when none has. */
static void inv_check_bool(struct inv_parse *ps, unsigned int line, const char *v,
			   enum inv_key k, signed char *out)
{
	*out = INV_UNKNOWN;
	if (v[0] && inv_bool(v, out))
		inv_err(ps, line, "%s '" INV_VALUE_SHOWN "' is not true or false", inv_columns[k],
			v);
}

static void inv_check_device_id(struct inv_parse *ps, unsigned int line, const char *v)
{
	if (!v[0])
		inv_err(ps, line, "device_id is empty (every record names its device)");
	else if (!cm_device_id_valid(v, strlen(v)))
		inv_err(ps, line, "device_id '" INV_VALUE_SHOWN "' is not a device id (1..%d "
			"letters, digits, '.', '_' or '-', starting with a letter or digit)", v,
			PST_DEVICE_ID_MAX);
}

static void inv_check_os(struct inv_parse *ps, unsigned int line, const char *name,
			 const char *version, struct inv_record *r)
{
	struct cm_version parsed;

	r->os_name = name[0] ? (signed char)inv_word(name, inv_os, CM_ARRAY_SIZE(inv_os))
			     : INV_UNKNOWN;
	if (name[0] && r->os_name == INV_UNKNOWN)
		inv_err(ps, line, "os_name '" INV_VALUE_SHOWN "' is not ios, android, linux, "
			"windows or macos (leave it empty when unknown)", name);
	r->os_version = version[0] ? version : NULL;
	if (version[0] && (!inv_fact_value_ok(version) || cm_version_parse(version, &parsed)))
		inv_err(ps, line, "os_version '" INV_VALUE_SHOWN "' is not a version number (like "
			"17.4.1)", version);
}

static void inv_check_time(struct inv_parse *ps, unsigned int line, const char *v,
			   struct inv_record *r)
{
	r->have_checkin = v[0] != '\0';
	if (v[0] && inv_time(v, &r->last_checkin))
		inv_err(ps, line, "last_checkin '" INV_VALUE_SHOWN "' is not a time (like "
			"2026-11-27T10:00:00Z, with +HH:MM instead of Z, or seconds since 1970)",
			v);
}

static void inv_check_status(struct inv_parse *ps, unsigned int line, const char *v,
			     struct inv_record *r)
{
	r->status = v[0] ? (signed char)inv_word(v, inv_status, CM_ARRAY_SIZE(inv_status))
			 : INV_UNKNOWN;
	if (v[0] && r->status == INV_UNKNOWN)
		inv_err(ps, line, "status '" INV_VALUE_SHOWN "' is not active, lost or retired", v);
}

static int inv_grow(struct pst_inventory *inv)
{
	size_t cap = inv->cap ? inv->cap * 2 : 256;
	struct inv_record *rec;

	if (cap > PST_INVENTORY_RECORDS_MAX)
		cap = PST_INVENTORY_RECORDS_MAX;
	rec = reallocarray(inv->rec, cap, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	inv->rec = rec;
	inv->cap = cap;
	return 0;
}

/* Checks one record's values and keeps the record when they are all good. */
static int inv_add(struct inv_parse *ps, const struct inv_fields *f)
{
	struct pst_inventory *inv = ps->inv;
	unsigned int before = ps->n_errors;
	struct inv_record r = { .line = f->line };
	const char *v[INV_KEYS];
	size_t k;

	/* A field with a syntax error is reported already: its value is not
	 * judged again, and the record is not kept. */
	for (k = 0; k < INV_KEYS; k++)
		v[k] = f->bad[ps->col[k]] ? "" : f->v[ps->col[k]];
	r.device_id = v[INV_DEVICE_ID];
	if (!f->bad[ps->col[INV_DEVICE_ID]])
		inv_check_device_id(ps, f->line, v[INV_DEVICE_ID]);
	inv_check_bool(ps, f->line, v[INV_MDM_ENROLLED], INV_MDM_ENROLLED, &r.mdm_enrolled);
	inv_check_bool(ps, f->line, v[INV_PASSCODE_SET], INV_PASSCODE_SET, &r.passcode_set);
	inv_check_os(ps, f->line, v[INV_OS_NAME], v[INV_OS_VERSION], &r);
	inv_check_time(ps, f->line, v[INV_LAST_CHECKIN], &r);
	inv_check_status(ps, f->line, v[INV_STATUS], &r);
	if (f->any_bad || ps->n_errors != before)
		return 0;
	if (inv->n == PST_INVENTORY_RECORDS_MAX) {
		inv_err(ps, f->line, "more than %u records", PST_INVENTORY_RECORDS_MAX);
		return -EFBIG;
	}
	if (inv->n == inv->cap && inv_grow(inv))
		return -ENOMEM;
	inv->rec[inv->n++] = r;
	return 0;
}

/* ---- the whole text ---- */

static int inv_record_cmp(const void *a, const void *b)
{
	const struct inv_record *x = a, *y = b;
	int c = strcmp(x->device_id, y->device_id);

	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorted by id and then line, a repeat follows its first listing. */
static void inv_sort(struct inv_parse *ps)
{
	struct pst_inventory *inv = ps->inv;
	size_t i, first = 0;

	if (inv->n > 1)
		qsort(inv->rec, inv->n, sizeof(*inv->rec), inv_record_cmp);
	for (i = 1; i < inv->n; i++) {
		if (strcmp(inv->rec[i].device_id, inv->rec[first].device_id)) {
			first = i;
			continue;
		}
		inv_err(ps, inv->rec[i].line, "device_id '%s' is listed twice (first on line %u)",
			inv->rec[i].device_id, inv->rec[first].line);
	}
}

static int inv_records(struct inv_parse *ps)
{
	char *v[PST_INVENTORY_COLUMNS_MAX];
	bool bad[PST_INVENTORY_COLUMNS_MAX];
	struct inv_fields f = { .v = v, .bad = bad, .max = PST_INVENTORY_COLUMNS_MAX };
	int ret;

	while ((ret = inv_next(ps, &f)) != 0) {
		if (ret == -EBADMSG)
			return ret;
		if (ret < 0)
			continue;
		if (f.n != ps->n_cols) {
			inv_err(ps, f.line, "%zu values, but the header names %zu columns", f.n,
				ps->n_cols);
			continue;
		}
		ret = inv_add(ps, &f);
		if (ret)
			return ret;
	}
	return 0;
}

static int inv_parse_text(struct inv_parse *ps)
{
	char *v[PST_INVENTORY_COLUMNS_MAX];
	bool bad[PST_INVENTORY_COLUMNS_MAX];
	struct inv_fields f = { .v = v, .bad = bad, .max = PST_INVENTORY_COLUMNS_MAX };
	const char *nul = memchr(ps->s, '\0', ps->len);
	int ret;

	if (nul) {
		size_t i, line = 1;

		for (i = 0; i < (size_t)(nul - ps->s); i++)
			line += ps->s[i] == '\n';
		inv_err(ps, (unsigned int)line, "NUL byte: not a text file");
		return -EINVAL;
	}
	if (ps->len >= 3 && !memcmp(ps->s, "\xef\xbb\xbf", 3))
		ps->pos = 3;
	ret = inv_next(ps, &f);
	if (ret == 0)
		inv_err(ps, 0, "no header line (the first line names the columns: "
			INV_COLUMN_LIST ")");
	if (ret == 1 && !f.any_bad)
		ret = inv_header(ps, &f);
	else
		ret = -EINVAL;
	if (!ret)
		ret = inv_records(ps);
	if (ret == -ENOMEM)
		inv_err(ps, 0, "out of memory");
	if (ret != -ENOMEM)
		inv_sort(ps);
	/* A quote never closed is bad content like any other. */
	if (ret == -EBADMSG)
		ret = -EINVAL;
	return ret ? ret : ps->n_errors ? -EINVAL : 0;
}

/* Takes text (len bytes, NUL-terminated): the inventory keeps it, or it is freed. */
static int inv_parse_owned(char *text, size_t len, const char *name,
			   struct pst_inventory **out, char *err, size_t errlen)
{
	struct inv_parse ps = {
		.s = text, .len = len, .line = 1, .name = name ? name : "", .err = err,
		.errlen = errlen,
	};
	struct pst_inventory *inv = calloc(1, sizeof(*inv));
	int ret = inv ? 0 : -ENOMEM;

	if (ret)
		inv_err(&ps, 0, "out of memory");
	if (!ret && cm_sha256_hex(text, len, inv->sha256)) {
		inv_err(&ps, 0, "cannot compute the file's SHA-256");
		ret = -EIO;
	}
	if (!ret) {
		inv->text = text;
		text = NULL;
		ps.inv = inv;
		ret = inv_parse_text(&ps);
	}
	free(text);
	if (ret) {
		pst_inventory_free(inv);
		return ret;
	}
	*out = inv;
	return 0;
}

/* ---- the interface ---- */

static int inv_start(struct pst_inventory **out, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	return 0;
}

int pst_inventory_parse(const char *buf, size_t len, const char *name,
			struct pst_inventory **out, char *err, size_t errlen)
{
	struct inv_parse ps = { .name = name ? name : "", .err = err, .errlen = errlen };
	char *text;

	if (inv_start(out, err, errlen))
		return -EINVAL;
	if (len > PST_INVENTORY_FILE_MAX) {
		inv_err(&ps, 0, "larger than %u MiB", PST_INVENTORY_FILE_MAX >> 20);
		return -EFBIG;
	}
	text = malloc(len + 1);
	if (!text) {
		inv_err(&ps, 0, "out of memory");
		return -ENOMEM;
	}
	if (len)
		memcpy(text, buf, len);
	text[len] = '\0';
	return inv_parse_owned(text, len, name, out, err, errlen);
}

int pst_inventory_load(const char *path, struct pst_inventory **out, char *err, size_t errlen)
{
	struct inv_parse ps = { .name = path ? path : "", .err = err, .errlen = errlen };
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (inv_start(out, err, errlen) || !path)
		return -EINVAL;
	ret = cm_file_read(path, PST_INVENTORY_FILE_MAX, &text, &len);
	if (ret == -EFBIG)
		inv_err(&ps, 0, "larger than %u MiB", PST_INVENTORY_FILE_MAX >> 20);
	else if (ret == -EINVAL)
		inv_err(&ps, 0, "not a regular file");
	else if (ret)
		inv_err(&ps, 0, "cannot read: %s", strerror(-ret));
	if (ret)
		return ret;
	return inv_parse_owned(text, len, path, out, err, errlen);
}

void pst_inventory_free(struct pst_inventory *inv)
{
	if (!inv)
		return;
	free(inv->rec);
	free(inv->text);
	free(inv);
}

size_t pst_inventory_count(const struct pst_inventory *inv)
{
	return inv ? inv->n : 0;
}

const char *pst_inventory_sha256(const struct pst_inventory *inv)
{
	return inv ? inv->sha256 : "";
}

static int inv_find_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct inv_record *)elem)->device_id);
}

static const struct inv_record *inv_find(const struct pst_inventory *inv, const char *id)
{
	if (!inv || !id || !inv->n)
		return NULL;
	return bsearch(id, inv->rec, inv->n, sizeof(*inv->rec), inv_find_cmp);
}

static bool inv_fresh(const struct inv_record *r, time_t now, unsigned int max_age)
{
	long long age = (long long)now - (long long)r->last_checkin;

	return r->have_checkin && age <= (long long)max_age && age >= -PST_INVENTORY_SKEW_MAX;
}

/* The record's facts, into an empty set (they always fit: five at most). */
static void inv_record_facts(const struct inv_record *r, time_t now, unsigned int max_age,
			     struct pst_facts *add)
{
	time_t t = r->have_checkin ? r->last_checkin : 0;

	if (r->status != INV_UNKNOWN)
		pst_facts_set(add, "device.status", inv_status[r->status], PST_SRC_MDM, t);
	if (!inv_fresh(r, now, max_age))
		return;
	if (r->mdm_enrolled != INV_UNKNOWN)
		pst_facts_set(add, "mdm.enrolled", r->mdm_enrolled ? "true" : "false",
			      PST_SRC_MDM, t);
	if (r->passcode_set != INV_UNKNOWN)
		pst_facts_set(add, "passcode.set", r->passcode_set ? "true" : "false",
			      PST_SRC_MDM, t);
	if (r->os_name != INV_UNKNOWN)
		pst_facts_set(add, "os.name", inv_os[r->os_name], PST_SRC_MDM, t);
	if (r->os_version)
		pst_facts_set(add, "os.version", r->os_version, PST_SRC_MDM, t);
}

int pst_inventory_facts(const struct pst_inventory *inv, const char *device_id, time_t now,
			unsigned int max_age, struct pst_facts *facts)
{
	const struct inv_record *r = inv_find(inv, device_id);
	struct pst_facts add;
	size_t i, others = 0;

	pst_facts_init(&add);
	if (r)
		inv_record_facts(r, now, max_age, &add);
	for (i = 0; i < facts->n && i < PST_FACTS_MAX; i++)
		others += facts->f[i].source != PST_SRC_MDM;
	if (others + add.n > PST_FACTS_MAX)
		return -ENOSPC;
	for (i = facts->n; i-- > 0;) {
		if (facts->f[i].source == PST_SRC_MDM) {
			char name[PST_NAME_MAX + 1];

			memcpy(name, facts->f[i].name, sizeof(name));
			pst_facts_del(facts, name, PST_SRC_MDM);
		}
	}
	if (pst_facts_merge(facts, &add, PST_SRC_MDM))
		return -ENOSPC;
	return r ? 1 : 0;
}
