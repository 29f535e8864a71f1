/* SPDX-License-Identifier: MIT */
/*
 * postern-ca show: everything the CA knows about one device, for the
 * operator on the phone with its owner: the ledger's device and its
 * certificates (oldest first) with status, reason and dates, and what the
 * current certificate file says (subject, SHA-256 fingerprint), where each
 * file is, and whether the key is here at all. It reads, like list,
 * without the write lock; a file that does not match the ledger is said in
 * the output, and `check` finds why.
 */
#include "certs/cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/json.h"

#define SHOW_CERTS_MAX	1024	/* certificates of one device shown */
#define FINGERPRINT_MAX	(EVP_MAX_MD_SIZE * 3)
#define SUBJECT_MAX	512

/* One device: its certificates and what its current files say. */
struct show {
	const struct opts *o;
	struct ca_record *r;		/* oldest first; the last is current */
	size_t n;
	struct ca_files cur;
	bool key_present;
	char file_serial[CA_SERIAL_HEX_MAX + 1];	/* "" when unreadable */
	char subject[SUBJECT_MAX];
	char fingerprint[FINGERPRINT_MAX];
	char file_why[CA_ERR_MAX];	/* why the certificate file could not be read */
	char *err;
	size_t errlen;
};

static int show_add(const struct ca_record *r, void *ctx)
{
	struct show *s = ctx;
	struct ca_record *grown;

	if (s->n == SHOW_CERTS_MAX)
		return ca_err(s->err, s->errlen, -E2BIG, "device %s has more than %d certificates",
			      r->device_id, SHOW_CERTS_MAX);
	grown = realloc(s->r, (s->n + 1) * sizeof(*grown));
	if (!grown)
		return ca_err(s->err, s->errlen, -ENOMEM, "out of memory");
	s->r = grown;
	s->r[s->n++] = *r;
	return 0;
}

/* "AB:CD:...", as `openssl x509 -fingerprint -sha256` prints it. */
static void fingerprint_of(X509 *x, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	buf[0] = '\0';
	if (!X509_digest(x, EVP_sha256(), md, &n))
		return;
	for (i = 0; i < n && 3 * i + 3 <= len; i++)
		snprintf(buf + 3 * i, len - 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
}

/* The subject as `openssl x509 -nameopt utf8,sep_comma_plus_space` has it:
 * UTF-8, control characters escaped (ours have none; a file edited by
 * hand might). */
static void subject_of(X509 *x, char *buf, size_t len)
{
	unsigned long flags = XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_ESC_CTRL |
			      ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_DUMP_UNKNOWN |
			      ASN1_STRFLGS_DUMP_DER;
	BIO *mem = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;

	buf[0] = '\0';
	if (mem && X509_NAME_print_ex(mem, X509_get_subject_name(x), 0, flags) >= 0) {
		n = BIO_get_mem_data(mem, &data);
		snprintf(buf, len, "%.*s", (int)(n < 0 ? 0 : n), data ? data : "");
	}
	BIO_free(mem);
}

/* What the device's current files are; a certificate that cannot be read
 * is said in the output, not a failure of show. */
static int show_files(struct show *s)
{
	struct stat st;
	X509 *x = NULL;
	int ret = ca_store_current(s->o->dir, s->o->device, &s->cur, s->err, s->errlen);

	if (ret)
		return ret;
	s->key_present = lstat(s->cur.key, &st) == 0;
	if (ca_cert_load(s->cur.crt, &x, s->file_why, sizeof(s->file_why)))
		return 0;
	cmd_serial_of(x, s->file_serial, sizeof(s->file_serial));
	subject_of(x, s->subject, sizeof(s->subject));
	fingerprint_of(x, s->fingerprint, sizeof(s->fingerprint));
	X509_free(x);
	return 0;
}

/* Where an older certificate is kept, or "" when it is not there. */
static void archived_path(const struct show *s, const struct ca_record *r, char *buf,
			  size_t len)
{
	struct ca_files arc;
	struct stat st;

	buf[0] = '\0';
	if (!ca_store_archived(s->o->dir, r->device_id, r->serial, &arc, NULL, 0) &&
	    lstat(arc.crt, &st) == 0)
		snprintf(buf, len, "%s", arc.crt);
}

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

/* A certificate's status with its date: "valid until T", "revoked since T
 * (reason R)", "expired since T", "lost since T". */
static const char *status_words(const struct ca_record *r, time_t now, char *buf, size_t len)
{
	const char *status = ca_record_status(r, now);
	char when[32];

	if (strcmp(status, "lost") == 0)
		snprintf(buf, len, "lost since %s (revoked, keyCompromise)",
			 cmd_iso_time(r->lost_at, when, sizeof(when)));
	else if (strcmp(status, "revoked") == 0)
		snprintf(buf, len, "revoked since %s (%s)",
			 cmd_iso_time(r->revoked_at, when, sizeof(when)), ca_reason_name(r->reason));
	else if (strcmp(status, "expired") == 0)
		snprintf(buf, len, "expired since %s", cmd_iso_time(r->not_after, when, sizeof(when)));
	else
		snprintf(buf, len, "valid until %s", cmd_iso_time(r->not_after, when, sizeof(when)));
	return buf;
}

static void line(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "NAME         VALUE": the names in a column of their own. */
static void line(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%-13s", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void show_key_line(const struct show *s, const struct ca_record *cur)
{
	static const char made_there[] = "none here: made on the device or by its MDM "
					 "(signed from a request)";

	if (cur->key_origin == CA_KEY_ORIGIN_CSR && s->key_present)
		line("key", "%s; yet %s exists ('postern-ca check' reports it)", made_there,
		     s->cur.key);
	else if (cur->key_origin == CA_KEY_ORIGIN_CSR)
		line("key", "%s", made_there);
	else
		line("key", "%s%s", s->cur.key, s->key_present ? "" : " (missing)");
}

static void show_cert_lines(const struct show *s, const struct ca_record *cur)
{
	if (!s->file_serial[0]) {
		line("certificate", "%s (%s)", s->cur.crt, s->file_why);
		return;
	}
	if (strcmp(s->file_serial, cur->serial) != 0)
		line("certificate", "%s (holds serial %s, not the ledger's: run 'postern-ca "
		     "check')", s->cur.crt, s->file_serial);
	else
		line("certificate", "%s", s->cur.crt);
	line("subject", "%s", s->subject);
	line("sha256", "%s", s->fingerprint);
}

static void show_history(const struct show *s, time_t now)
{
	char status[128], from[32], until[32], where[PATH_MAX];
	size_t i;

	printf("certificates %zu, oldest first:\n", s->n);
	for (i = 0; i < s->n; i++) {
		const struct ca_record *r = &s->r[i];

		if (i + 1 == s->n)
			snprintf(where, sizeof(where), "%s", s->cur.crt);
		else
			archived_path(s, r, where, sizeof(where));
		printf("  %s  %s to %s  %s  key %s  %s\n", r->serial,
		       cmd_iso_time(r->not_before, from, sizeof(from)),
		       cmd_iso_time(r->not_after, until, sizeof(until)),
		       status_words(r, now, status, sizeof(status)),
		       ca_key_origin_name(r->key_origin), where[0] ? where : "(no file)");
	}
}

static void show_text(const struct show *s, time_t now)
{
	const struct ca_record *cur = &s->r[s->n - 1];
	char buf[128], when[32];

	line("device", "%s", cur->device_id);
	line("owner", "%s", cur->owner);
	line("group", "%s", cur->group);
	line("ownership", "%s", cm_ownership_name(cur->ownership));
	if (cur->state == CA_DEVICE_LOST)
		line("state", "lost since %s", cmd_iso_time(cur->lost_at, when, sizeof(when)));
	else
		line("state", "active");
	line("status", "%s", status_words(cur, now, buf, sizeof(buf)));
	line("serial", "%s", cur->serial);
	line("not before", "%s", cmd_iso_time(cur->not_before, when, sizeof(when)));
	line("not after", "%s", cmd_iso_time(cur->not_after, when, sizeof(when)));
	show_cert_lines(s, cur);
	show_key_line(s, cur);
	show_history(s, now);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static void json_str(struct cm_json *j, const char *key, const char *value)
{
	cm_json_key(j, key);
	cm_json_string(j, value);
}

static void json_time(struct cm_json *j, const char *key, int64_t t)
{
	cm_json_key(j, key);
	cm_json_time(j, (time_t)t);
}

/* A certificate's own fields, as list --json has them. */
static void json_cert_fields(struct cm_json *j, const struct ca_record *r, time_t now)
{
	bool revoked = r->status == CA_STATUS_REVOKED;

	json_str(j, "serial", r->serial);
	json_time(j, "not_before", r->not_before);
	json_time(j, "not_after", r->not_after);
	json_str(j, "status", ca_record_status(r, now));
	if (revoked)
		json_time(j, "revoked_at", r->revoked_at);
	else
		json_str(j, "revoked_at", NULL);
	json_str(j, "reason", revoked ? ca_reason_name(r->reason) : NULL);
	json_str(j, "key_origin", ca_key_origin_name(r->key_origin));
}

static void json_history(struct cm_json *j, const struct show *s, time_t now)
{
	char where[PATH_MAX];
	size_t i;

	cm_json_key(j, "certificates");
	cm_json_array_begin(j);
	for (i = 0; i < s->n; i++) {
		if (i + 1 == s->n)
			snprintf(where, sizeof(where), "%s", s->cur.crt);
		else
			archived_path(s, &s->r[i], where, sizeof(where));
		cm_json_object_begin(j);
		json_cert_fields(j, &s->r[i], now);
		cm_json_key(j, "current");
		cm_json_bool(j, i + 1 == s->n);
		json_str(j, "file", where[0] ? where : NULL);
		cm_json_object_end(j);
	}
	cm_json_array_end(j);
}

static void show_json(const struct show *s, time_t now)
{
	const struct ca_record *cur = &s->r[s->n - 1];
	bool has_key = cur->key_origin == CA_KEY_ORIGIN_CA;
	struct cm_json j;

	cm_json_init(&j, stdout, CM_JSON_SPACED);
	cm_json_object_begin(&j);
	json_str(&j, "device_id", cur->device_id);
	json_str(&j, "owner", cur->owner);
	json_str(&j, "group", cur->group);
	json_str(&j, "ownership", cm_ownership_name(cur->ownership));
	json_str(&j, "state", ca_device_state_name(cur->state));
	if (cur->state == CA_DEVICE_LOST)
		json_time(&j, "lost_at", cur->lost_at);
	else
		json_str(&j, "lost_at", NULL);
	json_cert_fields(&j, cur, now);
	json_str(&j, "certificate_file", s->cur.crt);
	json_str(&j, "certificate_file_serial", s->file_serial[0] ? s->file_serial : NULL);
	json_str(&j, "subject", s->file_serial[0] ? s->subject : NULL);
	json_str(&j, "sha256_fingerprint", s->file_serial[0] ? s->fingerprint : NULL);
	json_str(&j, "key_file", has_key ? s->cur.key : NULL);
	cm_json_key(&j, "key_file_present");
	cm_json_bool(&j, s->key_present);
	json_history(&j, s, now);
	cm_json_object_end(&j);
	putchar('\n');
}

int cmd_show_run(const struct opts *o, char *err, size_t errlen)
{
	struct show s = { .o = o, .err = err, .errlen = errlen };
	struct ca_ledger *l = NULL;
	int ret = cmd_ledger_open(o->dir, &l, err, errlen);

	if (!ret)
		ret = ca_ledger_device_certs(l, o->device, show_add, &s, err, errlen);
	if (ret == -ENOENT)
		ca_err(err, errlen, ret, "unknown device %s", o->device);
	if (!ret)
		ret = show_files(&s);
	if (!ret && o->json)
		show_json(&s, time(NULL));
	else if (!ret)
		show_text(&s, time(NULL));
	free(s.r);
	ca_ledger_free(l);
	return ret;
}
