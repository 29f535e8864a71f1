/* SPDX-License-Identifier: MIT */
/*
 * posternctl's commands, run in the daemon (control.c).
 */
#ifndef POSTERN_GW_CONTROL_H
#define POSTERN_GW_CONTROL_H

#include <stddef.h>
#include <stdio.h>

#include "gateway/model.h"

/* Runs one request line and writes the answer's body to f. 0, or -errno
 * with the message for the client, one line, in err: -EINVAL for a request
 * that is not one (malformed, unknown command, bad argument), -ENOENT for a
 * device without a session, or the reload's or policy-diff's error (its
 * problems are then the body). 1: the answer comes later, through
 * gw_admin_answer_later (a reload or policy-diff re-evaluating in slices). */
int gw_control_run(struct gw_worker *w, const char *line, FILE *f, char *err, size_t errlen);

/* gw_control_run's answers for a client that is to follow the events
 * (posternctl events), as text or JSON lines: the socket keeps it. */
#define GW_CONTROL_FOLLOW_TEXT	2
#define GW_CONTROL_FOLLOW_JSON	3

#endif
