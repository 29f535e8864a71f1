/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the key holder: signatures made through the proxy key (EC,
 * and RSA with PKCS#1 and PSS padding as TLS 1.2 and 1.3 use them) verify
 * with the real public key; a proxy for another key's certificate makes
 * signatures that do not; and every malformed request gets an error answer
 * while the holder goes on serving.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "gateway/keyd.h"
#include "tests/unit/unit.h"

static char dir[] = "/tmp/postern-keyd-XXXXXX";

static const char *key_file(EVP_PKEY *key, const char *name)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
	return path;
}

/* Signs through proxy, verifies with key's public half. */
static int sign_verify(EVP_PKEY *proxy, EVP_PKEY *key, int rsa_padding)
{
	static const unsigned char msg[] = "client hello, server hello";
	unsigned char sig[1024];
	size_t len = sizeof(sig);
	EVP_MD_CTX *s = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();
	EVP_PKEY_CTX *sp = NULL, *vp = NULL;
	int ok = EVP_DigestSignInit(s, &sp, EVP_sha256(), NULL, proxy) == 1 &&
		 (!rsa_padding || EVP_PKEY_CTX_set_rsa_padding(sp, rsa_padding) == 1) &&
		 EVP_DigestSign(s, sig, &len, msg, sizeof(msg)) == 1 &&
		 EVP_DigestVerifyInit(v, &vp, EVP_sha256(), NULL, key) == 1 &&
		 (!rsa_padding || EVP_PKEY_CTX_set_rsa_padding(vp, rsa_padding) == 1) &&
		 EVP_DigestVerify(v, sig, len, msg, sizeof(msg)) == 1;

	EVP_MD_CTX_free(s);
	EVP_MD_CTX_free(v);
	return ok;
}

static void test_ec_signatures(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	struct gw_keyd kd = { 0 };
	EVP_PKEY *proxy;

	CHECK_EQ_INT(gw_keyd_start(key_file(key, "ec.key"), 1, &kd), 0);
	proxy = gw_keyd_proxy_key(&kd, key);
	CHECK(proxy != NULL);
	CHECK(sign_verify(proxy, key, 0));
	CHECK(sign_verify(proxy, key, 0));	/* the holder serves more than once */
	CHECK(!sign_verify(proxy, other, 0));
	EVP_PKEY_free(proxy);
	gw_keyd_stop(&kd);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void test_rsa_signatures(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	struct gw_keyd kd = { 0 };
	EVP_PKEY *proxy;

	CHECK_EQ_INT(gw_keyd_start(key_file(key, "rsa.key"), 1, &kd), 0);
	proxy = gw_keyd_proxy_key(&kd, key);
	CHECK(proxy != NULL);
	CHECK(sign_verify(proxy, key, RSA_PKCS1_PADDING));
	CHECK(sign_verify(proxy, key, RSA_PKCS1_PSS_PADDING));
	EVP_PKEY_free(proxy);
	gw_keyd_stop(&kd);
	EVP_PKEY_free(key);
}

/* A proxy for a certificate whose key the holder does not have cannot sign
 * for it: the start-up check relies on this. */
static void test_wrong_key_is_detected(void)
{
	EVP_PKEY *held = EVP_EC_gen("P-256"), *cert_key = EVP_EC_gen("P-256");
	struct gw_keyd kd = { 0 };
	EVP_PKEY *proxy;

	CHECK_EQ_INT(gw_keyd_start(key_file(held, "held.key"), 1, &kd), 0);
	proxy = gw_keyd_proxy_key(&kd, cert_key);
	CHECK(proxy != NULL);
	CHECK(!sign_verify(proxy, cert_key, 0));
	EVP_PKEY_free(proxy);
	gw_keyd_stop(&kd);
	EVP_PKEY_free(held);
	EVP_PKEY_free(cert_key);
}

/* A missing key file: the holder exits and signing fails, nothing hangs. */
static void test_unreadable_key_fails_cleanly(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct gw_keyd kd = { 0 };
	EVP_PKEY *proxy;

	CHECK_EQ_INT(gw_keyd_start("/nonexistent/server.key", 1, &kd), 0);
	proxy = gw_keyd_proxy_key(&kd, key);
	CHECK(!sign_verify(proxy, key, 0));
	EVP_PKEY_free(proxy);
	gw_keyd_stop(&kd);
	EVP_PKEY_free(key);
}

struct async_sign {
	EVP_PKEY *proxy, *key;
	int ok;
};

static int async_sign_job(void *arg)
{
	struct async_sign *a = *(struct async_sign **)arg;

	a->ok = sign_verify(a->proxy, a->key, 0);
	return 0;
}

static void *resumed;

static void record_resume(void *waiter)
{
	resumed = waiter;
}

/*
 * A worker's channel: the signature's request goes out and the async job
 * pauses instead of blocking (as a TLS handshake does); the answer resumes
 * it, and the signature verifies. A wait given up (its connection closed)
 * makes the resumed job fail instead of hang, and the late answer is
 * dropped.
 */
static void test_async_channel(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct gw_keyd kd = { 0 };
	struct gw_keyd_client cl = { .fd = -1 };
	struct async_sign a = { .key = key, .ok = -1 }, *ap = &a;
	ASYNC_WAIT_CTX *wctx = ASYNC_WAIT_CTX_new();
	ASYNC_JOB *job = NULL;
	int marker, ret, tries = 0;
	struct pollfd p;

	CHECK_EQ_INT(gw_keyd_start(key_file(key, "async.key"), 2, &kd), 0);
	CHECK_EQ_INT(kd.n, 2);
	a.proxy = gw_keyd_proxy_key(&kd, key);
	cl.fd = kd.fd[1];
	cl.current = &marker;
	gw_keyd_client_bind(&cl);
	/* The job pauses: the loop would go on serving others. */
	CHECK_EQ_INT(ASYNC_start_job(&job, wctx, &ret, async_sign_job, &ap, sizeof(ap)),
		     ASYNC_PAUSE);
	CHECK(cl.waits != NULL);
	CHECK_EQ_INT(a.ok, -1);
	p = (struct pollfd){ .fd = cl.fd, .events = POLLIN };
	CHECK_EQ_INT(poll(&p, 1, 5000), 1);
	resumed = NULL;
	CHECK_EQ_INT(gw_keyd_client_input(&cl, record_resume), 0);
	CHECK(resumed == &marker);
	CHECK(cl.waits == NULL);
	CHECK_EQ_INT(ASYNC_start_job(&job, wctx, &ret, async_sign_job, &ap, sizeof(ap)),
		     ASYNC_FINISH);
	CHECK_EQ_INT(a.ok, 1);

	/* Given up: the job ends with a failed signature, the answer is dropped. */
	a.ok = -1;
	job = NULL;
	CHECK_EQ_INT(ASYNC_start_job(&job, wctx, &ret, async_sign_job, &ap, sizeof(ap)),
		     ASYNC_PAUSE);
	CHECK(gw_keyd_client_cancel(&cl, &marker));
	CHECK(!gw_keyd_client_cancel(&cl, &marker));
	CHECK_EQ_INT(ASYNC_start_job(&job, wctx, &ret, async_sign_job, &ap, sizeof(ap)),
		     ASYNC_FINISH);
	CHECK_EQ_INT(a.ok, 0);
	resumed = NULL;
	while (poll(&p, 1, 100) == 1 && !(p.revents & POLLHUP) && tries++ < 10)
		CHECK_EQ_INT(gw_keyd_client_input(&cl, record_resume), 0);
	CHECK(resumed == NULL);

	/* Outside a job, calls block on channel 0 as before. */
	CHECK(sign_verify(a.proxy, key, 0));
	gw_keyd_client_bind(NULL);
	ASYNC_WAIT_CTX_free(wctx);
	EVP_PKEY_free(a.proxy);
	gw_keyd_stop(&kd);
	EVP_PKEY_free(key);
}

/*
 * The holder signs at most 2000 times a second (KEYD_MAX_RATE): a worker
 * that asks for more gets refusals, not a signing oracle at full speed.
 * 6000 requests as fast as they go: at most 2000 signed in each second of
 * the holder's clock they touch, and some refused when they touch two or
 * fewer.
 */
static time_t mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void test_rate_bound(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct gw_keyd kd = { 0 };
	EVP_PKEY *proxy;
	unsigned int ok = 0, refused = 0, seconds;
	time_t s0;

	CHECK_EQ_INT(gw_keyd_start(key_file(key, "rate.key"), 1, &kd), 0);
	proxy = gw_keyd_proxy_key(&kd, key);
	s0 = mono_sec();
	for (int i = 0; i < 6000; i++) {
		if (sign_verify(proxy, key, 0))
			ok++;
		else
			refused++;
	}
	/* The holder counts per second of the same monotonic clock: the run
	 * touched this many of its seconds, each with at most 2000. */
	seconds = (unsigned int)(mono_sec() - s0 + 1);
	printf("# %u signed, %u refused over %u clock seconds\n", ok, refused, seconds);
	CHECK(ok <= 2000 * seconds);
	if (seconds <= 2)
		CHECK(refused > 0 && ok >= 2000);
	EVP_PKEY_free(proxy);
	gw_keyd_stop(&kd);
	EVP_PKEY_free(key);
}

struct raw_req {
	struct gw_keyd_req h;
	uint32_t seq;
	uint8_t data[2 * GW_KEYD_MAX_DATA];
};

/* Sends len bytes of req to a holder served in this process; returns the
 * answer's status. */
static int raw_call(EVP_PKEY *key, const struct raw_req *req, size_t len)
{
	uint8_t answer[sizeof(struct gw_keyd_resp) + 4 + GW_KEYD_MAX_DATA];
	struct gw_keyd_resp resp;
	int sv[2];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return -999;
	send(sv[0], req, len, 0);
	CHECK_EQ_INT(gw_keyd_serve_one(key, sv[1]), 0);
	n = recv(sv[0], answer, sizeof(answer), 0);
	close(sv[0]);
	close(sv[1]);
	if (n < (ssize_t)sizeof(resp))
		return -998;
	memcpy(&resp, answer, sizeof(resp));
	CHECK(resp.status != 0 || resp.len > 0);
	return resp.status;
}

static void test_malformed_requests(void)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256"), *rsa = EVP_RSA_gen(2048);
	size_t head = offsetof(struct raw_req, data);
	struct raw_req r;

	memset(&r, 0, sizeof(r));
	r.h.op = GW_KEYD_ECDSA_SIGN;
	r.h.len = 32;
	CHECK_EQ_INT(raw_call(ec, &r, head + 32), 0);		/* the control */
	CHECK_EQ_INT(raw_call(ec, &r, head + 31), -EBADMSG);	/* len disagrees */
	CHECK_EQ_INT(raw_call(ec, &r, 5), -EBADMSG);		/* short header */
	r.h.len = GW_KEYD_MAX_DATA + 1;
	CHECK_EQ_INT(raw_call(ec, &r, head + GW_KEYD_MAX_DATA + 1), -EBADMSG);
	r.h.len = 65;						/* not a digest */
	CHECK_EQ_INT(raw_call(ec, &r, head + 65), -EINVAL);
	r.h.len = 0;
	CHECK_EQ_INT(raw_call(ec, &r, head), -EINVAL);
	r.h.op = 77;
	r.h.len = 32;
	CHECK_EQ_INT(raw_call(ec, &r, head + 32), -EOPNOTSUPP);
	r.h.op = GW_KEYD_RSA_PRIV_ENC;				/* RSA op, EC key */
	r.h.padding = RSA_PKCS1_PADDING;
	CHECK_EQ_INT(raw_call(ec, &r, head + 32), -EINVAL);
	CHECK_EQ_INT(raw_call(rsa, &r, head + 32), 0);		/* the control */
	r.h.padding = RSA_PKCS1_OAEP_PADDING;			/* not a signature */
	CHECK_EQ_INT(raw_call(rsa, &r, head + 32), -EINVAL);
	r.h.padding = RSA_NO_PADDING;
	r.h.len = 257;						/* over the modulus */
	CHECK_EQ_INT(raw_call(rsa, &r, head + 257), -EINVAL);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

int main(void)
{
	static const char *const files[] = { "ec.key", "rsa.key", "held.key" };
	char path[256];

	if (!mkdtemp(dir))
		return 1;
	RUN(test_ec_signatures);
	RUN(test_rsa_signatures);
	RUN(test_wrong_key_is_detected);
	RUN(test_unreadable_key_fails_cleanly);
	RUN(test_async_channel);
	RUN(test_rate_bound);
	RUN(test_malformed_requests);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	UNIT_EXIT();
}
