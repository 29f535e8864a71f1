/* SPDX-License-Identifier: MIT */
/*
 * Sessions of the previous network process, taken back at start (restore.c).
 */
#ifndef POSTERN_GW_RESTORE_H
#define POSTERN_GW_RESTORE_H

#include "gateway/model.h"

/* Decides again every session record the supervisor held when it started
 * this process (gw_resume_store_*), keeps those that may continue, and
 * empties the table. Before the workers run. */
void gw_restore_sessions(struct gw_gateway *gw);

#endif
