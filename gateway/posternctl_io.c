/* SPDX-License-Identifier: MIT */
/*
 * posternctl's side of the control socket: connect, send the request line,
 * read the answer. Its first line ("ok" or "error MESSAGE") becomes the
 * exit status; the body is printed as it comes (JSON), or whole with its
 * tables aligned by display width (text, common/table.h).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/table.h"
#include "gateway/posternctl.h"

#define CTL_TIMEOUT		60	/* seconds: a reload with a large inventory */

int ctl_connect(const char *path)
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

int ctl_send_all(int fd, const char *buf, size_t len)
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
int ctl_relay(int fd, const char *path, bool table)
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

int ctl_request(const char *sock, const char *req, char *body, size_t len)
{
	char status[1024];
	size_t slen = 0, got = 0, off;
	bool have_status = false;
	int fd = ctl_connect(sock), rc = EXIT_UNREACHABLE;
	ssize_t n;

	body[0] = '\0';
	if (fd < 0)
		return EXIT_UNREACHABLE;
	if (ctl_send_all(fd, req, strlen(req)) < 0 || shutdown(fd, SHUT_WR) < 0) {
		fprintf(stderr, "posternctl: sending to %s: %s\n", sock, strerror(errno));
		close(fd);
		return EXIT_UNREACHABLE;
	}
	while (got + 1 < len && (n = read(fd, body + got, len - 1 - got)) > 0)
		got += (size_t)n;
	body[got] = '\0';
	off = relay_status_line(body, got, status, &slen, &have_status);
	if (have_status)
		rc = relay_status(status, sock);
	else
		fprintf(stderr, "posternctl: %s closed the connection without an answer\n", sock);
	memmove(body, body + off, got - off + 1);
	close(fd);
	return rc;
}

/* ---- events: the answer that goes on ---- */

static volatile sig_atomic_t ctl_stop;

static void ctl_on_signal(int sig)
{
	ctl_stop = sig;
}

/*
 * Ctrl-C (SIGINT) and SIGTERM end the following cleanly. They are blocked
 * but while ppoll waits, so one that comes just before the wait is not
 * lost in a blocking read.
 */
static void ctl_follow_signals(sigset_t *waiting)
{
	struct sigaction sa = { .sa_handler = ctl_on_signal };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, waiting);
	sigdelset(waiting, SIGINT);
	sigdelset(waiting, SIGTERM);
}

/* The next bytes, or 0 at the end; -1 when a signal asks to stop or on an error. */
static ssize_t ctl_follow_read(int fd, char *buf, size_t len, const sigset_t *waiting)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (!ctl_stop) {
		if (ppoll(&pfd, 1, NULL, waiting) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		return read(fd, buf, len);
	}
	return -1;
}

int ctl_follow(int fd, const char *path)
{
	struct timeval none = { 0 };
	char buf[65536], status[1024];
	bool have_status = false;
	size_t slen = 0, off;
	sigset_t waiting;
	ssize_t n;
	int rc;

	/* Events take as long as they take: no time-out on reading. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	ctl_follow_signals(&waiting);
	while ((n = ctl_follow_read(fd, buf, sizeof(buf), &waiting)) > 0) {
		off = have_status ? 0 : relay_status_line(buf, (size_t)n, status, &slen, &have_status);
		if (have_status && off && (rc = relay_status(status, path)))
			return rc;
		if (have_status && off < (size_t)n &&
		    (fwrite(buf + off, 1, (size_t)n - off, stdout) != (size_t)n - off ||
		     fflush(stdout) != 0))
			return EXIT_GATEWAY_ERROR;
	}
	if (ctl_stop)
		return 0;
	if (n < 0)
		fprintf(stderr, "posternctl: reading from %s: %s\n", path, strerror(errno));
	else if (!have_status)
		fprintf(stderr, "posternctl: %s closed the connection without an answer\n", path);
	else
		fprintf(stderr, "posternctl: %s stopped sending events (the gateway stopped or "
			"restarted)\n", path);
	return EXIT_UNREACHABLE;
}
