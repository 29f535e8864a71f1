/* SPDX-License-Identifier: MIT */
/*
 * The files a running gateway must re-read, tried as its user (access.c).
 */
#ifndef POSTERN_GW_ACCESS_H
#define POSTERN_GW_ACCESS_H

#include <stddef.h>

#include "conf/conf.h"
#include "conf/policy.h"

/*
 * The files a running gateway re-reads (config, CRL, policy, inventory) and
 * the audit log it reopens, tried as conf->user, the user it drops to. 0
 * when all is well or there is no user; -EACCES (or another -errno when the
 * check could not run: -EPERM when we are neither root nor that user) with
 * one problem per line in err, each naming the file, the user and a fix.
 */
int gw_access_check(const struct gw_conf *conf, const struct conf_policy *policy, char *err,
		    size_t errlen);

#endif
