/* SPDX-License-Identifier: MIT */
/*
 * Events for the clients that follow them (events.h). A worker publishes
 * its own devices' events from its own turn; the followers are worker 0's
 * control socket clients. So the followers' buffers sit behind one lock of
 * their own, taken for the copy of one line and never around anything
 * else, and an eventfd wakes worker 0 to send what they hold.
 *
 * Bounded, whatever the followers do: each has GW_EVENTS_BUF bytes. A line
 * that does not fit is dropped and counted, and the next line that fits
 * after the gap is "events lost: N" (JSON: an event "lost" with its
 * count), so a follower always knows it missed some. A follower that stops
 * reading costs its buffer and nothing else: publishing copies or drops,
 * it never waits, and with nobody following it costs one atomic load.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "common/json.h"
#include "common/time.h"
#include "gateway/events.h"
#include "gateway/memstream.h"

#define EVENTS_LINE_MAX	2048	/* one event, with its reasons cut to fit */

struct events_follower {
	bool used, json;
	uint64_t lost;			/* lines dropped since the last marker */
	size_t len;
	char buf[GW_EVENTS_BUF];
};

struct gw_events {
	pthread_mutex_t lock;
	int efd;
	atomic_uint n;			/* followers: none, nothing to do */
	struct events_follower f[GW_EVENTS_FOLLOWERS_MAX];
};

struct gw_events *gw_events_new(void)
{
	struct gw_events *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ev->efd < 0) {
		free(ev);
		return NULL;
	}
	pthread_mutex_init(&ev->lock, NULL);
	return ev;
}

void gw_events_free(struct gw_events *ev)
{
	if (!ev)
		return;
	close(ev->efd);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

int gw_events_fd(const struct gw_events *ev)
{
	return ev->efd;
}

void gw_events_drain(struct gw_events *ev)
{
	uint64_t v;

	if (read(ev->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
}

/* ---- the lines ---- */

static void events_addr(char *buf, size_t len, int family, const void *a)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static void events_text_field(FILE *f, const char *key, const char *v)
{
	if (v && v[0])
		fprintf(f, " %s=%s", key, v);
}

static void events_text(FILE *f, time_t now, const struct gw_event *e, const char *a4,
			const char *a6)
{
	char t[CM_TIME_BUF] = "?";

	cm_time_format(now, t, sizeof(t));
	fprintf(f, "%s %s", t, e->type);
	events_text_field(f, "device", e->device);
	events_text_field(f, "peer", e->peer);
	events_text_field(f, "address", a4);
	events_text_field(f, "address6", a6);
	events_text_field(f, "verdict", e->verdict);
	events_text_field(f, "rule", e->rule);
	events_text_field(f, "profile", e->profile);
	events_text_field(f, "cause", e->cause);
	if (e->reason && e->reason[0])
		fprintf(f, ": %s", e->reason);
	fputc('\n', f);
}

static void events_json_field(struct cm_json *j, const char *key, const char *v)
{
	if (!v || !v[0])
		return;
	cm_json_key(j, key);
	cm_json_string(j, v);
}

static void events_json(FILE *f, time_t now, const struct gw_event *e, const char *a4,
			const char *a6)
{
	struct cm_json j;

	cm_json_init(&j, f, 0);
	cm_json_object_begin(&j);
	cm_json_key(&j, "time");
	cm_json_time(&j, now);
	events_json_field(&j, "event", e->type);
	events_json_field(&j, "device", e->device);
	events_json_field(&j, "peer", e->peer);
	events_json_field(&j, "address", a4);
	events_json_field(&j, "address6", a6);
	events_json_field(&j, "verdict", e->verdict);
	events_json_field(&j, "rule", e->rule);
	events_json_field(&j, "profile", e->profile);
	events_json_field(&j, "cause", e->cause);
	events_json_field(&j, "reason", e->reason);
	cm_json_object_end(&j);
	fputc('\n', f);
}

/* The event as a line of one form (malloc'd), or NULL; a line longer than
 * EVENTS_LINE_MAX (a reason of kilobytes) is not sent. */
static char *events_line(const struct gw_event *e, time_t now, bool json)
{
	char a4[INET6_ADDRSTRLEN] = "", a6[INET6_ADDRSTRLEN] = "", *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (e->lease && e->lease->have_v4)
		events_addr(a4, sizeof(a4), AF_INET, &e->lease->v4);
	if (e->lease && e->lease->have_v6)
		events_addr(a6, sizeof(a6), AF_INET6, &e->lease->v6);
	if (json)
		events_json(f, now, e, a4, a6);
	else
		events_text(f, now, e, a4, a6);
	if (gw_stream_done(f, &buf) && len > EVENTS_LINE_MAX) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- the followers ---- */

static bool events_put(struct events_follower *f, const char *line, size_t n)
{
	if (f->len + n > sizeof(f->buf))
		return false;
	memcpy(f->buf + f->len, line, n);
	f->len += n;
	return true;
}

/* The line that tells of a gap (its length), for a follower that lost some. */
static size_t events_marker_line(const struct events_follower *f, char *line, size_t len)
{
	int n;

	if (f->json)
		n = snprintf(line, len, "{\"event\":\"lost\",\"count\":%llu}\n",
			     (unsigned long long)f->lost);
	else
		n = snprintf(line, len, "events lost: %llu (this client read too slowly)\n",
			     (unsigned long long)f->lost);
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/* The marker of a gap, as soon as there is room for it. */
static void events_marker(struct events_follower *f)
{
	char line[128];

	if (f->lost && events_put(f, line, events_marker_line(f, line, sizeof(line))))
		f->lost = 0;
}

/* A line, after the marker of a gap before it; both, or neither (counted). */
static void events_append(struct events_follower *f, const char *line)
{
	char marker[128];
	size_t m = f->lost ? events_marker_line(f, marker, sizeof(marker)) : 0;
	size_t n = strlen(line);

	if (f->len + m + n > sizeof(f->buf)) {
		f->lost++;
		return;
	}
	events_put(f, marker, m);
	events_put(f, line, n);
	f->lost = 0;
}

void gw_events_publish(struct gw_worker *w, const struct gw_event *e)
{
	struct gw_events *ev = w->ctl.events;
	time_t now = time(NULL);
	char *text, *json;
	uint64_t one = 1;

	if (!ev || atomic_load(&ev->n) == 0)
		return;
	text = events_line(e, now, false);
	json = events_line(e, now, true);
	pthread_mutex_lock(&ev->lock);
	for (unsigned int i = 0; i < GW_EVENTS_FOLLOWERS_MAX; i++) {
		struct events_follower *f = &ev->f[i];
		const char *line = f->json ? json : text;

		if (!f->used)
			continue;
		if (line)
			events_append(f, line);
		else
			f->lost++;
	}
	pthread_mutex_unlock(&ev->lock);
	free(text);
	free(json);
	if (write(ev->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

void gw_events_decision(struct gw_worker *w, const char *cause, const char *device,
			const char *peer, const struct pst_decision *d)
{
	struct gw_events *ev = w->ctl.events;
	char reasons[1024];
	struct gw_event e = {
		.type = "decision", .device = device, .peer = peer,
		.verdict = pst_verdict_name(d->verdict), .cause = cause, .reason = reasons,
		.rule = d->rule ? d->rule->name : NULL,
		.profile = d->profile ? d->profile->name : NULL,
	};

	if (!ev || atomic_load(&ev->n) == 0)
		return;
	pst_decision_reasons(d, reasons, sizeof(reasons));
	gw_events_publish(w, &e);
}

void gw_events_session(struct gw_worker *w, const char *type, const struct gw_session *s,
		       const char *peer, const char *reason)
{
	struct gw_event e = {
		.type = type, .device = s->id.device_id, .peer = peer, .lease = &s->lease,
		.verdict = pst_verdict_name(s->verdict), .reason = reason,
		.profile = s->profile[0] ? s->profile : NULL,
	};

	gw_events_publish(w, &e);
}

int gw_events_follow(struct gw_events *ev, bool json)
{
	int slot = -EBUSY;

	pthread_mutex_lock(&ev->lock);
	for (unsigned int i = 0; i < GW_EVENTS_FOLLOWERS_MAX && slot < 0; i++) {
		if (ev->f[i].used)
			continue;
		ev->f[i] = (struct events_follower){ .used = true, .json = json };
		events_put(&ev->f[i], "ok\n", 3);
		atomic_fetch_add(&ev->n, 1);
		slot = (int)i;
	}
	pthread_mutex_unlock(&ev->lock);
	return slot;
}

void gw_events_unfollow(struct gw_events *ev, int slot)
{
	pthread_mutex_lock(&ev->lock);
	if (ev->f[slot].used)
		atomic_fetch_sub(&ev->n, 1);
	ev->f[slot].used = false;
	ev->f[slot].len = 0;
	pthread_mutex_unlock(&ev->lock);
}

ssize_t gw_events_send(struct gw_events *ev, int slot, int fd)
{
	struct events_follower *f = &ev->f[slot];
	ssize_t n, left;
	int err;

	pthread_mutex_lock(&ev->lock);
	n = f->len ? send(fd, f->buf, f->len, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
	err = n < 0 ? errno : 0;
	if (n > 0) {
		memmove(f->buf, f->buf + n, f->len - (size_t)n);
		f->len -= (size_t)n;
		events_marker(f);
	}
	left = (ssize_t)f->len;
	pthread_mutex_unlock(&ev->lock);
	if (err && err != EAGAIN && err != EINTR)
		return -err;
	return left;
}
