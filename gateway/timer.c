/* SPDX-License-Identifier: MIT */
/*
 * The hierarchical timing wheel (timer.h), after Varghese and Lauck's
 * scheme: four levels of 64 slots. Level 0 holds timers due within 64
 * seconds of the next second to run, one slot per second; level L holds
 * those due within 64^(L+1) seconds, one slot per 64^L seconds. Whenever
 * the low bits of the second being run roll over to zero, the level-L
 * slot for the coming stretch is emptied and its timers placed again,
 * closer to level 0. So each second costs one slot, a timer is touched at
 * most once per level on its way down, and it fires in exactly its second.
 *
 * Invariant: a level-0 slot only holds timers due in the one second that
 * maps to it within the coming 64 (or overdue ones, placed for the next
 * second run). A timer beyond the top level's reach is parked as far out
 * as the wheel reaches and placed again when it comes down.
 *
 * The clock may jump (a wall clock set forwards or backwards, a worker
 * that slept): a jump forwards of more than 64^2 seconds, or any jump
 * backwards, places every timer again from the new time instead of
 * running the seconds in between. Nothing fires early: a timer fires only
 * when the clock passed to gw_wheel_expire reaches its due time.
 */
#include <stdint.h>

#include "gateway/timer.h"

#define WHEEL_MASK	(GW_WHEEL_SLOTS - 1)
#define WHEEL_REACH	((uint64_t)1 << (GW_WHEEL_BITS * GW_WHEEL_LEVELS))
#define WHEEL_JUMP	((time_t)GW_WHEEL_SLOTS * GW_WHEEL_SLOTS)

static void timer_link(struct gw_timer **head, struct gw_timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
}

static void timer_unlink(struct gw_timer *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

static unsigned int wheel_index(uint64_t when, int level)
{
	return (unsigned int)(when >> (GW_WHEEL_BITS * level)) & WHEEL_MASK;
}

/* Puts t in the slot for its due time, as seen from wh->next. */
static void wheel_place(struct gw_wheel *wh, struct gw_timer *t)
{
	uint64_t next = (uint64_t)wh->next;
	uint64_t due = t->due > wh->next ? (uint64_t)t->due : next;
	uint64_t delta = due - next;
	int level = 0;

	if (delta >= WHEEL_REACH) {
		due = next + WHEEL_REACH - 1;
		delta = WHEEL_REACH - 1;
	}
	while (level < GW_WHEEL_LEVELS - 1 &&
	       delta >= (uint64_t)1 << (GW_WHEEL_BITS * (level + 1)))
		level++;
	timer_link(&wh->slot[level][wheel_index(due, level)], t);
}

void gw_timer_arm(struct gw_wheel *wh, struct gw_timer *t, time_t due)
{
	gw_timer_cancel(wh, t);
	t->due = due;
	wheel_place(wh, t);
	wh->n++;
}

void gw_timer_cancel(struct gw_wheel *wh, struct gw_timer *t)
{
	if (!t->pprev)
		return;
	timer_unlink(t);
	wh->n--;
}

/* Empties a slot and places its timers again, from wh->next. */
static void wheel_replace(struct gw_wheel *wh, struct gw_timer **slot)
{
	struct gw_timer *list = *slot;

	*slot = NULL;
	while (list) {
		struct gw_timer *t = list;

		list = t->next;
		t->next = NULL;
		wheel_place(wh, t);
	}
}

/* The clock jumped: every timer is placed again from now. */
static void wheel_rebase(struct gw_wheel *wh, time_t next)
{
	struct gw_timer *all = NULL;

	for (int level = 0; level < GW_WHEEL_LEVELS; level++) {
		for (int i = 0; i < GW_WHEEL_SLOTS; i++) {
			while (wh->slot[level][i]) {
				struct gw_timer *t = wh->slot[level][i];

				timer_unlink(t);
				timer_link(&all, t);
			}
		}
	}
	wh->next = next;
	wheel_replace(wh, &all);
}

/* Runs second wh->next: cascades where the lower levels rolled over, then
 * hands its level-0 slot to the due list. */
static void wheel_step(struct gw_wheel *wh)
{
	uint64_t n = (uint64_t)wh->next;

	for (int level = 1; level < GW_WHEEL_LEVELS && wheel_index(n, level - 1) == 0; level++)
		wheel_replace(wh, &wh->slot[level][wheel_index(n, level)]);
	wh->due = wh->slot[0][wheel_index(n, 0)];
	wh->slot[0][wheel_index(n, 0)] = NULL;
	if (wh->due)
		wh->due->pprev = &wh->due;
	wh->next++;
}

struct gw_timer *gw_wheel_expire(struct gw_wheel *wh, time_t now)
{
	struct gw_timer *t;

	if (now < wh->next - 1)
		wheel_rebase(wh, now + 1);
	else if (now - wh->next >= WHEEL_JUMP)
		wheel_rebase(wh, now);
	while (!wh->due && wh->next <= now)
		wheel_step(wh);
	t = wh->due;
	if (!t)
		return NULL;
	timer_unlink(t);
	wh->n--;
	return t;
}
