/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of conf/: the strict CIDR parser, formatter and membership test,
 * and the gateway configuration loader. The loader cases write small config
 * files and dummy PKI files (the loader only checks that they exist, are
 * readable regular files and, for the key, private) into a temporary
 * directory, and check the values and defaults of good files and, for bad
 * ones, that every problem is reported as FILE:LINE with a telling message.
 * For operations: the ADDRESS:PORT parser of metrics-listen (IPv4 and
 * bracketed IPv6 literals only, port 1..65535, nothing around them), the
 * control-socket and metrics-listen keys with FILE:LINE errors, which keys
 * conf_gateway_keep carries over from the running configuration on a
 * reload (and names), and conf_gateway_reload, which skips the files only
 * read at start (CA, server certificate and key) but checks the rest.
 */
#include "conf/conf.h"
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- CIDR ---- */

static void test_cidr_valid(void)
{
	static const struct {
		const char *text;
		int family;
		unsigned int prefix;
		const char *canonical;
	} cases[] = {
		{ "198.18.0.0/15", AF_INET, 15, "198.18.0.0/15" },
		{ "198.18.100.0/24", AF_INET, 24, "198.18.100.0/24" },
		{ "198.18.100.7/32", AF_INET, 32, "198.18.100.7/32" },
		{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0/0" },
		{ "172.16.0.0/12", AF_INET, 12, "172.16.0.0/12" },
		{ "fd00:5057::/64", AF_INET6, 64, "fd00:5057::/64" },
		{ "FD00:5057:0:0::/64", AF_INET6, 64, "fd00:5057::/64" },
		{ "2001:db8::1/128", AF_INET6, 128, "2001:db8::1/128" },
		{ "::/0", AF_INET6, 0, "::/0" },
		{ "::ffff:198.18.0.0/112", AF_INET6, 112, "::ffff:198.18.0.0/112" },
		{ "fd00:5057::/126", AF_INET6, 126, "fd00:5057::/126" },
	};
	struct conf_cidr c;
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0xa5, sizeof(c));
		CHECK_EQ_INT(conf_cidr_parse(cases[i].text, &c), 0);
		CHECK_EQ_INT(c.family, cases[i].family);
		CHECK_EQ_INT(c.prefix, cases[i].prefix);
		CHECK_EQ_INT(conf_cidr_format(&c, buf, sizeof(buf)), 0);
		CHECK_EQ_STR(buf, cases[i].canonical);
	}
}

static void test_cidr_invalid(void)
{
	static const char *const cases[] = {
		"", "/", "/24", "198.18.0.0", "198.18.0.0/", "198.18.0.0//24",
		"198.18.0.1/24",	/* host bits */
		"198.18.0.0/33", "198.18.0.0/024", "198.18.0.0/-1", "198.18.0.0/+24",
		"198.18.0.0/24x", "198.18.0.0/24 ", " 198.18.0.0/24", "198.18.0.0 /24",
		"198.18.0.0/2 4", "198.18.0.0/0x18", "198.18.0.0/1000", "198.18.0.0/24/24",
		"198.018.0.0/24", "0x1.0.0.0/8", "198.18.0/24", "198.18.0.256/24",
		"198.18.0.0.0/24", "fd00::1/64", "fd00::/129", "fd00::/64 ", "fd00::%eth0/64",
		"fd00:::/64", "00000::/64", "localhost/32", "198.18.0.0/24\n",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999/64",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/8",
	};
	struct conf_cidr c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (conf_cidr_parse(cases[i], &c) != -EINVAL) {
			printf("# accepted '%s'\n", cases[i]);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(conf_cidr_parse(NULL, &c), -EINVAL);
}

static void test_cidr_why(void)
{
	struct conf_cidr c;
	char why[128];

	CHECK_EQ_INT(conf_cidr_parse_why("198.18.0.1/24", &c, why, sizeof(why)), -EINVAL);
	CHECK_EQ_STR(why, "host bits set, did you mean 198.18.0.0/24?");
	CHECK_EQ_INT(conf_cidr_parse_why("198.19.255.255/15", &c, why, sizeof(why)), -EINVAL);
	CHECK_EQ_STR(why, "host bits set, did you mean 198.18.0.0/15?");
	CHECK_EQ_INT(conf_cidr_parse_why("fd00:5057::1/64", &c, why, sizeof(why)), -EINVAL);
	CHECK_EQ_STR(why, "host bits set, did you mean fd00:5057::/64?");
	CHECK_EQ_INT(conf_cidr_parse_why("198.18.0.0/33", &c, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "0..32") != NULL);
	CHECK_EQ_INT(conf_cidr_parse_why("fd00::/129", &c, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "0..128") != NULL);
	CHECK_EQ_INT(conf_cidr_parse_why("198.18.0.0", &c, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "no prefix length") != NULL);
	CHECK_EQ_INT(conf_cidr_parse_why("198.18.0.x/24", &c, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "not an IPv4 or IPv6 address") != NULL);
	/* A short buffer is truncated, never overrun; no buffer is fine too. */
	CHECK_EQ_INT(conf_cidr_parse_why("198.18.0.1/24", &c, why, 5), -EINVAL);
	CHECK_EQ_INT((int)strlen(why), 4);
	CHECK_EQ_INT(conf_cidr_parse_why("198.18.0.1/24", &c, NULL, 0), -EINVAL);
}

static void test_cidr_format(void)
{
	struct conf_cidr c;
	char buf[64];

	CHECK_EQ_INT(conf_cidr_parse("198.18.0.0/15", &c), 0);
	CHECK_EQ_INT(conf_cidr_format(&c, buf, 13), -ENOSPC);
	CHECK_EQ_INT(conf_cidr_format(&c, buf, 14), 0);
	CHECK_EQ_STR(buf, "198.18.0.0/15");
	CHECK_EQ_INT(conf_cidr_format(&c, buf, 0), -ENOSPC);
	c.family = AF_UNIX;
	CHECK(conf_cidr_format(&c, buf, sizeof(buf)) < 0);
}

static bool contains(const char *cidr, const char *addr)
{
	struct conf_cidr c;
	uint8_t a[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	CHECK_EQ_INT(conf_cidr_parse(cidr, &c), 0);
	CHECK_EQ_INT(inet_pton(family, addr, a), 1);
	return conf_cidr_contains(&c, family, a);
}

static void test_cidr_contains(void)
{
	struct conf_cidr c;
	uint8_t a[16] = { 0 };

	CHECK(contains("198.18.0.0/15", "198.18.0.0"));
	CHECK(contains("198.18.0.0/15", "198.19.255.255"));
	CHECK(!contains("198.18.0.0/15", "198.20.0.0"));
	CHECK(!contains("198.18.0.0/15", "198.17.255.255"));
	CHECK(contains("172.16.0.0/12", "172.31.255.255"));
	CHECK(!contains("172.16.0.0/12", "172.32.0.0"));
	CHECK(contains("198.18.100.7/32", "198.18.100.7"));
	CHECK(!contains("198.18.100.7/32", "198.18.100.6"));
	CHECK(contains("0.0.0.0/0", "203.0.113.9"));
	CHECK(contains("fd00:5057::/64", "fd00:5057::1234"));
	CHECK(contains("fd00:5057::/64", "fd00:5057::ffff:ffff:ffff:ffff"));
	CHECK(!contains("fd00:5057::/64", "fd00:5057:0:1::"));
	CHECK(contains("fd00:5057::/126", "fd00:5057::3"));
	CHECK(!contains("fd00:5057::/126", "fd00:5057::4"));
	CHECK(contains("::/0", "2001:db8::1"));
	/* Another family never matches, even where the bytes would. */
	CHECK_EQ_INT(conf_cidr_parse("0.0.0.0/0", &c), 0);
	CHECK(!conf_cidr_contains(&c, AF_INET6, a));
	CHECK(!conf_cidr_contains(&c, AF_UNIX, a));
	CHECK(!conf_cidr_contains(&c, AF_INET, NULL));
	CHECK(!conf_cidr_contains(NULL, AF_INET, a));
}

/* ---- loader fixtures ---- */

static char dir[256];		/* realpath of the test directory */

/* The four PKI keys on lines 1..4, so that tests know their line numbers. */
#define PKI                                     \
	"ca-cert = \"pki/ca.crt\"\n"            \
	"crl = \"pki/crl.pem\"\n"               \
	"server-cert = \"pki/server.crt\"\n"    \
	"server-key = \"pki/server.key\"\n"
#define POOL "ipv4-pool = \"198.18.100.0/24\"\n"

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void write_bytes(const char *name, const char *data, size_t n, mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;

	path_in(path, sizeof(path), name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ_INT(fwrite(data, 1, n, f), n);
	fclose(f);
	CHECK_EQ_INT(chmod(path, mode), 0);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	write_bytes(name, text, strlen(text), mode);
}

static void chmod_in(const char *name, mode_t mode)
{
	char path[PATH_MAX];

	path_in(path, sizeof(path), name);
	CHECK_EQ_INT(chmod(path, mode), 0);
}

static int fixture_setup(void)
{
	char tmpl[] = "/tmp/postern-test-conf.XXXXXX";
	char pki[PATH_MAX], *real;

	if (!mkdtemp(tmpl) || !(real = realpath(tmpl, NULL)))
		return -1;
	snprintf(dir, sizeof(dir), "%s", real);
	free(real);
	path_in(pki, sizeof(pki), "pki");
	if (mkdir(pki, 0700))
		return -1;
	write_file("pki/ca.crt", "dummy CA certificate\n", 0644);
	write_file("pki/crl.pem", "dummy CRL\n", 0644);
	write_file("pki/server.crt", "dummy server certificate\n", 0644);
	write_file("pki/server.key", "dummy server key\n", 0600);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void fixture_cleanup(void)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text as dir/name and loads it. */
static int load(const char *name, const char *text, struct gw_conf **c, char *err, size_t len)
{
	char path[PATH_MAX];

	write_file(name, text, 0644);
	path_in(path, sizeof(path), name);
	return conf_gateway_load(path, c, err, len);
}

/* True when err has a line "DIR/NAME:LINE: ..." (or "DIR/NAME: ..." for
 * line 0) that contains needle. */
static bool err_has(const char *err, const char *name, int line, const char *needle)
{
	char prefix[PATH_MAX + 32], *copy = strdup(err), *save = NULL, *l;
	bool found = false;

	if (line)
		snprintf(prefix, sizeof(prefix), "%s/%s:%d: ", dir, name, line);
	else
		snprintf(prefix, sizeof(prefix), "%s/%s: ", dir, name);
	for (l = strtok_r(copy, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save))
		found = !strncmp(l, prefix, strlen(prefix)) && strstr(l, needle);
	free(copy);
	if (!found)
		printf("# no '%s...%s' in:\n# %s\n", prefix, needle, err);
	return found;
}

static int err_lines(const char *err)
{
	int n = err[0] ? 1 : 0;

	for (; *err; err++)
		n += *err == '\n';
	return n;
}

/* Loads a bad file and checks the single error it must produce. */
static void expect_error(const char *text, int line, const char *needle)
{
	struct gw_conf *c = (struct gw_conf *)1;
	char err[2048];

	CHECK_EQ_INT(load("bad.conf", text, &c, err, sizeof(err)), -EINVAL);
	CHECK(c == NULL);
	CHECK(err_has(err, "bad.conf", line, needle));
	CHECK_EQ_INT(err_lines(err), 1);
}

/* ---- loader: good files ---- */

static void test_load_defaults(void)
{
	struct gw_conf *c = NULL;
	char err[1024], want[PATH_MAX];

	CHECK_EQ_INT(load("min.conf", PKI POOL, &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	CHECK(c != NULL);
	if (!c)
		return;
	path_in(want, sizeof(want), "min.conf");
	CHECK_EQ_STR(c->path, want);
	CHECK_EQ_STR(c->listen, "0.0.0.0");
	CHECK_EQ_INT(c->port, 443);
	path_in(want, sizeof(want), "pki/ca.crt");
	CHECK_EQ_STR(c->ca_cert, want);
	path_in(want, sizeof(want), "pki/crl.pem");
	CHECK_EQ_STR(c->crl, want);
	path_in(want, sizeof(want), "pki/server.crt");
	CHECK_EQ_STR(c->server_cert, want);
	path_in(want, sizeof(want), "pki/server.key");
	CHECK_EQ_STR(c->server_key, want);
	CHECK_EQ_STR(c->tun_name, "postern0");
	CHECK_EQ_INT(c->ipv4_pool.family, AF_INET);
	CHECK_EQ_INT(c->ipv4_pool.prefix, 24);
	CHECK(!c->have_ipv6_pool);
	CHECK(c->routes == NULL);
	CHECK_EQ_INT(c->n_routes, 0);
	CHECK_EQ_INT(c->mtu, 1400);
	CHECK_EQ_INT(c->dpd, 30);
	CHECK_EQ_INT(c->keepalive, 20);
	CHECK_EQ_INT(c->idle_timeout, 0);
	CHECK_EQ_INT(c->cookie_timeout, 300);
	CHECK_EQ_INT(c->max_clients, 1024);
	/* Never root unless the file says so. */
	CHECK_EQ_STR(c->user, "postern");
	CHECK(c->user_default && !c->run_as_root);
	CHECK(c->dtls);
	CHECK_EQ_INT(c->udp_port, 0);
	CHECK_EQ_INT(conf_gateway_udp_port(c), 443);
	conf_gateway_free(c);
	conf_gateway_free(NULL);
}

/* The DTLS keys: off, another UDP port, and the values refused. */
static void test_load_dtls(void)
{
	struct gw_conf *c = NULL;
	char err[1024];

	CHECK_EQ_INT(load("dtls.conf", PKI POOL "port = 8443\ndtls = false\nudp-port = 4433\n",
			  &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (c) {
		CHECK(!c->dtls);
		CHECK_EQ_INT(conf_gateway_udp_port(c), 4433);
		conf_gateway_free(c);
	}
	CHECK_EQ_INT(load("dtls.conf", PKI POOL "port = 8443\n", &c, err, sizeof(err)), 0);
	if (c) {
		CHECK_EQ_INT(conf_gateway_udp_port(c), 8443);
		conf_gateway_free(c);
	}
	/* libconfuse alone would take yes/no/on/off/1/0: only true and false are. */
	expect_error(PKI POOL "dtls = yes\n", 6, "dtls: 'yes' is not true or false");
	expect_error(PKI POOL "dtls = 1\n", 6, "dtls: '1' is not true or false");
	expect_error(PKI POOL "udp-port = 65536\n", 6, "udp-port: 65536 is out of range 0..65535");
	expect_error(PKI POOL "udp-port = -1\n", 6, "is not a plain decimal number");
}

/* The load-balancer keys: the balancers' networks, and what is refused. */
static void test_load_proxy(void)
{
	struct gw_conf *c = NULL;
	char err[1024];

	CHECK_EQ_INT(load("proxy.conf", PKI POOL "proxy-protocol = true\n"
			  "proxy-trusted = {\"198.18.0.2/32\", \"fd00:1b::/64\"}\n"
			  "max-pending-per-source = 8\n", &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (c) {
		CHECK(c->proxy_protocol);
		CHECK_EQ_INT(c->n_proxy_trusted, 2);
		CHECK_EQ_INT(c->max_pending_per_source, 8);
		conf_gateway_free(c);
	}
	CHECK_EQ_INT(load("proxy.conf", PKI POOL, &c, err, sizeof(err)), 0);
	if (c) {
		CHECK(!c->proxy_protocol);
		CHECK_EQ_INT(c->n_proxy_trusted, 0);
		CHECK_EQ_INT(c->max_pending_per_source, 32);
		conf_gateway_free(c);
	}
	expect_error(PKI POOL "proxy-protocol = true\n", 6,
		     "proxy-protocol = true needs proxy-trusted");
	expect_error(PKI POOL "proxy-trusted = {\"198.18.0.300/32\"}\n", 6,
		     "proxy-trusted: '198.18.0.300/32'");
	expect_error(PKI POOL "max-pending-per-source = 65537\n", 6,
		     "max-pending-per-source: 65537 is out of range 0..65536");
}

static void test_load_all_keys(void)
{
	static const char text[] =
		"listen = \"fd00:5057::1\"\n"
		"port = 8443\n"
		"ca-cert = \"pki/ca.crt\"\n"
		"crl = \"pki/crl.pem\"\n"
		"server-cert = \"pki/server.crt\"\n"
		"server-key = \"pki/server.key\"\n"
		"tun-name = \"vpn_0.a-b\"\n"
		"ipv4-pool = \"198.18.100.0/22\"\n"
		"ipv6-pool = \"fd00:5057::/64\"\n"
		"routes = { \"198.18.0.0/24\", \"198.19.0.0/16\" }\n"
		"routes += \"fd00:5058::/48\"\n"
		"mtu = 1280\n"
		"dpd = 3600\n"
		"keepalive = 0\n"
		"idle-timeout = 604800\n"
		"cookie-timeout = 10\n"
		"max-clients = 65536\n"
		"user = \"root\"\n";
	struct gw_conf *c = NULL;
	char err[1024], buf[64];

	CHECK_EQ_INT(load("all.conf", text, &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (!c)
		return;
	CHECK_EQ_STR(c->listen, "fd00:5057::1");
	CHECK_EQ_INT(c->port, 8443);
	CHECK_EQ_STR(c->tun_name, "vpn_0.a-b");
	conf_cidr_format(&c->ipv4_pool, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "198.18.100.0/22");
	CHECK(c->have_ipv6_pool);
	conf_cidr_format(&c->ipv6_pool, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "fd00:5057::/64");
	CHECK_EQ_INT(c->n_routes, 3);
	if (c->n_routes == 3) {
		conf_cidr_format(&c->routes[0], buf, sizeof(buf));
		CHECK_EQ_STR(buf, "198.18.0.0/24");
		conf_cidr_format(&c->routes[1], buf, sizeof(buf));
		CHECK_EQ_STR(buf, "198.19.0.0/16");
		conf_cidr_format(&c->routes[2], buf, sizeof(buf));
		CHECK_EQ_STR(buf, "fd00:5058::/48");
	}
	CHECK_EQ_INT(c->mtu, 1280);
	CHECK_EQ_INT(c->dpd, 3600);
	CHECK_EQ_INT(c->keepalive, 0);
	CHECK_EQ_INT(c->idle_timeout, 604800);
	CHECK_EQ_INT(c->cookie_timeout, 10);
	CHECK_EQ_INT(c->max_clients, 65536);
	/* "root" keeps root: nothing to drop to, and it is said. */
	CHECK(c->user == NULL && c->run_as_root && !c->user_default);
	conf_gateway_free(c);
}

/* Relative names follow the config file's directory, not the cwd, and an
 * absolute name is kept as it is. */
static void test_load_relative_paths(void)
{
	static const char text[] =
		"ca-cert = \"pki/ca.crt\"\n"
		"crl = \"./pki/../pki/crl.pem\"\n"
		"server-cert = \"%s/pki/server.crt\"\n"
		"server-key = \"pki/server.key\"\n" POOL;
	struct gw_conf *c = NULL;
	char body[PATH_MAX * 2], err[1024], want[PATH_MAX], cwd[PATH_MAX];

	snprintf(body, sizeof(body), text, dir);
	write_file("rel.conf", body, 0644);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_EQ_INT(chdir(dir), 0);
	CHECK_EQ_INT(conf_gateway_load("rel.conf", &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(chdir("/"), 0);
	CHECK_EQ_STR(err, "");
	if (c) {
		path_in(want, sizeof(want), "rel.conf");
		CHECK_EQ_STR(c->path, want);
		path_in(want, sizeof(want), "pki/ca.crt");
		CHECK_EQ_STR(c->ca_cert, want);
		path_in(want, sizeof(want), "./pki/../pki/crl.pem");
		CHECK_EQ_STR(c->crl, want);
		path_in(want, sizeof(want), "pki/server.crt");
		CHECK_EQ_STR(c->server_cert, want);
	}
	conf_gateway_free(c);
	CHECK_EQ_INT(chdir(cwd), 0);
}

/*
 * Comments of every kind, in lists too, must neither hide a key nor shift a
 * line number (libconfuse 3.3 miscounts lines after comments by itself);
 * "#" and "//" inside a string or an unquoted word are not comments.
 */
#define COMMENTED                                                  \
	"# one\n"					/* 1 */    \
	"## two\n"					/* 2 */    \
	"// three\n"					/* 3 */    \
	"/* four\n"					/* 4 */    \
	"   five */\n"					/* 5 */    \
	"ca-cert = \"pki/ca#1.crt\" # six\n"		/* 6 */    \
	"crl = pki//crl.pem // seven\n"			/* 7 */    \
	"server-cert = 'pki/server.crt' /* eight */\n"	/* 8 */    \
	"server-key = \"pki/server.key\"\n"		/* 9 */    \
	"ipv4-pool = \"198.18.100.0/24\"\n"		/* 10 */   \
	"routes = { # eleven\n"				/* 11 */   \
	"  \"198.18.0.0/24\", // twelve\n"		/* 12 */   \
	"  /* thirteen */ \"198.19.0.0/16\"\n"		/* 13 */   \
	"}\n"						/* 14 */

static void test_load_comments(void)
{
	struct gw_conf *c = NULL;
	char err[1024], want[PATH_MAX];

	write_file("pki/ca#1.crt", "dummy\n", 0644);
	CHECK_EQ_INT(load("comments.conf", COMMENTED "port = 70000\n", &c, err, sizeof(err)),
		     -EINVAL);
	CHECK(err_has(err, "comments.conf", 15, "port: 70000 is out of range 1..65535"));
	CHECK_EQ_INT(err_lines(err), 1);
	/* Without the bad port the same file loads, with both routes. */
	CHECK_EQ_INT(load("comments.conf", COMMENTED, &c, err, sizeof(err)), 0);
	if (c) {
		path_in(want, sizeof(want), "pki/ca#1.crt");
		CHECK_EQ_STR(c->ca_cert, want);
		path_in(want, sizeof(want), "pki//crl.pem");
		CHECK_EQ_STR(c->crl, want);
		CHECK_EQ_INT(c->n_routes, 2);
	}
	conf_gateway_free(c);
}

/* The sample shipped to users loads as it is, next to a PKI. */
static void test_load_sample(void)
{
	struct gw_conf *c = NULL;
	char err[2048], path[PATH_MAX], buf[64], text[16384];
	FILE *f = fopen("conf/posternd.conf", "r");
	size_t n;

	CHECK(f != NULL);
	if (!f)
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	CHECK_EQ_INT(load("posternd.conf", text, &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (!c)
		return;
	conf_cidr_format(&c->ipv4_pool, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "198.18.100.0/24");
	CHECK(c->have_ipv6_pool);
	conf_cidr_format(&c->ipv6_pool, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "fd00:5057::/64");
	CHECK(c->n_routes >= 2);
	path_in(path, sizeof(path), "pki/server.key");
	CHECK_EQ_STR(c->server_key, path);
	conf_gateway_free(c);
}

/* ---- loader: bad files, one problem each ---- */

static void test_load_unknown_key(void)
{
	expect_error(PKI POOL "# a comment\nbogus-key = 1\n", 7, "bogus-key");
}

static void test_load_bad_cidr(void)
{
	expect_error(PKI "ipv4-pool = \"198.18.100.1/24\"\n", 5,
		     "ipv4-pool: '198.18.100.1/24': host bits set, did you mean 198.18.100.0/24?");
	expect_error(PKI POOL "routes = { \"198.18.0.0/24\",\n \"198.19.0.0/33\" }\n", 7,
		     "routes: '198.19.0.0/33': prefix length must be a number 0..32");
	expect_error(PKI "ipv4-pool = \"10.0.0.0/7\"\n", 5, "prefix length of 8..30");
	expect_error(PKI "ipv4-pool = \"198.18.0.0/31\"\n", 5, "prefix length of 8..30");
	expect_error(PKI "ipv4-pool = \"fd00::/64\"\n", 5, "is not an IPv4 prefix");
	expect_error(PKI POOL "ipv6-pool = \"fd00::/47\"\n", 6, "prefix length of 48..126");
	expect_error(PKI POOL "ipv6-pool = \"fd00::/127\"\n", 6, "prefix length of 48..126");
	expect_error(PKI POOL "ipv6-pool = \"198.18.0.0/24\"\n", 6, "is not an IPv6 prefix");
	{
		char text[4096];
		size_t n = (size_t)snprintf(text, sizeof(text), PKI POOL "routes = {");

		for (int i = 0; i <= CONF_ROUTES_MAX; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"198.18.%d.0/24\"",
					      i ? "," : "", i);
		snprintf(text + n, sizeof(text) - n, "}\n");
		expect_error(text, 0, "routes: 65 prefixes, more than the 64");
	}
}

static void test_load_missing_file(void)
{
	expect_error("ca-cert = \"pki/missing.crt\"\n"
		     "crl = \"pki/crl.pem\"\n"
		     "server-cert = \"pki/server.crt\"\n"
		     "server-key = \"pki/server.key\"\n" POOL,
		     1, "ca-cert: cannot open");
	expect_error("ca-cert = \"pki\"\n" "crl = \"pki/crl.pem\"\n"
		     "server-cert = \"pki/server.crt\"\n" "server-key = \"pki/server.key\"\n" POOL,
		     1, "is not a regular file");
	expect_error("ca-cert = \"\"\n" "crl = \"pki/crl.pem\"\n"
		     "server-cert = \"pki/server.crt\"\n" "server-key = \"pki/server.key\"\n" POOL,
		     1, "ca-cert: empty file name");
}

static void test_load_missing_file_message(void)
{
	struct gw_conf *c = NULL;
	char err[1024], want[PATH_MAX + 64];

	CHECK_EQ_INT(load("nofile.conf", "ca-cert = \"pki/missing.crt\"\n"
			  "crl = \"pki/crl.pem\"\n" "server-cert = \"pki/server.crt\"\n"
			  "server-key = \"pki/server.key\"\n" POOL, &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "ca-cert: cannot open %s/pki/missing.crt: No such file", dir);
	CHECK(err_has(err, "nofile.conf", 1, want));
}

static void test_load_key_mode(void)
{
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want),
		 "server-key: %s/pki/server.key is readable by group or others (chmod 600 it)", dir);
	chmod_in("pki/server.key", 0644);
	expect_error(PKI POOL, 4, want);
	chmod_in("pki/server.key", 0640);
	expect_error(PKI POOL, 4, "readable by group or others");
	chmod_in("pki/server.key", 0602);
	expect_error(PKI POOL, 4, "writable by group or others (chmod 600 it)");
	chmod_in("pki/server.key", 0400);
	{
		struct gw_conf *c = NULL;
		char err[512];

		CHECK_EQ_INT(load("key.conf", PKI POOL, &c, err, sizeof(err)), 0);
		conf_gateway_free(c);
	}
	chmod_in("pki/server.key", 0600);
}

static void test_load_numbers(void)
{
	expect_error(PKI POOL "port = 70000\n", 6, "port: 70000 is out of range 1..65535");
	expect_error(PKI POOL "port = 0\n", 6, "port: 0 is out of range 1..65535");
	expect_error(PKI POOL "port = 0443\n", 6, "port: '0443' is not a plain decimal number");
	expect_error(PKI POOL "port = 0x1bb\n", 6, "is not a plain decimal number");
	expect_error(PKI POOL "port = -1\n", 6, "is not a plain decimal number");
	expect_error(PKI POOL "port = \"\"\n", 6, "is not a plain decimal number");
	expect_error(PKI POOL "port = 99999999999999999999999\n", 6, "is out of range");
	expect_error(PKI POOL "mtu = 575\n", 6, "mtu: 575 is out of range 576..9000");
	expect_error(PKI POOL "mtu = 9001\n", 6, "576..9000");
	expect_error(PKI POOL "dpd = 0\n", 6, "dpd: 0 is out of range 1..3600");
	expect_error(PKI POOL "keepalive = 3601\n", 6, "0..3600");
	expect_error(PKI POOL "idle-timeout = 604801\n", 6, "0..604800");
	expect_error(PKI POOL "cookie-timeout = 9\n", 6, "10..86400");
	expect_error(PKI POOL "max-clients = 65537\n", 6, "1..65536");
	expect_error(PKI POOL "max-clients = 0\n", 6, "1..65536");
}

static void test_load_strings(void)
{
	expect_error(PKI POOL "listen = \"localhost\"\n", 6, "not an IPv4 or IPv6 address");
	expect_error(PKI POOL "listen = \"198.18.0.256\"\n", 6, "not an IPv4 or IPv6 address");
	expect_error(PKI POOL "tun-name = \"0123456789abcdef\"\n", 6, "tun-name:");
	expect_error(PKI POOL "tun-name = \"tun 0\"\n", 6, "tun-name:");
	expect_error(PKI POOL "tun-name = \"tun/0\"\n", 6, "tun-name:");
	expect_error(PKI POOL "tun-name = \"..\"\n", 6, "tun-name:");
	expect_error(PKI POOL "tun-name = \"\"\n", 6, "tun-name:");
	expect_error(PKI POOL "user = \"no-such-user-postern\"\n", 6,
		     "user: no such user 'no-such-user-postern'");
	/* A newline in a value must not break the one-problem-per-line form. */
	expect_error(PKI POOL "listen = \"a\\nb\"\n", 6, "'a?b'");
}

static void test_load_duplicate_key(void)
{
	expect_error(PKI POOL "port = 443\n# x\nport = 444\n", 8,
		     "port: set twice (first on line 6)");
}

static void test_load_missing_key(void)
{
	expect_error(PKI, 0, "missing required key 'ipv4-pool'");
	expect_error("ca-cert = \"pki/ca.crt\"\n" "server-cert = \"pki/server.crt\"\n"
		     "server-key = \"pki/server.key\"\n" POOL, 0, "missing required key 'crl'");
}

static void test_load_ipv6_rules(void)
{
	expect_error(PKI POOL "routes = { \"198.18.0.0/24\",\n\"fd00:5058::/48\" }\n", 7,
		     "routes: fd00:5058::/48 is an IPv6 route, which needs an ipv6-pool");
	expect_error(PKI POOL "mtu = 1279\n" "ipv6-pool = \"fd00:5057::/64\"\n", 6,
		     "mtu: 1279 is below 1280");
}

static void test_load_syntax(void)
{
	expect_error(PKI POOL "port 443\n", 6, "");
	expect_error(PKI POOL "tun-name = \"pst0\n", 6, "this string is never closed");
	expect_error(PKI POOL "/* port = 443\n", 6, "this comment is never closed");
	expect_error(PKI POOL "routes = { \"198.18.0.0/24\"\n", 7, "");
	expect_error(PKI POOL "tun-name = \"a\\9\"\n", 6, "");
	expect_error(PKI POOL "}\n", 6, "");
	write_bytes("bad.conf", PKI "x\0y = 1\n", sizeof(PKI) + 7, 0644);
	{
		struct gw_conf *c = NULL;
		char err[512], path[PATH_MAX];

		path_in(path, sizeof(path), "bad.conf");
		CHECK_EQ_INT(conf_gateway_load(path, &c, err, sizeof(err)), -EINVAL);
		CHECK(err_has(err, "bad.conf", 5, "NUL byte"));
	}
}

static void test_load_unreadable_config(void)
{
	struct gw_conf *c = (struct gw_conf *)1;
	char err[512], path[PATH_MAX];

	path_in(path, sizeof(path), "does-not-exist.conf");
	CHECK_EQ_INT(conf_gateway_load(path, &c, err, sizeof(err)), -ENOENT);
	CHECK(c == NULL);
	CHECK(err_has(err, "does-not-exist.conf", 0, "cannot open: No such file or directory"));
	CHECK_EQ_INT(err_lines(err), 1);
	path_in(path, sizeof(path), "pki");
	CHECK(conf_gateway_load(path, &c, err, sizeof(err)) < 0);
	CHECK(err_has(err, "pki", 0, "not a regular file"));
}

/* ---- collecting errors ---- */

static const char many_errors[] =
	"ca-cert = \"pki/missing.crt\"\n"	/* 1 */
	"crl = \"pki/crl.pem\"\n"
	"server-cert = \"pki/server.crt\"\n"
	"port = 0\n"				/* 4 */
	"ipv4-pool = \"198.18.100.1/24\"\n"	/* 5 */
	"tun-name = \"much-too-long-a-name\"\n"	/* 6 */
	"mtu = 100\n";				/* 7 */

static void test_load_collects_all(void)
{
	struct gw_conf *c = NULL;
	char err[4096];

	memset(err, 'X', sizeof(err));
	CHECK_EQ_INT(load("many.conf", many_errors, &c, err, sizeof(err)), -EINVAL);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	CHECK(err_has(err, "many.conf", 1, "ca-cert: cannot open"));
	CHECK(err_has(err, "many.conf", 4, "port: 0 is out of range"));
	CHECK(err_has(err, "many.conf", 5, "did you mean 198.18.100.0/24?"));
	CHECK(err_has(err, "many.conf", 6, "tun-name:"));
	CHECK(err_has(err, "many.conf", 7, "mtu: 100 is out of range"));
	CHECK(err_has(err, "many.conf", 0, "missing required key 'server-key'"));
	CHECK_EQ_INT(err_lines(err), 6);
	CHECK(err[strlen(err) - 1] != '\n');
}

/* A short buffer holds what fits and stays NUL-terminated; none is fine. */
static void test_load_err_truncated(void)
{
	struct gw_conf *c = NULL;
	char err[40], path[PATH_MAX];

	memset(err, 'X', sizeof(err));
	CHECK_EQ_INT(load("many.conf", many_errors, &c, err, 20), -EINVAL);
	CHECK_EQ_INT((int)strlen(err), 19);
	CHECK_EQ_INT(err[25], 'X');
	memset(err, 'X', sizeof(err));
	path_in(path, sizeof(path), "many.conf");
	CHECK_EQ_INT(conf_gateway_load(path, &c, err, 1), -EINVAL);
	CHECK_EQ_INT(err[0], '\0');
	CHECK_EQ_INT(err[1], 'X');
	CHECK_EQ_INT(conf_gateway_load(path, &c, NULL, 0), -EINVAL);
	CHECK(c == NULL);
	CHECK_EQ_INT(conf_gateway_load(path, NULL, err, sizeof(err)), -EINVAL);
}

/* A failed load leaves nothing behind in libconfuse's global lexer. */
static void test_load_after_failure(void)
{
	struct gw_conf *c = NULL;
	char err[1024];

	expect_error(PKI POOL "tun-name = \"a\\9 \"\nport = 1\n", 6, "");
	expect_error(PKI POOL "tun-name = 'open\n", 6, "never closed");
	CHECK_EQ_INT(load("after.conf", PKI POOL "port = 444\n", &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	CHECK(c && c->port == 444);
	conf_gateway_free(c);
}

/* ---- operations: metrics-listen, control-socket, reload ---- */

/* text parses to family, addr and port; out is zeroed when it does not. */
static bool hostport_is(const char *text, int family, const char *addr, unsigned int port)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	char got[INET6_ADDRSTRLEN] = "";

	memset(&ss, 0xa5, sizeof(ss));
	if (conf_hostport_parse(text, &ss) != 0) {
		printf("# '%s' refused\n", text);
		return false;
	}
	if (ss.ss_family != family)
		return false;
	if (family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, got, sizeof(got));
		return !strcmp(got, addr) && ntohs(sin->sin_port) == port;
	}
	inet_ntop(AF_INET6, &sin6->sin6_addr, got, sizeof(got));
	return !strcmp(got, addr) && ntohs(sin6->sin6_port) == port && sin6->sin6_scope_id == 0 &&
	       sin6->sin6_flowinfo == 0;
}

static void test_hostport_valid(void)
{
	CHECK(hostport_is("127.0.0.1:9187", AF_INET, "127.0.0.1", 9187));
	CHECK(hostport_is("[::1]:9187", AF_INET6, "::1", 9187));
	CHECK(hostport_is("0.0.0.0:1", AF_INET, "0.0.0.0", 1));
	CHECK(hostport_is("[::]:65535", AF_INET6, "::", 65535));
	CHECK(hostport_is("198.18.100.1:443", AF_INET, "198.18.100.1", 443));
	CHECK(hostport_is("[fd00:5057::1]:9187", AF_INET6, "fd00:5057::1", 9187));
	CHECK(hostport_is("[FD00:5057:0:0::1]:9187", AF_INET6, "fd00:5057::1", 9187));
	CHECK(hostport_is("[::ffff:127.0.0.1]:9187", AF_INET6, "::ffff:127.0.0.1", 9187));
}

static void test_hostport_invalid(void)
{
	static const char *const cases[] = {
		"", ":", ":9187", "127.0.0.1", "127.0.0.1:",		/* missing parts */
		"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:99999",	/* port range */
		"127.0.0.1:18446744073709551617", "127.0.0.1:-1", "127.0.0.1:+80",
		"127.0.0.1: 80", "127.0.0.1:0x50", "127.0.0.1:80 ", "127.0.0.1:80x",
		"127.0.0.1:80\n", "127.0.0.1:80:80", " 127.0.0.1:80", "127.0.0.1 :80",
		"127.0.0.1/8:80", "127.1:80", "127.0.0.256:80", "1.2.3.4.5:80",
		"[::1]", "[::1:9187", "[::1]9187", "::1]:9187", "::1:9187", "[::1]x:9187",
		"[[::1]]:9187", "[]:9187", "[127.0.0.1]:9187", "[fe80::1%lo]:9187", "[:::1]:80",
		"localhost:9187", "metrics.example.com:9187", "[localhost]:9187",
		"*:9187", "any:9187",
		"[1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd]:80",
	};
	struct sockaddr_storage ss;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&ss, 0xa5, sizeof(ss));
		if (conf_hostport_parse(cases[i], &ss) != -EINVAL) {
			printf("# accepted '%s'\n", cases[i]);
			CHECK(0);
		}
		CHECK_EQ_INT(ss.ss_family, 0);
	}
	{
		char long_host[300];

		memset(long_host, '1', sizeof(long_host));
		snprintf(long_host + 200, 100, ":9187");
		CHECK_EQ_INT(conf_hostport_parse(long_host, &ss), -EINVAL);
	}
}

static void make_dir(const char *name)
{
	char path[PATH_MAX];

	path_in(path, sizeof(path), name);
	CHECK(mkdir(path, 0700) == 0 || errno == EEXIST);
}

static void test_load_ops_keys(void)
{
	struct gw_conf *c = NULL;
	char err[1024], want[PATH_MAX];

	make_dir("run");
	CHECK_EQ_INT(load("ops.conf", PKI POOL "control-socket = \"run/postern.sock\"\n"
			  "metrics-listen = \"[::1]:9187\"\n", &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (c) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&c->metrics_addr;

		path_in(want, sizeof(want), "run/postern.sock");
		CHECK_EQ_STR(c->control_socket, want);
		CHECK_EQ_STR(c->metrics_listen, "[::1]:9187");
		CHECK_EQ_INT(c->metrics_addr.ss_family, AF_INET6);
		CHECK_EQ_INT(ntohs(sin6->sin6_port), 9187);
		CHECK(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	}
	conf_gateway_free(c);
	/* An absolute socket path is kept as it is; IPv4 metrics. */
	{
		char text[PATH_MAX + 512];

		snprintf(text, sizeof(text), PKI POOL "control-socket = \"%s/run/abs.sock\"\n"
			 "metrics-listen = \"127.0.0.1:9187\"\n", dir);
		c = NULL;
		CHECK_EQ_INT(load("ops.conf", text, &c, err, sizeof(err)), 0);
		path_in(want, sizeof(want), "run/abs.sock");
		CHECK(c && !strcmp(c->control_socket, want));
		CHECK(c && c->metrics_addr.ss_family == AF_INET);
		CHECK(c && ntohs(((const struct sockaddr_in *)&c->metrics_addr)->sin_port) == 9187);
		conf_gateway_free(c);
	}
	/* Both are optional. */
	c = NULL;
	CHECK_EQ_INT(load("ops.conf", PKI POOL, &c, err, sizeof(err)), 0);
	CHECK(c && c->control_socket == NULL && c->metrics_listen == NULL);
	CHECK(c && c->metrics_addr.ss_family == 0);
	conf_gateway_free(c);
}

static void test_load_ops_keys_bad(void)
{
	char want[PATH_MAX + 64];

	expect_error(PKI POOL "metrics-listen = \"localhost:9187\"\n", 6,
		     "metrics-listen: 'localhost:9187' is not ADDRESS:PORT");
	expect_error(PKI POOL "# c\nmetrics-listen = \"127.0.0.1:0\"\n", 7,
		     "metrics-listen: '127.0.0.1:0' is not ADDRESS:PORT");
	expect_error(PKI POOL "metrics-listen = \"::1:9187\"\n", 6, "is not ADDRESS:PORT");
	expect_error(PKI POOL "metrics-listen = \"\"\n", 6, "is not ADDRESS:PORT");
	expect_error(PKI POOL "metrics-listen = \"127.0.0.1:9187\"\n"
		     "metrics-listen = \"127.0.0.1:9188\"\n", 7, "set twice");
	snprintf(want, sizeof(want), "control-socket: directory %s/nodir does not exist", dir);
	expect_error(PKI POOL "control-socket = \"nodir/postern.sock\"\n", 6, want);
	snprintf(want, sizeof(want), "control-socket: directory %s/pki/server.crt does not exist",
		 dir);
	expect_error(PKI POOL "control-socket = \"pki/server.crt/postern.sock\"\n", 6, want);
	expect_error(PKI POOL "control-socket = \"\"\n", 6, "control-socket: empty file name");
	{
		char text[1024], name[160];

		memset(name, 'n', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		snprintf(text, sizeof(text), PKI POOL "control-socket = \"%s\"\n", name);
		expect_error(text, 6, "is longer than a socket path may be (107 bytes)");
	}
	/* Both wrong: both reported, each on its line. */
	{
		struct gw_conf *c = NULL;
		char err[2048];

		CHECK_EQ_INT(load("two.conf", PKI POOL "control-socket = \"nodir/s\"\n"
				  "metrics-listen = \"host:1\"\n", &c, err, sizeof(err)), -EINVAL);
		CHECK(err_has(err, "two.conf", 6, "control-socket: directory"));
		CHECK(err_has(err, "two.conf", 7, "metrics-listen: 'host:1'"));
		CHECK_EQ_INT(err_lines(err), 2);
	}
}

/* Every key that needs a restart differs between these two; so do the live ones. */
#define KEEP_A PKI POOL							\
	"control-socket = \"run/a.sock\"\n"				\
	"metrics-listen = \"127.0.0.1:9187\"\n"			\
	"routes = { \"198.18.0.0/24\" }\n"
#define KEEP_B								\
	"listen = \"127.0.0.1\"\n"					\
	"port = 8443\n"							\
	"ca-cert = \"pki/ca2.crt\"\n"					\
	"crl = \"pki/crl2.pem\"\n"					\
	"server-cert = \"pki/server2.crt\"\n"				\
	"server-key = \"pki/server2.key\"\n"				\
	"tun-name = \"pst1\"\n"						\
	"ipv4-pool = \"198.18.104.0/24\"\n"				\
	"ipv6-pool = \"fd00:5057::/64\"\n"				\
	"mtu = 1300\n"							\
	"user = \"root\"\n"						\
	"audit-log = \"audit.log\"\n"					\
	"control-socket = \"run/b.sock\"\n"				\
	"metrics-listen = \"[::1]:9188\"\n"				\
	"routes = { \"198.18.9.0/24\", \"fd00:9::/64\" }\n"		\
	"dpd = 10\n"							\
	"keepalive = 5\n"						\
	"idle-timeout = 60\n"						\
	"cookie-timeout = 60\n"						\
	"max-clients = 16\n"						\
	"policy = \"policy.conf\"\n"

/* No string is owned by both: freeing both must not free one twice. */
static bool conf_disjoint(const struct gw_conf *a, const struct gw_conf *b)
{
	const char *const as[] = { a->path, a->listen, a->ca_cert, a->crl, a->server_cert,
				   a->server_key, a->tun_name, a->user, a->policy, a->audit_log,
				   a->control_socket, a->metrics_listen };
	const char *const bs[] = { b->path, b->listen, b->ca_cert, b->crl, b->server_cert,
				   b->server_key, b->tun_name, b->user, b->policy, b->audit_log,
				   b->control_socket, b->metrics_listen };

	for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		for (size_t k = 0; k < sizeof(bs) / sizeof(bs[0]); k++) {
			if (as[i] && as[i] == bs[k])
				return false;
		}
	}
	return (void *)a->routes != (void *)b->routes || !a->routes;
}

static void test_keep(void)
{
	struct gw_conf *cur = NULL, *next = NULL;
	char err[2048], kept[512], want[PATH_MAX], buf[64];

	make_dir("run");
	write_file("pki/ca2.crt", "dummy\n", 0644);
	write_file("pki/crl2.pem", "dummy\n", 0644);
	write_file("pki/server2.crt", "dummy\n", 0644);
	write_file("pki/server2.key", "dummy\n", 0600);
	write_file("policy.conf", "dummy\n", 0644);
	CHECK_EQ_INT(load("a.conf", KEEP_A, &cur, err, sizeof(err)), 0);
	CHECK_EQ_INT(load("b.conf", KEEP_B, &next, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	if (!cur || !next)
		goto out;
	CHECK_EQ_INT(conf_gateway_keep(next, cur, kept, sizeof(kept)), 14);
	CHECK_EQ_STR(kept, "listen, port, ca-cert, crl, server-cert, server-key, tun-name, "
		     "ipv4-pool, ipv6-pool, mtu, user, audit-log, control-socket, metrics-listen");
	/* next describes what runs: the restart-only keys are the running ones... */
	CHECK_EQ_STR(next->listen, "0.0.0.0");
	CHECK_EQ_INT(next->port, 443);
	path_in(want, sizeof(want), "pki/ca.crt");
	CHECK_EQ_STR(next->ca_cert, want);
	path_in(want, sizeof(want), "pki/crl.pem");
	CHECK_EQ_STR(next->crl, want);
	path_in(want, sizeof(want), "pki/server.key");
	CHECK_EQ_STR(next->server_key, want);
	CHECK_EQ_STR(next->tun_name, "postern0");
	conf_cidr_format(&next->ipv4_pool, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "198.18.100.0/24");
	CHECK(!next->have_ipv6_pool);
	CHECK_EQ_INT(next->mtu, 1400);
	CHECK_EQ_STR(next->user, "postern");
	CHECK(next->user_default && !next->run_as_root);
	CHECK(next->audit_log == NULL);
	path_in(want, sizeof(want), "run/a.sock");
	CHECK_EQ_STR(next->control_socket, want);
	CHECK_EQ_STR(next->metrics_listen, "127.0.0.1:9187");
	CHECK_EQ_INT(next->metrics_addr.ss_family, AF_INET);
	/* ...and the live ones are the new file's. */
	CHECK_EQ_INT(next->n_routes, 2);
	if (next->n_routes) {
		conf_cidr_format(&next->routes[0], buf, sizeof(buf));
		CHECK_EQ_STR(buf, "198.18.9.0/24");
	}
	CHECK_EQ_INT(next->dpd, 10);
	CHECK_EQ_INT(next->keepalive, 5);
	CHECK_EQ_INT(next->idle_timeout, 60);
	CHECK_EQ_INT(next->cookie_timeout, 60);
	CHECK_EQ_INT(next->max_clients, 16);
	path_in(want, sizeof(want), "policy.conf");
	CHECK_EQ_STR(next->policy, want);
	path_in(want, sizeof(want), "b.conf");
	CHECK_EQ_STR(next->path, want);
	CHECK(conf_disjoint(next, cur));
out:
	conf_gateway_free(cur);
	conf_gateway_free(next);
}

static void test_keep_same_and_short(void)
{
	struct gw_conf *cur = NULL, *next = NULL;
	char err[2048], kept[10];

	make_dir("run");
	CHECK_EQ_INT(load("a.conf", KEEP_A "dpd = 5\n", &cur, err, sizeof(err)), 0);
	CHECK_EQ_INT(load("a2.conf", KEEP_A "dpd = 9\n", &next, err, sizeof(err)), 0);
	if (!cur || !next)
		goto out;
	/* Only live keys differ: nothing kept, nothing named. */
	memset(kept, 'X', sizeof(kept));
	CHECK_EQ_INT(conf_gateway_keep(next, cur, kept, sizeof(kept)), 0);
	CHECK_EQ_STR(kept, "");
	CHECK_EQ_INT(next->dpd, 9);
	CHECK(conf_disjoint(next, cur));
	conf_gateway_free(next);
	next = NULL;
	/* A short buffer is cut and stays a string; the count is whole. */
	CHECK_EQ_INT(load("b.conf", KEEP_B, &next, err, sizeof(err)), 0);
	if (!next)
		goto out;
	memset(kept, 'X', sizeof(kept));
	CHECK_EQ_INT(conf_gateway_keep(next, cur, kept, sizeof(kept)), 14);
	CHECK(memchr(kept, '\0', sizeof(kept)) != NULL);
	CHECK(!strncmp(kept, "listen", 6));
	CHECK(conf_disjoint(next, cur));
	/* With no buffer at all the running values are kept all the same. */
	conf_gateway_free(cur);
	conf_gateway_free(next);
	cur = next = NULL;
	CHECK_EQ_INT(load("a.conf", KEEP_A, &cur, err, sizeof(err)), 0);
	CHECK_EQ_INT(load("b.conf", KEEP_B, &next, err, sizeof(err)), 0);
	if (!cur || !next)
		goto out;
	CHECK_EQ_INT(conf_gateway_keep(next, cur, NULL, 0), 14);
	CHECK_EQ_INT(next->port, 443);
	CHECK_EQ_STR(next->tun_name, "postern0");
	CHECK(conf_disjoint(next, cur));
out:
	conf_gateway_free(cur);
	conf_gateway_free(next);
}

/* Reloads text written as dir/name. */
static int reload(const char *name, const char *text, struct gw_conf **c, char *err, size_t len)
{
	char path[PATH_MAX];

	write_file(name, text, 0644);
	path_in(path, sizeof(path), name);
	return conf_gateway_reload(path, c, err, len);
}

/*
 * A running gateway has dropped root and holds its key already: a reload
 * does not open the key (or the CA and server certificate), so their modes
 * and presence do not matter then; everything else is checked as at start.
 */
static void test_reload_skips_start_files(void)
{
	struct gw_conf *c = NULL;
	char err[2048];

	chmod_in("pki/server.key", 0644);
	CHECK_EQ_INT(load("r.conf", PKI POOL, &c, err, sizeof(err)), -EINVAL);
	CHECK(err_has(err, "r.conf", 4, "readable by group or others"));
	CHECK_EQ_INT(reload("r.conf", PKI POOL, &c, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	CHECK(c != NULL);
	conf_gateway_free(c);
	c = NULL;
	chmod_in("pki/server.key", 0000);
	CHECK_EQ_INT(reload("r.conf", PKI POOL, &c, err, sizeof(err)), 0);
	conf_gateway_free(c);
	c = NULL;
	chmod_in("pki/server.key", 0600);
	/* Missing start-only files do not stop a reload either. */
	CHECK_EQ_INT(reload("r.conf", "ca-cert = \"pki/gone.crt\"\n" "crl = \"pki/crl.pem\"\n"
			    "server-cert = \"pki/gone2.crt\"\n" "server-key = \"pki/gone.key\"\n" POOL,
			    &c, err, sizeof(err)), 0);
	conf_gateway_free(c);
	c = NULL;
	/* But the CRL is re-read on reload, so it must be there. */
	CHECK_EQ_INT(reload("r.conf", "ca-cert = \"pki/ca.crt\"\n" "crl = \"pki/gone.pem\"\n"
			    "server-cert = \"pki/server.crt\"\n" "server-key = \"pki/server.key\"\n"
			    POOL, &c, err, sizeof(err)), -EINVAL);
	CHECK(c == NULL);
	CHECK(err_has(err, "r.conf", 2, "crl: cannot open"));
	/* And so is everything else, with its line. */
	CHECK_EQ_INT(reload("r.conf", PKI POOL "metrics-listen = \"host:1\"\n"
			    "server-key = \"\"\n", &c, err, sizeof(err)), -EINVAL);
	CHECK(err_has(err, "r.conf", 6, "metrics-listen: 'host:1'"));
	CHECK(c == NULL);
	CHECK_EQ_INT(reload("r.conf", PKI POOL "port = 0\n", &c, err, sizeof(err)), -EINVAL);
	CHECK(err_has(err, "r.conf", 6, "port: 0 is out of range"));
	CHECK_EQ_INT(reload("r.conf", PKI, &c, err, sizeof(err)), -EINVAL);
	CHECK(err_has(err, "r.conf", 0, "missing required key 'ipv4-pool'"));
}

int main(void)
{
	RUN(test_cidr_valid);
	RUN(test_cidr_invalid);
	RUN(test_cidr_why);
	RUN(test_cidr_format);
	RUN(test_cidr_contains);
	if (fixture_setup()) {
		printf("not ok - fixture_setup: %s\n", strerror(errno));
		fixture_cleanup();
		return 1;
	}
	RUN(test_load_defaults);
	RUN(test_load_dtls);
	RUN(test_load_proxy);
	RUN(test_load_all_keys);
	RUN(test_load_relative_paths);
	RUN(test_load_comments);
	RUN(test_load_sample);
	RUN(test_load_unknown_key);
	RUN(test_load_bad_cidr);
	RUN(test_load_missing_file);
	RUN(test_load_missing_file_message);
	RUN(test_load_key_mode);
	RUN(test_load_numbers);
	RUN(test_load_strings);
	RUN(test_load_duplicate_key);
	RUN(test_load_missing_key);
	RUN(test_load_ipv6_rules);
	RUN(test_load_syntax);
	RUN(test_load_unreadable_config);
	RUN(test_load_collects_all);
	RUN(test_load_err_truncated);
	RUN(test_load_after_failure);
	RUN(test_hostport_valid);
	RUN(test_hostport_invalid);
	RUN(test_load_ops_keys);
	RUN(test_load_ops_keys_bad);
	RUN(test_keep);
	RUN(test_keep_same_and_short);
	RUN(test_reload_skips_start_files);
	fixture_cleanup();
	UNIT_EXIT();
}
