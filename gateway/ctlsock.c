/* SPDX-License-Identifier: MIT */
/*
 * The gateway's two administrative listeners, served from the worker's loop
 * like everything else (no thread, no lock):
 *
 * - the control socket (control-socket): a Unix stream socket, mode 0600,
 *   that only root and the daemon's own user may use (checked again with
 *   SO_PEERCRED on every connection). One request line, one answer, closed:
 *   posternctl's commands (control.c). Or, for `posternctl events`, the
 *   events as they happen until the client hangs up: a few such followers
 *   at a time (GW_EVENTS_FOLLOWERS_MAX of the control socket's slots), with
 *   no deadline, each fed from its bounded buffer (events.c).
 * - the metrics listener (metrics-listen): plain HTTP, read by the strict
 *   parser of the VPN endpoints (http.c); GET /metrics answers the counters
 *   in the Prometheus text format (stats.c). It shows counts, never a device
 *   or a fact, and is meant for a local address.
 *
 * Both have their own epoll set, nested in the worker's, and few clients at
 * a time with a deadline each, so a stuck admin tool can neither stall the
 * data path nor pile up descriptors. Answers are written without blocking.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gateway/control.h"
#include "gateway/ctlsock.h"
#include "gateway/events.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/memstream.h"
#include "gateway/model.h"
#include "gateway/stats.h"

/* Per listener: idle connections to the metrics port must never take the
 * control socket's slots (posternctl would be locked out from the network). */
#define ADMIN_CLIENTS_MAX	16
#define ADMIN_REQUEST_MAX	4096
#define ADMIN_DEADLINE		10	/* seconds for a whole exchange */

enum { ADMIN_TAG_CONTROL = 1, ADMIN_TAG_METRICS = 2, ADMIN_TAG_EVENTS = 3, ADMIN_TAG_MAX = 16 };

struct admin_client {
	struct admin_client *next;
	int fd;
	bool metrics;			/* an HTTP client of the metrics listener */
	char in[ADMIN_REQUEST_MAX + 1];
	size_t in_len;
	char *out;			/* the whole answer, once the request is complete */
	size_t out_len, out_off;
	time_t deadline;		/* monotonic; 0: none (a follower) */
	int follow;			/* its events slot when it follows them, else -1 */
};

struct gw_admin {
	int epfd;
	int control_fd, metrics_fd;
	struct admin_client *clients;
	unsigned int n_clients[2];	/* control, metrics */
	struct admin_client *waiting;	/* for an answer that comes later */
};

static int admin_watch(struct gw_admin *a, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(a->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

/*
 * A socket left by an earlier run is replaced; one a running gateway still
 * answers on is not (two gateways must not share one control socket), and
 * neither is a file that is not a socket.
 */
static int admin_socket_clear(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, in_use;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		gw_err("control socket %s: a file that is not a socket is in the way", path);
		return -EEXIST;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	in_use = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	if (in_use) {
		gw_err("control socket %s is in use by another running gateway", path);
		return -EADDRINUSE;
	}
	return unlink(path) < 0 ? -errno : 0;
}

static int admin_control_open(struct gw_admin *a, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, err;

	err = admin_socket_clear(path);
	if (err < 0)
		return err;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Owner-only from the first moment: no window with a wider mode. */
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old);
	if (!err && (chmod(path, 0600) < 0 || listen(fd, 16) < 0))
		err = -errno;
	if (err) {
		gw_err("control socket %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	a->control_fd = fd;
	gw_info("control socket %s", path);
	return admin_watch(a, EPOLL_CTL_ADD, fd, EPOLLIN, (void *)(uintptr_t)ADMIN_TAG_CONTROL);
}

static bool admin_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int admin_metrics_open(struct gw_admin *a, const struct gw_conf *conf)
{
	const struct sockaddr_storage *ss = &conf->metrics_addr;
	socklen_t sl = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						: sizeof(struct sockaddr_in6);
	int one = 1, fd, err = 0;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, sl) < 0 || listen(fd, 16) < 0)
		err = -errno;
	if (err) {
		gw_err("metrics-listen %s: %s", conf->metrics_listen, strerror(-err));
		close(fd);
		return err;
	}
	a->metrics_fd = fd;
	gw_info("metrics on %s", conf->metrics_listen);
	if (!admin_loopback(ss))
		gw_warn("metrics-listen %s is not a loopback address: anyone who reaches it reads "
			"the gateway's counters (sessions, refusals by reason, traffic); bind it "
			"to 127.0.0.1 or ::1, or let only the Prometheus host reach it",
			conf->metrics_listen);
	return admin_watch(a, EPOLL_CTL_ADD, fd, EPOLLIN, (void *)(uintptr_t)ADMIN_TAG_METRICS);
}

static int admin_events_open(struct gw_worker *w)
{
	w->ctl.events = gw_events_new();
	if (!w->ctl.events)
		return -ENOMEM;
	return admin_watch(w->ctl.admin, EPOLL_CTL_ADD, gw_events_fd(w->ctl.events), EPOLLIN,
			   (void *)(uintptr_t)ADMIN_TAG_EVENTS);
}

int gw_admin_open(struct gw_worker *w)
{
	const struct gw_conf *conf = w->pol.conf;
	struct gw_admin *a;
	int err = 0;

	if (!conf->control_socket && !conf->metrics_listen)
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->control_fd = a->metrics_fd = -1;
	w->ctl.admin = a;
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0)
		return -errno;
	if (conf->control_socket)
		err = admin_events_open(w);
	if (!err && conf->control_socket)
		err = admin_control_open(a, conf->control_socket);
	if (!err && conf->metrics_listen)
		err = admin_metrics_open(a, conf);
	return err;
}

static void admin_client_free(struct gw_worker *w, struct admin_client *cl)
{
	struct gw_admin *a = w->ctl.admin;

	if (cl->follow >= 0)
		gw_events_unfollow(w->ctl.events, cl->follow);
	if (a->waiting == cl)
		a->waiting = NULL;
	for (struct admin_client **p = &a->clients; *p; p = &(*p)->next) {
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	}
	close(cl->fd);		/* also leaves the epoll set */
	a->n_clients[cl->metrics]--;
	free(cl->out);
	free(cl);
}

/* Only root and the daemon's own user may drive the gateway. */
static bool admin_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void admin_accept(struct gw_worker *w, int lfd, bool metrics)
{
	struct gw_admin *a = w->ctl.admin;
	struct admin_client *cl;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (a->n_clients[metrics] >= ADMIN_CLIENTS_MAX) {
			gw_warn("%s: too many clients at once, one turned away",
				metrics ? "metrics" : "control socket");
			close(fd);
			continue;
		}
		if (!metrics && !admin_peer_allowed(fd)) {
			static const char no[] = "error permission denied: only root and the "
						 "gateway's user may use the control socket\n";

			gw_warn("control socket: refused a client that is neither root nor the "
				"gateway's user");
			if (send(fd, no, sizeof(no) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				gw_debug("control socket: %s", strerror(errno));
			close(fd);
			continue;
		}
		cl = calloc(1, sizeof(*cl));
		if (!cl || admin_watch(a, EPOLL_CTL_ADD, fd, EPOLLIN, cl) < 0) {
			free(cl);
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->follow = -1;
		cl->metrics = metrics;
		cl->deadline = w->now + ADMIN_DEADLINE;
		cl->next = a->clients;
		a->clients = cl;
		a->n_clients[metrics]++;
	}
}

/* The client's answer: head, then len bytes of body (none when body is NULL). */
static void admin_answer(struct admin_client *cl, const char *head, const char *body, size_t len)
{
	FILE *o = open_memstream(&cl->out, &cl->out_len);

	if (!o)
		return;
	fputs(head, o);
	if (body)
		fwrite(body, 1, len, o);
	gw_stream_done(o, &cl->out);
}

/* The client's events: sent as far as the socket takes them; then it waits
 * for the socket (EPOLLOUT) or for more, and for its hang-up (EPOLLIN). */
static void admin_follower_send(struct gw_worker *w, struct admin_client *cl)
{
	ssize_t left = gw_events_send(w->ctl.events, cl->follow, cl->fd);

	if (left < 0 || admin_watch(w->ctl.admin, EPOLL_CTL_MOD, cl->fd,
				    EPOLLIN | (left ? EPOLLOUT : 0), cl) < 0)
		admin_client_free(w, cl);
}

/* posternctl events: the client follows them from now, without a deadline. */
static void admin_follow(struct gw_worker *w, struct admin_client *cl, bool json)
{
	int slot = gw_events_follow(w->ctl.events, json);

	if (slot < 0) {
		char head[128];

		snprintf(head, sizeof(head), "error %d clients follow the events already; try "
			 "again later\n", GW_EVENTS_FOLLOWERS_MAX);
		admin_answer(cl, head, NULL, 0);
		return;
	}
	gw_info("control socket: a client follows the events (%s)", json ? "JSON" : "text");
	cl->follow = slot;
	cl->deadline = 0;
	/* Its "ok" goes out when the socket is writable (the loop's next turn). */
	if (admin_watch(w->ctl.admin, EPOLL_CTL_MOD, cl->fd, EPOLLIN | EPOLLOUT, cl) < 0)
		cl->deadline = w->now;	/* cut off at the next tick */
}

static void admin_followers_send(struct gw_worker *w)
{
	struct gw_admin *a = w->ctl.admin;
	struct admin_client *cl, *next;

	gw_events_drain(w->ctl.events);
	for (cl = a->clients; cl; cl = next) {
		next = cl->next;
		if (cl->follow >= 0)
			admin_follower_send(w, cl);
	}
}

/* A follower's socket: what it writes is not read (its hang-up is), and
 * its waiting lines go out as the socket takes them. */
static void admin_follower_event(struct gw_worker *w, struct admin_client *cl, uint32_t events)
{
	char sink[256];
	ssize_t n;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		n = read(cl->fd, sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			gw_info("control socket: a client stops following the events");
			admin_client_free(w, cl);
			return;
		}
	}
	if (events & EPOLLOUT)
		admin_follower_send(w, cl);
}

/* The answer to a control request: "ok" or "error MESSAGE", then the body. */
static void admin_control_answer(struct gw_worker *w, struct admin_client *cl, char *line)
{
	char err[8192] = "", head[8200], *body = NULL;
	size_t body_len = 0;
	int ret;
	FILE *f = open_memstream(&body, &body_len);

	if (!f)
		return;
	ret = gw_control_run(w, line, f, err, sizeof(err));
	if (ret == GW_CONTROL_FOLLOW_TEXT || ret == GW_CONTROL_FOLLOW_JSON) {
		fclose(f);
		free(body);
		admin_follow(w, cl, ret == GW_CONTROL_FOLLOW_JSON);
		return;
	}
	if (ret > 0) {
		/* It answers when done; meanwhile only a hang-up is heard. */
		fclose(f);
		free(body);
		w->ctl.admin->waiting = cl;
		admin_watch(w->ctl.admin, EPOLL_CTL_MOD, cl->fd, 0, cl);
		return;
	}
	if (fclose(f) == 0) {
		if (ret < 0)
			snprintf(head, sizeof(head), "error %s\n", err);
		admin_answer(cl, ret < 0 ? head : "ok\n", body, body_len);
	}
	free(body);
}

/*
 * The metrics listener speaks HTTP through the VPN endpoints' strict parser
 * (http.c): GET and HEAD of /metrics, and of /health for a load balancer's
 * check; 404 for another path, 405 for another
 * method, 400 for a head the parser refuses. A query string is ignored:
 * Prometheus sends none by default, but a scrape config's params: adds one,
 * and since the counters do not depend on it, /metrics?x=1 is /metrics
 * rather than a 404 that would look like a missing exporter.
 */
enum metrics_answer { METRICS_OK, METRICS_HEALTH, METRICS_NOT_FOUND, METRICS_NOT_ALLOWED,
		      METRICS_BAD };

static const struct {
	const char *status;
	const char *body;		/* NULL: the counters */
} metrics_answers[] = {
	[METRICS_OK] = { "200 OK", NULL },
	/* For a load balancer's health check (HAProxy: option httpchk GET
	 * /health): worker 0's loop, which also serves the control plane, is
	 * running and answering. */
	[METRICS_HEALTH] = { "200 OK", "ok\n" },
	[METRICS_NOT_FOUND] = { "404 Not Found", "the metrics are at /metrics\n" },
	[METRICS_NOT_ALLOWED] = { "405 Method Not Allowed", "only GET and HEAD\n" },
	[METRICS_BAD] = { "400 Bad Request", "malformed request\n" },
};

static enum metrics_answer metrics_answer_of(int parsed, const struct gw_http_req *req)
{
	if (parsed == -ENOTSUP && req->method == GW_HTTP_OTHER)
		return METRICS_NOT_ALLOWED;
	if (parsed < 0)
		return METRICS_BAD;
	if (req->method != GW_HTTP_GET && req->method != GW_HTTP_HEAD)
		return METRICS_NOT_ALLOWED;
	if (gw_http_path_is(req, "/health"))
		return METRICS_HEALTH;
	if (!gw_http_path_is(req, "/metrics"))
		return METRICS_NOT_FOUND;
	return METRICS_OK;
}

/* The body: the counters, or a line saying what went wrong. */
static int metrics_body(const struct gw_worker *w, enum metrics_answer a, char **body,
			size_t *len)
{
	FILE *f = open_memstream(body, len);

	if (!f)
		return -ENOMEM;
	if (metrics_answers[a].body)
		fputs(metrics_answers[a].body, f);
	else
		gw_stats_prometheus(w, f);
	return fclose(f) == 0 ? 0 : -ENOMEM;
}

/* Status line, headers and (unless head_only) the body, into *out. */
static int metrics_response(enum metrics_answer a, bool head_only, const char *body,
			    size_t body_len, char **out, size_t *out_len)
{
	FILE *f = open_memstream(out, out_len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "HTTP/1.1 %s\r\nContent-Type: %s\r\n%sContent-Length: %zu\r\n"
		"Cache-Control: no-store\r\nConnection: close\r\n\r\n", metrics_answers[a].status,
		a == METRICS_OK ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain",
		a == METRICS_NOT_ALLOWED ? "Allow: GET, HEAD\r\n" : "", body_len);
	if (!head_only)
		fwrite(body, 1, body_len, f);
	return gw_stream_done(f, out) ? 0 : -ENOMEM;
}

int gw_metrics_answer(const struct gw_worker *w, const char *buf, size_t len, char **out,
		      size_t *out_len)
{
	struct gw_http_req req;
	int parsed = gw_http_parse(buf, len, &req);
	enum metrics_answer a;
	char *body = NULL;
	size_t body_len = 0;
	int err;

	if (parsed == 0)
		return -EAGAIN;
	a = metrics_answer_of(parsed, &req);
	err = metrics_body(w, a, &body, &body_len);
	if (!err)
		err = metrics_response(a, parsed == 1 && req.method == GW_HTTP_HEAD, body,
				       body_len, out, out_len);
	free(body);
	return err;
}

/* Answers a complete request: a line for the control socket; for the
 * metrics, the head as the parser sees it (we read no body). -EAGAIN
 * while the request is not complete. */
static int admin_request(struct gw_worker *w, struct admin_client *cl)
{
	char *end;

	if (cl->metrics)
		return gw_metrics_answer(w, cl->in, cl->in_len, &cl->out, &cl->out_len);
	end = memchr(cl->in, '\n', cl->in_len);
	if (!end)
		return -EAGAIN;
	*end = '\0';
	admin_control_answer(w, cl, cl->in);
	return 0;
}

static void admin_read(struct gw_worker *w, struct admin_client *cl)
{
	struct gw_admin *a = w->ctl.admin;
	ssize_t n = read(cl->fd, cl->in + cl->in_len, ADMIN_REQUEST_MAX - cl->in_len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		admin_client_free(w, cl);
		return;
	}
	cl->in_len += (size_t)n;
	if (a->waiting == cl)
		return;
	if (admin_request(w, cl) == -EAGAIN) {
		if (cl->in_len >= ADMIN_REQUEST_MAX) {
			gw_warn("%s: request longer than %d bytes, connection closed",
				cl->metrics ? "metrics" : "control socket", ADMIN_REQUEST_MAX);
			admin_client_free(w, cl);
		}
		return;
	}
	if (a->waiting == cl || cl->follow >= 0)
		return;
	if (!cl->out || admin_watch(a, EPOLL_CTL_MOD, cl->fd, EPOLLOUT, cl) < 0)
		admin_client_free(w, cl);
}

void gw_admin_answer_later(struct gw_worker *w, const char *body, size_t len)
{
	struct gw_admin *a = w->ctl.admin;
	struct admin_client *cl = a ? a->waiting : NULL;

	if (!cl)
		return;
	a->waiting = NULL;
	admin_answer(cl, body ? "ok\n" : "error out of memory\n", body, body ? len : 0);
	if (!cl->out || admin_watch(a, EPOLL_CTL_MOD, cl->fd, EPOLLOUT, cl) < 0)
		admin_client_free(w, cl);
}

static void admin_write(struct gw_worker *w, struct admin_client *cl)
{
	ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		cl->out_off += (size_t)n;
	if (n <= 0 || cl->out_off == cl->out_len)
		admin_client_free(w, cl);
}

void gw_admin_event(struct gw_worker *w)
{
	struct gw_admin *a = w->ctl.admin;
	struct epoll_event evs[2 * ADMIN_CLIENTS_MAX + 2];
	int n;

	if (!a)
		return;
	n = epoll_wait(a->epfd, evs, 2 * ADMIN_CLIENTS_MAX + 2, 0);
	for (int i = 0; i < n; i++) {
		uintptr_t tag = (uintptr_t)evs[i].data.ptr;
		struct admin_client *cl = evs[i].data.ptr;

		if (tag == ADMIN_TAG_CONTROL)
			admin_accept(w, a->control_fd, false);
		else if (tag == ADMIN_TAG_METRICS)
			admin_accept(w, a->metrics_fd, true);
		else if (tag == ADMIN_TAG_EVENTS)
			admin_followers_send(w);
		else if (tag > ADMIN_TAG_MAX && cl->follow >= 0)
			admin_follower_event(w, cl, evs[i].events);
		else if (tag > ADMIN_TAG_MAX && cl->out)
			admin_write(w, cl);
		else if (tag > ADMIN_TAG_MAX)
			admin_read(w, cl);
	}
}

/* Clients past their deadline are cut off. */
void gw_admin_tick(struct gw_worker *w)
{
	struct gw_admin *a = w->ctl.admin;
	struct admin_client *cl, *next;

	if (!a)
		return;
	for (cl = a->clients; cl; cl = next) {
		next = cl->next;
		if (cl->deadline && w->now >= cl->deadline)
			admin_client_free(w, cl);
	}
}

int gw_admin_fd(const struct gw_worker *w)
{
	return w->ctl.admin ? w->ctl.admin->epfd : -1;
}

unsigned int gw_admin_drop_clients(struct gw_worker *w)
{
	struct gw_admin *a = w->ctl.admin;
	unsigned int n = 0;

	for (; a && a->clients; n++)
		admin_client_free(w, a->clients);
	return n;
}

void gw_admin_close(struct gw_worker *w)
{
	struct gw_admin *a = w->ctl.admin;

	if (!a)
		return;
	gw_admin_drop_clients(w);
	if (a->control_fd >= 0) {
		close(a->control_fd);
		/* Fails after the privilege drop when the directory is root's: the
		 * next start replaces the socket then. */
		unlink(w->pol.conf->control_socket);
	}
	if (a->metrics_fd >= 0)
		close(a->metrics_fd);
	if (a->epfd >= 0)
		close(a->epfd);
	free(a);
	w->ctl.admin = NULL;
	gw_events_free(w->ctl.events);
	w->ctl.events = NULL;
}
