/* SPDX-License-Identifier: MIT */
/*
 * The key holder and the proxy key that talks to it (see keyd.h).
 *
 * The proxy rests on OpenSSL's EC_KEY_METHOD and RSA_METHOD, deprecated in
 * OpenSSL 3 but still the simplest way to route a key's private operation
 * through our own function: a provider would take far more code for the
 * same two calls. Those are the only deprecated calls in the project.
 *
 * Requests and answers go over a SOCK_SEQPACKET pair, one message each, so
 * a message is never split or merged. Every request carries a sequence
 * number that its answer repeats: an answer that arrives after its request
 * timed out is recognised and dropped instead of answering the next one.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "gateway/keyd.h"
#include "gateway/log.h"
#include "gateway/privs.h"
#include "gateway/sandbox.h"

#define KEYD_TIMEOUT_SEC	2	/* a signature takes well under a millisecond */
/*
 * Signatures a second the holder makes at most: each TLS handshake needs
 * one, and this is about ten times the set-up rate measured on two cores.
 * A compromised worker cannot turn the holder into a signing oracle at
 * full speed, nor starve it; past the rate, requests get -EBUSY (the
 * handshake fails, the client retries).
 */
#define KEYD_MAX_RATE		2000

struct keyd_msg_req {
	struct gw_keyd_req h;
	uint32_t seq;
	uint8_t data[GW_KEYD_MAX_DATA];
};

struct keyd_msg_resp {
	struct gw_keyd_resp h;
	uint32_t seq;
	uint8_t data[GW_KEYD_MAX_DATA];
};

/* ------------------------------------------------------------ the holder */

/* Signs the request's bytes as they are (no digest step); padding 0 = the
 * key type's default. */
static int keyd_sign(EVP_PKEY *key, int padding, const struct keyd_msg_req *rq,
		     struct keyd_msg_resp *rs)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	size_t len = sizeof(rs->data);
	int ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
		 (!padding || EVP_PKEY_CTX_set_rsa_padding(ctx, padding) == 1) &&
		 EVP_PKEY_sign(ctx, rs->data, &len, rq->data, rq->h.len) == 1;

	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return -EIO;
	rs->h.len = (uint32_t)len;
	return 0;
}

static int keyd_ecdsa(EVP_PKEY *key, const struct keyd_msg_req *rq, struct keyd_msg_resp *rs)
{
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || rq->h.len == 0 || rq->h.len > 64)
		return -EINVAL;
	return keyd_sign(key, 0, rq, rs);
}

/* A raw private operation with PKCS#1 type 1 padding or none (PSS is padded
 * by the caller), which is all TLS signing needs. */
static int keyd_rsa(EVP_PKEY *key, const struct keyd_msg_req *rq, struct keyd_msg_resp *rs)
{
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA ||
	    (rq->h.padding != RSA_PKCS1_PADDING && rq->h.padding != RSA_NO_PADDING) ||
	    rq->h.len == 0 || rq->h.len > (uint32_t)EVP_PKEY_get_size(key))
		return -EINVAL;
	return keyd_sign(key, rq->h.padding, rq, rs);
}

/* One request: signed, or refused with -EBUSY when busy (past the rate). */
static int keyd_serve_request(EVP_PKEY *key, int fd, bool busy)
{
	struct keyd_msg_req rq;
	struct keyd_msg_resp rs;
	ssize_t n = recv(fd, &rq, sizeof(rq), MSG_TRUNC);
	size_t head = offsetof(struct keyd_msg_req, data);

	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	memset(&rs, 0, sizeof(rs));
	/* Past the rate, refused as it is; else sizes first: the header must
	 * be whole and agree with what came. */
	if (busy)
		rs.h.status = -EBUSY;
	else if ((size_t)n < head || (size_t)n > sizeof(rq) || rq.h.len != (size_t)n - head)
		rs.h.status = -EBADMSG;
	else if (rq.h.op == GW_KEYD_ECDSA_SIGN)
		rs.h.status = keyd_ecdsa(key, &rq, &rs);
	else if (rq.h.op == GW_KEYD_RSA_PRIV_ENC)
		rs.h.status = keyd_rsa(key, &rq, &rs);
	else
		rs.h.status = -EOPNOTSUPP;
	if ((size_t)n >= head)
		rs.seq = rq.seq;
	if (rs.h.status)
		rs.h.len = 0;
	OPENSSL_cleanse(&rq, sizeof(rq));
	if (send(fd, &rs, offsetof(struct keyd_msg_resp, data) + rs.h.len, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int gw_keyd_serve_one(EVP_PKEY *key, int fd)
{
	return keyd_serve_request(key, fd, false);
}

static EVP_PKEY *keyd_load(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return key;
}

/* Serves every channel (fds 3 .. 3 + n - 1) until all have closed. */
static void keyd_serve(EVP_PKEY *key, unsigned int n)
{
	struct pollfd p[GW_KEYD_CHANNELS_MAX];
	unsigned int live = n, used = 0;
	unsigned long refused = 0;
	time_t second = 0;

	for (unsigned int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = 3 + (int)i, .events = POLLIN };
	while (live) {
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (unsigned int i = 0; i < n; i++) {
			struct timespec ts;
			bool busy;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			if (ts.tv_sec != second) {
				if (refused)
					gw_warn("key holder: %lu requests refused past %d signatures "
						"a second", refused, KEYD_MAX_RATE);
				second = ts.tv_sec;
				used = 0;
				refused = 0;
			}
			busy = used >= KEYD_MAX_RATE;
			refused += busy;
			used += !busy;
			if (keyd_serve_request(key, p[i].fd, busy) < 0) {
				close(p[i].fd);
				p[i].fd = -1;
				live--;
			}
		}
	}
}

static void __attribute__((noreturn)) keyd_child(const int *fds, unsigned int n,
						 const char *key_path)
{
	int tmp[GW_KEYD_CHANNELS_MAX];
	EVP_PKEY *key;

	/* Before the key is read: no core dump, no ptrace by the same user. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	/* A terminal's ^C ends the worker's sessions cleanly; it must not end us
	 * first. Reload and log-reopen signals sent to the whole unit are the
	 * worker's business too. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	/* The channels become fds 3, 4, ...: copied above that range first, so
	 * that moving one down never lands on another not yet moved. */
	for (unsigned int i = 0; i < n; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD, 3 + (int)n)) < 0)
			_exit(1);
	for (unsigned int i = 0; i < n; i++)
		if (dup2(tmp[i], 3 + (int)i) < 0)
			_exit(1);
	if (close_range(3 + n, ~0U, 0) < 0)
		_exit(1);
	key = keyd_load(key_path);
	if (!key) {
		gw_err("key holder: cannot load %s", key_path);
		_exit(1);
	}
	/* No filesystem at all: without Landlock, an empty root directory
	 * (while it may still chroot). */
	if (!gw_landlock_abi() && gw_privs_empty_root() < 0) {
		gw_err("key holder: cannot make its root directory an empty one");
		_exit(1);
	}
	/* Not the workers' user: they must not be able to signal or trace
	 * the holder of the key. */
	if (gw_privs_shed() < 0) {
		gw_err("key holder: cannot drop its capabilities");
		_exit(1);
	}
	/* No filesystem at all: the key is in memory. */
	if (gw_sandbox_enter(GW_SANDBOX_KEY_HOLDER, &(struct gw_landlock){ 0 }) < 0) {
		gw_err("key holder: cannot install the sandbox (seccomp)");
		_exit(1);
	}
	keyd_serve(key, n);
	EVP_PKEY_free(key);
	_exit(0);
}

int gw_keyd_start(const char *key_path, unsigned int channels, struct gw_keyd *kd)
{
	struct timeval tv = { .tv_sec = KEYD_TIMEOUT_SEC };
	int theirs[GW_KEYD_CHANNELS_MAX];
	int err = 0;

	memset(kd, 0, sizeof(*kd));
	if (channels < 1 || channels > GW_KEYD_CHANNELS_MAX)
		return -EINVAL;
	for (kd->n = 0; kd->n < channels; kd->n++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			err = -errno;
			break;
		}
		kd->fd[kd->n] = sv[0];
		theirs[kd->n] = sv[1];
	}
	if (!err) {
		kd->pid = fork();
		if (kd->pid < 0)
			err = -errno;
		else if (kd->pid == 0)
			keyd_child(theirs, kd->n, key_path);
	}
	for (unsigned int i = 0; i < kd->n; i++)
		close(theirs[i]);
	if (err) {
		for (unsigned int i = 0; i < kd->n; i++)
			close(kd->fd[i]);
		kd->n = 0;
		kd->pid = 0;
		return err;
	}
	/* Channel 0's calls block, but never for long. */
	setsockopt(kd->fd[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(kd->fd[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (unsigned int i = 1; i < kd->n; i++)
		fcntl(kd->fd[i], F_SETFL, O_NONBLOCK);
	return 0;
}

void gw_keyd_stop(struct gw_keyd *kd)
{
	for (unsigned int i = 0; i < kd->n; i++)
		close(kd->fd[i]);
	kd->n = 0;
	if (kd->pid > 0)
		waitpid(kd->pid, NULL, 0);
	kd->pid = 0;
}

/* ------------------------------------------------------------ the proxy */

static int keyd_ec_index = -1, keyd_rsa_index = -1;
static uint32_t keyd_seq;
/* Channel 0 is shared by whoever calls outside an async job: a request and
 * its answer go together. */
static pthread_mutex_t keyd_lock = PTHREAD_MUTEX_INITIALIZER;

/* The calling worker thread's channel (gw_keyd_client_bind), or NULL. */
static __thread struct gw_keyd_client *keyd_self;

/* A handshake paused for its answer; on the stack of its async job. */
struct gw_keyd_wait {
	struct gw_keyd_wait *next;
	uint32_t seq;
	void *waiter;
	bool done;
	int status;
	size_t len;
	uint8_t data[GW_KEYD_MAX_DATA];
};

static int keyd_call_locked(int fd, enum gw_keyd_op op, int padding, const uint8_t *in,
			    size_t inlen, uint8_t *out, size_t outcap);

static struct gw_keyd_wait *keyd_take(struct gw_keyd_client *cl, bool by_seq, uint32_t seq,
				      void *waiter)
{
	for (struct gw_keyd_wait **p = &cl->waits; *p; p = &(*p)->next) {
		struct gw_keyd_wait *wt = *p;

		if (by_seq ? wt->seq == seq : wt->waiter == waiter) {
			*p = wt->next;
			return wt;
		}
	}
	return NULL;
}

/*
 * In an async job: the request goes out on the worker's channel and the
 * job pauses until gw_keyd_client_input has the answer (or the wait is
 * cancelled). Never blocks the worker's loop.
 */
static int keyd_call_async(struct gw_keyd_client *cl, enum gw_keyd_op op, int padding,
			   const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap)
{
	struct keyd_msg_req rq = { .h = { .op = op, .padding = padding, .len = (uint32_t)inlen } };
	struct gw_keyd_wait wt = { .waiter = cl->current };

	if (inlen > sizeof(rq.data))
		return -EINVAL;
	rq.seq = wt.seq = ++cl->seq;
	memcpy(rq.data, in, inlen);
	/* Full: the holder is far behind; this handshake fails rather than wait. */
	if (send(cl->fd, &rq, offsetof(struct keyd_msg_req, data) + inlen,
		 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return -errno;
	/* wt lives on this job's stack, which stays while the job is paused;
	 * whoever sets wt.done has taken it off the list first. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
	wt.next = cl->waits;
	cl->waits = &wt;
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif
	while (!wt.done) {
		if (!ASYNC_pause_job()) {
			keyd_take(cl, false, 0, wt.waiter);
			return -EIO;
		}
	}
	if (wt.status)
		return wt.status;
	if (wt.len > outcap)
		return -EMSGSIZE;
	memcpy(out, wt.data, wt.len);
	OPENSSL_cleanse(wt.data, wt.len);
	return (int)wt.len;
}

/* One request, one answer. Returns the answer's length or a negative errno. */
static int keyd_call(int fd, enum gw_keyd_op op, int padding, const uint8_t *in, size_t inlen,
		     uint8_t *out, size_t outcap)
{
	struct gw_keyd_client *cl = keyd_self;
	int n;

	if (cl && cl->fd >= 0 && ASYNC_get_current_job())
		return keyd_call_async(cl, op, padding, in, inlen, out, outcap);
	pthread_mutex_lock(&keyd_lock);
	n = keyd_call_locked(fd, op, padding, in, inlen, out, outcap);
	pthread_mutex_unlock(&keyd_lock);
	return n;
}

void gw_keyd_client_bind(struct gw_keyd_client *cl)
{
	keyd_self = cl;
}

/* Resumes the handshake of a wait that has its answer (or its failure). */
static void keyd_wake(struct gw_keyd_wait *wt, gw_keyd_resume_fn *resume)
{
	wt->done = true;
	resume(wt->waiter);
}

int gw_keyd_client_input(struct gw_keyd_client *cl, gw_keyd_resume_fn *resume)
{
	struct keyd_msg_resp rs;
	size_t head = offsetof(struct keyd_msg_resp, data);
	struct gw_keyd_wait *wt;

	for (;;) {
		ssize_t n = recv(cl->fd, &rs, sizeof(rs), MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			break;
		if ((size_t)n < head || rs.h.len != (size_t)n - head)
			continue;		/* not an answer: dropped */
		wt = keyd_take(cl, true, rs.seq, NULL);
		if (!wt)
			continue;		/* its wait was cancelled */
		wt->status = rs.h.status;
		wt->len = rs.h.len;
		memcpy(wt->data, rs.data, rs.h.len);
		OPENSSL_cleanse(rs.data, rs.h.len);
		keyd_wake(wt, resume);
	}
	gw_err("key holder: its channel closed; TLS handshakes fail from now on");
	while ((wt = cl->waits)) {
		cl->waits = wt->next;
		wt->status = -EPIPE;
		keyd_wake(wt, resume);
	}
	return -EPIPE;
}

bool gw_keyd_client_cancel(struct gw_keyd_client *cl, void *waiter)
{
	struct gw_keyd_wait *wt = keyd_take(cl, false, 0, waiter);

	if (!wt)
		return false;
	wt->status = -ECANCELED;
	wt->done = true;
	return true;
}

static int keyd_call_locked(int fd, enum gw_keyd_op op, int padding, const uint8_t *in,
			    size_t inlen, uint8_t *out, size_t outcap)
{
	struct keyd_msg_req rq = { .h = { .op = op, .padding = padding, .len = (uint32_t)inlen } };
	struct keyd_msg_resp rs;
	size_t head = offsetof(struct keyd_msg_resp, data);
	ssize_t n;

	if (fd < 0 || inlen > sizeof(rq.data))
		return -EINVAL;
	rq.seq = ++keyd_seq;
	memcpy(rq.data, in, inlen);
	if (send(fd, &rq, offsetof(struct keyd_msg_req, data) + inlen, MSG_NOSIGNAL) < 0)
		return -errno;
	do {
		n = recv(fd, &rs, sizeof(rs), 0);
	} while (n >= (ssize_t)head && rs.seq != rq.seq);
	if (n < (ssize_t)head || rs.h.len != (size_t)n - head)
		return n < 0 ? -errno : -EBADMSG;
	if (rs.h.status)
		return rs.h.status;
	if (rs.h.len > outcap)
		return -EMSGSIZE;
	memcpy(out, rs.data, rs.h.len);
	return (int)rs.h.len;
}

static int keyd_fd_of(void *ex)
{
	return ex ? (int)(intptr_t)ex - 1 : -1;
}

static int proxy_ecdsa_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
			    unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	int fd = keyd_fd_of(EC_KEY_get_ex_data(ec, keyd_ec_index));
	int n = keyd_call(fd, GW_KEYD_ECDSA_SIGN, 0, dgst, (size_t)dlen, sig,
			  (size_t)ECDSA_size(ec));

	if (n < 0) {
		gw_err("key holder: ECDSA signature failed: %s", strerror(-n));
		return 0;
	}
	*siglen = (unsigned int)n;
	return 1;
}

static ECDSA_SIG *proxy_ecdsa_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
				       const BIGNUM *r, EC_KEY *ec)
{
	unsigned char der[256];
	const unsigned char *p = der;
	unsigned int len;

	if ((size_t)ECDSA_size(ec) > sizeof(der) ||
	    !proxy_ecdsa_sign(0, dgst, dlen, der, &len, kinv, r, ec))
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, len);
}

static int proxy_rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			      int padding)
{
	int fd = keyd_fd_of(RSA_get_ex_data(rsa, keyd_rsa_index));
	int n = keyd_call(fd, GW_KEYD_RSA_PRIV_ENC, padding, from, (size_t)flen, to,
			  (size_t)RSA_size(rsa));

	if (n < 0)
		gw_err("key holder: RSA signature failed: %s", strerror(-n));
	return n < 0 ? -1 : n;
}

static EVP_PKEY *proxy_ec(int fd, EVP_PKEY *pub)
{
	static EC_KEY_METHOD *meth;
	const EC_KEY *src = EVP_PKEY_get0_EC_KEY(pub);
	EC_KEY *ec = src ? EC_KEY_new_by_curve_name(EC_GROUP_get_curve_name(
					EC_KEY_get0_group(src))) : NULL;
	EVP_PKEY *pkey = EVP_PKEY_new();

	if (!meth) {
		meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
		if (meth)
			EC_KEY_METHOD_set_sign(meth, proxy_ecdsa_sign, NULL, proxy_ecdsa_sign_sig);
	}
	if (!meth || !ec || !pkey || EC_KEY_set_public_key(ec, EC_KEY_get0_public_key(src)) != 1 ||
	    EC_KEY_set_method(ec, meth) != 1 ||
	    EC_KEY_set_ex_data(ec, keyd_ec_index, (void *)(intptr_t)(fd + 1)) != 1 ||
	    EVP_PKEY_assign_EC_KEY(pkey, ec) != 1) {
		EC_KEY_free(ec);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

static EVP_PKEY *proxy_rsa(int fd, EVP_PKEY *pub)
{
	static RSA_METHOD *meth;
	const RSA *src = EVP_PKEY_get0_RSA(pub);
	RSA *rsa = src ? RSA_new() : NULL;
	BIGNUM *n = src ? BN_dup(RSA_get0_n(src)) : NULL, *e = src ? BN_dup(RSA_get0_e(src)) : NULL;
	EVP_PKEY *pkey = EVP_PKEY_new();

	if (!meth) {
		meth = RSA_meth_dup(RSA_PKCS1_OpenSSL());
		if (meth)
			RSA_meth_set_priv_enc(meth, proxy_rsa_priv_enc);
	}
	if (!meth || !rsa || !n || !e || !pkey || RSA_set0_key(rsa, n, e, NULL) != 1) {
		BN_free(n);
		BN_free(e);
		goto fail;
	}
	if (RSA_set_method(rsa, meth) != 1 ||
	    RSA_set_ex_data(rsa, keyd_rsa_index, (void *)(intptr_t)(fd + 1)) != 1 ||
	    EVP_PKEY_assign_RSA(pkey, rsa) != 1)
		goto fail;
	return pkey;
fail:
	RSA_free(rsa);
	EVP_PKEY_free(pkey);
	return NULL;
}

EVP_PKEY *gw_keyd_proxy_key(const struct gw_keyd *kd, EVP_PKEY *pub)
{
	if (keyd_ec_index < 0)
		keyd_ec_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_EC_KEY, 0, NULL, NULL,
							NULL, NULL);
	if (keyd_rsa_index < 0)
		keyd_rsa_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_RSA, 0, NULL, NULL,
							 NULL, NULL);
	if (!kd->n)
		return NULL;
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_EC:
		return proxy_ec(kd->fd[0], pub);
	case EVP_PKEY_RSA:
		return proxy_rsa(kd->fd[0], pub);
	default:
		return NULL;
	}
}
