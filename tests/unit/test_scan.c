/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the host-scan table without sockets: a token finds its own
 * scan and nothing else, expired scans are neither found nor kept, one
 * device holds one scan, and the table never grows past max-clients. A new
 * session starts denied until a decision grants more (fail closed).
 */
#include <stdlib.h>

#include "gateway/model.h"
#include "gateway/scan.h"
#include "gateway/session.h"
#include "tests/unit/unit.h"

static struct gw_conf conf;
static struct gw_worker w;

static void worker_init(unsigned int max_clients)
{
	memset(&conf, 0, sizeof(conf));
	memset(&w, 0, sizeof(w));
	conf.max_clients = max_clients;
	conf.cookie_timeout = 300;
	w.pol.conf = &conf;
	w.now = 1000;
}

static struct gw_scan *start(const char *device)
{
	struct pst_identity id = { 0 };
	struct gw_scan *sc = NULL;

	snprintf(id.device_id, sizeof(id.device_id), "%s", device);
	CHECK_EQ_INT(gw_scan_new(&w, &id, &sc), 0);
	return sc;
}

static void token_hex(const struct gw_scan *sc, char hex[2 * GW_COOKIE_LEN + 1])
{
	for (size_t i = 0; i < GW_COOKIE_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", sc->token[i]);
}

static void test_token_finds_its_scan(void)
{
	struct gw_scan *a, *b;
	char ha[2 * GW_COOKIE_LEN + 1], hb[2 * GW_COOKIE_LEN + 1];

	worker_init(16);
	a = start("devA");
	b = start("devB");
	token_hex(a, ha);
	token_hex(b, hb);
	CHECK(gw_scan_find(&w, ha, strlen(ha)) == a);
	CHECK(gw_scan_find(&w, hb, strlen(hb)) == b);
	CHECK(strcmp(a->ticket, b->ticket) != 0);
	CHECK_EQ_INT(strlen(a->ticket), 2 * GW_TICKET_LEN);
	/* A wrong digit, a short token, upper case: nothing. */
	ha[5] = ha[5] == '0' ? '1' : '0';
	CHECK(gw_scan_find(&w, ha, strlen(ha)) == NULL);
	CHECK(gw_scan_find(&w, hb, strlen(hb) - 1) == NULL);
	CHECK(gw_scan_find(&w, "", 0) == NULL);
	gw_scans_free(&w);
	CHECK(w.sess.scans == NULL && w.sess.n_scans == 0);
}

static void test_expired_scans_are_gone(void)
{
	struct gw_scan *a;
	char ha[2 * GW_COOKIE_LEN + 1];

	worker_init(16);
	a = start("devA");
	token_hex(a, ha);
	w.now += GW_SCAN_TIMEOUT - 1;
	CHECK(gw_scan_find(&w, ha, strlen(ha)) == a);
	w.now += 1;
	CHECK(gw_scan_find(&w, ha, strlen(ha)) == NULL);
	gw_scans_expire(&w);
	CHECK(w.sess.scans == NULL && w.sess.n_scans == 0);
}

static void test_one_scan_per_device(void)
{
	struct gw_scan *old, *again;
	char hold[2 * GW_COOKIE_LEN + 1];

	worker_init(16);
	old = start("devA");
	token_hex(old, hold);
	start("devB");
	again = start("devA");
	CHECK_EQ_INT(w.sess.n_scans, 2);
	CHECK(gw_scan_find(&w, hold, strlen(hold)) == NULL);
	CHECK(w.sess.scans == again);
	gw_scans_free(&w);
}

static void test_table_is_capped(void)
{
	char name[16];
	struct gw_scan *first;
	char hfirst[2 * GW_COOKIE_LEN + 1];

	worker_init(4);
	first = start("dev0");
	token_hex(first, hfirst);
	for (int i = 1; i < 10; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		start(name);
		CHECK(w.sess.n_scans <= 4);
	}
	CHECK_EQ_INT(w.sess.n_scans, 4);
	CHECK(gw_scan_find(&w, hfirst, strlen(hfirst)) == NULL);
	gw_scans_free(&w);
}

static void test_new_session_starts_denied(void)
{
	struct pst_identity id = { 0 };
	struct gw_session *s = NULL;

	worker_init(16);
	snprintf(id.device_id, sizeof(id.device_id), "devA");
	CHECK_EQ_INT(gw_session_new(&w, &id, &s), 0);
	CHECK_EQ_INT(s->verdict, PST_DENY);
	CHECK(s->allow == NULL && s->banner == NULL);
	gw_session_end(&w, s, "test over");
	gw_sessions_free(&w);
}

int main(void)
{
	RUN(test_token_finds_its_scan);
	RUN(test_expired_scans_are_gone);
	RUN(test_one_scan_per_device);
	RUN(test_table_is_capped);
	RUN(test_new_session_starts_denied);
	UNIT_EXIT();
}
