/* SPDX-License-Identifier: MIT */
/*
 * Timers in whole seconds on a hierarchical timing wheel (timer.c), so that
 * the worker's one-second tick touches only what is due now instead of
 * every connection and session. A struct gw_timer is embedded in the object
 * it times; arming, re-arming and cancelling are O(1) and allocate nothing.
 * The wheel runs on whatever clock its caller passes: the worker's
 * monotonic seconds for connections, the wall clock for certificate expiry
 * (a certificate's not_after is a calendar time; a clock set backwards or
 * forwards is handled, see timer.c).
 *
 * A zeroed struct gw_wheel is an empty wheel; a zeroed struct gw_timer is
 * not armed.
 */
#ifndef POSTERN_GW_TIMER_H
#define POSTERN_GW_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define GW_WHEEL_BITS	6
#define GW_WHEEL_SLOTS	(1 << GW_WHEEL_BITS)
#define GW_WHEEL_LEVELS	4	/* 64^4 s, 194 days, before a timer is placed again */

struct gw_timer {
	struct gw_timer *next, **pprev;	/* pprev NULL: not armed */
	time_t due;
};

struct gw_wheel {
	time_t next;			/* the next second to run: all before it have fired */
	struct gw_timer *slot[GW_WHEEL_LEVELS][GW_WHEEL_SLOTS];
	struct gw_timer *due;		/* due in the second being run, not yet handed out */
	size_t n;			/* armed timers */
};

/* Arms t to fire at the first gw_wheel_expire whose now is >= due (a due
 * time already past: the next second run). Re-arms an armed timer. */
void gw_timer_arm(struct gw_wheel *wh, struct gw_timer *t, time_t due);
/* Disarms t; a timer not armed is left alone. */
void gw_timer_cancel(struct gw_wheel *wh, struct gw_timer *t);

static inline bool gw_timer_armed(const struct gw_timer *t)
{
	return t->pprev != NULL;
}

/*
 * One timer due at or before now, disarmed, or NULL when none is left; the
 * caller loops until NULL. Timers come out in the order of their due
 * seconds. A timer armed (or re-armed) while the loop runs, for now or
 * earlier, fires from the next second run, so the loop always ends.
 */
struct gw_timer *gw_wheel_expire(struct gw_wheel *wh, time_t now);

#endif
