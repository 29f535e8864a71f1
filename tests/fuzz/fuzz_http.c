/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the HTTP request parser: parses the input as a
 * request head, then runs the lookups the gateway makes on a parsed request
 * and checks the invariants its callers rely on: every span points inside
 * the head, the limits hold, the result codes are the documented ones, and a
 * complete head is complete exactly at head_len and not one byte earlier.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http.h"
#include "gateway/model.h"
#include "gateway/token.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

static void check_span(const char *buf, size_t head_len, const char *p, size_t len)
{
	FUZZ_ASSERT(p >= buf && p <= buf + head_len);
	FUZZ_ASSERT(len <= head_len - (size_t)(p - buf));
}

static void check_complete(const char *buf, size_t len, const struct gw_http_req *req)
{
	struct gw_http_req again;
	const struct gw_http_header *h;
	const char *val;
	size_t i, val_len;

	FUZZ_ASSERT(req->head_len >= 4 && req->head_len <= len);
	FUZZ_ASSERT(req->head_len <= GW_HTTP_MAX_HEAD);
	FUZZ_ASSERT(!memcmp(buf + req->head_len - 4, "\r\n\r\n", 4));
	FUZZ_ASSERT(req->n_headers <= GW_HTTP_MAX_HEADERS);
	FUZZ_ASSERT(req->content_length <= GW_HTTP_MAX_BODY);
	FUZZ_ASSERT(req->version_minor == 0 || req->version_minor == 1);
	FUZZ_ASSERT(req->method == GW_HTTP_GET || req->method == GW_HTTP_POST ||
		    req->method == GW_HTTP_CONNECT || req->method == GW_HTTP_HEAD);
	FUZZ_ASSERT(req->target_len >= 1 && req->target_len <= GW_HTTP_MAX_TARGET);
	FUZZ_ASSERT(req->target[0] == '/');
	check_span(buf, req->head_len, req->target, req->target_len);
	for (i = 0; i < req->n_headers; i++) {
		h = &req->headers[i];
		FUZZ_ASSERT(h->name_len > 0);
		check_span(buf, req->head_len, h->name, h->name_len);
		check_span(buf, req->head_len, h->value, h->value_len);
		FUZZ_ASSERT(!memchr(h->value, '\n', h->value_len));
		FUZZ_ASSERT(!memchr(h->value, '\0', h->value_len));
	}
	h = gw_http_header(req, "Host");
	FUZZ_ASSERT(!h || (h >= req->headers && h < req->headers + req->n_headers));
	FUZZ_ASSERT(!gw_http_header(req, "Transfer-Encoding"));
	h = gw_http_header(req, "Content-Length");
	FUZZ_ASSERT(h || req->content_length == 0);
	if (gw_http_cookie(req, "webvpn", &val, &val_len) == 0) {
		uint8_t cookie[GW_COOKIE_LEN];

		check_span(buf, req->head_len, val, val_len);
		FUZZ_ASSERT(!memchr(val, ';', val_len));
		/* The session cookie parser takes the value just as the gateway does. */
		if (gw_cookie_parse(val, val_len, cookie) == 0)
			FUZZ_ASSERT(val_len == 2 * GW_COOKIE_LEN);
	}
	if (gw_http_cookie(req, "sdesktop", &val, &val_len) == 0)
		check_span(buf, req->head_len, val, val_len);
	(void)gw_http_target_is(req, "/");
	(void)gw_http_target_is(req, "/CSCOSSLC/tunnel");
	(void)gw_http_path_is(req, "/+CSCOE+/sdesktop/token.xml");
	{
		const char *v;
		size_t vlen;

		if (gw_http_query(req, "ticket", &v, &vlen) == 0)
			check_span(buf, req->head_len, v, vlen);
	}

	/* The head ends exactly at head_len: the same bytes alone parse the same. */
	FUZZ_ASSERT(gw_http_parse(buf, req->head_len, &again) == 1);
	FUZZ_ASSERT(again.head_len == req->head_len && again.n_headers == req->n_headers);
	FUZZ_ASSERT(gw_http_parse(buf, req->head_len - 1, &again) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct gw_http_req req;
	int ret = gw_http_parse(buf, size, &req);

	FUZZ_ASSERT(ret == 1 || ret == 0 || ret == -EMSGSIZE || ret == -ENOTSUP ||
		    ret == -EBADMSG);
	if (ret == 0)
		FUZZ_ASSERT(size <= GW_HTTP_MAX_HEAD);
	if (ret == 1)
		check_complete(buf, size, &req);
	return 0;
}
