/* SPDX-License-Identifier: MIT */
/*
 * postern-ca, the system department's tool for the device CA: init, server,
 * issue, renew, revoke, lost, crl, list, export and check. This file parses
 * the command line strictly (usage errors exit 2 with one line naming the
 * problem, failed operations exit 1 with one line saying why) and
 * orchestrates the crypto of ca.c, the ledger of ledger.c and the device
 * files of store.c. Every command either completes or leaves the directory
 * as it found it: a ledger change and the CRL that lists it commit together,
 * device files are staged under the ledger's write lock and put in place
 * after the commit (a killed run is finished or undone by the next one), and
 * files this run created are removed again when a later step fails, so that
 * a retry works. The manual is postern-ca(8); --help prints the usage lines
 * of the command table below, so that they cannot drift from its options.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "certs/ca.h"
#include "certs/ledger.h"
#include "certs/store.h"
#include "common/json.h"
#include "common/macros.h"
#include "common/time.h"

#define EXIT_USAGE 2
#define SECONDS_PER_DAY 86400

enum opt_id {
	OPT_HELP = 'h',
	OPT_DIR = 256,
	OPT_NAME,
	OPT_DAYS,
	OPT_RSA,
	OPT_IP,
	OPT_DEVICE,
	OPT_OWNER,
	OPT_GROUP,
	OPT_BYOD,
	OPT_NOT_BEFORE,
	OPT_REASON,
	OPT_SERIAL,
	OPT_JSON,
	OPT_EXPIRING,
	OPT_REVOKE_OLD,
	OPT_P12,
	OPT_PASSWORD_FILE,
};

/* Everything any command may be given; each command's option table says
 * which of these it accepts. */
struct opts {
	const char *dir;
	const char *name;
	const char *device;
	const char *owner;
	const char *group;
	const char *p12;
	const char *password_file;
	unsigned int days;		/* 0: the command's default */
	unsigned int expiring;		/* 0: not asked */
	time_t not_before;
	bool not_before_set;
	enum ca_key_type key_type;
	bool key_type_set;
	enum cm_ownership ownership;
	enum ca_reason reason;
	bool reason_set;
	char serial[CA_SERIAL_HEX_MAX + 1];	/* "" unless --serial */
	struct ca_ip ips[CA_SERVER_IPS_MAX];
	size_t n_ips;
	bool json;
	bool revoke_old;
	bool help;
};

struct command {
	const char *name;
	const char *summary;		/* what --help says it does */
	const char *args;		/* its usage after "postern-ca NAME " */
	const struct option *options;
	int (*check)(const struct command *cmd, const struct opts *o);
	int (*run)(const struct opts *o);
};

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* A value the operator typed, made safe to echo on one line: control
 * bytes become '?', and it is cut at 64 bytes. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < len && i < 64; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	strcpy(buf + i, s[i] ? "..." : "");
	return buf;
}

static int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const struct command *cmd, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "postern-ca: %s (see 'postern-ca %s --help')\n", msg, cmd->name);
	else
		fprintf(stderr, "postern-ca: %s (see 'postern-ca --help')\n", msg);
	return -EINVAL;
}

/* ISO 8601 UTC (common/time.h), or "@SECONDS" for a time with no date. */
static const char *iso_time(int64_t t, char *buf, size_t len)
{
	if (cm_time_format((time_t)t, buf, len))
		snprintf(buf, len, "@%lld", (long long)t);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Option parsing                                                      */
/* ------------------------------------------------------------------ */

#define OPTION_DIR	  { "dir", required_argument, NULL, OPT_DIR }
#define OPTION_NAME	  { "name", required_argument, NULL, OPT_NAME }
#define OPTION_DAYS	  { "days", required_argument, NULL, OPT_DAYS }
#define OPTION_RSA	  { "rsa", no_argument, NULL, OPT_RSA }
#define OPTION_DEVICE	  { "device", required_argument, NULL, OPT_DEVICE }
#define OPTION_JSON	  { "json", no_argument, NULL, OPT_JSON }
#define OPTION_HELP	  { "help", no_argument, NULL, OPT_HELP }
#define OPTION_END	  { NULL, 0, NULL, 0 }

static const struct option init_options[] = {
	OPTION_DIR, OPTION_NAME, OPTION_DAYS, OPTION_RSA, OPTION_HELP, OPTION_END,
};

static const struct option server_options[] = {
	OPTION_DIR, OPTION_NAME, OPTION_DAYS, OPTION_RSA,
	{ "ip", required_argument, NULL, OPT_IP },
	OPTION_HELP, OPTION_END,
};

static const struct option issue_options[] = {
	OPTION_DIR, OPTION_DAYS, OPTION_RSA, OPTION_DEVICE,
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "byod", no_argument, NULL, OPT_BYOD },
	{ "not-before", required_argument, NULL, OPT_NOT_BEFORE },
	OPTION_HELP, OPTION_END,
};

static const struct option renew_options[] = {
	OPTION_DIR, OPTION_DAYS, OPTION_RSA, OPTION_DEVICE,
	{ "revoke-old", no_argument, NULL, OPT_REVOKE_OLD },
	OPTION_HELP, OPTION_END,
};

static const struct option revoke_options[] = {
	OPTION_DIR, OPTION_DEVICE,
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "reason", required_argument, NULL, OPT_REASON },
	OPTION_HELP, OPTION_END,
};

static const struct option lost_options[] = {
	OPTION_DIR, OPTION_DEVICE, OPTION_HELP, OPTION_END,
};

static const struct option crl_options[] = {
	OPTION_DIR, OPTION_DAYS, OPTION_HELP, OPTION_END,
};

static const struct option list_options[] = {
	OPTION_DIR, OPTION_JSON,
	{ "expiring", required_argument, NULL, OPT_EXPIRING },
	OPTION_HELP, OPTION_END,
};

static const struct option export_options[] = {
	OPTION_DIR, OPTION_DEVICE,
	{ "p12", required_argument, NULL, OPT_P12 },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	OPTION_HELP, OPTION_END,
};

static const struct option check_options[] = {
	OPTION_DIR, OPTION_HELP, OPTION_END,
};

/* A string option given at most once and never empty. */
static int opt_string(const struct command *cmd, const char **slot,
		      const char *arg, const char *name)
{
	if (*slot)
		return usage_error(cmd, "--%s given twice", name);
	if (!*arg)
		return usage_error(cmd, "--%s: empty value", name);
	*slot = arg;
	return 0;
}

static int opt_days(const struct command *cmd, unsigned int *slot, const char *arg,
		    const char *name)
{
	char buf[80];

	if (*slot)
		return usage_error(cmd, "--%s given twice", name);
	if (ca_days_parse(arg, slot))
		return usage_error(cmd, "--%s: '%s' is not a whole number from 1 to %d "
				   "(decimal, no leading zero)", name,
				   shown(arg, buf, sizeof(buf)), CA_DAYS_MAX);
	return 0;
}

static int opt_ip(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (o->n_ips == CA_SERVER_IPS_MAX)
		return usage_error(cmd, "at most %d --ip options", CA_SERVER_IPS_MAX);
	if (ca_ip_parse(arg, &o->ips[o->n_ips]))
		return usage_error(cmd, "--ip: '%s' is not an IPv4 or IPv6 address",
				   shown(arg, buf, sizeof(buf)));
	o->n_ips++;
	return 0;
}

static int opt_device(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (!o->device && !ca_device_id_valid(arg))
		return usage_error(cmd, "--device: '%s' is not a device id (1 to %d of "
				   "A-Z a-z 0-9 . _ -, starting with a letter or digit)",
				   shown(arg, buf, sizeof(buf)), CA_DEVICE_ID_MAX);
	return opt_string(cmd, &o->device, arg, "device");
}

static int opt_owner(const struct command *cmd, struct opts *o, const char *arg)
{
	if (!o->owner && !ca_owner_valid(arg))
		return usage_error(cmd, "--owner: must be 1 to %d characters of UTF-8 "
				   "text without control characters", CA_OWNER_MAX);
	return opt_string(cmd, &o->owner, arg, "owner");
}

static int opt_group(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (!o->group && !ca_group_valid(arg))
		return usage_error(cmd, "--group: '%s' is not a group name (1 to %d of "
				   "A-Z a-z 0-9 . _ -, starting with a letter or digit)",
				   shown(arg, buf, sizeof(buf)), CA_DEVICE_ID_MAX);
	return opt_string(cmd, &o->group, arg, "group");
}

static int opt_not_before(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (o->not_before_set)
		return usage_error(cmd, "--not-before given twice");
	if (ca_date_parse(arg, &o->not_before))
		return usage_error(cmd, "--not-before: '%s' is not a date YYYY-MM-DD "
				   "from 1970 on", shown(arg, buf, sizeof(buf)));
	o->not_before_set = true;
	return 0;
}

static int opt_reason(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (o->reason_set)
		return usage_error(cmd, "--reason given twice");
	if (ca_reason_parse(arg, &o->reason))
		return usage_error(cmd, "--reason: unknown reason '%s' (one of unspecified, "
				   "keyCompromise, affiliationChanged, superseded, "
				   "cessationOfOperation)", shown(arg, buf, sizeof(buf)));
	o->reason_set = true;
	return 0;
}

/* Hex as `openssl x509 -serial` and `list` print it, two digits a byte;
 * kept upper-case, as the ledger stores it. */
static int opt_serial(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];
	size_t i, n = strlen(arg);

	if (o->serial[0])
		return usage_error(cmd, "--serial given twice");
	for (i = 0; i < n && i < CA_SERIAL_HEX_MAX; i++) {
		char c = arg[i];

		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			break;
		o->serial[i] = c;
	}
	if (n == 0 || i != n || n % 2) {
		o->serial[0] = '\0';
		return usage_error(cmd, "--serial: '%s' is not a serial number (an even "
				   "number of hex digits, at most %d)",
				   shown(arg, buf, sizeof(buf)), CA_SERIAL_HEX_MAX);
	}
	o->serial[n] = '\0';
	return 0;
}

static int opt_set(const struct command *cmd, struct opts *o, int id, const char *arg)
{
	switch (id) {
	case OPT_DIR:		return opt_string(cmd, &o->dir, arg, "dir");
	case OPT_NAME:		return opt_string(cmd, &o->name, arg, "name");
	case OPT_DAYS:		return opt_days(cmd, &o->days, arg, "days");
	case OPT_EXPIRING:	return opt_days(cmd, &o->expiring, arg, "expiring");
	case OPT_IP:		return opt_ip(cmd, o, arg);
	case OPT_DEVICE:	return opt_device(cmd, o, arg);
	case OPT_OWNER:		return opt_owner(cmd, o, arg);
	case OPT_GROUP:		return opt_group(cmd, o, arg);
	case OPT_NOT_BEFORE:	return opt_not_before(cmd, o, arg);
	case OPT_REASON:	return opt_reason(cmd, o, arg);
	case OPT_SERIAL:	return opt_serial(cmd, o, arg);
	case OPT_P12:		return opt_string(cmd, &o->p12, arg, "p12");
	case OPT_PASSWORD_FILE:	return opt_string(cmd, &o->password_file, arg, "password-file");
	case OPT_RSA:		o->key_type = CA_KEY_RSA_3072; o->key_type_set = true; return 0;
	case OPT_BYOD:		o->ownership = CM_OWNERSHIP_BYOD; return 0;
	case OPT_JSON:		o->json = true; return 0;
	case OPT_REVOKE_OLD:	o->revoke_old = true; return 0;
	case OPT_HELP:		o->help = true; return 0;
	}
	return usage_error(cmd, "internal error: option %d", id);
}

/* getopt reports; we word it. opterr is off so that every message is our
 * one line. */
static int opt_unknown(const struct command *cmd, const char *arg)
{
	char buf[80];

	if (optopt >= OPT_DIR)
		return usage_error(cmd, "option '%s' takes no value", shown(arg, buf, sizeof(buf)));
	if (optopt > 0)
		return usage_error(cmd, "unknown option '-%c'", optopt);
	return usage_error(cmd, "unknown option '%s'", shown(arg, buf, sizeof(buf)));
}

static int opts_parse(const struct command *cmd, int argc, char **argv, struct opts *o)
{
	char buf[80];
	int c, ret = 0;

	opterr = 0;
	optind = 1;
	while (!ret && (c = getopt_long(argc, argv, "+:h", cmd->options, NULL)) != -1) {
		if (c == '?')
			ret = opt_unknown(cmd, argv[optind - 1]);
		else if (c == ':')
			ret = usage_error(cmd, "option '%s' needs a value",
					  shown(argv[optind - 1], buf, sizeof(buf)));
		else
			ret = opt_set(cmd, o, c, optarg);
	}
	if (!ret && optind < argc)
		ret = usage_error(cmd, "unexpected argument '%s'",
				  shown(argv[optind], buf, sizeof(buf)));
	return ret;
}

static int require(const struct command *cmd, const void *value, const char *name)
{
	return value ? 0 : usage_error(cmd, "missing --%s", name);
}

static int dir_check(const struct command *cmd, const struct opts *o)
{
	return require(cmd, o->dir, "dir");
}

static int device_check(const struct command *cmd, const struct opts *o)
{
	int ret = require(cmd, o->dir, "dir");

	return ret ? ret : require(cmd, o->device, "device");
}

/* ------------------------------------------------------------------ */
/* Files this run created, removed again when a later step fails       */
/* ------------------------------------------------------------------ */

#define MADE_MAX 10

struct made {
	char path[MADE_MAX][PATH_MAX];
	bool is_dir[MADE_MAX];
	int n;
};

static void made_add(struct made *m, const char *path, bool is_dir)
{
	if (m->n == MADE_MAX)
		abort();	/* a broken invariant: the commands make fewer */
	snprintf(m->path[m->n], PATH_MAX, "%s", path);
	m->is_dir[m->n++] = is_dir;
}

/* Newest first, so that a directory is empty by the time it is removed. */
static void made_undo(struct made *m)
{
	while (m->n > 0) {
		m->n--;
		if (m->is_dir[m->n])
			rmdir(m->path[m->n]);
		else
			unlink(m->path[m->n]);
	}
}

/* Creates a directory (0700) unless it exists as one. */
static int dir_make(const char *path, struct made *m)
{
	struct stat st;
	int ret;

	if (mkdir(path, 0700) == 0) {
		made_add(m, path, true);
		return 0;
	}
	ret = -errno;
	if (ret != -EEXIST) {
		ca_error("cannot create %s: %s", path, strerror(-ret));
		return ret;
	}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		ca_error("%s exists and is not a directory", path);
		return -ENOTDIR;
	}
	return 0;
}

static int key_create(const char *path, EVP_PKEY *key, struct made *m)
{
	int ret = ca_key_save(path, key);

	if (ret == -EEXIST)
		ca_error("%s already exists: refusing to overwrite it", path);
	if (!ret)
		made_add(m, path, false);
	return ret;
}

static int cert_create(const char *path, X509 *cert, struct made *m)
{
	int ret = ca_cert_save(path, cert);

	if (ret == -EEXIST)
		ca_error("%s already exists: refusing to overwrite it", path);
	if (!ret)
		made_add(m, path, false);
	return ret;
}

/* ------------------------------------------------------------------ */
/* CRL                                                                 */
/* ------------------------------------------------------------------ */

struct crl_fill {
	X509_CRL *crl;
	int64_t keep_after;	/* not_after before this: left out */
};

/*
 * A revoked certificate that expired long ago is refused for its expiry
 * anyway, so it leaves the CRL, which would otherwise grow with every
 * revocation ever made. "Long ago": more than a CRL lifetime (the longer
 * of this one's and the default), so that at least one regularly issued
 * CRL past its expiry still listed it (RFC 5280, 3.3).
 */
static int crl_add_revoked(const struct ca_record *r, void *ctx)
{
	struct crl_fill *fill = ctx;

	if (r->not_after < fill->keep_after)
		return 0;
	return ca_crl_add(fill->crl, r->serial, (time_t)r->revoked_at, r->reason);
}

/* Re-issues DIR/crl.pem from the ledger. Runs inside the caller's
 * transaction, so that the CRL number it takes and the revocations it
 * lists are exactly those committed with it. If the commit then fails the
 * CRL lists one revocation too many, which fails closed, and its number is
 * given back to the ledger; the next run still numbers above it, because
 * it also counts the number of the file it replaces. */
static int crl_write(const char *dir, const struct ca_authority *ca,
		     struct ca_ledger *l, unsigned int days, uint64_t *number)
{
	X509_CRL *crl = NULL;
	char path[PATH_MAX];
	time_t now = time(NULL);
	unsigned int keep = days > CA_DAYS_CRL ? days : CA_DAYS_CRL;
	struct crl_fill fill = { NULL, (int64_t)now - (int64_t)keep * 86400 };
	int ret = ca_path(path, sizeof(path), dir, CA_FILE_CRL);

	/* Above the number of the CRL on disk too: see ca_ledger_crl_number_next. */
	if (!ret)
		ret = ca_ledger_crl_number_next(l, ca_crl_file_number(path, ca), number);
	if (!ret)
		ret = ca_crl_new(ca, *number, now, days, &crl);
	fill.crl = crl;
	if (!ret)
		ret = ca_ledger_foreach(l, CA_LEDGER_REVOKED, crl_add_revoked, &fill);
	if (!ret)
		ret = ca_crl_sign(crl, ca);
	if (!ret)
		ret = ca_crl_save(path, crl);
	X509_CRL_free(crl);
	return ret;
}

/*
 * Ends the transaction the caller began, whose ledger change returned ret:
 * on success the CRL that lists the change is written and both commit
 * together; on any failure nothing of it is kept.
 */
static int crl_commit(const char *dir, const struct ca_authority *ca, struct ca_ledger *l,
		      unsigned int days, uint64_t *number, int ret)
{
	if (!ret)
		ret = crl_write(dir, ca, l, days, number);
	if (!ret)
		ret = ca_ledger_commit(l);
	if (ret)
		ca_ledger_rollback(l);
	return ret;
}

static int crl_refresh(const char *dir, const struct ca_authority *ca,
		       struct ca_ledger *l, unsigned int days, uint64_t *number)
{
	int ret = ca_ledger_begin(l);

	return ret ? ret : crl_commit(dir, ca, l, days, number, 0);
}

static int ledger_open(const char *dir, struct ca_ledger **l)
{
	char path[PATH_MAX];
	int ret = ca_path(path, sizeof(path), dir, CA_FILE_LEDGER);

	return ret ? ret : ca_ledger_open(path, l);
}

/* The CA and the ledger of the commands that sign something. */
static int ca_open(const char *dir, struct ca_authority **ca, struct ca_ledger **l)
{
	int ret = ca_authority_load(dir, ca);

	return ret ? ret : ledger_open(dir, l);
}

/* Takes the write lock and finishes or undoes what killed runs left, so
 * that the device files match the ledger before anything looks at them. */
static int ledger_lock(const char *dir, struct ca_ledger *l)
{
	int ret = ca_ledger_begin(l);

	if (!ret)
		ret = ca_store_sweep(dir, l, false, NULL);
	if (ret)
		ca_ledger_rollback(l);
	return ret;
}

/* Whether a file name is taken; a dangling symlink counts. */
static int path_free(const char *path)
{
	struct stat st;
	int e;

	if (lstat(path, &st) == 0) {
		ca_error("%s already exists: refusing to overwrite it", path);
		return -EEXIST;
	}
	e = errno;
	if (e != ENOENT) {
		ca_error("cannot check %s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

/* After the commit: the ledger has the certificate, so a failure here is
 * finished by the next run's sweep, and says so. */
static int files_install(const char *dir, const struct ca_files *staged,
			 const struct ca_files *cur)
{
	int ret = ca_store_install(staged, cur);

	if (ret)
		ca_error("the ledger has the new certificate but %s is not in place; "
			 "'postern-ca check --dir %s' finishes it", cur->crt, dir);
	return ret;
}

static void serial_of(X509 *cert, char *buf, size_t len)
{
	if (ca_serial_hex(X509_get0_serialNumber(cert), buf, len))
		snprintf(buf, len, "?");
}

/* ------------------------------------------------------------------ */
/* init                                                                */
/* ------------------------------------------------------------------ */

static int init_check(const struct command *cmd, const struct opts *o)
{
	int ret = require(cmd, o->dir, "dir");

	if (!ret && o->name && !ca_name_valid(o->name))
		ret = usage_error(cmd, "--name: must be 1 to %d characters of UTF-8 "
				  "text without control characters", CA_NAME_MAX);
	return ret;
}

static int init_ledger(const char *dir, struct ca_ledger **l, struct made *m)
{
	char path[PATH_MAX];
	int ret = ca_path(path, sizeof(path), dir, CA_FILE_LEDGER);

	if (!ret)
		ret = ca_ledger_create(path, l);
	if (ret == -EEXIST)
		ca_error("%s already exists: refusing to overwrite it", path);
	if (ret)
		return ret;
	made_add(m, path, false);
	return 0;
}

/* The files of a new CA; the key first, since its O_EXCL creation is what
 * makes two runs of init on one directory exclude each other. */
static int init_files(const struct opts *o, const struct ca_authority *ca,
		      struct ca_ledger **l, struct made *m)
{
	char path[PATH_MAX];
	uint64_t number;
	int ret;

	ret = ca_path(path, sizeof(path), o->dir, CA_FILE_KEY);
	ret = ret ? ret : key_create(path, ca->key, m);
	ret = ret ? ret : ca_path(path, sizeof(path), o->dir, CA_FILE_CERT);
	ret = ret ? ret : cert_create(path, ca->cert, m);
	ret = ret ? ret : init_ledger(o->dir, l, m);
	ret = ret ? ret : ca_path(path, sizeof(path), o->dir, CA_DIR_DEVICES);
	ret = ret ? ret : dir_make(path, m);
	ret = ret ? ret : ca_path(path, sizeof(path), o->dir, CA_FILE_CRL);
	if (!ret)
		made_add(m, path, false);
	return ret ? ret : crl_refresh(o->dir, ca, *l, CA_DAYS_CRL, &number);
}

static int init_run(const struct opts *o)
{
	struct ca_validity v = { time(NULL), o->days ? o->days : CA_DAYS_CA };
	const char *name = o->name ? o->name : CA_DEFAULT_NAME;
	struct ca_authority ca = { NULL, NULL };
	struct ca_ledger *l = NULL;
	struct made made = { .n = 0 };
	int ret;

	ret = dir_make(o->dir, &made);
	if (!ret)
		ret = ca_key_generate(o->key_type, &ca.key);
	if (!ret)
		ret = ca_cert_build_ca(ca.key, name, &v, &ca.cert);
	if (!ret)
		ret = init_files(o, &ca, &l, &made);
	ca_ledger_free(l);	/* closed before an undo unlinks it */
	if (ret)
		made_undo(&made);
	else
		printf("created CA '%s' in %s\n", name, o->dir);
	X509_free(ca.cert);
	EVP_PKEY_free(ca.key);
	return ret;
}

/* ------------------------------------------------------------------ */
/* server                                                              */
/* ------------------------------------------------------------------ */

static int server_check(const struct command *cmd, const struct opts *o)
{
	char buf[80];
	int ret = require(cmd, o->dir, "dir");

	if (!ret)
		ret = require(cmd, o->name, "name");
	if (!ret && !ca_hostname_valid(o->name))
		ret = usage_error(cmd, "--name: '%s' is not a DNS host name of at most %d "
				  "characters", shown(o->name, buf, sizeof(buf)),
				  CA_HOSTNAME_MAX);
	return ret;
}

static int server_files(const char *dir, EVP_PKEY *key, X509 *cert, struct made *m)
{
	char path[PATH_MAX];
	int ret = ca_path(path, sizeof(path), dir, CA_FILE_SERVER_KEY);

	if (!ret)
		ret = key_create(path, key, m);
	if (!ret)
		ret = ca_path(path, sizeof(path), dir, CA_FILE_SERVER_CERT);
	if (!ret)
		ret = cert_create(path, cert, m);
	return ret;
}

static int server_run(const struct opts *o)
{
	struct ca_server_req req = {
		.hostname = o->name, .ips = o->ips, .n_ips = o->n_ips,
		.validity = { time(NULL), o->days ? o->days : CA_DAYS_SERVER },
	};
	struct ca_authority *ca = NULL;
	struct made made = { .n = 0 };
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ret;

	ret = ca_authority_load(o->dir, &ca);
	if (!ret)
		ret = ca_key_generate(o->key_type, &key);
	if (!ret)
		ret = ca_cert_build_server(ca, key, &req, &cert);
	if (!ret)
		ret = server_files(o->dir, key, cert, &made);
	if (ret)
		made_undo(&made);
	else
		printf("created %s/%s and %s/%s for %s\n", o->dir, CA_FILE_SERVER_CERT,
		       o->dir, CA_FILE_SERVER_KEY, o->name);
	X509_free(cert);
	EVP_PKEY_free(key);
	ca_authority_free(ca);
	return ret;
}

/* ------------------------------------------------------------------ */
/* issue                                                               */
/* ------------------------------------------------------------------ */

static struct ca_validity issue_validity(const struct opts *o)
{
	struct ca_validity v = {
		o->not_before_set ? o->not_before : time(NULL),
		o->days ? o->days : CA_DAYS_DEVICE,
	};
	return v;
}

static int issue_check(const struct command *cmd, const struct opts *o)
{
	struct ca_validity v = issue_validity(o);
	time_t end;
	int ret = device_check(cmd, o);

	if (!ret)
		ret = require(cmd, o->owner, "owner");
	if (!ret && ca_validity_end(&v, &end))
		ret = usage_error(cmd, "--not-before plus --days ends after 9999-12-31");
	return ret;
}

/* Checked under the write lock, so that no other run can add the id
 * between this check and our insert. */
static int issue_absent(struct ca_ledger *l, const char *device_id)
{
	struct ca_record r;
	int ret = ca_ledger_get(l, device_id, &r);

	if (ret == -ENOENT)
		return 0;
	if (!ret) {
		ca_error("device %s already exists (status %s)", device_id,
			 ca_record_status(&r, time(NULL)));
		ret = -EEXIST;
	}
	return ret;
}

/* The certificate's part of a record: serial, validity, valid. */
static int record_cert(struct ca_record *r, const struct ca_validity *v, X509 *cert)
{
	time_t end = 0;
	int ret = ca_validity_end(v, &end);

	r->not_before = v->not_before;
	r->not_after = end;
	r->status = CA_STATUS_VALID;
	r->created_at = time(NULL);
	if (!ret)
		ret = ca_serial_hex(X509_get0_serialNumber(cert), r->serial, sizeof(r->serial));
	return ret;
}

static int issue_record(struct ca_ledger *l, const struct opts *o, X509 *cert,
			struct ca_record *r)
{
	struct ca_validity v = issue_validity(o);
	int ret;

	memset(r, 0, sizeof(*r));
	snprintf(r->device_id, sizeof(r->device_id), "%s", o->device);
	snprintf(r->owner, sizeof(r->owner), "%s", o->owner);
	snprintf(r->group, sizeof(r->group), "%s", o->group ? o->group : CA_DEFAULT_GROUP);
	r->ownership = o->ownership;
	r->state = CA_DEVICE_ACTIVE;
	ret = record_cert(r, &v, cert);
	if (!ret)
		ret = ca_ledger_insert(l, r);
	if (ret == -EEXIST)
		ca_error("device %s already exists", o->device);
	return ret;
}

/* The locked part of issue: check, stage the files, record, commit; then
 * put the files in place. */
static int issue_commit(struct ca_ledger *l, const struct opts *o, EVP_PKEY *key,
			X509 *cert, struct ca_record *r)
{
	char serial[CA_SERIAL_HEX_MAX + 1];
	struct ca_files cur, staged;
	bool was_staged = false;
	int ret;

	serial_of(cert, serial, sizeof(serial));
	ret = ca_store_current(o->dir, o->device, &cur);
	if (!ret)
		ret = ca_store_staged(o->dir, o->device, serial, &staged);
	if (!ret)
		ret = ledger_lock(o->dir, l);
	if (ret)
		return ret;
	ret = issue_absent(l, o->device);
	if (!ret)
		ret = path_free(cur.key);
	if (!ret)
		ret = path_free(cur.crt);
	if (!ret) {
		ret = ca_store_stage(&staged, key, cert);
		was_staged = !ret;
	}
	if (!ret)
		ret = issue_record(l, o, cert, r);
	if (!ret)
		ret = ca_ledger_commit(l);
	if (ret) {
		ca_ledger_rollback(l);
		if (was_staged)
			ca_store_unstage(&staged);
		return ret;
	}
	return files_install(o->dir, &staged, &cur);
}

static int issue_run(const struct opts *o)
{
	struct ca_device_req req = {
		.device_id = o->device, .owner = o->owner, .ownership = o->ownership,
		.group = o->group ? o->group : CA_DEFAULT_GROUP,
		.validity = issue_validity(o),
	};
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	struct ca_record r;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char until[32];
	int ret;

	/* The key and certificate are made before the write lock is taken:
	 * an RSA key can take a second, and other runs wait on the lock. */
	ret = ca_open(o->dir, &ca, &l);
	if (!ret)
		ret = ca_key_generate(o->key_type, &key);
	if (!ret)
		ret = ca_cert_build_device(ca, key, &req, &cert);
	if (!ret)
		ret = issue_commit(l, o, key, cert, &r);
	if (!ret)
		printf("issued %s/%s/%s.crt (serial %s, valid until %s)\n", o->dir,
		       CA_DIR_DEVICES, o->device, r.serial,
		       iso_time(r.not_after, until, sizeof(until)));
	X509_free(cert);
	EVP_PKEY_free(key);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}

/* ------------------------------------------------------------------ */
/* renew                                                               */
/* ------------------------------------------------------------------ */

/* A device is renewed while it is not lost and its current certificate is
 * not revoked; an expired one may be renewed. */
static int renew_allowed(const struct ca_record *cur)
{
	char when[32];

	if (cur->state == CA_DEVICE_LOST) {
		ca_error("device %s is lost (since %s): a lost device is not renewed",
			 cur->device_id, iso_time(cur->lost_at, when, sizeof(when)));
		return -EPERM;
	}
	if (cur->status == CA_STATUS_REVOKED) {
		ca_error("device %s is revoked (since %s, reason %s): a revoked device is "
			 "not renewed", cur->device_id,
			 iso_time(cur->revoked_at, when, sizeof(when)),
			 ca_reason_name(cur->reason));
		return -EPERM;
	}
	return 0;
}

static int device_get(struct ca_ledger *l, const char *device_id, struct ca_record *out)
{
	int ret = ca_ledger_get(l, device_id, out);

	if (ret == -ENOENT)
		ca_error("unknown device %s", device_id);
	return ret;
}

/* The new key is of the current one's kind unless --rsa says otherwise:
 * a device that needed RSA still does. */
static enum ca_key_type renew_key_type(const struct opts *o)
{
	struct ca_files cur;
	enum ca_key_type type = CA_KEY_EC_P256;
	X509 *x = NULL;

	if (o->key_type_set)
		return o->key_type;
	if (ca_store_current(o->dir, o->device, &cur) == 0 && access(cur.crt, F_OK) == 0 &&
	    ca_cert_load(cur.crt, &x) == 0 && EVP_PKEY_is_a(X509_get0_pubkey(x), "RSA"))
		type = CA_KEY_RSA_3072;
	X509_free(x);
	return type;
}

struct renew {
	const struct opts *o;
	const struct ca_authority *ca;
	struct ca_record old;		/* the current certificate before */
	struct ca_record r;		/* the new one */
	unsigned int revoked;
	uint64_t crl_number;
};

/* Under the lock: the device may have changed since we read it. */
static int renew_record(struct ca_ledger *l, struct renew *rn, X509 *cert)
{
	struct ca_validity v = { time(NULL), rn->o->days ? rn->o->days : CA_DAYS_DEVICE };
	int ret = device_get(l, rn->o->device, &rn->old);

	if (!ret)
		ret = renew_allowed(&rn->old);
	if (ret)
		return ret;
	rn->r = rn->old;
	ret = record_cert(&rn->r, &v, cert);
	if (!ret)
		ret = ca_store_archive(rn->o->dir, rn->o->device, rn->old.serial);
	if (!ret)
		ret = ca_ledger_add_cert(l, &rn->r);
	if (!ret && rn->o->revoke_old) {
		ret = ca_ledger_revoke(l, rn->o->device, NULL, rn->r.serial, time(NULL),
				       CA_REASON_SUPERSEDED, &rn->revoked);
		if (ret == -EALREADY)
			ret = 0;
		if (!ret && rn->revoked)
			ret = crl_write(rn->o->dir, rn->ca, l, CA_DAYS_CRL, &rn->crl_number);
	}
	return ret;
}

static int renew_commit(struct ca_ledger *l, struct renew *rn, EVP_PKEY *key, X509 *cert)
{
	char serial[CA_SERIAL_HEX_MAX + 1];
	struct ca_files cur, staged;
	bool was_staged = false;
	int ret;

	serial_of(cert, serial, sizeof(serial));
	ret = ca_store_current(rn->o->dir, rn->o->device, &cur);
	if (!ret)
		ret = ca_store_staged(rn->o->dir, rn->o->device, serial, &staged);
	if (!ret)
		ret = ledger_lock(rn->o->dir, l);
	if (ret)
		return ret;
	ret = ca_store_stage(&staged, key, cert);
	was_staged = !ret;
	if (!ret)
		ret = renew_record(l, rn, cert);
	if (!ret)
		ret = ca_ledger_commit(l);
	if (ret) {
		ca_ledger_rollback(l);
		if (was_staged)
			ca_store_unstage(&staged);
		return ret;
	}
	return files_install(rn->o->dir, &staged, &cur);
}

static void renew_report(const struct renew *rn)
{
	const struct opts *o = rn->o;
	char until[32], old_until[32];

	printf("renewed %s: %s/%s/%s.crt (serial %s, valid until %s)\n", o->device, o->dir,
	       CA_DIR_DEVICES, o->device, rn->r.serial,
	       iso_time(rn->r.not_after, until, sizeof(until)));
	if (rn->revoked)
		printf("revoked %u older certificate%s (superseded); %s/%s re-issued, "
		       "CRL number %llu\n", rn->revoked, rn->revoked == 1 ? "" : "s", o->dir,
		       CA_FILE_CRL, (unsigned long long)rn->crl_number);
	else if (!o->revoke_old)
		printf("the previous certificate (serial %s) stays valid until %s\n",
		       rn->old.serial, iso_time(rn->old.not_after, old_until, sizeof(old_until)));
}

static int renew_run(const struct opts *o)
{
	struct renew rn = { .o = o };
	struct ca_device_req req = { .device_id = o->device };
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ret;

	/* Read without the lock to build the certificate: a device's owner,
	 * group and ownership never change; its status is checked again
	 * under the lock. */
	ret = ca_open(o->dir, &ca, &l);
	if (!ret)
		ret = device_get(l, o->device, &rn.old);
	if (!ret)
		ret = renew_allowed(&rn.old);
	if (ret)
		goto out;
	rn.ca = ca;
	req.owner = rn.old.owner;
	req.group = rn.old.group;
	req.ownership = rn.old.ownership;
	req.validity.not_before = time(NULL);
	req.validity.days = o->days ? o->days : CA_DAYS_DEVICE;
	ret = ca_key_generate(renew_key_type(o), &key);
	if (!ret)
		ret = ca_cert_build_device(ca, key, &req, &cert);
	if (!ret)
		ret = renew_commit(l, &rn, key, cert);
	if (!ret)
		renew_report(&rn);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}

/* ------------------------------------------------------------------ */
/* revoke, lost, crl                                                   */
/* ------------------------------------------------------------------ */

static void revoke_explain(struct ca_ledger *l, const struct opts *o, int ret)
{
	struct ca_record r;
	char when[32];

	if (ret == -ENOENT && o->serial[0] && ca_ledger_get(l, o->device, &r) == 0)
		ca_error("device %s has no certificate with serial %s", o->device, o->serial);
	else if (ret == -ENOENT)
		ca_error("unknown device %s", o->device);
	else if (ret == -EALREADY && o->serial[0] && ca_ledger_get_serial(l, o->serial, &r) == 0)
		ca_error("certificate %s of device %s is already revoked (since %s, reason %s); "
			 "the CRL is unchanged", o->serial, o->device,
			 iso_time(r.revoked_at, when, sizeof(when)), ca_reason_name(r.reason));
	else if (ret == -EALREADY && ca_ledger_get(l, o->device, &r) == 0 &&
		 r.state == CA_DEVICE_LOST)
		ca_error("device %s is lost (since %s): its certificates are revoked; "
			 "the CRL is unchanged", o->device,
			 iso_time(r.lost_at, when, sizeof(when)));
	else if (ret == -EALREADY && ca_ledger_get(l, o->device, &r) == 0)
		ca_error("device %s is already revoked (since %s, reason %s); "
			 "the CRL is unchanged", o->device,
			 iso_time(r.revoked_at, when, sizeof(when)), ca_reason_name(r.reason));
}

/* The ledger change and the CRL that lists it commit together. */
static int revoke_commit(const char *dir, const struct ca_authority *ca,
			 struct ca_ledger *l, const struct opts *o,
			 unsigned int *count, uint64_t *number)
{
	int ret = ca_ledger_begin(l);

	if (ret)
		return ret;
	ret = ca_ledger_revoke(l, o->device, o->serial[0] ? o->serial : NULL, NULL,
			       time(NULL), o->reason, count);
	revoke_explain(l, o, ret);
	return crl_commit(dir, ca, l, CA_DAYS_CRL, number, ret);
}

static int revoke_run(const struct opts *o)
{
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	unsigned int count = 0;
	uint64_t number = 0;
	int ret = ca_open(o->dir, &ca, &l);

	if (!ret)
		ret = revoke_commit(o->dir, ca, l, o, &count, &number);
	if (!ret)
		printf("revoked %s (%s): %u certificate%s; %s/%s re-issued, CRL number %llu\n",
		       o->device, ca_reason_name(o->reason), count, count == 1 ? "" : "s",
		       o->dir, CA_FILE_CRL, (unsigned long long)number);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}

static int lost_commit(const char *dir, const struct ca_authority *ca,
		       struct ca_ledger *l, const char *device_id,
		       unsigned int *count, uint64_t *number)
{
	struct ca_record r;
	char when[32];
	int ret = ca_ledger_begin(l);

	if (ret)
		return ret;
	ret = ca_ledger_mark_lost(l, device_id, time(NULL), count);
	if (ret == -ENOENT)
		ca_error("unknown device %s", device_id);
	else if (ret == -EALREADY && ca_ledger_get(l, device_id, &r) == 0)
		ca_error("device %s is already marked lost (since %s); the CRL is unchanged",
			 device_id, iso_time(r.lost_at, when, sizeof(when)));
	return crl_commit(dir, ca, l, CA_DAYS_CRL, number, ret);
}

static int lost_run(const struct opts *o)
{
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	unsigned int count = 0;
	uint64_t number = 0;
	int ret = ca_open(o->dir, &ca, &l);

	if (!ret)
		ret = lost_commit(o->dir, ca, l, o->device, &count, &number);
	if (!ret)
		printf("device %s marked lost: %u certificate%s revoked (keyCompromise); "
		       "%s/%s re-issued, CRL number %llu\n", o->device, count,
		       count == 1 ? "" : "s", o->dir, CA_FILE_CRL, (unsigned long long)number);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}

static int crl_run(const struct opts *o)
{
	unsigned int days = o->days ? o->days : CA_DAYS_CRL;
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	uint64_t number = 0;
	int ret = ca_open(o->dir, &ca, &l);

	if (!ret)
		ret = crl_refresh(o->dir, ca, l, days, &number);
	if (!ret)
		printf("%s/%s re-issued, CRL number %llu, valid for %u days\n", o->dir,
		       CA_FILE_CRL, (unsigned long long)number, days);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}

/* ------------------------------------------------------------------ */
/* list                                                                */
/* ------------------------------------------------------------------ */

/* All records, read first: the table's columns are as wide as their
 * widest value, and --expiring looks at a device's other certificates. */
struct records {
	struct ca_record *r;
	bool *current;			/* the device's newest certificate */
	size_t n, cap;
};

static int records_add(const struct ca_record *r, void *ctx)
{
	struct records *rs = ctx;
	struct ca_record *grown;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		grown = realloc(rs->r, rs->cap * sizeof(*grown));
		if (!grown) {
			ca_error("out of memory");
			return -ENOMEM;
		}
		rs->r = grown;
	}
	rs->r[rs->n++] = *r;
	return 0;
}

/* The walk is device by device, oldest certificate first. */
static int records_load(struct ca_ledger *l, struct records *rs)
{
	size_t i;
	int ret = ca_ledger_foreach(l, CA_LEDGER_ALL, records_add, rs);

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
	int64_t end = (int64_t)now + (int64_t)days * SECONDS_PER_DAY;
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
	cells[COL_EXPIRES] = iso_time(r->not_after, expires, len);
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

	json_field(j, key, iso_time(t, buf, sizeof(buf)));
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

static int list_run(const struct opts *o)
{
	struct records rs = { NULL, NULL, 0, 0 };
	struct ca_ledger *l = NULL;
	time_t now = time(NULL);
	bool *shown = NULL;
	size_t i;
	int ret = ledger_open(o->dir, &l);

	if (!ret)
		ret = records_load(l, &rs);
	if (!ret && !(shown = calloc(rs.n ? rs.n : 1, sizeof(bool))))
		ret = -ENOMEM;
	for (i = 0; !ret && i < rs.n; i++)
		shown[i] = !o->expiring || record_expiring(&rs, i, now, o->expiring);
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
/* export                                                              */
/* ------------------------------------------------------------------ */

static int export_check(const struct command *cmd, const struct opts *o)
{
	int ret = device_check(cmd, o);

	if (!ret)
		ret = require(cmd, o->p12, "p12");
	if (!ret)
		ret = require(cmd, o->password_file, "password-file");
	return ret;
}

/* Only a valid certificate is worth pushing to a phone. */
static int export_allowed(const struct ca_record *r)
{
	const char *status = ca_record_status(r, time(NULL));

	if (strcmp(status, "valid") == 0)
		return 0;
	ca_error("device %s is %s: refusing to export it%s", r->device_id, status,
		 strcmp(status, "expired") == 0 ? " (renew it first)" : "");
	return -EPERM;
}

/* The device's current files, checked against the ledger and each other,
 * read under the write lock so that no renewal replaces them meanwhile. */
static int export_load(const struct opts *o, struct ca_ledger *l, EVP_PKEY **key, X509 **cert)
{
	char serial[CA_SERIAL_HEX_MAX + 1];
	struct ca_files cur;
	struct ca_record r;
	int ret = ledger_lock(o->dir, l);

	if (ret)
		return ret;
	ret = device_get(l, o->device, &r);
	if (!ret)
		ret = export_allowed(&r);
	if (!ret)
		ret = ca_store_current(o->dir, o->device, &cur);
	if (!ret)
		ret = ca_cert_load(cur.crt, cert);
	if (!ret)
		ret = ca_key_load(cur.key, key);
	if (!ret) {
		serial_of(*cert, serial, sizeof(serial));
		if (strcmp(serial, r.serial) != 0) {
			ca_error("%s has serial %s, the ledger %s: run 'postern-ca check --dir %s'",
				 cur.crt, serial, r.serial, o->dir);
			ret = -EBADMSG;
		}
	}
	if (!ret && X509_check_private_key(*cert, *key) != 1) {
		ca_error_ssl("%s does not belong to %s", cur.key, cur.crt);
		ret = -EBADMSG;
	}
	ca_ledger_rollback(l);		/* nothing to commit but the sweep */
	return ret;
}

static int export_write(const struct opts *o, EVP_PKEY *key, X509 *cert, X509 *ca_cert,
			const char *password)
{
	PKCS12 *p12 = NULL;
	int ret = ca_p12_build(key, cert, ca_cert, o->device, password, &p12);

	if (!ret)
		ret = ca_p12_save(o->p12, p12);
	if (ret == -EEXIST)
		ca_error("%s already exists: refusing to overwrite it", o->p12);
	PKCS12_free(p12);
	return ret;
}

static int export_run(const struct opts *o)
{
	char password[CA_PASSWORD_MAX + 1], path[PATH_MAX];
	struct ca_ledger *l = NULL;
	X509 *ca_cert = NULL, *cert = NULL;
	EVP_PKEY *key = NULL;
	int ret;

	/* The cheap refusals first, so that nothing is done in vain. */
	ret = path_free(o->p12);
	if (!ret)
		ret = ca_password_read(o->password_file, password, sizeof(password));
	if (ret)
		return ret;
	ret = ca_path(path, sizeof(path), o->dir, CA_FILE_CERT);
	if (!ret)
		ret = ca_cert_load(path, &ca_cert);
	if (!ret)
		ret = ledger_open(o->dir, &l);
	if (!ret)
		ret = export_load(o, l, &key, &cert);
	if (!ret)
		ret = export_write(o, key, cert, ca_cert, password);
	if (!ret) {
		serial_of(cert, path, sizeof(path));
		printf("exported %s to %s (serial %s; key, certificate and CA certificate; "
		       "AES-256-CBC, PBKDF2, SHA-256 MAC)\n", o->device, o->p12, path);
	}
	OPENSSL_cleanse(password, sizeof(password));
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_free(ca_cert);
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

static void check_problem(struct check *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ca_error("%s", msg);
	c->problems++;
}

/* A device's current files exist, hold the ledger's serial and match. */
static void check_files(struct check *c, const struct ca_record *r)
{
	char serial[CA_SERIAL_HEX_MAX + 1];
	struct ca_files cur;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (ca_store_current(c->dir, r->device_id, &cur)) {
		c->problems++;
		return;
	}
	if (ca_cert_load(cur.crt, &cert) || ca_key_load(cur.key, &key)) {
		c->problems++;		/* the loader said why */
	} else {
		serial_of(cert, serial, sizeof(serial));
		if (strcmp(serial, r->serial) != 0)
			check_problem(c, "%s has serial %s, the ledger %s", cur.crt, serial,
				      r->serial);
		else if (X509_check_private_key(cert, key) != 1)
			check_problem(c, "%s does not belong to %s", cur.key, cur.crt);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
}

static int check_run(const struct opts *o)
{
	struct records rs = { NULL, NULL, 0, 0 };
	struct check c = { .dir = o->dir };
	struct ca_ledger *l = NULL;
	struct ca_sweep sw = { 0, 0, 0 };
	size_t i;
	int ret = ledger_open(o->dir, &l);

	if (!ret)
		ret = ca_ledger_begin(l);
	if (!ret)
		ret = ca_ledger_check(l);
	if (!ret)
		ret = ca_store_sweep(o->dir, l, true, &sw);
	if (!ret)
		ret = records_load(l, &rs);
	for (i = 0; !ret && i < rs.n; i++) {
		c.certificates++;
		if (rs.current[i]) {
			c.devices++;
			check_files(&c, &rs.r[i]);
		}
	}
	ca_ledger_rollback(l);
	if (!ret && c.problems)
		ret = -EBADMSG;
	if (!ret)
		printf("%s/%s: ok, %u device%s, %u certificate%s; %u interrupted run file%s "
		       "finished, %u removed\n", o->dir, CA_FILE_LEDGER, c.devices,
		       c.devices == 1 ? "" : "s", c.certificates, c.certificates == 1 ? "" : "s",
		       sw.installed + sw.archived, sw.installed + sw.archived == 1 ? "" : "s",
		       sw.removed);
	records_free(&rs);
	ca_ledger_free(l);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

/* The usage lines are postern-ca(8)'s SYNOPSIS: tests/integration/01-postern-ca.sh
 * checks that both name the same options. */
#define USAGE_INDENT "\n           "
static const struct command commands[] = {
	{ "init", "create a CA",
	  "--dir DIR [--name NAME] [--days N] [--rsa]",
	  init_options, init_check, init_run },
	{ "server", "issue the gateway's server certificate",
	  "--dir DIR --name HOSTNAME [--ip ADDR]... [--days N]" USAGE_INDENT "[--rsa]",
	  server_options, server_check, server_run },
	{ "issue", "issue a device certificate",
	  "--dir DIR --device ID --owner NAME [--group GROUP]" USAGE_INDENT
	  "[--byod] [--days N] [--not-before YYYY-MM-DD] [--rsa]",
	  issue_options, issue_check, issue_run },
	{ "renew", "issue a device a new certificate; the old one stays valid",
	  "--dir DIR --device ID [--days N] [--revoke-old] [--rsa]",
	  renew_options, device_check, renew_run },
	{ "revoke", "revoke a device's certificates and re-issue the CRL",
	  "--dir DIR --device ID [--serial HEX] [--reason REASON]",
	  revoke_options, device_check, revoke_run },
	{ "lost", "mark a device lost, revoke its certificates, re-issue the CRL",
	  "--dir DIR --device ID",
	  lost_options, device_check, lost_run },
	{ "crl", "re-issue the CRL (from cron, before it expires)",
	  "--dir DIR [--days N]",
	  crl_options, dir_check, crl_run },
	{ "list", "list devices and certificates, or those expiring soon",
	  "--dir DIR [--expiring DAYS] [--json]",
	  list_options, dir_check, list_run },
	{ "export", "write a device's PKCS#12 bundle for an MDM to push",
	  "--dir DIR --device ID --p12 FILE" USAGE_INDENT "--password-file PWFILE",
	  export_options, export_check, export_run },
	{ "check", "check the ledger and the device files",
	  "--dir DIR",
	  check_options, dir_check, check_run },
};


static const struct command *command_find(const char *name)
{
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* A full disk or a closed pipe must not pass for success. */
static int stdout_finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ca_error("cannot write to standard output");
		return EXIT_FAILURE;
	}
	return code;
}

/* postern-ca COMMAND --help: the command's usage; the manual has the rest. */
static void help_command(const struct command *cmd)
{
	printf("usage: postern-ca %s %s\n", cmd->name, cmd->args);
	printf("%s: %s; see postern-ca(8)\n", cmd->name, cmd->summary);
}

/* postern-ca --help, and the same on stderr when no command is given. */
static void help_main(FILE *f)
{
	size_t i;

	fputs("usage: postern-ca COMMAND --dir DIR [OPTIONS]\n"
	      "       postern-ca [COMMAND] --help\n"
	      "commands:\n", f);
	for (i = 0; i < CM_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("The device certificate authority of Postern; see postern-ca(8).\n", f);
}

static int command_main(const struct command *cmd, int argc, char **argv)
{
	struct opts o = { .key_type = CA_KEY_EC_P256, .ownership = CM_OWNERSHIP_CORPORATE };

	if (opts_parse(cmd, argc, argv, &o))
		return EXIT_USAGE;
	if (o.help) {
		help_command(cmd);
		return stdout_finish(EXIT_SUCCESS);
	}
	if (cmd->check(cmd, &o))
		return EXIT_USAGE;
	return stdout_finish(cmd->run(&o) ? EXIT_FAILURE : EXIT_SUCCESS);
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	char buf[80];

	if (argc < 2) {
		help_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		help_main(stdout);
		return stdout_finish(EXIT_SUCCESS);
	}
	cmd = command_find(argv[1]);
	if (!cmd) {
		usage_error(NULL, "unknown command '%s'", shown(argv[1], buf, sizeof(buf)));
		return EXIT_USAGE;
	}
	return command_main(cmd, argc - 1, argv + 1);
}
