/* SPDX-License-Identifier: MIT */
/*
 * The network process's own numbers for the standard process_* metrics
 * (procstat.c): start time, CPU time, memory, file descriptors. One set
 * per process: the network process opens what it needs before its sandbox
 * (landlock.c forbids /proc afterwards) and reads it at each scrape.
 */
#ifndef POSTERN_GW_PROCSTAT_H
#define POSTERN_GW_PROCSTAT_H

#include <stdbool.h>
#include <stdint.h>

struct gw_proc {
	uint64_t start_us;		/* wall clock, microseconds since the epoch; 0: unknown */
	uint64_t cpu_us;		/* user and system time of every thread */
	bool have_mem;
	uint64_t rss_bytes, vsize_bytes;
	bool have_fds;
	uint64_t open_fds;
	bool have_max_fds;
	uint64_t max_fds;		/* the soft RLIMIT_NOFILE */
};

/* The process starts now (first thing in the network process). */
void gw_proc_started(void);
/* Opens /proc/self/statm and /proc/self/fd for gw_proc_read; once, after
 * the key holder is forked and before the sandbox. 0 or -errno (the
 * numbers they give are then missing, nothing else). */
int gw_proc_open(void);
void gw_proc_read(struct gw_proc *p);
void gw_proc_close(void);

#endif
