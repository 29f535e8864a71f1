/* SPDX-License-Identifier: MIT */
/*
 * Devices an operator has barred for a while (ban.c): posternctl ban,
 * unban and bans, and the check at login.
 */
#ifndef POSTERN_GW_BAN_H
#define POSTERN_GW_BAN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "gateway/conn.h"
#include "gateway/ctlcmd.h"
#include "gateway/model.h"

#define GW_BAN_SECONDS_MAX	GW_CTLCMD_BAN_MAX	/* the longest ban: a year */
#define GW_BANS_MAX		4096		/* bans a worker holds at once */

/* The ban on device, or NULL; home is the device's home worker. A ban
 * whose time is up is none. */
const struct gw_ban *gw_ban_find(const struct gw_worker *home, const char *device, time_t now);
/* Bans device from since until until (replacing a ban it has); now drops
 * the bans that ran out. 0, -ENOSPC past GW_BANS_MAX, -ENOMEM. */
int gw_ban_set(struct gw_worker *home, const char *device, time_t now, time_t since,
	       time_t until);
/* Lifts device's ban: false when it had none (or it had run out). */
bool gw_ban_lift(struct gw_worker *home, const char *device, time_t now);
/* Forgets the bans whose time is up. */
void gw_bans_expire(struct gw_worker *w, time_t now);
void gw_bans_free(struct gw_worker *w);
/* "banned until 2026-12-02T11:00:00Z", what the device and the log are told. */
void gw_ban_words(time_t until, char *buf, size_t len);
/* Refuses a banned device's login: told at its CONNECT, kept in the history
 * and (under a policy) the audit log. */
void gw_ban_refuse(struct gw_conn *c, const struct gw_ban *b);

#endif
