/* SPDX-License-Identifier: MIT */
/*
 * seccomp-bpf allowlists for the gateway and the key holder (sandbox.c).
 */
#ifndef POSTERN_GW_SANDBOX_H
#define POSTERN_GW_SANDBOX_H

#include "gateway/landlock.h"

enum gw_sandbox_kind { GW_SANDBOX_GATEWAY, GW_SANDBOX_KEY_HOLDER };

/*
 * Confines the process to fs with Landlock (where the kernel has it), then
 * installs its seccomp allowlist; every thread it creates afterwards
 * inherits both. A system call outside the list logs one line and ends
 * the process. 0, or -errno when either could not be installed (the
 * caller refuses to go on). In a sanitizer build it installs nothing and
 * says so in gw_sandbox_state(); a kernel without Landlock leaves the
 * filesystem unconfined and gw_sandbox_landlock() says 0.
 */
int gw_sandbox_enter(enum gw_sandbox_kind kind, const struct gw_landlock *fs);
/* The Landlock ABI in force, 0 for none. */
int gw_sandbox_landlock(void);
/* What is in force, for the log and posternctl status. */
const char *gw_sandbox_state(void);

#endif
