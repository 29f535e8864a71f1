/* SPDX-License-Identifier: MIT */
/*
 * postern-ca export: a device's current key and certificate, with the CA
 * certificate, as a PKCS#12 bundle for an MDM to push to a phone.
 */
#include "certs/cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

int cmd_export_check(const struct command *cmd, const struct opts *o)
{
	int ret = cmd_device_check(cmd, o);

	if (!ret)
		ret = cmd_require(cmd, o->p12, "p12");
	if (!ret)
		ret = cmd_require(cmd, o->password_file, "password-file");
	return ret;
}

/* Only a valid certificate is worth pushing to a phone, and only one whose
 * key was made here: a device that sent a request keeps its key. */
static int export_allowed(const char *dir, const struct ca_record *r, char *err,
			  size_t errlen)
{
	const char *status = ca_record_status(r, time(NULL));

	if (r->key_origin == CA_KEY_ORIGIN_CSR)
		return ca_err(err, errlen, -EPERM, "device %s made its own key (its certificate "
			      "was signed from a request): there is no key here to export; its "
			      "certificate is %s/%s/%s.crt", r->device_id, dir, CA_DIR_DEVICES,
			      r->device_id);

	if (strcmp(status, "valid") == 0)
		return 0;
	return ca_err(err, errlen, -EPERM, "device %s is %s: refusing to export it%s",
		      r->device_id, status,
		      strcmp(status, "expired") == 0 ? " (renew it first)" : "");
}

/* The device's current files, checked against the ledger and each other. */
static int export_files(const struct opts *o, const struct ca_record *r, EVP_PKEY **key,
			X509 **cert, char *err, size_t errlen)
{
	char serial[CA_SERIAL_HEX_MAX + 1];
	struct ca_files cur;
	int ret = cmd_device_files(o->dir, r->device_id, &cur, key, cert, err, errlen);

	if (ret)
		return ret;
	cmd_serial_of(*cert, serial, sizeof(serial));
	if (strcmp(serial, r->serial) != 0)
		return ca_err(err, errlen, -EBADMSG, "%s has serial %s, the ledger %s: run "
			      "'postern-ca check --dir %s'", cur.crt, serial, r->serial, o->dir);
	if (X509_check_private_key(*cert, *key) != 1)
		return ca_err_ssl(err, errlen, -EBADMSG, "%s does not belong to %s", cur.key,
				  cur.crt);
	return 0;
}

/* Read under the write lock, so that no renewal replaces the files
 * meanwhile. */
static int export_load(const struct opts *o, struct ca_ledger *l, EVP_PKEY **key, X509 **cert,
		       char *err, size_t errlen)
{
	struct ca_record r;
	int ret = cmd_ledger_lock(o->dir, l, err, errlen);

	if (ret)
		return ret;
	ret = cmd_device_get(l, o->device, &r, err, errlen);
	if (!ret)
		ret = export_allowed(o->dir, &r, err, errlen);
	if (!ret)
		ret = export_files(o, &r, key, cert, err, errlen);
	ca_ledger_rollback(l);		/* nothing to commit but the sweep */
	return ret;
}

static int export_write(const struct opts *o, EVP_PKEY *key, X509 *cert, X509 *ca_cert,
			const char *password, char *err, size_t errlen)
{
	PKCS12 *p12 = NULL;
	int ret = ca_p12_build(key, cert, ca_cert, o->device, password, &p12, err, errlen);

	if (!ret)
		ret = cmd_no_overwrite(o->p12, ca_p12_save(o->p12, p12, err, errlen), err, errlen);
	PKCS12_free(p12);
	return ret;
}

int cmd_export_run(const struct opts *o, char *err, size_t errlen)
{
	char password[CA_PASSWORD_MAX + 1], path[PATH_MAX];
	struct ca_ledger *l = NULL;
	X509 *ca_cert = NULL, *cert = NULL;
	EVP_PKEY *key = NULL;
	int ret;

	/* The cheap refusals first, so that nothing is done in vain. */
	ret = cmd_path_free(o->p12, err, errlen);
	if (!ret)
		ret = ca_password_read(o->password_file, password, sizeof(password), err, errlen);
	if (ret)
		return ret;
	ret = ca_path(path, sizeof(path), o->dir, CA_FILE_CERT, err, errlen);
	if (!ret)
		ret = ca_cert_load(path, &ca_cert, err, errlen);
	if (!ret)
		ret = cmd_ledger_open(o->dir, &l, err, errlen);
	if (!ret)
		ret = export_load(o, l, &key, &cert, err, errlen);
	if (!ret)
		ret = export_write(o, key, cert, ca_cert, password, err, errlen);
	if (!ret) {
		cmd_serial_of(cert, path, sizeof(path));
		printf("exported %s to %s (serial %s; key, certificate and CA certificate; "
		       "AES-256-CBC, PBKDF2, SHA-256 MAC)\n", o->device, o->p12, path);
	}
	OPENSSL_cleanse(password, sizeof(password));
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_free(ca_cert);
	ca_ledger_free(l);
	return ret;
}
