/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gateway/timer.c: timers fire in the second they are due,
 * never before, in due order, across every level of the wheel and beyond
 * its reach; re-arming moves a timer, cancelling stops it, also from the
 * list of timers already due; arming for now inside the expiry loop does
 * not loop; and a clock that jumps forwards or backwards fires nothing early.
 */
#include <stdint.h>
#include <stdlib.h>

#include "gateway/timer.h"
#include "tests/unit/unit.h"

#define N_TIMERS 3000
#define START ((time_t)1000000)

struct item {
	struct gw_timer timer;
	time_t want;
	time_t fired;
	int count;
};

static uint32_t prng_state = 12345;

static uint32_t prng(void)
{
	prng_state = prng_state * 1103515245u + 12345u;
	return prng_state >> 8;
}

/* Runs every timer due at now; returns how many fired. */
static int run(struct gw_wheel *wh, time_t now)
{
	struct gw_timer *t;
	int fired = 0;

	while ((t = gw_wheel_expire(wh, now))) {
		struct item *it = (struct item *)t;

		it->fired = now;
		it->count++;
		fired++;
	}
	return fired;
}

/* Dues spread over every level (up to 64^3 s) and past the wheel's reach. */
static time_t pick_due(int i)
{
	if (i % 100 == 0)
		return START + 17000000 + (time_t)(prng() % 100000);	/* beyond 64^4 */
	if (i % 10 == 0)
		return START + 262144 + (time_t)(prng() % 300000);	/* level 3 */
	return START + (time_t)(prng() % 262144);
}

static void test_due_order(void)
{
	static struct item items[N_TIMERS];
	struct gw_wheel wh = { 0 };
	int wrong = 0, out_of_order = 0, total = 0;
	time_t last = 0, end = START + 17200000;

	run(&wh, START - 1);
	for (int i = 0; i < N_TIMERS; i++) {
		items[i] = (struct item){ .want = pick_due(i) };
		gw_timer_arm(&wh, &items[i].timer, items[i].want);
	}
	items[0].want = START;	/* due in the first second run */
	gw_timer_arm(&wh, &items[0].timer, START);
	CHECK_EQ_INT(wh.n, N_TIMERS);
	for (time_t now = START; now <= end; now++) {
		struct gw_timer *t;

		while ((t = gw_wheel_expire(&wh, now))) {
			struct item *it = (struct item *)t;

			it->fired = now;
			it->count++;
			total++;
			out_of_order += now < last;
			last = now;
		}
	}
	for (int i = 0; i < N_TIMERS; i++)
		wrong += items[i].count != 1 || items[i].fired != items[i].want;
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(out_of_order, 0);
	CHECK_EQ_INT(total, N_TIMERS);
	CHECK_EQ_INT(wh.n, 0);
}

static void test_rearm_and_cancel(void)
{
	struct gw_wheel wh = { 0 };
	struct item a = { 0 }, b = { 0 }, c = { 0 };

	run(&wh, START);
	gw_timer_arm(&wh, &a.timer, START + 10);
	gw_timer_arm(&wh, &a.timer, START + 5);		/* earlier */
	gw_timer_arm(&wh, &b.timer, START + 5);
	gw_timer_arm(&wh, &b.timer, START + 200);	/* later, another level */
	gw_timer_arm(&wh, &c.timer, START + 7);
	CHECK_EQ_INT(wh.n, 3);
	gw_timer_cancel(&wh, &c.timer);
	gw_timer_cancel(&wh, &c.timer);			/* not armed: nothing */
	CHECK(!gw_timer_armed(&c.timer));
	CHECK_EQ_INT(wh.n, 2);
	CHECK_EQ_INT(run(&wh, START + 4), 0);
	CHECK_EQ_INT(run(&wh, START + 5), 1);
	CHECK_EQ_INT(a.count, 1);
	CHECK_EQ_INT(b.count, 0);
	CHECK_EQ_INT(run(&wh, START + 199), 0);
	CHECK_EQ_INT(c.count, 0);
	CHECK_EQ_INT(run(&wh, START + 200), 1);
	CHECK_EQ_INT(b.fired, START + 200);
	CHECK_EQ_INT(wh.n, 0);
}

/* Handlers cancel a timer that is already due, and re-arm themselves for now. */
static void test_changes_inside_the_loop(void)
{
	struct gw_wheel wh = { 0 };
	struct item a = { 0 }, b = { 0 };
	struct gw_timer *t;
	int fired = 0;

	run(&wh, START);
	gw_timer_arm(&wh, &a.timer, START + 3);
	gw_timer_arm(&wh, &b.timer, START + 3);
	while ((t = gw_wheel_expire(&wh, START + 3)) && fired < 10) {
		fired++;
		gw_timer_cancel(&wh, t == &a.timer ? &b.timer : &a.timer);
		gw_timer_arm(&wh, t, START + 3);	/* for now: fires next second */
	}
	CHECK_EQ_INT(fired, 1);
	CHECK_EQ_INT(wh.n, 1);
	CHECK_EQ_INT(run(&wh, START + 4), 1);
	CHECK_EQ_INT(wh.n, 0);
}

/* A wall clock set forwards fires what fell due; set backwards, nothing early. */
static void test_clock_jumps(void)
{
	struct gw_wheel wh = { 0 };
	struct item a = { 0 }, b = { 0 }, c = { 0 };
	time_t wall = 1700000000;

	gw_timer_arm(&wh, &a.timer, wall + 10);		/* before the first expiry */
	CHECK_EQ_INT(run(&wh, wall), 0);
	CHECK_EQ_INT(run(&wh, wall + 9), 0);
	CHECK_EQ_INT(run(&wh, wall + 10), 1);
	gw_timer_arm(&wh, &b.timer, wall + 100);
	CHECK_EQ_INT(run(&wh, wall + 86400), 1);	/* a day forwards */
	CHECK_EQ_INT(b.fired, wall + 86400);
	gw_timer_arm(&wh, &a.timer, wall + 86400 + 50);
	CHECK_EQ_INT(run(&wh, wall), 0);		/* back a day */
	gw_timer_arm(&wh, &c.timer, wall + 30);
	CHECK_EQ_INT(run(&wh, wall + 29), 0);
	CHECK_EQ_INT(run(&wh, wall + 30), 1);
	CHECK_EQ_INT(c.fired, wall + 30);
	CHECK_EQ_INT(run(&wh, wall + 86400 + 49), 0);
	CHECK_EQ_INT(run(&wh, wall + 86400 + 50), 1);
	CHECK_EQ_INT(a.count, 2);
	CHECK_EQ_INT(wh.n, 0);
}

/* Thousands due in one second all come out, each once. */
static void test_same_second(void)
{
	static struct item items[N_TIMERS];
	struct gw_wheel wh = { 0 };
	int once = 0;

	run(&wh, START);
	for (int i = 0; i < N_TIMERS; i++) {
		items[i] = (struct item){ 0 };
		gw_timer_arm(&wh, &items[i].timer, START + 5000);
	}
	CHECK_EQ_INT(run(&wh, START + 4999), 0);
	CHECK_EQ_INT(run(&wh, START + 5000), N_TIMERS);
	for (int i = 0; i < N_TIMERS; i++)
		once += items[i].count == 1;
	CHECK_EQ_INT(once, N_TIMERS);
}

int main(void)
{
	RUN(test_due_order);
	RUN(test_rearm_and_cancel);
	RUN(test_changes_inside_the_loop);
	RUN(test_clock_jumps);
	RUN(test_same_second);
	UNIT_EXIT();
}
