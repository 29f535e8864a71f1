/* SPDX-License-Identifier: MIT */
/*
 * The file broker's checks: what the supervisor opens for the network
 * process, and what it refuses. Real files in a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"
#include "gateway/broker.h"
#include "tests/unit/unit.h"

static char root[PATH_MAX], etc[PATH_MAX + 8], other[PATH_MAX + 8], logs[PATH_MAX + 8];

/* dir/name, in a buffer of its own per call site's turn. */
static const char *at(const char *dir, const char *name)
{
	static char p[PATH_MAX * 2 + 2];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX * 2];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void setup(struct gw_broker_rules *r)
{
	char p[PATH_MAX * 2];

	snprintf(root, sizeof(root), "/tmp/postern-broker.XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	snprintf(etc, sizeof(etc), "%s/etc", root);
	snprintf(other, sizeof(other), "%s/other", root);
	snprintf(logs, sizeof(logs), "%s/log", root);
	mkdir(etc, 0755);
	mkdir(other, 0755);
	mkdir(logs, 0755);
	put(etc, "posternd.conf", "listen = \"::\"\n");
	put(other, "secret", "not for the network process\n");
	snprintf(p, sizeof(p), "%s/escape", etc);
	CHECK_EQ_INT(symlink("../other/secret", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", etc);
	CHECK_EQ_INT(mkfifo(p, 0600), 0);
	memset(r, 0, sizeof(*r));
	snprintf(p, sizeof(p), "%s/posternd.conf", etc);
	CHECK_EQ_INT(gw_broker_rules_add(r, p), 0);
	CHECK(strlen(at(logs, "audit.log")) < sizeof(r->append));
	memcpy(r->append, at(logs, "audit.log"), strlen(at(logs, "audit.log")) + 1);
	r->uid = geteuid();
	r->gid = getegid();
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK_EQ_INT(system(cmd), 0);
}

static int may(const struct gw_broker_rules *r, const char *path)
{
	char resolved[PATH_MAX];

	return gw_broker_may_read(r, path, resolved);
}

static void test_may_read(void)
{
	struct gw_broker_rules r;

	setup(&r);
	CHECK_EQ_INT((int)r.n_dirs, 1);
	CHECK_EQ_INT(may(&r, at(etc, "posternd.conf")), 0);
	CHECK_EQ_INT(may(&r, at(other, "secret")), -EACCES);
	CHECK_EQ_INT(may(&r, at(etc, "../other/secret")), -EACCES);
	CHECK_EQ_INT(may(&r, at(etc, "escape")), -EACCES);	/* a link out */
	CHECK_EQ_INT(may(&r, at(etc, "missing")), -ENOENT);
	CHECK_EQ_INT(may(&r, "etc/posternd.conf"), -EACCES);	/* relative */
	CHECK_EQ_INT(may(&r, "/etc/passwd"), -EACCES);
	/* A sibling whose name starts with the directory's is not beneath it. */
	{
		char p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "%s2", etc);
		mkdir(p, 0755);
		put(p, "x", "y");
		CHECK_EQ_INT(may(&r, at(p, "x")), -EACCES);
	}
	teardown();
}

/* The supervisor's side in a child serving r; this process uses the
 * other end (*sv). */
static pid_t broker_start(const struct gw_broker_rules *r, int *sv)
{
	int pair[2];
	pid_t pid;

	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
	pid = fork();
	if (pid == 0) {
		close(pair[1]);
		while (gw_broker_serve(pair[0], r) == 0)
			;
		_exit(0);
	}
	close(pair[0]);
	gw_broker_use(pair[1]);
	*sv = pair[1];
	return pid;
}

static void broker_stop(int sv, pid_t pid)
{
	gw_broker_use(-1);
	close(sv);
	waitpid(pid, NULL, 0);
}

/* The whole exchange over a socket pair, as the processes make it. */
static void test_exchange(void)
{
	struct gw_broker_rules r;
	char p[PATH_MAX * 2], *buf = NULL;
	size_t len = 0;
	int sv, fd;
	pid_t pid;

	setup(&r);
	pid = broker_start(&r, &sv);
	snprintf(p, sizeof(p), "%s/posternd.conf", etc);
	CHECK_EQ_INT(cm_file_read(p, 4096, &buf, &len), 0);
	CHECK(buf && !strcmp(buf, "listen = \"::\"\n"));
	free(buf);
	snprintf(p, sizeof(p), "%s/secret", other);
	CHECK_EQ_INT(cm_file_open(p), -EACCES);
	snprintf(p, sizeof(p), "%s/escape", etc);
	CHECK_EQ_INT(cm_file_open(p), -EACCES);
	snprintf(p, sizeof(p), "%s/fifo", etc);
	CHECK_EQ_INT(cm_file_open(p), -EINVAL);		/* never opened for reading */
	fd = gw_broker_open_append(r.append);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_EQ_INT((int)write(fd, "x\n", 2), 2);
		close(fd);
	}
	snprintf(p, sizeof(p), "%s/other.log", etc);
	CHECK_EQ_INT(gw_broker_open_append(p), -EACCES);	/* only the audit log */
	broker_stop(sv, pid);
	teardown();
}

/* stat and realpath through the broker: what a loader and a watch ask. */
static void test_look(void)
{
	struct gw_broker_rules r;
	struct stat st, direct;
	char *res, want[PATH_MAX];
	int sv;
	pid_t pid;

	setup(&r);
	pid = broker_start(&r, &sv);
	CHECK_EQ_INT(cm_file_stat(at(etc, "posternd.conf"), &st), 0);
	CHECK_EQ_INT(stat(at(etc, "posternd.conf"), &direct), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_size == 14);
	CHECK(st.st_ino == direct.st_ino && st.st_dev == direct.st_dev);
	CHECK(st.st_mtim.tv_sec == direct.st_mtim.tv_sec &&
	      st.st_mtim.tv_nsec == direct.st_mtim.tv_nsec);
	CHECK(st.st_ctim.tv_nsec == direct.st_ctim.tv_nsec);
	CHECK_EQ_INT(cm_file_stat(etc, &st), 0);		/* the directory itself */
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ_INT(cm_file_stat(logs, &st), 0);		/* the audit log's directory */
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ_INT(cm_file_stat(at(etc, "none"), &st), -ENOENT);
	CHECK_EQ_INT(cm_file_stat(at(other, "secret"), &st), -EACCES);
	CHECK_EQ_INT(cm_file_stat(at(etc, "escape"), &st), -EACCES);	/* resolved first */
	CHECK_EQ_INT(cm_file_stat(root, &st), -EACCES);	/* above them */
	CHECK_EQ_INT(cm_file_stat("etc/posternd.conf", &st), -EACCES);	/* relative */
	CHECK(realpath(etc, want) != NULL);
	res = cm_file_realpath(etc);
	CHECK(res && !strcmp(res, want));
	free(res);
	errno = 0;
	CHECK(cm_file_realpath(other) == NULL && errno == EACCES);
	broker_stop(sv, pid);
	teardown();
}

int main(void)
{
	RUN(test_may_read);
	RUN(test_exchange);
	RUN(test_look);
	UNIT_EXIT();
}
