/* SPDX-License-Identifier: MIT */
/*
 * The gateway configuration loader: one libconfuse option table, a check per
 * key run while the file is parsed (so it knows the line), checks that span
 * keys run after it, then a plain struct gw_conf built from the result. Every
 * problem is collected as "FILE:LINE: message" into the caller's buffer and
 * nothing is printed; a file with any problem yields no configuration at all,
 * so a bad edit can never replace a running one. Adding a key takes a line in
 * conf_opts, a check in conf_checks or a range in conf_ranges, and a line in
 * conf_build_*.
 */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A gateway config is a few kilobytes; anything near this is a mistake. */
#define CONF_FILE_MAX (1024 * 1024)
#define CONF_MSG_MAX 512
#define CONF_WHY_MAX 128
#define CONF_KEYS_MAX 32
/* Decimal values saturate here while being read; ranges catch the rest. */
#define CONF_DECIMAL_CAP 1000000000000UL
#define CONF_IPV6_MIN_MTU 1280
/* The comment pass's mark for a string or block comment that never ends. */
#define CONF_UNCLOSED SIZE_MAX
#define CONF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The state of one load. */
struct conf_load {
	const char *path;		/* as given: every message starts with it */
	const char *base;		/* its last component */
	char *dir;			/* realpath of its directory: relative names start here */
	char *err;			/* the caller's buffer, always NUL-terminated */
	size_t errlen;
	size_t used;
	unsigned int n_errors;
	int line[CONF_KEYS_MAX];	/* where each key was set (by option index), 0 = not set */
	bool bad[CONF_KEYS_MAX];	/* its value was refused: no check across keys uses it */
};

/*
 * libconfuse's callbacks carry no user pointer, so they find the load in
 * progress here. libconfuse's lexer is itself a global, so two loads must not
 * run at the same time in one process (the daemon loads from its main thread);
 * thread-local merely keeps a load in another thread from writing into this
 * one's buffer.
 */
static _Thread_local struct conf_load *conf_cur;

/* A route as parsed, with its line for the checks made after the parse. */
struct conf_route {
	struct conf_cidr cidr;
	int line;
};

struct conf_range {
	const char *key;
	unsigned long min, max;
};

static const struct conf_range conf_ranges[] = {
	{ "port", 1, 65535 },
	{ "mtu", 576, 9000 },
	{ "dpd", 1, 3600 },
	{ "keepalive", 0, 3600 },
	{ "idle-timeout", 0, 604800 },
	{ "cookie-timeout", 10, 86400 },
	{ "max-clients", 1, 65536 },
};

static const char *const conf_required[] = {
	"ca-cert", "crl", "server-cert", "server-key", "ipv4-pool",
};

/* ---- collecting errors ---- */

/* A control character (a newline inside a quoted value) would break the
 * one-problem-per-line format that scripts and people read. */
static void conf_msg_clean(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

/* Appends one line; when the buffer is full the rest is dropped, never
 * overrun, and the buffer stays NUL-terminated. */
static void conf_err_append(struct conf_load *ld, int line, const char *msg)
{
	const char *sep = ld->used ? "\n" : "";
	size_t room;
	int n;

	if (!ld->err || ld->used + 1 >= ld->errlen)
		return;
	room = ld->errlen - ld->used;
	if (line > 0)
		n = snprintf(ld->err + ld->used, room, "%s%s:%d: %s", sep, ld->path, line, msg);
	else
		n = snprintf(ld->err + ld->used, room, "%s%s: %s", sep, ld->path, msg);
	if (n > 0)
		ld->used += (size_t)n < room ? (size_t)n : room - 1;
}

__attribute__((format(printf, 3, 0)))
static void conf_err_v(struct conf_load *ld, int line, const char *fmt, va_list ap)
{
	char msg[CONF_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	conf_msg_clean(msg);
	ld->n_errors++;
	conf_err_append(ld, line, msg);
}

/* line 0 means the problem has no line (a missing key, an unreadable file). */
__attribute__((format(printf, 3, 4)))
static void conf_err(struct conf_load *ld, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_err_v(ld, line, fmt, ap);
	va_end(ap);
}

/* libconfuse's own errors (syntax, unknown key) arrive here, with its line. */
__attribute__((format(printf, 2, 0)))
static void conf_confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	if (conf_cur)
		conf_err_v(conf_cur, cfg ? cfg->line : 0, fmt, ap);
}

/* ---- per-key bookkeeping, from inside the parse ---- */

static int conf_opt_index(cfg_t *cfg, const cfg_opt_t *opt)
{
	int i;

	for (i = 0; i < CONF_KEYS_MAX && cfg->opts[i].name; i++) {
		if (&cfg->opts[i] == opt)
			return i;
	}
	return -1;
}

/* An error about the value of the key being parsed, at the current line. */
__attribute__((format(printf, 3, 4)))
static void conf_err_opt(cfg_t *cfg, cfg_opt_t *opt, const char *fmt, ...)
{
	int i = conf_opt_index(cfg, opt);
	va_list ap;

	if (i >= 0)
		conf_cur->bad[i] = true;
	va_start(ap, fmt);
	conf_err_v(conf_cur, cfg->line, fmt, ap);
	va_end(ap);
}

/* Remembers where a key is set. A scalar key set twice is refused: libconfuse
 * would keep the second value silently, and the first was meant too. */
static void conf_note(cfg_t *cfg, cfg_opt_t *opt)
{
	int i = conf_opt_index(cfg, opt);

	if (i < 0)
		return;
	if (conf_cur->line[i] && !(opt->flags & CFGF_LIST))
		conf_err_opt(cfg, opt, "%s: set twice (first on line %d)", opt->name,
			     conf_cur->line[i]);
	conf_cur->line[i] = cfg->line;
}

static const char *conf_str(cfg_opt_t *opt)
{
	const char *s = cfg_opt_getnstr(opt, 0);

	return s ? s : "";
}

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

/* Relative names are taken from the config file's directory, not from the
 * working directory, which differs between `posternd -t` and the service. */
static char *conf_path_abs(const char *dir, const char *name)
{
	char *p;

	if (name[0] == '/')
		return strdup(name);
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
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

	if (stat(abs, st) == 0 && !S_ISREG(st->st_mode)) {
		conf_err_opt(cfg, opt, "%s: %s is not a regular file", opt->name, abs);
		return -EINVAL;
	}
	fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;

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

/* The audit log is created at start if missing, so only its directory must exist. */
static int conf_check_audit_log(cfg_t *cfg, cfg_opt_t *opt)
{
	struct stat st;
	char *abs, *slash;

	conf_note(cfg, opt);
	abs = conf_path_of(cfg, opt);
	if (!abs)
		return 0;
	slash = strrchr(abs, '/');
	*slash = '\0';
	if (stat(abs[0] ? abs : "/", &st) != 0 || !S_ISDIR(st.st_mode))
		conf_err_opt(cfg, opt, "%s: directory %s does not exist", opt->name, abs[0] ? abs : "/");
	free(abs);
	return 0;
}

static int conf_check_key(cfg_t *cfg, cfg_opt_t *opt)
{
	struct stat st;
	char *abs;

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
 * privilege drop after the daemon has already set up the tunnel. */
static int conf_check_user(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = conf_str(opt);
	int ret;

	conf_note(cfg, opt);
	ret = s[0] ? conf_user_lookup(s) : -ENOENT;
	if (ret == -ENOENT)
		conf_err_opt(cfg, opt, "user: no such user '%s'", s);
	else if (ret)
		conf_err_opt(cfg, opt, "user: cannot look up '%s': %s", s, strerror(-ret));
	return 0;
}

static const struct conf_check {
	const char *key;
	cfg_validate_callback_t check;
} conf_checks[] = {
	{ "listen", conf_check_listen },
	{ "ca-cert", conf_check_file },
	{ "crl", conf_check_file },
	{ "server-cert", conf_check_file },
	{ "server-key", conf_check_key },
	{ "tun-name", conf_check_tun_name },
	{ "ipv4-pool", conf_check_pool4 },
	{ "ipv6-pool", conf_check_pool6 },
	{ "user", conf_check_user },
	{ "policy", conf_check_file },
	{ "audit-log", conf_check_audit_log },
};

/* ---- value parsers (libconfuse calls them once per value) ---- */

static const struct conf_range *conf_range_of(const char *key)
{
	size_t i;

	for (i = 0; i < CONF_ARRAY_SIZE(conf_ranges); i++) {
		if (!strcmp(conf_ranges[i].key, key))
			return &conf_ranges[i];
	}
	return NULL;
}

/* Plain decimal only: no sign, no leading zero, no hex. */
static int conf_decimal(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || (s[0] == '0' && n > 1))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v < CONF_DECIMAL_CAP)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Numbers are not left to libconfuse: it reads them with strtol(base 0),
 * which takes "0443" as octal 291 and "0x1bb" as hex, and it tests an errno
 * it never cleared.
 */
static int conf_parse_uint(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const struct conf_range *r = conf_range_of(opt->name);
	unsigned long v = 0;

	conf_note(cfg, opt);
	if (!r)
		conf_err_opt(cfg, opt, "%s: no range known (a bug)", opt->name);
	else if (!value || conf_decimal(value, &v))
		conf_err_opt(cfg, opt, "%s: '%s' is not a plain decimal number", opt->name,
			     value ? value : "");
	else if (v < r->min || v > r->max)
		conf_err_opt(cfg, opt, "%s: %s is out of range %lu..%lu", opt->name, value,
			     r->min, r->max);
	*(long *)result = (long)v;
	return 0;
}

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
		conf_err_opt(cfg, opt, "routes: '%s': %s", value ? value : "", why);
	else if (!(r = malloc(sizeof(*r))))
		conf_err_opt(cfg, opt, "routes: out of memory");
	else
		*r = (struct conf_route){ .cidr = c, .line = cfg->line };
	*(void **)result = r;
	return 0;
}

/* Required keys have no default (CFGF_NODEFAULT): unset, their size is 0. */
static cfg_opt_t conf_opts[] = {
	CFG_STR("listen", "0.0.0.0", CFGF_NONE),
	CFG_INT_CB("port", 443, CFGF_NONE, conf_parse_uint),
	CFG_STR("ca-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("crl", NULL, CFGF_NODEFAULT),
	CFG_STR("server-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("server-key", NULL, CFGF_NODEFAULT),
	CFG_STR("tun-name", "postern0", CFGF_NONE),
	CFG_STR("ipv4-pool", NULL, CFGF_NODEFAULT),
	CFG_STR("ipv6-pool", NULL, CFGF_NODEFAULT),
	CFG_PTR_LIST_CB("routes", NULL, CFGF_NONE, conf_parse_route, free),
	CFG_INT_CB("mtu", 1400, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("dpd", 30, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("keepalive", 20, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("idle-timeout", 0, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("cookie-timeout", 300, CFGF_NONE, conf_parse_uint),
	CFG_INT_CB("max-clients", 1024, CFGF_NONE, conf_parse_uint),
	CFG_STR("user", NULL, CFGF_NODEFAULT),
	CFG_STR("policy", NULL, CFGF_NODEFAULT),
	CFG_STR("audit-log", NULL, CFGF_NODEFAULT),
	CFG_END()
};

/* ---- reading the file ---- */

static int conf_file_fail(struct conf_load *ld, const char *what, int ret)
{
	conf_err(ld, 0, "%s: %s", what, strerror(-ret));
	return ret;
}

/* A file that grows while it is read is cut at the size fstat saw. */
static int conf_read_all(int fd, size_t size, char **text, size_t *len)
{
	char *buf = malloc(size + 1);
	size_t n = 0;
	ssize_t r = 1;

	while (buf && n < size && r != 0) {
		r = read(fd, buf + n, size - n);
		if (r < 0 && errno != EINTR)
			break;
		n += r > 0 ? (size_t)r : 0;
	}
	if (!buf || r < 0) {
		int e = buf ? errno : ENOMEM;

		free(buf);
		return -e;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/* The file is read into memory once: the comment pass below edits it before
 * libconfuse sees it. stat comes first so that a FIFO never blocks the load. */
static int conf_file_read(struct conf_load *ld, char **text, size_t *len)
{
	struct stat st;
	int fd, ret;

	if (stat(ld->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		conf_err(ld, 0, "not a regular file");
		return -EINVAL;
	}
	fd = open(ld->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return conf_file_fail(ld, "cannot open", -errno);
	ret = fstat(fd, &st) ? -errno : 0;
	if (!ret && st.st_size > CONF_FILE_MAX)
		ret = -EFBIG;
	if (!ret)
		ret = conf_read_all(fd, (size_t)st.st_size, text, len);
	close(fd);
	return ret ? conf_file_fail(ld, "cannot read", ret) : 0;
}

static int conf_dir_resolve(struct conf_load *ld)
{
	const char *slash = strrchr(ld->path, '/');
	size_t n = slash == ld->path ? 1 : (size_t)(slash - ld->path);
	char *dir = slash ? strndup(ld->path, n) : strdup(".");
	int ret = -ENOMEM;

	ld->base = slash ? slash + 1 : ld->path;
	if (dir) {
		ld->dir = realpath(dir, NULL);
		ret = ld->dir ? 0 : -errno;
	}
	free(dir);
	return ret ? conf_file_fail(ld, "cannot resolve its directory", ret) : 0;
}

/* ---- blanking comments ---- */
/*
 * libconfuse 3.3 counts each "#" or "//" comment as three lines and each block
 * comment as one line too many, so every error after a comment would name the
 * wrong line; it also refuses a comment inside a list's braces. The loader
 * therefore blanks comments itself (spaces, newlines kept) before the parse.
 * The scan follows lexer.l so that it blanks exactly what the lexer would
 * take as a comment: "#" anywhere outside a string, "//" and "/" "*" only where
 * a token starts (inside an unquoted word a slash belongs to the word).
 */

static bool conf_starts(const char *t, size_t n, size_t i, const char *s)
{
	size_t k = strlen(s);

	return n - i >= k && !memcmp(t + i, s, k);
}

/* What the lexer reads as an unquoted word is a run of anything but these. */
static bool conf_word_char(char c)
{
	return c != '\0' && !strchr(" #\"'\t\n\r={}()+,*", c);
}

/* "${VAR}" is one token to the lexer, even across quotes and newlines.
 * Returns the index of its closing brace, 0 when this is not one. */
static size_t conf_env_end(const char *t, size_t n, size_t i)
{
	const char *e;

	if (!conf_starts(t, n, i, "${"))
		return 0;
	e = memchr(t + i + 2, '}', n - i - 2);
	return e ? (size_t)(e - t) : 0;
}

/* Returns the index after the closing quote, or CONF_UNCLOSED. A backslash
 * always takes the next character along, in both kinds of quotes. */
static size_t conf_skip_quoted(const char *t, size_t n, size_t i)
{
	char q = t[i];

	for (i++; i < n; i++) {
		if (t[i] == '\\')
			i++;
		else if (q == '"' && conf_env_end(t, n, i))
			i = conf_env_end(t, n, i);
		else if (t[i] == q)
			return i + 1;
	}
	return CONF_UNCLOSED;
}

static void conf_blank(char *t, size_t from, size_t to)
{
	for (; from < to; from++) {
		if (t[from] != '\n')
			t[from] = ' ';
	}
}

static int conf_line_at(const char *t, size_t i)
{
	int line = 1;

	while (i-- > 0)
		line += t[i] == '\n';
	return line;
}

/* Blanks the comment starting at i; returns the index after it, or
 * CONF_UNCLOSED for a block comment that is never closed. */
static size_t conf_blank_comment(char *t, size_t n, size_t i)
{
	const char *e;
	size_t end;

	if (conf_starts(t, n, i, "/*")) {
		e = memmem(t + i + 2, n - i - 2, "*/", 2);
		end = e ? (size_t)(e - t) + 2 : n;
		conf_blank(t, i, end);
		return e ? end : CONF_UNCLOSED;
	}
	e = memchr(t + i, '\n', n - i);
	end = e ? (size_t)(e - t) : n;
	conf_blank(t, i, end);
	return end;
}

/* Where the token starting at i ends; comments are blanked on the way. */
static size_t conf_token_end(char *t, size_t n, size_t i)
{
	if (t[i] == '"' || t[i] == '\'')
		return conf_skip_quoted(t, n, i);
	if (t[i] == '#' || conf_starts(t, n, i, "//") || conf_starts(t, n, i, "/*"))
		return conf_blank_comment(t, n, i);
	if (conf_env_end(t, n, i))
		return conf_env_end(t, n, i) + 1;
	if (!conf_word_char(t[i]))
		return i + 1;
	while (i < n && conf_word_char(t[i]))
		i++;
	return i;
}

/*
 * Unclosed strings and comments are refused here rather than passed on:
 * libconfuse accepts an unclosed block comment silently, and a backslash
 * at the end of an unclosed string makes its lexer echo it to stdout.
 */
static int conf_blank_comments(struct conf_load *ld, char *t, size_t n)
{
	const char *nul = memchr(t, '\0', n);
	size_t i, end;
	bool quote;

	if (nul) {
		conf_err(ld, conf_line_at(t, (size_t)(nul - t)), "NUL byte: not a text file");
		return -EINVAL;
	}
	for (i = 0; i < n; i = end) {
		quote = t[i] == '"' || t[i] == '\'';
		end = conf_token_end(t, n, i);
		if (end == CONF_UNCLOSED) {
			conf_err(ld, conf_line_at(t, i), "this %s is never closed",
				 quote ? "string" : "comment");
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- parsing ---- */

static cfg_t *conf_cfg_new(const struct conf_load *ld)
{
	cfg_t *cfg = cfg_init(conf_opts, CFGF_NONE);
	size_t i;

	if (!cfg)
		return NULL;
	cfg_set_error_function(cfg, conf_confuse_error);
	for (i = 0; i < CONF_ARRAY_SIZE(conf_checks); i++)
		cfg_set_validate_func(cfg, conf_checks[i].key, conf_checks[i].check);
	/* cfg_parse_fp names the file "FILE" unless told; cfg_free frees it. */
	cfg->filename = strdup(ld->path);
	return cfg;
}

/*
 * Returns -EINVAL when libconfuse stopped early (a syntax error, an unknown
 * key): the rest of the file was never read, so the checks across keys would
 * only add false alarms. *out is set either way, for cfg_free.
 */
static int conf_parse(struct conf_load *ld, char *text, size_t len, cfg_t **out)
{
	FILE *fp = NULL;
	cfg_t *cfg;
	int ret;

	ret = conf_blank_comments(ld, text, len);
	if (ret)
		return ret;
	*out = cfg = conf_cfg_new(ld);
	if (cfg)
		fp = fmemopen(text, len, "r");
	if (!fp) {
		conf_err(ld, 0, "out of memory");
		return -ENOMEM;
	}
	conf_cur = ld;
	ret = cfg_parse_fp(cfg, fp) == CFG_SUCCESS ? 0 : -EINVAL;
	conf_cur = NULL;
	fclose(fp);
	if (ret && !ld->n_errors)
		conf_err(ld, 0, "syntax error");
	return ret;
}

/* ---- checks across keys, after the parse ---- */

static void conf_check_required(struct conf_load *ld, cfg_t *cfg)
{
	size_t i;

	for (i = 0; i < CONF_ARRAY_SIZE(conf_required); i++) {
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
	int i = conf_opt_index(cfg, cfg_getopt(cfg, "mtu"));
	long mtu = cfg_getint(cfg, "mtu");

	if (i < 0 || ld->bad[i] || !cfg_size(cfg, "ipv6-pool") || mtu >= CONF_IPV6_MIN_MTU)
		return;
	conf_err(ld, ld->line[i], "mtu: %ld is below %d, the IPv6 minimum, and an ipv6-pool is set",
		 mtu, CONF_IPV6_MIN_MTU);
}

static void conf_check_across(struct conf_load *ld, cfg_t *cfg)
{
	conf_check_required(ld, cfg);
	conf_check_ipv6_routes(ld, cfg);
	conf_check_ipv6_mtu(ld, cfg);
}

/* ---- building struct gw_conf from a file that passed every check ---- */

static int conf_dup(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

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
	    conf_dup_opt_path(ld, cfg, &c->audit_log, "audit-log"))
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
	return 0;
}

/* Every value is within its range here, so the casts cannot truncate. */
static void conf_build_numbers(cfg_t *cfg, struct gw_conf *c)
{
	c->port = (uint16_t)cfg_getint(cfg, "port");
	c->mtu = (unsigned int)cfg_getint(cfg, "mtu");
	c->dpd = (unsigned int)cfg_getint(cfg, "dpd");
	c->keepalive = (unsigned int)cfg_getint(cfg, "keepalive");
	c->idle_timeout = (unsigned int)cfg_getint(cfg, "idle-timeout");
	c->cookie_timeout = (unsigned int)cfg_getint(cfg, "cookie-timeout");
	c->max_clients = (unsigned int)cfg_getint(cfg, "max-clients");
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

int conf_gateway_load(const char *path, struct gw_conf **out, char *err, size_t errlen)
{
	struct conf_load ld = { .path = path ? path : "", .err = err, .errlen = errlen };
	char *text = NULL;
	size_t len = 0;
	cfg_t *cfg = NULL;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	ret = conf_file_read(&ld, &text, &len);
	if (!ret)
		ret = conf_dir_resolve(&ld);
	if (!ret)
		ret = conf_parse(&ld, text, len, &cfg);
	if (!ret)
		conf_check_across(&ld, cfg);
	if (!ret && ld.n_errors)
		ret = -EINVAL;
	if (!ret)
		ret = conf_build(&ld, cfg, out);
	cfg_free(cfg);
	free(text);
	free(ld.dir);
	return ret;
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
	free(conf->user);
	free(conf->policy);
	free(conf->audit_log);
	free(conf);
}
