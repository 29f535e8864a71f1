/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for device sessions without sockets: cookies find their own
 * session and nothing else, leases survive a reconnect and return to the
 * pool when a session ends, one device holds one session, and a session
 * without a tunnel expires after cookie-timeout, and any session when its
 * certificate does. The worker here has pools
 * and a session table only; no session has a connection.
 */
#include <arpa/inet.h>
#include <stdlib.h>

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
	gw_pool_destroy(&w.dp.pool4);
	free(w.dp.by_v4);
}

static struct gw_session *login(const char *device, uint8_t fp)
{
	struct pst_identity id = { 0 };
	struct gw_session *s = NULL;

	snprintf(id.device_id, sizeof(id.device_id), "%s", device);
	memset(id.fingerprint, fp, sizeof(id.fingerprint));
	CHECK_EQ_INT(gw_session_new(&w, &id, &s), 0);
	return s;
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
	c = login("dev-c", 3);
	CHECK_EQ_INT(gw_session_lease(&w, c), 0);
	CHECK_EQ_STR(addr_of(c), "198.18.100.2");
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
	a = login("dev-a", 1);
	b = login("dev-b", 2);
	a->id.not_after = time(NULL) - 1;
	b->id.not_after = time(NULL) + 3600;
	gw_sessions_expire(&w);
	CHECK_EQ_INT(n_sessions(), 1);
	CHECK(w.sess.sessions == b);
	CHECK_EQ_INT(w.stats.ended[GW_END_EXPIRED], 1);
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
	UNIT_EXIT();
}
