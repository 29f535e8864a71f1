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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/macros.h"
#include "common/table.h"
#include "conf/conf.h"
#include "gateway/ctlcmd.h"

#define CTL_DEFAULT_SOCKET	"/run/postern/posternd.sock"
#define CTL_DEFAULT_CONF	"/etc/postern/posternd.conf"
#define CTL_TIMEOUT		60	/* seconds: a reload with a large inventory */
#define EXIT_GATEWAY_ERROR	1
#define EXIT_USAGE		2
#define EXIT_UNREACHABLE	3

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

/* The answer's first line, "ok" or "error MESSAGE", as an exit status. */
static int relay_status(const char *status, const char *path)
{
	if (!strcmp(status, "ok"))
		return 0;
	if (!strncmp(status, "error ", 6)) {
		fprintf(stderr, "posternctl: %s\n", status + 6);
		return EXIT_GATEWAY_ERROR;
	}
	fprintf(stderr, "posternctl: unexpected answer from %s\n", path);
	return EXIT_UNREACHABLE;
}

/* The body: as it comes (JSON), or whole and then its tables aligned (text). */
struct relay_body {
	bool table;
	char *buf;
	size_t len, cap;
};

static int relay_body_add(struct relay_body *b, const char *p, size_t n)
{
	char *more;

	if (!b->table)
		return fwrite(p, 1, n, stdout) == n ? 0 : -EIO;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		more = realloc(b->buf, b->cap);
		if (!more)
			return -ENOMEM;
		b->buf = more;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

static int relay_body_end(struct relay_body *b)
{
	int err = b->table && b->len ? cm_table_print(stdout, b->buf, b->len) : 0;

	free(b->buf);
	if (fflush(stdout) != 0 || err)
		return EXIT_GATEWAY_ERROR;
	return 0;
}

/* The status line from buf (n bytes); returns how many bytes it took. */
static size_t relay_status_line(const char *buf, size_t n, char *status, size_t *slen,
				bool *done)
{
	size_t off = 0;

	while (!*done && off < n) {
		char ch = buf[off++];

		if (ch == '\n') {
			status[*slen] = '\0';
			*done = true;
		} else if (*slen < 1023) {
			status[(*slen)++] = ch;
		}
	}
	return off;
}

/* Prints the body; returns the exit status the first line calls for. */
static int relay(int fd, const char *path, bool table)
{
	struct relay_body body = { .table = table };
	char buf[65536], status[1024];
	size_t slen = 0, off;
	bool have_status = false;
	int rc = EXIT_UNREACHABLE;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "posternctl: reading from %s: %s\n", path, strerror(errno));
			free(body.buf);
			return EXIT_UNREACHABLE;
		}
		off = have_status ? 0 : relay_status_line(buf, (size_t)n, status, &slen, &have_status);
		if (have_status && off && (rc = relay_status(status, path)) == EXIT_UNREACHABLE)
			break;
		if (have_status && off < (size_t)n && relay_body_add(&body, buf + off, (size_t)n - off)) {
			rc = EXIT_GATEWAY_ERROR;
			break;
		}
	}
	if (!have_status) {
		fprintf(stderr, "posternctl: %s closed the connection without an answer\n", path);
		rc = EXIT_UNREACHABLE;
	}
	if (rc == EXIT_UNREACHABLE) {
		free(body.buf);
		return rc;
	}
	return relay_body_end(&body) ? EXIT_GATEWAY_ERROR : rc;
}

/*
 * The command's argument as the table wants it: none, or exactly one, a
 * FILE made absolute in abs. 0, or the exit status of a usage error.
 */
static int command_arg(const char *name, int argc, char **argv, const char **arg,
		       char abs[PATH_MAX])
{
	const struct gw_ctlcmd *cmd = gw_ctlcmd_find(name);

	*arg = NULL;
	if (!cmd)
		return usage_unknown(name);
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
	bool json = false;
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
	if (send_all(fd, req, strlen(req)) < 0) {
		fprintf(stderr, "posternctl: sending to %s: %s\n", sock, strerror(errno));
		rc = EXIT_UNREACHABLE;
	} else {
		shutdown(fd, SHUT_WR);
		rc = relay(fd, sock, !json);
	}
	close(fd);
	free(req);
	return rc;
}
