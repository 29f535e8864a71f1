/* SPDX-License-Identifier: MIT */
/*
 * Logging for the daemon: one line per event on stderr, so that systemd's
 * journal (or a test harness) collects it. A timestamp is added unless the
 * journal already stamps the stream. Secrets (cookies, tokens, keys) are
 * never passed here.
 */
#ifndef POSTERN_GW_LOG_H
#define POSTERN_GW_LOG_H

#include <stdarg.h>

enum gw_log_level { GW_LOG_DEBUG, GW_LOG_INFO, GW_LOG_WARN, GW_LOG_ERR };

void gw_log_init(const char *program, int verbose);
void gw_log(enum gw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gw_vlog(enum gw_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define gw_debug(...) gw_log(GW_LOG_DEBUG, __VA_ARGS__)
#define gw_info(...)  gw_log(GW_LOG_INFO, __VA_ARGS__)
#define gw_warn(...)  gw_log(GW_LOG_WARN, __VA_ARGS__)
#define gw_err(...)   gw_log(GW_LOG_ERR, __VA_ARGS__)

/* Each line of a loader's message (FILE:LINE: problem) as its own error line. */
void gw_log_lines(const char *text);

#endif
