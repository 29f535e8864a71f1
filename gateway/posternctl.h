/* SPDX-License-Identifier: MIT */
/*
 * What posternctl's own files share (program code, in no archive):
 * posternctl.c the command line, posternctl_io.c the control socket.
 */
#ifndef POSTERN_GW_POSTERNCTL_H
#define POSTERN_GW_POSTERNCTL_H

#include <stdbool.h>
#include <stddef.h>

#define EXIT_GATEWAY_ERROR	1
#define EXIT_USAGE		2
#define EXIT_UNREACHABLE	3

/* A connected socket (with a time-out for each read and write), or -1 said on stderr. */
int ctl_connect(const char *path);
int ctl_send_all(int fd, const char *buf, size_t len);
/* Prints the answer on fd; returns the exit status it calls for. table:
 * a text answer, whose tables are aligned. */
int ctl_relay(int fd, const char *path, bool table);

#endif
