/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the strict HTTP request parser: the exact requests the
 * openconnect 9.01 client sends, every split point of a request arriving in
 * pieces, one rejection per rule with its specific error, the limits at and
 * just over their values, and cookie extraction edge cases.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/http.h"
#include "tests/unit/unit.h"

/* Inputs may hold NUL bytes, so every table entry carries its length. */
#define S(lit) lit, sizeof(lit) - 1

struct http_case {
	const char *what;
	const char *in;
	size_t len;
	int want;
};

static const char oc_body[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<config-auth client=\"vpn\" type=\"init\" aggregate-auth-version=\"2\">"
	"<version who=\"vpn\">v9.01-3</version><device-id>linux-64</device-id>"
	"<capabilities><auth-method>single-sign-on-v2</auth-method>"
	"<auth-method>single-sign-on-external-browser</auth-method></capabilities>"
	"<group-access>https://gw.example/</group-access></config-auth>\n";

/* The init request of openconnect 9.01-3 (Debian), headers in its order (doc/protocol.md §1). */
static size_t oc_post(char *buf, size_t size, size_t *head_len)
{
	int n = snprintf(buf, size,
		"POST / HTTP/1.1\r\n"
		"Host: gw.example\r\n"
		"User-Agent: Open AnyConnect VPN Agent v9.01-3\r\n"
		"Accept: */*\r\n"
		"Accept-Encoding: identity\r\n"
		"X-Transcend-Version: 1\r\n"
		"X-Aggregate-Auth: 1\r\n"
		"X-Support-HTTP-Auth: true\r\n"
		"X-AnyConnect-STRAP-Pubkey: MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEq1w2rD8=\r\n"
		"X-AnyConnect-STRAP-DH-Pubkey: MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9xZ3=\r\n"
		"X-Pad: 0000000000000000000000000000000000000000\r\n"
		"Content-Type: application/xml; charset=utf-8\r\n"
		"Content-Length: %zu\r\n"
		"\r\n", sizeof(oc_body) - 1);

	*head_len = (size_t)n;
	n += snprintf(buf + n, size - (size_t)n, "%s", oc_body);
	return (size_t)n;
}

static const char oc_connect[] =
	"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
	"Host: gw.example\r\n"
	"User-Agent: Open AnyConnect VPN Agent v9.01-3\r\n"
	"Cookie: webvpn=3F2A9C0D1E5B7A8C9D0E1F2A3B4C5D6E\r\n"
	"X-CSTP-Version: 1\r\n"
	"X-CSTP-Hostname: laptop\r\n"
	"X-CSTP-Accept-Encoding: oc-lz4,lzs\r\n"
	"X-CSTP-Base-MTU: 1406\r\n"
	"X-CSTP-MTU: 1406\r\n"
	"X-CSTP-Address-Type: IPv6,IPv4\r\n"
	"X-CSTP-Full-IPv6-Capability: true\r\n"
	"\r\n";

static void test_openconnect_post(void)
{
	char buf[4096];
	size_t head_len, len = oc_post(buf, sizeof(buf), &head_len);
	struct gw_http_req req;
	const struct gw_http_header *h;

	CHECK_EQ_INT(gw_http_parse(buf, len, &req), 1);
	CHECK_EQ_INT(req.method, GW_HTTP_POST);
	CHECK(gw_http_target_is(&req, "/"));
	CHECK(!gw_http_target_is(&req, ""));
	CHECK(!gw_http_target_is(&req, "//"));
	CHECK_EQ_INT(req.target_len, 1);
	CHECK_EQ_INT(req.version_minor, 1);
	CHECK_EQ_INT(req.n_headers, 12);
	CHECK_EQ_INT(req.head_len, head_len);
	CHECK_EQ_INT(req.content_length, sizeof(oc_body) - 1);
	CHECK(memcmp(buf + req.head_len, oc_body, req.content_length) == 0);
	CHECK(req.headers[0].name == buf + strlen("POST / HTTP/1.1\r\n"));

	h = gw_http_header(&req, "content-type");
	CHECK(h && h->value_len == strlen("application/xml; charset=utf-8") &&
	      !memcmp(h->value, "application/xml; charset=utf-8", h->value_len));
	h = gw_http_header(&req, "X-PAD");
	CHECK(h && h->value_len == 40);
	h = gw_http_header(&req, "Host");
	CHECK(h && h->value_len == 10 && !memcmp(h->value, "gw.example", 10));
	h = gw_http_header(&req, "X-Aggregate-Auth");
	CHECK(h && h->value_len == 1 && h->value[0] == '1');
	CHECK(gw_http_header(&req, "Cookie") == NULL);
	CHECK(gw_http_header(&req, "Hos") == NULL);
	CHECK(gw_http_header(&req, "Hostx") == NULL);
	CHECK(gw_http_header(&req, "") == NULL);
}

static void test_openconnect_connect(void)
{
	struct gw_http_req req;
	const struct gw_http_header *h;
	const char *val = NULL;
	size_t val_len = 0;

	CHECK_EQ_INT(gw_http_parse(oc_connect, sizeof(oc_connect) - 1, &req), 1);
	CHECK_EQ_INT(req.method, GW_HTTP_CONNECT);
	CHECK(gw_http_target_is(&req, "/CSCOSSLC/tunnel"));
	CHECK(!gw_http_target_is(&req, "/CSCOSSLC/tunne"));
	CHECK(!gw_http_target_is(&req, "/CSCOSSLC/tunnel/"));
	CHECK_EQ_INT(req.head_len, sizeof(oc_connect) - 1);
	CHECK_EQ_INT(req.content_length, 0);
	CHECK_EQ_INT(req.n_headers, 10);
	CHECK_EQ_INT(gw_http_cookie(&req, "webvpn", &val, &val_len), 0);
	CHECK(val_len == 32 && !memcmp(val, "3F2A9C0D1E5B7A8C9D0E1F2A3B4C5D6E", 32));
	h = gw_http_header(&req, "x-cstp-base-mtu");
	CHECK(h && h->value_len == 4 && !memcmp(h->value, "1406", 4));
}

/*
 * HEAD parses (the metrics listener serves it; conn.c refuses it on the VPN
 * port); a method the parser does not know is -ENOTSUP with method
 * GW_HTTP_OTHER, which a Transfer-Encoding refusal is not.
 */
static void test_methods(void)
{
	static const char head[] = "HEAD /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char put[] = "PUT /metrics HTTP/1.1\r\n\r\n";
	static const char chunked[] = "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	struct gw_http_req req;

	CHECK_EQ_INT(gw_http_parse(head, sizeof(head) - 1, &req), 1);
	CHECK_EQ_INT(req.method, GW_HTTP_HEAD);
	CHECK(gw_http_path_is(&req, "/metrics"));
	CHECK(!gw_http_target_is(&req, "/metrics"));
	CHECK_EQ_INT(gw_http_parse(put, sizeof(put) - 1, &req), -ENOTSUP);
	CHECK_EQ_INT(req.method, GW_HTTP_OTHER);
	CHECK_EQ_INT(gw_http_parse(chunked, sizeof(chunked) - 1, &req), -ENOTSUP);
	CHECK_EQ_INT(req.method, GW_HTTP_GET);
}

/* Every prefix of a valid request is "need more"; the whole head is complete. */
static void check_all_splits(const char *buf, size_t len, size_t head_len)
{
	struct gw_http_req req;
	size_t n;
	int bad = 0;

	for (n = 0; n <= len; n++) {
		int ret = gw_http_parse(buf, n, &req);
		int want = n < head_len ? 0 : 1;

		if (ret != want || (ret == 1 && req.head_len != head_len)) {
			printf("# split at %zu of %zu: %d, expected %d\n", n, len, ret, want);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
}

static void test_partial(void)
{
	char buf[4096];
	size_t head_len, len = oc_post(buf, sizeof(buf), &head_len);

	check_all_splits(buf, len, head_len);
	check_all_splits(oc_connect, sizeof(oc_connect) - 1, sizeof(oc_connect) - 1);
	check_all_splits(S("GET /+CSCOE+/sdesktop/wait.html HTTP/1.0\r\n\r\n"),
			 sizeof("GET /+CSCOE+/sdesktop/wait.html HTTP/1.0\r\n\r\n") - 1);
	check_all_splits(S("GET / HTTP/1.1\r\nX: \t\r\n\r\nGET / HTTP/1.1\r\n"),
			 sizeof("GET / HTTP/1.1\r\nX: \t\r\n\r\n") - 1);
}

static const struct http_case reject_cases[] = {
	/* line ends */
	{ "bare LF after request line", S("GET / HTTP/1.1\nHost: a\r\n\r\n"), -EBADMSG },
	{ "bare LF after header", S("GET / HTTP/1.1\r\nHost: a\n\r\n"), -EBADMSG },
	{ "bare LF as blank line", S("GET / HTTP/1.1\r\nHost: a\r\n\n"), -EBADMSG },
	{ "LF as first byte", S("\nGET / HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "CR inside value", S("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), -EBADMSG },
	{ "CR CR LF", S("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"), -EBADMSG },
	{ "empty first line", S("\r\nGET / HTTP/1.1\r\n\r\n"), -EBADMSG },
	/* control bytes */
	{ "NUL in value", S("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"), -EBADMSG },
	{ "NUL in name", S("GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n"), -EBADMSG },
	{ "NUL in target", S("GET /a\0b HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "NUL in method", S("GE\0T / HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "NUL in version", S("GET / HTTP/1.1\0\r\n\r\n"), -EBADMSG },
	{ "SOH in value", S("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n"), -EBADMSG },
	{ "DEL in value", S("GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n"), -EBADMSG },
	{ "ESC in target", S("GET /\x1b HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "tab in target", S("GET /a\tb HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "obs-text in target", S("GET /\x80 HTTP/1.1\r\n\r\n"), -EBADMSG },
	/* header syntax */
	{ "obs-fold with space", S("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n"), -EBADMSG },
	{ "obs-fold with tab", S("GET / HTTP/1.1\r\nHost: a\r\n\tb\r\n\r\n"), -EBADMSG },
	{ "first header folded", S("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), -EBADMSG },
	{ "empty header name", S("GET / HTTP/1.1\r\n: a\r\n\r\n"), -EBADMSG },
	{ "space before colon", S("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), -EBADMSG },
	{ "tab before colon", S("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), -EBADMSG },
	{ "no colon", S("GET / HTTP/1.1\r\nHost a\r\n\r\n"), -EBADMSG },
	{ "separator in name", S("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n"), -EBADMSG },
	{ "obs-text in name", S("GET / HTTP/1.1\r\nH\xc3\xa9: a\r\n\r\n"), -EBADMSG },
	/* request line */
	{ "PUT", S("PUT / HTTP/1.1\r\n\r\n"), -ENOTSUP },
	{ "DELETE", S("DELETE / HTTP/1.1\r\n\r\n"), -ENOTSUP },
	{ "OPTIONS", S("OPTIONS / HTTP/1.1\r\n\r\n"), -ENOTSUP },
	{ "lower-case get", S("get / HTTP/1.1\r\n\r\n"), -ENOTSUP },
	{ "lower-case head", S("head / HTTP/1.1\r\n\r\n"), -ENOTSUP },
	{ "GETX", S("GETX / HTTP/1.1\r\n\r\n"), -ENOTSUP },
	{ "method with separator", S("GE(T / HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "empty method", S(" / HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "no spaces", S("GET\r\n\r\n"), -EBADMSG },
	{ "double space", S("GET  / HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "space in target", S("GET /a b HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "trailing space", S("GET / HTTP/1.1 \r\n\r\n"), -EBADMSG },
	{ "no version", S("GET /\r\n\r\n"), -EBADMSG },
	{ "empty version", S("GET / \r\n\r\n"), -EBADMSG },
	{ "HTTP/0.9", S("GET / HTTP/0.9\r\n\r\n"), -EBADMSG },
	{ "HTTP/1.2", S("GET / HTTP/1.2\r\n\r\n"), -EBADMSG },
	{ "HTTP/2.0", S("GET / HTTP/2.0\r\n\r\n"), -EBADMSG },
	{ "HTTP/1.10", S("GET / HTTP/1.10\r\n\r\n"), -EBADMSG },
	{ "lower-case version", S("GET / http/1.1\r\n\r\n"), -EBADMSG },
	{ "asterisk target", S("GET * HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "absolute target", S("GET http://gw/ HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "authority CONNECT", S("CONNECT gw.example:443 HTTP/1.1\r\n\r\n"), -EBADMSG },
	{ "tab separator", S("GET\t/ HTTP/1.1\r\n\r\n"), -EBADMSG },
	/* body framing */
	{ "chunked", S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), -ENOTSUP },
	{ "TE identity, any case",
	  S("POST / HTTP/1.1\r\ntransfer-ENCODING: identity\r\n\r\n"), -ENOTSUP },
	{ "TE with Content-Length",
	  S("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
	  -ENOTSUP },
	{ "empty Content-Length", S("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"), -EBADMSG },
	{ "blank Content-Length", S("POST / HTTP/1.1\r\nContent-Length:  \r\n\r\n"), -EBADMSG },
	{ "negative Content-Length", S("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), -EBADMSG },
	{ "signed Content-Length", S("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n"), -EBADMSG },
	{ "hex Content-Length", S("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n"), -EBADMSG },
	{ "Content-Length with suffix", S("POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n"), -EBADMSG },
	{ "Content-Length list", S("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n"), -EBADMSG },
	{ "Content-Length inner blank", S("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n"), -EBADMSG },
	{ "Content-Length over limit", S("POST / HTTP/1.1\r\nContent-Length: 16385\r\n\r\n"), -EMSGSIZE },
	{ "Content-Length overflow",
	  S("POST / HTTP/1.1\r\nContent-Length: 184467440737095516170\r\n\r\n"), -EMSGSIZE },
	{ "Content-Length twice, same value",
	  S("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n"), -EBADMSG },
	{ "Content-Length twice, different",
	  S("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), -EBADMSG },
};

/*
 * The expected error, and no prefix of the input is ever accepted: a prefix
 * is "need more" or already the same error.
 */
static void test_reject(void)
{
	size_t i, n;

	for (i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++) {
		const struct http_case *c = &reject_cases[i];
		struct gw_http_req req;
		int ret = gw_http_parse(c->in, c->len, &req);
		int bad_prefix = 0;

		if (ret != c->want)
			printf("# %s: %d, expected %d\n", c->what, ret, c->want);
		CHECK_EQ_INT(ret, c->want);
		for (n = 0; n < c->len; n++) {
			ret = gw_http_parse(c->in, n, &req);
			if (ret != 0 && ret != c->want)
				bad_prefix++;
		}
		if (bad_prefix)
			printf("# %s: %d prefixes give another result\n", c->what, bad_prefix);
		CHECK_EQ_INT(bad_prefix, 0);
	}
}

struct accept_case {
	const char *what;
	const char *in;
	size_t len;
	size_t content_length;
	int version_minor;
	const char *value;	/* value of the first header, after trimming */
};

static const struct accept_case accept_cases[] = {
	{ "HTTP/1.0 no headers", S("GET / HTTP/1.0\r\n\r\n"), 0, 0, NULL },
	{ "query string", S("GET /a?b=c&d=%20 HTTP/1.1\r\nX: y\r\n\r\n"), 0, 1, "y" },
	{ "value blanks trimmed", S("GET / HTTP/1.1\r\nX: \t a b \t \r\n\r\n"), 0, 1, "a b" },
	{ "no blank after colon", S("GET / HTTP/1.1\r\nX:y\r\n\r\n"), 0, 1, "y" },
	{ "empty value", S("GET / HTTP/1.1\r\nX:\r\n\r\n"), 0, 1, "" },
	{ "blank value", S("GET / HTTP/1.1\r\nX:   \r\n\r\n"), 0, 1, "" },
	{ "obs-text value", S("GET / HTTP/1.1\r\nX: caf\xc3\xa9 \x80\xff\r\n\r\n"), 0, 1,
	  "caf\xc3\xa9 \x80\xff" },
	{ "every tchar in name", S("GET / HTTP/1.1\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n"), 0, 1, "v" },
	{ "colon in value", S("GET / HTTP/1.1\r\nHost: gw:8443\r\n\r\n"), 0, 1, "gw:8443" },
	{ "Content-Length 0", S("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 0, 1, "0" },
	{ "Content-Length leading zeros", S("POST / HTTP/1.1\r\nContent-Length: 007\r\n\r\n"),
	  7, 1, "007" },
	{ "Content-Length at limit", S("POST / HTTP/1.1\r\ncontent-length: 16384\r\n\r\n"),
	  16384, 1, "16384" },
	{ "Content-Length padded", S("POST / HTTP/1.1\r\nContent-Length: \t42 \r\n\r\n"), 42, 1, "42" },
	{ "Content-Length prefix name", S("POST / HTTP/1.1\r\nContent-Lengths: x\r\n\r\n"), 0, 1, "x" },
	{ "Transfer-Encoding prefix name",
	  S("POST / HTTP/1.1\r\nTransfer-Encodings: chunked\r\n\r\n"), 0, 1, "chunked" },
};

static void test_accept(void)
{
	size_t i;

	for (i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]); i++) {
		const struct accept_case *c = &accept_cases[i];
		struct gw_http_req req;
		int ret = gw_http_parse(c->in, c->len, &req);

		if (ret != 1)
			printf("# %s: %d\n", c->what, ret);
		CHECK_EQ_INT(ret, 1);
		CHECK_EQ_INT(req.head_len, c->len);
		CHECK_EQ_INT(req.content_length, c->content_length);
		CHECK_EQ_INT(req.version_minor, c->version_minor);
		CHECK_EQ_INT(req.n_headers, c->value ? 1 : 0);
		if (c->value && req.n_headers == 1) {
			CHECK_EQ_INT(req.headers[0].value_len, strlen(c->value));
			CHECK(!memcmp(req.headers[0].value, c->value, strlen(c->value)));
		}
	}
}

/* Appends "GET <target> HTTP/1.1\r\n" with a target of target_len bytes. */
static size_t put_request_line(char *buf, size_t target_len)
{
	size_t n = 0;

	memcpy(buf, "GET /", 5);
	n = 5;
	memset(buf + n, 'a', target_len - 1);
	n += target_len - 1;
	memcpy(buf + n, " HTTP/1.1\r\n", 11);
	return n + 11;
}

static void test_target_limit(void)
{
	char buf[GW_HTTP_MAX_TARGET + 64];
	struct gw_http_req req;
	size_t n;

	n = put_request_line(buf, GW_HTTP_MAX_TARGET);
	memcpy(buf + n, "\r\n", 2);
	CHECK_EQ_INT(gw_http_parse(buf, n + 2, &req), 1);
	CHECK_EQ_INT(req.target_len, GW_HTTP_MAX_TARGET);

	n = put_request_line(buf, GW_HTTP_MAX_TARGET + 1);
	memcpy(buf + n, "\r\n", 2);
	CHECK_EQ_INT(gw_http_parse(buf, n + 2, &req), -EMSGSIZE);
	/* Judged as soon as the request line is complete. */
	CHECK_EQ_INT(gw_http_parse(buf, n, &req), -EMSGSIZE);
	CHECK_EQ_INT(gw_http_parse(buf, n - 1, &req), 0);
}

static size_t put_headers(char *buf, size_t count, int end)
{
	size_t i, n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");

	for (i = 0; i < count; i++)
		n += (size_t)sprintf(buf + n, "X-H%zu: %zu\r\n", i, i);
	if (end)
		n += (size_t)sprintf(buf + n, "\r\n");
	return n;
}

static void test_header_count(void)
{
	char buf[2048];
	struct gw_http_req req;
	size_t n;

	n = put_headers(buf, GW_HTTP_MAX_HEADERS, 1);
	CHECK_EQ_INT(gw_http_parse(buf, n, &req), 1);
	CHECK_EQ_INT(req.n_headers, GW_HTTP_MAX_HEADERS);
	CHECK(req.headers[GW_HTTP_MAX_HEADERS - 1].name_len == 5 &&
	      !memcmp(req.headers[GW_HTTP_MAX_HEADERS - 1].name, "X-H31", 5));

	n = put_headers(buf, GW_HTTP_MAX_HEADERS + 1, 1);
	CHECK_EQ_INT(gw_http_parse(buf, n, &req), -EMSGSIZE);
	/* Caught before the head ends: a slowloris of short headers. */
	n = put_headers(buf, GW_HTTP_MAX_HEADERS + 1, 0);
	CHECK_EQ_INT(gw_http_parse(buf, n, &req), -EMSGSIZE);
	CHECK_EQ_INT(gw_http_parse(buf, n - 1, &req), 0);
}

/* A head of exactly len bytes: the request line, one long header, the blank line. */
static size_t put_head(char *buf, size_t len)
{
	static const char line[] = "GET / HTTP/1.1\r\nX-Long: ";
	size_t n = sizeof(line) - 1;

	memcpy(buf, line, n);
	memset(buf + n, 'v', len - n - 4);
	memcpy(buf + len - 4, "\r\n\r\n", 4);
	return len;
}

static void test_head_limit(void)
{
	static char buf[GW_HTTP_MAX_HEAD + 4096];
	struct gw_http_req req;

	put_head(buf, GW_HTTP_MAX_HEAD);
	CHECK_EQ_INT(gw_http_parse(buf, GW_HTTP_MAX_HEAD, &req), 1);
	CHECK_EQ_INT(req.head_len, GW_HTTP_MAX_HEAD);
	/* Bytes after the head (a body, a pipelined request) do not count against it. */
	memset(buf + GW_HTTP_MAX_HEAD, 'b', 100);
	CHECK_EQ_INT(gw_http_parse(buf, GW_HTTP_MAX_HEAD + 100, &req), 1);
	CHECK_EQ_INT(req.head_len, GW_HTTP_MAX_HEAD);

	put_head(buf, GW_HTTP_MAX_HEAD + 1);
	CHECK_EQ_INT(gw_http_parse(buf, GW_HTTP_MAX_HEAD + 1, &req), -EMSGSIZE);
	CHECK_EQ_INT(gw_http_parse(buf, GW_HTTP_MAX_HEAD, &req), 0);

	/* An endless line is cut off one byte past the limit, long before any end. */
	memset(buf, 'a', sizeof(buf));
	CHECK_EQ_INT(gw_http_parse(buf, GW_HTTP_MAX_HEAD, &req), 0);
	CHECK_EQ_INT(gw_http_parse(buf, GW_HTTP_MAX_HEAD + 1, &req), -EMSGSIZE);
	CHECK_EQ_INT(gw_http_parse(buf, sizeof(buf), &req), -EMSGSIZE);
}

struct cookie_case {
	const char *what;
	const char *headers;	/* header lines between the request line and the blank line */
	const char *name;
	int want;
	const char *value;
};

static const struct cookie_case cookie_cases[] = {
	{ "only", "Cookie: webvpn=XYZ\r\n", "webvpn", 0, "XYZ" },
	{ "first", "Cookie: webvpn=XYZ; a=b; c=d\r\n", "webvpn", 0, "XYZ" },
	{ "middle", "Cookie: a=b; webvpn=XYZ; c=d\r\n", "webvpn", 0, "XYZ" },
	{ "last", "Cookie: a=b; c=d; webvpn=XYZ\r\n", "webvpn", 0, "XYZ" },
	{ "no blank after semicolon", "Cookie: a=b;webvpn=XYZ;c=d\r\n", "webvpn", 0, "XYZ" },
	{ "extra blanks", "Cookie: a=b ;  webvpn=XYZ \t;c=d\r\n", "webvpn", 0, "XYZ" },
	{ "longer name first", "Cookie: webvpnx=1; webvpn=XYZ\r\n", "webvpn", 0, "XYZ" },
	{ "only a longer name", "Cookie: webvpnx=1\r\n", "webvpn", -ENOENT, NULL },
	{ "only a shorter name", "Cookie: webvp=1\r\n", "webvpn", -ENOENT, NULL },
	{ "name with a prefix", "Cookie: xwebvpn=1\r\n", "webvpn", -ENOENT, NULL },
	{ "name in a value", "Cookie: a=webvpn=1\r\n", "webvpn", -ENOENT, NULL },
	{ "names are case-sensitive", "Cookie: WEBVPN=1\r\n", "webvpn", -ENOENT, NULL },
	{ "no equals sign", "Cookie: webvpn\r\n", "webvpn", -ENOENT, NULL },
	{ "empty value", "Cookie: webvpn=\r\n", "webvpn", 0, "" },
	{ "empty value, then more", "Cookie: webvpn=; a=b\r\n", "webvpn", 0, "" },
	{ "empty value at the end", "Cookie: a=b; webvpn=\r\n", "webvpn", 0, "" },
	{ "base64 padding in value", "Cookie: webvpn=ab+/cd==\r\n", "webvpn", 0, "ab+/cd==" },
	{ "empty pairs", "Cookie: ; ;webvpn=XYZ;;\r\n", "webvpn", 0, "XYZ" },
	{ "second Cookie header", "Cookie: a=b\r\nX: y\r\nCookie: webvpn=XYZ\r\n", "webvpn", 0, "XYZ" },
	{ "first of two Cookie headers", "Cookie: webvpn=ONE\r\nCookie: webvpn=TWO\r\n", "webvpn", 0, "ONE" },
	{ "first of two in one header", "Cookie: webvpn=ONE; webvpn=TWO\r\n", "webvpn", 0, "ONE" },
	{ "header name in any case", "cOOKIE: webvpn=XYZ\r\n", "webvpn", 0, "XYZ" },
	{ "not in Set-Cookie", "Set-Cookie: webvpn=XYZ\r\n", "webvpn", -ENOENT, NULL },
	{ "not in Cookie2", "Cookie2: webvpn=XYZ\r\n", "webvpn", -ENOENT, NULL },
	{ "empty Cookie header", "Cookie:\r\n", "webvpn", -ENOENT, NULL },
	{ "no Cookie header", "Host: gw\r\n", "webvpn", -ENOENT, NULL },
	{ "empty name asked", "Cookie: =x\r\n", "", -ENOENT, NULL },
	{ "sdesktop", "Cookie: webvpn=A; sdesktop=T0K3N\r\n", "sdesktop", 0, "T0K3N" },
};

static void test_cookie(void)
{
	size_t i;

	for (i = 0; i < sizeof(cookie_cases) / sizeof(cookie_cases[0]); i++) {
		const struct cookie_case *c = &cookie_cases[i];
		struct gw_http_req req;
		char buf[512];
		const char *val = NULL;
		size_t val_len = 0;
		int n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n%s\r\n", c->headers);
		int ret;

		CHECK_EQ_INT(gw_http_parse(buf, (size_t)n, &req), 1);
		ret = gw_http_cookie(&req, c->name, &val, &val_len);
		if (ret != c->want)
			printf("# %s: %d, expected %d\n", c->what, ret, c->want);
		CHECK_EQ_INT(ret, c->want);
		if (c->value && ret == 0) {
			if (val_len != strlen(c->value) || memcmp(val, c->value, val_len) != 0)
				printf("# %s: value \"%.*s\"\n", c->what, (int)val_len, val);
			CHECK_EQ_INT(val_len, strlen(c->value));
			CHECK(val_len == strlen(c->value) && !memcmp(val, c->value, val_len));
			CHECK(val >= buf && val + val_len <= buf + n);
		}
	}
}

/* The token.xml target carries the ticket in its query string. */
static void test_query(void)
{
	static const struct {
		const char *target, *path, *name, *value;	/* value NULL: -ENOENT */
		int path_is;
	} cases[] = {
		{ "/+CSCOE+/sdesktop/token.xml?ticket=ab12&stub=0", "/+CSCOE+/sdesktop/token.xml",
		  "ticket", "ab12", 1 },
		{ "/+CSCOE+/sdesktop/token.xml?ticket=ab12&stub=0", "/x", "stub", "0", 0 },
		{ "/a?ticketx=1&ticket=2", "/a", "ticket", "2", 1 },
		{ "/a?ticket=", "/a", "ticket", "", 1 },
		{ "/a?ticket", "/a", "ticket", NULL, 1 },
		{ "/a", "/a", "ticket", NULL, 1 },
		{ "/a?", "/a", "ticket", NULL, 1 },
		{ "/a?&&ticket=3&", "/a", "ticket", "3", 1 },
		{ "/ab?x=1", "/a", "x", "1", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_http_req req;
		char buf[512];
		const char *val = NULL;
		size_t len = 0;
		int n = snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\n\r\n", cases[i].target);
		int ret;

		CHECK_EQ_INT(gw_http_parse(buf, (size_t)n, &req), 1);
		CHECK_EQ_INT(gw_http_path_is(&req, cases[i].path), cases[i].path_is);
		ret = gw_http_query(&req, cases[i].name, &val, &len);
		CHECK_EQ_INT(ret, cases[i].value ? 0 : -ENOENT);
		if (cases[i].value && ret == 0)
			CHECK(len == strlen(cases[i].value) && !memcmp(val, cases[i].value, len));
	}
}

static void test_header_lookup(void)
{
	static const char in[] = "GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nX-B:3\r\n\r\n";
	struct gw_http_req req;
	const struct gw_http_header *h;

	CHECK_EQ_INT(gw_http_parse(in, sizeof(in) - 1, &req), 1);
	h = gw_http_header(&req, "X-A");
	CHECK(h == &req.headers[0]);
	h = gw_http_header(&req, "x-b");
	CHECK(h == &req.headers[2] && h->value_len == 1 && h->value[0] == '3');
	CHECK(gw_http_header(&req, "X-C") == NULL);
	CHECK(gw_http_header(&req, "X-") == NULL);
	CHECK(gw_http_header(&req, "X-A ") == NULL);
}

/* A failed or incomplete parse leaves nothing behind for a careless caller. */
static void test_reset(void)
{
	struct gw_http_req req;

	CHECK_EQ_INT(gw_http_parse(oc_connect, sizeof(oc_connect) - 1, &req), 1);
	CHECK_EQ_INT(gw_http_parse(oc_connect, 20, &req), 0);
	CHECK_EQ_INT(req.n_headers, 0);
	CHECK_EQ_INT(req.head_len, 0);
	CHECK(!gw_http_target_is(&req, "/CSCOSSLC/tunnel"));
	CHECK_EQ_INT(gw_http_parse("", 0, &req), 0);
}

int main(void)
{
	RUN(test_openconnect_post);
	RUN(test_openconnect_connect);
	RUN(test_methods);
	RUN(test_partial);
	RUN(test_reject);
	RUN(test_accept);
	RUN(test_target_limit);
	RUN(test_header_count);
	RUN(test_head_limit);
	RUN(test_cookie);
	RUN(test_header_lookup);
	RUN(test_query);
	RUN(test_reset);
	UNIT_EXIT();
}
