/* SPDX-License-Identifier: MIT */
/*
 * postern-ca init and server: a new CA in a directory, and the gateway's
 * server certificate. Both create new files only (O_EXCL), and a run that
 * fails removes what it created, newest first, so that a retry works.
 */
#include "certs/cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Files this run created, removed again when a later step fails       */
/* ------------------------------------------------------------------ */

#define MADE_MAX 10

struct made {
	char path[MADE_MAX][PATH_MAX];
	bool is_dir[MADE_MAX];
	int n;
};

static void made_add(struct made *m, const char *path, bool is_dir)
{
	if (m->n == MADE_MAX)
		abort();	/* a broken invariant: the commands make fewer */
	snprintf(m->path[m->n], PATH_MAX, "%s", path);
	m->is_dir[m->n++] = is_dir;
}

/* Newest first, so that a directory is empty by the time it is removed. */
static void made_undo(struct made *m)
{
	while (m->n > 0) {
		m->n--;
		if (m->is_dir[m->n])
			rmdir(m->path[m->n]);
		else
			unlink(m->path[m->n]);
	}
}

/* Records a file this run created (ret 0), or says why it did not. */
static int made_file(struct made *m, const char *path, int ret, char *err, size_t errlen)
{
	ret = cmd_no_overwrite(path, ret, err, errlen);
	if (!ret)
		made_add(m, path, false);
	return ret;
}

/* Creates a directory (0700) unless it exists as one. how, when given,
 * says where its name came from (--dir, POSTERN_PKI, the default). */
static int dir_make(const char *path, const char *how, struct made *m, char *err,
		    size_t errlen)
{
	char note[128] = "";
	struct stat st;
	int e;

	if (mkdir(path, 0700) == 0) {
		made_add(m, path, true);
		return 0;
	}
	e = errno;
	if (how)
		snprintf(note, sizeof(note), " (%s)", how);
	if (e != EEXIST)
		return ca_err_sys(err, errlen, -e, "cannot create %s%s", path, note);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return ca_err(err, errlen, -ENOTDIR, "%s%s exists and is not a directory", path,
			      note);
	return 0;
}

/* A key, then its certificate, each under a name in dir no file has. */
static int pair_create(const char *dir, const char *key_name, EVP_PKEY *key,
		       const char *cert_name, X509 *cert, struct made *m,
		       char *err, size_t errlen)
{
	char path[PATH_MAX];
	int ret = ca_path(path, sizeof(path), dir, key_name, err, errlen);

	if (!ret)
		ret = made_file(m, path, ca_key_save(path, key, err, errlen), err, errlen);
	if (!ret)
		ret = ca_path(path, sizeof(path), dir, cert_name, err, errlen);
	if (!ret)
		ret = made_file(m, path, ca_cert_save(path, cert, err, errlen), err, errlen);
	return ret;
}

/* ------------------------------------------------------------------ */
/* init                                                                */
/* ------------------------------------------------------------------ */

int cmd_init_check(const struct command *cmd, const struct opts *o)
{
	if (o->name && !ca_name_valid(o->name))
		return cmd_usage_error(cmd, "--name: must be 1 to %d characters of UTF-8 "
				       "text without control characters", CA_NAME_MAX);
	return 0;
}

static int init_ledger(const char *dir, struct ca_ledger **l, struct made *m,
		       char *err, size_t errlen)
{
	char path[PATH_MAX];
	int ret = ca_path(path, sizeof(path), dir, CA_FILE_LEDGER, err, errlen);

	return ret ? ret : made_file(m, path, ca_ledger_create(path, l, err, errlen), err, errlen);
}

/* The files of a new CA; the key first, since its O_EXCL creation is what
 * makes two runs of init on one directory exclude each other. */
static int init_files(const struct opts *o, const struct ca_authority *ca,
		      struct ca_ledger **l, struct made *m, char *err, size_t errlen)
{
	char path[PATH_MAX];
	uint64_t number;
	int ret;

	ret = pair_create(o->dir, CA_FILE_KEY, ca->key, CA_FILE_CERT, ca->cert, m, err, errlen);
	ret = ret ? ret : init_ledger(o->dir, l, m, err, errlen);
	ret = ret ? ret : ca_path(path, sizeof(path), o->dir, CA_DIR_DEVICES, err, errlen);
	ret = ret ? ret : dir_make(path, NULL, m, err, errlen);
	ret = ret ? ret : ca_path(path, sizeof(path), o->dir, CA_FILE_CRL, err, errlen);
	if (!ret)
		made_add(m, path, false);
	return ret ? ret : cmd_crl_refresh(o->dir, ca, *l, CA_DAYS_CRL, &number, err, errlen);
}

int cmd_init_run(const struct opts *o, char *err, size_t errlen)
{
	struct ca_validity v = { time(NULL), o->days ? o->days : CA_DAYS_CA };
	const char *name = o->name ? o->name : CA_DEFAULT_NAME;
	struct ca_authority ca = { NULL, NULL };
	struct ca_ledger *l = NULL;
	struct made made = { .n = 0 };
	int ret;

	ret = dir_make(o->dir, o->dir_how, &made, err, errlen);
	if (!ret)
		ret = ca_key_generate(o->key_type, &ca.key, err, errlen);
	if (!ret)
		ret = ca_cert_build_ca(ca.key, name, &v, &ca.cert, err, errlen);
	if (!ret)
		ret = init_files(o, &ca, &l, &made, err, errlen);
	ca_ledger_free(l);	/* closed before an undo unlinks it */
	if (ret)
		made_undo(&made);
	else
		printf("created CA '%s' in %s\n", name, o->dir);
	X509_free(ca.cert);
	EVP_PKEY_free(ca.key);
	return ret;
}

/* ------------------------------------------------------------------ */
/* server                                                              */
/* ------------------------------------------------------------------ */

int cmd_server_check(const struct command *cmd, const struct opts *o)
{
	char buf[80];
	int ret = cmd_require(cmd, o->name, "name");

	if (!ret && !ca_hostname_valid(o->name))
		ret = cmd_usage_error(cmd, "--name: '%s' is not a DNS host name of at most %d "
				      "characters", cmd_shown(o->name, buf, sizeof(buf)),
				      CA_HOSTNAME_MAX);
	return ret;
}

int cmd_server_run(const struct opts *o, char *err, size_t errlen)
{
	struct ca_server_req req = {
		.hostname = o->name, .ips = o->ips, .n_ips = o->n_ips,
		.validity = { time(NULL), o->days ? o->days : CA_DAYS_SERVER },
	};
	struct ca_authority *ca = NULL;
	struct made made = { .n = 0 };
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ret;

	ret = ca_authority_load(o->dir, &ca, err, errlen);
	if (!ret)
		ret = ca_key_generate(o->key_type, &key, err, errlen);
	if (!ret)
		ret = ca_cert_build_server(ca, key, &req, &cert, err, errlen);
	if (!ret)
		ret = pair_create(o->dir, CA_FILE_SERVER_KEY, key, CA_FILE_SERVER_CERT, cert,
				  &made, err, errlen);
	if (ret)
		made_undo(&made);
	else
		printf("created %s/%s and %s/%s for %s\n", o->dir, CA_FILE_SERVER_CERT,
		       o->dir, CA_FILE_SERVER_KEY, o->name);
	X509_free(cert);
	EVP_PKEY_free(key);
	ca_authority_free(ca);
	return ret;
}
