/* SPDX-License-Identifier: MIT */
/*
 * Strict HTTP/1.1 request parser for the few requests an OpenConnect client
 * makes (POST / for auth, GET for posture pages, CONNECT for the tunnel) and
 * a metrics scraper's (GET or HEAD /metrics).
 * It never copies: the parsed request points into the caller's buffer.
 * Anything the client does not need (chunked bodies, folded headers, bare
 * LF line ends, NUL bytes, duplicate Content-Length) is rejected.
 */
#ifndef POSTERN_GW_HTTP_H
#define POSTERN_GW_HTTP_H

#include <stddef.h>

#define GW_HTTP_MAX_HEAD	8192	/* request line + headers + blank line */
#define GW_HTTP_MAX_BODY	16384
#define GW_HTTP_MAX_HEADERS	32
#define GW_HTTP_MAX_TARGET	1024

enum gw_http_method {
	GW_HTTP_GET,
	GW_HTTP_POST,
	GW_HTTP_CONNECT,
	GW_HTTP_HEAD,		/* the metrics listener's; the VPN endpoints refuse it */
	GW_HTTP_OTHER,		/* any other method, which -ENOTSUP refuses */
};

struct gw_http_header {
	const char *name;
	size_t name_len;
	const char *value;	/* leading and trailing blanks stripped */
	size_t value_len;
};

struct gw_http_req {
	enum gw_http_method method;
	const char *target;
	size_t target_len;
	int version_minor;	/* HTTP/1.0 or HTTP/1.1 */
	struct gw_http_header headers[GW_HTTP_MAX_HEADERS];
	size_t n_headers;
	size_t head_len;	/* bytes up to and including the blank line */
	size_t content_length;	/* 0 when absent */
};

/*
 * Parses the request head at the start of buf.
 * Returns 1 when the head is complete (the body is the next content_length
 * bytes after head_len, which may not have arrived yet), 0 when more bytes
 * are needed, -EMSGSIZE when the head, a header count, the target or the
 * Content-Length is over its limit, -ENOTSUP for an unsupported method
 * (req->method is then GW_HTTP_OTHER) or Transfer-Encoding, -EBADMSG for
 * anything malformed.
 */
int gw_http_parse(const char *buf, size_t len, struct gw_http_req *req);

/* Finds a header by name, ignoring case. NULL when absent. */
const struct gw_http_header *gw_http_header(const struct gw_http_req *req, const char *name);

/*
 * Finds cookie `name` in the Cookie header(s). Returns 0 and points *val
 * into the buffer, or -ENOENT.
 */
int gw_http_cookie(const struct gw_http_req *req, const char *name,
		   const char **val, size_t *val_len);

/* True when the target equals path exactly (no query string allowed). */
int gw_http_target_is(const struct gw_http_req *req, const char *path);
/* True when the target's path (the part before any '?') equals path. */
int gw_http_path_is(const struct gw_http_req *req, const char *path);
/*
 * Finds query parameter `name` in the target ("?a=1&b=2"), taken verbatim
 * (no %-decoding: the values we look up are hex). Returns 0 and points *val
 * into the buffer, or -ENOENT.
 */
int gw_http_query(const struct gw_http_req *req, const char *name,
		  const char **val, size_t *val_len);

#endif
