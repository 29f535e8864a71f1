/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the gateway configuration loader (libconfuse plus our
 * comment pass, checks and CIDR parser). Each input is written to one file
 * per process, in a temporary directory (in memory: tests/fuzz/fuzz_tmp.h)
 * that also holds dummy PKI files, so that inputs naming "pki/ca.crt" and
 * friends can load completely. The target checks the loader's contract:
 * success exactly when a configuration comes back with an empty,
 * NUL-terminated err; failure with every err line naming the file; values
 * within their documented ranges. The same input, as a string, also goes
 * through the CIDR parser, which must round-trip.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "tests/fuzz/fuzz_tmp.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

static char fuzz_dir[FUZZ_TMP_MAX];
static char fuzz_path[FUZZ_TMP_MAX + 32];
static int fuzz_fd = -1;

static const char *const fuzz_pki[] = {
	"pki/ca.crt", "pki/crl.pem", "pki/server.crt", "pki/server.key",
};

static void fuzz_cleanup(void)
{
	char p[sizeof(fuzz_path)];
	size_t i;

	for (i = 0; i < sizeof(fuzz_pki) / sizeof(fuzz_pki[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fuzz_dir, fuzz_pki[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/pki", fuzz_dir);
	rmdir(p);
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

/* The key is made 0600, so a well-formed input can pass every check. */
static void fuzz_setup(void)
{
	char p[sizeof(fuzz_path)];
	size_t i;
	int fd;

	fuzz_tmpdir(fuzz_dir, "conf");
	atexit(fuzz_cleanup);
	snprintf(p, sizeof(p), "%s/pki", fuzz_dir);
	FUZZ_ASSERT(mkdir(p, 0700) == 0);
	for (i = 0; i < sizeof(fuzz_pki) / sizeof(fuzz_pki[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fuzz_dir, fuzz_pki[i]);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		FUZZ_ASSERT(fd >= 0 && write(fd, "x\n", 2) == 2);
		close(fd);
	}
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/posternd.conf", fuzz_dir);
	fuzz_fd = open(fuzz_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_ASSERT(fuzz_fd >= 0);
}

static void check_cidr_range(const struct conf_cidr *c, int family, unsigned int min,
			     unsigned int max)
{
	FUZZ_ASSERT(c->family == family);
	FUZZ_ASSERT(c->prefix >= min && c->prefix <= max);
}

static void check_conf(const struct gw_conf *c)
{
	size_t i;

	FUZZ_ASSERT(c->path[0] == '/' && c->ca_cert[0] == '/' && c->crl[0] == '/');
	FUZZ_ASSERT(c->server_cert[0] == '/' && c->server_key[0] == '/');
	FUZZ_ASSERT(c->port >= 1);
	FUZZ_ASSERT(strlen(c->tun_name) >= 1 && strlen(c->tun_name) <= 15);
	check_cidr_range(&c->ipv4_pool, AF_INET, 8, 30);
	if (c->have_ipv6_pool)
		check_cidr_range(&c->ipv6_pool, AF_INET6, 48, 126);
	FUZZ_ASSERT(c->mtu >= (c->have_ipv6_pool ? 1280u : 576u) && c->mtu <= 9000);
	FUZZ_ASSERT(c->dpd >= 1 && c->dpd <= 3600 && c->keepalive <= 3600);
	FUZZ_ASSERT(c->idle_timeout <= 604800);
	FUZZ_ASSERT(c->cookie_timeout >= 10 && c->cookie_timeout <= 86400);
	FUZZ_ASSERT(c->max_clients >= 1 && c->max_clients <= 65536);
	FUZZ_ASSERT((c->n_routes == 0) == (c->routes == NULL));
	for (i = 0; i < c->n_routes; i++)
		FUZZ_ASSERT(c->have_ipv6_pool || c->routes[i].family == AF_INET);
}

/* Every line of err starts with the file name and a colon. */
static void check_err(const char *err, size_t len)
{
	size_t plen = strlen(fuzz_path);
	const char *l;

	FUZZ_ASSERT(memchr(err, '\0', len) != NULL);
	FUZZ_ASSERT(err[0] != '\0');
	for (l = err; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		/* The last line may be cut short by the buffer's end. */
		if (strlen(l) < plen + 1)
			FUZZ_ASSERT(!strncmp(l, fuzz_path, strlen(l)));
		else
			FUZZ_ASSERT(!strncmp(l, fuzz_path, plen) && l[plen] == ':');
	}
}

/* A parsed prefix formats and parses back to itself, and holds its own
 * network address. */
static void check_cidr(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size), buf[64];
	struct conf_cidr c, again;

	FUZZ_ASSERT(text != NULL);
	if (conf_cidr_parse(text, &c) == 0) {
		FUZZ_ASSERT(conf_cidr_format(&c, buf, sizeof(buf)) == 0);
		FUZZ_ASSERT(conf_cidr_parse(buf, &again) == 0);
		FUZZ_ASSERT(!memcmp(&c, &again, sizeof(c)));
		FUZZ_ASSERT(conf_cidr_contains(&c, c.family, c.addr.bytes));
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_conf *conf = NULL;
	char err[1024];
	int ret;

	if (fuzz_fd < 0)
		fuzz_setup();
	fuzz_tmp_write(fuzz_fd, data, size);
	ret = conf_gateway_load(fuzz_path, &conf, err, sizeof(err));
	FUZZ_ASSERT((ret == 0) == (conf != NULL));
	FUZZ_ASSERT(ret <= 0);
	if (conf) {
		FUZZ_ASSERT(err[0] == '\0');
		check_conf(conf);
	} else {
		check_err(err, sizeof(err));
	}
	conf_gateway_free(conf);
	check_cidr(data, size);
	return 0;
}
