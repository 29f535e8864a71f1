/* SPDX-License-Identifier: MIT */
/*
 * Files the running gateway follows by itself (watch.c): the CRL and the
 * policy's MDM inventory, re-read within a second of changing.
 */
#ifndef POSTERN_GW_WATCH_H
#define POSTERN_GW_WATCH_H

#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

#include "gateway/crl.h"
#include "gateway/model.h"


struct gw_worker;

/* Remembers what path is now, so that the next check sees a change. */
void gw_watch_set(struct gw_watch *wt, const char *path);
/* Every second: a changed CRL or inventory file is re-read and applied. */
void gw_watch_tick(struct gw_worker *w);
/* Puts a loaded CRL in force (start-up, reload, the watch); what: "loaded". */
void gw_crl_install(struct gw_worker *w, struct gw_crl_loaded *l, const char *what);
/* Whether the CRL in force lists serial (hex). */
bool gw_crl_revokes(const struct gw_worker *w, const char *serial_hex);

#endif
