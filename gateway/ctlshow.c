/* SPDX-License-Identifier: MIT */
/*
 * posternctl sessions and show, as the gateway answers them (ctlrun.h).
 * A session is shown with both of its addresses: the outside one its
 * tunnel comes from (the PROXY header's client behind a load balancer) and
 * the tunnel addresses leased to it.
 *
 * show finds the device an operator names by its id, by a tunnel address
 * (IPv4 or IPv6, in any form inet_pton reads) or by its owner's name from
 * the certificate (ASCII letters in any case): an owner with several
 * devices gets them all. Owners and addresses are known only of live
 * sessions; a device id also of its decisions in this run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/conn.h"
#include "gateway/ctllist.h"
#include "gateway/ctlrun.h"
#include "gateway/dtls.h"
#include "gateway/history.h"
#include "gateway/json.h"
#include "gateway/reeval.h"
#include "gateway/session.h"

#define CTL_SHOW_MAX	32	/* devices one query lists */

/* ---- sessions ---- */

static void ctl_dtls_peer_json(FILE *f, const struct gw_session *s)
{
	char peer[GW_PEER_MAX];
	socklen_t len;

	if (!s->dtls_peer) {
		fputs("null", f);
		return;
	}
	gw_peer_format(gw_dtls_peer_addr(s->dtls_peer, &len), peer, sizeof(peer));
	gw_json_str(f, peer);
}

static void ctl_lease_json(FILE *f, bool *first, const struct gw_session *s)
{
	gw_json_key(f, first, "address");
	if (s->lease.have_v4)
		gw_json_addr(f, AF_INET, &s->lease.v4);
	else
		fputs("null", f);
	gw_json_key(f, first, "address6");
	if (s->lease.have_v6)
		gw_json_addr(f, AF_INET6, &s->lease.v6);
	else
		fputs("null", f);
}

static void ctl_identity_json(FILE *f, bool *first, const struct gw_session *s)
{
	gw_json_key(f, first, "device");
	gw_json_str(f, s->id.device_id);
	gw_json_key(f, first, "owner");
	gw_json_str(f, s->id.owner);
	gw_json_key(f, first, "group");
	gw_json_str(f, s->id.group);
	gw_json_key(f, first, "ownership");
	gw_json_str(f, pst_ownership_name(s->id.ownership));
	gw_json_key(f, first, "serial");
	gw_json_str(f, s->id.serial);
}

static void ctl_session_json(struct gw_ctl *x, const struct gw_session *s)
{
	FILE *f = x->f;
	bool first = true;

	fputc('{', f);
	ctl_identity_json(f, &first, s);
	gw_json_key(f, &first, "peer");
	gw_json_str(f, s->conn ? s->conn->peer : NULL);
	/* Where its data goes now: "dtls" (from dtls_peer), "cstp", or null. */
	gw_json_key(f, &first, "worker");
	fprintf(f, "%u", gw_home_index(x->w, s->id.device_id));
	gw_json_key(f, &first, "channel");
	gw_json_str(f, !s->conn ? NULL : s->dtls_active ? "dtls" : "cstp");
	gw_json_key(f, &first, "dtls_peer");
	ctl_dtls_peer_json(f, s);
	ctl_lease_json(f, &first, s);
	gw_json_key(f, &first, "verdict");
	gw_json_str(f, pst_verdict_name(s->verdict));
	gw_json_key(f, &first, "rule");
	gw_json_str(f, s->rule[0] ? s->rule : NULL);
	gw_json_key(f, &first, "profile");
	gw_json_str(f, s->profile[0] ? s->profile : NULL);
	fprintf(f, ",\"rx_bytes\":%llu,\"tx_bytes\":%llu,\"rx_packets\":%llu,\"tx_packets\":%llu",
		(unsigned long long)s->counters.rx_bytes, (unsigned long long)s->counters.tx_bytes,
		(unsigned long long)s->counters.rx_packets,
		(unsigned long long)s->counters.tx_packets);
	fprintf(f, ",\"dropped_outside\":%llu,\"dropped_spoofed\":%llu",
		(unsigned long long)s->counters.dropped_outside,
		(unsigned long long)s->counters.dropped_spoofed);
	gw_json_key(f, &first, "connected_since");
	gw_json_time(f, s->since);
	gw_json_key(f, &first, "posture_age");
	if (s->judged)
		fprintf(f, "%lld", (long long)(x->now - s->judged_at));
	else
		fputs("null", f);
	gw_json_key(f, &first, "tunnel");
	fputs(s->conn ? "true" : "false", f);
	fputc('}', f);
}

static void ctl_sessions_text_head(FILE *f)
{
	fputs("DEVICE\tOWNER\tPEER\tADDRESS\tADDRESS6\tVERDICT\tRULE\tPROFILE\tRX\tTX\tSINCE\t"
	      "AGE\n", f);
}

static void ctl_addr_cell(FILE *f, bool have, int family, const void *addr)
{
	char a[INET6_ADDRSTRLEN];

	fputs(have ? inet_ntop(family, addr, a, sizeof(a)) : "-", f);
}

static void ctl_session_text(struct gw_ctl *x, const struct gw_session *s)
{
	FILE *f = x->f;

	gw_ctl_cell(f, s->id.device_id);
	fputc('\t', f);
	gw_ctl_cell(f, s->id.owner);
	fprintf(f, "\t%s\t", s->conn ? s->conn->peer : "(detached)");
	ctl_addr_cell(f, s->lease.have_v4, AF_INET, &s->lease.v4);
	fputc('\t', f);
	ctl_addr_cell(f, s->lease.have_v6, AF_INET6, &s->lease.v6);
	fprintf(f, "\t%s\t%s\t%s\t%llu\t%llu\t", pst_verdict_name(s->verdict),
		s->rule[0] ? s->rule : "-", s->profile[0] ? s->profile : "-",
		(unsigned long long)s->counters.rx_bytes, (unsigned long long)s->counters.tx_bytes);
	gw_ctl_text_time(f, s->since);
	if (s->judged)
		fprintf(f, "\t%llds\n", (long long)(x->now - s->judged_at));
	else
		fputs("\t-\n", f);
}

void gw_ctl_sessions_head(struct gw_ctl *x)
{
	if (x->json)
		fputs("{\"sessions\":[", x->f);
	else
		ctl_sessions_text_head(x->f);
}

void gw_ctl_session_row(struct gw_ctl *x, const struct gw_session *s, bool *any)
{
	if (s->verdict == PST_DENY)	/* a refusal on its way to the device */
		return;
	if (x->json) {
		if (*any)
			fputc(',', x->f);
		ctl_session_json(x, s);
	} else {
		ctl_session_text(x, s);
	}
	*any = true;
}

void gw_ctl_sessions_foot(struct gw_ctl *x)
{
	if (x->json)
		fputs("]}\n", x->f);
}

int gw_ctl_sessions(struct gw_ctl *x, const char *arg)
{
	(void)arg;
	return gw_listing_start(x);
}

/* ---- show: one device ---- */

static void ctl_reasons_json(FILE *f, const char *lines)
{
	const char *p = lines;

	fputc('[', f);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char one[PST_REASON_MAX + 1];

		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		if (p != lines)
			fputc(',', f);
		gw_json_str(f, one);
		p = nl ? nl + 1 : NULL;
	}
	fputc(']', f);
}

/* Reasons, one a line ("  - ..."), or joined by "; " in one cell. */
static void ctl_reasons_text(FILE *f, bool cell, const char *lines)
{
	const char *p = lines;
	char one[PST_REASON_MAX + 1];

	if (cell && (!p || !*p))
		fputc('-', f);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		fputs(cell ? (p != lines ? "; " : "") : "  - ", f);
		gw_ctl_cell(f, one);
		if (!cell)
			fputc('\n', f);
		p = nl ? nl + 1 : NULL;
	}
}

static void ctl_fact(struct gw_ctl *x, const struct pst_fact *ft, bool first)
{
	FILE *f = x->f;

	if (x->json) {
		fputs(first ? "{\"name\":" : ",{\"name\":", f);
		gw_json_str(f, ft->name);
		fputs(",\"value\":", f);
		gw_json_str(f, ft->value);
		fputs(",\"source\":", f);
		gw_json_str(f, pst_source_name(ft->source));
		fprintf(f, ",\"age\":%lld}", (long long)(x->now - ft->time));
		return;
	}
	fputs("  ", f);
	gw_ctl_cell(f, ft->name);
	fputc('\t', f);
	gw_ctl_cell(f, ft->value);
	fprintf(f, "\t%s\t%llds\n", pst_source_name(ft->source), (long long)(x->now - ft->time));
}

static void ctl_show_facts(struct gw_ctl *x, const struct gw_session *s)
{
	struct pst_facts *facts = malloc(sizeof(*facts));
	FILE *f = x->f;

	if (!facts)
		return;
	if (gw_session_facts(x->w->pol.policy, x->w->pol.inventory, s, x->now, facts) < 0)
		facts->n = 0;
	if (x->json)
		fputs(",\"facts\":[", f);
	else
		fputs(facts->n ? "facts:\n  NAME\tVALUE\tSOURCE\tAGE\n" : "facts: none\n", f);
	for (size_t i = 0; i < facts->n; i++)
		ctl_fact(x, &facts->f[i], i == 0);
	if (x->json)
		fputc(']', f);
	free(facts);
}

static void ctl_history_entry(struct gw_ctl *x, const struct gw_history *h, bool first)
{
	FILE *f = x->f;

	if (x->json) {
		fputs(first ? "{\"time\":" : ",{\"time\":", f);
		gw_json_time(f, h->time);
		fputs(",\"event\":", f);
		gw_json_str(f, h->event);
		fputs(",\"verdict\":", f);
		gw_json_str(f, h->verdict);
		fputs(",\"rule\":", f);
		gw_json_str(f, h->rule[0] ? h->rule : NULL);
		fputs(",\"profile\":", f);
		gw_json_str(f, h->profile[0] ? h->profile : NULL);
		fputs(",\"reasons\":", f);
		ctl_reasons_json(f, h->reasons);
		fputc('}', f);
		return;
	}
	fputs("  ", f);
	gw_ctl_text_time(f, h->time);
	fprintf(f, "\t%s\t%s\t%s\t%s\t", h->event, h->verdict, h->rule[0] ? h->rule : "-",
		h->profile[0] ? h->profile : "-");
	ctl_reasons_text(f, true, h->reasons);
	fputc('\n', f);
}

static void ctl_show_history(struct gw_ctl *x, const char *device)
{
	struct gw_worker *w = gw_worker_home(x->w, device);	/* its decisions are there */
	bool any = false;

	if (x->json)
		fputs(",\"history\":[", x->f);
	for (size_t k = 0; k < w->ctl.history_n; k++) {
		size_t i = (w->ctl.history_next + GW_HISTORY_MAX - w->ctl.history_n + k) % GW_HISTORY_MAX;
		const struct gw_history *h = &w->ctl.history[i];

		if (strcmp(h->device, device))
			continue;
		if (!any && !x->json)
			fputs("history:\n  TIME\tEVENT\tVERDICT\tRULE\tPROFILE\tREASONS\n", x->f);
		ctl_history_entry(x, h, !any);
		any = true;
	}
	if (x->json)
		fputc(']', x->f);
	else if (!any)
		fputs("history: none in this run\n", x->f);
}

static bool ctl_history_has(const struct gw_worker *w, const char *device)
{
	for (size_t k = 0; k < w->ctl.history_n; k++) {
		if (!strcmp(w->ctl.history[k].device, device))
			return true;
	}
	return false;
}

static void ctl_show_session(struct gw_ctl *x, const struct gw_session *s)
{
	FILE *f = x->f;

	ctl_show_facts(x, s);
	if (x->json) {
		fputs(",\"reasons\":", f);
		ctl_reasons_json(f, s->reasons);
	} else if (s->reasons) {
		fputs("reasons:\n", f);
		ctl_reasons_text(f, false, s->reasons);
	}
}

/* One device's document (JSON without its newline). */
static void ctl_show_one(struct gw_ctl *x, const char *device)
{
	struct gw_session *s = gw_ctl_session(x->w, device);
	FILE *f = x->f;

	if (x->json) {
		fputs("{\"device\":", f);
		gw_json_str(f, device);
		fputs(",\"session\":", f);
		if (s)
			ctl_session_json(x, s);
		else
			fputs("null", f);
	} else if (s) {
		ctl_sessions_text_head(f);
		ctl_session_text(x, s);
	} else {
		fprintf(f, "%s: no live session\n", device);
	}
	if (s)
		ctl_show_session(x, s);
	else if (x->json)
		fputs(",\"facts\":[],\"reasons\":[]", f);
	ctl_show_history(x, device);
	if (x->json)
		fputc('}', f);
}

/* ---- show: which devices ---- */

struct ctl_found {
	size_t n;
	bool more;			/* past CTL_SHOW_MAX */
	char device[CTL_SHOW_MAX][PST_DEVICE_ID_MAX + 1];
};

static void ctl_found_add(struct ctl_found *fd, const char *device)
{
	for (size_t i = 0; i < fd->n; i++) {
		if (!strcmp(fd->device[i], device))
			return;
	}
	if (fd->n == CTL_SHOW_MAX) {
		fd->more = true;
		return;
	}
	snprintf(fd->device[fd->n++], sizeof(fd->device[0]), "%s", device);
}

/* The live sessions (not a refusal on its way) that q names, by owner or address. */
static bool ctl_matches(const struct gw_session *s, int family, const void *addr, const char *q)
{
	if (s->verdict == PST_DENY)
		return false;
	if (family == AF_INET)
		return s->lease.have_v4 && !memcmp(&s->lease.v4, addr, sizeof(s->lease.v4));
	if (family == AF_INET6)
		return s->lease.have_v6 && !memcmp(&s->lease.v6, addr, sizeof(s->lease.v6));
	return s->id.owner[0] && !strcasecmp(s->id.owner, q);
}

static void ctl_find(struct gw_ctl *x, int family, const void *addr, const char *q,
		     struct ctl_found *fd)
{
	for (unsigned int k = 0; k < gw_workers_n(x->w); k++) {
		for (const struct gw_session *s = gw_worker_at(x->w, k)->sess.sessions; s;
		     s = s->next) {
			if (ctl_matches(s, family, addr, q))
				ctl_found_add(fd, s->id.device_id);
		}
	}
}

/* The devices q names: a tunnel address's, a device id's, else an owner's. */
static int ctl_lookup(struct gw_ctl *x, const char *q, struct ctl_found *fd)
{
	uint8_t addr[sizeof(struct in6_addr)];
	int family = inet_pton(AF_INET, q, addr) == 1 ? AF_INET :
		     inet_pton(AF_INET6, q, addr) == 1 ? AF_INET6 : AF_UNSPEC;

	if (family == AF_UNSPEC && cm_device_id_valid(q, strlen(q)) &&
	    (gw_ctl_session(x->w, q) || ctl_history_has(gw_worker_home(x->w, q), q))) {
		ctl_found_add(fd, q);
		return 0;
	}
	ctl_find(x, family, addr, q, fd);
	if (fd->n)
		return 0;
	if (family != AF_UNSPEC)
		return gw_ctl_error(x, -ENOENT, "no live session has the tunnel address %s", q);
	return gw_ctl_error(x, -ENOENT, "no live session or decision in this run for '%s' (a "
			    "device id, a tunnel address or an owner)", q);
}

/* Several devices (an owner's): each in full, in one document. */
static void ctl_show_many(struct gw_ctl *x, const char *q, const struct ctl_found *fd)
{
	if (x->json) {
		fputs("{\"query\":", x->f);
		gw_json_str(x->f, q);
		fprintf(x->f, ",\"truncated\":%s,\"devices\":[", fd->more ? "true" : "false");
	} else {
		fprintf(x->f, "%zu%s devices for '%s':\n", fd->n, fd->more ? " (and more)" : "", q);
	}
	for (size_t i = 0; i < fd->n; i++) {
		fputs(x->json ? (i ? "," : "") : "\n", x->f);
		ctl_show_one(x, fd->device[i]);
	}
	if (x->json)
		fputs("]}", x->f);
}

int gw_ctl_show(struct gw_ctl *x, const char *query)
{
	struct ctl_found *fd = calloc(1, sizeof(*fd));
	int err;

	if (!fd)
		return gw_ctl_error(x, -ENOMEM, "out of memory");
	err = ctl_lookup(x, query, fd);
	if (!err && fd->n == 1)
		ctl_show_one(x, fd->device[0]);
	else if (!err)
		ctl_show_many(x, query, fd);
	if (!err && x->json)
		fputc('\n', x->f);
	free(fd);
	return err;
}
