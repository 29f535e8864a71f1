/* SPDX-License-Identifier: MIT */
/*
 * TLS for the gateway (tls.c): the server context and the check of a
 * device's certificate once the handshake is done.
 */
#ifndef POSTERN_GW_TLS_H
#define POSTERN_GW_TLS_H

#include <openssl/ssl.h>

#include "conf/conf.h"
#include "gateway/keyd.h"

struct gw_conn;

/* The key holder is started with a channel for each of the workers. */
SSL_CTX *gw_tls_ctx_new(const struct gw_conf *conf, unsigned int workers, struct gw_keyd *kd);
X509 *gw_tls_ca_load(const char *path);
/* After the handshake: fills c->id, c->cert_ok and c->cert_refusal. */
void gw_tls_peer_check(struct gw_conn *c);
int gw_tls_conn_index(void);

#endif
