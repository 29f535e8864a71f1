/* SPDX-License-Identifier: MIT */
/*
 * The certificate authority of Postern in one include: the data model
 * (certs/model.h) and the library's files, each named for what it holds.
 * None of them prints: a failure is a negative errno with its words in the
 * caller's buffer (certs/error.h).
 *
 *   input.c      strict parsers for what an operator types
 *   cert.c       keys, serials, and the CA, server and device certificates
 *   pem.c        keys and certificates in PEM files
 *   authority.c  the CA loaded from its directory
 *   crl.c        revocation lists
 *   csr.c        certificate signing requests from devices and MDMs
 *   pkcs12.c     PKCS#12 bundles for an MDM, and their password files
 *   store.c      files written crash-safe, the device files and the sweep
 *   ledger.c     the device ledger (SQLite)
 *   error.c      the words of a failure, written into the caller's buffer
 *
 * The crypto files know nothing of the device ledger, so that the crypto
 * can be tested and changed on its own.
 */
#ifndef POSTERN_CA_H
#define POSTERN_CA_H

#include "certs/authority.h"
#include "certs/cert.h"
#include "certs/crl.h"
#include "certs/csr.h"
#include "certs/error.h"
#include "certs/input.h"
#include "certs/ledger.h"
#include "certs/model.h"
#include "certs/pem.h"
#include "certs/pkcs12.h"
#include "certs/store.h"

#endif
