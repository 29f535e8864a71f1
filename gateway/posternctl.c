/* SPDX-License-Identifier: MIT */
/*
 * posternctl: the operators' client for a running gateway's control socket.
 * It sends one request line, "FORMAT COMMAND [ARG]", prints the answer's
 * body and turns its first line ("ok" or "error MESSAGE") into the exit
 * status. All the work happens in the gateway (gateway/control.c); this
 * program only checks its command line, finds the socket and relays.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/macros.h"
#include "common/device.h"
#include "common/number.h"
#include "conf/conf.h"
#include "gateway/ctlcmd.h"
#include "gateway/posternctl.h"

#define CTL_DEFAULT_SOCKET	"/run/postern/posternd.sock"
#define CTL_DEFAULT_CONF	"/etc/postern/posternd.conf"

/* The manual is posternctl(8); --help only lists what there is. */
static void usage(void)
{
	char synopsis[GW_CTLCMD_SYNOPSIS_MAX + 1];

	fputs("usage: posternctl [-s SOCKET | -c CONFIG] [--json] COMMAND [ARG]\n"
	      "       posternctl --version\n"
	      "commands:\n", stdout);
	for (const struct gw_ctlcmd *c = gw_ctlcmds; c->name; c++) {
		gw_ctlcmd_synopsis(c, synopsis, sizeof(synopsis));
		printf("  %-*s %s\n", GW_CTLCMD_SYNOPSIS_MAX, synopsis, c->help);
	}
	fputs("Controls a running Postern gateway; see posternctl(8).\n", stdout);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("posternctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nUsage: posternctl [-s SOCKET | -c CONFIG] [--json] COMMAND [ARG]   "
	      "(posternctl --help for more)\n", stderr);
	return EXIT_USAGE;
}

static int usage_unknown(const char *name)
{
	char list[512];

	gw_ctlcmd_list(list, sizeof(list));
	return usage_error("unknown command '%.40s' (the commands: %s)", name, list);
}

/*
 * A path the gateway's configuration names: its control socket, or with
 * audit its audit log. quiet: the installed config is only a default; say
 * nothing when it does not help, and fall back to the compiled-in socket.
 */
static int path_from_config(const char *path, bool audit, char *out, size_t len, bool quiet)
{
	const char *key = audit ? "audit-log" : "control-socket", *value;
	struct gw_conf *conf = NULL;
	char err[4096];

	if (conf_gateway_reload(path, &conf, err, sizeof(err)) < 0) {
		if (!quiet)
			fprintf(stderr, "posternctl: %s",
				err[0] ? err : "the configuration does not load\n");
		return EXIT_UNREACHABLE;
	}
	value = audit ? conf->audit_log : conf->control_socket;
	if (!value) {
		if (!quiet)
			fprintf(stderr, "posternctl: %s sets no %s\n", path, key);
		conf_gateway_free(conf);
		return EXIT_UNREACHABLE;
	}
	snprintf(out, len, "%s", value);
	conf_gateway_free(conf);
	return 0;
}

/*
 * history: the audit log the gateway names, or the one its configuration
 * names (-c, or the installed one when the gateway cannot be reached: the
 * history of a device is wanted most when the gateway is down).
 */
static int history(const char *sock, bool sock_given, const char *config, const char *device,
		   bool json)
{
	char path[PATH_MAX], *req = NULL;
	int rc;

	if (!cm_device_id_valid(device, strlen(device))) {
		fprintf(stderr, "posternctl: not a device id: 1-64 of A-Z a-z 0-9 . _ -, starting "
			"with a letter or digit\n");
		return EXIT_GATEWAY_ERROR;
	}
	if (config)
		return path_from_config(config, true, path, sizeof(path), false) ?:
		       ctl_history(device, path, json);
	if (asprintf(&req, "text history %s\n", device) < 0)
		return EXIT_GATEWAY_ERROR;
	rc = ctl_request(sock, req, path, sizeof(path));
	free(req);
	if (rc == EXIT_UNREACHABLE && !sock_given &&
	    path_from_config(CTL_DEFAULT_CONF, true, path, sizeof(path), false) == 0) {
		fprintf(stderr, "posternctl: reading the audit log %s names\n", CTL_DEFAULT_CONF);
		rc = 0;
	}
	if (rc)
		return rc;
	path[strcspn(path, "\n")] = '\0';
	return ctl_history(device, path, json);
}

/* ban's --for: the duration's seconds in *secs, or a usage error. */
static int ban_for(const char *text, uint64_t *secs)
{
	char why[160];

	if (cm_duration_parse(text, GW_CTLCMD_BAN_MAX, secs, why, sizeof(why)) < 0)
		return usage_error("ban --for: %s", why);
	return 0;
}

/*
 * ban's arguments, DEVICE and --for DURATION (or --for=DURATION) in either
 * order, as the request's "DEVICE SECONDS" in out. 0, or the exit status
 * of a usage error.
 */
static int ban_args(int argc, char **argv, char *out, size_t len)
{
	const char *device = NULL, *a;
	uint64_t secs = 0;
	int rc;

	for (; optind < argc; optind++) {
		a = argv[optind];
		if (!strcmp(a, "--for") && optind + 1 == argc)
			return usage_error("%s", "ban --for needs a duration (1h, 30m, 2d, or seconds)");
		if (!strcmp(a, "--for") || !strncmp(a, "--for=", 6)) {
			rc = ban_for(a[5] == '=' ? a + 6 : argv[++optind], &secs);
			if (rc)
				return rc;
		} else if (a[0] == '-') {
			return usage_error("ban: unknown option '%.40s'", a);
		} else if (device) {
			return usage_error("%s", "ban takes one device");
		} else {
			device = a;
		}
	}
	if (!device || !secs)
		return usage_error("%s", "ban takes a device and --for DURATION (1h, 30m, 2d, or "
				   "seconds)");
	snprintf(out, len, "%s %llu", device, (unsigned long long)secs);
	return 0;
}

/*
 * The command's argument as the table wants it: none, or exactly one, a
 * FILE made absolute in abs (ban's two in abs too). 0, or the exit status
 * of a usage error.
 */
static int command_arg(const char *name, int argc, char **argv, const char **arg,
		       char abs[PATH_MAX])
{
	const struct gw_ctlcmd *cmd = gw_ctlcmd_find(name);

	*arg = NULL;
	if (!cmd)
		return usage_unknown(name);
	if (cmd->arg == GW_CTLCMD_ARG_BAN) {
		*arg = abs;
		return ban_args(argc, argv, abs, PATH_MAX);
	}
	if (optind < argc)
		*arg = argv[optind++];
	if (optind < argc || (cmd->arg != GW_CTLCMD_ARG_NONE) != (*arg != NULL))
		return cmd->arg != GW_CTLCMD_ARG_NONE ?
		       usage_error("%s takes one argument", name) :
		       usage_error("%s takes no argument", name);
	if (*arg && strchr(*arg, '\n'))
		return usage_error("%s", "an argument may not contain a line break");
	/* The gateway runs elsewhere (its own directory): send a full path. */
	if (cmd->arg == GW_CTLCMD_ARG_FILE) {
		if (!realpath(*arg, abs)) {
			fprintf(stderr, "posternctl: %s: %s\n", *arg, strerror(errno));
			return EXIT_GATEWAY_ERROR;
		}
		*arg = abs;
	}
	return 0;
}

/* Tables are aligned by the terminal's character widths: its locale's, or
 * C.UTF-8's when that does not read UTF-8 (the gateway's text is UTF-8). */
static void ctl_locale(void)
{
	if (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8"))
		setlocale(LC_CTYPE, "C.UTF-8");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *sock = NULL, *config = NULL, *name, *arg = NULL;
	char path[PATH_MAX], abs[PATH_MAX], *req = NULL;
	bool json = false, sock_given;
	int ch, fd, rc;

	ctl_locale();
	while ((ch = getopt_long(argc, argv, "+s:c:jhV", opts, NULL)) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'c': config = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(); return 0;
		case 'V': printf("posternctl %s\n", POSTERN_VERSION); return 0;
		default:
			return usage_error("%s", "unknown option");
		}
	}
	if (sock && config)
		return usage_error("%s", "give -s or -c, not both");
	if (optind >= argc)
		return usage_error("%s", "no command");
	name = argv[optind++];
	/* --json may also follow the command. */
	if (optind < argc && !strcmp(argv[argc - 1], "--json")) {
		json = true;
		argc--;
	}
	rc = command_arg(name, argc, argv, &arg, abs);
	if (rc)
		return rc;
	if (!strcmp(name, "history") && config)
		return history(NULL, false, config, arg, json);
	sock_given = sock != NULL;
	if (config) {
		rc = path_from_config(config, false, path, sizeof(path), false);
		if (rc)
			return rc;
		sock = path;
	} else if (!sock) {
		/* The installed gateway's socket, else the one the unit provides. */
		sock = path_from_config(CTL_DEFAULT_CONF, false, path, sizeof(path), true) == 0 ?
		       path : CTL_DEFAULT_SOCKET;
	}
	if (!strcmp(name, "history"))
		return history(sock, sock_given, NULL, arg, json);
	if (asprintf(&req, "%s %s%s%s\n", json ? "json" : "text", name, arg ? " " : "",
		     arg ? arg : "") < 0 || strlen(req) > 4000) {
		free(req);
		return usage_error("%s", "request too long");
	}
	fd = ctl_connect(sock);
	if (fd < 0) {
		free(req);
		return EXIT_UNREACHABLE;
	}
	if (ctl_send_all(fd, req, strlen(req)) < 0) {
		fprintf(stderr, "posternctl: sending to %s: %s\n", sock, strerror(errno));
		rc = EXIT_UNREACHABLE;
	} else if (gw_ctlcmd_find(name)->stream) {
		/* No shutdown: the gateway takes the end of the stream for a hang-up. */
		rc = ctl_follow(fd, sock);
	} else {
		shutdown(fd, SHUT_WR);
		rc = ctl_relay(fd, sock, !json);
	}
	close(fd);
	free(req);
	return rc;
}
