/* SPDX-License-Identifier: MIT */
/*
 * A gateway worker built by hand for the tests (no sockets, no TLS): the
 * address pools 198.18.100.0/29 (five addresses) and, when asked,
 * fd00:5057::/120 (254), sessions made with gw_session_new and leased from
 * those pools, and the teardown that ends them. Used by unit tests and by
 * fuzz targets (which do not include unit.h), so it reports nothing itself:
 * each function says whether it worked, and the caller CHECKs or asserts.
 * What a test adds on top (start time, paths, history entries, session
 * details) stays in the test. Every function is static inline, so that a
 * file that uses only part of it compiles without unused-function warnings.
 */
#ifndef POSTERN_TESTS_WORKER_FIXTURE_H
#define POSTERN_TESTS_WORKER_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/ban.h"
#include "gateway/history.h"
#include "gateway/model.h"
#include "gateway/pool.h"
#include "gateway/session.h"

/*
 * Clears *conf and *w and sets them up: cookie timeout 300, the IPv4 pool
 * and (with pool6) the IPv6 pool, w->now = 1000, w->ctl.started = now, and
 * (with with_history) a history ring of GW_HISTORY_MAX entries. Everything
 * else is zero; with pool6 the config routes fd00:1::/64, so that sessions
 * lease IPv6 addresses. false when any step failed (every step is still tried).
 */
static inline bool wf_worker_init(struct gw_worker *w, struct gw_conf *conf, bool pool6,
				  bool with_history)
{
	bool ok = true;

	memset(conf, 0, sizeof(*conf));
	memset(w, 0, sizeof(*w));
	conf->cookie_timeout = 300;
	ok = conf_cidr_parse("198.18.100.0/29", &conf->ipv4_pool) == 0 && ok;
	ok = conf_cidr_parse("fd00:5057::/120", &conf->ipv6_pool) == 0 && ok;
	conf->have_ipv6_pool = pool6;
	w->pol.conf = conf;
	w->now = 1000;
	w->ctl.started = time(NULL);
	if (with_history) {
		w->ctl.history = calloc(GW_HISTORY_MAX, sizeof(*w->ctl.history));
		ok = w->ctl.history != NULL && ok;
	}
	ok = gw_pool_init(&w->dp.pool4, &conf->ipv4_pool) == 0 && ok;
	w->dp.by_v4 = calloc(w->dp.pool4.size, sizeof(*w->dp.by_v4));
	ok = w->dp.by_v4 != NULL && ok;
	if (pool6) {
		/* An IPv6 route: a session is leased an IPv6 address only with one. */
		static struct conf_cidr routes6[1];

		ok = conf_cidr_parse("fd00:1::/64", &routes6[0]) == 0 && ok;
		conf->routes = routes6;
		conf->n_routes = 1;
		ok = gw_pool_init(&w->dp.pool6, &conf->ipv6_pool) == 0 && ok;
		w->dp.by_v6 = calloc(w->dp.pool6.size, sizeof(*w->dp.by_v6));
		ok = w->dp.by_v6 != NULL && ok;
		w->dp.have_pool6 = true;
	}
	return ok;
}

/*
 * A session for device in group with verdict v, its serial ("%02X") and
 * fingerprint (every byte) made from the device id's last character, and
 * (with lease) its addresses leased. *out is the session, NULL when
 * gw_session_new made none. Returns gw_session_new's result, or when that
 * is 0 and lease, gw_session_lease's.
 */
static inline int wf_add_session(struct gw_worker *w, const char *device, const char *group,
				 enum pst_verdict v, bool lease, struct gw_session **out)
{
	struct pst_identity id = { 0 };
	char last = device[strlen(device) - 1];
	int rc;

	*out = NULL;
	snprintf(id.device_id, sizeof(id.device_id), "%s", device);
	snprintf(id.group, sizeof(id.group), "%s", group);
	snprintf(id.serial, sizeof(id.serial), "%02X", last);
	memset(id.fingerprint, last, sizeof(id.fingerprint));
	rc = gw_session_new(w, &id, out);
	if (rc || !*out)
		return rc;
	(*out)->verdict = v;
	return lease ? gw_session_lease(w, *out) : 0;
}

/* The session of device, or NULL. */
static inline struct gw_session *wf_find(struct gw_worker *w, const char *device)
{
	for (struct gw_session *s = w->sess.sessions; s; s = s->next) {
		if (!strcmp(s->id.device_id, device))
			return s;
	}
	return NULL;
}

/* Ends every session (their connections, which the tests never open, are
 * dropped first) and frees what wf_worker_init allocated. */
static inline void wf_worker_free(struct gw_worker *w)
{
	for (struct gw_session *s = w->sess.sessions; s; s = s->next)
		s->conn = NULL;
	while (w->sess.sessions)
		gw_session_end(w, w->sess.sessions, "test over");
	gw_sessions_free(w);
	gw_pool_destroy(&w->dp.pool4);
	gw_pool_destroy(&w->dp.pool6);
	free(w->dp.by_v4);
	free(w->dp.by_v6);
	free(w->ctl.history);
	gw_bans_free(w);
}

#endif
