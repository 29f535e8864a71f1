/* SPDX-License-Identifier: MIT */
/*
 * The worker: its set-up (listener, TUN, pools, TLS context) and its one
 * epoll loop. Events name either a connection (the pointer) or one of the
 * worker's own descriptors (small tags below). Signals arrive through a
 * signalfd and time through a one-second timerfd, so the loop never does
 * anything asynchronous and never needs a lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "conf/policy.h"
#include "gateway/audit.h"
#include "gateway/channel.h"
#include "gateway/conn.h"
#include "gateway/ctlsock.h"
#include "gateway/keyd.h"
#include "gateway/localaddr.h"
#include "gateway/log.h"
#include "gateway/login.h"
#include "gateway/model.h"
#include "gateway/pool.h"
#include "gateway/reload.h"
#include "gateway/scan.h"
#include "gateway/session.h"
#include "gateway/tls.h"
#include "gateway/tundev.h"
#include "gateway/tunnel.h"
#include "gateway/udp.h"
#include "gateway/watch.h"
#include "gateway/worker.h"

enum { EV_LISTEN = 1, EV_TUN, EV_TIMER, EV_SIGNAL, EV_ADMIN, EV_LOCAL, EV_UDP, EV_MAX_TAG = 4096 };
#define LOOP_EVENTS 64

static time_t monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int epoll_tag(struct gw_worker *w, int fd, uintptr_t tag)
{
	return gw_epoll_set(w, fd, EPOLLIN, (void *)tag, true);
}

static int listen_open(struct gw_worker *w)
{
	const struct gw_conf *conf = w->pol.conf;
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, conf->listen, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(conf->port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, conf->listen, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(conf->port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		gw_err("listen address %s is not an IP address", conf->listen);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* SO_REUSEPORT lets later workers share the port, one per core. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 512) < 0) {
		int e = errno;

		gw_err("cannot listen on %s port %u: %s", conf->listen, conf->port, strerror(e));
		close(fd);
		return -e;
	}
	w->net.listen_fd = fd;
	return epoll_tag(w, fd, EV_LISTEN);
}

static int timer_open(struct gw_worker *w)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };

	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->timer_fd < 0 || timerfd_settime(w->timer_fd, 0, &its, NULL) < 0)
		return -errno;
	return epoll_tag(w, w->timer_fd, EV_TIMER);
}

static int signals_open(struct gw_worker *w)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	w->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->signal_fd < 0)
		return -errno;
	return epoll_tag(w, w->signal_fd, EV_SIGNAL);
}

static int pools_init(struct gw_worker *w)
{
	const struct gw_conf *conf = w->pol.conf;

	if (gw_pool_init(&w->dp.pool4, &conf->ipv4_pool) < 0)
		return -EINVAL;
	w->dp.by_v4 = calloc(w->dp.pool4.size, sizeof(*w->dp.by_v4));
	if (!w->dp.by_v4)
		return -ENOMEM;
	w->dp.pools.pool4 = &conf->ipv4_pool;
	if (!conf->have_ipv6_pool)
		return 0;
	if (gw_pool_init(&w->dp.pool6, &conf->ipv6_pool) < 0)
		return -EINVAL;
	w->dp.have_pool6 = true;
	w->dp.pools.pool6 = &conf->ipv6_pool;
	w->dp.by_v6 = calloc(w->dp.pool6.size, sizeof(*w->dp.by_v6));
	return w->dp.by_v6 ? 0 : -ENOMEM;
}

static int tun_init(struct gw_worker *w)
{
	int err = gw_tun_open(&w->dp.tun, w->pol.conf->tun_name);

	if (err < 0)
		return err;
	err = gw_tun_configure(&w->dp.tun, w);
	if (err < 0)
		return err;
	return epoll_tag(w, w->dp.tun.fd, EV_TUN);
}

/* The filter reads the gateway's own addresses from the list in force. */
static void local_apply(struct gw_worker *w)
{
	w->dp.pools.local = w->dp.local.nets;
	w->dp.pools.n_local = w->dp.local.n;
}

/* Fail closed: without the list, tunnels could reach the gateway's ports. */
static int local_init(struct gw_worker *w)
{
	char err[256];

	if (gw_local_open(&w->dp.local, err, sizeof(err)) < 0) {
		gw_err("%s: cannot keep tunnels away from the gateway's own addresses", err);
		return -EIO;
	}
	local_apply(w);
	return epoll_tag(w, gw_local_fd(&w->dp.local), EV_LOCAL);
}

static void worker_local(struct gw_worker *w)
{
	char err[256];
	int ret = gw_local_event(&w->dp.local, err, sizeof(err));

	if (ret < 0)
		gw_warn("%s; the gateway's addresses as read before stay in force", err);
	else if (ret > 0)
		local_apply(w);
}

/* Opened as root, before privileges are dropped; kept open for the run. */
static int audit_open(struct gw_worker *w)
{
	if (!w->pol.conf->audit_log)
		return 0;
	w->ctl.audit_fd = open(w->pol.conf->audit_log,
			   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
	if (w->ctl.audit_fd < 0) {
		int e = errno;

		gw_err("cannot open the audit log %s: %s", w->pol.conf->audit_log, strerror(e));
		return -e;
	}
	return 0;
}

/* What the transport reports goes to the layers above it (conn.h). */
static const struct gw_conn_handlers worker_handlers = {
	.request = gw_login_request,
	.frame = gw_session_frame,
	.tick = gw_session_tick,
	.closing = gw_tunnel_detach,
	.fail = gw_session_fail,
};

int gw_worker_init(struct gw_worker *w, struct gw_conf *conf, struct conf_policy *policy)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->net.handlers = &worker_handlers;
	w->pol.conf = conf;
	w->pol.policy = policy;
	w->net.listen_fd = w->timer_fd = w->signal_fd = w->dp.tun.fd = w->net.keyd.fd = w->ctl.audit_fd = -1;
	w->now = monotonic_now();
	w->net.peer_log_budget = GW_PEER_LOG_BUDGET;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	w->net.rxbuf = malloc(GW_RX_CAP);
	if (!w->net.rxbuf)
		return -ENOMEM;
	w->pol.ca = gw_tls_ca_load(conf->ca_cert);
	if (!w->pol.ca)
		return -EINVAL;
	w->net.tls = gw_tls_ctx_new(conf, &w->net.keyd);
	if (!w->net.tls)
		return -EINVAL;
	err = gw_reload_init(w);
	if (err == 0)
		err = audit_open(w);
	if (err == 0)
		err = pools_init(w);
	if (err == 0)
		err = tun_init(w);
	if (err == 0)
		err = local_init(w);
	if (err == 0)
		err = signals_open(w);
	if (err == 0)
		err = timer_open(w);
	if (err == 0)
		err = gw_admin_open(w);
	if (err == 0 && w->ctl.admin)
		err = epoll_tag(w, gw_admin_fd(w), EV_ADMIN);
	if (err == 0)
		err = gw_channel_open(w);
	if (err == 0 && w->net.udp)
		err = epoll_tag(w, gw_udp_fd(w->net.udp), EV_UDP);
	if (err == 0)
		err = listen_open(w);
	return err;
}

static void worker_free_dead(struct gw_worker *w)
{
	while (w->net.dead) {
		struct gw_conn *c = w->net.dead;

		w->net.dead = c->next;
		gw_conn_free(c);
	}
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

void gw_worker_free(struct gw_worker *w)
{
	while (w->sess.sessions)
		gw_session_end(w, w->sess.sessions, "gateway shutting down");
	while (w->net.conns)
		gw_conn_close(w->net.conns, NULL);
	gw_scans_free(w);
	worker_free_dead(w);
	gw_channel_close(w);
	if (w->pol.conf)
		gw_admin_close(w);
	gw_reload_free(w);
	X509_free(w->pol.ca);
	SSL_CTX_free(w->net.tls);
	gw_keyd_stop(&w->net.keyd);
	gw_tun_close(&w->dp.tun);
	gw_local_close(&w->dp.local);
	gw_pool_destroy(&w->dp.pool4);
	if (w->dp.have_pool6)
		gw_pool_destroy(&w->dp.pool6);
	free(w->dp.by_v4);
	free(w->dp.by_v6);
	free(w->net.rxbuf);
	close_fd(w->net.listen_fd);
	close_fd(w->timer_fd);
	close_fd(w->signal_fd);
	close_fd(w->ctl.audit_fd);
	close_fd(w->epfd);
	conf_policy_free(w->pol.policy);
	conf_gateway_free(w->pol.conf);
	w->pol.policy = NULL;
	w->pol.conf = NULL;
}

static void worker_tick(struct gw_worker *w)
{
	uint64_t expirations;

	if (read(w->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		gw_warn("timerfd: %s", strerror(errno));
	gw_conns_tick(w);
	if (w->net.udp)
		gw_dtls_tick(gw_udp_dtls(w->net.udp), w->now);
	gw_sessions_expire(w);
	gw_scans_expire(w);
	gw_watch_tick(w);
	gw_admin_tick(w);
}

static void worker_signal(struct gw_worker *w)
{
	struct signalfd_siginfo si;

	while (read(w->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char err[8192];

			gw_info("SIGHUP: reloading");
			gw_reload(w, NULL, false, err, sizeof(err));
			continue;
		}
		if (si.ssi_signo == SIGUSR1) {
			gw_audit_reopen(w);
			continue;
		}
		gw_info("%s received: ending sessions and stopping", strsignal((int)si.ssi_signo));
		w->stopping = true;
	}
}

static void worker_dispatch(struct gw_worker *w, const struct epoll_event *ev)
{
	uintptr_t tag = (uintptr_t)ev->data.ptr;

	switch (tag) {
	case EV_LISTEN:
		return gw_conn_accept(w);
	case EV_TUN:
		return gw_tunnel_from_tun(w);
	case EV_TIMER:
		return worker_tick(w);
	case EV_SIGNAL:
		return worker_signal(w);
	case EV_ADMIN:
		return gw_admin_event(w);
	case EV_LOCAL:
		return worker_local(w);
	case EV_UDP:
		return gw_udp_input(w->net.udp, w->now);
	default:
		if (tag > EV_MAX_TAG)
			gw_conn_event(ev->data.ptr, ev->events);
	}
}

int gw_worker_run(struct gw_worker *w)
{
	struct epoll_event events[LOOP_EVENTS];

	while (!w->stopping) {
		int n = epoll_wait(w->epfd, events, LOOP_EVENTS, w->net.pending ? 0 : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			gw_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		w->now = monotonic_now();
		for (int i = 0; i < n; i++)
			worker_dispatch(w, &events[i]);
		gw_conns_pending(w);
		gw_conns_flush(w);
		if (w->net.udp)
			gw_udp_flush(w->net.udp);
		worker_free_dead(w);
	}
	return 0;
}
