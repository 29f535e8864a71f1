/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for device sessions without sockets: cookies find their own
 * session and nothing else, leases survive a reconnect and return to the
 * pool when a session ends, one device holds one session, and a session
 * without a tunnel expires after cookie-timeout, and any session when its
 * certificate does. With thousands of sessions, every cookie still finds
 * its own after sessions ended in any order, a new login of one device
 * ends that device's pending session and no other, and sessions without a
 * tunnel expire in the order their tunnel went away. The worker here has
 * pools and a session table only; a connection, where one is needed, is a
 * struct that was never opened.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "gateway/conn.h"
#include "gateway/model.h"
#include "gateway/pool.h"
#include "gateway/session.h"
#include "gateway/token.h"
#include "tests/unit/unit.h"
#include "gateway/tunnel.h"

static struct gw_conf conf;
static struct gw_worker w;

static void worker_init(void)
{
	memset(&conf, 0, sizeof(conf));
	memset(&w, 0, sizeof(w));
	conf.cookie_timeout = 300;
	conf_cidr_parse("198.18.100.0/29", &conf.ipv4_pool);
	w.pol.conf = &conf;
	w.now = 1000;
	gw_pool_init(&w.dp.pool4, &conf.ipv4_pool);
	w.dp.by_v4 = calloc(w.dp.pool4.size, sizeof(*w.dp.by_v4));
}

static void worker_free(void)
{
	while (w.sess.sessions)
		gw_session_end(&w, w.sess.sessions, "test over");
	gw_sessions_free(&w);
	gw_pool_destroy(&w.dp.pool4);
	free(w.dp.by_v4);
}

/* A login with a certificate valid until not_after (0: no end known). */
static struct gw_session *login_until(const char *device, uint8_t fp, time_t not_after)
{
	struct pst_identity id = { 0 };
	struct gw_session *s = NULL;

	snprintf(id.device_id, sizeof(id.device_id), "%s", device);
	memset(id.fingerprint, fp, sizeof(id.fingerprint));
	id.not_after = not_after;
	CHECK_EQ_INT(gw_session_new(&w, &id, &s), 0);
	return s;
}

static struct gw_session *login(const char *device, uint8_t fp)
{
	return login_until(device, fp, 0);
}

static const char *addr_of(const struct gw_session *s)
{
	static char buf[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, &s->lease.v4, buf, sizeof(buf));
}

static size_t n_sessions(void)
{
	size_t n = 0;

	for (struct gw_session *s = w.sess.sessions; s; s = s->next)
		n++;
	return n;
}

static void test_cookie_finds_its_session(void)
{
	char hex_a[2 * GW_COOKIE_LEN + 1], hex_b[2 * GW_COOKIE_LEN + 1];
	struct gw_session *a, *b;

	worker_init();
	a = login("dev-a", 1);
	b = login("dev-b", 2);
	gw_hex(a->cookie, GW_COOKIE_LEN, hex_a);
	gw_hex(b->cookie, GW_COOKIE_LEN, hex_b);
	CHECK(strcmp(hex_a, hex_b) != 0);
	CHECK(gw_session_find(&w, hex_a, strlen(hex_a)) == a);
	CHECK(gw_session_find(&w, hex_b, strlen(hex_b)) == b);
	hex_a[10] = hex_a[10] == '0' ? '1' : '0';
	CHECK(gw_session_find(&w, hex_a, strlen(hex_a)) == NULL);
	CHECK(gw_session_find(&w, "refused", 7) == NULL);
	worker_free();
}

static void test_lease_is_kept_and_returned(void)
{
	struct gw_session *a, *b, *c;

	worker_init();
	a = login("dev-a", 1);
	b = login("dev-b", 2);
	CHECK_EQ_INT(gw_session_lease(&w, a), 0);
	CHECK_EQ_INT(gw_session_lease(&w, b), 0);
	CHECK_EQ_STR(addr_of(a), "198.18.100.2");
	CHECK_EQ_STR(addr_of(b), "198.18.100.3");
	/* A reconnect leases again: the address must not change. */
	CHECK_EQ_INT(gw_session_lease(&w, a), 0);
	CHECK_EQ_STR(addr_of(a), "198.18.100.2");
	gw_session_end(&w, a, "test");
	/* Returned, but not to the next device: it has been free the shortest. */
	c = login("dev-c", 3);
	CHECK_EQ_INT(gw_session_lease(&w, c), 0);
	CHECK_EQ_STR(addr_of(c), "198.18.100.4");
	worker_free();
}

/* Packets from the TUN find the session by their destination address. */
static void test_session_by_destination(void)
{
	uint8_t pkt[20] = { 0x45 };
	struct gw_session *a;

	worker_init();
	a = login("dev-a", 1);
	gw_session_lease(&w, a);
	inet_pton(AF_INET, "198.18.100.2", pkt + 16);
	CHECK(gw_tunnel_session_of(&w, pkt, sizeof(pkt)) == a);
	inet_pton(AF_INET, "198.18.100.3", pkt + 16);
	CHECK(gw_tunnel_session_of(&w, pkt, sizeof(pkt)) == NULL);
	inet_pton(AF_INET, "198.18.2.2", pkt + 16);
	CHECK(gw_tunnel_session_of(&w, pkt, sizeof(pkt)) == NULL);
	CHECK(gw_tunnel_session_of(&w, pkt, 19) == NULL);
	gw_session_end(&w, a, "test");
	inet_pton(AF_INET, "198.18.100.2", pkt + 16);
	CHECK(gw_tunnel_session_of(&w, pkt, sizeof(pkt)) == NULL);
	worker_free();
}

static void test_one_session_per_device(void)
{
	char old_hex[2 * GW_COOKIE_LEN + 1];
	struct gw_session *first, *second;

	worker_init();
	first = login("dev-a", 1);
	gw_session_lease(&w, first);
	gw_hex(first->cookie, GW_COOKIE_LEN, old_hex);
	second = login("dev-a", 1);
	CHECK_EQ_INT(n_sessions(), 1);
	CHECK(gw_session_find(&w, old_hex, strlen(old_hex)) == NULL);
	CHECK(w.sess.sessions == second);
	CHECK_EQ_INT(w.dp.pool4.n_free, 5);
	worker_free();
}

static void test_pool_exhaustion(void)
{
	char name[16];
	int leased = 0;

	worker_init();
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "dev-%d", i);
		if (gw_session_lease(&w, login(name, (uint8_t)i)) == 0)
			leased++;
	}
	CHECK_EQ_INT(leased, 5);	/* a /29 leases .2 to .6 */
	CHECK_EQ_INT(w.dp.pool4.n_free, 0);
	worker_free();
}

static void test_detached_sessions_expire(void)
{
	struct gw_session *a;

	worker_init();
	a = login("dev-a", 1);
	gw_session_lease(&w, a);
	w.now += conf.cookie_timeout - 1;
	gw_sessions_expire(&w);
	CHECK_EQ_INT(n_sessions(), 1);
	w.now += 1;
	gw_sessions_expire(&w);
	CHECK_EQ_INT(n_sessions(), 0);
	CHECK_EQ_INT(w.dp.pool4.n_free, 5);
	worker_free();
}

/* A tunnel that stays up is ended when its certificate's validity ends. */
static void test_certificate_expiry_ends_sessions(void)
{
	struct gw_session *a, *b;

	worker_init();
	a = login_until("dev-a", 1, time(NULL) - 1);
	b = login_until("dev-b", 2, time(NULL) + 3600);
	gw_sessions_expire(&w);
	CHECK_EQ_INT(n_sessions(), 1);
	CHECK(w.sess.sessions == b);
	CHECK_EQ_INT(w.stats.ended[GW_END_EXPIRED], 1);
	(void)a;
	worker_free();
}

#define MANY 5000

/* The list, walked both ways, holds exactly n sessions. */
static bool list_consistent(size_t n)
{
	struct gw_session *s, *last = NULL;
	size_t fwd = 0, back = 0;

	for (s = w.sess.sessions; s && fwd <= n; s = s->next) {
		if (s->prev != last)
			return false;
		last = s;
		fwd++;
	}
	for (s = last; s && back <= n; s = s->prev)
		back++;
	return fwd == n && back == n;
}

static void make_many(struct gw_session **all, char (*hex)[2 * GW_COOKIE_LEN + 1])
{
	char name[32];

	for (int i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "device-%d", i);
		all[i] = login(name, (uint8_t)i);
		gw_hex(all[i]->cookie, GW_COOKIE_LEN, hex[i]);
	}
}

/* Sessions end in a scattered order; every cookie finds its own or none. */
static void test_many_sessions_lookup_and_removal(void)
{
	static struct gw_session *all[MANY];
	static char hex[MANY][2 * GW_COOKIE_LEN + 1];
	int wrong = 0, ended = 0;

	worker_init();
	make_many(all, hex);
	CHECK(list_consistent(MANY));
	CHECK_EQ_INT(w.sess.by_cookie.n, MANY);
	CHECK_EQ_INT(w.sess.by_device.n, MANY);
	for (int i = 0; i < MANY; i++)
		wrong += gw_session_find(&w, hex[i], strlen(hex[i])) != all[i];
	CHECK_EQ_INT(wrong, 0);
	/* 7 is prime to MANY: i * 7 % MANY visits the sessions out of order. */
	for (int k = 0; k < MANY; k++) {
		int i = (int)((size_t)k * 7 % MANY);

		if (i % 3 == 0) {
			gw_session_end(&w, all[i], "test");
			all[i] = NULL;
			ended++;
		}
	}
	CHECK(list_consistent((size_t)(MANY - ended)));
	CHECK_EQ_INT(w.sess.by_cookie.n, MANY - ended);
	for (int i = 0; i < MANY; i++)
		wrong += gw_session_find(&w, hex[i], strlen(hex[i])) != all[i];
	CHECK_EQ_INT(wrong, 0);
	worker_free();
}

/* A new login of one device among thousands ends its pending session only. */
static void test_many_devices_login_again(void)
{
	static struct gw_session *all[MANY];
	static char hex[MANY][2 * GW_COOKIE_LEN + 1];
	struct gw_session *again;

	worker_init();
	make_many(all, hex);
	again = login("device-1234", 9);
	CHECK(list_consistent(MANY));
	CHECK(gw_session_find(&w, hex[1234], strlen(hex[1234])) == NULL);
	CHECK(gw_session_find(&w, hex[1233], strlen(hex[1233])) == all[1233]);
	CHECK(gw_session_find(&w, hex[1235], strlen(hex[1235])) == all[1235]);
	CHECK(w.sess.sessions == again);
	/* A device with a tunnel keeps it when it logs in again (see session.c). */
	all[42]->connects = 1;
	again = login("device-42", 9);
	CHECK(list_consistent(MANY + 1));
	CHECK(gw_session_find(&w, hex[42], strlen(hex[42])) == all[42]);
	/* Its new tunnel opening ends the old one. */
	gw_session_supersede(&w, again);
	CHECK(list_consistent(MANY));
	CHECK(gw_session_find(&w, hex[42], strlen(hex[42])) == NULL);
	worker_free();
}

/*
 * Sessions wait for their reconnect from when their tunnel went away: one
 * whose tunnel dropped later expires later, whatever the order of logins.
 */
static void test_waiting_sessions_expire_in_detach_order(void)
{
	struct gw_conn conn_a = { .w = &w, .peer = "198.18.0.2:1" };
	struct gw_session *a, *b, *c;

	worker_init();
	a = login("dev-a", 1);		/* all three wait from t = 1000 */
	b = login("dev-b", 2);
	c = login("dev-c", 3);
	a->conn = &conn_a;		/* a's tunnel is up ... */
	conn_a.sess = a;
	w.now += 100;
	gw_session_closing(&conn_a, "test");	/* ... and gone at t = 1100 */
	CHECK(a->conn == NULL && conn_a.sess == NULL);
	CHECK_EQ_INT(a->detached, 1100);
	w.now = 1000 + conf.cookie_timeout - 1;
	gw_sessions_expire(&w);
	CHECK_EQ_INT(n_sessions(), 3);
	w.now += 1;
	gw_sessions_expire(&w);
	CHECK_EQ_INT(n_sessions(), 1);
	CHECK(w.sess.sessions == a);
	(void)b;
	(void)c;
	w.now = 1100 + conf.cookie_timeout - 1;
	gw_sessions_expire(&w);
	CHECK_EQ_INT(n_sessions(), 1);
	w.now += 1;
	gw_sessions_expire(&w);
	CHECK_EQ_INT(n_sessions(), 0);
	CHECK(w.sess.waiting == NULL && w.sess.waiting_tail == NULL);
	worker_free();
}

/* A session with a tunnel never expires for cookie-timeout, whenever it logged in. */
static void test_connected_sessions_do_not_expire(void)
{
	struct gw_conn conn = { .w = &w };
	struct gw_session *a;

	worker_init();
	a = login("dev-a", 1);
	a->conn = &conn;
	w.now += 10 * conf.cookie_timeout;
	gw_sessions_expire(&w);
	CHECK_EQ_INT(n_sessions(), 1);
	CHECK(!a->waiting);
	a->conn = NULL;
	worker_free();
}

int main(void)
{
	RUN(test_cookie_finds_its_session);
	RUN(test_lease_is_kept_and_returned);
	RUN(test_session_by_destination);
	RUN(test_one_session_per_device);
	RUN(test_pool_exhaustion);
	RUN(test_detached_sessions_expire);
	RUN(test_certificate_expiry_ends_sessions);
	RUN(test_many_sessions_lookup_and_removal);
	RUN(test_many_devices_login_again);
	RUN(test_waiting_sessions_expire_in_detach_order);
	RUN(test_connected_sessions_do_not_expire);
	UNIT_EXIT();
}
