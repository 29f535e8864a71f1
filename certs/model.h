/* SPDX-License-Identifier: MIT */
/*
 * The data model of Postern's certificate authority: the limits of what an
 * operator may ask for, the defaults, the names of the files in a CA
 * directory, and the few structures the rest of certs/ passes around (a
 * loaded CA, what a server or device certificate is made from). What the
 * gateway needs to know about a device at connect time (device id, group,
 * ownership, and the owner's name it shows operators) is written into the
 * device certificate, so that the gateway never reads the ledger; those
 * limits are the device-certificate contract's (common/device.h).
 */
#ifndef POSTERN_CA_MODEL_H
#define POSTERN_CA_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/device.h"
#include "common/time.h"

/* The device-certificate contract's limits (common/device.h). */
#define CA_DEVICE_ID_MAX	CM_DEVICE_ID_MAX	/* bytes; ids are ASCII */
#define CA_OWNER_MAX		CM_OWNER_MAX		/* characters (code points) */
#define CA_OWNER_BYTES_MAX	CM_OWNER_BYTES_MAX
#define CA_NAME_MAX		64	/* characters; the X.520 bound on CN and O */
#define CA_HOSTNAME_MAX		64	/* the CN it also becomes is bounded to 64 */
#define CA_DAYS_MAX		36500
#define CA_SERIAL_BYTES		16
#define CA_SERIAL_HEX_MAX	40	/* RFC 5280: at most 20 octets */
#define CA_SERVER_IPS_MAX	16
#define CA_TIME_MAX		CM_TIME_MAX	/* 9999-12-31T23:59:59Z */
#define CA_DAY_SECONDS		86400

#define CA_DEFAULT_NAME		"Postern Device CA"
#define CA_DEFAULT_GROUP	"default"
#define CA_DAYS_CA		3650
#define CA_DAYS_SERVER		825
#define CA_DAYS_DEVICE		365
#define CA_DAYS_CRL		30
#define CA_PASSWORD_MAX		1023	/* bytes of a PKCS#12 password */

/* The CA directory when neither --dir nor POSTERN_PKI names one; the
 * Makefile sets it from PKIDIR. */
#ifndef CA_DEFAULT_DIR
#define CA_DEFAULT_DIR		"/etc/postern/pki"
#endif

/* File names inside the CA directory. */
#define CA_FILE_CERT		"ca.crt"
#define CA_FILE_KEY		"ca.key"
#define CA_FILE_CRL		"crl.pem"
#define CA_FILE_LEDGER		"ledger.db"
#define CA_FILE_SERVER_CERT	"server.crt"
#define CA_FILE_SERVER_KEY	"server.key"
#define CA_DIR_DEVICES		"devices"

enum ca_key_type {
	CA_KEY_EC_P256,
	CA_KEY_RSA_3072,
};

/* RFC 5280 CRLReason codes; only those an operator may choose. */
enum ca_reason {
	CA_REASON_UNSPECIFIED = 0,
	CA_REASON_KEY_COMPROMISE = 1,
	CA_REASON_AFFILIATION_CHANGED = 3,
	CA_REASON_SUPERSEDED = 4,
	CA_REASON_CESSATION_OF_OPERATION = 5,
};

/* A loaded CA: its certificate and the private key that matches it. */
struct ca_authority {
	X509 *cert;
	EVP_PKEY *key;
};

struct ca_ip {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* 4 or 16 bytes, network order */
};

/* What a validity window starts from and how long it lasts. */
struct ca_validity {
	time_t not_before;
	unsigned int days;
};

struct ca_server_req {
	const char *hostname;
	const struct ca_ip *ips;
	size_t n_ips;
	struct ca_validity validity;
};

struct ca_device_req {
	const char *device_id;
	const char *owner;		/* subject "name" (2.5.4.41); NULL: none */
	const char *group;
	enum cm_ownership ownership;
	struct ca_validity validity;
};

#endif
