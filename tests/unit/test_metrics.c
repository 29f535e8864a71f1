/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the metrics listener's HTTP (gw_metrics_answer, ctlsock.c)
 * on a worker built by hand: GET and HEAD of /metrics answer 200 with the
 * Prometheus text (HEAD: the same headers, no body), a query string is
 * ignored, another path is 404, another method 405 with Allow, and a head
 * the VPN endpoints' strict parser refuses (bare LF, folded or duplicated
 * headers, chunked bodies, bad versions, spaces in the target) is 400; an
 * incomplete head waits for more. Every answer is one whole HTTP/1.1
 * response whose Content-Length counts the body it has (or, for HEAD,
 * would have), and every prefix of a good request waits.
 */
#include <errno.h>
#include <stdlib.h>

#include "gateway/ctlsock.h"
#include "gateway/model.h"
#include "tests/unit/unit.h"
#include "tests/unit/worker_fixture.h"

static struct gw_conf conf;
static struct gw_worker w;

/* The answer to req (a C string); its status code, -EAGAIN or -ENOMEM. */
static int answer(const char *req, char **out)
{
	size_t len = 0;
	int err;

	*out = NULL;
	err = gw_metrics_answer(&w, req, strlen(req), out, &len);
	if (err < 0)
		return err;
	CHECK(*out && strlen(*out) == len);
	if (!*out || strncmp(*out, "HTTP/1.1 ", 9) || len < 12)
		return -EBADMSG;
	return atoi(*out + 9);
}

/* Content-Length, and where the body starts, of a whole response. */
static size_t content_length(const char *resp, const char **body)
{
	const char *cl = strstr(resp, "\r\nContent-Length: ");
	const char *end = strstr(resp, "\r\n\r\n");

	*body = end ? end + 4 : resp + strlen(resp);
	return cl ? strtoul(cl + 18, NULL, 10) : (size_t)-1;
}

static void expect(const char *req, int status)
{
	char *out;
	const char *body;
	int got = answer(req, &out);

	if (got != status)
		printf("# '%.40s...': %d, expected %d\n", req, got, status);
	CHECK_EQ_INT(got, status);
	if (out && strncmp(req, "HEAD ", 5))
		CHECK_EQ_INT(content_length(out, &body), strlen(body));
	if (out && status == 405)
		CHECK(strstr(out, "\r\nAllow: GET, HEAD\r\n") != NULL);
	free(out);
}

static void test_get_head(void)
{
	char *get, *head;
	const char *gbody, *hbody;

	CHECK(wf_worker_init(&w, &conf, false, false));
	w.stats.handshakes = 4242;
	CHECK_EQ_INT(answer("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9187\r\n"
			    "Accept: text/plain\r\n\r\n", &get), 200);
	CHECK_EQ_INT(answer("HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1:9187\r\n\r\n", &head), 200);
	CHECK(get && strstr(get, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	CHECK(get && strstr(get, "\npostern_tls_handshakes_total 4242\n"));
	/* HEAD: the headers GET has, Content-Length included, and no body. */
	if (get && head) {
		CHECK_EQ_INT(content_length(get, &gbody), strlen(gbody));
		CHECK_EQ_INT(content_length(head, &hbody), strlen(gbody));
		CHECK_EQ_STR(hbody, "");
		CHECK(!strncmp(get, head, (size_t)(gbody - get)));
	}
	free(get);
	free(head);
	wf_worker_free(&w);
}

/* Prometheus sends no query string by default; one is ignored. */
static void test_paths(void)
{
	CHECK(wf_worker_init(&w, &conf, false, false));
	expect("GET /metrics?x=1 HTTP/1.1\r\n\r\n", 200);
	expect("GET /metrics? HTTP/1.0\r\n\r\n", 200);
	expect("HEAD /metrics?format=prometheus HTTP/1.1\r\n\r\n", 200);
	expect("GET / HTTP/1.1\r\n\r\n", 404);
	expect("GET /nosuch HTTP/1.1\r\n\r\n", 404);
	expect("GET /metrics/ HTTP/1.1\r\n\r\n", 404);
	expect("GET /metricsx HTTP/1.1\r\n\r\n", 404);
	expect("GET /METRICS HTTP/1.1\r\n\r\n", 404);
	expect("HEAD /nosuch HTTP/1.1\r\n\r\n", 404);
	wf_worker_free(&w);
}

static void test_methods(void)
{
	CHECK(wf_worker_init(&w, &conf, false, false));
	expect("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405);
	expect("PUT /metrics HTTP/1.1\r\n\r\n", 405);
	expect("DELETE /metrics HTTP/1.1\r\n\r\n", 405);
	expect("OPTIONS /metrics HTTP/1.1\r\n\r\n", 405);
	expect("CONNECT /metrics HTTP/1.1\r\n\r\n", 405);
	expect("get /metrics HTTP/1.1\r\n\r\n", 405);
	wf_worker_free(&w);
}

/* What the strict parser refuses; the old strncmp listener took most of it. */
static void test_malformed(void)
{
	static const char *const bad[] = {
		"GET /metrics HTTP/1.1\n\n",
		"GET /metrics HTTP/1.1\r\nHost: a\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
		"GET /metrics HTTP/2.0\r\n\r\n",
		"GET /metrics\r\n\r\n",
		"GET  /metrics HTTP/1.1\r\n\r\n",
		"GET /met rics HTTP/1.1\r\n\r\n",
		"GET metrics HTTP/1.1\r\n\r\n",
		"GET http://127.0.0.1:9187/metrics HTTP/1.1\r\n\r\n",
		"GE(T /metrics HTTP/1.1\r\n\r\n",
		"\r\n\r\n",
	};

	CHECK(wf_worker_init(&w, &conf, false, false));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(bad[i], 400);
	wf_worker_free(&w);
}

/* Every prefix of a good request waits for more; nothing is answered early. */
static void test_incomplete(void)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	size_t n, early = 0;
	char *out;

	CHECK(wf_worker_init(&w, &conf, false, false));
	for (n = 0; n < sizeof(req) - 1; n++) {
		size_t len = 0;

		out = NULL;
		if (gw_metrics_answer(&w, req, n, &out, &len) != -EAGAIN)
			early++;
		free(out);
	}
	CHECK_EQ_INT(early, 0);
	wf_worker_free(&w);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_get_head);
	RUN(test_paths);
	RUN(test_methods);
	RUN(test_malformed);
	RUN(test_incomplete);
	UNIT_EXIT();
}
