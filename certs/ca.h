/* SPDX-License-Identifier: MIT */
/*
 * The certificate authority of Postern, on libcrypto only: key generation,
 * the CA, server and device certificates, revocation lists, the strict
 * parsers for what an operator types, and the files all of these are written
 * to. It knows nothing of the device ledger (certs/ledger.h), so that the
 * crypto can be tested and changed on its own. What the gateway needs to know
 * about a device at connect time (device id, group, ownership, and the
 * owner's name it shows operators) is written into the device certificate
 * here, so the gateway never reads the ledger.
 *
 * Conventions: functions return 0 or a negative errno. Operational failures
 * (I/O, OpenSSL) are reported on stderr once, where they are detected, as one
 * line naming the file or the step; validators and the "expected" results
 * that a caller words itself (-EEXIST from a save) print nothing.
 */
#ifndef POSTERN_CA_H
#define POSTERN_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
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

#define CA_DEFAULT_NAME		"Postern Device CA"
#define CA_DEFAULT_GROUP	"default"
#define CA_DAYS_CA		3650
#define CA_DAYS_SERVER		825
#define CA_DAYS_DEVICE		365
#define CA_DAYS_CRL		30
#define CA_PASSWORD_MAX		1023	/* bytes of a PKCS#12 password */

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

/* --- Strict parsers for operator input (never print) --- */

/* The contract's id grammar (common/device.h): 1..64 of [A-Za-z0-9._-], first
 * one alphanumeric, safe as a file name. */
bool ca_device_id_valid(const char *id);
/* Groups follow the device id rules. */
bool ca_group_valid(const char *group);
/* 1..128 characters of well-formed UTF-8 without C0, DEL or C1 controls. */
bool ca_owner_valid(const char *owner);
/* The same, 1..64 characters: a CA name becomes a CN and an O. */
bool ca_name_valid(const char *name);
/* A DNS name of 1..64 characters: labels of [A-Za-z0-9-], 1..63 each, no
 * hyphen at either end. */
bool ca_hostname_valid(const char *name);
/* A number 1..CA_DAYS_MAX by the rule of common/number.h: plain decimal, no
 * leading zero ("007" is refused). Returns 0 or -EINVAL. */
int ca_days_parse(const char *text, unsigned int *out);
/* "YYYY-MM-DD" (a real date, 1970..9999) to 00:00:00Z. 0 or -EINVAL. */
int ca_date_parse(const char *text, time_t *out);
/* An IPv4 dotted quad or an IPv6 literal. 0 or -EINVAL. */
int ca_ip_parse(const char *text, struct ca_ip *out);
/* Reason names as on the command line ("keyCompromise"). 0 or -EINVAL. */
int ca_reason_parse(const char *text, enum ca_reason *out);
const char *ca_reason_name(enum ca_reason reason);

/* --- Keys and certificates --- */

int ca_key_generate(enum ca_key_type type, EVP_PKEY **out);
/* A positive, non-zero serial from 16 random bytes. */
int ca_serial_random(ASN1_INTEGER **out);
/* The serial as upper-case hex, two digits per byte (as `openssl x509
 * -serial` prints it). Returns 0 or -ENOSPC. */
int ca_serial_hex(const ASN1_INTEGER *serial, char *buf, size_t len);
/* The notAfter a validity window yields, or -ERANGE past year 9999. */
int ca_validity_end(const struct ca_validity *v, time_t *out);

/* A self-signed CA certificate named name, signed by key. */
int ca_cert_build_ca(EVP_PKEY *key, const char *name,
		     const struct ca_validity *v, X509 **out);
int ca_cert_build_server(const struct ca_authority *ca, EVP_PKEY *key,
			 const struct ca_server_req *req, X509 **out);
int ca_cert_build_device(const struct ca_authority *ca, EVP_PKEY *key,
			 const struct ca_device_req *req, X509 **out);

/* A PEM certificate; a symlink is not followed. */
int ca_cert_load(const char *path, X509 **out);
/* An unencrypted PEM private key, refused (-EPERM) when group or others can
 * access the file; a symlink is not followed. */
int ca_key_load(const char *path, EVP_PKEY **out);
/* Loads DIR/ca.crt and DIR/ca.key, checks they match and that the key is
 * not readable by group or others. */
int ca_authority_load(const char *dir, struct ca_authority **out);
void ca_authority_free(struct ca_authority *ca);

/* --- Revocation lists: new, add every revoked serial, sign --- */

int ca_crl_new(const struct ca_authority *ca, uint64_t number, time_t now,
	       unsigned int days, X509_CRL **out);
int ca_crl_add(X509_CRL *crl, const char *serial_hex, time_t when,
	       enum ca_reason reason);
int ca_crl_sign(X509_CRL *crl, const struct ca_authority *ca);
/* The CRL number of the CRL at path when ca signed it; 0 when there is no
 * such file, it is not a CRL of ca, or it has no number that fits. Never
 * prints: the file is about to be replaced anyway. */
uint64_t ca_crl_file_number(const char *path, const struct ca_authority *ca);

/* --- PKCS#12 bundles for an MDM to push to a phone --- */

/* key + cert + the CA certificate, friendly name name: both bags encrypted
 * with AES-256-CBC under PBES2/PBKDF2 (hmacWithSHA256), a SHA-256 MAC, the
 * OpenSSL 3 default iteration counts. */
int ca_p12_build(EVP_PKEY *key, X509 *cert, X509 *ca_cert, const char *name,
		 const char *password, PKCS12 **out);
/* The first line of path, without its line end ("\n" or "\r\n"), into buf
 * (at least CA_PASSWORD_MAX + 1 bytes). Refuses a file that group or others
 * can access (-EPERM), an empty first line (-ENODATA), one longer than
 * CA_PASSWORD_MAX (-E2BIG) or with a NUL byte (-EINVAL). Prints one line
 * naming the file and the problem, never the password. */
int ca_password_read(const char *path, char *buf, size_t len);

/* --- Files --- */

/* dir + "/" + name into buf; -ENAMETOOLONG when it does not fit. */
int ca_path(char *buf, size_t len, const char *dir, const char *name);
/* PKCS#8 PEM, created 0600 with O_EXCL|O_NOFOLLOW: never overwrites a file,
 * never readable by others. -EEXIST (silent) when the file exists. */
int ca_key_save(const char *path, EVP_PKEY *key);
/* PEM, created 0644 with O_EXCL|O_NOFOLLOW. -EEXIST (silent) as above. */
int ca_cert_save(const char *path, X509 *cert);
/* PEM, written to a temporary file, fsynced and renamed over path. */
int ca_crl_save(const char *path, X509_CRL *crl);
/* DER, 0600, written to a temporary file, fsynced and then linked to path,
 * so that path never exists half-written and is never overwritten: -EEXIST
 * (silent) when it exists. */
int ca_p12_save(const char *path, PKCS12 *p12);
/* Makes a rename or a new name in path's directory durable. */
int ca_dir_sync(const char *path);

/* Print "postern-ca: MESSAGE" as one line on stderr; ca_error_ssl appends
 * the reason libcrypto queued. Both clear the libcrypto error queue, so a
 * stale entry never decorates a later, unrelated message. */
void ca_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ca_error_ssl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
