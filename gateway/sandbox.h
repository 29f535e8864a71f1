/* SPDX-License-Identifier: MIT */
/*
 * seccomp-bpf allowlists for the gateway and the key holder (sandbox.c).
 */
#ifndef POSTERN_GW_SANDBOX_H
#define POSTERN_GW_SANDBOX_H

#include <stddef.h>

#include "gateway/landlock.h"

enum gw_sandbox_kind { GW_SANDBOX_GATEWAY, GW_SANDBOX_KEY_HOLDER };

/*
 * Confines the process to fs with Landlock (where the kernel has it), then
 * installs its seccomp allowlist; every thread it creates afterwards
 * inherits both. A system call outside the list logs one line and ends
 * the process, or only the thread when it said so (gw_sandbox_thread). 0, or -errno when either could not be installed (the
 * caller refuses to go on). In a sanitizer build it installs nothing and
 * says so in gw_sandbox_state(); a kernel without Landlock leaves the
 * filesystem unconfined and gw_sandbox_landlock() says 0.
 */
int gw_sandbox_enter(enum gw_sandbox_kind kind, const struct gw_landlock *fs);
/*
 * The calling thread is one that may end alone (a worker): on a forbidden
 * call the handler writes its line naming `who` (a static string), calls
 * ended(arg, nr) -- which may only do async-signal-safe things: set a flag,
 * write to an eventfd -- and ends this thread only; the process and its
 * other threads go on. Threads that never call it end the process.
 */
void gw_sandbox_thread(const char *who, void (*ended)(void *arg, int nr), void *arg);
/* The name of system call nr on this architecture ("?" when unknown). */
void gw_sandbox_call_name(int nr, char *buf, size_t len);
/* The Landlock ABI in force, 0 for none. */
int gw_sandbox_landlock(void);
/* What is in force, for the log and posternctl status. */
const char *gw_sandbox_state(void);

#endif
