/* SPDX-License-Identifier: MIT */
/*
 * What postern-ca's files share: the options a command was given, the
 * command table's entry, the helpers every command uses, and each
 * command's check (its usage, exit 2) and run (exit 1 on failure). Program
 * code, linked into postern-ca only: unlike the library files of certs/,
 * these print.
 */
#ifndef POSTERN_CA_CMD_H
#define POSTERN_CA_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "certs/ca.h"

/* list --status expiring without --expiring: within a month. */
#define CMD_EXPIRING_DAYS 30

/* Names the CA directory when --dir does not. */
#define CMD_PKI_ENV "POSTERN_PKI"

/* Everything any command may be given; each command's option table says
 * which of these it accepts. */
struct opts {
	const char *dir;		/* --dir, $POSTERN_PKI or CA_DEFAULT_DIR */
	const char *dir_how;		/* which of them, in words */
	const char *name;
	const char *device;
	const char *owner;
	const char *group;
	const char *p12;
	const char *password_file;
	const char *csr;		/* sign, renew: the device's request */
	bool device_prefix;		/* list --device PREFIX*: o->device is the prefix */
	const char *status;		/* list --status: a status name, or "expiring" */
	unsigned int days;		/* 0: the command's default */
	unsigned int expiring;		/* 0: not asked */
	time_t not_before;
	bool not_before_set;
	enum ca_key_type key_type;
	bool key_type_set;
	enum cm_ownership ownership;
	bool ownership_set;
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
	/* NULL: nothing to check beyond what the options' parsers check. */
	int (*check)(const struct command *cmd, const struct opts *o);
	int (*run)(const struct opts *o, char *err, size_t errlen);
};

/* postern-ca.c: messages and the checks every command makes. */

/* A value the operator typed, made safe to echo on one line: control
 * bytes become '?', and it is cut at 64 bytes. */
const char *cmd_shown(const char *s, char *buf, size_t len);
/* One line on stderr naming the problem and where help is; -EINVAL. */
int cmd_usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "postern-ca: MSG" on stderr, for what must be said before the run ends
 * (a problem check found, a file the sweep could not remove); an empty
 * msg says nothing. A failed run's err is said by main. */
void cmd_print(const char *msg);
/* ISO 8601 UTC (common/time.h), or "@SECONDS" for a time with no date. */
const char *cmd_iso_time(int64_t t, char *buf, size_t len);
int cmd_require(const struct command *cmd, const void *value, const char *name);
int cmd_device_check(const struct command *cmd, const struct opts *o);

/* cmd_dir.c: the CA directory as the commands open it. Like every
 * function below, these return 0 or a negative errno with why in err. */

/* Whether o->dir holds a CA (its ledger): every command but init needs
 * one. The refusal names the directory and how it was chosen. */
int cmd_dir_ready(const struct opts *o, char *err, size_t errlen);
int cmd_ledger_open(const char *dir, struct ca_ledger **l, char *err, size_t errlen);
/* The CA and the ledger of the commands that sign something. */
int cmd_ca_open(const char *dir, struct ca_authority **ca, struct ca_ledger **l,
		char *err, size_t errlen);
/* The sweep of store.h, each file it could not remove said on stderr and,
 * with verbose, each file it finished or removed on stdout. */
int cmd_sweep(const char *dir, struct ca_ledger *l, bool verbose, struct ca_sweep *out,
	      char *err, size_t errlen);
/* Takes the write lock and finishes or undoes what killed runs left, so
 * that the device files match the ledger before anything looks at them. */
int cmd_ledger_lock(const char *dir, struct ca_ledger *l, char *err, size_t errlen);
/* -EEXIST from a save, in words: "PATH already exists: refusing to
 * overwrite it". Any other ret is returned as it is. */
int cmd_no_overwrite(const char *path, int ret, char *err, size_t errlen);
/* Whether a file name is taken; a dangling symlink counts. */
int cmd_path_free(const char *path, char *err, size_t errlen);
/* A device's current record; -ENOENT ("unknown device ID") when there is
 * none. */
int cmd_device_get(struct ca_ledger *l, const char *device_id, struct ca_record *out,
		   char *err, size_t errlen);
/* A device's current key and certificate files, loaded. */
int cmd_device_files(const char *dir, const char *device_id, struct ca_files *cur,
		     EVP_PKEY **key, X509 **cert, char *err, size_t errlen);
/* The certificate's serial as the ledger has it, or "?". */
void cmd_serial_of(X509 *cert, char *buf, size_t len);

/* cmd_revoke.c: the CRL, which init and renew --revoke-old write too. */

int cmd_crl_write(const char *dir, const struct ca_authority *ca, struct ca_ledger *l,
		  unsigned int days, uint64_t *number, char *err, size_t errlen);
int cmd_crl_refresh(const char *dir, const struct ca_authority *ca, struct ca_ledger *l,
		    unsigned int days, uint64_t *number, char *err, size_t errlen);

/* The commands, in the order of the table: check exits 2 (it said why),
 * run exits 1 when it fails (main says err). */

int cmd_init_check(const struct command *cmd, const struct opts *o);
int cmd_init_run(const struct opts *o, char *err, size_t errlen);
int cmd_server_check(const struct command *cmd, const struct opts *o);
int cmd_server_run(const struct opts *o, char *err, size_t errlen);
int cmd_issue_check(const struct command *cmd, const struct opts *o);
int cmd_issue_run(const struct opts *o, char *err, size_t errlen);
/* sign is issue with --csr: cmd_issue_run signs the request. */
int cmd_sign_check(const struct command *cmd, const struct opts *o);
int cmd_renew_check(const struct command *cmd, const struct opts *o);
int cmd_renew_run(const struct opts *o, char *err, size_t errlen);
int cmd_revoke_run(const struct opts *o, char *err, size_t errlen);
int cmd_lost_run(const struct opts *o, char *err, size_t errlen);
int cmd_crl_run(const struct opts *o, char *err, size_t errlen);
int cmd_list_run(const struct opts *o, char *err, size_t errlen);
int cmd_show_run(const struct opts *o, char *err, size_t errlen);
int cmd_export_check(const struct command *cmd, const struct opts *o);
int cmd_export_run(const struct opts *o, char *err, size_t errlen);
int cmd_check_run(const struct opts *o, char *err, size_t errlen);

#endif
