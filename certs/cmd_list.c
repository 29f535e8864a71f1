/* SPDX-License-Identifier: MIT */
/*
 * postern-ca list and check: the ledger read whole, shown as a table or
 * JSON (all of it, or what the filters select), or checked against the
 * device files.
 */
#include "certs/cmd.h"

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <wchar.h>

#include "common/json.h"
#include "common/time.h"

/* ------------------------------------------------------------------ */
/* list                                                                */
/* ------------------------------------------------------------------ */

/* All records, read first: the table's columns are as wide as their
 * widest value, and --expiring looks at a device's other certificates.
 * The filters are applied to what was read: a ledger of a few thousand
 * devices is read in milliseconds. */
struct records {
	struct ca_record *r;
	bool *current;			/* the device's newest certificate */
	size_t n, cap;
	char *err;			/* while loading */
	size_t errlen;
};

static int records_add(const struct ca_record *r, void *ctx)
{
	struct records *rs = ctx;
	struct ca_record *grown;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		grown = realloc(rs->r, rs->cap * sizeof(*grown));
		if (!grown)
			return ca_err(rs->err, rs->errlen, -ENOMEM, "out of memory");
		rs->r = grown;
	}
	rs->r[rs->n++] = *r;
	return 0;
}

/* The walk is device by device, oldest certificate first. */
static int records_load(struct ca_ledger *l, struct records *rs, char *err, size_t errlen)
{
	size_t i;
	int ret;

	rs->err = err;
	rs->errlen = errlen;
	ret = ca_ledger_foreach(l, CA_LEDGER_ALL, records_add, rs, err, errlen);

	if (!ret && rs->n && !(rs->current = calloc(rs->n, sizeof(bool))))
		ret = -ENOMEM;
	for (i = 0; !ret && i < rs->n; i++)
		rs->current[i] = i + 1 == rs->n ||
				 strcmp(rs->r[i + 1].device_id, rs->r[i].device_id) != 0;
	return ret;
}

static void records_free(struct records *rs)
{
	free(rs->r);
	free(rs->current);
}

/*
 * --expiring: a valid certificate whose not-after falls within the window,
 * unless the device already holds another valid certificate that outlives
 * the window (a renewal the MDM has still to push is no reason to renew
 * again).
 */
static bool record_expiring(const struct records *rs, size_t i, time_t now, unsigned int days)
{
	int64_t end = (int64_t)now + (int64_t)days * CA_DAY_SECONDS;
	const char *id = rs->r[i].device_id;
	size_t j = i;

	if (strcmp(ca_record_status(&rs->r[i], now), "valid") != 0 || rs->r[i].not_after > end)
		return false;
	while (j > 0 && strcmp(rs->r[j - 1].device_id, id) == 0)
		j--;		/* the device's records are next to each other */
	for (; j < rs->n && strcmp(rs->r[j].device_id, id) == 0; j++)
		if (strcmp(ca_record_status(&rs->r[j], now), "valid") == 0 &&
		    rs->r[j].not_after > end)
			return false;
	return true;
}

/* A device id --device names: itself, or any that starts with the prefix
 * before its '*'. */
static bool device_matches(const struct opts *o, const char *id)
{
	size_t n = strlen(o->device);

	return o->device_prefix ? strncmp(id, o->device, n - 1) == 0 :
				  strcmp(id, o->device) == 0;
}

/*
 * Whether a certificate passes every filter list was given (they combine
 * with AND). --status expiring is --expiring's test (only a valid
 * certificate is expiring), over --expiring's days or CMD_EXPIRING_DAYS.
 */
static bool record_shown(const struct opts *o, const struct records *rs, size_t i, time_t now)
{
	const struct ca_record *r = &rs->r[i];
	bool expiring = o->expiring || (o->status && strcmp(o->status, "expiring") == 0);

	if (o->device && !device_matches(o, r->device_id))
		return false;
	if (o->group && strcmp(o->group, r->group) != 0)
		return false;
	if (o->ownership_set && o->ownership != r->ownership)
		return false;
	if (o->status && strcmp(o->status, "expiring") != 0 &&
	    strcmp(o->status, ca_record_status(r, now)) != 0)
		return false;
	return !expiring ||
	       record_expiring(rs, i, now, o->expiring ? o->expiring : CMD_EXPIRING_DAYS);
}

/* Columns as a terminal shows them: wide characters take two. Without a
 * UTF-8 locale each byte counts one, which misaligns but never fails. */
static size_t text_width(const char *s)
{
	mbstate_t st;
	size_t w = 0, n;
	wchar_t wc;
	int cw;

	memset(&st, 0, sizeof(st));
	while (*s) {
		n = mbrtowc(&wc, s, strlen(s), &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&st, 0, sizeof(st));
			s++;
			w++;
			continue;
		}
		cw = wcwidth(wc);
		w += cw < 0 ? 1 : (size_t)cw;
		s += n;
	}
	return w;
}

enum { COL_DEVICE, COL_OWNER, COL_GROUP, COL_OWNERSHIP, COL_SERIAL, COL_EXPIRES,
       COL_STATUS, N_COLS };

static const char *const col_names[N_COLS] = {
	"DEVICE", "OWNER", "GROUP", "OWNERSHIP", "SERIAL", "EXPIRES", "STATUS",
};

static void row_cells(const struct ca_record *r, time_t now, char *expires, size_t len,
		      const char *cells[N_COLS])
{
	cells[COL_DEVICE] = r->device_id;
	cells[COL_OWNER] = r->owner;
	cells[COL_GROUP] = r->group;
	cells[COL_OWNERSHIP] = cm_ownership_name(r->ownership);
	cells[COL_SERIAL] = r->serial;
	cells[COL_EXPIRES] = cmd_iso_time(r->not_after, expires, len);
	cells[COL_STATUS] = ca_record_status(r, now);
}

/* Two spaces between columns; the last one is not padded. */
static void row_print(const char *const cells[N_COLS], const size_t width[N_COLS])
{
	int c;

	for (c = 0; c < N_COLS; c++) {
		fputs(cells[c], stdout);
		if (c + 1 < N_COLS)
			printf("%*s", (int)(width[c] - text_width(cells[c]) + 2), "");
	}
	putchar('\n');
}

static void list_table(const struct records *rs, const bool *shown, time_t now)
{
	const char *cells[N_COLS];
	size_t width[N_COLS], i, w;
	char expires[32];
	int c;

	for (c = 0; c < N_COLS; c++)
		width[c] = strlen(col_names[c]);
	for (i = 0; i < rs->n; i++) {
		if (!shown[i])
			continue;
		row_cells(&rs->r[i], now, expires, sizeof(expires), cells);
		for (c = 0; c < N_COLS; c++) {
			w = text_width(cells[c]);
			width[c] = w > width[c] ? w : width[c];
		}
	}
	row_print(col_names, width);
	for (i = 0; i < rs->n; i++) {
		if (!shown[i])
			continue;
		row_cells(&rs->r[i], now, expires, sizeof(expires), cells);
		row_print(cells, width);
	}
}

/* A string member, or null. */
static void json_field(struct cm_json *j, const char *key, const char *value)
{
	cm_json_key(j, key);
	cm_json_string(j, value);
}

static void json_time_field(struct cm_json *j, const char *key, int64_t t)
{
	char buf[CM_TIME_BUF];

	json_field(j, key, cmd_iso_time(t, buf, sizeof(buf)));
}

static void list_json_one(struct cm_json *j, const struct ca_record *r, bool current,
			  time_t now)
{
	bool revoked = r->status == CA_STATUS_REVOKED;

	cm_json_object_begin(j);
	json_field(j, "device_id", r->device_id);
	json_field(j, "owner", r->owner);
	json_field(j, "group", r->group);
	json_field(j, "ownership", cm_ownership_name(r->ownership));
	json_field(j, "serial", r->serial);
	json_time_field(j, "not_before", r->not_before);
	json_time_field(j, "not_after", r->not_after);
	json_field(j, "status", ca_record_status(r, now));
	cm_json_key(j, "current");
	cm_json_bool(j, current);
	if (revoked)
		json_time_field(j, "revoked_at", r->revoked_at);
	else
		json_field(j, "revoked_at", NULL);
	json_field(j, "reason", revoked ? ca_reason_name(r->reason) : NULL);
	json_field(j, "key_origin", ca_key_origin_name(r->key_origin));
	cm_json_object_end(j);
}

/* An array of records, one a line (common/json.h, CM_JSON_LINES), so that
 * `grep -c device_id` counts them. */
static void list_json(const struct records *rs, const bool *shown, time_t now)
{
	struct cm_json j;
	size_t i;

	cm_json_init(&j, stdout, CM_JSON_SPACED | CM_JSON_LINES);
	cm_json_array_begin(&j);
	for (i = 0; i < rs->n; i++)
		if (shown[i])
			list_json_one(&j, &rs->r[i], rs->current[i], now);
	cm_json_array_end(&j);
	putchar('\n');
}

int cmd_list_run(const struct opts *o, char *err, size_t errlen)
{
	struct records rs = { .r = NULL };
	struct ca_ledger *l = NULL;
	time_t now = time(NULL);
	bool *shown = NULL;
	size_t i;
	int ret = cmd_ledger_open(o->dir, &l, err, errlen);

	if (!ret)
		ret = records_load(l, &rs, err, errlen);
	if (!ret && !(shown = calloc(rs.n ? rs.n : 1, sizeof(bool))))
		ret = -ENOMEM;
	for (i = 0; !ret && i < rs.n; i++)
		shown[i] = record_shown(o, &rs, i, now);
	if (!ret && o->json) {
		list_json(&rs, shown, now);
	} else if (!ret) {
		setlocale(LC_CTYPE, "C.UTF-8");
		list_table(&rs, shown, now);
	}
	free(shown);
	records_free(&rs);
	ca_ledger_free(l);
	return ret;
}

/* ------------------------------------------------------------------ */
/* check                                                               */
/* ------------------------------------------------------------------ */

struct check {
	const char *dir;
	unsigned int devices, certificates, problems;
};

static void check_problem(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Says a problem at once: check goes on to find all of them. */
static void check_problem(struct check *c, const char *fmt, ...)
{
	char msg[CA_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cmd_print(msg);
	c->problems++;
}

/* A device that made its own key: its certificate holds the ledger's
 * serial, and no key file sits beside it (it would be an earlier one's). */
static void check_cert_only(struct check *c, const struct ca_record *r)
{
	char serial[CA_SERIAL_HEX_MAX + 1], why[CA_ERR_MAX];
	struct ca_files cur;
	struct stat st;
	X509 *cert = NULL;

	if (ca_store_current(c->dir, r->device_id, &cur, why, sizeof(why)) ||
	    ca_cert_load(cur.crt, &cert, why, sizeof(why))) {
		cmd_print(why);
		c->problems++;
		return;
	}
	cmd_serial_of(cert, serial, sizeof(serial));
	if (strcmp(serial, r->serial) != 0)
		check_problem(c, "%s has serial %s, the ledger %s", cur.crt, serial, r->serial);
	else if (lstat(cur.key, &st) == 0)
		check_problem(c, "%s should not exist: the device made its own key (serial %s "
			      "was signed from a request)", cur.key, r->serial);
	X509_free(cert);
}

/* A device's current files exist, hold the ledger's serial and match. */
static void check_files(struct check *c, const struct ca_record *r)
{
	char serial[CA_SERIAL_HEX_MAX + 1], why[CA_ERR_MAX];
	struct ca_files cur;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (r->key_origin == CA_KEY_ORIGIN_CSR) {
		check_cert_only(c, r);
		return;
	}
	if (cmd_device_files(c->dir, r->device_id, &cur, &key, &cert, why, sizeof(why))) {
		cmd_print(why);
		c->problems++;
	} else {
		cmd_serial_of(cert, serial, sizeof(serial));
		if (strcmp(serial, r->serial) != 0)
			check_problem(c, "%s has serial %s, the ledger %s", cur.crt, serial,
				      r->serial);
		else if (X509_check_private_key(cert, key) != 1)
			check_problem(c, "%s does not belong to %s", cur.key, cur.crt);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
}

/* The ledger's own checks, the sweep (said line by line), then every
 * device's files. Problems are said as they are found. */
static int check_all(const char *dir, struct ca_ledger *l, struct check *c,
		     struct ca_sweep *sw, char *err, size_t errlen)
{
	struct records rs = { .r = NULL };
	size_t i;
	int ret = ca_ledger_begin(l, err, errlen);

	if (!ret)
		ret = ca_ledger_check(l, err, errlen);
	if (!ret)
		ret = cmd_sweep(dir, l, true, sw, err, errlen);
	if (!ret)
		ret = records_load(l, &rs, err, errlen);
	for (i = 0; !ret && i < rs.n; i++) {
		c->certificates++;
		if (rs.current[i]) {
			c->devices++;
			check_files(c, &rs.r[i]);
		}
	}
	ca_ledger_rollback(l);
	records_free(&rs);
	return ret;
}

int cmd_check_run(const struct opts *o, char *err, size_t errlen)
{
	struct check c = { .dir = o->dir };
	struct ca_ledger *l = NULL;
	struct ca_sweep sw = { 0, 0, 0 };
	int ret = cmd_ledger_open(o->dir, &l, err, errlen);

	if (!ret)
		ret = check_all(o->dir, l, &c, &sw, err, errlen);
	if (!ret && c.problems)
		ret = -EBADMSG;
	if (!ret)
		printf("%s/%s: ok, %u device%s, %u certificate%s; %u interrupted run file%s "
		       "finished, %u removed\n", o->dir, CA_FILE_LEDGER, c.devices,
		       c.devices == 1 ? "" : "s", c.certificates, c.certificates == 1 ? "" : "s",
		       sw.installed + sw.archived, sw.installed + sw.archived == 1 ? "" : "s",
		       sw.removed);
	ca_ledger_free(l);
	return ret;
}
