/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the posture agent's parsers of outside input: the
 * os-release file, /proc/self/mountinfo, the first bytes of the gateway's
 * answer, and the wrapper arguments openconnect passes (with the -url in
 * them). Each input goes through all of them: as a file's text, as a
 * response, and as an argv split at NUL or newline (as /proc/PID/cmdline
 * shows one), every argument of which is also tried as a URL. Buffers given
 * with a length are heap copies exactly that long, so a read past the end
 * is caught. The target checks the contracts: only the documented result
 * codes; outputs NUL-terminated within their buffers and within their
 * limits; parsed values that agree with a plain reading of the input (the
 * last assignment and the last "/" mount win, a status line read in pieces
 * gives one answer, a -url taken is one that is there) and that round-trip
 * (a value quoted again, a URL rebuilt from its host and port); and buffers
 * exactly big enough are enough while one byte less is not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "posture/agent.h"
#include "posture/collect.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)
#define ARGV_MAX	64	/* openconnect passes 13 */
#define ARG_LEN_MAX	2048	/* agent.c's limit on one wrapper argument */
#define DNS_NAME_MAX	253
#define DNS_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"
#define GOOD_URL	"\"https://gw.postern.test:8443/+CSCOE+/sdesktop/token.xml\""
#define HTTP_CUTS	16	/* prefixes tried besides the ones at the first newline */

/* Exactly len bytes on the heap, with no NUL after them. */
static char *copy_exact(const char *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	FUZZ_ASSERT(c);
	if (len)
		memcpy(c, p, len);
	return c;
}

/* The len bytes at p as a string, on a heap block just big enough. */
static char *copy_str(const char *p, size_t len)
{
	char *c = malloc(len + 1);

	FUZZ_ASSERT(c);
	memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

/* ---- os-release ---- */

static bool osrelease_plain(unsigned char c)
{
	return c > ' ' && c < 0x7f && !strchr("\"'\\$`", c);
}

/* pst_osrelease_value into a heap buffer of exactly outlen bytes. */
static int osrelease_get(const char *buf, size_t len, const char *key, size_t outlen, char **out)
{
	*out = malloc(outlen ? outlen : 1);
	FUZZ_ASSERT(*out);
	memset(*out, 'x', outlen);
	return pst_osrelease_value(buf, len, key, *out, outlen);
}

/* The value part of the last line that starts with KEY=, or NULL. */
static const char *osrelease_last(const char *buf, size_t len, const char *key, size_t *vlen)
{
	size_t klen = strlen(key), pos = 0;
	const char *found = NULL;

	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;

		if (llen > klen && !memcmp(line, key, klen) && line[klen] == '=') {
			found = line + klen + 1;
			*vlen = llen - klen - 1;
		}
		pos += llen + 1;
	}
	return found;
}

/* What the accepted value says, by its quoting: single quotes are taken
 * verbatim, double quotes only lose characters, a bare value is all plain. */
static void check_osrelease_raw(const char *raw, size_t vlen, const char *out)
{
	size_t i;

	if (vlen >= 2 && raw[0] == '\'' && raw[vlen - 1] == '\'') {
		FUZZ_ASSERT(!memchr(raw + 1, '\'', vlen - 2));
		FUZZ_ASSERT(!memcmp(out, raw + 1, vlen - 2) && out[vlen - 2] == '\0');
	} else if (vlen >= 2 && raw[0] == '"' && raw[vlen - 1] == '"') {
		FUZZ_ASSERT(strlen(out) <= vlen - 2);
	} else {
		for (i = 0; i < vlen; i++)
			FUZZ_ASSERT(osrelease_plain((unsigned char)raw[i]));
		FUZZ_ASSERT(!memcmp(out, raw, vlen) && out[vlen] == '\0');
	}
}

/* KEY="VALUE" with " \ $ ` escaped reads back as VALUE. */
static void check_osrelease_requote(const char *key, const char *val)
{
	char text[2 * PST_VALUE_MAX + 64], *p = text, *copy, *back;
	const char *c;

	p += sprintf(p, "%s=\"", key);
	for (c = val; *c; c++) {
		if (strchr("\"\\$`", *c))
			*p++ = '\\';
		*p++ = *c;
	}
	*p++ = '"';
	*p++ = '\n';
	copy = copy_exact(text, (size_t)(p - text));
	FUZZ_ASSERT(osrelease_get(copy, (size_t)(p - text), key, PST_VALUE_MAX + 1, &back) == 0);
	FUZZ_ASSERT(!strcmp(back, val));
	free(back);
	free(copy);
}

static void fuzz_osrelease_key(const char *buf, size_t len, const char *key, size_t outlen)
{
	const char *raw;
	char *out, *tight;
	size_t vlen = 0, n;
	int ret = osrelease_get(buf, len, key, outlen, &out);

	FUZZ_ASSERT(ret == 0 || ret == -ENOENT || ret == -EINVAL || ret == -ENOSPC);
	raw = osrelease_last(buf, len, key, &vlen);
	FUZZ_ASSERT((ret == -ENOENT) == !raw);
	if (ret) {
		free(out);
		return;
	}
	FUZZ_ASSERT(memchr(out, '\0', outlen));
	n = strlen(out);
	check_osrelease_raw(raw, vlen, out);
	check_osrelease_requote(key, out);
	/* Room for the value and its NUL is enough (unless an earlier, longer
	 * assignment does not fit first); one byte less never is. */
	ret = osrelease_get(buf, len, key, n + 1, &tight);
	FUZZ_ASSERT(ret == 0 || ret == -ENOSPC);
	FUZZ_ASSERT(ret || !strcmp(tight, out));
	free(tight);
	FUZZ_ASSERT(osrelease_get(buf, len, key, n, &tight) == -ENOSPC);
	free(tight);
	free(out);
}

static void fuzz_osrelease(const char *buf, size_t len)
{
	fuzz_osrelease_key(buf, len, "VERSION_ID", PST_VALUE_MAX + 1);
	fuzz_osrelease_key(buf, len, "ID", 8);
}

/* ---- mountinfo ---- */

static unsigned long long decimal(const char *s, size_t len)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		FUZZ_ASSERT(s[i] >= '0' && s[i] <= '9');
		v = v * 10 + (unsigned long long)(s[i] - '0');
		FUZZ_ASSERT(v <= UINT_MAX);
	}
	return v;
}

/*
 * Of a line the parser accepted: whether its mount point (the fifth field)
 * is "/" with more fields after it, and then its MAJ:MIN (the third).
 */
static bool mount_line_root(const char *line, size_t llen, unsigned int *ma, unsigned int *mi)
{
	const char *f[6], *p = line, *end = line + llen, *sp, *colon;
	size_t flen[6], n = 0;

	while (n < 6) {
		sp = memchr(p, ' ', (size_t)(end - p));
		f[n] = p;
		flen[n++] = sp ? (size_t)(sp - p) : (size_t)(end - p);
		if (!sp)
			break;
		p = sp + 1;
	}
	if (n < 6 || flen[4] != 1 || f[4][0] != '/')
		return false;
	colon = memchr(f[2], ':', flen[2]);
	FUZZ_ASSERT(colon);
	*ma = (unsigned int)decimal(f[2], (size_t)(colon - f[2]));
	*mi = (unsigned int)decimal(colon + 1, flen[2] - (size_t)(colon - f[2]) - 1);
	return true;
}

static int mountinfo_with(const char *buf, size_t len, const char *extra, unsigned int *ma,
			  unsigned int *mi)
{
	size_t elen = strlen(extra);
	char *text = malloc(len + elen);
	int ret;

	FUZZ_ASSERT(text);
	if (len)
		memcpy(text, buf, len);
	memcpy(text + len, extra, elen);
	ret = pst_mountinfo_root(text, len + elen, ma, mi);
	free(text);
	return ret;
}

static void fuzz_mountinfo(const char *buf, size_t len)
{
	unsigned int ma = 0, mi = 0, lma, lmi, ama = 0, ami = 0;
	bool root = false;
	size_t pos = 0;
	int ret = pst_mountinfo_root(buf, len, &ma, &mi);

	FUZZ_ASSERT(ret == 0 || ret == -ENOENT || ret == -EINVAL);
	if (ret == -EINVAL)
		return;
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;

		if (mount_line_root(line, llen, &lma, &lmi)) {
			root = true;
			ama = lma;
			ami = lmi;
		}
		pos += llen + 1;
	}
	FUZZ_ASSERT(root == (ret == 0));
	FUZZ_ASSERT(!root || (ma == ama && mi == ami));
	if (len && buf[len - 1] != '\n')
		return;
	/* A later "/" mount hides the earlier ones; a mount elsewhere changes nothing. */
	FUZZ_ASSERT(mountinfo_with(buf, len, "4000 1 4294967295:0 / / rw - overlay overlay rw\n",
				   &lma, &lmi) == 0);
	FUZZ_ASSERT(lma == 4294967295u && lmi == 0);
	lma = ma;
	lmi = mi;
	FUZZ_ASSERT(mountinfo_with(buf, len, "4001 1 8:1 / /mnt\\040x rw - ext4 /dev/sda1 rw\n",
				   &lma, &lmi) == ret);
	FUZZ_ASSERT(lma == ma && lmi == mi);
}

/* ---- the gateway's status line ---- */

static int http_status_of(const char *buf, size_t len, int *status)
{
	char *copy = copy_exact(buf, len);
	int ret = pst_http_status(copy, len, status);

	free(copy);
	return ret;
}

/* The agent reads the answer in pieces: a piece answers "not yet" or what
 * the whole does. */
static void check_http_prefix(const char *buf, size_t cut, int ret, int status)
{
	int st = -1;
	int r = http_status_of(buf, cut, &st);

	FUZZ_ASSERT(r == -EAGAIN || r == ret);
	FUZZ_ASSERT(ret != -EAGAIN || r == -EAGAIN);
	FUZZ_ASSERT(r != 0 || st == status);
}

static void fuzz_http_status(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t cut, line_len = nl ? (size_t)(nl - buf) : 0;
	int status = -1, st = -1;
	int ret = pst_http_status(buf, len, &status);

	FUZZ_ASSERT(ret == 0 || ret == -EAGAIN || ret == -EBADMSG);
	if (ret == 0) {
		FUZZ_ASSERT(status >= 100 && status <= 599);
		FUZZ_ASSERT(nl && line_len >= 12 && !memcmp(buf, "HTTP/1.", 7));
		FUZZ_ASSERT(buf[9] - '0' == status / 100 && buf[10] - '0' == status / 10 % 10 &&
			    buf[11] - '0' == status % 10);
	}
	if (ret == -EAGAIN)
		FUZZ_ASSERT(!nl && !memcmp(buf, "HTTP/1.", len < 7 ? len : 7));
	for (cut = 0; cut <= len && cut <= HTTP_CUTS; cut++)
		check_http_prefix(buf, cut, ret, status);
	if (!nl)
		return;
	check_http_prefix(buf, line_len, ret, status);
	/* The first line decides: what follows it does not matter. */
	FUZZ_ASSERT(http_status_of(buf, line_len + 1, &st) == ret);
	FUZZ_ASSERT(ret || st == status);
}

/* ---- the wrapper's arguments and the -url ---- */

/* "A DNS name or "[v6]"" (agent.h): it goes into a Host header and SNI. */
static void check_host(const char *host)
{
	size_t hl = strlen(host);
	char inner[PST_HOST_MAX + 1];
	struct in6_addr a6;

	FUZZ_ASSERT(hl >= 1 && hl <= PST_HOST_MAX && !strchr(host, '/'));
	if (host[0] == '[') {
		FUZZ_ASSERT(hl >= 3 && host[hl - 1] == ']');
		memcpy(inner, host + 1, hl - 2);
		inner[hl - 2] = '\0';
		FUZZ_ASSERT(inet_pton(AF_INET6, inner, &a6) == 1);
	} else {
		FUZZ_ASSERT(hl <= DNS_NAME_MAX && strspn(host, DNS_CHARS) == hl);
	}
}

/* pst_url_parse into a heap buffer of exactly hostlen bytes. */
static int url_get(const char *url, size_t hostlen, char **host, uint16_t *port)
{
	*host = malloc(hostlen ? hostlen : 1);
	FUZZ_ASSERT(*host);
	memset(*host, 'x', hostlen);
	*port = 7;
	return pst_url_parse(url, *host, hostlen, port);
}

static bool url_end(char c)
{
	return c == '\0' || c == '/' || c == '?' || c == '#';
}

/* After the host: nothing, or ":PORT" as its canonical decimal. */
static void check_url_port(const char *after, uint16_t port)
{
	char digits[8];
	int n;

	if (*after != ':') {
		FUZZ_ASSERT(port == 0 && url_end(*after));
		return;
	}
	FUZZ_ASSERT(port != 0);
	n = snprintf(digits, sizeof(digits), "%u", port);
	FUZZ_ASSERT(!strncmp(after + 1, digits, (size_t)n) && url_end(after[1 + n]));
}

/* Rebuilt from its host and port, the URL parses to the same. */
static void check_url_rebuilt(const char *host, uint16_t port)
{
	char url[PST_HOST_MAX + 64], *again;
	uint16_t p2;

	if (port)
		snprintf(url, sizeof(url), "https://%s:%u/+CSCOE+/x?y#z", host, port);
	else
		snprintf(url, sizeof(url), "https://%s?ticket=T", host);
	FUZZ_ASSERT(url_get(url, PST_HOST_MAX + 1, &again, &p2) == 0);
	FUZZ_ASSERT(!strcmp(again, host) && p2 == port);
	free(again);
}

static void fuzz_url(const char *url)
{
	char *host, *tight;
	uint16_t port, p2;
	size_t hl;
	int ret = url_get(url, PST_HOST_MAX + 1, &host, &port);

	FUZZ_ASSERT(ret == 0 || ret == -EINVAL);
	if (ret) {
		free(host);
		return;
	}
	FUZZ_ASSERT(memchr(host, '\0', PST_HOST_MAX + 1));
	check_host(host);
	hl = strlen(host);
	/* The host is the authority as written, up to the port or the path. */
	FUZZ_ASSERT(!strncmp(url, "https://", 8) && !memcmp(url + 8, host, hl));
	check_url_port(url + 8 + hl, port);
	check_url_rebuilt(host, port);
	FUZZ_ASSERT(url_get(url, hl + 1, &tight, &p2) == 0 && !strcmp(tight, host));
	free(tight);
	FUZZ_ASSERT(url_get(url, hl, &tight, &p2) == -EINVAL);
	free(tight);
	free(host);
}

struct fuzz_argv {
	int argc;
	char *argv[ARGV_MAX + 3];	/* room for two appended and the NULL */
};

/* Split at NUL or newline, at most ARGV_MAX; a final separator ends the last. */
static void argv_split(const char *buf, size_t len, struct fuzz_argv *a)
{
	size_t pos = 0, n;

	a->argc = 0;
	while (pos < len && a->argc < ARGV_MAX) {
		for (n = 0; pos + n < len && buf[pos + n] != '\0' && buf[pos + n] != '\n'; n++)
			;
		a->argv[a->argc++] = copy_str(buf + pos, n);
		pos += n + 1;
	}
	a->argv[a->argc] = NULL;
}

static void argv_free(struct fuzz_argv *a)
{
	int i;

	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
}

/* openconnect quotes each value: "\"V\"". */
static char *unquote(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		return copy_str(s + 1, n - 2);
	return copy_str(s, n);
}

/* The options openconnect follows with a value. */
static bool value_option(const char *s)
{
	return !strcmp(s, "-ticket") || !strcmp(s, "-stub") || !strcmp(s, "-group") ||
	       !strcmp(s, "-certhash") || !strcmp(s, "-url");
}

static int csd_parse(int argc, char **argv, size_t whylen, struct pst_csd_args *out)
{
	char *why = malloc(whylen);
	int ret;

	FUZZ_ASSERT(why);
	memset(why, 'x', whylen);
	memset(out, 0x5a, sizeof(*out));
	ret = pst_csd_args_parse(argc, argv, out, why, whylen);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL);
	if (ret)
		FUZZ_ASSERT(memchr(why, '\0', whylen) && why[0] != '\0');
	if (!ret) {
		FUZZ_ASSERT(memchr(out->host, '\0', sizeof(out->host)));
		if (out->host[0])
			check_host(out->host);
		else
			FUZZ_ASSERT(out->port == 0);
	}
	free(why);
	return ret;
}

/* The same arguments and two more, which must keep options and values in step. */
static int csd_parse_plus(struct fuzz_argv *a, const char *x, const char *y,
			  struct pst_csd_args *out)
{
	int n = a->argc, ret;

	a->argv[n] = copy_str(x, strlen(x));
	a->argv[n + 1] = y ? copy_str(y, strlen(y)) : NULL;
	a->argv[n + 2] = NULL;
	ret = csd_parse(y ? n + 2 : n + 1, a->argv, PST_WHY_MAX, out);
	free(a->argv[n]);
	free(a->argv[n + 1]);
	a->argv[n] = NULL;
	return ret;
}

/* Whether some "-url V" among the arguments gives out's host and port (out
 * NULL: the parse failed), and whether some other cannot be taken. */
static void csd_urls(const struct fuzz_argv *a, const struct pst_csd_args *out, bool *match,
		     bool *bad, bool *any)
{
	char *v, *host;
	uint16_t port;
	int i;

	*match = *bad = *any = false;
	for (i = 3; i < a->argc; i++) {
		if (strcmp(a->argv[i - 1], "-url"))
			continue;
		*any = true;
		v = unquote(a->argv[i]);
		if (strlen(v) >= ARG_LEN_MAX) {
			*bad = true;
		} else if (url_get(v, PST_HOST_MAX + 1, &host, &port)) {
			*bad = true;
			free(host);
		} else {
			*match |= out && !strcmp(host, out->host) && port == out->port;
			free(host);
		}
		free(v);
	}
}

static void fuzz_csd(const char *buf, size_t len)
{
	struct pst_csd_args out, more;
	struct fuzz_argv a;
	bool match, bad, any, dangling;
	char *v;
	int i, ret;

	argv_split(buf, len, &a);
	for (i = 0; i < a.argc; i++) {
		fuzz_url(a.argv[i]);
		v = unquote(a.argv[i]);
		fuzz_url(v);
		free(v);
	}
	ret = csd_parse(a.argc, a.argv, PST_WHY_MAX, &out);
	FUZZ_ASSERT(csd_parse(a.argc, a.argv, 8, &more) == ret);
	csd_urls(&a, ret ? NULL : &out, &match, &bad, &any);
	dangling = a.argc >= 3 && value_option(a.argv[a.argc - 1]);
	FUZZ_ASSERT(ret || !out.host[0] || match);
	FUZZ_ASSERT(!ret || dangling || bad);
	FUZZ_ASSERT(any || dangling || (ret == 0 && !out.host[0]));
	if (!ret && a.argc >= 2) {
		FUZZ_ASSERT(csd_parse_plus(&a, "-ticket", "\"T\"", &more) == 0);
		FUZZ_ASSERT(!strcmp(more.host, out.host) && more.port == out.port);
		FUZZ_ASSERT(csd_parse_plus(&a, "-url", GOOD_URL, &more) == 0);
		FUZZ_ASSERT(!strcmp(more.host, "gw.postern.test") && more.port == 8443);
		FUZZ_ASSERT(csd_parse_plus(&a, "-url", NULL, &more) == -EINVAL);
	}
	argv_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = copy_exact((const char *)data, size);

	fuzz_osrelease(buf, size);
	fuzz_mountinfo(buf, size);
	fuzz_http_status(buf, size);
	fuzz_csd(buf, size);
	free(buf);
	return 0;
}
