/* SPDX-License-Identifier: MIT */
/*
 * The write side of a TLS connection (wbio.c): an OpenSSL BIO that gathers
 * the records SSL_write produces and writes them to the socket with one
 * system call per loop turn (gw_wbio_flush), instead of one per record.
 */
#ifndef POSTERN_GW_WBIO_H
#define POSTERN_GW_WBIO_H

#include <stddef.h>

#include <openssl/bio.h>

/* A BIO writing to fd (not closed with it), or NULL. */
BIO *gw_wbio_new(int fd);
/* Bytes gathered and not yet written. */
size_t gw_wbio_pending(BIO *b);
/*
 * Writes what is gathered: 1 when all of it is out, 0 when the socket is
 * full (wait for it to become writable), -1 on a failed write (errno).
 */
int gw_wbio_flush(BIO *b);

#endif
