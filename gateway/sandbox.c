/* SPDX-License-Identifier: MIT */
/*
 * The seccomp-bpf allowlists (libseccomp) of the two processes once they are
 * set up: the gateway (the workers that parse network input, and the
 * control plane in worker 0) and the key holder. Set up is everything that
 * needs more: the TUN device, the listeners, the netlink and event
 * descriptors, the key file, the threads' creation parameters. A system
 * call outside the list is a bug or an attack: the filter traps it
 * (SIGSYS) and the handler writes one line naming the call. In a worker
 * that said so (gw_sandbox_thread) only that thread ends: worker 0 sees
 * it and starts the worker again (worker.c). Anywhere else the process
 * ends with status 159 (128 + SIGSYS) — the supervisor (supervise.c)
 * starts a new one.
 *
 * Ending one thread is fault containment, not a boundary: the threads share
 * their memory. What keeps a compromised worker from the key, the files
 * and the other processes is the process's own sandbox, which every thread
 * has.
 *
 * The lists are what the running daemon does, found by running every
 * integration test under the filter: the event loop and its sockets,
 * memory, threads (created after the filter, so clone is allowed with the
 * flags pthread_create uses only), a netlink socket for the routing
 * table's local addresses (socket() for AF_NETLINK only), time, the
 * descriptors the supervisor's file broker hands over (recvmsg, read,
 * stat) and the exit. No open (refused with EACCES, not fatal), no exec,
 * no new sockets, no ptrace, no mount, no setuid.
 *
 * Before the filter, Landlock (landlock.c) takes the filesystem away but
 * for removing the control socket at the end.
 *
 * A sanitizer build (ASan with its leak check) needs ptrace and friends at
 * exit to find leaks: there the filter is not installed, and the gateway
 * says so at start and in its status (gw_sandbox_state), in words the
 * tests' "no sanitizer report" check does not mistake for a report.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "gateway/log.h"
#include "gateway/privs.h"
#include "gateway/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifndef SANDBOX_SANITIZER
#define SANDBOX_SANITIZER 0
#endif
/* si_code of a seccomp trap (the kernel's asm-generic/siginfo.h; glibc's
 * headers do not carry it). */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static char sandbox_state[200] = "off";
static int sandbox_landlock;
/* The calling thread's, when it may end alone (gw_sandbox_thread). */
static __thread const char *sandbox_who;
static __thread void (*sandbox_ended)(void *arg, int nr);
static __thread void *sandbox_arg;

void gw_sandbox_thread(const char *who, void (*ended)(void *arg, int nr), void *arg)
{
	sandbox_who = who;
	sandbox_arg = arg;
	sandbox_ended = ended;
}

const char *gw_sandbox_state(void)
{
	return sandbox_state;
}

int gw_sandbox_landlock(void)
{
	return sandbox_landlock;
}

/* Both processes: memory, time, signals, exit, randomness, logging. */
static const char *const sandbox_common[] = {
	"read", "write", "readv", "writev", "close", "fstat", "newfstatat", "lseek",
	"mmap", "munmap", "mremap", "madvise", "brk", "mprotect",
	"futex", "exit", "exit_group", "getpid", "gettid", "tgkill",
	"rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "sigaltstack", "restart_syscall",
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
	"getrandom", "sched_yield", "rseq", "set_robust_list", "getuid", "geteuid",
	"getgid", "getegid", "poll", "ppoll",
};

/* The gateway's own: its loops, sockets, threads and the files it re-reads. */
static const char *const sandbox_gateway[] = {
	"epoll_wait", "epoll_pwait", "epoll_ctl",
	"recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg",
	"accept4", "shutdown", "setsockopt", "getsockopt", "getsockname", "getpeername",
	"ioctl", "fcntl", "timerfd_settime", "timerfd_gettime",
	"statx", "pread64", "dup3", "unlinkat", "unlink", "readlink", "readlinkat",
	"getcwd", "access", "faccessat", "faccessat2",
	"getrlimit", "prlimit64", "wait4", "sched_getaffinity", "membarrier",
	"set_tid_address", "madvise",
	/* process_open_fds: /proc/self/fd, opened before the sandbox, listed
	 * again at each scrape (procstat.c). */
	"getdents64",
};

/* The key holder's: its channels. */
static const char *const sandbox_key_holder[] = { "recvfrom", "sendto" };

/* pthread_create's clone: a thread of this process, never a new process. */
#define SANDBOX_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
			      CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | \
			      CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

void gw_sandbox_call_name(int nr, char *buf, size_t len)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	snprintf(buf, len, "%s", name ? name : "?");
	free(name);
}

static void sandbox_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char line[240], *name;
	int n;

	(void)sig;
	(void)ctx;
	/* Only the filter's own trap: a SIGSYS sent by kill() or tgkill()
	 * carries no system call and ends nothing. */
	if (si->si_code != SYS_SECCOMP)
		return;
	/* Allocates: safe here, as the call it traps was never made from
	 * inside malloc (malloc's own calls are all allowed). */
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, si->si_syscall);
	if (sandbox_ended)
		n = snprintf(line, sizeof(line), "posternd: error: sandbox: forbidden system call "
			     "%s (%d) in %s (thread %ld of pid %d): ending that thread, the "
			     "others keep serving\n", name ? name : "?", si->si_syscall,
			     sandbox_who, (long)syscall(SYS_gettid), (int)getpid());
	else
		n = snprintf(line, sizeof(line), "posternd: error: sandbox: forbidden system call "
			     "%s (%d) in pid %d: ending the process (the supervisor starts a "
			     "new one)\n", name ? name : "?", si->si_syscall, (int)getpid());
	free(name);
	/* Async-signal-safe enough: one write, then the end. */
	if (n > 0 && write(2, line, (size_t)n) < 0)
		n = 0;
	if (!sandbox_ended)
		_exit(128 + SIGSYS);
	sandbox_ended(sandbox_arg, si->si_syscall);
	/* exit, not exit_group: this thread only. The kernel clears its id
	 * (pthread_join returns) and hands its robust mutexes on. */
	syscall(SYS_exit, 0);
}

static int sandbox_add(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;		/* not on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			return -EINVAL;
	}
	return 0;
}

int gw_sandbox_enter(enum gw_sandbox_kind kind, const struct gw_landlock *fs)
{
	struct sigaction sa = { .sa_sigaction = sandbox_sigsys, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;
	int err;

	if (SANDBOX_SANITIZER) {
		snprintf(sandbox_state, sizeof(sandbox_state),
			 "off (built with sanitizers: their leak check needs ptrace at exit)");
		return 0;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	err = gw_landlock_enter(fs);
	if (err < 0)
		return err;
	sandbox_landlock = err;
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	err = sandbox_add(ctx, sandbox_common, sizeof(sandbox_common) / sizeof(sandbox_common[0]));
	if (!err && kind == GW_SANDBOX_KEY_HOLDER)
		err = sandbox_add(ctx, sandbox_key_holder,
				  sizeof(sandbox_key_holder) / sizeof(sandbox_key_holder[0]));
	if (!err && kind == GW_SANDBOX_GATEWAY) {
		err = sandbox_add(ctx, sandbox_gateway,
				  sizeof(sandbox_gateway) / sizeof(sandbox_gateway[0]));
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
					       SCMP_A0(SCMP_CMP_MASKED_EQ, SANDBOX_THREAD_FLAGS,
						       SANDBOX_THREAD_FLAGS));
		/* The local-address watch dumps the routing table again on a
		 * netlink socket of its own: netlink only, no other socket. */
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
					       SCMP_A0(SCMP_CMP_EQ, AF_NETLINK));
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(bind), 0);
		/* A worker names its thread (ps -L, top -H): that prctl only. */
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
					       SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
		/* Files come from the supervisor (broker.c): an open of its
		 * own is refused, not fatal, as the library code that may try
		 * one (a time zone file) copes with a refusal. */
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
		/* clone3 passes its flags in memory, out of a filter's reach:
		 * ENOSYS makes glibc fall back to clone, checked above. */
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	}
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err < 0)
		return err;
	if (sandbox_landlock)
		snprintf(sandbox_state, sizeof(sandbox_state), "on (seccomp allowlist, no new "
			 "privileges, landlock ABI %d: no filesystem, files opened by the "
			 "supervisor; no TCP bind or connect, no signals out)", sandbox_landlock);
	else if (gw_privs_empty_rooted())
		snprintf(sandbox_state, sizeof(sandbox_state), "on (seccomp allowlist, no new "
			 "privileges, an empty root directory, files opened by the supervisor; "
			 "NO LANDLOCK: no limit on TCP bind or connect nor on signals out)");
	else
		snprintf(sandbox_state, sizeof(sandbox_state), "on (seccomp allowlist, no new "
			 "privileges, no open of its own, files opened by the supervisor; NO "
			 "LANDLOCK and no empty root: paths stay visible)");
	return 0;
}
