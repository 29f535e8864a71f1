/* SPDX-License-Identifier: MIT */
/*
 * The gateway's events as they happen, for `posternctl events` (events.c):
 * decisions, tunnels up and down, sessions ended, refusals, bans. Any
 * worker publishes; the control socket (ctlsock.c, worker 0) hands them to
 * the clients that follow them, each as text or JSON lines.
 */
#ifndef POSTERN_GW_EVENTS_H
#define POSTERN_GW_EVENTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "gateway/model.h"

#define GW_EVENTS_FOLLOWERS_MAX	4		/* of the control socket's clients */
#define GW_EVENTS_BUF		(64 * 1024)	/* bytes waiting for one follower */

/* One event; every member but type may be NULL (not part of it). */
struct gw_event {
	const char *type;		/* "decision", "tunnel-up", "tunnel-down",
					 * "session-end", "refused", "ban", "unban" */
	const char *device;
	const char *peer;		/* the device's outside address */
	const struct gw_filter_addrs *lease;	/* its tunnel addresses */
	const char *verdict, *rule, *profile;
	const char *cause;		/* a decision's: "login", "reload", "inventory", "banned" */
	const char *reason;		/* in words */
};

struct gw_events *gw_events_new(void);
void gw_events_free(struct gw_events *ev);
/* An eventfd, readable when a follower has lines to send (gw_events_drain). */
int gw_events_fd(const struct gw_events *ev);
void gw_events_drain(struct gw_events *ev);

/* Hands e to every follower of w's gateway (w->ctl.events); never waits. */
void gw_events_publish(struct gw_worker *w, const struct gw_event *e);
/* A decision's event: its verdict, rule, profile and reasons. */
void gw_events_decision(struct gw_worker *w, const char *cause, const char *device,
			const char *peer, const struct pst_decision *d);

/* A session's event (tunnel-up, tunnel-down, session-end): its device,
 * tunnel addresses, verdict and profile; peer and reason may be NULL. */
void gw_events_session(struct gw_worker *w, const char *type, const struct gw_session *s,
		       const char *peer, const char *reason);

/*
 * A new follower, whose first bytes are the answer's "ok" line: its slot,
 * or -EBUSY when GW_EVENTS_FOLLOWERS_MAX follow already.
 */
int gw_events_follow(struct gw_events *ev, bool json);
void gw_events_unfollow(struct gw_events *ev, int slot);
/*
 * Sends what slot's follower has waiting on fd (non-blocking). Returns the
 * bytes still waiting (wait for fd to be writable), or -errno when the
 * follower is gone.
 */
ssize_t gw_events_send(struct gw_events *ev, int slot, int fd);

#endif
