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

struct gw_keyd {
	int fd;			/* the worker's end of the socket pair */
	pid_t pid;
};

/*
 * Forks the holder: it loads the PEM key at key_path, drops to user (when
 * not NULL), makes itself undumpable (so a same-user process cannot read its
 * memory) and serves requests until the other end closes. Returns 0 or a
 * negative errno; the key never enters this process.
 */
int gw_keyd_start(const char *key_path, const char *user, struct gw_keyd *kd);
void gw_keyd_stop(struct gw_keyd *kd);

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
