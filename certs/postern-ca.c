/* SPDX-License-Identifier: MIT */
/*
 * postern-ca, the system department's tool for the device CA: init, server,
 * issue, sign, renew, revoke, lost, crl, list, show, export and check.
 * This file parses the command line strictly (usage errors exit 2 with one
 * line naming the problem, failed operations exit 1 with one line saying
 * why) and runs the command, whose file is named for its family: cmd_init.c
 * (init, server), cmd_issue.c (issue, sign, renew), cmd_revoke.c (revoke,
 * lost, crl), cmd_list.c (list, check), cmd_show.c (show) and cmd_export.c
 * (export); cmd_dir.c is what they share. The commands orchestrate the crypto of cert.c, crl.c and
 * pkcs12.c, the ledger of ledger.c and the device files of store.c. Every
 * command either completes or leaves the directory as it found it: a
 * ledger change and the CRL that lists it commit together, device files are
 * staged under the ledger's write lock and put in place after the commit (a
 * killed run is finished or undone by the next one), and files this run
 * created are removed again when a later step fails, so that a retry works.
 * The manual is postern-ca(8); --help prints the usage lines of the command
 * table below, so that they cannot drift from its options.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/cmd.h"
#include "common/macros.h"
#include "common/time.h"

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
	OPT_SERIAL,
	OPT_JSON,
	OPT_EXPIRING,
	OPT_REVOKE_OLD,
	OPT_P12,
	OPT_PASSWORD_FILE,
	OPT_CSR,
	OPT_OWNERSHIP,
	OPT_DEVICE_MATCH,
	OPT_STATUS,
};

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

const char *cmd_shown(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < len && i < 64; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	strcpy(buf + i, s[i] ? "..." : "");
	return buf;
}

int cmd_usage_error(const struct command *cmd, const char *fmt, ...)
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

void cmd_print(const char *msg)
{
	if (msg[0])
		fprintf(stderr, "postern-ca: %s\n", msg);
}

const char *cmd_iso_time(int64_t t, char *buf, size_t len)
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

#define OPTION_CSR	  { "csr", required_argument, NULL, OPT_CSR }
#define OPTION_OWNERSHIP  { "ownership", required_argument, NULL, OPT_OWNERSHIP }
#define OPTION_GROUP	  { "group", required_argument, NULL, OPT_GROUP }
/* What a new device is: issue's and sign's. */
#define OPTIONS_NEW_DEVICE \
	OPTION_DIR, OPTION_DAYS, OPTION_DEVICE, OPTION_GROUP, OPTION_OWNERSHIP, \
	{ "owner", required_argument, NULL, OPT_OWNER }, \
	{ "byod", no_argument, NULL, OPT_BYOD }, \
	{ "not-before", required_argument, NULL, OPT_NOT_BEFORE }

static const struct option issue_options[] = {
	OPTIONS_NEW_DEVICE, OPTION_RSA, OPTION_HELP, OPTION_END,
};

static const struct option sign_options[] = {
	OPTIONS_NEW_DEVICE, OPTION_CSR, OPTION_HELP, OPTION_END,
};

static const struct option renew_options[] = {
	OPTION_DIR, OPTION_DAYS, OPTION_RSA, OPTION_DEVICE, OPTION_CSR,
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
	OPTION_DIR, OPTION_JSON, OPTION_GROUP, OPTION_OWNERSHIP,
	{ "device", required_argument, NULL, OPT_DEVICE_MATCH },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "expiring", required_argument, NULL, OPT_EXPIRING },
	OPTION_HELP, OPTION_END,
};

static const struct option show_options[] = {
	OPTION_DIR, OPTION_DEVICE, OPTION_JSON, OPTION_HELP, OPTION_END,
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
		return cmd_usage_error(cmd, "--%s given twice", name);
	if (!*arg)
		return cmd_usage_error(cmd, "--%s: empty value", name);
	*slot = arg;
	return 0;
}

static int opt_days(const struct command *cmd, unsigned int *slot, const char *arg,
		    const char *name)
{
	char buf[80];

	if (*slot)
		return cmd_usage_error(cmd, "--%s given twice", name);
	if (ca_days_parse(arg, slot))
		return cmd_usage_error(cmd, "--%s: '%s' is not a whole number from 1 to %d "
				   "(decimal, no leading zero)", name,
				   cmd_shown(arg, buf, sizeof(buf)), CA_DAYS_MAX);
	return 0;
}

static int opt_ip(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (o->n_ips == CA_SERVER_IPS_MAX)
		return cmd_usage_error(cmd, "at most %d --ip options", CA_SERVER_IPS_MAX);
	if (ca_ip_parse(arg, &o->ips[o->n_ips]))
		return cmd_usage_error(cmd, "--ip: '%s' is not an IPv4 or IPv6 address",
				   cmd_shown(arg, buf, sizeof(buf)));
	o->n_ips++;
	return 0;
}

static int opt_device(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (!o->device && !ca_device_id_valid(arg))
		return cmd_usage_error(cmd, "--device: '%s' is not a device id (1 to %d of "
				   "A-Z a-z 0-9 . _ -, starting with a letter or digit)",
				   cmd_shown(arg, buf, sizeof(buf)), CA_DEVICE_ID_MAX);
	return opt_string(cmd, &o->device, arg, "device");
}

/* list --device: an id, or the start of ids followed by '*'. */
static int opt_device_match(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80], prefix[CA_DEVICE_ID_MAX + 1];
	size_t n = strlen(arg);

	if (o->device)
		return cmd_usage_error(cmd, "--device given twice");
	o->device_prefix = n > 1 && n <= CA_DEVICE_ID_MAX + 1 && arg[n - 1] == '*';
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(o->device_prefix ? n - 1 : 0), arg);
	if (o->device_prefix ? !ca_device_id_valid(prefix) : !ca_device_id_valid(arg))
		return cmd_usage_error(cmd, "--device: '%s' is neither a device id nor the start "
				       "of one followed by '*'", cmd_shown(arg, buf, sizeof(buf)));
	o->device = arg;
	return 0;
}

/* list --status: what ca_record_status says, or expiring. */
static int opt_status(const struct command *cmd, struct opts *o, const char *arg)
{
	static const char *const names[] = {
		"valid", "revoked", "lost", "expired", "expiring",
	};
	char buf[80];
	size_t i;

	if (o->status)
		return cmd_usage_error(cmd, "--status given twice");
	for (i = 0; i < CM_ARRAY_SIZE(names); i++)
		if (strcmp(arg, names[i]) == 0)
			o->status = names[i];
	if (!o->status)
		return cmd_usage_error(cmd, "--status: '%s' is not one of valid, revoked, lost, "
				       "expired, expiring", cmd_shown(arg, buf, sizeof(buf)));
	return 0;
}

static int opt_owner(const struct command *cmd, struct opts *o, const char *arg)
{
	if (!o->owner && !ca_owner_valid(arg))
		return cmd_usage_error(cmd, "--owner: must be 1 to %d characters of UTF-8 "
				   "text without control characters", CA_OWNER_MAX);
	return opt_string(cmd, &o->owner, arg, "owner");
}

static int opt_group(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (!o->group && !ca_group_valid(arg))
		return cmd_usage_error(cmd, "--group: '%s' is not a group name (1 to %d of "
				   "A-Z a-z 0-9 . _ -, starting with a letter or digit)",
				   cmd_shown(arg, buf, sizeof(buf)), CA_DEVICE_ID_MAX);
	return opt_string(cmd, &o->group, arg, "group");
}

/* --ownership corporate|byod, or --byod (arg NULL): one of them, once. */
static int opt_ownership(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (o->ownership_set)
		return cmd_usage_error(cmd, "--ownership or --byod given twice");
	if (arg && cm_ownership_parse(arg, strlen(arg), &o->ownership))
		return cmd_usage_error(cmd, "--ownership: '%s' is not corporate or byod",
				       cmd_shown(arg, buf, sizeof(buf)));
	if (!arg)
		o->ownership = CM_OWNERSHIP_BYOD;
	o->ownership_set = true;
	return 0;
}

static int opt_not_before(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (o->not_before_set)
		return cmd_usage_error(cmd, "--not-before given twice");
	if (ca_date_parse(arg, &o->not_before))
		return cmd_usage_error(cmd, "--not-before: '%s' is not a date YYYY-MM-DD "
				   "from 1970 on", cmd_shown(arg, buf, sizeof(buf)));
	o->not_before_set = true;
	return 0;
}

static int opt_reason(const struct command *cmd, struct opts *o, const char *arg)
{
	char buf[80];

	if (o->reason_set)
		return cmd_usage_error(cmd, "--reason given twice");
	if (ca_reason_parse(arg, &o->reason))
		return cmd_usage_error(cmd, "--reason: unknown reason '%s' (one of unspecified, "
				   "keyCompromise, affiliationChanged, superseded, "
				   "cessationOfOperation)", cmd_shown(arg, buf, sizeof(buf)));
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
		return cmd_usage_error(cmd, "--serial given twice");
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
		return cmd_usage_error(cmd, "--serial: '%s' is not a serial number (an even "
				   "number of hex digits, at most %d)",
				   cmd_shown(arg, buf, sizeof(buf)), CA_SERIAL_HEX_MAX);
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
	case OPT_CSR:		return opt_string(cmd, &o->csr, arg, "csr");
	case OPT_OWNERSHIP:	return opt_ownership(cmd, o, arg);
	case OPT_DEVICE_MATCH:	return opt_device_match(cmd, o, arg);
	case OPT_STATUS:	return opt_status(cmd, o, arg);
	case OPT_BYOD:		return opt_ownership(cmd, o, NULL);
	case OPT_RSA:		o->key_type = CA_KEY_RSA_3072; o->key_type_set = true; return 0;
	case OPT_JSON:		o->json = true; return 0;
	case OPT_REVOKE_OLD:	o->revoke_old = true; return 0;
	case OPT_HELP:		o->help = true; return 0;
	}
	return cmd_usage_error(cmd, "internal error: option %d", id);
}

/* getopt reports; we word it. opterr is off so that every message is our
 * one line. */
static int opt_unknown(const struct command *cmd, const char *arg)
{
	char buf[80];

	if (optopt >= OPT_DIR)
		return cmd_usage_error(cmd, "option '%s' takes no value", cmd_shown(arg, buf, sizeof(buf)));
	if (optopt > 0)
		return cmd_usage_error(cmd, "unknown option '-%c'", optopt);
	return cmd_usage_error(cmd, "unknown option '%s'", cmd_shown(arg, buf, sizeof(buf)));
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
			ret = cmd_usage_error(cmd, "option '%s' needs a value",
					  cmd_shown(argv[optind - 1], buf, sizeof(buf)));
		else
			ret = opt_set(cmd, o, c, optarg);
	}
	if (!ret && optind < argc)
		ret = cmd_usage_error(cmd, "unexpected argument '%s'",
				  cmd_shown(argv[optind], buf, sizeof(buf)));
	return ret;
}

int cmd_require(const struct command *cmd, const void *value, const char *name)
{
	return value ? 0 : cmd_usage_error(cmd, "missing --%s", name);
}

int cmd_device_check(const struct command *cmd, const struct opts *o)
{
	return cmd_require(cmd, o->device, "device");
}

/*
 * The CA directory: --dir, else $POSTERN_PKI, else the installed default,
 * as easy-rsa does with EASYRSA_PKI. A POSTERN_PKI that is set but empty is
 * refused rather than taken as unset: a script whose variable came out
 * empty must not fall through to the production CA.
 */
static int opts_dir(const struct command *cmd, struct opts *o)
{
	const char *env = getenv(CMD_PKI_ENV);

	if (o->dir) {
		o->dir_how = "given with --dir";
	} else if (env && !*env) {
		return cmd_usage_error(cmd, "%s is set but empty: unset it, or set it to the "
				       "CA directory", CMD_PKI_ENV);
	} else if (env) {
		o->dir = env;
		o->dir_how = "from " CMD_PKI_ENV;
	} else {
		o->dir = CA_DEFAULT_DIR;
		o->dir_how = "the default, as neither --dir nor " CMD_PKI_ENV " names one";
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

/* The usage lines are postern-ca(8)'s SYNOPSIS: tests/integration/01-postern-ca.sh
 * checks that both name the same options. */
#define USAGE_INDENT "\n           "
static const struct command commands[] = {
	{ "init", "create a CA",
	  "[--dir DIR] [--name NAME] [--days N] [--rsa]",
	  init_options, cmd_init_check, cmd_init_run },
	{ "server", "issue the gateway's server certificate",
	  "[--dir DIR] --name HOSTNAME [--ip ADDR]... [--days N]" USAGE_INDENT "[--rsa]",
	  server_options, cmd_server_check, cmd_server_run },
	{ "issue", "issue a device certificate",
	  "[--dir DIR] --device ID --owner NAME [--group GROUP]" USAGE_INDENT
	  "[--byod | --ownership corporate|byod] [--days N]" USAGE_INDENT
	  "[--not-before YYYY-MM-DD] [--rsa]",
	  issue_options, cmd_issue_check, cmd_issue_run },
	{ "sign", "issue a device a certificate for the key of its signing request",
	  "[--dir DIR] --csr FILE --device ID --owner NAME" USAGE_INDENT
	  "[--group GROUP] [--byod | --ownership corporate|byod]" USAGE_INDENT
	  "[--days N] [--not-before YYYY-MM-DD]",
	  sign_options, cmd_sign_check, cmd_issue_run },
	{ "renew", "issue a device a new certificate; the old one stays valid",
	  "[--dir DIR] --device ID [--csr FILE] [--days N]" USAGE_INDENT
	  "[--revoke-old] [--rsa]",
	  renew_options, cmd_renew_check, cmd_renew_run },
	{ "revoke", "revoke a device's certificates and re-issue the CRL",
	  "[--dir DIR] --device ID [--serial HEX] [--reason REASON]",
	  revoke_options, cmd_device_check, cmd_revoke_run },
	{ "lost", "mark a device lost, revoke its certificates, re-issue the CRL",
	  "[--dir DIR] --device ID",
	  lost_options, cmd_device_check, cmd_lost_run },
	{ "crl", "re-issue the CRL (from cron, before it expires)",
	  "[--dir DIR] [--days N]",
	  crl_options, NULL, cmd_crl_run },
	{ "list", "list certificates, all or filtered by device, group, status, expiry",
	  "[--dir DIR] [--device ID|PREFIX*] [--group GROUP]" USAGE_INDENT
	  "[--ownership corporate|byod]" USAGE_INDENT
	  "[--status valid|revoked|lost|expired|expiring]" USAGE_INDENT
	  "[--expiring DAYS] [--json]",
	  list_options, NULL, cmd_list_run },
	{ "show", "everything the CA knows about one device",
	  "[--dir DIR] --device ID [--json]",
	  show_options, cmd_device_check, cmd_show_run },
	{ "export", "write a device's PKCS#12 bundle for an MDM to push",
	  "[--dir DIR] --device ID --p12 FILE" USAGE_INDENT "--password-file PWFILE",
	  export_options, cmd_export_check, cmd_export_run },
	{ "check", "check the ledger and the device files",
	  "[--dir DIR]",
	  check_options, NULL, cmd_check_run },
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
		cmd_print("cannot write to standard output");
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

	fputs("usage: postern-ca COMMAND [--dir DIR] [OPTIONS]\n"
	      "       postern-ca [COMMAND] --help | --version\n"
	      "commands:\n", f);
	for (i = 0; i < CM_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("The CA directory is --dir DIR, else $" CMD_PKI_ENV ", else " CA_DEFAULT_DIR ".\n"
	      "The device certificate authority of Postern; see postern-ca(8).\n", f);
}

static int command_main(const struct command *cmd, int argc, char **argv)
{
	struct opts o = { .key_type = CA_KEY_EC_P256, .ownership = CM_OWNERSHIP_CORPORATE };
	char err[CA_ERR_MAX] = "";

	if (opts_parse(cmd, argc, argv, &o))
		return EXIT_USAGE;
	if (o.help) {
		help_command(cmd);
		return stdout_finish(EXIT_SUCCESS);
	}
	if (opts_dir(cmd, &o) || (cmd->check && cmd->check(cmd, &o)))
		return EXIT_USAGE;
	/* init makes the CA directory; every other command needs one. */
	if ((cmd->run != cmd_init_run && cmd_dir_ready(&o, err, sizeof(err))) ||
	    cmd->run(&o, err, sizeof(err))) {
		cmd_print(err);
		return stdout_finish(EXIT_FAILURE);
	}
	return stdout_finish(EXIT_SUCCESS);
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	char buf[80];

	if (argc < 2) {
		help_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("postern-ca %s\n", POSTERN_VERSION);
		return stdout_finish(0);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		help_main(stdout);
		return stdout_finish(EXIT_SUCCESS);
	}
	cmd = command_find(argv[1]);
	if (!cmd) {
		cmd_usage_error(NULL, "unknown command '%s'", cmd_shown(argv[1], buf, sizeof(buf)));
		return EXIT_USAGE;
	}
	return command_main(cmd, argc - 1, argv + 1);
}
