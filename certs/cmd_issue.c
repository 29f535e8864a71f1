/* SPDX-License-Identifier: MIT */
/*
 * postern-ca issue, sign and renew: a device's certificate, and its key
 * unless the device (or its MDM) made the key and sent a signing request
 * (--csr; certs/csr.c), whose key is all that is taken from it: the
 * certificate is the one issue would make. sign is issue for such a
 * device, renew --csr a renewal. The key and certificate are made before
 * the ledger's write lock is taken (an RSA key can take a second), then
 * staged under the lock (store.h), recorded, committed, and only then put
 * in place: a killed run is finished or undone by the next one's sweep.
 */
#include "certs/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The steps in which issue and renew differ (device_run). */
struct device_step {
	/* Without the lock: the device's new key and certificate. */
	int (*make)(struct ca_ledger *l, const struct ca_authority *ca, void *ctx,
		    EVP_PKEY **key, X509 **cert, char *err, size_t errlen);
	/* Under the lock, before staging: whether the run may go on. NULL:
	 * no check. */
	int (*check)(struct ca_ledger *l, const struct ca_files *cur, void *ctx,
		     char *err, size_t errlen);
	/* After staging, before the commit: the ledger's change. */
	int (*record)(struct ca_ledger *l, X509 *cert, void *ctx, char *err, size_t errlen);
	void *ctx;
};

/* A failure before the commit leaves nothing: the ledger rolls back and
 * the staged files go. One that cannot be removed is said after the
 * failure itself, which is said first; the next sweep removes it. */
static int commit_undo(struct ca_ledger *l, const struct ca_files *staged, int ret,
		       char *err, size_t errlen)
{
	char why[CA_ERR_MAX];

	ca_ledger_rollback(l);
	if (staged && ca_store_unstage(staged, why, sizeof(why))) {
		cmd_print(err);
		err[0] = '\0';
		cmd_print(why);
	}
	return ret;
}

/* After the commit: the ledger has the certificate, so a failure here is
 * finished by the next run's sweep, and says so. */
static int files_install(const char *dir, const struct ca_files *staged,
			 const struct ca_files *cur, bool has_key, char *err, size_t errlen)
{
	char why[CA_ERR_MAX] = "";
	int ret = ca_store_install(staged, cur, has_key, why, sizeof(why));

	if (!ret)
		return 0;
	cmd_print(why);
	return ca_err(err, errlen, ret, "the ledger has the new certificate but %s is not in "
		      "place; 'postern-ca check --dir %s' finishes it", cur->crt, dir);
}

/*
 * The locked part of issue and renew, in the order that keeps the device
 * files in step with the ledger: the write lock (and the sweep), the
 * check, the new key (none when the device made it: key NULL) and
 * certificate staged, the ledger's change, the commit; only then the files
 * put in place.
 */
static int device_commit(const struct opts *o, struct ca_ledger *l,
			 const struct device_step *step, EVP_PKEY *key, X509 *cert,
			 char *err, size_t errlen)
{
	char serial[CA_SERIAL_HEX_MAX + 1];
	struct ca_files cur, staged;
	bool staged_ok = false;
	int ret;

	cmd_serial_of(cert, serial, sizeof(serial));
	ret = ca_store_current(o->dir, o->device, &cur, err, errlen);
	if (!ret)
		ret = ca_store_staged(o->dir, o->device, serial, &staged, err, errlen);
	if (!ret)
		ret = cmd_ledger_lock(o->dir, l, err, errlen);
	if (ret)
		return ret;
	if (step->check)
		ret = step->check(l, &cur, step->ctx, err, errlen);
	if (!ret) {
		ret = ca_store_stage(&staged, key, cert, err, errlen);
		staged_ok = !ret;
	}
	if (!ret)
		ret = step->record(l, cert, step->ctx, err, errlen);
	if (!ret)
		ret = ca_ledger_commit(l, err, errlen);
	if (ret)
		return commit_undo(l, staged_ok ? &staged : NULL, ret, err, errlen);
	return files_install(o->dir, &staged, &cur, key != NULL, err, errlen);
}

/* The public key of the request in path, once csr.c accepts it. */
static int csr_public_key(const char *path, EVP_PKEY **out, char *err, size_t errlen)
{
	char why[CA_ERR_MAX];
	X509_REQ *req = NULL;
	int ret = ca_csr_load(path, &req, err, errlen);

	if (!ret) {
		ret = ca_csr_key(req, out, why, sizeof(why));
		if (ret)
			ca_err(err, errlen, ret, "%s: %s", path, why);
	}
	X509_REQ_free(req);
	return ret;
}

/* A device's new certificate, for a key made here (*key, of this type,
 * staged with the certificate) or for the key of the request o->csr (*key
 * stays NULL: the device keeps its key). */
static int device_cert_make(const struct opts *o, enum ca_key_type type,
			    const struct ca_authority *ca, const struct ca_device_req *req,
			    EVP_PKEY **key, X509 **cert, char *err, size_t errlen)
{
	EVP_PKEY *pub = NULL;
	int ret;

	if (!o->csr) {
		ret = ca_key_generate(type, key, err, errlen);
		return ret ? ret : ca_cert_build_device(ca, *key, req, cert, err, errlen);
	}
	ret = csr_public_key(o->csr, &pub, err, errlen);
	if (!ret)
		ret = ca_cert_build_device(ca, pub, req, cert, err, errlen);
	EVP_PKEY_free(pub);
	return ret;
}

static enum ca_key_origin key_origin_of(const struct opts *o)
{
	return o->csr ? CA_KEY_ORIGIN_CSR : CA_KEY_ORIGIN_CA;
}

/* issue and renew: the CA and the ledger opened, the key and certificate
 * made before the write lock is taken (an RSA key can take a second, and
 * other runs wait on the lock), then committed. */
static int device_run(const struct opts *o, const struct device_step *step,
		      char *err, size_t errlen)
{
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ret = cmd_ca_open(o->dir, &ca, &l, err, errlen);

	if (!ret)
		ret = step->make(l, ca, step->ctx, &key, &cert, err, errlen);
	if (!ret)
		ret = device_commit(o, l, step, key, cert, err, errlen);
	X509_free(cert);
	EVP_PKEY_free(key);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}

/* The certificate's part of a record: serial, validity, valid, where its
 * key was made. */
static int record_cert(struct ca_record *r, const struct ca_validity *v, X509 *cert,
		       enum ca_key_origin origin)
{
	time_t end = 0;
	int ret = ca_validity_end(v, &end);

	r->key_origin = origin;
	r->not_before = v->not_before;
	r->not_after = end;
	r->status = CA_STATUS_VALID;
	r->created_at = time(NULL);
	if (!ret)
		ret = ca_serial_hex(X509_get0_serialNumber(cert), r->serial, sizeof(r->serial));
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

int cmd_sign_check(const struct command *cmd, const struct opts *o)
{
	int ret = cmd_require(cmd, o->csr, "csr");

	return ret ? ret : cmd_issue_check(cmd, o);
}

struct issue {
	const struct opts *o;
	struct ca_record r;		/* what the ledger records */
};

/* Checked under the write lock, so that no other run can add the id
 * between this check and our insert; nor are a device's files, which
 * only a run that failed after its commit can have left, overwritten. */
static int issue_absent(struct ca_ledger *l, const struct ca_files *cur, void *ctx,
			char *err, size_t errlen)
{
	const struct issue *is = ctx;
	struct ca_record r;
	int ret = ca_ledger_get(l, is->o->device, &r, err, errlen);

	if (!ret)
		return ca_err(err, errlen, -EEXIST, "device %s already exists (status %s)",
			      is->o->device, ca_record_status(&r, time(NULL)));
	if (ret != -ENOENT)
		return ret;
	ret = cmd_path_free(cur->key, err, errlen);
	return ret ? ret : cmd_path_free(cur->crt, err, errlen);
}

static int issue_record(struct ca_ledger *l, X509 *cert, void *ctx, char *err, size_t errlen)
{
	struct issue *is = ctx;
	const struct opts *o = is->o;
	struct ca_validity v = issue_validity(o);
	struct ca_record *r = &is->r;
	int ret;

	memset(r, 0, sizeof(*r));
	snprintf(r->device_id, sizeof(r->device_id), "%s", o->device);
	snprintf(r->owner, sizeof(r->owner), "%s", o->owner);
	snprintf(r->group, sizeof(r->group), "%s", o->group ? o->group : CA_DEFAULT_GROUP);
	r->ownership = o->ownership;
	r->state = CA_DEVICE_ACTIVE;
	ret = record_cert(r, &v, cert, key_origin_of(o));
	if (!ret)
		ret = ca_ledger_insert(l, r, err, errlen);
	if (ret == -EEXIST)
		ca_err(err, errlen, ret, "device %s already exists", o->device);
	return ret;
}

static int issue_make(struct ca_ledger *l, const struct ca_authority *ca, void *ctx,
		      EVP_PKEY **key, X509 **cert, char *err, size_t errlen)
{
	const struct opts *o = ((struct issue *)ctx)->o;
	struct ca_device_req req = {
		.device_id = o->device, .owner = o->owner, .ownership = o->ownership,
		.group = o->group ? o->group : CA_DEFAULT_GROUP,
		.validity = issue_validity(o),
	};

	return device_cert_make(o, o->key_type, ca, &req, key, cert, err, errlen);
}

int cmd_issue_run(const struct opts *o, char *err, size_t errlen)
{
	struct issue is = { .o = o };
	struct device_step step = { issue_make, issue_absent, issue_record, &is };
	char until[32];
	int ret = device_run(o, &step, err, errlen);

	if (!ret && o->csr)
		printf("signed %s/%s/%s.crt from %s (serial %s, valid until %s); the key stays "
		       "with the device\n", o->dir, CA_DIR_DEVICES, o->device, o->csr,
		       is.r.serial, cmd_iso_time(is.r.not_after, until, sizeof(until)));
	else if (!ret)
		printf("issued %s/%s/%s.crt (serial %s, valid until %s)\n", o->dir,
		       CA_DIR_DEVICES, o->device, is.r.serial,
		       cmd_iso_time(is.r.not_after, until, sizeof(until)));
	return ret;
}

/* ------------------------------------------------------------------ */
/* renew                                                               */
/* ------------------------------------------------------------------ */

int cmd_renew_check(const struct command *cmd, const struct opts *o)
{
	int ret = cmd_device_check(cmd, o);

	if (!ret && o->csr && o->key_type_set)
		ret = cmd_usage_error(cmd, "--csr and --rsa: the request's key is the device's "
				      "own, of its own kind");
	return ret;
}

/* A device is renewed while it is not lost and its current certificate is
 * not revoked; an expired one may be renewed. A device that made its own
 * key is renewed from a new request: its key is not made here behind the
 * MDM's back. */
static int renew_allowed(const struct ca_record *cur, const struct opts *o, char *err,
			 size_t errlen)
{
	char when[32];

	if (!o->csr && cur->key_origin == CA_KEY_ORIGIN_CSR)
		return ca_err(err, errlen, -EPERM, "device %s made its own key (its certificate "
			      "was signed from a request): renew it with --csr FILE, a new request "
			      "from the device or its MDM", cur->device_id);

	if (cur->state == CA_DEVICE_LOST)
		return ca_err(err, errlen, -EPERM, "device %s is lost (since %s): a lost device "
			      "is not renewed", cur->device_id,
			      cmd_iso_time(cur->lost_at, when, sizeof(when)));
	if (cur->status == CA_STATUS_REVOKED)
		return ca_err(err, errlen, -EPERM, "device %s is revoked (since %s, reason %s): "
			      "a revoked device is not renewed", cur->device_id,
			      cmd_iso_time(cur->revoked_at, when, sizeof(when)),
			      ca_reason_name(cur->reason));
	return 0;
}

/* The new key is of the current one's kind unless --rsa says otherwise:
 * a device that needed RSA still does. A current certificate that cannot
 * be read is said, and the device gets the default kind. */
static enum ca_key_type renew_key_type(const struct opts *o)
{
	char why[CA_ERR_MAX];
	struct ca_files cur;
	enum ca_key_type type = CA_KEY_EC_P256;
	X509 *x = NULL;

	if (o->key_type_set)
		return o->key_type;
	if (ca_store_current(o->dir, o->device, &cur, why, sizeof(why)) ||
	    (access(cur.crt, F_OK) == 0 && ca_cert_load(cur.crt, &x, why, sizeof(why))))
		cmd_print(why);
	else if (x && EVP_PKEY_is_a(X509_get0_pubkey(x), "RSA"))
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
static int renew_record(struct ca_ledger *l, X509 *cert, void *ctx, char *err, size_t errlen)
{
	struct renew *rn = ctx;
	struct ca_validity v = { time(NULL), rn->o->days ? rn->o->days : CA_DAYS_DEVICE };
	int ret = cmd_device_get(l, rn->o->device, &rn->old, err, errlen);

	if (!ret)
		ret = renew_allowed(&rn->old, rn->o, err, errlen);
	if (ret)
		return ret;
	rn->r = rn->old;
	ret = record_cert(&rn->r, &v, cert, key_origin_of(rn->o));
	if (!ret)
		ret = ca_store_archive(rn->o->dir, rn->o->device, rn->old.serial, err, errlen);
	if (!ret)
		ret = ca_ledger_add_cert(l, &rn->r, err, errlen);
	if (!ret && rn->o->revoke_old) {
		ret = ca_ledger_revoke(l, rn->o->device, NULL, rn->r.serial, time(NULL),
				       CA_REASON_SUPERSEDED, &rn->revoked, err, errlen);
		if (ret == -EALREADY)
			ret = 0;
		if (!ret && rn->revoked)
			ret = cmd_crl_write(rn->o->dir, rn->ca, l, CA_DAYS_CRL, &rn->crl_number,
					    err, errlen);
	}
	return ret;
}

static void renew_report(const struct renew *rn)
{
	const struct opts *o = rn->o;
	char until[32], old_until[32];

	printf("renewed %s: %s/%s/%s.crt (serial %s, valid until %s)%s\n", o->device, o->dir,
	       CA_DIR_DEVICES, o->device, rn->r.serial,
	       cmd_iso_time(rn->r.not_after, until, sizeof(until)),
	       o->csr ? "; the key stays with the device" : "");
	if (rn->revoked)
		printf("revoked %u older certificate%s (superseded); %s/%s re-issued, "
		       "CRL number %llu\n", rn->revoked, rn->revoked == 1 ? "" : "s", o->dir,
		       CA_FILE_CRL, (unsigned long long)rn->crl_number);
	else if (!o->revoke_old)
		printf("the previous certificate (serial %s) stays valid until %s\n",
		       rn->old.serial,
		       cmd_iso_time(rn->old.not_after, old_until, sizeof(old_until)));
}

/* Read without the lock to build the certificate: a device's owner, group
 * and ownership never change; its status is checked again under the
 * lock. */
static int renew_make(struct ca_ledger *l, const struct ca_authority *ca, void *ctx,
		      EVP_PKEY **key, X509 **cert, char *err, size_t errlen)
{
	struct renew *rn = ctx;
	const struct opts *o = rn->o;
	struct ca_device_req req = { .device_id = o->device };
	int ret = cmd_device_get(l, o->device, &rn->old, err, errlen);

	if (!ret)
		ret = renew_allowed(&rn->old, o, err, errlen);
	if (ret)
		return ret;
	rn->ca = ca;
	req.owner = rn->old.owner;
	req.group = rn->old.group;
	req.ownership = rn->old.ownership;
	req.validity.not_before = time(NULL);
	req.validity.days = o->days ? o->days : CA_DAYS_DEVICE;
	return device_cert_make(o, o->csr ? CA_KEY_EC_P256 : renew_key_type(o), ca, &req, key,
				cert, err, errlen);
}

int cmd_renew_run(const struct opts *o, char *err, size_t errlen)
{
	struct renew rn = { .o = o };
	struct device_step step = { renew_make, NULL, renew_record, &rn };
	int ret = device_run(o, &step, err, errlen);

	if (!ret)
		renew_report(&rn);
	return ret;
}
