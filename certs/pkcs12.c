/* SPDX-License-Identifier: MIT */
/*
 * PKCS#12 export (certs/pkcs12.h). Bundles use what both phone platforms
 * import: AES-256-CBC under PBES2/PBKDF2 for the key and the certificates,
 * and a SHA-256 MAC. The password is read from a file, never from the
 * command line (where ps would show it), kept on the stack only as long as
 * needed and wiped after.
 */
#include "certs/pkcs12.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "certs/error.h"
#include "certs/store.h"

/* iOS and Android both import PBES2 with AES-256-CBC and PBKDF2, and a
 * SHA-256 MAC (OpenSSL 3's defaults); they are named here rather than
 * left to defaults, so that another OpenSSL cannot silently produce a
 * bundle a phone refuses. */
int ca_p12_build(EVP_PKEY *key, X509 *cert, X509 *ca_cert, const char *name,
		 const char *password, PKCS12 **out, char *err, size_t errlen)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	PKCS12 *p12 = NULL;
	int ret = -EIO;

	if (!chain || !sk_X509_push(chain, ca_cert))
		goto out;
	p12 = PKCS12_create(password, name, key, cert, chain, NID_aes_256_cbc,
			    NID_aes_256_cbc, PKCS12_DEFAULT_ITER, -1, 0);
	if (!p12 || !PKCS12_set_mac(p12, password, -1, NULL, 0, PKCS12_DEFAULT_ITER,
				    EVP_sha256()))
		goto out;
	*out = p12;
	p12 = NULL;
	ret = 0;
out:
	if (ret)
		ca_err_ssl(err, errlen, ret, "cannot build the PKCS#12 bundle");
	PKCS12_free(p12);
	sk_X509_free(chain);	/* the certificate itself stays the caller's */
	return ret;
}

int ca_p12_save(const char *path, PKCS12 *p12, char *err, size_t errlen)
{
	BIO *mem = BIO_new(BIO_s_secmem());

	return ca_file_write(path, CA_MODE_PRIVATE, CA_WRITE_LINK, mem,
			     mem && i2d_PKCS12_bio(mem, p12) > 0, "the PKCS#12 bundle", err, errlen);
}

/* Reads at most len - 1 bytes; what is past the first line is not ours. */
static ssize_t read_some(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 || memchr(buf + got, '\n', (size_t)n))
			return (ssize_t)(got + (size_t)n);
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Cuts raw (n bytes) at its first line end; 0 or a negative errno. */
static int password_line(char *raw, size_t n, size_t *len)
{
	char *nl = memchr(raw, '\n', n);
	size_t l = nl ? (size_t)(nl - raw) : n;

	if (!nl && n > CA_PASSWORD_MAX)
		return -E2BIG;
	if (l > 0 && raw[l - 1] == '\r')
		l--;
	if (l > CA_PASSWORD_MAX)
		return -E2BIG;
	if (memchr(raw, '\0', l))
		return -EINVAL;
	if (l == 0)
		return -ENODATA;
	*len = l;
	return 0;
}

/* A refused first line (password_line) in words. */
static int password_refused(const char *path, int ret, char *err, size_t errlen)
{
	if (ret == -E2BIG)
		return ca_err(err, errlen, ret, "%s: the password is longer than %d bytes",
			      path, CA_PASSWORD_MAX);
	if (ret == -EINVAL)
		return ca_err(err, errlen, ret, "%s: the password contains a NUL byte", path);
	if (ret == -ENODATA)
		return ca_err(err, errlen, ret,
			      "%s: the password (the file's first line) is empty", path);
	return ret;
}

int ca_password_read(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	char raw[CA_PASSWORD_MAX + 3];	/* the line, "\r\n" and one more */
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;
	ssize_t n = 0;
	size_t l = 0;

	if (fd < 0)
		return ca_err_sys(err, errlen, -errno, "cannot open the password file %s", path);
	ret = ca_file_secret_check(fd, path, err, errlen);
	if (!ret)
		n = read_some(fd, raw, sizeof(raw));
	close(fd);
	if (n < 0)
		ret = ca_err_sys(err, errlen, (int)n, "cannot read the password file %s", path);
	else if (!ret)
		ret = password_refused(path, password_line(raw, (size_t)n, &l), err, errlen);
	if (!ret && l >= len)
		ret = -ENOSPC;
	if (!ret) {
		memcpy(buf, raw, l);
		buf[l] = '\0';
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}
