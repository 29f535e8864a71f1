/* SPDX-License-Identifier: MIT */
/*
 * postern-ca issue and renew: a device's certificate and key. Both are
 * made before the ledger's write lock is taken (an RSA key can take a
 * second), then staged under the lock (store.h), recorded, committed, and
 * only then put in place: a killed run is finished or undone by the next
 * one's sweep.
 */
#include "certs/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* After the commit: the ledger has the certificate, so a failure here is
 * finished by the next run's sweep, and says so. */
static int files_install(const char *dir, const struct ca_files *staged,
			 const struct ca_files *cur)
{
	int ret = ca_store_install(staged, cur);

	if (ret)
		ca_error("the ledger has the new certificate but %s is not in place; "
			 "'postern-ca check --dir %s' finishes it", cur->crt, dir);
	return ret;
}

/* ------------------------------------------------------------------ */
/* issue                                                               */
/* ------------------------------------------------------------------ */

static struct ca_validity issue_validity(const struct opts *o)
{
	struct ca_validity v = {
		o->not_before_set ? o->not_before : time(NULL),
		o->days ? o->days : CA_DAYS_DEVICE,
	};
	return v;
}

int cmd_issue_check(const struct command *cmd, const struct opts *o)
{
	struct ca_validity v = issue_validity(o);
	time_t end;
	int ret = cmd_device_check(cmd, o);

	if (!ret)
		ret = cmd_require(cmd, o->owner, "owner");
	if (!ret && ca_validity_end(&v, &end))
		ret = cmd_usage_error(cmd, "--not-before plus --days ends after 9999-12-31");
	return ret;
}

/* Checked under the write lock, so that no other run can add the id
 * between this check and our insert. */
static int issue_absent(struct ca_ledger *l, const char *device_id)
{
	struct ca_record r;
	int ret = ca_ledger_get(l, device_id, &r);

	if (ret == -ENOENT)
		return 0;
	if (!ret) {
		ca_error("device %s already exists (status %s)", device_id,
			 ca_record_status(&r, time(NULL)));
		ret = -EEXIST;
	}
	return ret;
}

/* The certificate's part of a record: serial, validity, valid. */
static int record_cert(struct ca_record *r, const struct ca_validity *v, X509 *cert)
{
	time_t end = 0;
	int ret = ca_validity_end(v, &end);

	r->not_before = v->not_before;
	r->not_after = end;
	r->status = CA_STATUS_VALID;
	r->created_at = time(NULL);
	if (!ret)
		ret = ca_serial_hex(X509_get0_serialNumber(cert), r->serial, sizeof(r->serial));
	return ret;
}

static int issue_record(struct ca_ledger *l, const struct opts *o, X509 *cert,
			struct ca_record *r)
{
	struct ca_validity v = issue_validity(o);
	int ret;

	memset(r, 0, sizeof(*r));
	snprintf(r->device_id, sizeof(r->device_id), "%s", o->device);
	snprintf(r->owner, sizeof(r->owner), "%s", o->owner);
	snprintf(r->group, sizeof(r->group), "%s", o->group ? o->group : CA_DEFAULT_GROUP);
	r->ownership = o->ownership;
	r->state = CA_DEVICE_ACTIVE;
	ret = record_cert(r, &v, cert);
	if (!ret)
		ret = ca_ledger_insert(l, r);
	if (ret == -EEXIST)
		ca_error("device %s already exists", o->device);
	return ret;
}

/* The locked part of issue: check, stage the files, record, commit; then
 * put the files in place. */
static int issue_commit(struct ca_ledger *l, const struct opts *o, EVP_PKEY *key,
			X509 *cert, struct ca_record *r)
{
	char serial[CA_SERIAL_HEX_MAX + 1];
	struct ca_files cur, staged;
	bool was_staged = false;
	int ret;

	cmd_serial_of(cert, serial, sizeof(serial));
	ret = ca_store_current(o->dir, o->device, &cur);
	if (!ret)
		ret = ca_store_staged(o->dir, o->device, serial, &staged);
	if (!ret)
		ret = cmd_ledger_lock(o->dir, l);
	if (ret)
		return ret;
	ret = issue_absent(l, o->device);
	if (!ret)
		ret = cmd_path_free(cur.key);
	if (!ret)
		ret = cmd_path_free(cur.crt);
	if (!ret) {
		ret = ca_store_stage(&staged, key, cert);
		was_staged = !ret;
	}
	if (!ret)
		ret = issue_record(l, o, cert, r);
	if (!ret)
		ret = ca_ledger_commit(l);
	if (ret) {
		ca_ledger_rollback(l);
		if (was_staged)
			ca_store_unstage(&staged);
		return ret;
	}
	return files_install(o->dir, &staged, &cur);
}

int cmd_issue_run(const struct opts *o)
{
	struct ca_device_req req = {
		.device_id = o->device, .owner = o->owner, .ownership = o->ownership,
		.group = o->group ? o->group : CA_DEFAULT_GROUP,
		.validity = issue_validity(o),
	};
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	struct ca_record r;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char until[32];
	int ret;

	/* The key and certificate are made before the write lock is taken:
	 * an RSA key can take a second, and other runs wait on the lock. */
	ret = cmd_ca_open(o->dir, &ca, &l);
	if (!ret)
		ret = ca_key_generate(o->key_type, &key);
	if (!ret)
		ret = ca_cert_build_device(ca, key, &req, &cert);
	if (!ret)
		ret = issue_commit(l, o, key, cert, &r);
	if (!ret)
		printf("issued %s/%s/%s.crt (serial %s, valid until %s)\n", o->dir,
		       CA_DIR_DEVICES, o->device, r.serial,
		       cmd_iso_time(r.not_after, until, sizeof(until)));
	X509_free(cert);
	EVP_PKEY_free(key);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}

/* ------------------------------------------------------------------ */
/* renew                                                               */
/* ------------------------------------------------------------------ */

/* A device is renewed while it is not lost and its current certificate is
 * not revoked; an expired one may be renewed. */
static int renew_allowed(const struct ca_record *cur)
{
	char when[32];

	if (cur->state == CA_DEVICE_LOST) {
		ca_error("device %s is lost (since %s): a lost device is not renewed",
			 cur->device_id, cmd_iso_time(cur->lost_at, when, sizeof(when)));
		return -EPERM;
	}
	if (cur->status == CA_STATUS_REVOKED) {
		ca_error("device %s is revoked (since %s, reason %s): a revoked device is "
			 "not renewed", cur->device_id,
			 cmd_iso_time(cur->revoked_at, when, sizeof(when)),
			 ca_reason_name(cur->reason));
		return -EPERM;
	}
	return 0;
}

/* The new key is of the current one's kind unless --rsa says otherwise:
 * a device that needed RSA still does. */
static enum ca_key_type renew_key_type(const struct opts *o)
{
	struct ca_files cur;
	enum ca_key_type type = CA_KEY_EC_P256;
	X509 *x = NULL;

	if (o->key_type_set)
		return o->key_type;
	if (ca_store_current(o->dir, o->device, &cur) == 0 && access(cur.crt, F_OK) == 0 &&
	    ca_cert_load(cur.crt, &x) == 0 && EVP_PKEY_is_a(X509_get0_pubkey(x), "RSA"))
		type = CA_KEY_RSA_3072;
	X509_free(x);
	return type;
}

struct renew {
	const struct opts *o;
	const struct ca_authority *ca;
	struct ca_record old;		/* the current certificate before */
	struct ca_record r;		/* the new one */
	unsigned int revoked;
	uint64_t crl_number;
};

/* Under the lock: the device may have changed since we read it. */
static int renew_record(struct ca_ledger *l, struct renew *rn, X509 *cert)
{
	struct ca_validity v = { time(NULL), rn->o->days ? rn->o->days : CA_DAYS_DEVICE };
	int ret = cmd_device_get(l, rn->o->device, &rn->old);

	if (!ret)
		ret = renew_allowed(&rn->old);
	if (ret)
		return ret;
	rn->r = rn->old;
	ret = record_cert(&rn->r, &v, cert);
	if (!ret)
		ret = ca_store_archive(rn->o->dir, rn->o->device, rn->old.serial);
	if (!ret)
		ret = ca_ledger_add_cert(l, &rn->r);
	if (!ret && rn->o->revoke_old) {
		ret = ca_ledger_revoke(l, rn->o->device, NULL, rn->r.serial, time(NULL),
				       CA_REASON_SUPERSEDED, &rn->revoked);
		if (ret == -EALREADY)
			ret = 0;
		if (!ret && rn->revoked)
			ret = cmd_crl_write(rn->o->dir, rn->ca, l, CA_DAYS_CRL, &rn->crl_number);
	}
	return ret;
}

static int renew_commit(struct ca_ledger *l, struct renew *rn, EVP_PKEY *key, X509 *cert)
{
	char serial[CA_SERIAL_HEX_MAX + 1];
	struct ca_files cur, staged;
	bool was_staged = false;
	int ret;

	cmd_serial_of(cert, serial, sizeof(serial));
	ret = ca_store_current(rn->o->dir, rn->o->device, &cur);
	if (!ret)
		ret = ca_store_staged(rn->o->dir, rn->o->device, serial, &staged);
	if (!ret)
		ret = cmd_ledger_lock(rn->o->dir, l);
	if (ret)
		return ret;
	ret = ca_store_stage(&staged, key, cert);
	was_staged = !ret;
	if (!ret)
		ret = renew_record(l, rn, cert);
	if (!ret)
		ret = ca_ledger_commit(l);
	if (ret) {
		ca_ledger_rollback(l);
		if (was_staged)
			ca_store_unstage(&staged);
		return ret;
	}
	return files_install(rn->o->dir, &staged, &cur);
}

static void renew_report(const struct renew *rn)
{
	const struct opts *o = rn->o;
	char until[32], old_until[32];

	printf("renewed %s: %s/%s/%s.crt (serial %s, valid until %s)\n", o->device, o->dir,
	       CA_DIR_DEVICES, o->device, rn->r.serial,
	       cmd_iso_time(rn->r.not_after, until, sizeof(until)));
	if (rn->revoked)
		printf("revoked %u older certificate%s (superseded); %s/%s re-issued, "
		       "CRL number %llu\n", rn->revoked, rn->revoked == 1 ? "" : "s", o->dir,
		       CA_FILE_CRL, (unsigned long long)rn->crl_number);
	else if (!o->revoke_old)
		printf("the previous certificate (serial %s) stays valid until %s\n",
		       rn->old.serial, cmd_iso_time(rn->old.not_after, old_until, sizeof(old_until)));
}

int cmd_renew_run(const struct opts *o)
{
	struct renew rn = { .o = o };
	struct ca_device_req req = { .device_id = o->device };
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ret;

	/* Read without the lock to build the certificate: a device's owner,
	 * group and ownership never change; its status is checked again
	 * under the lock. */
	ret = cmd_ca_open(o->dir, &ca, &l);
	if (!ret)
		ret = cmd_device_get(l, o->device, &rn.old);
	if (!ret)
		ret = renew_allowed(&rn.old);
	if (ret)
		goto out;
	rn.ca = ca;
	req.owner = rn.old.owner;
	req.group = rn.old.group;
	req.ownership = rn.old.ownership;
	req.validity.not_before = time(NULL);
	req.validity.days = o->days ? o->days : CA_DAYS_DEVICE;
	ret = ca_key_generate(renew_key_type(o), &key);
	if (!ret)
		ret = ca_cert_build_device(ca, key, &req, &cert);
	if (!ret)
		ret = renew_commit(l, &rn, key, cert);
	if (!ret)
		renew_report(&rn);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}
