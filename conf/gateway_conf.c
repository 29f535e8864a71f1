/* SPDX-License-Identifier: MIT */
/*
 * The gateway configuration loader: one libconfuse option table, a check per
 * key run while the file is parsed (so it knows the line), checks that span
 * keys run after it, then a plain struct gw_conf built from the result. Every
 * problem is collected as "FILE:LINE: message" into the caller's buffer and
 * nothing is printed; a file with any problem yields no configuration at all,
 * so a bad edit can never replace a running one. Adding a key takes a line in
 * conf_opts, a check in conf_checks or a range in conf_ranges, and a line in
 * conf_build_*. Reading, comment blanking and error collection are shared
 * with the policy loader (conf/confuse_load.c).
 */
#include "conf/conf.h"
#include "conf/confuse_load.h"

#include <arpa/inet.h>
#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/file.h"
#include "common/macros.h"
#include "common/number.h"

#define CONF_IPV6_MIN_MTU 1280

/* A route as parsed, with its line for the checks made after the parse. */
struct conf_route {
	struct conf_cidr cidr;
	int line;
};

static const struct conf_range conf_ranges[] = {
	{ "port", 1, 65535 },
	{ "udp-port", 0, 65535 },
	{ "mtu", 576, 9000 },
	{ "dpd", 1, 3600 },
	{ "keepalive", 0, 3600 },
	{ "idle-timeout", 0, 604800 },
	{ "cookie-timeout", 10, 86400 },
	{ "max-clients", 1, 65536 },
	{ "max-pending", 0, 65536 },
	{ "max-pending-per-source", 0, 65536 },
	{ "workers", 0, 64 },
};

static const char *const conf_required[] = {
	"ca-cert", "crl", "server-cert", "server-key", "ipv4-pool",
};

/* ---- checks of one value ---- */
/*
 * Every check reports through conf_err_opt and returns 0: a non-zero return
 * would stop libconfuse at the first bad value, and the user should see every
 * problem of the file in one run.
 */

static int conf_check_listen(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = conf_str(opt);
	uint8_t addr[16];

	conf_note(cfg, opt);
	if (inet_pton(AF_INET, s, addr) != 1 && inet_pton(AF_INET6, s, addr) != 1)
		conf_err_opt(cfg, opt, "listen: '%s' is not an IPv4 or IPv6 address", s);
	return 0;
}

static char *conf_path_of(cfg_t *cfg, cfg_opt_t *opt)
{
	char *abs;

	if (!conf_str(opt)[0]) {
		conf_err_opt(cfg, opt, "%s: empty file name", opt->name);
		return NULL;
	}
	abs = conf_path_abs(conf_cur->dir, conf_str(opt));
	if (!abs)
		conf_err_opt(cfg, opt, "%s: out of memory", opt->name);
	return abs;
}

/* stat comes before open so that a device node named by mistake is never
 * opened; the open proves the file is readable by us, not just present. */
static int conf_file_probe(cfg_t *cfg, cfg_opt_t *opt, const char *abs, struct stat *st)
{
	int fd;

	if (cm_file_stat(abs, st) == 0 && !S_ISREG(st->st_mode)) {
		conf_err_opt(cfg, opt, "%s: %s is not a regular file", opt->name, abs);
		return -EINVAL;
	}
	fd = cm_file_open(abs);
	if (fd < 0) {
		int e = -fd;

		conf_err_opt(cfg, opt, "%s: cannot open %s: %s", opt->name, abs, strerror(e));
		return -e;
	}
	close(fd);
	return 0;
}

static int conf_check_file(cfg_t *cfg, cfg_opt_t *opt)
{
	struct stat st;
	char *abs;

	conf_note(cfg, opt);
	abs = conf_path_of(cfg, opt);
	if (abs)
		conf_file_probe(cfg, opt, abs, &st);
	free(abs);
	return 0;
}

/* A private key others can read is as good as published; one others can
 * write can be swapped. Same rule as OpenIKED's check_file_secrecy. */
static void conf_check_secrecy(cfg_t *cfg, cfg_opt_t *opt, const char *abs, mode_t mode)
{
	if (mode & (S_IRGRP | S_IROTH))
		conf_err_opt(cfg, opt, "%s: %s is readable by group or others (chmod 600 it)",
			     opt->name, abs);
	else if (mode & (S_IWGRP | S_IWOTH))
		conf_err_opt(cfg, opt, "%s: %s is writable by group or others (chmod 600 it)",
			     opt->name, abs);
}

static void conf_check_parent_dir(cfg_t *cfg, cfg_opt_t *opt, char *abs)
{
	char *slash = strrchr(abs, '/');
	struct stat st;

	*slash = '\0';
	if (cm_file_stat(abs[0] ? abs : "/", &st) != 0 || !S_ISDIR(st.st_mode))
		conf_err_opt(cfg, opt, "%s: directory %s does not exist", opt->name, abs[0] ? abs : "/");
	*slash = '/';
}

/* The audit log is created at start if missing, so only its directory must exist. */
static int conf_check_audit_log(cfg_t *cfg, cfg_opt_t *opt)
{
	char *abs;

	conf_note(cfg, opt);
	abs = conf_path_of(cfg, opt);
	if (abs)
		conf_check_parent_dir(cfg, opt, abs);
	free(abs);
	return 0;
}

/* The CA and the server certificate and key are read once, at start. */
static int conf_check_start_file(cfg_t *cfg, cfg_opt_t *opt)
{
	if (conf_cur->running) {
		conf_note(cfg, opt);
		free(conf_path_of(cfg, opt));
		return 0;
	}
	return conf_check_file(cfg, opt);
}

/* The control socket is created at start (an old one is replaced): only its
 * directory must exist, and the path must fit a Unix socket address. */
static int conf_check_socket(cfg_t *cfg, cfg_opt_t *opt)
{
	struct sockaddr_un sun;
	char *abs;

	conf_note(cfg, opt);
	abs = conf_path_of(cfg, opt);
	if (abs && strlen(abs) >= sizeof(sun.sun_path))
		conf_err_opt(cfg, opt, "%s: %s is longer than a socket path may be (%zu bytes)",
			     opt->name, abs, sizeof(sun.sun_path) - 1);
	else if (abs)
		conf_check_parent_dir(cfg, opt, abs);
	free(abs);
	return 0;
}

static int conf_check_hostport(cfg_t *cfg, cfg_opt_t *opt)
{
	struct sockaddr_storage ss;

	conf_note(cfg, opt);
	if (conf_hostport_parse(conf_str(opt), &ss))
		conf_err_opt(cfg, opt, "%s: '%s' is not ADDRESS:PORT (127.0.0.1:9187, [::1]:9187)",
			     opt->name, conf_str(opt));
	return 0;
}

static int conf_check_key(cfg_t *cfg, cfg_opt_t *opt)
{
	struct stat st;
	char *abs;

	if (conf_cur->running)
		return conf_check_start_file(cfg, opt);
	conf_note(cfg, opt);
	abs = conf_path_of(cfg, opt);
	if (abs && conf_file_probe(cfg, opt, abs, &st) == 0)
		conf_check_secrecy(cfg, opt, abs, st.st_mode);
	free(abs);
	return 0;
}

/* What the kernel takes as a device name, minus what would need quoting in
 * logs and scripts: 1..15 of [A-Za-z0-9_.-], and not "." or "..". */
static bool conf_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") == n;
}

static int conf_check_tun_name(cfg_t *cfg, cfg_opt_t *opt)
{
	conf_note(cfg, opt);
	if (!conf_ifname_ok(conf_str(opt)))
		conf_err_opt(cfg, opt, "tun-name: '%s' is not 1..15 characters of "
			     "A-Z a-z 0-9 _ . -", conf_str(opt));
	return 0;
}

static int conf_check_pool(cfg_t *cfg, cfg_opt_t *opt, int family, unsigned int min,
			   unsigned int max)
{
	const char *s = conf_str(opt), *fam = family == AF_INET ? "IPv4" : "IPv6";
	char why[CONF_WHY_MAX];
	struct conf_cidr c;

	conf_note(cfg, opt);
	if (conf_cidr_parse_why(s, &c, why, sizeof(why)))
		conf_err_opt(cfg, opt, "%s: '%s': %s", opt->name, s, why);
	else if (c.family != family)
		conf_err_opt(cfg, opt, "%s: '%s' is not an %s prefix", opt->name, s, fam);
	else if (c.prefix < min || c.prefix > max)
		conf_err_opt(cfg, opt, "%s: '%s': an %s pool needs a prefix length of %u..%u",
			     opt->name, s, fam, min, max);
	return 0;
}

static int conf_check_pool4(cfg_t *cfg, cfg_opt_t *opt)
{
	return conf_check_pool(cfg, opt, AF_INET, 8, 30);
}

static int conf_check_pool6(cfg_t *cfg, cfg_opt_t *opt)
{
	return conf_check_pool(cfg, opt, AF_INET6, 48, 126);
}

static int conf_user_lookup(const char *name)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int ret;

	ret = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (ret)
		return -ret;
	return res ? 0 : -ENOENT;
}

/* The user is looked up now so that a typo fails `posternd -t`, not the
 * privilege drop after the daemon has already set up the tunnel. A reload
 * keeps the user the gateway runs as, and its sandbox has no user database
 * to look in: nothing to check then. */
static int conf_check_user(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = conf_str(opt);
	int ret;

	conf_note(cfg, opt);
	if (conf_cur->running)
		return 0;
	ret = s[0] ? conf_user_lookup(s) : -ENOENT;
	if (ret == -ENOENT)
		conf_err_opt(cfg, opt, "user: no such user '%s'", s);
	else if (ret)
		conf_err_opt(cfg, opt, "user: cannot look up '%s': %s", s, strerror(-ret));
	return 0;
}

static const struct conf_check conf_checks[] = {
	{ "listen", conf_check_listen },
	{ "ca-cert", conf_check_start_file },
	{ "crl", conf_check_file },
	{ "server-cert", conf_check_start_file },
	{ "server-key", conf_check_key },
	{ "tun-name", conf_check_tun_name },
	{ "ipv4-pool", conf_check_pool4 },
	{ "ipv6-pool", conf_check_pool6 },
	{ "user", conf_check_user },
	{ "policy", conf_check_file },
	{ "audit-log", conf_check_audit_log },
	{ "control-socket", conf_check_socket },
	{ "metrics-listen", conf_check_hostport },
};

/* ---- value parsers (libconfuse calls them once per value) ---- */

/*
 * Routes are parsed per element here rather than checked by a validator:
 * libconfuse calls a list's validator after each element and again at the
 * closing brace, so a validator would report a bad route twice. A bad route
 * is stored as NULL; the load fails anyway.
 */
static int conf_parse_route(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	struct conf_route *r = NULL;
	char why[CONF_WHY_MAX];
	struct conf_cidr c;

	conf_note(cfg, opt);
	if (conf_cidr_parse_why(value ? value : "", &c, why, sizeof(why)))
		conf_err_opt(cfg, opt, "%s: '%s': %s", opt->name, value ? value : "", why);
	else if (!(r = malloc(sizeof(*r))))
		conf_err_opt(cfg, opt, "%s: out of memory", opt->name);
	else
		*r = (struct conf_route){ .cidr = c, .line = cfg->line };
	*(void **)result = r;
	return 0;
}

/* Required keys have no default (CFGF_NODEFAULT): unset, their size is 0. */
static cfg_opt_t conf_opts[] = {
	CFG_STR("listen", "0.0.0.0", CFGF_NONE),
	CFG_INT_CB("port", 443, CFGF_NONE, conf_parse_uint),
	CFG_BOOL_CB("dtls", cfg_true, CFGF_NONE, conf_parse_bool),
	CFG_INT_CB("udp-port", 0, CFGF_NONE, conf_parse_uint),
	CFG_STR("ca-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("crl", NULL, CFGF_NODEFAULT),
	CFG_STR("server-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("server-key", NULL, CFGF_NODEFAULT),
	CFG_STR("tun-name", "postern0", CFGF_NONE),
	CFG_STR("ipv4-pool", NULL, CFGF_NODEFAULT),
	CFG_STR("ipv6-pool", NULL, CFGF_NODEFAULT),
	CFG_PTR_LIST_CB("routes", NULL, CFGF_NONE, conf_parse_route, free),
	CFG_BOOL_CB("proxy-protocol", cfg_false, CFGF_NONE, conf_parse_bool),
	CFG_PTR_LIST_CB("proxy-trusted", NULL, CFGF_NONE, conf_parse_route, free),
	CFG_INT_CB("mtu", 1400, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("dpd", 30, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("keepalive", 20, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("idle-timeout", 0, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("cookie-timeout", 300, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("max-clients", 1024, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("max-pending", 256, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("max-pending-per-source", 32, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("workers", 0, CFGF_NONE, conf_parse_uint),
	CFG_STR("user", NULL, CFGF_NODEFAULT),
	CFG_STR("policy", NULL, CFGF_NODEFAULT),
	CFG_STR("audit-log", NULL, CFGF_NODEFAULT),
	CFG_STR("control-socket", NULL, CFGF_NODEFAULT),
	CFG_STR("metrics-listen", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static const struct conf_schema conf_schema = {
	.opts = conf_opts,
	.checks = conf_checks,
	.n_checks = CM_ARRAY_SIZE(conf_checks),
	.ranges = conf_ranges,
	.n_ranges = CM_ARRAY_SIZE(conf_ranges),
};

/* ---- checks across keys, after the parse ---- */

static void conf_check_required(struct conf_load *ld, cfg_t *cfg)
{
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(conf_required); i++) {
		if (cfg_size(cfg, conf_required[i]) == 0)
			conf_err(ld, 0, "missing required key '%s'", conf_required[i]);
	}
}

/* A client cannot use an IPv6 route without an IPv6 address of its own. */
static void conf_check_ipv6_routes(struct conf_load *ld, cfg_t *cfg)
{
	const struct conf_route *r;
	char text[INET6_ADDRSTRLEN + 5];
	unsigned int i;

	if (cfg_size(cfg, "ipv6-pool"))
		return;
	for (i = 0; i < cfg_size(cfg, "routes"); i++) {
		r = cfg_getnptr(cfg, "routes", i);
		if (!r || r->cidr.family != AF_INET6)
			continue;
		conf_cidr_format(&r->cidr, text, sizeof(text));
		conf_err(ld, r->line, "routes: %s is an IPv6 route, which needs an ipv6-pool", text);
	}
}

/* IPv6 refuses links with an MTU below 1280 (RFC 8200, section 5). */
static void conf_check_ipv6_mtu(struct conf_load *ld, cfg_t *cfg)
{
	long mtu = cfg_getint(cfg, "mtu");

	if (conf_key_bad(&ld->top, cfg, "mtu") || !cfg_size(cfg, "ipv6-pool") ||
	    mtu >= CONF_IPV6_MIN_MTU)
		return;
	conf_err(ld, conf_key_line(&ld->top, cfg, "mtu"),
		 "mtu: %ld is below %d, the IPv6 minimum, and an ipv6-pool is set", mtu,
		 CONF_IPV6_MIN_MTU);
}

static void conf_check_across(struct conf_load *ld, cfg_t *cfg)
{
	conf_check_required(ld, cfg);
	conf_check_ipv6_routes(ld, cfg);
	if (cfg_size(cfg, "routes") > CONF_ROUTES_MAX)
		conf_err(ld, 0, "routes: %u prefixes, more than the %d a client can be sent",
			 cfg_size(cfg, "routes"), CONF_ROUTES_MAX);
	conf_check_ipv6_mtu(ld, cfg);
	if (cfg_getbool(cfg, "proxy-protocol") && !cfg_size(cfg, "proxy-trusted"))
		conf_err(ld, conf_key_line(&ld->top, cfg, "proxy-protocol"),
			 "proxy-protocol = true needs proxy-trusted: the load balancers' "
			 "addresses, the only ones whose PROXY header is believed");
}

/* ---- building struct gw_conf from a file that passed every check ---- */

static int conf_dup_path(const struct conf_load *ld, char **dst, const char *name)
{
	*dst = conf_path_abs(ld->dir, name);
	return *dst ? 0 : -ENOMEM;
}

/* An optional file: NULL when the key is not set. */
static int conf_dup_opt_path(const struct conf_load *ld, cfg_t *cfg, char **dst, const char *key)
{
	if (!cfg_size(cfg, key))
		return 0;
	return conf_dup_path(ld, dst, cfg_getstr(cfg, key));
}

static int conf_build_strings(const struct conf_load *ld, cfg_t *cfg, struct gw_conf *c)
{
	if (conf_dup_path(ld, &c->path, ld->base) ||
	    conf_dup(&c->listen, cfg_getstr(cfg, "listen")) ||
	    conf_dup_path(ld, &c->ca_cert, cfg_getstr(cfg, "ca-cert")) ||
	    conf_dup_path(ld, &c->crl, cfg_getstr(cfg, "crl")) ||
	    conf_dup_path(ld, &c->server_cert, cfg_getstr(cfg, "server-cert")) ||
	    conf_dup_path(ld, &c->server_key, cfg_getstr(cfg, "server-key")) ||
	    conf_dup(&c->tun_name, cfg_getstr(cfg, "tun-name")) ||
	    conf_dup(&c->user, cfg_getstr(cfg, "user")) ||
	    conf_dup_opt_path(ld, cfg, &c->policy, "policy") ||
	    conf_dup_opt_path(ld, cfg, &c->audit_log, "audit-log") ||
	    conf_dup_opt_path(ld, cfg, &c->control_socket, "control-socket"))
		return -ENOMEM;
	if (!c->user) {
		if (conf_dup(&c->user, CONF_DEFAULT_USER))
			return -ENOMEM;
		c->user_default = true;
	} else if (!strcmp(c->user, "root")) {
		free(c->user);
		c->user = NULL;
		c->run_as_root = true;
	}
	if (cfg_size(cfg, "metrics-listen") &&
	    (conf_dup(&c->metrics_listen, cfg_getstr(cfg, "metrics-listen")) ||
	     conf_hostport_parse(c->metrics_listen, &c->metrics_addr)))
		return -ENOMEM;
	return 0;
}

/* The pools are parsed again (cheap) rather than kept from the checks, which
 * may run more than once per key. */
static int conf_build_nets(cfg_t *cfg, struct gw_conf *c)
{
	const struct conf_route *r;
	size_t i, n = cfg_size(cfg, "routes");

	if (conf_cidr_parse(cfg_getstr(cfg, "ipv4-pool"), &c->ipv4_pool))
		return -EINVAL;
	c->have_ipv6_pool = cfg_size(cfg, "ipv6-pool") > 0;
	if (c->have_ipv6_pool && conf_cidr_parse(cfg_getstr(cfg, "ipv6-pool"), &c->ipv6_pool))
		return -EINVAL;
	if (n && !(c->routes = calloc(n, sizeof(*c->routes))))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		r = cfg_getnptr(cfg, "routes", (unsigned int)i);
		if (!r)
			return -EINVAL;
		c->routes[c->n_routes++] = r->cidr;
	}
	n = cfg_size(cfg, "proxy-trusted");
	if (n && !(c->proxy_trusted = calloc(n, sizeof(*c->proxy_trusted))))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		r = cfg_getnptr(cfg, "proxy-trusted", (unsigned int)i);
		if (!r)
			return -EINVAL;
		c->proxy_trusted[c->n_proxy_trusted++] = r->cidr;
	}
	return 0;
}

/* Every value is within its range here, so the casts cannot truncate. */
static void conf_build_numbers(cfg_t *cfg, struct gw_conf *c)
{
	c->port = (uint16_t)cfg_getint(cfg, "port");
	c->dtls = cfg_getbool(cfg, "dtls");
	c->proxy_protocol = cfg_getbool(cfg, "proxy-protocol");
	c->udp_port = (uint16_t)cfg_getint(cfg, "udp-port");
	c->mtu = (unsigned int)cfg_getint(cfg, "mtu");
	c->dpd = (unsigned int)cfg_getint(cfg, "dpd");
	c->keepalive = (unsigned int)cfg_getint(cfg, "keepalive");
	c->idle_timeout = (unsigned int)cfg_getint(cfg, "idle-timeout");
	c->cookie_timeout = (unsigned int)cfg_getint(cfg, "cookie-timeout");
	c->max_clients = (unsigned int)cfg_getint(cfg, "max-clients");
	c->max_pending = (unsigned int)cfg_getint(cfg, "max-pending");
	c->max_pending_per_source = (unsigned int)cfg_getint(cfg, "max-pending-per-source");
	c->workers = (unsigned int)cfg_getint(cfg, "workers");
}

static int conf_build(struct conf_load *ld, cfg_t *cfg, struct gw_conf **out)
{
	struct gw_conf *c = calloc(1, sizeof(*c));
	int ret = c ? 0 : -ENOMEM;

	if (!ret)
		ret = conf_build_strings(ld, cfg, c);
	if (!ret)
		ret = conf_build_nets(cfg, c);
	if (ret) {
		conf_gateway_free(c);
		conf_err(ld, 0, "cannot build the configuration: %s", strerror(-ret));
		return ret;
	}
	conf_build_numbers(cfg, c);
	*out = c;
	return 0;
}

/* ---- the interface ---- */

static int conf_gateway_read(const char *path, bool running, struct gw_conf **out, char *err,
			     size_t errlen)
{
	struct conf_load ld = { .path = path ? path : "", .err = err, .errlen = errlen,
				.running = running };
	char *text = NULL;
	size_t len = 0;
	cfg_t *cfg = NULL;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	ret = conf_load_read(&ld, CONF_FILE_MAX, &text, &len);
	if (!ret)
		ret = conf_load_parse(&ld, &conf_schema, text, len, &cfg);
	if (!ret)
		conf_check_across(&ld, cfg);
	if (!ret && ld.n_errors)
		ret = -EINVAL;
	if (!ret)
		ret = conf_build(&ld, cfg, out);
	cfg_free(cfg);
	free(text);
	conf_load_done(&ld);
	return ret;
}

int conf_gateway_load(const char *path, struct gw_conf **out, char *err, size_t errlen)
{
	return conf_gateway_read(path, false, out, err, errlen);
}

int conf_gateway_reload(const char *path, struct gw_conf **out, char *err, size_t errlen)
{
	return conf_gateway_read(path, true, out, err, errlen);
}

int conf_hostport_parse(const char *text, struct sockaddr_storage *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
	const char *colon = strrchr(text, ':'), *host = text, *port_text;
	char addr[INET6_ADDRSTRLEN + 2];
	size_t hlen = colon ? (size_t)(colon - text) : 0;
	uint64_t port;

	memset(out, 0, sizeof(*out));
	if (colon) {
		port_text = colon + 1;
	} else {
		/* A port alone: the loopback address, so metrics stay local by default. */
		port_text = text;
		host = "127.0.0.1";
		hlen = strlen(host);
	}
	/* A number like every number in the file (common/number.h). */
	if (!hlen || hlen >= sizeof(addr) || cm_number_parse(port_text, 1, 65535, &port))
		return -EINVAL;
	if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']')
			return -EINVAL;
		memcpy(addr, host + 1, hlen - 2);
		addr[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	memcpy(addr, host, hlen);
	addr[hlen] = '\0';
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		return -EINVAL;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return 0;
}

static bool conf_str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

struct conf_kept {
	char *buf;
	size_t len, used;
	unsigned int n;
};

static void conf_kept_note(struct conf_kept *k, bool same, const char *key)
{
	int n;

	if (same)
		return;
	k->n++;
	if (!k->len || k->used >= k->len)
		return;
	n = snprintf(k->buf + k->used, k->len - k->used, "%s%s", k->used ? ", " : "", key);
	if (n > 0)
		k->used += (size_t)n;
}

/* A string kept from the running configuration; the other one is freed with next's old value. */
static void conf_keep_str(struct conf_kept *k, char **next, char **cur, const char *key)
{
	char *t;

	conf_kept_note(k, conf_str_eq(*next, *cur), key);
	t = *next;
	*next = *cur;
	*cur = t;
}

unsigned int conf_gateway_keep(struct gw_conf *next, struct gw_conf *cur, char *kept, size_t len)
{
	struct conf_kept k = { kept, len, 0, 0 };

	if (kept && len)
		kept[0] = '\0';
	conf_keep_str(&k, &next->listen, &cur->listen, "listen");
	conf_kept_note(&k, next->port == cur->port, "port");
	next->port = cur->port;
	conf_kept_note(&k, next->dtls == cur->dtls, "dtls");
	next->dtls = cur->dtls;
	conf_kept_note(&k, next->proxy_protocol == cur->proxy_protocol, "proxy-protocol");
	next->proxy_protocol = cur->proxy_protocol;
	conf_kept_note(&k, next->udp_port == cur->udp_port, "udp-port");
	next->udp_port = cur->udp_port;
	conf_kept_note(&k, next->workers == cur->workers, "workers");
	next->workers = cur->workers;
	conf_keep_str(&k, &next->ca_cert, &cur->ca_cert, "ca-cert");
	conf_keep_str(&k, &next->crl, &cur->crl, "crl");
	conf_keep_str(&k, &next->server_cert, &cur->server_cert, "server-cert");
	conf_keep_str(&k, &next->server_key, &cur->server_key, "server-key");
	conf_keep_str(&k, &next->tun_name, &cur->tun_name, "tun-name");
	conf_kept_note(&k, conf_cidr_eq(&next->ipv4_pool, &cur->ipv4_pool), "ipv4-pool");
	next->ipv4_pool = cur->ipv4_pool;
	conf_kept_note(&k, next->have_ipv6_pool == cur->have_ipv6_pool &&
		       (!cur->have_ipv6_pool || conf_cidr_eq(&next->ipv6_pool, &cur->ipv6_pool)),
		       "ipv6-pool");
	next->have_ipv6_pool = cur->have_ipv6_pool;
	next->ipv6_pool = cur->ipv6_pool;
	conf_kept_note(&k, next->mtu == cur->mtu, "mtu");
	next->mtu = cur->mtu;
	conf_keep_str(&k, &next->user, &cur->user, "user");
	next->user_default = cur->user_default;
	next->run_as_root = cur->run_as_root;
	conf_keep_str(&k, &next->audit_log, &cur->audit_log, "audit-log");
	conf_keep_str(&k, &next->control_socket, &cur->control_socket, "control-socket");
	conf_keep_str(&k, &next->metrics_listen, &cur->metrics_listen, "metrics-listen");
	next->metrics_addr = cur->metrics_addr;
	return k.n;
}

void conf_gateway_free(struct gw_conf *conf)
{
	if (!conf)
		return;
	free(conf->path);
	free(conf->listen);
	free(conf->ca_cert);
	free(conf->crl);
	free(conf->server_cert);
	free(conf->server_key);
	free(conf->tun_name);
	free(conf->routes);
	free(conf->proxy_trusted);
	free(conf->user);
	free(conf->policy);
	free(conf->audit_log);
	free(conf->control_socket);
	free(conf->metrics_listen);
	free(conf);
}
