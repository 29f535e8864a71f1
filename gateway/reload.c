/* SPDX-License-Identifier: MIT */
/*
 * Reload (SIGHUP or `posternctl reload`) and `posternctl policy-diff`.
 *
 * A reload is all or nothing: the configuration, the policy, its inventory
 * and the CRL are all loaded and checked before any of them replaces what
 * is in force, and a file with a problem leaves everything as it was. The
 * live sessions are then re-evaluated (reeval.c); policy-diff runs the same
 * re-evaluation against a candidate policy and changes nothing.
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
#include "gateway/conn.h"
#include "gateway/crl.h"
#include "gateway/history.h"
#include "gateway/json.h"
#include "gateway/log.h"
#include "gateway/memstream.h"
#include "gateway/model.h"
#include "gateway/reeval.h"
#include "gateway/reload.h"
#include "gateway/watch.h"
#include "posture/inventory.h"
#include "posture/lint.h"

/* ---- the policy lint ---- */

size_t gw_policy_lint(const struct conf_policy *p, const char *name, FILE *raw)
{
	char *buf = malloc(PST_LINT_MAX), *line, *save = NULL;
	size_t n;

	if (!buf) {
		gw_warn("%s: the policy lint did not run: out of memory", name);
		return 0;
	}
	n = pst_policy_lint(p, name, buf, PST_LINT_MAX);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (raw)
			fprintf(raw, "%s\n", line);
		else
			gw_warn("%s", line);
	}
	free(buf);
	return n;
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
	ret = conf_gateway_reload(w->pol.conf->path, &l->conf, err, errlen);
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
	return gw_crl_load(w->pol.ca, w->pol.conf->crl, &w->pol.crl_meta, &l->crl, err, errlen);
}

static void reload_log_refused(const char *err)
{
	gw_err("reload refused: nothing was changed:");
	gw_log_lines(err);
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
		gw_json_str(h, w->pol.conf->path);
		fputs(",\"policy\":", h);
		gw_json_str(h, w->pol.policy ? w->pol.policy->path : NULL);
		fputs(",\"sha256\":", h);
		gw_json_str(h, w->pol.policy ? w->pol.policy->sha256 : NULL);
		fputs(",\"restart_needed\":", h);
		gw_json_str(h, kept[0] ? kept : NULL);
	} else {
		fprintf(h, "reloaded: config %s, policy %s%s%s", w->pol.conf->path,
			w->pol.policy ? w->pol.policy->path : "(none)",
			kept[0] ? "\nrestart needed for: " : "", kept);
	}
	return gw_stream_done(h, &buf);
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
	return gw_stream_done(h, &buf);
}

int gw_reload(struct gw_worker *w, FILE *out, bool json, char *err, size_t errlen)
{
	struct loaded l;
	struct gw_reeval_req rq = { .event = "reload", .json = json };
	char kept[256];
	time_t now = time(NULL);
	int ret = reload_load(w, &l, err, errlen);

	if (ret < 0) {
		w->stats.reloads_failed++;
		reload_log_refused(err);
		loaded_free(&l);
		return ret;
	}
	if (conf_gateway_keep(l.conf, w->pol.conf, kept, sizeof(kept)))
		gw_warn("reload: %s changed in %s; that takes a restart, the running values stay",
			kept, w->pol.conf->path);
	conf_gateway_free(w->pol.conf);
	w->pol.conf = l.conf;
	w->dp.pools.pool4 = &w->pol.conf->ipv4_pool;
	if (w->dp.have_pool6)
		w->dp.pools.pool6 = &w->pol.conf->ipv6_pool;
	w->pol.conf_loaded = now;
	gw_conns_retick(w);	/* dpd and idle-timeout may have changed */
	for (unsigned int k = 0; k < gw_workers_n(w); k++)
		gw_tally_rules_carry(&gw_worker_at(w, k)->stats, w->pol.policy, l.policy);
	conf_policy_free(w->pol.policy);
	w->pol.policy = l.policy;
	w->pol.policy_loaded = now;
	pst_inventory_free(w->pol.inventory);
	w->pol.inventory = l.inventory;
	w->pol.inventory_loaded = now;
	gw_watch_set(&w->pol.inventory_watch, w->pol.policy ? w->pol.policy->inventory : NULL);
	gw_watch_set(&w->pol.crl_watch, w->pol.conf->crl);
	w->stats.reloads_ok++;
	if (w->pol.policy) {
		gw_info("reload: config %s, policy %s (sha256 %s)", w->pol.conf->path, w->pol.policy->path,
			w->pol.policy->sha256);
		gw_policy_lint(w->pol.policy, w->pol.conf->policy, NULL);
	} else
		gw_info("reload: config %s, no policy", w->pol.conf->path);
	gw_crl_install(w, &l.crl, "reloaded");
	rq.head = reload_head(w, kept, json);
	rq.answer = out && rq.head;
	ret = gw_reeval_start(w, &rq, out);
	if (ret < 0) {
		free(rq.head);
		snprintf(err, errlen, "out of memory: the new policy is in force for new "
			 "sessions, but the live ones were NOT re-evaluated; reload again");
		gw_err("reload: %s", err);
	}
	return ret;
}

int gw_policy_diff(struct gw_worker *w, const char *path, FILE *out, bool json, char *err,
		   size_t errlen)
{
	struct gw_reeval_req rq = { .event = "policy-diff", .json = json, .answer = true };
	int ret = conf_policy_load(path, &rq.candidate, err, errlen);

	if (ret < 0)
		return ret;
	if (rq.candidate->inventory) {
		ret = pst_inventory_load(rq.candidate->inventory, &rq.candidate_inv, err, errlen);
		if (ret < 0)
			goto fail;
	}
	rq.head = diff_head(rq.candidate, json);
	ret = rq.head ? gw_reeval_start(w, &rq, out) : -ENOMEM;
	if (ret >= 0)
		return ret;
	snprintf(err, errlen, "out of memory");
	free(rq.head);
fail:
	pst_inventory_free(rq.candidate_inv);
	conf_policy_free(rq.candidate);
	return ret;
}

/* ---- set-up ---- */

int gw_reload_init(struct gw_worker *w)
{
	char err[4096];
	time_t now = time(NULL);
	struct gw_crl_loaded crl;

	w->ctl.history = calloc(GW_HISTORY_MAX, sizeof(*w->ctl.history));
	if (!w->ctl.history)
		return -ENOMEM;
	w->ctl.started = w->pol.conf_loaded = w->pol.policy_loaded = now;
	w->pol.server_not_after = gw_asn1_time(X509_get0_notAfter(SSL_CTX_get0_certificate(w->net.tls)));
	w->pol.ca_not_after = gw_asn1_time(X509_get0_notAfter(w->pol.ca));
	gw_watch_set(&w->pol.crl_watch, w->pol.conf->crl);
	if (gw_crl_load(w->pol.ca, w->pol.conf->crl, NULL, &crl, err, sizeof(err)) < 0) {
		gw_err("%s", err);
		return -EINVAL;
	}
	gw_crl_install(w, &crl, "loaded");
	if (w->pol.policy && w->pol.policy->inventory) {
		if (pst_inventory_load(w->pol.policy->inventory, &w->pol.inventory, err, sizeof(err)) < 0) {
			gw_err("the policy's inventory does not load:");
			gw_log_lines(err);
			return -EINVAL;
		}
		w->pol.inventory_loaded = now;
		gw_watch_set(&w->pol.inventory_watch, w->pol.policy->inventory);
		gw_info("inventory %s: %zu records", w->pol.policy->inventory,
			pst_inventory_count(w->pol.inventory));
	}
	return 0;
}

void gw_reload_free(struct gw_worker *w)
{
	pst_inventory_free(w->pol.inventory);
	w->pol.inventory = NULL;
	free(w->ctl.history);
	w->ctl.history = NULL;
}
