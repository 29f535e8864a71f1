/* SPDX-License-Identifier: MIT */
/*
 * The supervisor: the process posternd starts as, and the one to signal.
 * It forks the network process (which sets up the TUN and the listeners,
 * drops privileges, enters its sandbox and serves), forwards reload,
 * log-reopen and stop signals to it, and starts it again when it ends
 * without being told to: a forbidden system call (status 159) or a crash
 * ends the network process and drops its tunnels, never the gateway, and
 * the next one takes its sessions and bans back from the records held
 * here (resume_store.c, restore.c). It reads nothing from the network and
 * parses no file; it keeps uid 0 and ten capabilities (gw_privs_limit)
 * only to set up the next network process, and to open for it the files
 * it re-reads (the file broker, broker.c). Orphaned descendants (a key
 * holder whose parent died) are reaped here: the supervisor is their
 * subreaper.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gateway/broker.h"
#include "gateway/log.h"
#include "gateway/resume_store.h"
#include "gateway/supervise.h"

/* The exit status of a network process its sandbox ended (128 + SIGSYS). */
#define SUPERVISE_SANDBOX_STATUS 159

static pid_t supervisor_pid;	/* 0 until gw_supervise runs */
static unsigned int supervise_restarts;
static int supervise_ready_fd = -1;	/* the network process's end */
static int supervise_broker_fd = -1;	/* the network process's end */
static int supervise_resume_fd = -1;	/* the network process's end */

pid_t gw_supervisor_pid(void)
{
	return supervisor_pid ? supervisor_pid : getpid();
}

unsigned int gw_supervise_restarts(void)
{
	return supervise_restarts;
}

int gw_supervise_broker_fd(void)
{
	return supervise_broker_fd;
}

int gw_supervise_resume_fd(void)
{
	return supervise_resume_fd;
}

void gw_supervise_ready(void)
{
	char c = 1;

	if (supervise_ready_fd < 0)
		return;
	if (write(supervise_ready_fd, &c, 1) < 0)
		gw_warn("cannot tell the supervisor the gateway serves: %s", strerror(errno));
	close(supervise_ready_fd);
	supervise_ready_fd = -1;
}

struct supervisor {
	gw_net_fn net;
	void *arg;
	const struct gw_broker_rules *files;
	int signal_fd;
	int broker_fd;		/* our end of the file broker's pair; -1: none */
	int resume_fd;		/* our end of the session records' pair; -1: none */
	pid_t child;		/* the network process; 0 when there is none */
	int ready_fd;		/* our end of its ready pipe; -1 once read */
	bool ready, stopping;
	time_t restarted[GW_RESTART_MAX];	/* when, a ring */
};

static void __attribute__((noreturn)) supervise_child(struct supervisor *s, int ready_fd,
							int broker_fd, int resume_fd)
{
	sigset_t chld;

	supervise_ready_fd = ready_fd;
	supervise_broker_fd = broker_fd;
	supervise_resume_fd = resume_fd;
	close(s->broker_fd);
	close(s->resume_fd);
	/* Never outlive the supervisor: no second gateway after a restart. */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() != supervisor_pid)
		_exit(1);
	close(s->signal_fd);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	exit(s->net(s->arg, supervise_restarts));
}

static void close_pair(int *p)
{
	close(p[0]);
	close(p[1]);
}

/* The session records' pair: datagrams, with room for many records in
 * flight (a login storm) before a put is dropped. */
static int supervise_resume_pair(int *r)
{
	int size = 4 << 20;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r) < 0)
		return -errno;
	setsockopt(r[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(r[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return 0;
}

static int supervise_start(struct supervisor *s)
{
	int p[2], b[2], r[2], err;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, b) < 0) {
		err = -errno;
		close_pair(p);
		return err;
	}
	err = supervise_resume_pair(r);
	if (err < 0) {
		close_pair(p);
		close_pair(b);
		return err;
	}
	if (s->broker_fd >= 0)
		close(s->broker_fd);
	s->broker_fd = b[0];
	if (s->resume_fd >= 0)
		close(s->resume_fd);
	s->resume_fd = r[0];
	s->child = fork();
	if (s->child < 0) {
		err = -errno;
		close_pair(p);
		close(b[1]);
		close(r[1]);
		s->child = 0;
		return err;
	}
	if (s->child == 0)
		supervise_child(s, p[1], b[1], r[1]);
	close(p[1]);
	close(b[1]);
	close(r[1]);
	/* The child took the records with it (restore.c) and puts back
	 * those that continue. */
	gw_resume_store_clear();
	s->ready_fd = p[0];
	s->ready = false;
	return 0;
}

/* The ready byte, or the pipe's end when the network process is gone. */
static void supervise_read_ready(struct supervisor *s)
{
	char c;

	if (s->ready_fd < 0)
		return;
	if (read(s->ready_fd, &c, 1) == 1)
		s->ready = true;
	close(s->ready_fd);
	s->ready_fd = -1;
}

/* Room for one more restart within the window? Records it if so. */
static bool supervise_may_restart(struct supervisor *s)
{
	time_t now = time(NULL);
	time_t *oldest = &s->restarted[supervise_restarts % GW_RESTART_MAX];

	if (supervise_restarts >= GW_RESTART_MAX && now - *oldest < GW_RESTART_WINDOW)
		return false;
	*oldest = now;
	return true;
}

static void supervise_why(int status, char *buf, size_t len)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == SUPERVISE_SANDBOX_STATUS)
		snprintf(buf, len, "its sandbox (a forbidden system call, named above)");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
}

/*
 * The network process ended with status: returns posternd's exit status,
 * or -1 when a new network process has been started.
 */
static int supervise_ended(struct supervisor *s, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	pid_t pid = s->child;
	char why[96];
	int err;

	s->child = 0;
	supervise_read_ready(s);
	/* What it put before it ended is in the pair still. */
	if (s->resume_fd >= 0 && (err = gw_resume_store_serve(s->resume_fd)) < 0 && err != -EPIPE)
		gw_warn("supervisor: reading the session records: %s", strerror(-err));
	if (s->stopping || (WIFEXITED(status) && code == 0))
		return code;
	if (!s->ready) {
		/* Its own messages said why; restarting would say it again. */
		gw_err("the network process (pid %d) ended during start-up (status %d): "
		       "not restarting it", (int)pid, code);
		return code ? code : 1;
	}
	supervise_why(status, why, sizeof(why));
	if (!supervise_may_restart(s)) {
		gw_err("the network process (pid %d) was ended by %s, after %d restarts within "
		       "%d s: giving up; posternd stops", (int)pid, why, GW_RESTART_MAX,
		       GW_RESTART_WINDOW);
		return 1;
	}
	supervise_restarts++;
	gw_err("the network process (pid %d) was ended by %s: its tunnels dropped; starting it "
	       "again with the %zu sessions and bans it held, for devices to reconnect to "
	       "(restart %u, at most %d in %d s)", (int)pid, why, gw_resume_store_count(),
	       supervise_restarts, GW_RESTART_MAX, GW_RESTART_WINDOW);
	err = supervise_start(s);
	if (err < 0) {
		gw_err("cannot start the network process again: %s; posternd stops", strerror(-err));
		return 1;
	}
	return -1;
}

/* Every descendant that ended: the network process, or an orphan. */
static int supervise_reap(struct supervisor *s)
{
	int status, rc = -1;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == s->child && rc < 0)
			rc = supervise_ended(s, status);
	return rc;
}

/* One signal: forwarded, or the start of the stop, or a reap. */
static int supervise_signal(struct supervisor *s, int signo)
{
	switch (signo) {
	case SIGCHLD:
		return supervise_reap(s);
	case SIGTERM:
	case SIGINT:
		s->stopping = true;
		if (s->child > 0)
			kill(s->child, SIGTERM);
		return s->child > 0 ? -1 : 0;
	default:
		if (s->child > 0)
			kill(s->child, signo);
		return -1;
	}
}

static int supervise_loop(struct supervisor *s)
{
	struct signalfd_siginfo si;
	int rc = -1;

	while (rc < 0) {
		struct pollfd p[4] = { { .fd = s->signal_fd, .events = POLLIN },
				       { .fd = s->broker_fd, .events = POLLIN },
				       { .fd = s->resume_fd, .events = POLLIN },
				       { .fd = s->ready_fd, .events = POLLIN } };

		if (poll(p, s->ready_fd >= 0 ? 4 : 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			gw_err("supervisor: poll: %s", strerror(errno));
			return 1;
		}
		if (s->ready_fd >= 0 && p[3].revents)
			supervise_read_ready(s);
		if (s->resume_fd >= 0 && p[2].revents && gw_resume_store_serve(s->resume_fd) < 0) {
			/* The network process is gone: what it sent was read. */
			close(s->resume_fd);
			s->resume_fd = -1;
		}
		if (s->broker_fd >= 0 && p[1].revents &&
		    gw_broker_serve(s->broker_fd, s->files) < 0) {
			close(s->broker_fd);
			s->broker_fd = -1;
		}
		while (rc < 0 && read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			rc = supervise_signal(s, (int)si.ssi_signo);
	}
	return rc;
}

int gw_supervise(gw_net_fn net, void *arg, const struct gw_broker_rules *files)
{
	struct supervisor s = { .net = net, .arg = arg, .files = files, .ready_fd = -1,
				.broker_fd = -1, .resume_fd = -1 };
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD };
	sigset_t set;
	int err, rc;

	supervisor_pid = getpid();
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return 1;
	s.signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s.signal_fd < 0) {
		gw_err("supervisor: signalfd: %s", strerror(errno));
		return 1;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* It holds the session records (cookies among them): no core dump. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	err = supervise_start(&s);
	if (err < 0) {
		gw_err("cannot start the network process: %s", strerror(-err));
		close(s.signal_fd);
		return 1;
	}
	rc = supervise_loop(&s);
	if (s.ready_fd >= 0)
		close(s.ready_fd);
	if (s.broker_fd >= 0)
		close(s.broker_fd);
	if (s.resume_fd >= 0)
		close(s.resume_fd);
	gw_resume_store_clear();
	close(s.signal_fd);
	return rc;
}
