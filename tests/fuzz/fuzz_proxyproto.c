/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the PROXY protocol header parser: parses the input
 * as the first bytes of a connection and checks the invariants the listener
 * relies on: the result codes are the documented ones, each error has a
 * reason, a header's length lies within the input and the limits, its
 * addresses are of a family the gateway can use, and the parse is
 * incremental: a prefix of a header is "need more", more bytes after it
 * change nothing, and more bytes after an error or a "need more" never turn
 * it into something else. A v1 line is also written back from what was
 * parsed and must read the same (for TCP4, byte for byte).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/proxyproto.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

/* Parses an exact-size heap copy of data[0..len) followed by tail[0..tail_len). */
static int parse_with(const uint8_t *data, size_t len, const uint8_t *tail, size_t tail_len,
		      struct gw_proxy_hdr *h)
{
	uint8_t *buf = malloc(len + tail_len + 1);
	char err[128];
	int ret;

	FUZZ_ASSERT(buf);
	memcpy(buf, data, len);
	if (tail_len)
		memcpy(buf + len, tail, tail_len);
	err[0] = 'x';
	ret = gw_proxy_parse(buf, len + tail_len, h, err, sizeof(err));
	FUZZ_ASSERT(ret >= 0 || (err[0] != '\0' && err[0] != 'x'));
	FUZZ_ASSERT(ret != 1 || err[0] == '\0');
	free(buf);
	return ret;
}

static void check_addr(const struct sockaddr_storage *ss, int family)
{
	FUZZ_ASSERT(ss->ss_family == family);
}

static void check_same(const struct gw_proxy_hdr *a, const struct gw_proxy_hdr *b)
{
	FUZZ_ASSERT(a->len == b->len && a->local == b->local);
	FUZZ_ASSERT(!memcmp(&a->src, &b->src, sizeof(a->src)));
	FUZZ_ASSERT(!memcmp(&a->dst, &b->dst, sizeof(a->dst)));
}

/* Writes "src dst sport dport" of h back as a v1 line. */
static int format_v1(const struct gw_proxy_hdr *h, char *line, size_t size)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&h->src;
	const struct sockaddr_in *d4 = (const struct sockaddr_in *)&h->dst;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&h->src;
	const struct sockaddr_in6 *d6 = (const struct sockaddr_in6 *)&h->dst;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	bool v4 = h->src.ss_family == AF_INET;

	FUZZ_ASSERT(inet_ntop(h->src.ss_family, v4 ? (const void *)&s4->sin_addr :
			      (const void *)&s6->sin6_addr, src, sizeof(src)));
	FUZZ_ASSERT(inet_ntop(h->dst.ss_family, v4 ? (const void *)&d4->sin_addr :
			      (const void *)&d6->sin6_addr, dst, sizeof(dst)));
	return snprintf(line, size, "PROXY TCP%c %s %s %u %u\r\n", v4 ? '4' : '6', src, dst,
			ntohs(v4 ? s4->sin_port : s6->sin6_port),
			ntohs(v4 ? d4->sin_port : d6->sin6_port));
}

/* A v1 line read back from what it said reads the same; TCP4 has one spelling only. */
static void check_v1_roundtrip(const uint8_t *data, const struct gw_proxy_hdr *h)
{
	struct gw_proxy_hdr again;
	char line[160];
	int n = format_v1(h, line, sizeof(line));

	FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(line));
	/* inet_ntop may spell an address longer than it came ("::a0a:a0a" is "::10.10.10.10"). */
	if ((size_t)n > GW_PROXY_V1_MAX)
		return;
	FUZZ_ASSERT(parse_with((const uint8_t *)line, (size_t)n, NULL, 0, &again) == 1);
	FUZZ_ASSERT(again.len == (size_t)n);
	FUZZ_ASSERT(!memcmp(&again.src, &h->src, sizeof(h->src)));
	FUZZ_ASSERT(!memcmp(&again.dst, &h->dst, sizeof(h->dst)));
	if (h->src.ss_family == AF_INET)
		FUZZ_ASSERT((size_t)n == h->len && !memcmp(line, data, h->len));
}

/* A v2 PROXY header's addresses are the block's first bytes, as they were. */
static void check_v2_addrs(const uint8_t *data, const struct gw_proxy_hdr *h)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&h->src;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&h->src;

	if (h->src.ss_family == AF_INET) {
		FUZZ_ASSERT(data[13] == 0x11 && h->len >= 28);
		FUZZ_ASSERT(!memcmp(&s4->sin_addr, data + 16, 4));
		FUZZ_ASSERT(!memcmp(&s4->sin_port, data + 24, 2));
	} else {
		FUZZ_ASSERT(data[13] == 0x21 && h->len >= 52);
		FUZZ_ASSERT(!memcmp(&s6->sin6_addr, data + 16, 16));
		FUZZ_ASSERT(!memcmp(&s6->sin6_port, data + 48, 2));
	}
}

static void check_header(const uint8_t *data, size_t size, const struct gw_proxy_hdr *h)
{
	FUZZ_ASSERT(h->len >= 15 && h->len <= size && h->len <= GW_PROXY_MAX_HEADER);
	if (h->local) {
		check_addr(&h->src, AF_UNSPEC);
		check_addr(&h->dst, AF_UNSPEC);
	} else {
		FUZZ_ASSERT(h->src.ss_family == AF_INET || h->src.ss_family == AF_INET6);
		check_addr(&h->dst, h->src.ss_family);
	}
	if (data[0] == 'P') {
		FUZZ_ASSERT(h->len <= GW_PROXY_V1_MAX);
		FUZZ_ASSERT(!memcmp(data, "PROXY ", 6) && !memcmp(data + h->len - 2, "\r\n", 2));
		FUZZ_ASSERT(!memchr(data, '\n', h->len - 1));
		if (!h->local)
			check_v1_roundtrip(data, h);
	} else {
		FUZZ_ASSERT(data[0] == '\r' && h->len >= 16);
		FUZZ_ASSERT(h->len == 16 + (size_t)(data[14] << 8 | data[15]));
		FUZZ_ASSERT(h->local == ((data[12] & 0xf) == 0));
		if (!h->local)
			check_v2_addrs(data, h);
	}
}

/* A complete header: complete alone, "need more" one byte short, the same with a tail. */
static void check_complete(const uint8_t *data, size_t size, const struct gw_proxy_hdr *h)
{
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00 };
	static const size_t cuts[] = { 1, 6, 12, 13, 14, 15, 16 };
	struct gw_proxy_hdr again;
	size_t i;

	check_header(data, size, h);
	FUZZ_ASSERT(parse_with(data, h->len, NULL, 0, &again) == 1);
	check_same(h, &again);
	FUZZ_ASSERT(parse_with(data, h->len, hello, sizeof(hello), &again) == 1);
	check_same(h, &again);
	FUZZ_ASSERT(parse_with(data, h->len - 1, NULL, 0, &again) == 0);
	FUZZ_ASSERT(parse_with(data, h->len / 2, NULL, 0, &again) == 0);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]) && cuts[i] < h->len; i++)
		FUZZ_ASSERT(parse_with(data, cuts[i], NULL, 0, &again) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t tails[] = { '\r', '\n', ' ', 0x00, 0x16 };
	struct gw_proxy_hdr h, more;
	int ret = parse_with(data, size, NULL, 0, &h);
	size_t i;

	FUZZ_ASSERT(ret == 1 || ret == 0 || ret == -EPROTO || ret == -EBADMSG ||
		    ret == -ENOTSUP || ret == -EMSGSIZE);
	if (ret == 1) {
		check_complete(data, size, &h);
		return 0;
	}
	/* Need more: never once the limit is reached; a shorter prefix needs more too. */
	if (ret == 0) {
		FUZZ_ASSERT(size < GW_PROXY_MAX_HEADER);
		FUZZ_ASSERT(size == 0 || data[0] != 'P' || size < GW_PROXY_V1_MAX);
		if (size)
			FUZZ_ASSERT(parse_with(data, size / 2, NULL, 0, &more) == 0);
		return 0;
	}
	/* An error stays the same error whatever comes next. */
	for (i = 0; i < sizeof(tails); i++)
		FUZZ_ASSERT(parse_with(data, size, &tails[i], 1, &more) == ret);
	return 0;
}
