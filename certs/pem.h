/* SPDX-License-Identifier: MIT */
/*
 * Keys and certificates in PEM files: written once, never over another
 * file, and read without following a symlink. Failures return a negative
 * errno with why in err (certs/error.h).
 */
#ifndef POSTERN_CA_PEM_H
#define POSTERN_CA_PEM_H

#include "certs/model.h"

/* A PEM certificate; a symlink is not followed. */
int ca_cert_load(const char *path, X509 **out, char *err, size_t errlen);
/* An unencrypted PEM private key, refused (-EPERM) when group or others can
 * access the file; a symlink is not followed. */
int ca_key_load(const char *path, EVP_PKEY **out, char *err, size_t errlen);
/* PKCS#8 PEM, created 0600 with O_EXCL|O_NOFOLLOW: never overwrites a file,
 * never readable by others. -EEXIST (silent) when the file exists. */
int ca_key_save(const char *path, EVP_PKEY *key, char *err, size_t errlen);
/* PEM, created 0644 with O_EXCL|O_NOFOLLOW. -EEXIST (silent) as above. */
int ca_cert_save(const char *path, X509 *cert, char *err, size_t errlen);

#endif
