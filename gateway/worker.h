/* SPDX-License-Identifier: MIT */
/*
 * The worker (worker.c): its set-up and its one epoll loop.
 */
#ifndef POSTERN_GW_WORKER_H
#define POSTERN_GW_WORKER_H

#include "conf/policy.h"
#include "gateway/model.h"

/*
 * The workers of one gateway (model.h, struct gw_gateway): set up as the
 * config says (takes ownership of conf and policy, also on failure: free
 * with gw_gateway_free), run until SIGTERM or SIGINT, freed.
 */
int gw_gateway_init(struct gw_gateway *gw, struct gw_conf *conf, struct conf_policy *policy);
void gw_gateway_free(struct gw_gateway *gw);

/* One worker on its own (the tests'), or worker 0 of gw. Takes ownership
 * of conf and policy (freed by gw_worker_free). */
int gw_worker_init(struct gw_worker *w, struct gw_conf *conf, struct conf_policy *policy);
int gw_worker_init_in(struct gw_worker *w, struct gw_gateway *gw, struct gw_conf *conf,
		      struct conf_policy *policy);
/* Worker index of w0's gateway. */
int gw_worker_init_secondary(struct gw_worker *w, struct gw_worker *w0, unsigned int index);
int gw_worker_run(struct gw_worker *w);
void gw_worker_free(struct gw_worker *w);

/* Takes w's lock; one its thread left behind when the sandbox ended it is
 * made consistent and taken. */
void gw_worker_lock(struct gw_worker *w);
/* Worker 0 reads or changes what every worker holds: it takes the others'
 * locks in index order (holding its own); the release hands them worker
 * 0's policy state and pools with their locks. */
void gw_workers_hold(struct gw_worker *w0);
void gw_workers_release(struct gw_worker *w0);

#endif
