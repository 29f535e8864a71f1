/* SPDX-License-Identifier: MIT */
/*
 * The network process's numbers for process_* (procstat.h), read so that
 * the sandbox allows it. Landlock (landlock.c) lets the process open files
 * only in the directories of its configuration, CRL, policy and inventory,
 * so /proc/self cannot be opened at scrape time. What a system call tells
 * is asked at scrape time: CPU time (clock_gettime of the process's CPU
 * clock, every thread's) and the descriptor limit (getrlimit). What only
 * /proc tells is opened once before the sandbox and kept: /proc/self/statm
 * (memory, read again with pread at offset 0, which makes procfs write it
 * anew) and /proc/self/fd (open descriptors, listed again after a rewind:
 * getdents64 is on the seccomp allowlist, sandbox.c, for this alone). Both
 * were resolved to this process when they were opened, as root; reading
 * an open procfs file needs no permission again. The start time is the
 * wall clock when the network process began (a restart by the supervisor
 * is a new process with a new start: counters start again from zero).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gateway/procstat.h"

static struct {
	uint64_t start_us;
	int statm;			/* /proc/self/statm, or -1 */
	DIR *fds;			/* /proc/self/fd, or NULL */
} proc = { 0, -1, NULL };

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void gw_proc_started(void)
{
	proc.start_us = clock_us(CLOCK_REALTIME);
}

int gw_proc_open(void)
{
	int fd, err = 0;

	gw_proc_close();
	proc.statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (proc.statm < 0)
		err = -errno;
	fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(proc.fds = fdopendir(fd))) {
		err = err ? err : -errno;
		if (fd >= 0)
			close(fd);
	}
	return err;
}

void gw_proc_close(void)
{
	if (proc.statm >= 0)
		close(proc.statm);
	if (proc.fds)
		closedir(proc.fds);
	proc.statm = -1;
	proc.fds = NULL;
}

/* statm: "size resident shared text lib data dt", in pages. */
static bool proc_mem(uint64_t *rss, uint64_t *vsize)
{
	char buf[256];
	ssize_t n = proc.statm >= 0 ? pread(proc.statm, buf, sizeof(buf) - 1, 0) : -1;
	uint64_t size, resident;
	long page = sysconf(_SC_PAGESIZE);

	if (n <= 0 || page <= 0)
		return false;
	buf[n] = '\0';
	if (sscanf(buf, "%" SCNu64 " %" SCNu64, &size, &resident) != 2)
		return false;
	*vsize = size * (uint64_t)page;
	*rss = resident * (uint64_t)page;
	return true;
}

/*
 * Every entry but . and ..; the listing's own descriptor is one of them,
 * and it is open for the process's life. Since Linux 6.2 the directory's
 * size is that count, kept by the kernel: listing 10 000 descriptors took
 * 10-25 ms, and a scrape runs holding every worker, so each one stalled
 * every tunnel that long. The listing is for older kernels (size 0).
 */
static bool proc_fds(uint64_t *n)
{
	struct dirent *e;
	struct stat st;

	if (!proc.fds)
		return false;
	if (fstat(dirfd(proc.fds), &st) == 0 && st.st_size > 0) {
		*n = (uint64_t)st.st_size;
		return true;
	}
	rewinddir(proc.fds);
	*n = 0;
	errno = 0;
	while ((e = readdir(proc.fds)))
		*n += e->d_name[0] != '.';
	return errno == 0;
}

void gw_proc_read(struct gw_proc *p)
{
	struct rlimit rl;

	p->start_us = proc.start_us;
	p->cpu_us = clock_us(CLOCK_PROCESS_CPUTIME_ID);
	p->have_mem = proc_mem(&p->rss_bytes, &p->vsize_bytes);
	p->have_fds = proc_fds(&p->open_fds);
	p->have_max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
	p->max_fds = p->have_max_fds ? (uint64_t)rl.rlim_cur : 0;
}
