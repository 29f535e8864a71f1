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
 * - stat, realpath: the same paths as read, the directories themselves
 *   and the audit log's directory (the loaders check them; the watches
 *   stat the CRL and the inventory each second), resolved and looked at
 *   with the user's file-system ids; the answer is the few fields of the
 *   stat the network process uses, or the resolved path.
 * Without Landlock the network process stands in an empty root directory
 * (privs.c), where only these answers reach any file.
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

enum { BROKER_READ = 'r', BROKER_APPEND = 'a', BROKER_STAT = 's', BROKER_REALPATH = 'p' };

struct broker_request {
	char op;
	char path[PATH_MAX];
};

/* The answer to a stat: what the loaders and the watches look at. */
struct broker_stat {
	uint64_t dev, ino, size;
	uint32_t mode;
	int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
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

/* Between these, the kernel checks the rules' user's permissions, not root's. */
static void broker_as_user(const struct gw_broker_rules *r)
{
	setfsgid(r->gid);
	setfsuid(r->uid);
}

static void broker_as_self(void)
{
	setfsuid(geteuid());
	setfsgid(getegid());
}

static int broker_open_as(const struct gw_broker_rules *r, const char *path, int flags)
{
	struct stat st;
	int fd, err = 0;

	broker_as_user(r);
	fd = open(path, flags, 0640);
	if (fd < 0)
		err = -errno;
	broker_as_self();
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

/* A path a stat or realpath may look at (resolved gets its real path). */
static int broker_may_see(const struct gw_broker_rules *r, const char *path, char *resolved)
{
	char buf[PATH_MAX], dir[PATH_MAX];
	const char *d;
	int err = gw_broker_may_read(r, path, resolved);

	if (err != -EACCES || path[0] != '/')
		return err;
	for (size_t i = 0; i < r->n_dirs; i++)
		if (!strcmp(resolved, r->dir[i]))
			return 0;
	d = r->append[0] ? gw_landlock_dir(r->append, buf, sizeof(buf)) : NULL;
	if (d && realpath(d, dir) && !strcmp(resolved, dir))
		return 0;
	return -EACCES;
}

/* A stat or realpath, as the rules' user: the answer's payload in out. */
static int broker_look(const struct gw_broker_rules *r, const struct broker_request *rq,
		       void *out, size_t *len)
{
	char resolved[PATH_MAX];
	struct stat st;
	int err;

	broker_as_user(r);
	err = broker_may_see(r, rq->path, resolved);
	if (!err && rq->op == BROKER_STAT && stat(resolved, &st) < 0)
		err = -errno;
	broker_as_self();
	if (err)
		return err;
	if (rq->op == BROKER_REALPATH) {
		*len = strlen(resolved) + 1;
		memcpy(out, resolved, *len);
		return 0;
	}
	*(struct broker_stat *)out = (struct broker_stat){
		.dev = st.st_dev, .ino = st.st_ino, .size = (uint64_t)st.st_size,
		.mode = st.st_mode, .mtime_sec = st.st_mtim.tv_sec,
		.mtime_nsec = st.st_mtim.tv_nsec, .ctime_sec = st.st_ctim.tv_sec,
		.ctime_nsec = st.st_ctim.tv_nsec,
	};
	*len = sizeof(struct broker_stat);
	return 0;
}

/* The answer: res, an errno (< 0) or 0; with 0, the descriptor fd (when
 * >= 0) and len bytes of payload. */
static int broker_reply(int sock, int res, int fd, const void *payload, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	int32_t err = res < 0 ? -res : 0;
	struct iovec iov[2] = { { .iov_base = &err, .iov_len = sizeof(err) },
				{ .iov_base = (void *)payload, .iov_len = err ? 0 : len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

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
	union {
		struct broker_stat st;
		char path[PATH_MAX];
	} out;
	size_t len = 0;
	int fd, res, ret;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 2 || !memchr("rasp", rq.op, 4) || !memchr(rq.path, '\0', (size_t)n - 1)) {
		if (n != 0)
			gw_err("file broker: a malformed request (%zd bytes): no more files for "
			       "the network process", n);
		return -1;
	}
	if (rq.op == BROKER_STAT || rq.op == BROKER_REALPATH) {
		res = broker_look(r, &rq, &out, &len);
		fd = -1;
	} else {
		res = fd = broker_open(r, &rq);
	}
	if (res == -EACCES)
		gw_warn("file broker: refused to %s %s for the network process: not one of the "
			"files the configuration names", rq.op == BROKER_READ ? "open (read)" :
			rq.op == BROKER_APPEND ? "open (append)" : rq.op == BROKER_STAT ? "stat" :
			"resolve", rq.path);
	ret = broker_reply(sock, res < 0 ? res : 0, fd, &out, len);
	if (fd >= 0)
		close(fd);
	return ret < 0 ? -1 : 0;
}

/* ---- the network process's side ---- */

static int broker_fd = -1;
static pthread_mutex_t broker_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * One request, one answer: -errno, or 0 with the descriptor in *fd (-1
 * when none came) and the payload in out (at most cap bytes; its length
 * in *len).
 */
static int broker_call(char op, const char *path, int *fd, void *out, size_t cap, size_t *len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct broker_request rq = { .op = op };
	size_t plen = strlen(path);
	int32_t err = EIO;
	struct iovec iov[2] = { { .iov_base = &err, .iov_len = sizeof(err) },
				{ .iov_base = out, .iov_len = cap } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n = -1;
	int ret = -EIO;

	*fd = -1;
	*len = 0;
	if (plen >= sizeof(rq.path))
		return -ENAMETOOLONG;
	memcpy(rq.path, path, plen + 1);
	pthread_mutex_lock(&broker_lock);
	if (send(broker_fd, &rq, 1 + plen + 1, MSG_NOSIGNAL) < 0)
		ret = -errno;
	else
		n = recvmsg(broker_fd, &msg, MSG_CMSG_CLOEXEC);
	pthread_mutex_unlock(&broker_lock);
	c = n >= (ssize_t)sizeof(err) ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n < (ssize_t)sizeof(err))
		return ret;
	if (err) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -err;
	}
	*len = (size_t)n - sizeof(err);
	return 0;
}

static int broker_open_read(const char *path)
{
	size_t len;
	int fd, err = broker_call(BROKER_READ, path, &fd, NULL, 0, &len);

	return err ? err : fd >= 0 ? fd : -EIO;
}

static int broker_stat(const char *path, struct stat *st)
{
	struct broker_stat bs;
	size_t len;
	int fd, err = broker_call(BROKER_STAT, path, &fd, &bs, sizeof(bs), &len);

	if (fd >= 0)
		close(fd);
	if (err)
		return err;
	if (len != sizeof(bs))
		return -EIO;
	memset(st, 0, sizeof(*st));
	st->st_dev = (dev_t)bs.dev;
	st->st_ino = (ino_t)bs.ino;
	st->st_size = (off_t)bs.size;
	st->st_mode = (mode_t)bs.mode;
	st->st_mtim = (struct timespec){ (time_t)bs.mtime_sec, (long)bs.mtime_nsec };
	st->st_ctim = (struct timespec){ (time_t)bs.ctime_sec, (long)bs.ctime_nsec };
	return 0;
}

static int broker_realpath(const char *path, char *resolved)
{
	size_t len;
	int fd, err = broker_call(BROKER_REALPATH, path, &fd, resolved, PATH_MAX, &len);

	if (fd >= 0)
		close(fd);
	if (err)
		return err;
	if (!len || resolved[len - 1] != '\0')
		return -EIO;
	return 0;
}

static const struct cm_file_ops broker_ops = {
	.open = broker_open_read, .stat = broker_stat, .realpath = broker_realpath,
};

void gw_broker_use(int fd)
{
	broker_fd = fd;
	cm_file_set_ops(fd >= 0 ? &broker_ops : NULL);
}

int gw_broker_open_append(const char *path)
{
	int fd;

	if (broker_fd >= 0) {
		size_t len;
		int err = broker_call(BROKER_APPEND, path, &fd, NULL, 0, &len);

		return err ? err : fd >= 0 ? fd : -EIO;
	}
	fd = open(path, BROKER_APPEND_FLAGS, 0640);
	return fd < 0 ? -errno : fd;
}
