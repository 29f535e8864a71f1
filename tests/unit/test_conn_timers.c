/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the connections' timers (conn.c, tunnel.c): the one-second
 * tick closes a connection exactly at its handshake or HTTP deadline, also
 * after a request moved the deadline later; a tunnel's tick handler runs
 * only when it asked to be woken (or each second when it did not ask);
 * a reload's retick wakes every tunnel at once; and gw_tunnel_next_tick
 * names exactly the first second at which gw_tunnel_tick has something to
 * do (DPD request, DPD timeout, idle timeout), checked against the tick
 * itself for many random states. The connections are built by hand on
 * /dev/null descriptors: no socket, no TLS.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "gateway/conn.h"
#include "gateway/model.h"
#include "gateway/timer.h"
#include "gateway/tunnel.h"
#include "tests/unit/unit.h"

#define START 1000

static struct gw_conf conf;
static struct gw_worker w;
static unsigned long n_ticks;
static time_t wake_every;	/* the tick handler's re-arm interval; 0: none */
static struct gw_conn *close_in_tick;

static void on_tick(struct gw_conn *c)
{
	n_ticks++;
	if (c == close_in_tick)
		return gw_conn_close(c, "closed by its tick");
	if (wake_every)
		gw_conn_wake(c, w.now + wake_every);
}

static const struct gw_conn_handlers handlers = { .tick = on_tick };

static void worker_init(void)
{
	memset(&conf, 0, sizeof(conf));
	memset(&w, 0, sizeof(w));
	conf.dpd = 30;
	w.pol.conf = &conf;
	w.net.handlers = &handlers;
	w.epfd = -1;
	w.now = START;
	n_ticks = 0;
	wake_every = 0;
	close_in_tick = NULL;
	gw_conns_tick(&w);
}

/* A connection linked and armed as conn.c links an accepted one. */
static struct gw_conn *conn_add(enum gw_conn_state state, time_t deadline)
{
	struct gw_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->w = &w;
	c->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	c->state = state;
	c->deadline = deadline;
	c->tls_failed = true;		/* no TLS session to shut down */
	snprintf(c->peer, sizeof(c->peer), "198.18.0.9:1");
	c->next = w.net.conns;
	if (c->next)
		c->next->prev = c;
	w.net.conns = c;
	w.net.n_conns++;
	gw_timer_arm(&w.net.timers, &c->timer, deadline);
	return c;
}

static void worker_free(void)
{
	while (w.net.conns)
		gw_conn_close(w.net.conns, NULL);
	while (w.net.dead) {
		struct gw_conn *c = w.net.dead;

		w.net.dead = c->next;
		gw_conn_free(c);
	}
}

/* Runs the tick of every second up to until. */
static void run_until(time_t until)
{
	while (w.now < until) {
		w.now++;
		gw_conns_tick(&w);
	}
}

static void test_deadlines(void)
{
	struct gw_conn *late;

	worker_init();
	for (int i = 0; i < 1000; i++)
		conn_add(GW_CONN_HANDSHAKE, START + GW_HANDSHAKE_TIMEOUT);
	late = conn_add(GW_CONN_HANDSHAKE, START + GW_HANDSHAKE_TIMEOUT);
	/* Its handshake finished and a request came: the deadline moved on. */
	late->state = GW_CONN_HTTP;
	late->deadline = START + 10 + GW_HTTP_IDLE_TIMEOUT;
	run_until(START + GW_HANDSHAKE_TIMEOUT - 1);
	CHECK_EQ_INT(w.net.n_conns, 1001);
	run_until(START + GW_HANDSHAKE_TIMEOUT);
	CHECK_EQ_INT(w.net.n_conns, 1);
	CHECK(w.net.conns == late);
	CHECK(gw_timer_armed(&late->timer));
	run_until(START + 10 + GW_HTTP_IDLE_TIMEOUT - 1);
	CHECK_EQ_INT(w.net.n_conns, 1);
	run_until(START + 10 + GW_HTTP_IDLE_TIMEOUT);
	CHECK_EQ_INT(w.net.n_conns, 0);
	CHECK_EQ_INT(w.net.timers.n, 0);
	CHECK_EQ_INT(n_ticks, 0);
	worker_free();
}

/* 100 tunnels that ask to be woken every 5 s: 10 ticks each in 50 s, not 50. */
static void test_tunnels_tick_when_asked(void)
{
	worker_init();
	wake_every = 5;
	for (int i = 0; i < 100; i++)
		conn_add(GW_CONN_TUNNEL, START + 1);
	run_until(START + 50);
	CHECK_EQ_INT(n_ticks, 100 * 10);
	CHECK_EQ_INT(w.net.timers.n, 100);
	worker_free();
	CHECK_EQ_INT(w.net.timers.n, 0);
}

/* A handler that asks for nothing is ticked each second, as before. */
static void test_tunnel_without_wake_ticks_each_second(void)
{
	worker_init();
	conn_add(GW_CONN_TUNNEL, START + 1);
	run_until(START + 10);
	CHECK_EQ_INT(n_ticks, 10);
	worker_free();
}

/* A tick that closes its connection: gone from the wheel, never ticked again. */
static void test_tick_closes(void)
{
	struct gw_conn *c;

	worker_init();
	wake_every = 1;
	c = conn_add(GW_CONN_TUNNEL, START + 1);
	conn_add(GW_CONN_TUNNEL, START + 1);
	close_in_tick = c;
	run_until(START + 5);
	CHECK_EQ_INT(n_ticks, 1 + 5);
	CHECK_EQ_INT(w.net.n_conns, 1);
	CHECK_EQ_INT(w.net.timers.n, 1);
	worker_free();
}

/* After a reload every tunnel is ticked in the coming second. */
static void test_retick(void)
{
	worker_init();
	wake_every = 100;
	for (int i = 0; i < 10; i++)
		conn_add(GW_CONN_TUNNEL, START + 100);
	conn_add(GW_CONN_HTTP, START + 30);
	run_until(START + 5);
	CHECK_EQ_INT(n_ticks, 0);
	gw_conns_retick(&w);
	run_until(START + 6);
	CHECK_EQ_INT(n_ticks, 10);
	CHECK_EQ_INT(w.net.n_conns, 11);	/* the HTTP one keeps its deadline */
	worker_free();
}

static uint32_t prng_state = 777;

static uint32_t prng(uint32_t below)
{
	prng_state = prng_state * 1103515245u + 12345u;
	return (prng_state >> 8) % below;
}

/* Whether a tick at second t, on a copy of c, would do anything. */
static bool tick_acts(const struct gw_conn *c, time_t t)
{
	struct gw_conn copy = *c;
	char why[96];

	w.now = t;
	return gw_tunnel_tick(&copy, why, sizeof(why)) == GW_TUNNEL_END ||
	       copy.dpd_sent != c->dpd_sent;
}

static void test_next_tick_is_the_first_that_acts(void)
{
	int wrong = 0;

	worker_init();
	for (int round = 0; round < 2000; round++) {
		struct gw_conn c = { .w = &w, .fd = -1, .state = GW_CONN_TUNNEL };
		time_t base = START + 500, first = -1, want;

		conf.dpd = 1 + prng(40);
		conf.idle_timeout = prng(3) ? 0 : 1 + prng(100);
		c.last_rx = base - (time_t)prng(100);
		c.last_data = base - (time_t)prng(200);
		c.dpd_sent = base - (time_t)prng(100);
		w.now = base;
		want = gw_tunnel_next_tick(&c);
		if (want < base)
			want = base;
		for (time_t t = base; t < base + 400 && first < 0; t++) {
			if (tick_acts(&c, t))
				first = t;
		}
		wrong += first != want;
	}
	CHECK_EQ_INT(wrong, 0);
	conf.dpd = 30;
	conf.idle_timeout = 0;
}

int main(void)
{
	RUN(test_deadlines);
	RUN(test_tunnels_tick_when_asked);
	RUN(test_tunnel_without_wake_ticks_each_second);
	RUN(test_tick_closes);
	RUN(test_retick);
	RUN(test_next_tick_is_the_first_that_acts);
	UNIT_EXIT();
}
