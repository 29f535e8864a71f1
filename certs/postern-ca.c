/* SPDX-License-Identifier: MIT */
/*
 * postern-ca, the system department's tool for the device CA: init, server,
 * issue, revoke, crl and list. This file parses the command line strictly
 * (usage errors exit 2 with one line naming the problem, failed operations
 * exit 1) and orchestrates the crypto of ca.c with the ledger of ledger.c.
 * Every command either completes or leaves the directory as it found it:
 * files this run created are removed again when a later step fails, so
 * that a retry works.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "certs/ca.h"
#include "certs/ledger.h"

#define EXIT_USAGE 2

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
	OPT_JSON,
};

/* Everything any command may be given; each command's option table says
 * which of these it accepts. */
struct opts {
	const char *dir;
	const char *name;
	const char *device;
	const char *owner;
	const char *group;
	unsigned int days;		/* 0: the command's default */
	time_t not_before;
	bool not_before_set;
	enum ca_key_type key_type;
	enum ca_ownership ownership;
	enum ca_reason reason;
	bool reason_set;
	struct ca_ip ips[CA_SERVER_IPS_MAX];
	size_t n_ips;
	bool json;
	bool help;
};

struct command {
	const char *name;
	const struct option *options;
	const char *usage;
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

static const char *iso_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
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
	OPTION_DIR, OPTION_DAYS, OPTION_RSA,
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "byod", no_argument, NULL, OPT_BYOD },
	{ "not-before", required_argument, NULL, OPT_NOT_BEFORE },
	OPTION_HELP, OPTION_END,
};

static const struct option revoke_options[] = {
	OPTION_DIR,
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "reason", required_argument, NULL, OPT_REASON },
	OPTION_HELP, OPTION_END,
};

static const struct option crl_options[] = {
	OPTION_DIR, OPTION_DAYS, OPTION_HELP, OPTION_END,
};

static const struct option list_options[] = {
	OPTION_DIR, { "json", no_argument, NULL, OPT_JSON }, OPTION_HELP, OPTION_END,
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

static int opt_days(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (o->days)
		return usage_error(cmd, "--days given twice");
	if (ca_days_parse(arg, &o->days))
		return usage_error(cmd, "--days: '%s' is not a whole number from 1 to %d",
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

static int opt_set(const struct command *cmd, struct opts *o, int id, const char *arg)
{
	switch (id) {
	case OPT_DIR:		return opt_string(cmd, &o->dir, arg, "dir");
	case OPT_NAME:		return opt_string(cmd, &o->name, arg, "name");
	case OPT_DAYS:		return opt_days(cmd, o, arg);
	case OPT_IP:		return opt_ip(cmd, o, arg);
	case OPT_DEVICE:	return opt_device(cmd, o, arg);
	case OPT_OWNER:		return opt_owner(cmd, o, arg);
	case OPT_GROUP:		return opt_group(cmd, o, arg);
	case OPT_NOT_BEFORE:	return opt_not_before(cmd, o, arg);
	case OPT_REASON:	return opt_reason(cmd, o, arg);
	case OPT_RSA:		o->key_type = CA_KEY_RSA_3072; return 0;
	case OPT_BYOD:		o->ownership = CA_OWNERSHIP_BYOD; return 0;
	case OPT_JSON:		o->json = true; return 0;
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

static int crl_add_revoked(const struct ca_device *dev, void *ctx)
{
	return ca_crl_add(ctx, dev->serial, (time_t)dev->revoked_at, dev->reason);
}

/* Re-issues DIR/crl.pem from the ledger. Runs inside the caller's
 * transaction, so that the CRL number it takes and the revocations it
 * lists are exactly those committed with it. If the commit then fails the
 * CRL lists one revocation too many, which fails closed. */
static int crl_write(const char *dir, const struct ca_authority *ca,
		     struct ca_ledger *l, unsigned int days, uint64_t *number)
{
	X509_CRL *crl = NULL;
	char path[PATH_MAX];
	int ret = ca_path(path, sizeof(path), dir, CA_FILE_CRL);

	if (!ret)
		ret = ca_ledger_crl_number_next(l, number);
	if (!ret)
		ret = ca_crl_new(ca, *number, time(NULL), days, &crl);
	if (!ret)
		ret = ca_ledger_foreach(l, CA_LEDGER_REVOKED, crl_add_revoked, crl);
	if (!ret)
		ret = ca_crl_sign(crl, ca);
	if (!ret)
		ret = ca_crl_save(path, crl);
	X509_CRL_free(crl);
	return ret;
}

static int crl_refresh(const char *dir, const struct ca_authority *ca,
		       struct ca_ledger *l, unsigned int days, uint64_t *number)
{
	int ret = ca_ledger_begin(l);

	if (!ret)
		ret = crl_write(dir, ca, l, days, number);
	if (!ret)
		ret = ca_ledger_commit(l);
	if (ret)
		ca_ledger_rollback(l);
	return ret;
}

/* The CA and the ledger every command but init and list works with. */
static int ca_open(const char *dir, struct ca_authority **ca, struct ca_ledger **l)
{
	char path[PATH_MAX];
	int ret = ca_authority_load(dir, ca);

	if (!ret)
		ret = ca_path(path, sizeof(path), dir, CA_FILE_LEDGER);
	if (!ret)
		ret = ca_ledger_open(path, l);
	return ret;
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
	int ret = require(cmd, o->dir, "dir");

	if (!ret)
		ret = require(cmd, o->device, "device");
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
	struct ca_device dev;
	int ret = ca_ledger_get(l, device_id, &dev);

	if (ret == -ENOENT)
		return 0;
	if (!ret) {
		ca_error("device %s already exists (status %s)", device_id,
			 ca_device_status(&dev, time(NULL)));
		ret = -EEXIST;
	}
	return ret;
}

static int issue_paths(const struct opts *o, char *key, char *crt)
{
	char dir[PATH_MAX], name[CA_DEVICE_ID_MAX + 8];
	int ret = ca_path(dir, sizeof(dir), o->dir, CA_DIR_DEVICES);

	snprintf(name, sizeof(name), "%s.key", o->device);
	if (!ret)
		ret = ca_path(key, PATH_MAX, dir, name);
	snprintf(name, sizeof(name), "%s.crt", o->device);
	if (!ret)
		ret = ca_path(crt, PATH_MAX, dir, name);
	return ret;
}

static int issue_record(struct ca_ledger *l, const struct opts *o, X509 *cert)
{
	struct ca_validity v = issue_validity(o);
	struct ca_device dev = {
		.ownership = o->ownership, .status = CA_STATUS_VALID,
		.not_before = v.not_before, .created_at = time(NULL),
	};
	time_t end = 0;
	int ret;

	snprintf(dev.device_id, sizeof(dev.device_id), "%s", o->device);
	snprintf(dev.owner, sizeof(dev.owner), "%s", o->owner);
	snprintf(dev.group, sizeof(dev.group), "%s", o->group ? o->group : CA_DEFAULT_GROUP);
	ret = ca_validity_end(&v, &end);
	dev.not_after = end;
	if (!ret)
		ret = ca_serial_hex(X509_get0_serialNumber(cert), dev.serial, sizeof(dev.serial));
	if (!ret)
		ret = ca_ledger_insert(l, &dev);
	if (ret == -EEXIST)
		ca_error("device %s already exists", o->device);
	return ret;
}

/* The locked part of issue: check, write the files, record, commit. */
static int issue_commit(struct ca_ledger *l, const struct opts *o,
			EVP_PKEY *key, X509 *cert, struct made *m)
{
	char key_path[PATH_MAX], crt_path[PATH_MAX];
	int ret = issue_paths(o, key_path, crt_path);

	if (!ret)
		ret = ca_ledger_begin(l);
	if (ret)
		return ret;
	ret = issue_absent(l, o->device);
	if (!ret)
		ret = key_create(key_path, key, m);
	if (!ret)
		ret = cert_create(crt_path, cert, m);
	if (!ret)
		ret = issue_record(l, o, cert);
	if (!ret)
		ret = ca_ledger_commit(l);
	if (ret)
		ca_ledger_rollback(l);
	return ret;
}

static void issue_report(const struct opts *o, X509 *cert)
{
	struct ca_validity v = issue_validity(o);
	char serial[CA_SERIAL_HEX_MAX + 1] = "?", until[32];
	time_t end = 0;

	ca_serial_hex(X509_get0_serialNumber(cert), serial, sizeof(serial));
	ca_validity_end(&v, &end);
	printf("issued %s/%s/%s.crt (serial %s, valid until %s)\n", o->dir,
	       CA_DIR_DEVICES, o->device, serial, iso_time(end, until, sizeof(until)));
}

static int issue_run(const struct opts *o)
{
	struct ca_device_req req = {
		.device_id = o->device, .ownership = o->ownership,
		.group = o->group ? o->group : CA_DEFAULT_GROUP,
		.validity = issue_validity(o),
	};
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	struct made made = { .n = 0 };
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ret;

	/* The key and certificate are made before the write lock is taken:
	 * an RSA key can take a second, and other runs wait on the lock. */
	ret = ca_open(o->dir, &ca, &l);
	if (!ret)
		ret = ca_key_generate(o->key_type, &key);
	if (!ret)
		ret = ca_cert_build_device(ca, key, &req, &cert);
	if (!ret)
		ret = issue_commit(l, o, key, cert, &made);
	if (ret)
		made_undo(&made);
	else
		issue_report(o, cert);
	X509_free(cert);
	EVP_PKEY_free(key);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}

/* ------------------------------------------------------------------ */
/* revoke, crl                                                         */
/* ------------------------------------------------------------------ */

static int revoke_check(const struct command *cmd, const struct opts *o)
{
	int ret = require(cmd, o->dir, "dir");

	return ret ? ret : require(cmd, o->device, "device");
}

static void revoke_explain(struct ca_ledger *l, const char *device_id, int ret)
{
	struct ca_device dev;
	char when[32];

	if (ret == -ENOENT)
		ca_error("unknown device %s", device_id);
	else if (ret == -EALREADY && ca_ledger_get(l, device_id, &dev) == 0)
		ca_error("device %s is already revoked (since %s, reason %s); "
			 "the CRL is unchanged", device_id,
			 iso_time(dev.revoked_at, when, sizeof(when)),
			 ca_reason_name(dev.reason));
}

/* The ledger change and the CRL that lists it commit together. */
static int revoke_commit(const char *dir, const struct ca_authority *ca,
			 struct ca_ledger *l, const struct opts *o, uint64_t *number)
{
	int ret = ca_ledger_begin(l);

	if (ret)
		return ret;
	ret = ca_ledger_revoke(l, o->device, time(NULL), o->reason);
	revoke_explain(l, o->device, ret);
	if (!ret)
		ret = crl_write(dir, ca, l, CA_DAYS_CRL, number);
	if (!ret)
		ret = ca_ledger_commit(l);
	if (ret)
		ca_ledger_rollback(l);
	return ret;
}

static int revoke_run(const struct opts *o)
{
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	uint64_t number = 0;
	int ret = ca_open(o->dir, &ca, &l);

	if (!ret)
		ret = revoke_commit(o->dir, ca, l, o, &number);
	if (!ret)
		printf("revoked %s (%s); %s/%s re-issued, CRL number %llu\n", o->device,
		       ca_reason_name(o->reason), o->dir, CA_FILE_CRL,
		       (unsigned long long)number);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}

static int dir_check(const struct command *cmd, const struct opts *o)
{
	return require(cmd, o->dir, "dir");
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

struct list_ctx {
	time_t now;
	size_t count;
};

/* One line per device, tab-separated; owners cannot contain a tab. */
static int list_text(const struct ca_device *d, void *ctx)
{
	struct list_ctx *c = ctx;
	char until[32];

	printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d->device_id, d->owner, d->group,
	       ca_ownership_name(d->ownership), d->serial,
	       iso_time(d->not_after, until, sizeof(until)),
	       ca_device_status(d, c->now));
	c->count++;
	return 0;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* "key": "value" (or null), then a separator. */
static void json_field(const char *key, const char *value, bool last)
{
	printf("\"%s\": ", key);
	if (value)
		json_string(value);
	else
		fputs("null", stdout);
	fputs(last ? "}" : ", ", stdout);
}

static int list_json(const struct ca_device *d, void *ctx)
{
	struct list_ctx *c = ctx;
	bool revoked = d->status == CA_STATUS_REVOKED;
	char nb[32], na[32], ra[32];

	fputs(c->count++ ? ",\n  {" : "\n  {", stdout);
	json_field("device_id", d->device_id, false);
	json_field("owner", d->owner, false);
	json_field("group", d->group, false);
	json_field("ownership", ca_ownership_name(d->ownership), false);
	json_field("serial", d->serial, false);
	json_field("not_before", iso_time(d->not_before, nb, sizeof(nb)), false);
	json_field("not_after", iso_time(d->not_after, na, sizeof(na)), false);
	json_field("status", ca_device_status(d, c->now), false);
	json_field("revoked_at", revoked ? iso_time(d->revoked_at, ra, sizeof(ra)) : NULL, false);
	json_field("reason", revoked ? ca_reason_name(d->reason) : NULL, true);
	return 0;
}

static int list_run(const struct opts *o)
{
	struct list_ctx ctx = { .now = time(NULL), .count = 0 };
	struct ca_ledger *l = NULL;
	char path[PATH_MAX];
	int ret = ca_path(path, sizeof(path), o->dir, CA_FILE_LEDGER);

	if (!ret)
		ret = ca_ledger_open(path, &l);
	if (!ret && o->json)
		fputs("[", stdout);
	if (!ret)
		ret = ca_ledger_foreach(l, CA_LEDGER_ALL, o->json ? list_json : list_text, &ctx);
	if (!ret && o->json)
		fputs(ctx.count ? "\n]\n" : "]\n", stdout);
	ca_ledger_free(l);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

static const struct command commands[] = {
	{ "init", init_options,
	  "usage: postern-ca init --dir DIR [--name NAME] [--days N] [--rsa]\n"
	  "\n"
	  "Creates a CA in DIR (made 0700 if missing): ca.crt, ca.key (0600),\n"
	  "an empty crl.pem, the device ledger ledger.db and devices/.\n"
	  "Refuses a DIR that already has a ca.key.\n"
	  "\n"
	  "  --dir DIR     the CA directory\n"
	  "  --name NAME   the CA's common name (default \"" CA_DEFAULT_NAME "\")\n"
	  "  --days N      validity in days (default 3650)\n"
	  "  --rsa         an RSA 3072 key instead of ECDSA P-256\n",
	  init_check, init_run },
	{ "server", server_options,
	  "usage: postern-ca server --dir DIR --name HOSTNAME [--ip ADDR]... [--days N] [--rsa]\n"
	  "\n"
	  "Issues the gateway's certificate DIR/server.crt and key DIR/server.key\n"
	  "(never overwritten): CN and DNS name HOSTNAME, an IP name per --ip.\n"
	  "\n"
	  "  --dir DIR       the CA directory\n"
	  "  --name HOST     the gateway's DNS name\n"
	  "  --ip ADDR       an IPv4 or IPv6 address clients connect to (repeatable)\n"
	  "  --days N        validity in days (default 825)\n"
	  "  --rsa           an RSA 3072 key instead of ECDSA P-256\n",
	  server_check, server_run },
	{ "issue", issue_options,
	  "usage: postern-ca issue --dir DIR --device ID --owner NAME [--group GROUP]\n"
	  "                        [--byod] [--days N] [--not-before YYYY-MM-DD] [--rsa]\n"
	  "\n"
	  "Issues DIR/devices/ID.crt and DIR/devices/ID.key and records the device\n"
	  "in the ledger. A device id is issued once, whatever its status.\n"
	  "\n"
	  "  --dir DIR          the CA directory\n"
	  "  --device ID        1-64 of A-Z a-z 0-9 . _ -, starting alphanumeric\n"
	  "  --owner NAME       who holds the device (1-128 characters)\n"
	  "  --group GROUP      policy group, written as the OU (default \"default\")\n"
	  "  --byod             a personal device (default: corporate)\n"
	  "  --days N           validity in days (default 365)\n"
	  "  --not-before DATE  start of validity at 00:00:00Z (default: now)\n"
	  "  --rsa              an RSA 3072 key instead of ECDSA P-256\n",
	  issue_check, issue_run },
	{ "revoke", revoke_options,
	  "usage: postern-ca revoke --dir DIR --device ID [--reason REASON]\n"
	  "\n"
	  "Marks the device revoked in the ledger and re-issues DIR/crl.pem.\n"
	  "\n"
	  "  --dir DIR        the CA directory\n"
	  "  --device ID      the device to revoke\n"
	  "  --reason REASON  unspecified (default), keyCompromise,\n"
	  "                   affiliationChanged, superseded, cessationOfOperation\n",
	  revoke_check, revoke_run },
	{ "crl", crl_options,
	  "usage: postern-ca crl --dir DIR [--days N]\n"
	  "\n"
	  "Re-issues DIR/crl.pem from the ledger with a new CRL number, e.g. from\n"
	  "cron, before the current one's nextUpdate passes.\n"
	  "\n"
	  "  --dir DIR   the CA directory\n"
	  "  --days N    days until nextUpdate (default 30)\n",
	  dir_check, crl_run },
	{ "list", list_options,
	  "usage: postern-ca list --dir DIR [--json]\n"
	  "\n"
	  "Lists the devices of the ledger, one per line, tab-separated: device id,\n"
	  "owner, group, ownership, serial, not-after, status (valid, revoked,\n"
	  "expired).\n"
	  "\n"
	  "  --dir DIR   the CA directory\n"
	  "  --json      a JSON array of objects instead\n",
	  dir_check, list_run },
};

static const char main_usage[] =
	"usage: postern-ca COMMAND [OPTIONS]\n"
	"\n"
	"The Postern device CA: issues, revokes and lists device certificates.\n"
	"\n"
	"commands:\n"
	"  init     create a CA\n"
	"  server   issue the gateway's server certificate\n"
	"  issue    issue a device certificate\n"
	"  revoke   revoke a device certificate and re-issue the CRL\n"
	"  crl      re-issue the CRL\n"
	"  list     list the devices\n"
	"\n"
	"'postern-ca COMMAND --help' describes a command's options.\n"
	"Exit status: 0 done, 1 the operation failed, 2 usage error.\n";

static const struct command *command_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
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

static int command_main(const struct command *cmd, int argc, char **argv)
{
	struct opts o = { .key_type = CA_KEY_EC_P256, .ownership = CA_OWNERSHIP_CORPORATE };

	if (opts_parse(cmd, argc, argv, &o))
		return EXIT_USAGE;
	if (o.help) {
		fputs(cmd->usage, stdout);
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
		fputs(main_usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(main_usage, stdout);
		return stdout_finish(EXIT_SUCCESS);
	}
	cmd = command_find(argv[1]);
	if (!cmd) {
		usage_error(NULL, "unknown command '%s'", shown(argv[1], buf, sizeof(buf)));
		return EXIT_USAGE;
	}
	return command_main(cmd, argc - 1, argv + 1);
}
