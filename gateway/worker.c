/* SPDX-License-Identifier: MIT */
/*
 * The workers: their set-up (listener, UDP port, TUN queue, pools, TLS
 * context) and their epoll loops, one per core (model.h, struct
 * gw_gateway). Events name either a connection (the pointer) or one of the
 * worker's own descriptors (small tags below). Signals arrive through a
 * signalfd and time through a one-second timerfd, so a loop never does
 * anything asynchronous. Worker 0 alone serves signals, the control
 * socket, the metrics and the watches of the CRL, the inventory and the
 * gateway's own addresses; for those it takes every other worker's lock
 * (gw_workers_hold/gw_workers_release). Their threads are keeper.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "conf/policy.h"
#include "gateway/audit.h"
#include "gateway/ban.h"
#include "gateway/channel.h"
#include "gateway/conn.h"
#include "gateway/ctllist.h"
#include "gateway/ctlsock.h"
#include "gateway/history.h"
#include "gateway/keyd.h"
#include "gateway/localaddr.h"
#include "gateway/log.h"
#include "gateway/login.h"
#include "gateway/model.h"
#include "gateway/pool.h"
#include "gateway/reeval.h"
#include "gateway/reload.h"
#include "gateway/sandbox.h"
#include "gateway/scan.h"
#include "gateway/session.h"
#include "gateway/tls.h"
#include "gateway/tundev.h"
#include "gateway/tunnel.h"
#include "gateway/udp.h"
#include "gateway/watch.h"
#include "gateway/worker.h"

enum {
	EV_LISTEN = 1, EV_TUN, EV_TIMER, EV_SIGNAL, EV_ADMIN, EV_LOCAL, EV_UDP, EV_HANDOFF, EV_KEYD,
	EV_MAX_TAG = 4096
};
#define LOOP_EVENTS 64
/* A re-evaluation decides sessions for at most this long per loop turn, so
 * that a reload of 50 000 sessions never holds a tunnel for long. */
#define GW_REEVAL_SLICE_US 2000

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
	w->net.listen_tag = (void *)(uintptr_t)EV_LISTEN;
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
	gw_pool_share(&w->dp.pool4, w->index, gw_workers_want(w));
	w->dp.by_v4 = calloc(w->dp.pool4.size, sizeof(*w->dp.by_v4));
	if (!w->dp.by_v4)
		return -ENOMEM;
	w->dp.pools.pool4 = &conf->ipv4_pool;
	if (!conf->have_ipv6_pool)
		return 0;
	if (gw_pool_init(&w->dp.pool6, &conf->ipv6_pool) < 0)
		return -EINVAL;
	gw_pool_share(&w->dp.pool6, w->index, gw_workers_want(w));
	w->dp.have_pool6 = true;
	w->dp.pools.pool6 = &conf->ipv6_pool;
	w->dp.by_v6 = calloc(w->dp.pool6.size, sizeof(*w->dp.by_v6));
	return w->dp.by_v6 ? 0 : -ENOMEM;
}

/* Worker 0 creates and configures the device; the others add a queue each. */
static int tun_init(struct gw_worker *w)
{
	int err = gw_tun_open(&w->dp.tun, w->pol.conf->tun_name, gw_workers_want(w) > 1);

	if (err < 0)
		return err;
	if (!w->secondary)
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

/*
 * A worker's lock is robust: when the sandbox ends a worker's thread in
 * the middle of its turn, the next to lock it gets it marked as left by a
 * dead owner; it is made consistent, and worker 0 starts that worker
 * again (keeper.c).
 */
void gw_worker_lock(struct gw_worker *w)
{
	if (pthread_mutex_lock(&w->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&w->lock);
}

/*
 * Worker 0 is about to read or change what every worker holds: it takes
 * the others' locks, in index order (it holds its own for the turn).
 */
void gw_workers_hold(struct gw_worker *w)
{
	for (unsigned int k = 1; k < gw_workers_n(w); k++)
		gw_worker_lock(gw_worker_at(w, k));
	w->ctl.hold_since = gw_latency_now();
}

/* The others get worker 0's policy state and addresses, then their locks back. */
void gw_workers_release(struct gw_worker *w)
{
	gw_latency_observe(&w->stats.control_hold, w->ctl.hold_since);
	for (unsigned int k = 1; k < gw_workers_n(w); k++) {
		struct gw_worker *o = gw_worker_at(w, k);

		o->pol = w->pol;
		/* Into worker 0's config, which a reload replaces. */
		o->dp.pools.pool4 = w->dp.pools.pool4;
		o->dp.pools.pool6 = w->dp.pools.pool6;
		o->dp.pools.local = w->dp.pools.local;
		o->dp.pools.n_local = w->dp.pools.n_local;
		pthread_mutex_unlock(&o->lock);
	}
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
	.closing = gw_session_closing,
	.fail = gw_session_fail,
};

static int handoff_init(struct gw_worker *w)
{
	w->handoff.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->handoff.fd < 0)
		return -errno;
	return epoll_tag(w, w->handoff.fd, EV_HANDOFF);
}

/* Worker w's channel to w0's key holder, watched by its loop. */
static int keyd_channel(struct gw_worker *w, struct gw_worker *w0)
{
	if (w->index + 1 >= w0->net.keyd.n)
		return 0;		/* none: its signatures block on channel 0 */
	w->net.keyd_client.fd = w0->net.keyd.fd[w->index + 1];
	return epoll_tag(w, w->net.keyd_client.fd, EV_KEYD);
}

/* What every worker has of its own. */
static int worker_base(struct gw_worker *w, struct gw_gateway *gw, unsigned int index)
{
	pthread_mutexattr_t robust;

	memset(w, 0, sizeof(*w));
	w->gw = gw;
	w->index = index;
	snprintf(w->name, sizeof(w->name), "worker %u", index);
	pthread_mutexattr_init(&robust);
	pthread_mutexattr_setrobust(&robust, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&w->lock, &robust);
	pthread_mutexattr_destroy(&robust);
	pthread_mutex_init(&w->handoff.lock, NULL);
	w->net.handlers = &worker_handlers;
	w->net.listen_fd = w->timer_fd = w->signal_fd = w->dp.tun.fd = w->net.keyd_client.fd = -1;
	w->ctl.audit_fd = w->handoff.fd = -1;
	w->now = monotonic_now();
	w->net.peer_log_budget = gw_worker_share(GW_PEER_LOG_BUDGET, gw_workers_want(w));
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	w->net.rxbuf = malloc(GW_RX_CAP);
	return w->net.rxbuf ? 0 : -ENOMEM;
}

int gw_worker_init(struct gw_worker *w, struct gw_conf *conf, struct conf_policy *policy)
{
	return gw_worker_init_in(w, NULL, conf, policy);
}

int gw_worker_init_in(struct gw_worker *w, struct gw_gateway *gw, struct gw_conf *conf,
		      struct conf_policy *policy)
{
	int err = worker_base(w, gw, 0);

	w->pol.conf = conf;
	w->pol.policy = policy;
	if (err < 0)
		return err;
	w->pol.ca = gw_tls_ca_load(conf->ca_cert);
	if (!w->pol.ca)
		return -EINVAL;
	w->net.tls = gw_tls_ctx_new(conf, gw_workers_want(w), &w->net.keyd);
	if (!w->net.tls)
		return -EINVAL;
	err = keyd_channel(w, w);
	if (err == 0)
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
		err = handoff_init(w);
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

/*
 * Worker index of w0's gateway: its own listener (SO_REUSEPORT), UDP port
 * (udp-port + index), TUN queue, share of the pools, timer and session
 * history; worker 0's policy state, TLS context, key holder and audit log.
 */
int gw_worker_init_secondary(struct gw_worker *w, struct gw_worker *w0, unsigned int index)
{
	int err = worker_base(w, w0->gw, index);

	w->secondary = true;
	w->pol = w0->pol;
	if (err < 0)
		return err;
	SSL_CTX_up_ref(w0->net.tls);
	w->net.tls = w0->net.tls;
	w->ctl.audit_fd = w0->ctl.audit_fd;
	w->ctl.events = w0->ctl.events;
	w->ctl.started = w0->ctl.started;
	w->ctl.history = calloc(GW_HISTORY_MAX, sizeof(*w->ctl.history));
	if (!w->ctl.history)
		return -ENOMEM;
	w->dp.pools.local = w0->dp.pools.local;
	w->dp.pools.n_local = w0->dp.pools.n_local;
	err = keyd_channel(w, w0);
	if (err == 0)
		err = pools_init(w);
	if (err == 0)
		err = tun_init(w);
	if (err == 0)
		err = timer_open(w);
	if (err == 0)
		err = handoff_init(w);
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
	if (!w->gw) {		/* a gateway's: gw_gateway_free */
		gw_reeval_stop(w);
		gw_listing_stop(w);
	}
	while (w->sess.sessions)
		gw_session_end(w, w->sess.sessions, "gateway shutting down");
	gw_sessions_free(w);
	while (w->net.conns)
		gw_conn_close(w->net.conns, NULL);
	gw_conns_adopt_none(w);
	cm_htab_free(&w->net.sources);
	gw_scans_free(w);
	worker_free_dead(w);
	gw_channel_close(w);
	gw_bans_free(w);
	if (w->pol.conf && !w->secondary)
		gw_admin_close(w);
	if (w->secondary) {
		free(w->ctl.history);
		w->ctl.history = NULL;
	} else {
		gw_reload_free(w);
		X509_free(w->pol.ca);
		gw_keyd_stop(&w->net.keyd);
		gw_local_close(&w->dp.local);
		close_fd(w->ctl.audit_fd);
		conf_policy_free(w->pol.policy);
		conf_gateway_free(w->pol.conf);
	}
	SSL_CTX_free(w->net.tls);
	gw_tun_close(&w->dp.tun);
	gw_pool_destroy(&w->dp.pool4);
	if (w->dp.have_pool6)
		gw_pool_destroy(&w->dp.pool6);
	free(w->dp.by_v4);
	free(w->dp.by_v6);
	free(w->net.rxbuf);
	close_fd(w->net.listen_fd);
	close_fd(w->timer_fd);
	close_fd(w->signal_fd);
	close_fd(w->handoff.fd);
	close_fd(w->epfd);
	w->pol.policy = NULL;
	w->pol.conf = NULL;
	pthread_mutex_destroy(&w->handoff.lock);
	pthread_mutex_destroy(&w->lock);
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
	if (w->secondary)
		return;
	gw_workers_hold(w);
	gw_watch_tick(w);
	gw_admin_tick(w);
	gw_workers_release(w);
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
		/* After the turn's other events: a login's ClientHello that came
		 * with this batch is read before newcomers can evict it. */
		w->net.accept_ready = true;
		return;
	case EV_TUN:
		return gw_tunnel_from_tun(w);
	case EV_TIMER:
		return worker_tick(w);
	case EV_SIGNAL:
		gw_workers_hold(w);
		worker_signal(w);
		return gw_workers_release(w);
	case EV_ADMIN:
		gw_workers_hold(w);
		gw_admin_event(w);
		return gw_workers_release(w);
	case EV_LOCAL:
		gw_workers_hold(w);
		worker_local(w);
		return gw_workers_release(w);
	case EV_UDP:
		return gw_udp_input(w->net.udp, w->now);
	case EV_HANDOFF:
		return gw_conns_adopt(w);
	case EV_KEYD:
		if (gw_keyd_client_input(&w->net.keyd_client, gw_conn_keyd_resume) < 0)
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->net.keyd_client.fd, NULL);
		return;
	default:
		if (tag > EV_MAX_TAG)
			gw_conn_event(ev->data.ptr, ev->events);
	}
}

/*
 * The loop. The worker's lock is held for each turn, from the events to the
 * end of their handling, and released only while it waits.
 */
int gw_worker_run(struct gw_worker *w)
{
	struct epoll_event events[LOOP_EVENTS];
	int ret = 0;

	gw_keyd_client_bind(&w->net.keyd_client);
	gw_worker_lock(w);
	while (!w->stopping) {
		int n;

		pthread_mutex_unlock(&w->lock);
		n = epoll_wait(w->epfd, events, LOOP_EVENTS,
			       w->net.pending || w->sess.reeval_active || w->sess.list_active ? 0 :
			       -1);
		gw_worker_lock(w);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			gw_err("epoll_wait: %s", strerror(errno));
			break;
		}
		w->now = monotonic_now();
		for (int i = 0; i < n; i++)
			worker_dispatch(w, &events[i]);
		if (w->net.accept_ready) {
			w->net.accept_ready = false;
			gw_conn_accept(w);
		}
		if (w->sess.reeval_active)
			gw_reeval_step(w, gw_worker_at(w, 0)->ctl.reeval_slice_us);
		if (!w->secondary && gw_reeval_ready(w)) {
			gw_workers_hold(w);
			gw_reeval_poll(w);
			gw_workers_release(w);
		}
		if (w->sess.list_active)
			gw_listing_step(w, gw_worker_at(w, 0)->ctl.reeval_slice_us);
		if (!w->secondary)
			gw_listing_poll(w);	/* every part done: no other lock needed */
		gw_conns_pending(w);
		gw_conns_flush(w);
		gw_conns_handoff(w);
		if (w->net.udp)
			gw_udp_flush(w->net.udp);
		worker_free_dead(w);
	}
	pthread_mutex_unlock(&w->lock);
	return ret;
}

/* Leasable IPv4 pool addresses (gw_pool_init's reckoning). */
static unsigned int gateway_pool_room(const struct gw_conf *conf)
{
	unsigned int bits = 32 - conf->ipv4_pool.prefix;

	return bits >= 16 ? GW_POOL_MAX_SIZE - 2 : (1u << bits) - 3;
}

/*
 * The workers the config asks for: workers, or one per online CPU, but
 * never more than the pool has addresses to share out (a /30 has one: one
 * worker).
 */
static unsigned int gateway_size(const struct gw_conf *conf)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int n = conf->workers ? conf->workers : cpus > 0 ? (unsigned int)cpus : 1;
	unsigned int room = gateway_pool_room(conf);

	if (n > GW_WORKERS_MAX)
		n = GW_WORKERS_MAX;
	if (n > room) {
		if (conf->workers)
			gw_warn("workers = %u, but ipv4-pool has %u addresses to share out: running %u",
				conf->workers, room, room);
		n = room;
	}
	return n ? n : 1;
}

/*
 * Every connection is a file descriptor: max-clients of them, and a few
 * dozen per worker and for the control plane. The soft limit is raised as
 * far as the hard one allows; when even that is short, the gateway says so
 * at start and in its status, and pauses accepting when it runs out
 * (conn.c) instead of spinning.
 */
static void gateway_fd_limit(struct gw_worker *w0, const struct gw_conf *conf, unsigned int n)
{
	struct rlimit rl;
	unsigned long need = conf->max_clients + 32ul * n + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = was;
	}
	w0->ctl.fd_limit = rl.rlim_cur;
	w0->ctl.fd_need = need;
	if (rl.rlim_cur < need)
		gw_warn("max-clients = %u needs about %lu file descriptors, but the limit is %llu "
			"(hard limit %llu): past it, accepting pauses; raise the hard limit "
			"(LimitNOFILE=) or lower max-clients", conf->max_clients, need,
			(unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
}

/*
 * Sets up every worker. Several need the kernel to steer TUN packets
 * (eBPF): without it, an explicit "workers" refuses to start, and the
 * default (one per CPU) falls back to one worker and says so.
 */
int gw_gateway_init(struct gw_gateway *gw, struct gw_conf *conf, struct conf_policy *policy)
{
	char err[256];
	int ret;

	memset(gw, 0, sizeof(*gw));
	gw->keeper_fd = eventfd(0, EFD_CLOEXEC);	/* blocking: the keeper waits on it */
	if (gw->keeper_fd < 0) {
		conf_policy_free(policy);
		conf_gateway_free(conf);
		return -errno;
	}
	gw->want = gateway_size(conf);
	if (gw->want > 1 && gw_tun_steer_probe(err, sizeof(err)) < 0) {
		if (conf->workers) {
			gw_err("%s: cannot run the %u workers the config asks for", err, conf->workers);
			conf_policy_free(policy);
			conf_gateway_free(conf);
			return -EOPNOTSUPP;
		}
		gw_warn("%s: running ONE worker instead of one per CPU (%u); set workers = 1 "
			"to silence this", err, gw->want);
		gw->want = 1;
	}
	gw->w[0] = calloc(1, sizeof(*gw->w[0]));
	if (!gw->w[0])
		return -ENOMEM;
	gw->n = 1;
	ret = gw_worker_init_in(gw->w[0], gw, conf, policy);
	gw->w[0]->ctl.reeval_slice_us = GW_REEVAL_SLICE_US;
	gateway_fd_limit(gw->w[0], conf, gw->want);
	while (ret == 0 && gw->n < gw->want) {
		unsigned int k = gw->n;

		gw->w[k] = calloc(1, sizeof(*gw->w[k]));
		if (!gw->w[k])
			return -ENOMEM;
		gw->n++;
		ret = gw_worker_init_secondary(gw->w[k], gw->w[0], k);
	}
	if (ret == 0 && gw->n > 1) {
		struct gw_worker *w0 = gw->w[0];

		ret = gw_tun_steer(&w0->dp.tun, &w0->dp.pool4, w0->dp.have_pool6 ? &w0->dp.pool6 : NULL,
				   gw->n, err, sizeof(err));
		if (ret < 0)
			gw_err("%s", err);
	}
	return ret;
}

void gw_gateway_free(struct gw_gateway *gw)
{
	if (gw->n && gw->w[0]) {
		gw_reeval_stop(gw->w[0]);
		gw_listing_stop(gw->w[0]);
	}
	for (unsigned int k = gw->n; k-- > 0;) {
		if (!gw->w[k])
			continue;
		gw_worker_free(gw->w[k]);
		free(gw->w[k]);
		gw->w[k] = NULL;
	}
	if (gw->keeper_fd > 0)
		close(gw->keeper_fd);
	gw->keeper_fd = -1;
}
