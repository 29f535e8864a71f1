/* SPDX-License-Identifier: MIT */
#ifndef POSTERN_GATEWAY_SUPERVISE_H
#define POSTERN_GATEWAY_SUPERVISE_H

#include <sys/types.h>

/*
 * posternd as two processes: the supervisor, which parses no input from
 * the network and only starts, signals and restarts, and the network
 * process (the workers, the control plane, the key holder's parent).
 * A network process that a sandbox violation or a crash ends is started
 * again; a clean stop or a failed start-up is not.
 */

/* Restarts allowed within GW_RESTART_WINDOW seconds before the supervisor
 * gives up (a network process that cannot stay up is a bug to look at,
 * not to hide by restarting it forever). */
#define GW_RESTART_MAX		5
#define GW_RESTART_WINDOW	60

/*
 * The network process: runs with the supervisor's signal mask, must call
 * gw_supervise_ready() once it serves, and returns its exit status.
 * restarts is 0 for the first one.
 */
typedef int (*gw_net_fn)(void *arg, unsigned int restarts);

struct gw_broker_rules;

/* Runs net in child processes until told to stop, opening for them the
 * files the rules allow; returns the exit status for posternd (the last
 * network process's, or 1 when it gives up). */
int gw_supervise(gw_net_fn net, void *arg, const struct gw_broker_rules *files);

/* In the network process: tells the supervisor it serves. */
void gw_supervise_ready(void);

/* The pid to signal (the supervisor's) and the restarts so far, for the
 * status reports; the network process's own pid is getpid(). */
pid_t gw_supervisor_pid(void);
unsigned int gw_supervise_restarts(void);
/* In the network process: its end of the file broker (gw_broker_use). */
int gw_supervise_broker_fd(void);
/* The network process's end of the session records' pair (resume.h); -1 outside one. */
int gw_supervise_resume_fd(void);

#endif
