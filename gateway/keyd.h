/* SPDX-License-Identifier: MIT */
/*
 * The key holder: a small process, forked at start-up, that alone holds the
 * gateway's TLS private key. The network-facing worker gets a proxy key (the
 * certificate's public key whose private operations are requests over a
 * socket pair), so a flaw in the code that parses network input can use the
 * key while it lasts but never carry it away. The holder serves two fixed
 * requests (an ECDSA signature of a digest, an RSA private operation),
 * checks every size before reading, and answers anything else with an error.
 */
#ifndef POSTERN_GW_KEYD_H
#define POSTERN_GW_KEYD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#define GW_KEYD_MAX_DATA	1024	/* digest or RSA block (RSA up to 8192 bits) */

enum gw_keyd_op { GW_KEYD_ECDSA_SIGN = 1, GW_KEYD_RSA_PRIV_ENC = 2 };

struct gw_keyd_req {
	uint32_t op;
	int32_t padding;	/* RSA padding mode */
	uint32_t len;		/* bytes of data that follow */
};

struct gw_keyd_resp {
	int32_t status;		/* 0, or a negative errno */
	uint32_t len;
};

#define GW_KEYD_CHANNELS_MAX	65	/* one per worker, and one for blocking calls */

/*
 * The holder serves several socket pairs ("channels"): channel 0 takes
 * blocking calls (start-up's key check, a worker on its own as in tests),
 * under a lock; each worker k has channel k + 1 to itself, on which its
 * handshakes wait for their signatures without blocking its loop
 * (struct gw_keyd_client).
 */
struct gw_keyd {
	int fd[GW_KEYD_CHANNELS_MAX];	/* our ends; n of them */
	unsigned int n;
	pid_t pid;
};

/*
 * A worker's channel. A TLS handshake runs as an OpenSSL async job
 * (SSL_MODE_ASYNC): when the proxy key needs a signature, it sends the
 * request on the channel and pauses the job (SSL_accept returns
 * SSL_ERROR_WANT_ASYNC); the worker's loop goes on, and when the answer
 * comes (gw_keyd_client_input) the handshake is resumed.
 */
struct gw_keyd_wait;
struct gw_keyd_client {
	int fd;				/* -1: none, calls block on channel 0 */
	uint32_t seq;
	struct gw_keyd_wait *waits;	/* handshakes paused for an answer */
	void *current;			/* the handshake being run: who waits */
};

/*
 * Forks the holder with the given number of channels (at least 1): it
 * loads the PEM key at key_path, sheds every capability while it keeps
 * uid 0 (an identity the workers' user can neither signal nor trace; see
 * gw_privs_shed), makes itself undumpable and serves requests until every
 * channel's other end closes. Returns 0 or a negative errno; the key never
 * enters this process.
 */
int gw_keyd_start(const char *key_path, unsigned int channels, struct gw_keyd *kd);
void gw_keyd_stop(struct gw_keyd *kd);

/* Makes cl this thread's channel for the proxy key's signatures. */
void gw_keyd_client_bind(struct gw_keyd_client *cl);
typedef void gw_keyd_resume_fn(void *waiter);
/*
 * Reads the answers that came on cl and resumes each waiting handshake
 * through resume(waiter). 0, or -EPIPE when the holder has gone (every
 * waiting handshake is then resumed to fail).
 */
int gw_keyd_client_input(struct gw_keyd_client *cl, gw_keyd_resume_fn *resume);
/* Gives up waiter's wait (its connection closes): true when it had one,
 * and the caller then resumes the handshake once, to let it fail. */
bool gw_keyd_client_cancel(struct gw_keyd_client *cl, void *waiter);

/*
 * A key with pub's public half whose private operations go to the holder.
 * pub is an EC or RSA public key (the server certificate's). NULL when the
 * type is not supported.
 */
EVP_PKEY *gw_keyd_proxy_key(const struct gw_keyd *kd, EVP_PKEY *pub);

/* The holder's side, one request: exposed for unit tests. Returns 0 to go
 * on, -EPIPE when the other end has gone, or another -errno. */
int gw_keyd_serve_one(EVP_PKEY *key, int fd);

#endif
