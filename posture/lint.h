/* SPDX-License-Identifier: MIT */
/*
 * The policy lint: what a policy that loads still gets wrong, found without
 * a device. The loader (conf/policy_conf.c) refuses what cannot be applied;
 * the lint warns about what applies but cannot do what it says: a rule that
 * no device can reach, a profile no decision can hand out, a check that no
 * source the policy reads can ever pass. Findings are warnings: the policy
 * still loads and a reload still succeeds. `postern-posture check` prints
 * them, posternd logs them at start and at every reload.
 *
 * What each check proves is written in lint.c, next to it, and in
 * postern-policy(5).
 */
#ifndef POSTERN_POSTURE_LINT_H
#define POSTERN_POSTURE_LINT_H

#include <stddef.h>

#include "conf/policy.h"

#define PST_LINT_MAX	16384	/* bytes for every finding of a large policy */

/*
 * Lints p, loaded from the file called name (as the user gave it: it starts
 * every line). Writes each finding into out as "NAME:LINE: warning: MESSAGE",
 * one per line, in file order (NUL-terminated, no final newline, cut at
 * outlen) and returns how many there are (also those cut off). Never prints.
 */
size_t pst_policy_lint(const struct conf_policy *p, const char *name, char *out,
		       size_t outlen);

#endif
