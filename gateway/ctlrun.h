/* SPDX-License-Identifier: MIT */
/*
 * One control command as the gateway runs it, shared by the files of
 * posternctl's commands: control.c (the dispatch, status, kick, reload,
 * policy-diff, stats), ctlshow.c (sessions, show) and ctlban.c (ban, unban,
 * bans, events, history). Text answers that are tables are written as
 * TAB-separated cells, a header line first (common/table.h): posternctl
 * aligns them by the display width its terminal's locale gives.
 */
#ifndef POSTERN_GW_CTLRUN_H
#define POSTERN_GW_CTLRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "gateway/model.h"

struct gw_ctl {
	struct gw_worker *w;
	FILE *f;
	bool json;
	time_t now;			/* wall clock */
	char *err;			/* the error's one line for the client */
	size_t errlen;
};

/* Sets the client's error message; returns err (a negative errno). */
int gw_ctl_error(struct gw_ctl *x, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "2026-11-27 10:00:00Z". */
void gw_ctl_text_time(FILE *f, time_t t);
/* A table cell: s (or "-" when NULL or empty) with any TAB or control
 * character, which would break the table, shown as '?'. */
void gw_ctl_cell(FILE *f, const char *s);
/* The device's session an operator means (not a denied one), or NULL. */
struct gw_session *gw_ctl_session(struct gw_worker *w0, const char *device);

/* posternctl sessions' document: the head, a row per session (none for a
 * denied one; *any: a row was written before), the foot. */
void gw_ctl_sessions_head(struct gw_ctl *x);
void gw_ctl_session_row(struct gw_ctl *x, const struct gw_session *s, bool *any);
void gw_ctl_sessions_foot(struct gw_ctl *x);

/* The commands (arg is "" for one that takes none): 0 or -errno with err
 * set; sessions may answer later (1: ctllist.h). */
int gw_ctl_sessions(struct gw_ctl *x, const char *arg);
int gw_ctl_show(struct gw_ctl *x, const char *query);
int gw_ctl_ban(struct gw_ctl *x, const char *arg);
int gw_ctl_unban(struct gw_ctl *x, const char *device);
int gw_ctl_bans(struct gw_ctl *x, const char *arg);

#endif
