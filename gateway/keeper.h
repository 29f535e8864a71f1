/* SPDX-License-Identifier: MIT */
/*
 * The keeper (keeper.c): the workers' threads, started again when their
 * sandbox ends one.
 */
#ifndef POSTERN_GW_KEEPER_H
#define POSTERN_GW_KEEPER_H

#include "gateway/model.h"

/*
 * Runs every worker of gw (set up by gw_gateway_init) on a thread of its
 * own until worker 0 is told to stop (SIGTERM, SIGINT), then stops and
 * waits for the others; a worker its sandbox ended is started again
 * meanwhile. Returns worker 0's result, or -errno.
 */
int gw_gateway_run(struct gw_gateway *gw);

#endif
