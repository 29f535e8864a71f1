/* SPDX-License-Identifier: MIT */
/*
 * posternctl's side of the control socket: connect, send the request line,
 * read the answer. Its first line ("ok" or "error MESSAGE") becomes the
 * exit status; the body is printed as it comes (JSON), or whole with its
 * tables aligned by display width (text, common/table.h).
 */
#include <errno.h>
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
