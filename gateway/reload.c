/* SPDX-License-Identifier: MIT */
/*
 * Changing a running gateway without dropping the sessions it should not
 * touch: reload (SIGHUP or `posternctl reload`), the CRL and inventory file
 * watches, the re-evaluation of live sessions they lead to, and
 * `posternctl policy-diff`, which runs the same re-evaluation against a
 * candidate policy and changes nothing.
 *
 * A reload is all or nothing: the configuration, the policy, its inventory
 * and the CRL are all loaded and checked before any of them replaces what
 * is in force, and a file with a problem leaves everything as it was.
 *
 * Re-evaluation decides each live session again from what its device said
 * at login (kept in the session) and what the MDM says now, with the same
 * engine as at login. The device's own facts are judged as of its login,
 * so a reload does not make every report "too old"; the MDM's are judged
 * as of now. A session whose verdict and profile stay is not touched; one
 * that moves gets the new profile's networks in place, which the packet
 * filter applies from the next packet on (the client keeps its tunnel and
 * address: the routes it was given at CONNECT already cover both its rule's
 * profile and the quarantine profile); one that is now denied is ended.
 *
 * The files are watched by stat() once a second (inode, size, mtime in
 * nanoseconds): simple, and it sees a replace-by-rename, an in-place write
 * and a change on a network file system alike, well within the 2 s a
 * revocation has to bite in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "conf/policy.h"
#include "gateway/gateway.h"
#include "gateway/log.h"
#include "posture/inventory.h"

/* ---- history ---- */

void gw_history_add(struct gw_worker *w, const char *device, const char *event,
		    const struct pst_decision *d)
{
	struct gw_history *h;
	size_t n = 0;

	if (!w->history)
		return;
	h = &w->history[w->history_next];
	memset(h, 0, sizeof(*h));
	h->time = time(NULL);
	snprintf(h->device, sizeof(h->device), "%s", device);
	h->event = event;
	h->verdict = d ? pst_verdict_name(d->verdict) : "ended";
	if (d && d->rule)
		snprintf(h->rule, sizeof(h->rule), "%s", d->rule->name);
	if (d && d->profile)
		snprintf(h->profile, sizeof(h->profile), "%s", d->profile->name);
	for (size_t i = 0; d && i < d->n_reasons && n < sizeof(h->reasons); i++) {
		int k = snprintf(h->reasons + n, sizeof(h->reasons) - n, "%s%s", i ? "\n" : "",
				 d->reasons[i]);

		if (k < 0)
			break;
		n += (size_t)k;
	}
	w->history_next = (w->history_next + 1) % GW_HISTORY_MAX;
	if (w->history_n < GW_HISTORY_MAX)
		w->history_n++;
}

/* ---- a session's facts and decision ---- */

int gw_session_facts(const struct conf_policy *p, const struct pst_inventory *inv,
		     const struct gw_session *s, time_t now, struct pst_facts *facts)
{
	pst_facts_init(facts);
	for (size_t i = 0; i < s->n_facts && i < PST_FACTS_MAX; i++)
		facts->f[facts->n++] = s->facts[i];
	if (p && inv && pst_inventory_facts(inv, s->id.device_id, now, p->max_inventory_age,
					    facts) < 0)
		return -ENOSPC;
	return 0;
}

void gw_session_end_for(struct gw_worker *w, struct gw_session *s, enum gw_end why,
			const char *text)
{
	w->stats.ended[why]++;
	gw_session_end(w, s, text);
}

/* The decision a live session gets under policy p (NULL: none, allow). */
static void reeval_decide(const struct conf_policy *p, const struct pst_inventory *inv,
			  const struct gw_session *s, time_t now, struct pst_facts *facts,
			  struct pst_decision *d)
{
	struct pst_subject subj = {
		.device_id = s->id.device_id,
		.group = s->id.group,
		.ownership = s->id.ownership,
		.report_problem = s->judged ? s->report_problem : "no posture report was received",
		.judged_at = s->judged ? s->judged_at : s->since,
	};

	int err = gw_session_facts(p, inv, s, now, facts);

	memset(d, 0, sizeof(*d));
	if (err < 0) {
		/* Fail closed: a lost device's status must not be the fact that did not fit. */
		d->verdict = PST_DENY;
		snprintf(d->reasons[0], PST_REASON_MAX, "the device's facts and its MDM record "
			 "do not fit together; contact IT");
		d->n_reasons = 1;
		return;
	}
	if (!p) {
		d->verdict = PST_ALLOW;
		return;
	}
	pst_policy_decide(p, &subj, facts, now, d);
}

/* The session's networks are those of profile p (NULL: no filter). */
static bool reeval_same_networks(const struct gw_session *s, const struct conf_profile *p)
{
	if (!p || !s->allow)
		return !p && !s->allow;
	if (s->n_allow != p->n_allow)
		return false;
	for (size_t i = 0; i < p->n_allow; i++) {
		if (!conf_cidr_eq(&s->allow[i], &p->allow[i]))
			return false;
	}
	return true;
}

/* Nothing to do: same verdict, same profile, and the profile still has the
 * networks the session enforces (a reload may narrow a profile: that must
 * apply to live sessions too). */
static bool reeval_same(const struct gw_session *s, const struct pst_decision *d)
{
	const char *profile = d->profile ? d->profile->name : "";

	return s->verdict == d->verdict && !strcmp(s->profile, profile) &&
	       reeval_same_networks(s, d->profile);
}

/* Lost or retired in the inventory, as opposed to denied by a rule. */
static enum gw_end reeval_end_kind(const struct pst_facts *facts)
{
	const struct pst_fact *f = pst_facts_get_from(facts, "device.status", PST_SRC_MDM);

	return f && strcmp(f->value, "active") ? GW_END_LOST : GW_END_POLICY;
}

/* ---- reporting what changed (reload, policy-diff) ---- */

struct changes {
	FILE *f;			/* the JSON array of changes, or the text lines */
	char *buf;
	size_t len;
	FILE *ended;			/* JSON: the array of ended devices */
	char *ended_buf;
	size_t ended_len;
	bool json;
	size_t n_changed, n_ended, n_same;
};

static int changes_open(struct changes *c, bool json)
{
	memset(c, 0, sizeof(*c));
	c->json = json;
	c->f = open_memstream(&c->buf, &c->len);
	c->ended = open_memstream(&c->ended_buf, &c->ended_len);
	return c->f && c->ended ? 0 : -ENOMEM;
}

static void changes_close(struct changes *c)
{
	if (c->f)
		fclose(c->f);
	if (c->ended)
		fclose(c->ended);
	free(c->buf);
	free(c->ended_buf);
}

static void change_side(FILE *f, const char *verdict, const char *rule, const char *profile)
{
	fputs("{\"verdict\":", f);
	gw_json_str(f, verdict);
	fputs(",\"rule\":", f);
	gw_json_str(f, rule && rule[0] ? rule : NULL);
	fputs(",\"profile\":", f);
	gw_json_str(f, profile && profile[0] ? profile : NULL);
	fputc('}', f);
}

static void change_add(struct changes *c, const struct gw_session *s, const struct pst_decision *d)
{
	const char *rule = d->rule ? d->rule->name : NULL;
	const char *profile = d->profile ? d->profile->name : NULL;

	if (!c->json) {
		fprintf(c->f, "  %-20s %s/%s -> %s/%s%s\n", s->id.device_id,
			pst_verdict_name(s->verdict), s->profile[0] ? s->profile : "-",
			pst_verdict_name(d->verdict), profile ? profile : "-",
			d->verdict == PST_DENY ? " (session ends)" :
			s->verdict == d->verdict && !strcmp(s->profile, profile ? profile : "") ?
			" (the profile's networks changed)" : "");
		for (size_t i = 0; i < d->n_reasons; i++)
			fprintf(c->f, "      - %s\n", d->reasons[i]);
	} else {
		fputs(c->n_changed ? ",{\"device\":" : "{\"device\":", c->f);
		gw_json_str(c->f, s->id.device_id);
		fputs(",\"from\":", c->f);
		change_side(c->f, pst_verdict_name(s->verdict), s->rule, s->profile);
		fputs(",\"to\":", c->f);
		change_side(c->f, pst_verdict_name(d->verdict), rule, profile);
		fputs(",\"reasons\":[", c->f);
		for (size_t i = 0; i < d->n_reasons; i++) {
			if (i)
				fputc(',', c->f);
			gw_json_str(c->f, d->reasons[i]);
		}
		fputs("]}", c->f);
	}
	c->n_changed++;
	if (d->verdict == PST_DENY) {
		if (c->json) {
			if (c->n_ended)
				fputc(',', c->ended);
			gw_json_str(c->ended, s->id.device_id);
		}
		c->n_ended++;
	}
}

/* Writes the summary; head is the JSON members or text line before the
 * changes, key the name of their array ("changed" by a reload, "changes" a
 * policy-diff would make). */
static void changes_write(struct changes *c, FILE *out, const char *head, const char *key)
{
	fflush(c->f);
	fflush(c->ended);
	if (c->json) {
		fprintf(out, "{%s,\"%s\":[%.*s],\"ended\":[%.*s],\"unchanged\":%zu}\n", head,
			key, (int)c->len, c->buf ? c->buf : "", (int)c->ended_len,
			c->ended_buf ? c->ended_buf : "", c->n_same);
		return;
	}
	fprintf(out, "%s\n", head);
	if (c->n_changed)
		fwrite(c->buf, 1, c->len, out);
	fprintf(out, "%zu session%s would change or changed, %zu unchanged\n", c->n_changed,
		c->n_changed == 1 ? "" : "s", c->n_same);
}

/* ---- applying a decision to a live session ---- */

/* Closes an open_memstream stream (which sets *buf on close): the text, or
 * NULL when writing it failed. */
static char *stream_done(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

static char *reeval_reasons(const struct pst_decision *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!d->n_reasons)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < d->n_reasons; i++)
		fprintf(f, "%s%s", i ? "\n" : "", d->reasons[i]);
	return stream_done(f, &buf);
}

int gw_session_apply(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d)
{
	const struct conf_profile *p = d->profile;
	struct conf_cidr *allow = NULL;

	if (p) {
		allow = calloc(p->n_allow ? p->n_allow : 1, sizeof(*allow));
		if (!allow)
			return -ENOMEM;
		memcpy(allow, p->allow, p->n_allow * sizeof(*allow));
	}
	free(s->allow);
	s->allow = allow;
	s->n_allow = p ? p->n_allow : 0;
	s->verdict = d->verdict;
	snprintf(s->rule, sizeof(s->rule), "%s", d->rule ? d->rule->name : "");
	snprintf(s->profile, sizeof(s->profile), "%s", p ? p->name : "");
	free(s->reasons);
	s->reasons = reeval_reasons(d);
	s->decided = time(NULL);
	s->outside_logged = false;
	if (!s->connects)
		return gw_session_routes(w, s, d);
	return 0;
}

/* Whether the routes the client got at CONNECT cover every network of its
 * profile now (they do for its rule's profile and the quarantine one). */
static bool reeval_routed(const struct gw_session *s)
{
	if (!s->routes)
		return true;
	for (size_t i = 0; i < s->n_allow; i++) {
		bool covered = false;

		for (size_t k = 0; k < s->n_routes && !covered; k++)
			covered = s->routes[k].prefix <= s->allow[i].prefix &&
				  conf_cidr_contains(&s->routes[k], s->allow[i].family,
						     s->allow[i].addr.bytes);
		if (!covered)
			return false;
	}
	return true;
}

static void reeval_apply(struct gw_worker *w, struct gw_session *s, const struct pst_decision *d,
			 const struct pst_facts *facts, const char *event)
{
	char was[2 * CONF_NAME_MAX + 16];

	snprintf(was, sizeof(was), "%s/%s", pst_verdict_name(s->verdict),
		 s->profile[0] ? s->profile : "-");
	gw_history_add(w, s->id.device_id, event, d);
	if (w->policy)
		gw_audit_decision(w, event, &s->id, s->conn ? s->conn->peer : NULL, s, d, facts,
				  s->judged ? s->report_problem : "no posture report was received");
	if (d->verdict == PST_DENY) {
		char why[PST_REASON_MAX + 48];

		snprintf(why, sizeof(why), "%s (%s)",
			 d->n_reasons ? d->reasons[0] : "denied by the posture policy", event);
		gw_session_end_for(w, s, reeval_end_kind(facts), why);
		return;
	}
	w->stats.reevaluated++;
	if (gw_session_apply(w, s, d) < 0) {
		gw_session_end_for(w, s, GW_END_POLICY, "out of memory while re-evaluating");
		return;
	}
	gw_info("re-evaluated device=%s verdict=%s profile=%s (was %s) after %s",
		s->id.device_id, pst_verdict_name(d->verdict), s->profile[0] ? s->profile : "-",
		was, event);
	if (s->connects && !reeval_routed(s))
		gw_warn("device=%s: profile %s has networks outside the routes the client was "
			"given at connect; it reaches them after its next connect",
			s->id.device_id, s->profile);
}

/*
 * Decides every live session again under the policy and inventory in force;
 * with apply false it only reports (policy-diff with a candidate policy).
 */
static int reeval_all(struct gw_worker *w, const struct conf_policy *p,
		      const struct pst_inventory *inv, const char *event, bool apply,
		      struct changes *c)
{
	struct pst_facts *facts = malloc(sizeof(*facts));
	struct pst_decision *d = malloc(sizeof(*d));
	struct gw_session *s, *next;
	time_t now = time(NULL);

	if (!facts || !d) {
		free(facts);
		free(d);
		return -ENOMEM;
	}
	for (s = w->sessions; s; s = next) {
		next = s->next;
		if (s->verdict == PST_DENY)	/* a refusal on its way to the device */
			continue;
		reeval_decide(p, inv, s, now, facts, d);
		if (reeval_same(s, d)) {
			if (c)
				c->n_same++;
			continue;
		}
		if (c)
			change_add(c, s, d);
		if (apply)
			reeval_apply(w, s, d, facts, event);
	}
	free(facts);
	free(d);
	return 0;
}

/* ---- the CRL ---- */

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

/* Ends the sessions, and closes the connections, of revoked certificates. */
static void crl_enforce(struct gw_worker *w, X509_CRL *crl)
{
	struct gw_session *s, *next;
	struct gw_conn *c, *cnext;

	for (s = w->sessions; s; s = next) {
		next = s->next;
		if (!crl_lists(crl, s->id.serial))
			continue;
		gw_history_add(w, s->id.device_id, "crl", NULL);
		gw_session_end_for(w, s, GW_END_REVOKED, "certificate revoked");
	}
	for (c = w->conns; c; c = cnext) {
		cnext = c->next;
		if (c->cert_ok && c->state == GW_CONN_HTTP && crl_lists(crl, c->id.serial))
			gw_conn_close(c, "certificate revoked");
	}
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

	if (stat(path, &st) < 0) {
		wt->have = false;
		return had ? -errno : 0;
	}
	if (had && wt->dev == st.st_dev && wt->ino == st.st_ino && wt->size == st.st_size &&
	    ts_eq(wt->mtime, st.st_mtim) && ts_eq(wt->ctime, st.st_ctim))
		return 0;
	watch_note(wt, &st);
	return 1;
}

static void watch_set(struct gw_watch *wt, const char *path)
{
	struct stat st;

	memset(wt, 0, sizeof(*wt));
	if (path && stat(path, &st) == 0)
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
static void crl_install(struct gw_worker *w, struct gw_crl_loaded *l, const char *what)
{
	SSL_CTX_set_cert_store(w->tls, l->store);
	l->store = NULL;
	w->crl_meta = l->meta;
	w->crl_revoked = crl_count(l->crl);
	w->crl_loaded = time(NULL);
	w->crl_problem[0] = '\0';
	w->crl_problem_since = 0;
	gw_info("crl %s %s: %lu revoked, CRL number %s", what, w->conf->crl, w->crl_revoked,
		w->crl_meta.have_number ? w->crl_meta.number_dec : "(none)");
	crl_warn_expiry(w->conf->crl, &w->crl_meta);
	crl_enforce(w, l->crl);
	gw_crl_loaded_free(l);
}

/* The file could not replace the CRL in force: status and the metrics say
 * so (stale) until it can; the one in force keeps working meanwhile. */
static void crl_failed(struct gw_worker *w, int err, const char *why)
{
	w->stats.crl_reload_failures++;
	if (!w->crl_problem[0])
		w->crl_problem_since = time(NULL);
	snprintf(w->crl_problem, sizeof(w->crl_problem), "%s", why);
	if (err == -ESTALE)
		gw_warn("crl not reloaded: %s; CRL number %s stays in force", why,
			w->crl_meta.have_number ? w->crl_meta.number_dec : "(none)");
	else
		gw_err("crl not reloaded: %s; the CRL loaded before (number %s) stays in force "
		       "and new revocations do not take effect", why,
		       w->crl_meta.have_number ? w->crl_meta.number_dec : "(none)");
}

static void crl_reload(struct gw_worker *w)
{
	struct gw_crl_loaded l;
	char err[512];
	int ret = gw_crl_load(w->ca, w->conf->crl, &w->crl_meta, &l, err, sizeof(err));

	if (ret < 0) {
		crl_failed(w, ret, err);
		return;
	}
	if (gw_crl_same(&w->crl_meta, &l.meta)) {
		/* Touched, or readable again: nothing new to apply. */
		if (w->crl_problem[0])
			gw_info("crl %s: readable again, the CRL in force (number %s) is the file's",
				w->conf->crl, l.meta.number_dec);
		w->crl_problem[0] = '\0';
		w->crl_problem_since = 0;
		gw_crl_loaded_free(&l);
		return;
	}
	crl_install(w, &l, "reloaded");
}

static void crl_watch_tick(struct gw_worker *w)
{
	char why[512];
	int ret = watch_check(&w->crl_watch, w->conf->crl);

	if (ret > 0) {
		crl_reload(w);
	} else if (ret < 0) {
		snprintf(why, sizeof(why), "%s: %s", w->conf->crl, strerror(-ret));
		crl_failed(w, ret, why);
	}
}

/* ---- the inventory ---- */

static void log_problems(const char *err)
{
	const char *p = err;

	while (p && *p) {
		const char *nl = strchr(p, '\n');

		gw_err("  %.*s", (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		p = nl ? nl + 1 : NULL;
	}
}

static void inventory_reload(struct gw_worker *w)
{
	struct pst_inventory *inv = NULL;
	char err[4096];

	if (pst_inventory_load(w->policy->inventory, &inv, err, sizeof(err)) < 0) {
		gw_err("inventory %s not reloaded; the one loaded before stays in force:",
		       w->policy->inventory);
		log_problems(err);
		return;
	}
	pst_inventory_free(w->inventory);
	w->inventory = inv;
	w->inventory_loaded = time(NULL);
	gw_info("inventory reloaded %s: %zu records", w->policy->inventory,
		pst_inventory_count(inv));
	reeval_all(w, w->policy, w->inventory, "inventory", true, NULL);
}

void gw_watch_tick(struct gw_worker *w)
{
	int ret;

	crl_watch_tick(w);
	if (!w->policy || !w->policy->inventory)
		return;
	ret = watch_check(&w->inventory_watch, w->policy->inventory);
	if (ret > 0)
		inventory_reload(w);
	else if (ret < 0)
		gw_warn("%s: %s; keeping what was loaded", w->policy->inventory, strerror(-ret));
}

/* ---- reload ---- */

struct loaded {
	struct gw_conf *conf;
	struct conf_policy *policy;
	struct pst_inventory *inventory;
	struct gw_crl_loaded crl;
};

static void loaded_free(struct loaded *l)
{
	conf_gateway_free(l->conf);
	conf_policy_free(l->policy);
	pst_inventory_free(l->inventory);
	gw_crl_loaded_free(&l->crl);
}

/* Loads everything; 0, or the first loader's -errno with its problems in err. */
static int reload_load(struct gw_worker *w, struct loaded *l, char *err, size_t errlen)
{
	int ret;

	memset(l, 0, sizeof(*l));
	ret = conf_gateway_reload(w->conf->path, &l->conf, err, errlen);
	if (ret < 0)
		return ret;
	if (l->conf->policy) {
		ret = conf_policy_load(l->conf->policy, &l->policy, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (l->policy && l->policy->inventory) {
		ret = pst_inventory_load(l->policy->inventory, &l->inventory, err, errlen);
		if (ret < 0)
			return ret;
	}
	/* The CRL's path needs a restart to change: the running one is re-read. */
	return gw_crl_load(w->ca, w->conf->crl, &w->crl_meta, &l->crl, err, errlen);
}

static void reload_log_refused(const char *err)
{
	gw_err("reload refused: nothing was changed:");
	log_problems(err);
}

/* The summary's opening: JSON members, or a text line. NULL without memory. */
static char *reload_head(const struct gw_worker *w, const char *kept, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *h = open_memstream(&buf, &len);

	if (!h)
		return NULL;
	if (json) {
		fputs("\"config\":", h);
		gw_json_str(h, w->conf->path);
		fputs(",\"policy\":", h);
		gw_json_str(h, w->policy ? w->policy->path : NULL);
		fputs(",\"sha256\":", h);
		gw_json_str(h, w->policy ? w->policy->sha256 : NULL);
		fputs(",\"restart_needed\":", h);
		gw_json_str(h, kept[0] ? kept : NULL);
	} else {
		fprintf(h, "reloaded: config %s, policy %s%s%s", w->conf->path,
			w->policy ? w->policy->path : "(none)",
			kept[0] ? "\nrestart needed for: " : "", kept);
	}
	return stream_done(h, &buf);
}

static char *diff_head(const struct conf_policy *p, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *h = open_memstream(&buf, &len);

	if (!h)
		return NULL;
	if (json) {
		fputs("\"policy\":", h);
		gw_json_str(h, p->path);
		fputs(",\"sha256\":", h);
		gw_json_str(h, p->sha256);
	} else {
		fprintf(h, "policy-diff %s (sha256 %s) against the live sessions:", p->path,
			p->sha256);
	}
	return stream_done(h, &buf);
}

int gw_reload(struct gw_worker *w, FILE *out, bool json, char *err, size_t errlen)
{
	struct loaded l;
	struct changes c;
	char kept[256], *head;
	time_t now = time(NULL);
	int ret = reload_load(w, &l, err, errlen);

	if (ret < 0) {
		w->stats.reloads_failed++;
		reload_log_refused(err);
		loaded_free(&l);
		return ret;
	}
	if (conf_gateway_keep(l.conf, w->conf, kept, sizeof(kept)))
		gw_warn("reload: %s changed in %s; that takes a restart, the running values stay",
			kept, w->conf->path);
	conf_gateway_free(w->conf);
	w->conf = l.conf;
	w->pools.pool4 = &w->conf->ipv4_pool;
	if (w->have_pool6)
		w->pools.pool6 = &w->conf->ipv6_pool;
	w->conf_loaded = now;
	conf_policy_free(w->policy);
	w->policy = l.policy;
	w->policy_loaded = now;
	pst_inventory_free(w->inventory);
	w->inventory = l.inventory;
	w->inventory_loaded = now;
	watch_set(&w->inventory_watch, w->policy ? w->policy->inventory : NULL);
	watch_set(&w->crl_watch, w->conf->crl);
	w->stats.reloads_ok++;
	if (w->policy)
		gw_info("reload: config %s, policy %s (sha256 %s)", w->conf->path, w->policy->path,
			w->policy->sha256);
	else
		gw_info("reload: config %s, no policy", w->conf->path);
	crl_install(w, &l.crl, "reloaded");
	if (changes_open(&c, json) < 0) {
		reeval_all(w, w->policy, w->inventory, "reload", true, NULL);
		changes_close(&c);
		return 0;
	}
	reeval_all(w, w->policy, w->inventory, "reload", true, &c);
	head = reload_head(w, kept, json);
	if (out && head)
		changes_write(&c, out, head, "changed");
	free(head);
	changes_close(&c);
	return 0;
}

int gw_policy_diff(struct gw_worker *w, const char *path, FILE *out, bool json, char *err,
		   size_t errlen)
{
	struct conf_policy *p = NULL;
	struct pst_inventory *inv = NULL;
	struct changes c;
	char *head;
	int ret = conf_policy_load(path, &p, err, errlen);

	if (ret < 0)
		return ret;
	if (p->inventory) {
		ret = pst_inventory_load(p->inventory, &inv, err, errlen);
		if (ret < 0)
			goto out;
	}
	ret = -ENOMEM;
	if (changes_open(&c, json) < 0) {
		snprintf(err, errlen, "out of memory");
		changes_close(&c);
		goto out;
	}
	reeval_all(w, p, inv, "policy-diff", false, &c);
	head = diff_head(p, json);
	if (!head) {
		snprintf(err, errlen, "out of memory");
		changes_close(&c);
		goto out;
	}
	changes_write(&c, out, head, "changes");
	free(head);
	changes_close(&c);
	gw_info("policy-diff %s: %zu sessions would change", p->path, c.n_changed);
	ret = 0;
out:
	pst_inventory_free(inv);
	conf_policy_free(p);
	return ret;
}

/* ---- set-up ---- */

int gw_reload_init(struct gw_worker *w)
{
	char err[4096];
	time_t now = time(NULL);
	struct gw_crl_loaded crl;

	w->history = calloc(GW_HISTORY_MAX, sizeof(*w->history));
	if (!w->history)
		return -ENOMEM;
	w->started = w->conf_loaded = w->policy_loaded = now;
	w->server_not_after = gw_asn1_time(X509_get0_notAfter(SSL_CTX_get0_certificate(w->tls)));
	w->ca_not_after = gw_asn1_time(X509_get0_notAfter(w->ca));
	watch_set(&w->crl_watch, w->conf->crl);
	if (gw_crl_load(w->ca, w->conf->crl, NULL, &crl, err, sizeof(err)) < 0) {
		gw_err("%s", err);
		return -EINVAL;
	}
	crl_install(w, &crl, "loaded");
	if (w->policy && w->policy->inventory) {
		if (pst_inventory_load(w->policy->inventory, &w->inventory, err, sizeof(err)) < 0) {
			gw_err("the policy's inventory does not load:");
			log_problems(err);
			return -EINVAL;
		}
		w->inventory_loaded = now;
		watch_set(&w->inventory_watch, w->policy->inventory);
		gw_info("inventory %s: %zu records", w->policy->inventory,
			pst_inventory_count(w->inventory));
	}
	return 0;
}

void gw_reload_free(struct gw_worker *w)
{
	pst_inventory_free(w->inventory);
	w->inventory = NULL;
	free(w->history);
	w->history = NULL;
}
