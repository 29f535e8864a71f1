/* SPDX-License-Identifier: MIT */
/*
 * The posture agent's own config file (agentconf.c): libconfuse, one key,
 * the MDM's enrolment marker. Only the postern-posture program uses this.
 */
#ifndef POSTERN_POSTURE_AGENTCONF_H
#define POSTERN_POSTURE_AGENTCONF_H

#include <stdbool.h>
#include <stddef.h>

#define PST_AGENT_CONF_DEFAULT	"/etc/postern/posture-agent.conf"

/*
 * The agent config (libconfuse, one key: mdm-marker = "PATH"): *enrolled is
 * whether PATH exists. -ENOENT when there is no config file (then mdm.enrolled
 * is not reported); other errors with "FILE:LINE: what" in err.
 */
int pst_agentconf_mdm(const char *path, bool *enrolled, char *err, size_t errlen);

#endif
