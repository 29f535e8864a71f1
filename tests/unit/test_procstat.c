/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gateway/procstat.c in this process: before gw_proc_open
 * only what system calls tell is known (CPU time, the descriptor limit);
 * after it, the start time gw_proc_started marked, memory from statm, and
 * the open descriptors, which follow a descriptor opened and closed after
 * the listing was opened (the listing is read again, not remembered);
 * after gw_proc_close, nothing of /proc again.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "gateway/procstat.h"
#include "tests/unit/unit.h"

static void test_before_open(void)
{
	struct gw_proc p;
	struct rlimit rl;

	gw_proc_read(&p);
	CHECK_EQ_INT(p.start_us, 0);
	CHECK(!p.have_mem && !p.have_fds);
	CHECK(p.have_max_fds);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && p.max_fds == (uint64_t)rl.rlim_cur);
}

static void test_open(void)
{
	struct gw_proc p, q;
	uint64_t now = (uint64_t)time(NULL) * 1000000u;
	int fd;

	gw_proc_started();
	CHECK_EQ_INT(gw_proc_open(), 0);
	gw_proc_read(&p);
	CHECK(p.start_us + 2000000u >= now && p.start_us <= now + 2000000u);
	CHECK(p.have_mem && p.rss_bytes > 0 && p.vsize_bytes >= p.rss_bytes);
	CHECK(p.have_fds && p.open_fds >= 4);	/* stdio and the listing itself */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	gw_proc_read(&q);
	CHECK_EQ_INT(q.open_fds, p.open_fds + 1);
	CHECK(q.cpu_us >= p.cpu_us);
	close(fd);
	gw_proc_read(&q);
	CHECK_EQ_INT(q.open_fds, p.open_fds);
	gw_proc_close();
	gw_proc_read(&q);
	CHECK(!q.have_mem && !q.have_fds);
	gw_proc_close();			/* twice is fine */
}

/* CPU time grows with work done. */
static void test_cpu(void)
{
	struct gw_proc a, b;
	volatile uint64_t x = 0;

	gw_proc_read(&a);
	for (uint64_t i = 0; i < 50000000u; i++)
		x += i;
	gw_proc_read(&b);
	CHECK(b.cpu_us > a.cpu_us);
}

int main(void)
{
	RUN(test_before_open);
	RUN(test_open);
	RUN(test_cpu);
	UNIT_EXIT();
}
