/* SPDX-License-Identifier: MIT */
/*
 * Certificate revocation lists: a new one, every revoked serial added,
 * signed, and saved where the gateway reloads it.
 */
#ifndef POSTERN_CA_CRL_H
#define POSTERN_CA_CRL_H

#include "certs/model.h"

int ca_crl_new(const struct ca_authority *ca, uint64_t number, time_t now,
	       unsigned int days, X509_CRL **out);
int ca_crl_add(X509_CRL *crl, const char *serial_hex, time_t when,
	       enum ca_reason reason);
int ca_crl_sign(X509_CRL *crl, const struct ca_authority *ca);
/* The CRL number of the CRL at path when ca signed it; 0 when there is no
 * such file, it is not a CRL of ca, or it has no number that fits. Never
 * prints: the file is about to be replaced anyway. */
uint64_t ca_crl_file_number(const char *path, const struct ca_authority *ca);
/* PEM, written to a temporary file, fsynced and renamed over path. */
int ca_crl_save(const char *path, X509_CRL *crl);

#endif
