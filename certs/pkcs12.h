/* SPDX-License-Identifier: MIT */
/*
 * PKCS#12 bundles for an MDM to push to a phone, and the password file
 * they are encrypted under. Failures return a negative errno with why in
 * err (certs/error.h).
 */
#ifndef POSTERN_CA_PKCS12_H
#define POSTERN_CA_PKCS12_H

#include <openssl/pkcs12.h>

#include "certs/model.h"

/* key + cert + the CA certificate, friendly name name: both bags encrypted
 * with AES-256-CBC under PBES2/PBKDF2 (hmacWithSHA256), a SHA-256 MAC, the
 * OpenSSL 3 default iteration counts. */
int ca_p12_build(EVP_PKEY *key, X509 *cert, X509 *ca_cert, const char *name,
		 const char *password, PKCS12 **out, char *err, size_t errlen);
/* DER, 0600, written to a temporary file, fsynced and then linked to path,
 * so that path never exists half-written and is never overwritten: -EEXIST
 * (silent) when it exists. */
int ca_p12_save(const char *path, PKCS12 *p12, char *err, size_t errlen);
/* The first line of path, without its line end ("\n" or "\r\n"), into buf
 * (at least CA_PASSWORD_MAX + 1 bytes). Refuses a file that group or others
 * can access (-EPERM), an empty first line (-ENODATA), one longer than
 * CA_PASSWORD_MAX (-E2BIG) or with a NUL byte (-EINVAL). Its words in err
 * name the file and the problem, never the password. */
int ca_password_read(const char *path, char *buf, size_t len, char *err, size_t errlen);

#endif
