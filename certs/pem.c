/* SPDX-License-Identifier: MIT */
/*
 * The PEM files of certs/pem.h. A private key is encoded in secure memory,
 * which is wiped when freed, and written by the crash-safe writer of
 * certs/store.c with a mode that never lets others read it; a key file
 * others can read is refused when loaded, because it has to be taken as
 * leaked. Encrypted keys are refused rather than prompted for: postern-ca
 * runs from scripts.
 */
#include "certs/pem.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "certs/error.h"
#include "certs/store.h"

/* Opens path for reading as a BIO; a symlink is not followed, so that a
 * planted link cannot make us read (or later trust) another file. */
static int bio_open_read(const char *path, BIO **out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return ca_err_sys(err, errlen, -errno, "cannot open %s", path);
	*out = BIO_new_fd(fd, BIO_CLOSE);
	if (!*out) {
		close(fd);
		return ca_err_ssl(err, errlen, -ENOMEM, "cannot read %s", path);
	}
	return 0;
}

int ca_cert_load(const char *path, X509 **out, char *err, size_t errlen)
{
	BIO *bio = NULL;
	int ret = bio_open_read(path, &bio, err, errlen);

	if (ret)
		return ret;
	*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!*out)
		return ca_err_ssl(err, errlen, -EINVAL, "%s: not a PEM certificate", path);
	return 0;
}

/* An encrypted key must fail, not prompt: postern-ca runs from scripts. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

int ca_key_load(const char *path, EVP_PKEY **out, char *err, size_t errlen)
{
	BIO *bio = NULL;
	int fd = -1, ret = bio_open_read(path, &bio, err, errlen);

	if (ret)
		return ret;
	ret = BIO_get_fd(bio, &fd) < 0 ? -EIO : ca_file_secret_check(fd, path, err, errlen);
	if (!ret) {
		*out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		if (!*out)
			ret = ca_err_ssl(err, errlen, -EINVAL,
					 "%s: not an unencrypted PEM private key", path);
	}
	BIO_free(bio);
	return ret;
}

int ca_key_save(const char *path, EVP_PKEY *key, char *err, size_t errlen)
{
	/* Secure memory is wiped when freed, so the PEM text of the key does
	 * not linger on the heap. */
	BIO *mem = BIO_new(BIO_s_secmem());

	return ca_file_write(path, CA_MODE_PRIVATE, CA_WRITE_NEW, mem,
			     mem && PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL),
			     "the private key", err, errlen);
}

int ca_cert_save(const char *path, X509 *cert, char *err, size_t errlen)
{
	BIO *mem = BIO_new(BIO_s_mem());

	return ca_file_write(path, CA_MODE_PUBLIC, CA_WRITE_NEW, mem,
			     mem && PEM_write_bio_X509(mem, cert), "the certificate", err, errlen);
}
