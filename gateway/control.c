/* SPDX-License-Identifier: MIT */
/*
 * posternctl's commands, as the gateway runs them: one request line
 * "FORMAT COMMAND [ARG]" (FORMAT text or json) in, one document out. The
 * JSON is for tools and tests, the text for people; both come from the same
 * walk over the worker's state, so they say the same thing.
 *
 * Nothing here blocks or takes long: every command is a walk over the
 * sessions (thousands at most) or a reload (reload.c). Device ids in
 * requests are checked against the certificate grammar before use, and
 * nothing a request says ever reaches a log line unescaped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/utf8.h"
#include "gateway/conn.h"
#include "gateway/control.h"
#include "gateway/crl.h"
#include "gateway/ctlcmd.h"
#include "gateway/ctlrun.h"
#include "gateway/history.h"
#include "gateway/json.h"
#include "gateway/log.h"
#include "gateway/model.h"
#include "gateway/reeval.h"
#include "gateway/reload.h"
#include "gateway/sandbox.h"
#include "gateway/supervise.h"
#include "gateway/session.h"
#include "gateway/stats.h"

int gw_ctl_error(struct gw_ctl *x, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return err;
}

void gw_ctl_cell(FILE *f, const char *s)
{
	if (!s || !s[0]) {
		fputc('-', f);
		return;
	}
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

void gw_ctl_text_time(FILE *f, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%SZ", &tm);
	fputs(buf, f);
}

/*
 * The device's session an operator means: a device may have a second one
 * for a moment (a login whose tunnel has not opened yet, which then replaces
 * the first), so the one with a tunnel comes first.
 */
static int ctl_session_rank(const struct gw_session *s)
{
	return s->conn ? 2 : s->connects ? 1 : 0;
}

struct gw_session *gw_ctl_session(struct gw_worker *w0, const char *device)
{
	struct gw_worker *w = gw_worker_home(w0, device);
	struct gw_session *best = NULL;

	for (struct gw_session *s = w->sess.sessions; s; s = s->next) {
		if (strcmp(s->id.device_id, device) || s->verdict == PST_DENY)
			continue;
		if (!best || ctl_session_rank(s) > ctl_session_rank(best))
			best = s;
	}
	return best;
}

/* ---- status ---- */

static const char *ctl_crl_number(const struct gw_worker *w)
{
	return w->pol.crl_meta.have_number ? w->pol.crl_meta.number_dec : "none";
}

/* The CRL in force, and whether the file could replace it ("stale"). */
static void ctl_crl_text(struct gw_ctl *x)
{
	const struct gw_worker *w = x->w;
	const struct gw_crl_meta *m = &w->pol.crl_meta;
	FILE *f = x->f;

	fprintf(f, "crl:      %s (%lu revoked, number %s, loaded ", w->pol.conf->crl, w->pol.crl_revoked,
		ctl_crl_number(w));
	gw_ctl_text_time(f, w->pol.crl_loaded);
	fputs(")\n          last update ", f);
	gw_ctl_text_time(f, m->last_update);
	fprintf(f, " (age %llds), next update ", (long long)(x->now - m->last_update));
	if (m->next_update)
		gw_ctl_text_time(f, m->next_update);
	else
		fputs("none", f);
	if (!w->pol.crl_problem[0]) {
		fputs("; state ok\n", f);
		return;
	}
	fputs("\n          state STALE since ", f);
	gw_ctl_text_time(f, w->pol.crl_problem_since);
	fprintf(f, " (%llu failed reloads): %s; the CRL above stays in force\n",
		(unsigned long long)w->stats.crl_reload_failures, w->pol.crl_problem);
}

static void ctl_certs_text(struct gw_ctl *x)
{
	const struct gw_worker *w = x->w;

	fprintf(x->f, "server:   %s (expires ", w->pol.conf->server_cert ? w->pol.conf->server_cert : "-");
	gw_ctl_text_time(x->f, w->pol.server_not_after);
	fprintf(x->f, ")\nca:       %s (expires ", w->pol.conf->ca_cert ? w->pol.conf->ca_cert : "-");
	gw_ctl_text_time(x->f, w->pol.ca_not_after);
	fputs(")\n", x->f);
}

/* Workers started again after their sandbox ended them, in every worker. */
static unsigned long long ctl_worker_restarts(const struct gw_worker *w)
{
	unsigned long long n = 0;

	for (unsigned int k = 0; k < gw_workers_n(w); k++)
		n += gw_worker_at(w, k)->stats.worker_restarts;
	return n;
}

static void ctl_status_text(struct gw_ctl *x, const struct gw_gauges *g)
{
	struct gw_worker *w = x->w;
	const uint64_t *v = g->sessions;
	FILE *f = x->f;

	fprintf(f, "posternd %s, pid %d (network process %d, restarted %u time%s), up %lld s "
		"(since ", POSTERN_VERSION, (int)gw_supervisor_pid(), (int)getpid(),
		gw_supervise_restarts(), gw_supervise_restarts() == 1 ? "" : "s",
		(long long)(x->now - w->ctl.started));
	gw_ctl_text_time(f, w->ctl.started);
	fprintf(f, ")\nsessions: %llu allow, %llu quarantine, %llu deny; %llu tunnels\n",
		(unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
		(unsigned long long)g->tunnels);
	fprintf(f, "workers:  %u", gw_workers_n(w));
	if (ctl_worker_restarts(w))
		fprintf(f, " (started again %llu time%s after the sandbox ended one: see the log)",
			ctl_worker_restarts(w), ctl_worker_restarts(w) == 1 ? "" : "s");
	fputc('\n', f);
	fprintf(f, "sandbox:  %s\n", gw_sandbox_state());
	if (w->pol.conf->run_as_root)
		fputs("privileges: ROOT (user = \"root\"): the workers kept root and every "
		      "capability\n", f);
	else if (w->pol.conf->user)
		fprintf(f, "privileges: user %s, no capabilities\n", w->pol.conf->user);
	if (w->ctl.fd_limit && w->ctl.fd_limit < w->ctl.fd_need)
		fprintf(f, "files:    limit %lu, max-clients needs about %lu: TOO LOW, accepting "
			"pauses when it runs out\n", w->ctl.fd_limit, w->ctl.fd_need);
	if (w->net.udp && gw_workers_n(w) > 1)
		fprintf(f, "dtls:     on, UDP ports %u-%u; %llu tunnels over DTLS\n",
			conf_gateway_udp_port(w->pol.conf),
			conf_gateway_udp_port(w->pol.conf) + gw_workers_n(w) - 1,
			(unsigned long long)g->dtls);
	else if (w->net.udp)
		fprintf(f, "dtls:     on, UDP port %u; %llu tunnels over DTLS\n",
			conf_gateway_udp_port(w->pol.conf), (unsigned long long)g->dtls);
	else
		fputs("dtls:     off (dtls = false): data over TLS only\n", f);
	fprintf(f, "pool:     IPv4 %llu of %llu leased", (unsigned long long)g->used4,
		(unsigned long long)g->size4);
	if (w->dp.have_pool6)
		fprintf(f, ", IPv6 %llu of %llu", (unsigned long long)g->used6,
			(unsigned long long)g->size6);
	fprintf(f, "\nconfig:   %s (loaded ", w->pol.conf->path);
	gw_ctl_text_time(f, w->pol.conf_loaded);
	fputs(")\n", f);
	if (w->pol.policy) {
		fprintf(f, "policy:   %s (sha256 %s, loaded ", w->pol.policy->path, w->pol.policy->sha256);
		gw_ctl_text_time(f, w->pol.policy_loaded);
		fputs(")\n", f);
	} else {
		fputs("policy:   none: every device with a valid certificate is allowed\n", f);
	}
	ctl_crl_text(x);
	ctl_certs_text(x);
	if (w->pol.inventory) {
		fprintf(f, "inventory: %s (%zu records, loaded ", w->pol.policy->inventory,
			pst_inventory_count(w->pol.inventory));
		gw_ctl_text_time(f, w->pol.inventory_loaded);
		fputs(")\n", f);
	}
}

/* A time, or null when there is none. */
static void ctl_json_time_or_null(FILE *f, time_t t)
{
	if (t)
		gw_json_time(f, t);
	else
		fputs("null", f);
}

static void ctl_crl_json(struct gw_ctl *x)
{
	const struct gw_worker *w = x->w;
	const struct gw_crl_meta *m = &w->pol.crl_meta;
	FILE *f = x->f;

	fputs(",\"crl\":{\"path\":", f);
	gw_json_str(f, w->pol.conf->crl);
	fputs(",\"loaded\":", f);
	gw_json_time(f, w->pol.crl_loaded);
	fprintf(f, ",\"revoked\":%lu,\"number\":%s,\"last_update\":", w->pol.crl_revoked,
		m->have_number ? m->number_dec : "null");
	ctl_json_time_or_null(f, m->last_update);
	fputs(",\"next_update\":", f);
	ctl_json_time_or_null(f, m->next_update);
	fprintf(f, ",\"age\":%lld,\"state\":\"%s\",\"problem\":", (long long)(x->now - m->last_update),
		w->pol.crl_problem[0] ? "stale" : "ok");
	gw_json_str(f, w->pol.crl_problem[0] ? w->pol.crl_problem : NULL);
	fputs(",\"problem_since\":", f);
	ctl_json_time_or_null(f, w->pol.crl_problem[0] ? w->pol.crl_problem_since : 0);
	fprintf(f, ",\"reload_failures\":%llu}",
		(unsigned long long)w->stats.crl_reload_failures);
}

static void ctl_certs_json(struct gw_ctl *x)
{
	const struct gw_worker *w = x->w;
	FILE *f = x->f;

	fputs(",\"certificates\":{\"server\":{\"path\":", f);
	gw_json_str(f, w->pol.conf->server_cert);
	fputs(",\"not_after\":", f);
	ctl_json_time_or_null(f, w->pol.server_not_after);
	fputs("},\"ca\":{\"path\":", f);
	gw_json_str(f, w->pol.conf->ca_cert);
	fputs(",\"not_after\":", f);
	ctl_json_time_or_null(f, w->pol.ca_not_after);
	fputs("}}", f);
}

static void ctl_status_json(struct gw_ctl *x, const struct gw_gauges *g)
{
	struct gw_worker *w = x->w;
	const uint64_t *v = g->sessions;
	FILE *f = x->f;

	fprintf(f, "{\"version\":\"%s\",\"pid\":%d,\"network_pid\":%d,\"restarts\":%u,"
		"\"uptime\":%lld,\"started\":", POSTERN_VERSION, (int)gw_supervisor_pid(),
		(int)getpid(), gw_supervise_restarts(), (long long)(x->now - w->ctl.started));
	gw_json_time(f, w->ctl.started);
	fprintf(f, ",\"sessions\":{\"allow\":%llu,\"quarantine\":%llu,\"deny\":%llu,\"total\":%llu,"
		"\"tunnels\":%llu}", (unsigned long long)v[0], (unsigned long long)v[1],
		(unsigned long long)v[2], (unsigned long long)(v[0] + v[1] + v[2]),
		(unsigned long long)g->tunnels);
	fprintf(f, ",\"workers\":%u,\"worker_restarts\":%llu", gw_workers_n(w),
		ctl_worker_restarts(w));
	if (w->net.udp)
		fprintf(f, ",\"dtls\":{\"enabled\":true,\"udp_port\":%u,\"tunnels\":%llu}",
			conf_gateway_udp_port(w->pol.conf), (unsigned long long)g->dtls);
	else
		fputs(",\"dtls\":{\"enabled\":false,\"udp_port\":null,\"tunnels\":0}", f);
	fprintf(f, ",\"pool\":{\"ipv4\":{\"size\":%llu,\"used\":%llu},\"ipv6\":",
		(unsigned long long)g->size4, (unsigned long long)g->used4);
	if (w->dp.have_pool6)
		fprintf(f, "{\"size\":%llu,\"used\":%llu}}", (unsigned long long)g->size6,
			(unsigned long long)g->used6);
	else
		fputs("null}", f);
	fputs(",\"config\":{\"path\":", f);
	gw_json_str(f, w->pol.conf->path);
	fputs(",\"loaded\":", f);
	gw_json_time(f, w->pol.conf_loaded);
	fputs("},\"policy\":", f);
	if (w->pol.policy) {
		fputs("{\"path\":", f);
		gw_json_str(f, w->pol.policy->path);
		fprintf(f, ",\"sha256\":\"%s\",\"loaded\":", w->pol.policy->sha256);
		gw_json_time(f, w->pol.policy_loaded);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	ctl_crl_json(x);
	ctl_certs_json(x);
	fputs(",\"inventory\":", f);
	if (w->pol.inventory) {
		fputs("{\"path\":", f);
		gw_json_str(f, w->pol.policy->inventory);
		fputs(",\"loaded\":", f);
		gw_json_time(f, w->pol.inventory_loaded);
		fprintf(f, ",\"records\":%zu}", pst_inventory_count(w->pol.inventory));
	} else {
		fputs("null", f);
	}
	fputs("}\n", f);
}

static int ctl_status(struct gw_ctl *x, const char *arg)
{
	struct gw_gauges g;

	gw_stats_gauges(x->w, &g);
	if (x->json)
		ctl_status_json(x, &g);
	else
		ctl_status_text(x, &g);
	return 0;
}

/* ---- kick ---- */

static int ctl_kick(struct gw_ctl *x, const char *device)
{
	struct gw_session *s = gw_ctl_session(x->w, device);

	if (!s) {
		snprintf(x->err, x->errlen, "no live session for device %s", device);
		return -ENOENT;
	}
	gw_info("kick device=%s requested on the control socket", device);
	gw_history_add(gw_worker_home(x->w, device), device, "kick", NULL);
	/* Every session of the device: a pending login must not outlive the kick. */
	for (; s; s = gw_ctl_session(x->w, device))
		gw_session_end_for(gw_worker_home(x->w, device), s, GW_END_KICKED, "kicked by operator");
	if (x->json) {
		fputs("{\"kicked\":", x->f);
		gw_json_str(x->f, device);
		fputs("}\n", x->f);
	} else {
		fprintf(x->f, "%s: session ended\n", device);
	}
	return 0;
}

/* ---- history ---- */

/* posternctl reads the device's records from the audit log itself (the
 * sandboxed gateway may only append to it): the gateway names the file. */
static int ctl_history(struct gw_ctl *x, const char *device)
{
	const char *path = x->w->pol.conf->audit_log;

	if (!path)
		return gw_ctl_error(x, -ENOENT, "this gateway keeps no audit log (audit-log in %s)",
				    x->w->pol.conf->path ? x->w->pol.conf->path : "its configuration");
	if (x->json) {
		fputs("{\"audit_log\":", x->f);
		gw_json_str(x->f, path);
		fputs("}\n", x->f);
	} else {
		fprintf(x->f, "%s\n", path);
	}
	return 0;
}

/* ---- events ---- */

/* The socket (ctlsock.c) keeps the client and feeds it the events. */
static int ctl_events(struct gw_ctl *x, const char *arg)
{
	if (!x->w->ctl.events)
		return gw_ctl_error(x, -ENOTSUP, "this gateway has no events to follow");
	return x->json ? GW_CONTROL_FOLLOW_JSON : GW_CONTROL_FOLLOW_TEXT;
}

/* ---- dispatch ---- */

static int ctl_stats(struct gw_ctl *x, const char *arg)
{
	if (x->json)
		gw_stats_json(x->w, x->f);
	else
		gw_stats_text(x->w, x->f);
	return 0;
}

/* A file's problems (FILE:LINE lines) are the body; err then says what
 * came of the command, on one line. */
static int ctl_refused(struct gw_ctl *x, int err, const char *what)
{
	fputs(x->err, x->f);
	if (x->err[0] && x->err[strlen(x->err) - 1] != '\n')
		fputc('\n', x->f);
	snprintf(x->err, x->errlen, "%s", what);
	return err;
}

static int ctl_reload(struct gw_ctl *x, const char *arg)
{
	int err;

	gw_info("reload requested on the control socket");
	err = gw_reload(x->w, x->f, x->json, x->err, x->errlen);
	return err < 0 ? ctl_refused(x, err, "reload refused: nothing was changed") : err;
}

static int ctl_policy_diff(struct gw_ctl *x, const char *path)
{
	int err = gw_policy_diff(x->w, path, x->f, x->json, x->err, x->errlen);

	return err < 0 ? ctl_refused(x, err, "the candidate policy does not load") : err;
}

/* The handlers of the commands in ctlcmd.c's table, by name; arg is "" for
 * a command that takes none. */
typedef int ctl_handler_fn(struct gw_ctl *x, const char *arg);

static const struct {
	const char *name;
	ctl_handler_fn *run;
} ctl_handlers[] = {
	{ "status", ctl_status },
	{ "sessions", gw_ctl_sessions },
	{ "show", gw_ctl_show },
	{ "history", ctl_history },
	{ "events", ctl_events },
	{ "kick", ctl_kick },
	{ "ban", gw_ctl_ban },
	{ "unban", gw_ctl_unban },
	{ "bans", gw_ctl_bans },
	{ "reload", ctl_reload },
	{ "policy-diff", ctl_policy_diff },
	{ "stats", ctl_stats },
};

static ctl_handler_fn *ctl_handler(const char *name)
{
	for (size_t i = 0; i < sizeof(ctl_handlers) / sizeof(ctl_handlers[0]); i++) {
		if (!strcmp(ctl_handlers[i].name, name))
			return ctl_handlers[i].run;
	}
	return NULL;
}

/* A request's error: err holds the message for the client. */
static int ctl_fail(struct gw_ctl *x, const char *msg)
{
	snprintf(x->err, x->errlen, "%s", msg);
	return -EINVAL;
}

static int ctl_unknown(struct gw_ctl *x)
{
	char list[512];

	gw_ctlcmd_list(list, sizeof(list));
	snprintf(x->err, x->errlen, "unknown command or wrong arguments (%s)", list);
	return -EINVAL;
}

/* The argument is what its kind says; the client is told why not. */
static int ctl_check_arg(struct gw_ctl *x, enum gw_ctlcmd_arg kind, const char *arg)
{
	size_t n = strlen(arg);

	if (kind == GW_CTLCMD_ARG_DEVICE && !cm_device_id_valid(arg, n))
		return ctl_fail(x, "not a device id: 1-64 of A-Z a-z 0-9 . _ -, starting with a "
				"letter or digit");
	if (kind == GW_CTLCMD_ARG_QUERY && (n > PST_OWNER_MAX || cm_utf8_text_chars(arg, n) < 0))
		return gw_ctl_error(x, -EINVAL, "not a device id, a tunnel address or an owner's "
				    "name: at most %d bytes of UTF-8 text without control characters",
				    PST_OWNER_MAX);
	return 0;
}

int gw_control_run(struct gw_worker *w, const char *line, FILE *f, char *err, size_t errlen)
{
	struct gw_ctl x = { .w = w, .f = f, .now = time(NULL), .err = err, .errlen = errlen };
	char fmt[8], name[32], arg[PATH_MAX_ARG + 1];
	const struct gw_ctlcmd *cmd;
	ctl_handler_fn *run;
	int n;

	arg[0] = '\0';
	n = sscanf(line, "%7s %31s %" GW_STR(PATH_MAX_ARG) "[^\n]", fmt, name, arg);
	if (n < 2 || (strcmp(fmt, "text") && strcmp(fmt, "json")))
		return ctl_fail(&x, "malformed request: expected FORMAT COMMAND [ARG]");
	x.json = !strcmp(fmt, "json");
	cmd = gw_ctlcmd_find(name);
	run = cmd ? ctl_handler(cmd->name) : NULL;
	if (!run || (n == 3) != (cmd->arg != GW_CTLCMD_ARG_NONE))
		return ctl_unknown(&x);
	if (ctl_check_arg(&x, cmd->arg, arg))
		return -EINVAL;
	return run(&x, arg);
}
