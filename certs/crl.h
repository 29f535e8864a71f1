/* SPDX-License-Identifier: MIT */
/*
 * Certificate revocation lists: a new one, every revoked serial added,
 * signed, and saved where the gateway reloads it. Failures return a
 * negative errno with why in err (certs/error.h).
 */
#ifndef POSTERN_CA_CRL_H
#define POSTERN_CA_CRL_H

#include "certs/model.h"

int ca_crl_new(const struct ca_authority *ca, uint64_t number, time_t now,
	       unsigned int days, X509_CRL **out, char *err, size_t errlen);
/* -EINVAL for a serial that is not hex (from a ledger edited by hand). */
int ca_crl_add(X509_CRL *crl, const char *serial_hex, time_t when,
	       enum ca_reason reason, char *err, size_t errlen);
int ca_crl_sign(X509_CRL *crl, const struct ca_authority *ca, char *err, size_t errlen);
/* The CRL number of the CRL at path when ca signed it; 0 when there is no
 * such file, it is not a CRL of ca, or it has no number that fits. No
 * error: the file is about to be replaced anyway. */
uint64_t ca_crl_file_number(const char *path, const struct ca_authority *ca);
/* PEM, written to a temporary file, fsynced and renamed over path. */
int ca_crl_save(const char *path, X509_CRL *crl, char *err, size_t errlen);

#endif
