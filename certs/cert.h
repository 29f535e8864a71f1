/* SPDX-License-Identifier: MIT */
/*
 * Keys, serial numbers and the three kinds of certificate postern-ca makes:
 * the self-signed CA, the gateway's server certificate and a device's
 * client certificate (certs/cert.c says what each carries and why). The
 * functions that can fail return 0 or a negative errno and put why in err
 * (certs/error.h).
 */
#ifndef POSTERN_CA_CERT_H
#define POSTERN_CA_CERT_H

#include "certs/model.h"

int ca_key_generate(enum ca_key_type type, EVP_PKEY **out, char *err, size_t errlen);
/* A positive, non-zero serial from 16 random bytes. */
int ca_serial_random(ASN1_INTEGER **out, char *err, size_t errlen);
/* The serial as upper-case hex, two digits per byte (as `openssl x509
 * -serial` prints it). Returns 0 or -ENOSPC. */
int ca_serial_hex(const ASN1_INTEGER *serial, char *buf, size_t len);
/* The notAfter a validity window yields: -EINVAL for a window out of
 * range, -ERANGE when it would end past year 9999. */
int ca_validity_end(const struct ca_validity *v, time_t *out);

/* A self-signed CA certificate named name, signed by key. */
int ca_cert_build_ca(EVP_PKEY *key, const char *name, const struct ca_validity *v,
		     X509 **out, char *err, size_t errlen);
/* The gateway's: CN and a DNS name of req->hostname, its addresses as IP
 * names, serverAuth; signed by the CA. */
int ca_cert_build_server(const struct ca_authority *ca, EVP_PKEY *key,
			 const struct ca_server_req *req, X509 **out, char *err, size_t errlen);
/* A device's: its id, group, ownership and owner (certs/model.h),
 * clientAuth; signed by the CA. */
int ca_cert_build_device(const struct ca_authority *ca, EVP_PKEY *key,
			 const struct ca_device_req *req, X509 **out, char *err, size_t errlen);

#endif
