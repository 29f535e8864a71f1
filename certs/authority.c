/* SPDX-License-Identifier: MIT */
/*
 * Loading the CA (certs/authority.h). The certificate and the key are
 * checked against each other before anything is signed, so that a key
 * swapped by mistake makes a clear error rather than certificates no one
 * can verify.
 */
#include "certs/authority.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "certs/error.h"
#include "certs/pem.h"
#include "certs/store.h"

int ca_authority_load(const char *dir, struct ca_authority **out, char *err, size_t errlen)
{
	struct ca_authority *ca = calloc(1, sizeof(*ca));
	char crt[PATH_MAX], key[PATH_MAX];
	int ret = ca ? 0 : -ENOMEM;

	if (!ret)
		ret = ca_path(crt, sizeof(crt), dir, CA_FILE_CERT, err, errlen);
	if (!ret)
		ret = ca_path(key, sizeof(key), dir, CA_FILE_KEY, err, errlen);
	if (!ret)
		ret = ca_cert_load(crt, &ca->cert, err, errlen);
	if (!ret)
		ret = ca_key_load(key, &ca->key, err, errlen);
	if (!ret && X509_check_private_key(ca->cert, ca->key) != 1)
		ret = ca_err_ssl(err, errlen, -EINVAL, "%s does not belong to %s", key, crt);
	if (ret) {
		ca_authority_free(ca);
		return ret;
	}
	*out = ca;
	return 0;
}

void ca_authority_free(struct ca_authority *ca)
{
	if (!ca)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
}
