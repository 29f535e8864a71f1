/* SPDX-License-Identifier: MIT */
/*
 * The file broker. The network process has no filesystem of its own: its
 * sandbox refuses open (seccomp) and every path (Landlock). What it must
 * re-read while it runs (the configuration, CA, CRL, policy and inventory
 * on a reload or a change; the audit log after logrotate) it asks the
 * supervisor for over a socket pair, one request at a time: a path and
 * read or append. The supervisor checks the request before it opens
 * anything, as the network process's user (file-system ids, so that its
 * permissions decide, not root's), and hands over the descriptor:
 * - read: the real path (symbolic links resolved) lies beneath one of the
 *   directories of the files the configuration names, and is a regular
 *   file (a FIFO or a device is refused before it is read);
 * - append: the configured audit log, that path exactly, never following
 *   a symbolic link.
 * Anything else gets EACCES and a log line. A request is a path of at most
 * PATH_MAX bytes, NUL-terminated; a malformed one ends the broker.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "gateway/broker.h"
#include "gateway/landlock.h"
#include "gateway/log.h"

enum { BROKER_READ = 'r', BROKER_APPEND = 'a' };

struct broker_request {
	char op;
	char path[PATH_MAX];
};

#define BROKER_READ_FLAGS	(O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
#define BROKER_APPEND_FLAGS	(O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)

int gw_broker_rules_add(struct gw_broker_rules *r, const char *path)
{
	char buf[PATH_MAX];
	const char *dir = gw_landlock_dir(path, buf, sizeof(buf));

	if (!dir)
		return 0;
	if (r->n_dirs == GW_BROKER_DIRS)
		return -ENOSPC;
	if (!realpath(dir, r->dir[r->n_dirs]))
		return errno == ENOENT ? 0 : -errno;
	r->n_dirs++;
	return 0;
}

int gw_broker_may_read(const struct gw_broker_rules *r, const char *path, char *resolved)
{
	if (path[0] != '/')
		return -EACCES;
	if (!realpath(path, resolved))
		return -errno;
	for (size_t i = 0; i < r->n_dirs; i++) {
		size_t n = strlen(r->dir[i]);

		if (!strncmp(resolved, r->dir[i], n) &&
		    (resolved[n] == '/' || (n == 1 && resolved[0] == '/')))
			return 0;
	}
	return -EACCES;
}

/* Opens as the rules' user: the kernel checks its permissions, not root's. */
static int broker_open_as(const struct gw_broker_rules *r, const char *path, int flags)
{
	struct stat st;
	int fd, err = 0;

	setfsgid(r->gid);
	setfsuid(r->uid);
	fd = open(path, flags, 0640);
	if (fd < 0)
		err = -errno;
	setfsuid(geteuid());
	setfsgid(getegid());
	if (err)
		return err;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static int broker_open(const struct gw_broker_rules *r, const struct broker_request *rq)
{
	char resolved[PATH_MAX];
	int err;

	if (rq->op == BROKER_APPEND) {
		if (!r->append[0] || strcmp(rq->path, r->append))
			return -EACCES;
		return broker_open_as(r, rq->path, BROKER_APPEND_FLAGS);
	}
	err = gw_broker_may_read(r, rq->path, resolved);
	return err ? err : broker_open_as(r, resolved, BROKER_READ_FLAGS);
}

/* The answer: an errno, and the descriptor when it is 0. */
static int broker_reply(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	int32_t err = fd < 0 ? -fd : 0;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int gw_broker_serve(int sock, const struct gw_broker_rules *r)
{
	struct broker_request rq;
	ssize_t n = recv(sock, &rq, sizeof(rq), MSG_DONTWAIT);
	int fd, ret;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 2 || (rq.op != BROKER_READ && rq.op != BROKER_APPEND) ||
	    !memchr(rq.path, '\0', (size_t)n - 1)) {
		if (n != 0)
			gw_err("file broker: a malformed request (%zd bytes): no more files for "
			       "the network process", n);
		return -1;
	}
	fd = broker_open(r, &rq);
	if (fd == -EACCES)
		gw_warn("file broker: refused to open %s for the network process (%s): not one "
			"of the files the configuration names", rq.path,
			rq.op == BROKER_READ ? "read" : "append");
	ret = broker_reply(sock, fd);
	if (fd >= 0)
		close(fd);
	return ret < 0 ? -1 : 0;
}

/* ---- the network process's side ---- */

static int broker_fd = -1;
static pthread_mutex_t broker_lock = PTHREAD_MUTEX_INITIALIZER;

static int broker_request(char op, const char *path)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct broker_request rq = { .op = op };
	size_t len = strlen(path);
	int32_t err = EIO;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int fd = -EIO;

	if (len >= sizeof(rq.path))
		return -ENAMETOOLONG;
	memcpy(rq.path, path, len + 1);
	pthread_mutex_lock(&broker_lock);
	if (send(broker_fd, &rq, 1 + len + 1, MSG_NOSIGNAL) < 0)
		fd = -errno;
	else if (recvmsg(broker_fd, &msg, MSG_CMSG_CLOEXEC) == (ssize_t)sizeof(err))
		fd = err ? -err : -EIO;
	pthread_mutex_unlock(&broker_lock);
	c = fd == -EIO && !err ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int broker_open_read(const char *path)
{
	return broker_request(BROKER_READ, path);
}

void gw_broker_use(int fd)
{
	broker_fd = fd;
	cm_file_set_opener(fd >= 0 ? broker_open_read : NULL);
}

int gw_broker_open_append(const char *path)
{
	int fd;

	if (broker_fd >= 0)
		return broker_request(BROKER_APPEND, path);
	fd = open(path, BROKER_APPEND_FLAGS, 0640);
	return fd < 0 ? -errno : fd;
}
