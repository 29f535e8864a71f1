/* SPDX-License-Identifier: MIT */
/*
 * Reload and policy-diff (reload.c).
 */
#ifndef POSTERN_GW_RELOAD_H
#define POSTERN_GW_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gateway/model.h"

/* Re-reads config, policy, inventory and CRL; all or nothing. 0, or the
 * first failing loader's -errno with the problems (FILE:LINE lines) in err.
 * Writes a JSON or text summary to f when f is not NULL. */
int gw_reload(struct gw_worker *w, FILE *f, bool json, char *err, size_t errlen);
int gw_policy_diff(struct gw_worker *w, const char *path, FILE *f, bool json, char *err,
		   size_t errlen);
/* The policy lint's findings (posture/lint.h), "NAME:LINE: warning: ...":
 * each logged as a warning, or, with raw (posternd -t), printed there as
 * it is. Warnings never refuse a policy. Returns how many there were. */
size_t gw_policy_lint(const struct conf_policy *p, const char *name, FILE *raw);
/* At start: the CRL, the inventory, the history and their watches. */
int gw_reload_init(struct gw_worker *w);
void gw_reload_free(struct gw_worker *w);

#endif
