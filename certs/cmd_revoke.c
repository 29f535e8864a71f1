/* SPDX-License-Identifier: MIT */
/*
 * postern-ca revoke, lost and crl, and the CRL they and renew --revoke-old
 * write: a ledger change and the CRL that lists it commit together.
 */
#include "certs/cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* CRL                                                                 */
/* ------------------------------------------------------------------ */

struct crl_fill {
	X509_CRL *crl;
	int64_t keep_after;	/* not_after before this: left out */
	char *err;
	size_t errlen;
};

/*
 * A revoked certificate that expired long ago is refused for its expiry
 * anyway, so it leaves the CRL, which would otherwise grow with every
 * revocation ever made. "Long ago": more than a CRL lifetime (the longer
 * of this one's and the default), so that at least one regularly issued
 * CRL past its expiry still listed it (RFC 5280, 3.3).
 */
static int crl_add_revoked(const struct ca_record *r, void *ctx)
{
	struct crl_fill *fill = ctx;

	if (r->not_after < fill->keep_after)
		return 0;
	return ca_crl_add(fill->crl, r->serial, (time_t)r->revoked_at, r->reason, fill->err,
			  fill->errlen);
}

/* Re-issues DIR/crl.pem from the ledger. Runs inside the caller's
 * transaction, so that the CRL number it takes and the revocations it
 * lists are exactly those committed with it. If the commit then fails the
 * CRL lists one revocation too many, which fails closed, and its number is
 * given back to the ledger; the next run still numbers above it, because
 * it also counts the number of the file it replaces. */
int cmd_crl_write(const char *dir, const struct ca_authority *ca, struct ca_ledger *l,
		  unsigned int days, uint64_t *number, char *err, size_t errlen)
{
	char path[PATH_MAX];
	time_t now = time(NULL);
	unsigned int keep = days > CA_DAYS_CRL ? days : CA_DAYS_CRL;
	struct crl_fill fill = { NULL, (int64_t)now - (int64_t)keep * CA_DAY_SECONDS, err, errlen };
	int ret = ca_path(path, sizeof(path), dir, CA_FILE_CRL, err, errlen);

	/* Above the number of the CRL on disk too: see ca_ledger_crl_number_next. */
	if (!ret)
		ret = ca_ledger_crl_number_next(l, ca_crl_file_number(path, ca), number, err,
						 errlen);
	if (!ret)
		ret = ca_crl_new(ca, *number, now, days, &fill.crl, err, errlen);
	if (!ret)
		ret = ca_ledger_foreach(l, CA_LEDGER_REVOKED, crl_add_revoked, &fill, err, errlen);
	if (!ret)
		ret = ca_crl_sign(fill.crl, ca, err, errlen);
	if (!ret)
		ret = ca_crl_save(path, fill.crl, err, errlen);
	X509_CRL_free(fill.crl);
	return ret;
}

/*
 * Ends the transaction the caller began, whose ledger change returned ret:
 * on success the CRL that lists the change is written and both commit
 * together; on any failure nothing of it is kept.
 */
static int crl_commit(const char *dir, const struct ca_authority *ca, struct ca_ledger *l,
		      unsigned int days, uint64_t *number, int ret, char *err, size_t errlen)
{
	if (!ret)
		ret = cmd_crl_write(dir, ca, l, days, number, err, errlen);
	if (!ret)
		ret = ca_ledger_commit(l, err, errlen);
	if (ret)
		ca_ledger_rollback(l);
	return ret;
}

int cmd_crl_refresh(const char *dir, const struct ca_authority *ca, struct ca_ledger *l,
		    unsigned int days, uint64_t *number, char *err, size_t errlen)
{
	int ret = ca_ledger_begin(l, err, errlen);

	return ret ? ret : crl_commit(dir, ca, l, days, number, 0, err, errlen);
}

/* ------------------------------------------------------------------ */
/* revoke, lost, crl                                                   */
/* ------------------------------------------------------------------ */

/* The record a refusal is worded from, by device or by serial. A ledger
 * failure here is said at once; the refusal then goes without words. */
static bool explain_get(struct ca_ledger *l, const char *device_id, const char *serial,
			struct ca_record *r)
{
	char why[CA_ERR_MAX];
	int ret = serial ? ca_ledger_get_serial(l, serial, r, why, sizeof(why)) :
			   ca_ledger_get(l, device_id, r, why, sizeof(why));

	if (ret && ret != -ENOENT)
		cmd_print(why);
	return !ret;
}

/* Why nothing was revoked (ret), in the device's words. */
static int revoke_explain(struct ca_ledger *l, const struct opts *o, int ret,
			  char *err, size_t errlen)
{
	struct ca_record r;
	char when[32];

	if (ret == -ENOENT && o->serial[0] && explain_get(l, o->device, NULL, &r))
		ca_err(err, errlen, ret, "device %s has no certificate with serial %s",
		       o->device, o->serial);
	else if (ret == -ENOENT)
		ca_err(err, errlen, ret, "unknown device %s", o->device);
	else if (ret == -EALREADY && o->serial[0] && explain_get(l, NULL, o->serial, &r))
		ca_err(err, errlen, ret, "certificate %s of device %s is already revoked "
		       "(since %s, reason %s); the CRL is unchanged", o->serial, o->device,
		       cmd_iso_time(r.revoked_at, when, sizeof(when)), ca_reason_name(r.reason));
	else if (ret == -EALREADY && explain_get(l, o->device, NULL, &r) &&
		 r.state == CA_DEVICE_LOST)
		ca_err(err, errlen, ret, "device %s is lost (since %s): its certificates are "
		       "revoked; the CRL is unchanged", o->device,
		       cmd_iso_time(r.lost_at, when, sizeof(when)));
	else if (ret == -EALREADY && explain_get(l, o->device, NULL, &r))
		ca_err(err, errlen, ret, "device %s is already revoked (since %s, reason %s); "
		       "the CRL is unchanged", o->device,
		       cmd_iso_time(r.revoked_at, when, sizeof(when)), ca_reason_name(r.reason));
	return ret;
}

/* A ledger change the CRL lists (revoke, lost): the count of certificates
 * it revoked, or why it did nothing in the device's words. */
typedef int (*revocation_fn)(struct ca_ledger *l, const struct opts *o, unsigned int *count,
			     char *err, size_t errlen);

/* Opens the CA; the change (none for crl) and the CRL that lists it
 * commit together. */
static int revocation_run(const struct opts *o, revocation_fn change, unsigned int days,
			  unsigned int *count, uint64_t *number, char *err, size_t errlen)
{
	struct ca_authority *ca = NULL;
	struct ca_ledger *l = NULL;
	int ret = cmd_ca_open(o->dir, &ca, &l, err, errlen);

	if (!ret)
		ret = ca_ledger_begin(l, err, errlen);
	if (!ret)
		ret = crl_commit(o->dir, ca, l, days, number,
				 change ? change(l, o, count, err, errlen) : 0, err, errlen);
	ca_ledger_free(l);
	ca_authority_free(ca);
	return ret;
}

static int revoke_change(struct ca_ledger *l, const struct opts *o, unsigned int *count,
			 char *err, size_t errlen)
{
	int ret = ca_ledger_revoke(l, o->device, o->serial[0] ? o->serial : NULL, NULL,
				   time(NULL), o->reason, count, err, errlen);

	return revoke_explain(l, o, ret, err, errlen);
}

int cmd_revoke_run(const struct opts *o, char *err, size_t errlen)
{
	unsigned int count = 0;
	uint64_t number = 0;
	int ret = revocation_run(o, revoke_change, CA_DAYS_CRL, &count, &number, err, errlen);

	if (!ret)
		printf("revoked %s (%s): %u certificate%s; %s/%s re-issued, CRL number %llu\n",
		       o->device, ca_reason_name(o->reason), count, count == 1 ? "" : "s",
		       o->dir, CA_FILE_CRL, (unsigned long long)number);
	return ret;
}

static int lost_change(struct ca_ledger *l, const struct opts *o, unsigned int *count,
		       char *err, size_t errlen)
{
	struct ca_record r;
	char when[32];
	int ret = ca_ledger_mark_lost(l, o->device, time(NULL), count, err, errlen);

	if (ret == -ENOENT)
		ca_err(err, errlen, ret, "unknown device %s", o->device);
	else if (ret == -EALREADY && explain_get(l, o->device, NULL, &r))
		ca_err(err, errlen, ret, "device %s is already marked lost (since %s); the CRL "
		       "is unchanged", o->device, cmd_iso_time(r.lost_at, when, sizeof(when)));
	return ret;
}

int cmd_lost_run(const struct opts *o, char *err, size_t errlen)
{
	unsigned int count = 0;
	uint64_t number = 0;
	int ret = revocation_run(o, lost_change, CA_DAYS_CRL, &count, &number, err, errlen);

	if (!ret)
		printf("device %s marked lost: %u certificate%s revoked (keyCompromise); "
		       "%s/%s re-issued, CRL number %llu\n", o->device, count,
		       count == 1 ? "" : "s", o->dir, CA_FILE_CRL, (unsigned long long)number);
	return ret;
}

int cmd_crl_run(const struct opts *o, char *err, size_t errlen)
{
	unsigned int days = o->days ? o->days : CA_DAYS_CRL;
	uint64_t number = 0;
	int ret = revocation_run(o, NULL, days, NULL, &number, err, errlen);

	if (!ret)
		printf("%s/%s re-issued, CRL number %llu, valid for %u days\n", o->dir,
		       CA_FILE_CRL, (unsigned long long)number, days);
	return ret;
}
