/* SPDX-License-Identifier: MIT */
/*
 * The files a running gateway follows by itself: the CRL and the policy's
 * MDM inventory. A changed CRL ends the sessions and closes the connections
 * of every certificate it revokes; a changed inventory re-evaluates every
 * live session (reeval.c). A file that does not load leaves the one in force
 * and is reported (the CRL's state turns stale).
 *
 * The files are watched by stat() once a second (inode, size, mtime in
 * nanoseconds, and ctime for a chmod or chown): simple, and it sees a
 * replace-by-rename, an in-place write and a change on a network file system
 * alike, well within the 2 s a revocation has to bite in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/file.h"
#include "common/htab.h"
#include "conf/policy.h"
#include "gateway/conn.h"
#include "gateway/crl.h"
#include "gateway/history.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/reeval.h"
#include "gateway/session.h"
#include "gateway/watch.h"
#include "posture/inventory.h"

static bool crl_lists(X509_CRL *crl, const char *serial_hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	X509_REVOKED *rev = NULL;
	bool listed = false;

	if (BN_hex2bn(&bn, serial_hex) > 0 && (ai = BN_to_ASN1_INTEGER(bn, NULL)))
		listed = X509_CRL_get0_by_serial(crl, &rev, ai) == 1;
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return listed;
}

bool gw_crl_revokes(const struct gw_worker *w, const char *serial_hex)
{
	X509_STORE *store = w->net.tls ? SSL_CTX_get_cert_store(w->net.tls) : NULL;
	STACK_OF(X509_OBJECT) *objs = store ? X509_STORE_get0_objects(store) : NULL;

	for (int i = 0; objs && i < sk_X509_OBJECT_num(objs); i++) {
		X509_CRL *crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objs, i));

		if (crl && crl_lists(crl, serial_hex))
			return true;
	}
	return false;
}

/*
 * The serials a CRL revokes, written as a session's (pst_serial_hex), in
 * a hash set: asking the CRL about each session (a
 * BIGNUM, an ASN1_INTEGER and a lookup under the CRL's lock, about 1-2 us)
 * held every worker 10-20 ms at 10 000 sessions on each reload and each
 * new CRL. An entry whose reason is removeFromCRL revokes nothing, as
 * X509_CRL_get0_by_serial says.
 */
struct crl_serial {
	struct cm_hnode node;
	char hex[];
};

struct crl_set {
	struct cm_htab tab;
	struct crl_serial **all;
	size_t n;
};

static void crl_set_free(struct crl_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->all[i]);
	free(set->all);
	cm_htab_free(&set->tab);
	memset(set, 0, sizeof(*set));
}

static bool crl_entry_removed(X509_REVOKED *rev)
{
	ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
	bool removed = reason && ASN1_ENUMERATED_get(reason) == CRL_REASON_REMOVE_FROM_CRL;

	ASN1_ENUMERATED_free(reason);
	return removed;
}

/* A serial too long for a session's field can be no session's: left out. */
static int crl_set_add(struct crl_set *set, X509_REVOKED *rev)
{
	char hex[sizeof(((struct pst_identity *)0)->serial)];
	int err = pst_serial_hex(X509_REVOKED_get0_serialNumber(rev), hex, sizeof(hex));
	size_t len = strlen(hex);
	struct crl_serial *e;

	if (err < 0)
		return err == -ERANGE ? 0 : err;
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return -ENOMEM;
	memcpy(e->hex, hex, len + 1);
	set->all[set->n++] = e;
	return cm_htab_add(&set->tab, &e->node, e->hex, len);
}

/* 0, or -ENOMEM (then the CRL is asked about each serial instead). */
static int crl_set_make(struct crl_set *set, X509_CRL *crl)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	int n = revs ? sk_X509_REVOKED_num(revs) : 0;

	memset(set, 0, sizeof(*set));
	set->all = calloc(n > 0 ? (size_t)n : 1, sizeof(*set->all));
	if (!set->all)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		X509_REVOKED *rev = sk_X509_REVOKED_value(revs, i);

		if (!crl_entry_removed(rev) && crl_set_add(set, rev) < 0) {
			crl_set_free(set);
			return -ENOMEM;
		}
	}
	return 0;
}

static bool crl_set_has(const struct crl_set *set, const char *hex)
{
	size_t len = strlen(hex);

	for (struct cm_hnode *n = cm_htab_first(&set->tab, hex, len); n; n = cm_htab_next(n))
		if (!strcmp(CM_CONTAINER_OF(n, struct crl_serial, node)->hex, hex))
			return true;
	return false;
}

static bool crl_revoked(const struct crl_set *set, X509_CRL *crl, const char *hex)
{
	return set ? crl_set_has(set, hex) : crl_lists(crl, hex);
}

/* Ends the sessions, and closes the connections, of revoked certificates. */
static void crl_enforce_one(struct gw_worker *w, X509_CRL *crl, const struct crl_set *set)
{
	struct gw_session *s, *next;
	struct gw_conn *c, *cnext;

	for (s = w->sess.sessions; s; s = next) {
		next = s->next;
		if (!crl_revoked(set, crl, s->id.serial))
			continue;
		gw_history_add(w, s->id.device_id, "crl", NULL);
		gw_session_end_for(w, s, GW_END_REVOKED, "certificate revoked");
	}
	for (c = w->net.conns; c; c = cnext) {
		cnext = c->next;
		if (c->cert_ok && c->state == GW_CONN_HTTP && crl_revoked(set, crl, c->id.serial))
			gw_conn_close(c, "certificate revoked");
	}
}

/* On every worker (worker 0 holds all their locks). */
static void crl_enforce(struct gw_worker *w, X509_CRL *crl)
{
	struct crl_set set;
	bool have = crl_set_make(&set, crl) == 0;

	for (unsigned int k = 0; k < gw_workers_n(w); k++)
		crl_enforce_one(gw_worker_at(w, k), crl, have ? &set : NULL);
	if (have)
		crl_set_free(&set);
}

static void watch_note(struct gw_watch *wt, const struct stat *st)
{
	wt->have = true;
	wt->dev = st->st_dev;
	wt->ino = st->st_ino;
	wt->size = st->st_size;
	wt->mtime = st->st_mtim;
	wt->ctime = st->st_ctim;
}

static bool ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/*
 * 1 when path differs from what wt saw last (and notes it), 0 when not;
 * -errno when it can no longer be seen, once (then 0 until it is back).
 * The change time counts too: a file made readable again by chmod or chown
 * is read again.
 */
static int watch_check(struct gw_watch *wt, const char *path)
{
	struct stat st;
	bool had = wt->have;
	int err = cm_file_stat(path, &st);

	if (err < 0) {
		wt->have = false;
		return had ? err : 0;
	}
	if (had && wt->dev == st.st_dev && wt->ino == st.st_ino && wt->size == st.st_size &&
	    ts_eq(wt->mtime, st.st_mtim) && ts_eq(wt->ctime, st.st_ctim))
		return 0;
	watch_note(wt, &st);
	return 1;
}

void gw_watch_set(struct gw_watch *wt, const char *path)
{
	struct stat st;

	memset(wt, 0, sizeof(*wt));
	if (path && cm_file_stat(path, &st) == 0)
		watch_note(wt, &st);
}

static unsigned long crl_count(X509_CRL *crl)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);

	return revs ? (unsigned long)sk_X509_REVOKED_num(revs) : 0;
}

/*
 * An expired CRL makes every device fail verification (fail closed), which
 * looks like an outage: say so loudly when it is loaded, and a week ahead.
 */
static void crl_warn_expiry(const char *path, const struct gw_crl_meta *m)
{
	time_t now = time(NULL);

	if (m->next_update && m->next_update <= now)
		gw_err("%s has expired: every device will be refused until it is re-issued "
		       "(postern-ca crl --dir DIR)", path);
	else if (m->next_update && m->next_update <= now + 7 * 24 * 3600)
		gw_warn("%s expires within 7 days: re-issue it (postern-ca crl --dir DIR)", path);
}

/* Puts a checked CRL and its store in force (l is emptied). */
void gw_crl_install(struct gw_worker *w, struct gw_crl_loaded *l, const char *what)
{
	SSL_CTX_set_cert_store(w->net.tls, l->store);
	l->store = NULL;
	w->pol.crl_meta = l->meta;
	w->pol.crl_revoked = crl_count(l->crl);
	w->pol.crl_loaded = time(NULL);
	w->pol.crl_problem[0] = '\0';
	w->pol.crl_problem_since = 0;
	gw_info("crl %s %s: %lu revoked, CRL number %s", what, w->pol.conf->crl, w->pol.crl_revoked,
		w->pol.crl_meta.have_number ? w->pol.crl_meta.number_dec : "(none)");
	crl_warn_expiry(w->pol.conf->crl, &w->pol.crl_meta);
	crl_enforce(w, l->crl);
	gw_crl_loaded_free(l);
}

/* The file could not replace the CRL in force: status and the metrics say
 * so (stale) until it can; the one in force keeps working meanwhile. */
static void crl_failed(struct gw_worker *w, int err, const char *why)
{
	w->stats.crl_reload_failures++;
	if (!w->pol.crl_problem[0])
		w->pol.crl_problem_since = time(NULL);
	snprintf(w->pol.crl_problem, sizeof(w->pol.crl_problem), "%s", why);
	if (err == -ESTALE)
		gw_warn("crl not reloaded: %s; CRL number %s stays in force", why,
			w->pol.crl_meta.have_number ? w->pol.crl_meta.number_dec : "(none)");
	else
		gw_err("crl not reloaded: %s; the CRL loaded before (number %s) stays in force "
		       "and new revocations do not take effect", why,
		       w->pol.crl_meta.have_number ? w->pol.crl_meta.number_dec : "(none)");
}

static void crl_reload(struct gw_worker *w)
{
	struct gw_crl_loaded l;
	char err[512];
	int ret = gw_crl_load(w->pol.ca, w->pol.conf->crl, &w->pol.crl_meta, &l, err, sizeof(err));

	if (ret < 0) {
		crl_failed(w, ret, err);
		return;
	}
	if (gw_crl_same(&w->pol.crl_meta, &l.meta)) {
		/* Touched, or readable again: nothing new to apply. */
		if (w->pol.crl_problem[0])
			gw_info("crl %s: readable again, the CRL in force (number %s) is the file's",
				w->pol.conf->crl, l.meta.number_dec);
		w->pol.crl_problem[0] = '\0';
		w->pol.crl_problem_since = 0;
		gw_crl_loaded_free(&l);
		return;
	}
	gw_crl_install(w, &l, "reloaded");
}

static void crl_watch_tick(struct gw_worker *w)
{
	char why[512];
	int ret = watch_check(&w->pol.crl_watch, w->pol.conf->crl);

	if (ret > 0) {
		crl_reload(w);
	} else if (ret < 0) {
		snprintf(why, sizeof(why), "%s: %s", w->pol.conf->crl, strerror(-ret));
		crl_failed(w, ret, why);
	}
}


static void inventory_reload(struct gw_worker *w)
{
	struct pst_inventory *inv = NULL;
	struct gw_reeval_req rq = { 0 };
	char err[4096];

	if (pst_inventory_load(w->pol.policy->inventory, &inv, err, sizeof(err)) < 0) {
		gw_err("inventory %s not reloaded; the one loaded before stays in force:",
		       w->pol.policy->inventory);
		gw_log_lines(err);
		return;
	}
	pst_inventory_free(w->pol.inventory);
	w->pol.inventory = inv;
	w->pol.inventory_loaded = time(NULL);
	gw_info("inventory reloaded %s: %zu records", w->pol.policy->inventory,
		pst_inventory_count(inv));
	rq.event = "inventory";
	if (gw_reeval_start(w, &rq, NULL) < 0)
		gw_err("inventory: out of memory re-evaluating the live sessions");
}

void gw_watch_tick(struct gw_worker *w)
{
	int ret;

	crl_watch_tick(w);
	if (!w->pol.policy || !w->pol.policy->inventory)
		return;
	ret = watch_check(&w->pol.inventory_watch, w->pol.policy->inventory);
	if (ret > 0)
		inventory_reload(w);
	else if (ret < 0)
		gw_warn("%s: %s; keeping what was loaded", w->pol.policy->inventory, strerror(-ret));
}
