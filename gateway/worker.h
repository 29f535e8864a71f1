/* SPDX-License-Identifier: MIT */
/*
 * The worker (worker.c): its set-up and its one epoll loop.
 */
#ifndef POSTERN_GW_WORKER_H
#define POSTERN_GW_WORKER_H

#include "conf/policy.h"
#include "gateway/model.h"

/* Takes ownership of conf and policy (freed by gw_worker_free). */
int gw_worker_init(struct gw_worker *w, struct gw_conf *conf, struct conf_policy *policy);
int gw_worker_run(struct gw_worker *w);
void gw_worker_free(struct gw_worker *w);

#endif
