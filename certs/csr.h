/* SPDX-License-Identifier: MIT */
/*
 * Certificate signing requests from a device or its MDM, which made the key
 * and keeps it (certs/csr.c says what is checked and why). Of a request only
 * its public key is used, once the request's own signature proves that the
 * sender holds the private key: its subject, attributes and extensions are
 * never read, because the certificate carries the CA's own (cert.c).
 * Failures return a negative errno with why in err (certs/error.h).
 */
#ifndef POSTERN_CA_CSR_H
#define POSTERN_CA_CSR_H

#include <openssl/x509.h>

#include "certs/model.h"

/* Bytes of a request file; an RSA 8192 request in PEM is under 4 KiB. */
#define CA_CSR_MAX		65536
#define CA_CSR_RSA_BITS_MIN	2048
#define CA_CSR_RSA_BITS_MAX	8192

/*
 * One PKCS#10 request: PEM (a CERTIFICATE REQUEST block, nothing but white
 * space around it) or DER (exactly one, nothing after it). -EINVAL with
 * why in err for anything else.
 */
int ca_csr_parse(const unsigned char *data, size_t len, X509_REQ **out,
		 char *err, size_t errlen);
/* ca_csr_parse of a regular file of at most CA_CSR_MAX bytes; err names
 * the file. */
int ca_csr_load(const char *path, X509_REQ **out, char *err, size_t errlen);
/*
 * The request's public key, a new reference in *out, when the request is
 * version 1, its signature verifies under that key, and the key is one the
 * gateway and its clients take: RSA of CA_CSR_RSA_BITS_MIN to _MAX bits
 * (postern-ca makes 3072), or ECDSA on P-256 (what it makes) or P-384.
 * -EBADMSG (bad signature or version) or -EINVAL (key) with why in err.
 */
int ca_csr_key(X509_REQ *req, EVP_PKEY **out, char *err, size_t errlen);

#endif
