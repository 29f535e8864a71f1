/* SPDX-License-Identifier: MIT */
/*
 * Strict parser for the request heads an OpenConnect client sends: POST /
 * for the auth exchange, GET for posture pages and CONNECT /CSCOSSLC/tunnel;
 * and a metrics scraper's GET or HEAD.
 * It is stateless (it re-reads the buffer from the start on every call, which
 * is cheap for heads of at most GW_HTTP_MAX_HEAD bytes) and copies nothing:
 * the request it fills in points into the caller's buffer. Everything the
 * client never sends (chunked bodies, folded or bare-LF lines, control bytes,
 * duplicate or non-numeric Content-Length) is refused rather than guessed at,
 * because guessing is what request smuggling feeds on.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/macros.h"
#include "gateway/http.h"

/* RFC 9110 tchar: the characters of a method or a header name. */
static bool gw_http_is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values: visible ASCII, space, tab and obs-text; no other control byte. */
static bool gw_http_is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* A target is printable ASCII without spaces; obs-text has no place in a path. */
static bool gw_http_is_target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

static bool gw_http_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char gw_http_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII-only case folding, so that the result never depends on the locale. */
static bool gw_http_name_eq(const char *a, size_t a_len, const char *b)
{
	size_t i;

	if (strlen(b) != a_len)
		return false;
	for (i = 0; i < a_len; i++) {
		if (gw_http_lower(a[i]) != gw_http_lower(b[i]))
			return false;
	}
	return true;
}

static void gw_http_trim(const char **s, size_t *len)
{
	while (*len && gw_http_is_blank(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && gw_http_is_blank((*s)[*len - 1]))
		(*len)--;
}

/*
 * Finds the line that starts at pos and ends before end. Returns 1 and its
 * length without the CRLF, 0 when its end has not arrived, or -EBADMSG for a
 * bare LF (a peer that ends lines differently from us is a smuggling risk).
 */
static int gw_http_next_line(const char *buf, size_t end, size_t pos, size_t *line_len)
{
	const char *lf;
	size_t i;

	if (pos >= end)
		return 0;
	lf = memchr(buf + pos, '\n', end - pos);
	if (!lf)
		return 0;
	i = (size_t)(lf - buf);
	if (i == pos || buf[i - 1] != '\r')
		return -EBADMSG;
	*line_len = i - 1 - pos;
	return 1;
}

static int gw_http_parse_method(const char *s, size_t len, enum gw_http_method *method)
{
	static const struct {
		const char *name;
		enum gw_http_method method;
	} methods[] = {
		{ "GET", GW_HTTP_GET },
		{ "POST", GW_HTTP_POST },
		{ "CONNECT", GW_HTTP_CONNECT },
		{ "HEAD", GW_HTTP_HEAD },
	};
	size_t i;

	if (!len)
		return -EBADMSG;
	for (i = 0; i < len; i++) {
		if (!gw_http_is_tchar((unsigned char)s[i]))
			return -EBADMSG;
	}
	/* Methods are case-sensitive (RFC 9110 9.1): "get" is another method. */
	for (i = 0; i < CM_ARRAY_SIZE(methods); i++) {
		if (strlen(methods[i].name) == len && !memcmp(s, methods[i].name, len)) {
			*method = methods[i].method;
			return 0;
		}
	}
	*method = GW_HTTP_OTHER;
	return -ENOTSUP;
}

/* Origin form only, even for CONNECT: the client sends CONNECT /CSCOSSLC/tunnel. */
static int gw_http_check_target(const char *s, size_t len)
{
	size_t i;

	if (!len || s[0] != '/')
		return -EBADMSG;
	if (len > GW_HTTP_MAX_TARGET)
		return -EMSGSIZE;
	for (i = 0; i < len; i++) {
		if (!gw_http_is_target_char((unsigned char)s[i]))
			return -EBADMSG;
	}
	return 0;
}

static int gw_http_parse_version(const char *s, size_t len, int *minor)
{
	if (len != 8 || memcmp(s, "HTTP/1.", 7) != 0)
		return -EBADMSG;
	if (s[7] != '0' && s[7] != '1')
		return -EBADMSG;
	*minor = s[7] - '0';
	return 0;
}

/* METHOD SP target SP HTTP/1.x, with exactly one space between the parts. */
static int gw_http_parse_request_line(const char *line, size_t len, struct gw_http_req *req)
{
	const char *sp1, *sp2, *target;
	size_t rest;
	int ret;

	sp1 = memchr(line, ' ', len);
	if (!sp1)
		return -EBADMSG;
	ret = gw_http_parse_method(line, (size_t)(sp1 - line), &req->method);
	if (ret < 0)
		return ret;
	target = sp1 + 1;
	rest = len - (size_t)(target - line);
	sp2 = memchr(target, ' ', rest);
	if (!sp2)
		return -EBADMSG;
	ret = gw_http_check_target(target, (size_t)(sp2 - target));
	if (ret < 0)
		return ret;
	req->target = target;
	req->target_len = (size_t)(sp2 - target);
	return gw_http_parse_version(sp2 + 1, len - (size_t)(sp2 + 1 - line), &req->version_minor);
}

/*
 * name ":" OWS value OWS. A leading blank (obs-fold), an empty name or a
 * blank before the colon all fail the tchar check on the name.
 */
static int gw_http_parse_header_line(const char *line, size_t len, struct gw_http_header *h)
{
	const char *colon = memchr(line, ':', len);
	size_t i, name_len;

	if (!colon || colon == line)
		return -EBADMSG;
	name_len = (size_t)(colon - line);
	for (i = 0; i < name_len; i++) {
		if (!gw_http_is_tchar((unsigned char)line[i]))
			return -EBADMSG;
	}
	for (i = name_len + 1; i < len; i++) {
		if (!gw_http_is_value_char((unsigned char)line[i]))
			return -EBADMSG;
	}
	h->name = line;
	h->name_len = name_len;
	h->value = colon + 1;
	h->value_len = len - name_len - 1;
	gw_http_trim(&h->value, &h->value_len);
	return 0;
}

/*
 * Content-Length is 1*DIGIT and nothing else: no sign, no blanks inside, no
 * comma list. The digits are checked first so that garbage is -EBADMSG, then
 * accumulated with the limit checked at every step, so it cannot overflow.
 */
static int gw_http_parse_length(const char *s, size_t len, size_t *out)
{
	size_t i, v = 0;

	if (!len)
		return -EBADMSG;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
	}
	for (i = 0; i < len; i++) {
		v = v * 10 + (size_t)(s[i] - '0');
		if (v > GW_HTTP_MAX_BODY)
			return -EMSGSIZE;
	}
	*out = v;
	return 0;
}

/* The headers that decide where the body ends get checked as they arrive. */
static int gw_http_check_header(struct gw_http_req *req, const struct gw_http_header *h,
				bool *have_length)
{
	if (gw_http_name_eq(h->name, h->name_len, "Transfer-Encoding"))
		return -ENOTSUP;
	if (!gw_http_name_eq(h->name, h->name_len, "Content-Length"))
		return 0;
	if (*have_length)
		return -EBADMSG;
	*have_length = true;
	return gw_http_parse_length(h->value, h->value_len, &req->content_length);
}

static int gw_http_add_header(struct gw_http_req *req, const char *line, size_t len,
			      bool *have_length)
{
	struct gw_http_header *h;
	int ret;

	if (req->n_headers >= GW_HTTP_MAX_HEADERS)
		return -EMSGSIZE;
	h = &req->headers[req->n_headers];
	ret = gw_http_parse_header_line(line, len, h);
	if (ret < 0)
		return ret;
	req->n_headers++;
	return gw_http_check_header(req, h, have_length);
}

/*
 * Only the first GW_HTTP_MAX_HEAD bytes are ever looked at: a head that has
 * not ended by then is over the limit, however many bytes are still to come,
 * so endless header lines are cut off as soon as the limit is passed.
 */
int gw_http_parse(const char *buf, size_t len, struct gw_http_req *req)
{
	size_t end = len < GW_HTTP_MAX_HEAD ? len : GW_HTTP_MAX_HEAD;
	size_t pos = 0, line_len = 0;
	bool have_length = false;
	int ret;

	memset(req, 0, sizeof(*req));
	while ((ret = gw_http_next_line(buf, end, pos, &line_len)) > 0) {
		const char *line = buf + pos;

		pos += line_len + 2;
		if (line == buf)
			ret = gw_http_parse_request_line(line, line_len, req);
		else if (line_len == 0)
			break;
		else
			ret = gw_http_add_header(req, line, line_len, &have_length);
		if (ret < 0)
			return ret;
	}
	if (ret < 0)
		return ret;
	if (ret > 0) {
		req->head_len = pos;
		return 1;
	}
	return len > GW_HTTP_MAX_HEAD ? -EMSGSIZE : 0;
}

const struct gw_http_header *gw_http_header(const struct gw_http_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++) {
		const struct gw_http_header *h = &req->headers[i];

		if (gw_http_name_eq(h->name, h->name_len, name))
			return h;
	}
	return NULL;
}

/* One "name=value" pair of a Cookie header; cookie names are case-sensitive. */
static int gw_http_cookie_pair(const char *s, size_t len, const char *name, size_t name_len,
			       const char **val, size_t *val_len)
{
	const char *eq;

	gw_http_trim(&s, &len);
	eq = memchr(s, '=', len);
	if (!eq || (size_t)(eq - s) != name_len || memcmp(s, name, name_len) != 0)
		return -ENOENT;
	s = eq + 1;
	len -= name_len + 1;
	gw_http_trim(&s, &len);
	*val = s;
	*val_len = len;
	return 0;
}

static int gw_http_cookie_find(const char *s, size_t len, const char *name, size_t name_len,
			       const char **val, size_t *val_len)
{
	for (;;) {
		const char *semi = memchr(s, ';', len);
		size_t pair_len = semi ? (size_t)(semi - s) : len;

		if (gw_http_cookie_pair(s, pair_len, name, name_len, val, val_len) == 0)
			return 0;
		if (!semi)
			return -ENOENT;
		s = semi + 1;
		len -= pair_len + 1;
	}
}

/* The first match wins, across several Cookie headers in the order sent. */
int gw_http_cookie(const struct gw_http_req *req, const char *name,
		   const char **val, size_t *val_len)
{
	size_t i, name_len = strlen(name);

	if (!name_len)
		return -ENOENT;
	for (i = 0; i < req->n_headers; i++) {
		const struct gw_http_header *h = &req->headers[i];

		if (!gw_http_name_eq(h->name, h->name_len, "Cookie"))
			continue;
		if (gw_http_cookie_find(h->value, h->value_len, name, name_len, val, val_len) == 0)
			return 0;
	}
	return -ENOENT;
}

int gw_http_target_is(const struct gw_http_req *req, const char *path)
{
	size_t len = strlen(path);

	return req->target && req->target_len == len && memcmp(req->target, path, len) == 0;
}

/* The path part of the target, before any query string. */
static size_t http_path_len(const struct gw_http_req *req)
{
	const char *q = req->target ? memchr(req->target, '?', req->target_len) : NULL;

	return q ? (size_t)(q - req->target) : req->target_len;
}

int gw_http_path_is(const struct gw_http_req *req, const char *path)
{
	size_t len = strlen(path);

	return req->target && http_path_len(req) == len && memcmp(req->target, path, len) == 0;
}

int gw_http_query(const struct gw_http_req *req, const char *name, const char **val,
		  size_t *val_len)
{
	size_t plen = http_path_len(req), nlen = strlen(name), i;

	if (!req->target || plen == req->target_len)
		return -ENOENT;
	for (i = plen + 1; i < req->target_len;) {
		const char *p = req->target + i;
		const char *amp = memchr(p, '&', req->target_len - i);
		size_t len = amp ? (size_t)(amp - p) : req->target_len - i;

		if (len > nlen && p[nlen] == '=' && memcmp(p, name, nlen) == 0) {
			*val = p + nlen + 1;
			*val_len = len - nlen - 1;
			return 0;
		}
		i += len + 1;
	}
	return -ENOENT;
}
