/* SPDX-License-Identifier: MIT */
/*
 * The daemon's log sink. Lines are formatted whole and written with a single
 * write(2) so that concurrent writers (a later multi-worker daemon) never
 * interleave inside a line; an over-long line is truncated, never split.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/time.h"
#include "gateway/log.h"

static const char *log_program = "posternd";
static int log_verbose;
static bool log_stamp = true;

void gw_log_init(const char *program, int verbose)
{
	log_program = program;
	log_verbose = verbose;
	/* journald records its own time stamps; avoid printing them twice. */
	log_stamp = getenv("JOURNAL_STREAM") == NULL;
}

static size_t log_prefix(char *buf, size_t len, enum gw_log_level level)
{
	static const char *const names[] = { "debug", "info", "warning", "error" };
	size_t n = 0;

	if (log_stamp) {
		char stamp[CM_TIME_BUF];
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		if (!cm_time_format(ts.tv_sec, stamp, sizeof(stamp)) &&
		    (size_t)snprintf(buf, len, "%s ", stamp) < len)
			n = strlen(buf);
	}
	n += (size_t)snprintf(buf + n, len - n, "%s: %s: ", log_program, names[level]);
	return n < len ? n : len - 1;
}

void gw_log(enum gw_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gw_vlog(level, fmt, ap);
	va_end(ap);
}

void gw_vlog(enum gw_log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;
	int r;

	if (level == GW_LOG_DEBUG && !log_verbose)
		return;
	n = log_prefix(line, sizeof(line), level);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r < 0)
		return;
	n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to report a failing log sink. */
	}
}

void gw_log_lines(const char *err)
{
	const char *p = err;

	while (p && *p) {
		const char *nl = strchr(p, '\n');

		gw_err("  %.*s", (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		p = nl ? nl + 1 : NULL;
	}
}
