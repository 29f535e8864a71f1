/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gateway/events.c, the events `posternctl events` follows:
 * a follower's first line is the answer's "ok", then one line per event,
 * text with its fields or one JSON object; nobody following costs nothing
 * (no line, no wake-up); a follower that does not read loses lines past
 * its buffer, never a part of one, and is told how many in one marker line
 * before the next event; a line too long to send is lost and counted too;
 * at most GW_EVENTS_FOLLOWERS_MAX follow; a follower that hung up is gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/events.h"
#include "tests/unit/json_check.h"
#include "tests/unit/unit.h"

static struct gw_worker w;
static int sv[2] = { -1, -1 };

static void setup(void)
{
	memset(&w, 0, sizeof(w));
	w.ctl.events = gw_events_new();
	CHECK(w.ctl.events != NULL);
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void teardown(void)
{
	gw_events_free(w.ctl.events);
	w.ctl.events = NULL;
	close(sv[0]);
	close(sv[1]);
}

/* Everything slot has, sent and read back (malloc'd, NUL-terminated). */
static char *take(int slot)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 1);
	ssize_t left, n;

	if (!buf)
		return NULL;
	do {
		left = gw_events_send(w.ctl.events, slot, sv[0]);
		while ((n = recv(sv[1], buf + len, cap - len, MSG_DONTWAIT)) > 0)
			len += (size_t)n;
	} while (left > 0 && len < cap);
	buf[len] = '\0';
	return buf;
}

static bool woken(void)
{
	struct pollfd p = { .fd = gw_events_fd(w.ctl.events), .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static void decision(const char *reason)
{
	struct pst_decision d;
	static struct conf_rule rule = { .name = "corporate" };
	static struct conf_profile prof = { .name = "internal" };

	memset(&d, 0, sizeof(d));
	d.verdict = PST_ALLOW;
	d.rule = &rule;
	d.profile = &prof;
	if (reason)
		snprintf(d.reasons[d.n_reasons++], sizeof(d.reasons[0]), "%s", reason);
	gw_events_decision(&w, "login", "devA", "198.18.0.11:40000", &d);
}

static void test_nobody_follows(void)
{
	setup();
	decision(NULL);
	CHECK(!woken());
	teardown();
	/* Without the control socket there is no bus: publishing is a no-op. */
	memset(&w, 0, sizeof(w));
	decision(NULL);
}

static void test_text(void)
{
	struct gw_filter_addrs lease = { .have_v4 = true, .have_v6 = true };
	struct gw_event e = { .type = "tunnel-up", .device = "devB", .peer = "[2001:db8::7]:5",
			      .lease = &lease, .verdict = "quarantine" };
	int slot;
	char *got;

	setup();
	inet_pton(AF_INET, "198.18.100.3", &lease.v4);
	inet_pton(AF_INET6, "fd00::3", &lease.v6);
	slot = gw_events_follow(w.ctl.events, false);
	CHECK(slot >= 0);
	decision("update the OS");
	gw_events_publish(&w, &e);
	CHECK(woken());
	got = take(slot);
	CHECK(got && !strncmp(got, "ok\n20", 5));
	CHECK(got && strstr(got, "Z decision device=devA peer=198.18.0.11:40000 verdict=allow "
			    "rule=corporate profile=internal cause=login: update the OS\n"));
	CHECK(got && strstr(got, "Z tunnel-up device=devB peer=[2001:db8::7]:5 address=198.18.100.3 "
			    "address6=fd00::3 verdict=quarantine\n"));
	free(got);
	teardown();
}

static void test_json(void)
{
	struct gw_event e = { .type = "refused", .peer = "198.18.0.9:1", .reason = "a \"quote\"" };
	int slot;
	char *got, *line, *flat;

	setup();
	slot = gw_events_follow(w.ctl.events, true);
	gw_events_publish(&w, &e);
	got = take(slot);
	CHECK(got && !strncmp(got, "ok\n{", 4));
	line = got ? strtok(got + 3, "\n") : NULL;
	flat = line ? json_flat(line) : NULL;
	CHECK(flat != NULL);
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "event"), "\"refused\"");
		CHECK_EQ_STR(json_get(flat, "peer"), "\"198.18.0.9:1\"");
		CHECK_EQ_STR(json_get(flat, "reason"), "\"a \\\"quote\\\"\"");
		CHECK(json_get(flat, "time") && json_get(flat, "device") == NULL);
	}
	free(flat);
	free(got);
	teardown();
}

/* A follower that does not read: whole lines only, and the count of the rest. */
static void test_overflow(void)
{
	char reason[200], *got, *p, *marker;
	int slot, n = 1000;
	unsigned long lost = 0, lines = 0;

	setup();
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	slot = gw_events_follow(w.ctl.events, false);
	for (int i = 0; i < n; i++)
		decision(reason);
	got = take(slot);
	marker = got ? strstr(got, "events lost: ") : NULL;
	CHECK(marker != NULL);
	if (marker)
		lost = strtoul(marker + 13, NULL, 10);
	for (p = got; p && (p = strstr(p, " decision device=devA ")); p++)
		lines++;
	if (!(lines > 100 && lines + lost == (unsigned long)n))
		printf("# %lu lines, %lu lost of %d: %.60s\n", lines, lost, n, marker ? marker : "-");
	CHECK(lines > 100 && lines + lost == (unsigned long)n);
	CHECK(got && strlen(got) <= GW_EVENTS_BUF + 128);
	/* Every line whole: each ends where the next starts with the year. */
	for (p = got ? strchr(got, '\n') : NULL; p && p[1]; p = strchr(p + 1, '\n'))
		CHECK(!strncmp(p + 1, "20", 2) || !strncmp(p + 1, "events lost: ", 13));
	free(got);
	/* The gap told, the next event comes as usual. */
	decision(NULL);
	got = take(slot);
	CHECK(got && !strstr(got, "events lost") && strstr(got, " decision device=devA "));
	free(got);
	/* A line too long to send is lost and counted. */
	{
		char big[4000];
		struct gw_event e = { .type = "refused", .reason = big };

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		gw_events_publish(&w, &e);
		decision(NULL);
		got = take(slot);
		CHECK(got && !strncmp(got, "events lost: 1 ", 15) && strstr(got, " decision "));
		free(got);
	}
	teardown();
}

static void test_followers(void)
{
	int slots[GW_EVENTS_FOLLOWERS_MAX];

	setup();
	for (int i = 0; i < GW_EVENTS_FOLLOWERS_MAX; i++) {
		slots[i] = gw_events_follow(w.ctl.events, i % 2);
		CHECK(slots[i] >= 0);
	}
	CHECK_EQ_INT(gw_events_follow(w.ctl.events, false), -EBUSY);
	gw_events_unfollow(w.ctl.events, slots[1]);
	CHECK_EQ_INT(gw_events_follow(w.ctl.events, false), slots[1]);
	/* One that hung up is gone: its send fails. */
	close(sv[1]);
	sv[1] = -1;
	decision(NULL);
	CHECK(gw_events_send(w.ctl.events, slots[0], sv[0]) < 0);
	teardown();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_nobody_follows);
	RUN(test_text);
	RUN(test_json);
	RUN(test_overflow);
	RUN(test_followers);
	UNIT_EXIT();
}
