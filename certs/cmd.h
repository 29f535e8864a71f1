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
#include "certs/ledger.h"
#include "certs/store.h"

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

/* postern-ca.c: messages and the checks every command makes. */

/* A value the operator typed, made safe to echo on one line: control
 * bytes become '?', and it is cut at 64 bytes. */
const char *cmd_shown(const char *s, char *buf, size_t len);
/* One line on stderr naming the problem and where help is; -EINVAL. */
int cmd_usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* ISO 8601 UTC (common/time.h), or "@SECONDS" for a time with no date. */
const char *cmd_iso_time(int64_t t, char *buf, size_t len);
int cmd_require(const struct command *cmd, const void *value, const char *name);
int cmd_dir_check(const struct command *cmd, const struct opts *o);
int cmd_device_check(const struct command *cmd, const struct opts *o);

/* cmd_dir.c: the CA directory as the commands open it. */

int cmd_ledger_open(const char *dir, struct ca_ledger **l);
/* The CA and the ledger of the commands that sign something. */
int cmd_ca_open(const char *dir, struct ca_authority **ca, struct ca_ledger **l);
/* Takes the write lock and finishes or undoes what killed runs left, so
 * that the device files match the ledger before anything looks at them. */
int cmd_ledger_lock(const char *dir, struct ca_ledger *l);
/* A device's current record; -ENOENT (said) when there is none. */
int cmd_device_get(struct ca_ledger *l, const char *device_id, struct ca_record *out);
/* Whether a file name is taken; a dangling symlink counts. */
int cmd_path_free(const char *path);
/* The certificate's serial as the ledger has it, or "?". */
void cmd_serial_of(X509 *cert, char *buf, size_t len);

/* cmd_revoke.c: the CRL, which init and renew --revoke-old write too. */

int cmd_crl_write(const char *dir, const struct ca_authority *ca,
		  struct ca_ledger *l, unsigned int days, uint64_t *number);
int cmd_crl_refresh(const char *dir, const struct ca_authority *ca,
		    struct ca_ledger *l, unsigned int days, uint64_t *number);

/* The commands, in the order of the table. */

int cmd_init_check(const struct command *cmd, const struct opts *o);
int cmd_init_run(const struct opts *o);
int cmd_server_check(const struct command *cmd, const struct opts *o);
int cmd_server_run(const struct opts *o);
int cmd_issue_check(const struct command *cmd, const struct opts *o);
int cmd_issue_run(const struct opts *o);
int cmd_renew_run(const struct opts *o);
int cmd_revoke_run(const struct opts *o);
int cmd_lost_run(const struct opts *o);
int cmd_crl_run(const struct opts *o);
int cmd_list_run(const struct opts *o);
int cmd_export_check(const struct command *cmd, const struct opts *o);
int cmd_export_run(const struct opts *o);
int cmd_check_run(const struct opts *o);

#endif
