/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of conf/: the strict CIDR parser, formatter and membership test,
 * and the gateway configuration loader. The loader cases write small config
 * files and dummy PKI files (the loader only checks that they exist, are
 * readable regular files and, for the key, private) into a temporary
 * directory, and check the values and defaults of good files and, for bad
 * ones, that every problem is reported as FILE:LINE with a telling message.
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
	CHECK(c->user == NULL);
	conf_gateway_free(c);
	conf_gateway_free(NULL);
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
	CHECK_EQ_STR(c->user, "root");
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
	fixture_cleanup();
	UNIT_EXIT();
}
