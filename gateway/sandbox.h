/* SPDX-License-Identifier: MIT */
/*
 * seccomp-bpf allowlists for the gateway and the key holder (sandbox.c).
 */
#ifndef POSTERN_GW_SANDBOX_H
#define POSTERN_GW_SANDBOX_H

enum gw_sandbox_kind { GW_SANDBOX_GATEWAY, GW_SANDBOX_KEY_HOLDER };

/*
 * Installs the process's allowlist (every thread it creates afterwards
 * inherits it): a call outside it logs one line and ends the process.
 * 0, or -errno when it could not be installed (the caller refuses to go
 * on). In a sanitizer build it installs nothing and says so in
 * gw_sandbox_state().
 */
int gw_sandbox_enter(enum gw_sandbox_kind kind);
/* What is in force, for the log and posternctl status. */
const char *gw_sandbox_state(void);

#endif
