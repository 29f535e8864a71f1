/* SPDX-License-Identifier: MIT */
/*
 * gateway/wbio.c: records gathered and written together, a full socket
 * reported as "retry" (as a socket BIO would) without losing or reordering
 * a byte, and a failed write reported as such. Over a real socket pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/wbio.h"
#include "tests/unit/unit.h"

static int pair[2];

static void pair_open(int sndbuf)
{
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
	if (sndbuf)
		setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
}

static void pair_close(void)
{
	close(pair[0]);
	close(pair[1]);
}

/* Reads what is waiting on the far end into buf; returns its length. */
static size_t drain(uint8_t *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap && (n = read(pair[1], buf + got, cap - got)) > 0)
		got += (size_t)n;
	return got;
}

static void test_gathers_until_flush(void)
{
	uint8_t out[64];
	BIO *b;

	pair_open(0);
	b = gw_wbio_new(pair[0]);
	CHECK(b != NULL);
	CHECK_EQ_INT(BIO_write(b, "one;", 4), 4);
	CHECK_EQ_INT(BIO_write(b, "two;", 4), 4);
	CHECK_EQ_INT(gw_wbio_pending(b), 8);
	CHECK_EQ_INT(BIO_wpending(b), 8);
	CHECK_EQ_INT(drain(out, sizeof(out)), 0);	/* nothing written yet */
	CHECK_EQ_INT(gw_wbio_flush(b), 1);
	CHECK_EQ_INT(gw_wbio_pending(b), 0);
	CHECK_EQ_INT(drain(out, sizeof(out)), 8);
	CHECK(!memcmp(out, "one;two;", 8));
	CHECK_EQ_INT(BIO_write(b, "three", 5), 5);
	CHECK_EQ_INT(BIO_flush(b), 1);			/* what OpenSSL calls after a flight */
	CHECK_EQ_INT(drain(out, sizeof(out)), 5);
	BIO_free(b);
	pair_close();
}

/*
 * A full socket: flush says "wait", BIO_write says "retry" once the buffer
 * is full too, and after the reader drains, every byte arrives in order.
 */
static void test_full_socket_keeps_order(void)
{
	static uint8_t chunk[16384], got[4 * 1024 * 1024];
	size_t written = 0, read_total = 0;
	int r, retries = 0;
	BIO *b;

	pair_open(4096);
	b = gw_wbio_new(pair[0]);
	for (int i = 0; i < 400 && retries == 0; i++) {
		for (size_t k = 0; k < sizeof(chunk); k++)
			chunk[k] = (uint8_t)(written + k);
		r = BIO_write(b, chunk, sizeof(chunk));
		if (r < 0) {
			CHECK(BIO_should_retry(b) && BIO_should_write(b));
			retries++;
			break;
		}
		CHECK_EQ_INT(r, sizeof(chunk));
		written += (size_t)r;
	}
	CHECK_EQ_INT(retries, 1);
	CHECK_EQ_INT(gw_wbio_flush(b), 0);		/* the socket is still full */
	CHECK(gw_wbio_pending(b) > 0);
	for (int i = 0; i < 1000 && (gw_wbio_pending(b) || read_total < written); i++) {
		read_total += drain(got + read_total, sizeof(got) - read_total);
		r = gw_wbio_flush(b);
		CHECK(r >= 0);
	}
	CHECK_EQ_INT(gw_wbio_pending(b), 0);
	CHECK_EQ_INT(read_total, written);
	for (size_t k = 0; k < read_total; k++) {
		if (got[k] != (uint8_t)k) {
			CHECK(!"a byte arrived out of order");
			break;
		}
	}
	BIO_free(b);
	pair_close();
}

static void test_failed_write(void)
{
	BIO *b;

	signal(SIGPIPE, SIG_IGN);
	pair_open(0);
	b = gw_wbio_new(pair[0]);
	close(pair[1]);
	CHECK_EQ_INT(BIO_write(b, "lost", 4), 4);
	CHECK_EQ_INT(gw_wbio_flush(b), -1);
	CHECK_EQ_INT(errno, EPIPE);
	CHECK_EQ_INT(BIO_flush(b), -1);
	CHECK(!BIO_should_retry(b));
	BIO_free(b);
	close(pair[0]);
}

int main(void)
{
	RUN(test_gathers_until_flush);
	RUN(test_full_socket_keeps_order);
	RUN(test_failed_write);
	UNIT_EXIT();
}
