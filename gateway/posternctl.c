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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/macros.h"
#include "conf/conf.h"
#include "gateway/gateway.h"

#define CTL_DEFAULT_SOCKET	"/run/postern/posternd.sock"
#define CTL_DEFAULT_CONF	"/etc/postern/posternd.conf"
#define CTL_TIMEOUT		60	/* seconds: a reload with a large inventory */
#define EXIT_GATEWAY_ERROR	1
#define EXIT_USAGE		2
#define EXIT_UNREACHABLE	3

static void usage(void)
{
	fputs(
"NAME\n"
"    posternctl - control a running Postern gateway\n"
"\n"
"SYNOPSIS\n"
"    posternctl [-s SOCKET | -c CONFIG] [--json] COMMAND [ARG]\n"
"\n"
"DESCRIPTION\n"
"    Talks to posternd over its control socket (control-socket in the\n"
"    gateway's configuration). Output is for people; with --json it is one\n"
"    JSON document for tools. Only root and the gateway's own user may use\n"
"    the socket.\n"
"\n"
"COMMANDS\n"
"    status            version, uptime, sessions by verdict, pool use, and\n"
"                      the configuration, policy, CRL and inventory in force\n"
"                      with their load times\n"
"    sessions          every session: device, owner, client and leased\n"
"                      address, verdict, rule, profile, bytes in and out,\n"
"                      connected since, posture age\n"
"    show DEVICE       one device: its session, its facts with their sources\n"
"                      and ages, the reasons, and its decisions in this run\n"
"    kick DEVICE       end the device's session; its cookie dies with it\n"
"    reload            re-read configuration, policy, inventory and CRL (as\n"
"                      SIGHUP does). A file with a problem is reported as\n"
"                      FILE:LINE and nothing changes; otherwise every live\n"
"                      session is re-evaluated and moved in place, or ended\n"
"                      when now denied\n"
"    policy-diff FILE  which live sessions FILE, a candidate policy, would\n"
"                      move to another verdict or profile; changes nothing.\n"
"                      FILE must be readable by the gateway's user\n"
"    stats             counters: handshakes, refusals by reason, decisions\n"
"                      by verdict, packets dropped by reason, bytes\n"
"\n"
"OPTIONS\n"
"    -s, --socket PATH  the control socket\n"
"    -c, --config FILE  take the socket from this gateway configuration\n"
"    Without either: the control-socket of " CTL_DEFAULT_CONF ",\n"
"    else " CTL_DEFAULT_SOCKET ".\n"
"    -j, --json         JSON output\n"
"    -h, --help         print this help and exit\n"
"\n"
"EXIT STATUS\n"
"    0  done\n"
"    1  the gateway refused or failed the command (its message on stderr)\n"
"    2  usage error\n"
"    3  the gateway could not be reached\n"
"\n"
"FILES\n"
"    " CTL_DEFAULT_CONF "   the installed gateway configuration\n"
"    " CTL_DEFAULT_SOCKET "   the control socket the systemd unit provides\n"
"\n"
"EXAMPLES\n"
"    posternctl sessions\n"
"    posternctl policy-diff /etc/postern/policy.conf.new\n"
"    posternctl --json show laptop-0042\n"
"\n"
"SEE ALSO\n"
"    posternd(8), postern-ca(1), postern-posture(1)\n", stdout);
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

/* The commands and whether they take an argument. */
static const struct {
	const char *name;
	bool arg;
} commands[] = {
	{ "status", false }, { "sessions", false }, { "stats", false }, { "reload", false },
	{ "show", true }, { "kick", true }, { "policy-diff", true },
};

static int command_arity(const char *name)
{
	for (size_t i = 0; i < CM_ARRAY_SIZE(commands); i++) {
		if (!strcmp(commands[i].name, name))
			return commands[i].arg;
	}
	return -1;
}

/* quiet: the installed config is only a default; say nothing when it does
 * not help, and fall back to the compiled-in socket. */
static int socket_from_config(const char *path, char *out, size_t len, bool quiet)
{
	struct gw_conf *conf = NULL;
	char err[4096];

	if (conf_gateway_reload(path, &conf, err, sizeof(err)) < 0) {
		if (!quiet)
			fprintf(stderr, "posternctl: %s",
				err[0] ? err : "the configuration does not load\n");
		return EXIT_UNREACHABLE;
	}
	if (!conf->control_socket) {
		if (!quiet)
			fprintf(stderr, "posternctl: %s sets no control-socket\n", path);
		conf_gateway_free(conf);
		return EXIT_UNREACHABLE;
	}
	snprintf(out, len, "%s", conf->control_socket);
	conf_gateway_free(conf);
	return 0;
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CTL_TIMEOUT };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "posternctl: %s: socket path too long\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "posternctl: cannot reach the gateway at %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Prints the body; returns the exit status the first line calls for. */
static int relay(int fd, const char *path)
{
	char buf[65536], status[1024];
	size_t slen = 0;
	bool in_status = true, got = false;
	int rc = EXIT_UNREACHABLE;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		size_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "posternctl: reading from %s: %s\n", path, strerror(errno));
			return EXIT_UNREACHABLE;
		}
		got = true;
		while (in_status && off < (size_t)n) {
			char ch = buf[off++];

			if (ch == '\n') {
				status[slen] = '\0';
				in_status = false;
				if (!strcmp(status, "ok")) {
					rc = 0;
				} else if (!strncmp(status, "error ", 6)) {
					fprintf(stderr, "posternctl: %s\n", status + 6);
					rc = EXIT_GATEWAY_ERROR;
				} else {
					fprintf(stderr, "posternctl: unexpected answer from %s\n", path);
					return EXIT_UNREACHABLE;
				}
			} else if (slen < sizeof(status) - 1) {
				status[slen++] = ch;
			}
		}
		if (!in_status && off < (size_t)n)
			fwrite(buf + off, 1, (size_t)n - off, stdout);
	}
	if (!got || in_status) {
		fprintf(stderr, "posternctl: %s closed the connection without an answer\n", path);
		return EXIT_UNREACHABLE;
	}
	if (fflush(stdout) != 0)
		return EXIT_GATEWAY_ERROR;
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *sock = NULL, *config = NULL, *cmd, *arg = NULL;
	char path[PATH_MAX], abs[PATH_MAX], *req = NULL;
	bool json = false;
	int ch, arity, fd, rc;

	while ((ch = getopt_long(argc, argv, "+s:c:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'c': config = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(); return 0;
		default:
			return usage_error("%s", "unknown option");
		}
	}
	if (sock && config)
		return usage_error("%s", "give -s or -c, not both");
	if (optind >= argc)
		return usage_error("%s", "no command");
	cmd = argv[optind++];
	/* --json may also follow the command. */
	if (optind < argc && !strcmp(argv[argc - 1], "--json")) {
		json = true;
		argc--;
	}
	arity = command_arity(cmd);
	if (arity < 0)
		return usage_error("unknown command '%.40s'", cmd);
	if (optind < argc)
		arg = argv[optind++];
	if (optind < argc || (arity && !arg) || (!arity && arg))
		return arity ? usage_error("%s takes one argument", cmd)
			     : usage_error("%s takes no argument", cmd);
	if (arg && strchr(arg, '\n'))
		return usage_error("%s", "an argument may not contain a line break");
	/* The gateway runs elsewhere (its own directory): send a full path. */
	if (!strcmp(cmd, "policy-diff")) {
		if (!realpath(arg, abs)) {
			fprintf(stderr, "posternctl: %s: %s\n", arg, strerror(errno));
			return EXIT_GATEWAY_ERROR;
		}
		arg = abs;
	}
	if (config) {
		rc = socket_from_config(config, path, sizeof(path), false);
		if (rc)
			return rc;
		sock = path;
	} else if (!sock) {
		/* The installed gateway's socket, else the one the unit provides. */
		sock = socket_from_config(CTL_DEFAULT_CONF, path, sizeof(path), true) == 0 ?
		       path : CTL_DEFAULT_SOCKET;
	}
	if (asprintf(&req, "%s %s%s%s\n", json ? "json" : "text", cmd, arg ? " " : "",
		     arg ? arg : "") < 0 || strlen(req) > 4000) {
		free(req);
		return usage_error("%s", "request too long");
	}
	fd = ctl_connect(sock);
	if (fd < 0) {
		free(req);
		return EXIT_UNREACHABLE;
	}
	if (send_all(fd, req, strlen(req)) < 0) {
		fprintf(stderr, "posternctl: sending to %s: %s\n", sock, strerror(errno));
		rc = EXIT_UNREACHABLE;
	} else {
		shutdown(fd, SHUT_WR);
		rc = relay(fd, sock);
	}
	close(fd);
	free(req);
	return rc;
}
