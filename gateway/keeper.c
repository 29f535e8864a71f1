/* SPDX-License-Identifier: MIT */
/*
 * The keeper: the network process's first thread. It reads no input from
 * the network, a device or a file: it starts one thread per worker, waits,
 * and starts a worker's thread again when the sandbox ended it (a forbidden
 * system call, sandbox.c), so that such a call ends that worker only:
 *
 *   - in the signal handler, the dying thread flags its worker and wakes
 *     the keeper (worker_ended), then ends alone;
 *   - the keeper joins it (so it no longer writes), takes worker 0's lock
 *     and the worker's (worker 0's: every lock, as for a control command;
 *     the locks are robust, so one the thread held is handed on), closes
 *     the worker's connections without another TLS call (their sessions
 *     wait for the devices' reconnects: the stock client reconnects with its
 *     cookie, same address, no new login), and, for worker 0, hangs up on
 *     the control clients and drops a reload's re-evaluation or a listing
 *     it was running (the policy in force stays the one before it);
 *   - a new thread runs the worker's loop on the memory it left.
 *
 * The other workers' tunnels pass throughout. Ending a thread is fault
 * containment, not a security boundary (the threads share their memory):
 * that is the process's sandbox, which every thread has. More than
 * GW_KEEPER_BURST restarts within GW_KEEPER_WINDOW seconds end the process
 * (status 159), and the supervisor's own limit takes over.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "gateway/conn.h"
#include "gateway/ctllist.h"
#include "gateway/ctlsock.h"
#include "gateway/keeper.h"
#include "gateway/log.h"
#include "gateway/reeval.h"
#include "gateway/sandbox.h"
#include "gateway/worker.h"

/*
 * In the signal handler of a worker's thread that made a forbidden call,
 * just before the thread ends: flags its worker and wakes the keeper.
 * Async-signal-safe only: no log line, no lock.
 */
static void keeper_ended(void *arg, int nr)
{
	struct gw_worker *w = arg;
	uint64_t one = 1;

	atomic_store(&w->ended_by, nr + 1);
	if (write(w->gw->keeper_fd, &one, sizeof(one)) < 0)
		return;			/* nothing else to try from here */
}

static void *keeper_worker(void *arg)
{
	struct gw_worker *w = arg;
	char comm[16];
	uint64_t one = 1;
	int ret;

	snprintf(comm, sizeof(comm), "posternd-w%u", w->index);
	prctl(PR_SET_NAME, comm, 0, 0, 0);	/* ps -L, top -H */
	gw_sandbox_thread(w->name, keeper_ended, w);
	ret = gw_worker_run(w);
	if (w->index == 0) {		/* stopped (SIGTERM, SIGINT): the gateway ends */
		w->gw->result = ret;
		atomic_store(&w->gw->done, true);
		if (write(w->gw->keeper_fd, &one, sizeof(one)) < 0)
			gw_err("waking the keeper: %s", strerror(errno));
	}
	return NULL;
}

/* Too many restarts lately: the process ends, its supervisor decides. */
static bool keeper_burst(struct gw_gateway *gw)
{
	struct timespec ts;
	time_t *oldest = &gw->restarted[gw->n_restarted % GW_KEEPER_BURST];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (gw->n_restarted >= GW_KEEPER_BURST && ts.tv_sec - *oldest < GW_KEEPER_WINDOW)
		return true;
	*oldest = ts.tv_sec;
	gw->n_restarted++;
	return false;
}

/* What worker 0 alone was doing for the control plane, given up. */
static void keeper_control_reset(struct gw_worker *w0)
{
	unsigned int hung_up = gw_admin_drop_clients(w0);

	if (w0->ctl.reeval)
		gw_warn("a re-evaluation (reload) in progress was abandoned: the policy, "
			"inventory and CRL in force stay those before it");
	gw_reeval_stop(w0);
	gw_listing_stop(w0);
	if (hung_up)
		gw_warn("%u control and metrics clients hung up on", hung_up);
}

/*
 * Worker w's thread was ended by its sandbox (nr: the call). Its memory
 * stays, but its turn stopped half-way: what it had not handed over,
 * flushed or read is closed with its connections.
 */
static void keeper_restart(struct gw_gateway *gw, struct gw_worker *w, int nr)
{
	struct gw_worker *w0 = gw->w[0];
	unsigned int closed = 0;
	char call[32];
	int err;

	gw_sandbox_call_name(nr, call, sizeof(call));
	pthread_join(gw->thread[w->index], NULL);	/* gone: it no longer writes */
	if (keeper_burst(gw)) {
		gw_err("%s was ended by its sandbox (forbidden system call %s), the %uth worker "
		       "so ended within %d s: ending the network process (the supervisor starts "
		       "a new one)", w->name, call, GW_KEEPER_BURST + 1, GW_KEEPER_WINDOW);
		_exit(128 + SIGSYS);
	}
	gw_worker_lock(w0);
	if (w == w0)
		gw_workers_hold(w0);
	else
		gw_worker_lock(w);
	for (struct gw_conn *c = w->net.conns, *next; c; c = next) {
		next = c->next;
		gw_conn_abandon(c, "its worker was ended by the sandbox");
		closed++;
	}
	w->net.accept_ready = false;
	w->stats.worker_restarts++;
	if (w == w0)
		keeper_control_reset(w0);
	gw_err("%s was ended by its sandbox (forbidden system call %s): its %u connections "
	       "closed, their sessions wait for the devices' reconnects; starting %s again "
	       "(restart %llu of this worker)", w->name, call, closed, w->name,
	       (unsigned long long)w->stats.worker_restarts);
	if (w == w0)
		gw_workers_release(w0);
	else
		pthread_mutex_unlock(&w->lock);
	pthread_mutex_unlock(&w0->lock);
	err = pthread_create(&gw->thread[w->index], NULL, keeper_worker, w);
	if (err) {
		gw_err("cannot start %s again: %s: ending the network process (the supervisor "
		       "starts a new one)", w->name, strerror(err));
		_exit(128 + SIGSYS);
	}
}

/* Tells worker w to stop: its loop wakes up and sees the flag. */
static void keeper_stop(struct gw_worker *w)
{
	gw_worker_lock(w);
	w->stopping = true;
	pthread_mutex_unlock(&w->lock);
	gw_worker_wake(w);
}

int gw_gateway_run(struct gw_gateway *gw)
{
	unsigned int started = 0;
	int ret = 0;

	for (; started < gw->n; started++) {
		ret = -pthread_create(&gw->thread[started], NULL, keeper_worker, gw->w[started]);
		if (ret < 0) {
			gw_err("cannot start worker %u: %s", started, strerror(-ret));
			break;
		}
	}
	while (ret == 0 && !atomic_load(&gw->done)) {
		uint64_t n;

		if (read(gw->keeper_fd, &n, sizeof(n)) < 0 && errno != EINTR) {
			ret = -errno;
			gw_err("keeper: %s: stopping", strerror(errno));
			break;
		}
		for (unsigned int k = 0; k < gw->n; k++) {
			int by = atomic_exchange(&gw->w[k]->ended_by, 0);

			if (by)
				keeper_restart(gw, gw->w[k], by - 1);
		}
	}
	for (unsigned int k = 0; k < started; k++) {
		keeper_stop(gw->w[k]);
		pthread_join(gw->thread[k], NULL);
	}
	return ret ? ret : gw->result;
}
