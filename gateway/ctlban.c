/* SPDX-License-Identifier: MIT */
/*
 * posternctl ban, unban and bans, as the gateway runs them (ctlrun.h). A
 * ban bars a device from logging in until a time and ends its sessions at
 * once (counted as kicked: an operator ended them); the bans themselves are
 * ban.c's. The request is "ban DEVICE DURATION": posternctl sends the
 * duration in seconds, but any form cm_duration_parse reads is taken, up to
 * GW_BAN_SECONDS_MAX.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/number.h"
#include "gateway/ban.h"
#include "gateway/ctlrun.h"
#include "gateway/events.h"
#include "gateway/history.h"
#include "gateway/json.h"
#include "gateway/log.h"
#include "gateway/session.h"

#define CTL_BAN_SYNTAX	"expected DEVICE DURATION"

/* "DEVICE DURATION" into device and *secs; the client is told what is wrong. */
static int ctl_ban_args(struct gw_ctl *x, const char *arg, char *device, uint64_t *secs)
{
	const char *sp = strchr(arg, ' ');
	size_t n = sp ? (size_t)(sp - arg) : 0;
	char why[160];

	if (!sp || !cm_device_id_valid(arg, n))
		return gw_ctl_error(x, -EINVAL, "ban: not a device id and a duration (%s)",
				    CTL_BAN_SYNTAX);
	memcpy(device, arg, n);
	device[n] = '\0';
	if (cm_duration_parse(sp + 1, GW_BAN_SECONDS_MAX, secs, why, sizeof(why)) < 0)
		return gw_ctl_error(x, -EINVAL, "ban: %s", why);
	return 0;
}

/* Every session of the device ends (a login without its tunnel too). */
static unsigned int ctl_ban_end(struct gw_ctl *x, const char *device, const char *words)
{
	struct gw_worker *home = gw_worker_home(x->w, device);
	unsigned int n = 0;
	struct gw_session *s;

	while ((s = gw_ctl_session(x->w, device))) {
		gw_session_end_for(home, s, GW_END_KICKED, words);
		n++;
	}
	return n;
}

static void ctl_ban_history(struct gw_worker *home, const char *device, const char *event,
			    const char *words)
{
	struct pst_decision d;

	memset(&d, 0, sizeof(d));
	d.verdict = PST_DENY;
	if (words)
		snprintf(d.reasons[d.n_reasons++], sizeof(d.reasons[0]), "%s", words);
	gw_history_add(home, device, event, words ? &d : NULL);
}

static void ctl_ban_event(struct gw_ctl *x, const char *type, const char *device,
			  const char *words)
{
	struct gw_event e = { .type = type, .device = device, .reason = words };

	gw_events_publish(x->w, &e);
}

int gw_ctl_ban(struct gw_ctl *x, const char *arg)
{
	char device[PST_DEVICE_ID_MAX + 1], words[64];
	struct gw_worker *home;
	unsigned int ended;
	uint64_t secs;
	int err;

	if (ctl_ban_args(x, arg, device, &secs) < 0)
		return -EINVAL;
	home = gw_worker_home(x->w, device);
	err = gw_ban_set(home, device, x->now, x->now, x->now + (time_t)secs);
	if (err == -ENOSPC)
		return gw_ctl_error(x, err, "ban: %d devices are banned already", GW_BANS_MAX);
	if (err < 0)
		return gw_ctl_error(x, err, "ban: out of memory");
	gw_ban_words(x->now + (time_t)secs, words, sizeof(words));
	gw_info("ban device=%s for %llus requested on the control socket: %s", device,
		(unsigned long long)secs, words);
	ctl_ban_history(home, device, "ban", words);
	ctl_ban_event(x, "ban", device, words);
	ended = ctl_ban_end(x, device, words);
	if (x->json) {
		fputs("{\"banned\":", x->f);
		gw_json_str(x->f, device);
		fputs(",\"until\":", x->f);
		gw_json_time(x->f, x->now + (time_t)secs);
		fprintf(x->f, ",\"seconds\":%llu,\"sessions_ended\":%u}\n",
			(unsigned long long)secs, ended);
	} else {
		fprintf(x->f, "%s: %s; %u session%s ended\n", device, words, ended,
			ended == 1 ? "" : "s");
	}
	return 0;
}

int gw_ctl_unban(struct gw_ctl *x, const char *device)
{
	if (!gw_ban_lift(gw_worker_home(x->w, device), device, x->now))
		return gw_ctl_error(x, -ENOENT, "device %s is not banned", device);
	gw_info("unban device=%s requested on the control socket", device);
	ctl_ban_history(gw_worker_home(x->w, device), device, "unban", NULL);
	ctl_ban_event(x, "unban", device, "lifted by the operator");
	if (x->json) {
		fputs("{\"unbanned\":", x->f);
		gw_json_str(x->f, device);
		fputs("}\n", x->f);
	} else {
		fprintf(x->f, "%s: ban lifted\n", device);
	}
	return 0;
}

static void ctl_ban_entry(struct gw_ctl *x, const struct gw_ban *b, bool first)
{
	if (x->json) {
		fputs(first ? "{\"device\":" : ",{\"device\":", x->f);
		gw_json_str(x->f, b->device);
		fputs(",\"since\":", x->f);
		gw_json_time(x->f, b->since);
		fputs(",\"until\":", x->f);
		gw_json_time(x->f, b->until);
		fprintf(x->f, ",\"seconds_left\":%lld}", (long long)(b->until - x->now));
		return;
	}
	fprintf(x->f, "%s\t", b->device);
	gw_ctl_text_time(x->f, b->until);
	fprintf(x->f, "\t%lld\t", (long long)(b->until - x->now));
	gw_ctl_text_time(x->f, b->since);
	fputc('\n', x->f);
}

int gw_ctl_bans(struct gw_ctl *x, const char *arg)
{
	size_t n = 0;

	if (x->json)
		fputs("{\"bans\":[", x->f);
	for (unsigned int k = 0; k < gw_workers_n(x->w); k++) {
		struct gw_worker *w = gw_worker_at(x->w, k);

		gw_bans_expire(w, x->now);
		for (size_t i = 0; i < w->ctl.n_bans; i++, n++) {
			if (!n && !x->json)
				fputs("DEVICE\tUNTIL\tSECONDS LEFT\tSINCE\n", x->f);
			ctl_ban_entry(x, &w->ctl.bans[i], n == 0);
		}
	}
	if (x->json)
		fputs("]}\n", x->f);
	else if (!n)
		fputs("no device is banned\n", x->f);
	return 0;
}
