/* SPDX-License-Identifier: MIT */
/*
 * What posternctl's own files share (program code, in no archive):
 * posternctl.c the command line, posternctl_io.c the control socket
 * (answers and events), posternctl_history.c the audit log.
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
/*
 * One request to the gateway at sock whose answer is kept: its body (cut to
 * len, NUL-terminated) in body. Returns the exit status it calls for
 * (EXIT_UNREACHABLE also when the socket cannot be reached), the gateway's
 * error said on stderr.
 */
int ctl_request(const char *sock, const char *req, char *body, size_t len);
/* Prints the events that come on fd until the gateway stops sending or a
 * SIGINT or SIGTERM comes (then 0); returns the exit status. */
int ctl_follow(int fd, const char *path);

/* posternctl_history.c: the device's records in the audit log at path. */
int ctl_history(const char *device, const char *path, bool json);

#endif
