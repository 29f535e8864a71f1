/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the PROXY protocol header parser: v1 and v2 headers of both
 * families as HAProxy sends them, LOCAL and UNKNOWN, TLVs, every split point
 * of a header arriving in pieces (each piece in a heap block of its exact
 * size, so that a sanitizer build catches a read past the end), one
 * rejection per rule with its specific error and no prefix that says
 * otherwise, the limits at and just over their values, and which peers are
 * trusted to send a header.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "gateway/proxyproto.h"
#include "tests/unit/unit.h"

/* Inputs may hold NUL bytes, so every table entry carries its length. */
#define S(lit) (const uint8_t *)lit, sizeof(lit) - 1

#define V2_SIG "\r\n\r\n\0\r\nQUIT\n"

/* What a TLS client sends first: the stream that must follow a header untouched. */
static const uint8_t client_hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc };

/* Parses a heap copy of exactly len bytes. */
static int parse_exact(const uint8_t *in, size_t len, struct gw_proxy_hdr *h, char *err,
		       size_t errlen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	if (!copy)
		abort();
	memcpy(copy, in, len);
	ret = gw_proxy_parse(copy, len, h, err, errlen);
	free(copy);
	return ret;
}

/* Builds a v2 header: the signature, ver_cmd, fam, the block's length and the block. */
static size_t v2(uint8_t *buf, uint8_t ver_cmd, uint8_t fam, const void *block, size_t n)
{
	memcpy(buf, V2_SIG, 12);
	buf[12] = ver_cmd;
	buf[13] = fam;
	buf[14] = (uint8_t)(n >> 8);
	buf[15] = (uint8_t)n;
	if (n)
		memcpy(buf + 16, block, n);
	return 16 + n;
}

static const uint8_t v4_block[12] = {
	192, 0, 2, 1,		/* source */
	198, 51, 100, 7,	/* destination */
	0xdc, 0x04,		/* 56324 */
	0x01, 0xbb,		/* 443 */
};

static const uint8_t v6_block[36] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	0xff, 0xff,		/* 65535 */
	0x00, 0x00,		/* 0 */
};

static void check_v4(const struct sockaddr_storage *ss, const char *addr, unsigned port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char text[INET_ADDRSTRLEN] = "";

	CHECK_EQ_INT(ss->ss_family, AF_INET);
	inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
	CHECK_EQ_STR(text, addr);
	CHECK_EQ_INT(ntohs(sin->sin_port), port);
}

static void check_v6(const struct sockaddr_storage *ss, const char *addr, unsigned port)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	char text[INET6_ADDRSTRLEN] = "";

	CHECK_EQ_INT(ss->ss_family, AF_INET6);
	inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
	CHECK_EQ_STR(text, addr);
	CHECK_EQ_INT(ntohs(sin6->sin6_port), port);
}

/*
 * Every prefix shorter than the header is "need more", the header alone is
 * complete, and so is the header followed by a ClientHello, with the same
 * length: the TLS stream is left where it starts.
 */
static void check_all_splits(const char *what, const uint8_t *in, size_t len)
{
	uint8_t buf[GW_PROXY_MAX_HEADER + sizeof(client_hello)];
	struct gw_proxy_hdr h;
	size_t n;
	int bad = 0, ret;

	for (n = 0; n < len; n++) {
		ret = parse_exact(in, n, &h, NULL, 0);
		if (ret != 0) {
			printf("# %s: split at %zu of %zu: %d, expected 0\n", what, n, len, ret);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(parse_exact(in, len, &h, NULL, 0), 1);
	CHECK_EQ_INT(h.len, len);
	memcpy(buf, in, len);
	memcpy(buf + len, client_hello, sizeof(client_hello));
	CHECK_EQ_INT(parse_exact(buf, len + sizeof(client_hello), &h, NULL, 0), 1);
	CHECK_EQ_INT(h.len, len);
}

static void test_v1_tcp4(void)
{
	static const char line[] = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n";
	uint8_t buf[128];
	struct gw_proxy_hdr h;
	char err[128] = "stale";

	memcpy(buf, line, sizeof(line) - 1);
	memcpy(buf + sizeof(line) - 1, client_hello, sizeof(client_hello));
	CHECK_EQ_INT(gw_proxy_parse(buf, sizeof(line) - 1 + sizeof(client_hello), &h, err,
				    sizeof(err)), 1);
	CHECK_EQ_STR(err, "");
	CHECK(!h.local);
	CHECK_EQ_INT(h.len, sizeof(line) - 1);
	check_v4(&h.src, "192.0.2.1", 56324);
	check_v4(&h.dst, "198.51.100.7", 443);
	check_all_splits("v1 TCP4", S(line));
}

static void test_v1_tcp4_limits(void)
{
	static const char widest[] = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
	static const char zeros[] = "PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n";
	struct gw_proxy_hdr h;

	CHECK_EQ_INT(gw_proxy_parse(S(widest), &h, NULL, 0), 1);
	CHECK_EQ_INT(h.len, 56);
	check_v4(&h.src, "255.255.255.255", 65535);
	check_all_splits("v1 TCP4 widest", S(widest));
	CHECK_EQ_INT(gw_proxy_parse(S(zeros), &h, NULL, 0), 1);
	check_v4(&h.dst, "0.0.0.0", 0);
}

static void test_v1_tcp6(void)
{
	static const char line[] = "PROXY TCP6 2001:db8::1 2001:DB8::2 65535 0\r\n";
	static const char widest[] = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	/* HAProxy writes a v4 client of a v6 listener so (inet_ntop of a mapped address). */
	static const char mapped[] = "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\r\n";
	struct gw_proxy_hdr h;

	CHECK_EQ_INT(gw_proxy_parse(S(line), &h, NULL, 0), 1);
	CHECK(!h.local);
	CHECK_EQ_INT(h.len, sizeof(line) - 1);
	check_v6(&h.src, "2001:db8::1", 65535);
	check_v6(&h.dst, "2001:db8::2", 0);
	check_all_splits("v1 TCP6", S(line));

	CHECK_EQ_INT(gw_proxy_parse(S(widest), &h, NULL, 0), 1);
	CHECK_EQ_INT(h.len, 104);
	check_v6(&h.dst, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	check_all_splits("v1 TCP6 widest", S(widest));

	CHECK_EQ_INT(gw_proxy_parse(S(mapped), &h, NULL, 0), 1);
	check_v6(&h.src, "::ffff:192.0.2.1", 1);
}

static void test_v1_unknown(void)
{
	static const char shortest[] = "PROXY UNKNOWN\r\n";
	static const char worst[] = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	static const char blank[] = "PROXY UNKNOWN \r\n";
	struct gw_proxy_hdr h;

	CHECK_EQ_INT(gw_proxy_parse(S(shortest), &h, NULL, 0), 1);
	CHECK(h.local);
	CHECK_EQ_INT(h.len, 15);
	CHECK_EQ_INT(h.src.ss_family, AF_UNSPEC);
	check_all_splits("v1 UNKNOWN", S(shortest));

	CHECK_EQ_INT(sizeof(worst) - 1, GW_PROXY_V1_MAX);
	CHECK_EQ_INT(gw_proxy_parse(S(worst), &h, NULL, 0), 1);
	CHECK(h.local);
	CHECK_EQ_INT(h.len, GW_PROXY_V1_MAX);
	check_all_splits("v1 UNKNOWN worst case", S(worst));

	CHECK_EQ_INT(gw_proxy_parse(S(blank), &h, NULL, 0), 1);
	CHECK(h.local);
}

static void test_v2_tcp4(void)
{
	uint8_t buf[64];
	size_t n = v2(buf, 0x21, 0x11, v4_block, sizeof(v4_block));
	struct gw_proxy_hdr h;

	CHECK_EQ_INT(gw_proxy_parse(buf, n, &h, NULL, 0), 1);
	CHECK(!h.local);
	CHECK_EQ_INT(h.len, 28);
	check_v4(&h.src, "192.0.2.1", 56324);
	check_v4(&h.dst, "198.51.100.7", 443);
	check_all_splits("v2 TCP4", buf, n);
}

static void test_v2_tcp6(void)
{
	uint8_t buf[64];
	size_t n = v2(buf, 0x21, 0x21, v6_block, sizeof(v6_block));
	struct gw_proxy_hdr h;

	CHECK_EQ_INT(gw_proxy_parse(buf, n, &h, NULL, 0), 1);
	CHECK(!h.local);
	CHECK_EQ_INT(h.len, 52);
	check_v6(&h.src, "2001:db8::1", 65535);
	check_v6(&h.dst, "2001:db8::2", 0);
	check_all_splits("v2 TCP6", buf, n);
}

/*
 * LOCAL (a balancer's health check): any family the spec lists, the block
 * skipped unread whatever it holds, as the spec has it.
 */
static void test_v2_local(void)
{
	static const uint8_t fams[] = { 0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32 };
	uint8_t buf[GW_PROXY_MAX_HEADER], junk[216];
	struct gw_proxy_hdr h;
	size_t i, n;

	n = v2(buf, 0x20, 0x00, NULL, 0);
	CHECK_EQ_INT(gw_proxy_parse(buf, n, &h, NULL, 0), 1);
	CHECK(h.local);
	CHECK_EQ_INT(h.len, 16);
	CHECK_EQ_INT(h.src.ss_family, AF_UNSPEC);
	check_all_splits("v2 LOCAL", buf, n);

	memset(junk, 0xa5, sizeof(junk));
	for (i = 0; i < sizeof(fams); i++) {
		n = v2(buf, 0x20, fams[i], junk, sizeof(junk));
		CHECK_EQ_INT(gw_proxy_parse(buf, n, &h, NULL, 0), 1);
		CHECK(h.local);
		CHECK_EQ_INT(h.len, 16 + sizeof(junk));
		/* Shorter than the family's addresses: still nothing to read. */
		n = v2(buf, 0x20, fams[i], junk, 3);
		CHECK_EQ_INT(gw_proxy_parse(buf, n, &h, NULL, 0), 1);
		CHECK_EQ_INT(h.len, 19);
	}
	n = v2(buf, 0x20, 0x11, v4_block, sizeof(v4_block));
	check_all_splits("v2 LOCAL with addresses", buf, n);
}

/* Appends a TLV of type t and n bytes of value v. */
static size_t tlv(uint8_t *p, uint8_t t, const char *v, size_t n)
{
	p[0] = t;
	p[1] = (uint8_t)(n >> 8);
	p[2] = (uint8_t)n;
	memcpy(p + 3, v, n);
	return 3 + n;
}

static void test_v2_tlvs(void)
{
	uint8_t block[256], buf[GW_PROXY_MAX_HEADER];
	struct gw_proxy_hdr h;
	size_t b = sizeof(v4_block), n;

	memcpy(block, v4_block, b);
	b += tlv(block + b, 0x01, "h2", 2);				/* ALPN */
	b += tlv(block + b, 0x02, "vpn.example.org", 15);		/* AUTHORITY */
	b += tlv(block + b, 0x04, "", 0);				/* NOOP */
	b += tlv(block + b, 0x05, "0123456789abcdef", 16);		/* UNIQUE_ID */
	b += tlv(block + b, 0x03, "\x12\x34\x56\x78", 4);		/* CRC32C, not checked */
	b += tlv(block + b, 0xe0, "custom", 6);				/* PP2_TYPE_MIN_CUSTOM */
	n = v2(buf, 0x21, 0x11, block, b);
	CHECK_EQ_INT(gw_proxy_parse(buf, n, &h, NULL, 0), 1);
	CHECK_EQ_INT(h.len, n);
	check_v4(&h.src, "192.0.2.1", 56324);
	check_all_splits("v2 TCP4 with TLVs", buf, n);

	memcpy(block, v6_block, sizeof(v6_block));
	b = sizeof(v6_block) + tlv(block + sizeof(v6_block), 0x04, "\0\0\0\0\0\0\0\0", 8);
	n = v2(buf, 0x21, 0x21, block, b);
	CHECK_EQ_INT(gw_proxy_parse(buf, n, &h, NULL, 0), 1);
	check_v6(&h.dst, "2001:db8::2", 0);
	check_all_splits("v2 TCP6 with a NOOP", buf, n);
}

/* A header of exactly GW_PROXY_MAX_HEADER bytes is taken; one more byte is not. */
static void test_v2_limit(void)
{
	uint8_t block[GW_PROXY_MAX_HEADER], buf[GW_PROXY_MAX_HEADER + 16];
	size_t pad = GW_PROXY_MAX_HEADER - 16 - sizeof(v4_block) - 3, n;
	struct gw_proxy_hdr h;
	char err[128];

	memcpy(block, v4_block, sizeof(v4_block));
	memset(block + sizeof(v4_block), 0, sizeof(block) - sizeof(v4_block));
	block[sizeof(v4_block)] = 0x04;
	block[sizeof(v4_block) + 1] = (uint8_t)(pad >> 8);
	block[sizeof(v4_block) + 2] = (uint8_t)pad;
	n = v2(buf, 0x21, 0x11, block, GW_PROXY_MAX_HEADER - 16);
	CHECK_EQ_INT(n, GW_PROXY_MAX_HEADER);
	CHECK_EQ_INT(gw_proxy_parse(buf, n, &h, NULL, 0), 1);
	CHECK_EQ_INT(h.len, GW_PROXY_MAX_HEADER);
	check_all_splits("v2 at the limit", buf, n);

	/* One byte over: refused as soon as the length field is in. */
	block[sizeof(v4_block) + 2] = (uint8_t)(pad + 1);
	n = v2(buf, 0x21, 0x11, block, GW_PROXY_MAX_HEADER - 15);
	CHECK_EQ_INT(gw_proxy_parse(buf, 16, &h, err, sizeof(err)), -EMSGSIZE);
	CHECK(strstr(err, "537") != NULL);
	CHECK_EQ_INT(gw_proxy_parse(buf, 15, &h, NULL, 0), 0);
	CHECK_EQ_INT(gw_proxy_parse(buf, n, &h, NULL, 0), -EMSGSIZE);

	/* The largest length the field holds, LOCAL or PROXY. */
	buf[14] = buf[15] = 0xff;
	CHECK_EQ_INT(gw_proxy_parse(buf, 16, &h, NULL, 0), -EMSGSIZE);
	buf[12] = 0x20;
	CHECK_EQ_INT(gw_proxy_parse(buf, 16, &h, NULL, 0), -EMSGSIZE);
}

/* The first bytes of other protocols: refused at once, before any header could complete. */
static void test_not_proxy(void)
{
	static const uint8_t tls[] = { 0x16, 0x03, 0x01, 0x00, 0xc8, 0x01 };
	struct gw_proxy_hdr h;
	char err[160];

	CHECK_EQ_INT(gw_proxy_parse(tls, sizeof(tls), &h, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "TLS") != NULL);
	CHECK_EQ_INT(gw_proxy_parse(tls, 1, &h, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "TLS") != NULL);
	CHECK_EQ_INT(gw_proxy_parse(client_hello, sizeof(client_hello), &h, NULL, 0), -EPROTO);

	CHECK_EQ_INT(gw_proxy_parse(S("GET / HTTP/1.1\r\n"), &h, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "'G'") != NULL);
	CHECK_EQ_INT(gw_proxy_parse(S("SSH-2.0-OpenSSH_9.2\r\n"), &h, NULL, 0), -EPROTO);
	CHECK_EQ_INT(gw_proxy_parse(S("\0"), &h, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "0x00") != NULL);
	/* "P" could still be PROXY; "PO" (POST) cannot. */
	CHECK_EQ_INT(gw_proxy_parse(S("P"), &h, NULL, 0), 0);
	CHECK_EQ_INT(gw_proxy_parse(S("PO"), &h, NULL, 0), -EPROTO);
	CHECK_EQ_INT(gw_proxy_parse(S("PROXY"), &h, NULL, 0), 0);
	CHECK_EQ_INT(gw_proxy_parse(S("PROXYTCP4"), &h, NULL, 0), -EPROTO);
	/* A v2 signature broken anywhere, and an empty buffer. */
	CHECK_EQ_INT(gw_proxy_parse(S("\r\n\r\n\0\r\nQUIT\r"), &h, NULL, 0), -EPROTO);
	CHECK_EQ_INT(gw_proxy_parse(S("\r\n\r\n\1"), &h, NULL, 0), -EPROTO);
	CHECK_EQ_INT(gw_proxy_parse(S("\r\n\r\n\0\r\nQUI"), &h, NULL, 0), 0);
	CHECK_EQ_INT(gw_proxy_parse(S("\r\nGET"), &h, NULL, 0), -EPROTO);
	CHECK_EQ_INT(gw_proxy_parse(NULL, 0, &h, NULL, 0), 0);
}

struct reject_case {
	const char *what;
	const uint8_t *in;
	size_t len;
	int want;
};

static const struct reject_case v1_rejects[] = {
	/* spaces and line ends */
	{ "two spaces after PROXY", S("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "two spaces after TCP4", S("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "two spaces between addresses", S("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "two spaces between ports", S("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n"), -EBADMSG },
	{ "tab separator", S("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "bare LF", S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), -EBADMSG },
	{ "bare CR", S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"), -EBADMSG },
	{ "CR CR LF", S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n"), -EBADMSG },
	{ "space before CRLF", S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"), -EBADMSG },
	{ "fifth field", S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"), -EBADMSG },
	{ "no destination port", S("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), -EBADMSG },
	{ "no ports", S("PROXY TCP4 1.2.3.4 5.6.7.8\r\n"), -EBADMSG },
	{ "CRLF after TCP4", S("PROXY TCP4\r\n"), -EBADMSG },
	{ "NUL in line", S("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n"), -EBADMSG },
	/* protocol */
	{ "no protocol", S("PROXY \r\n"), -EBADMSG },
	{ "lower-case tcp4", S("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "TCP5", S("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "UDP4", S("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "TCP", S("PROXY TCP 1.2.3.4 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "TCP44", S("PROXY TCP44 1.2.3.4 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "UNKNOWNx", S("PROXY UNKNOWNx\r\n"), -EBADMSG },
	{ "UNKNOWNS, too long a name", S("PROXY UNKNOWNS\r\n"), -EBADMSG },
	{ "UNKNOWN bare LF", S("PROXY UNKNOWN\n"), -EBADMSG },
	{ "UNKNOWN tab", S("PROXY UNKNOWN\t1\r\n"), -EBADMSG },
	{ "UNKNOWN with a NUL", S("PROXY UNKNOWN a\0b\r\n"), -EBADMSG },
	{ "UNKNOWN with a bare LF inside", S("PROXY UNKNOWN a\nb\r\n"), -EBADMSG },
	{ "UNKNOWN with 8-bit bytes", S("PROXY UNKNOWN caf\xc3\xa9\r\n"), -EBADMSG },
	/* addresses */
	{ "IPv4 octet 256", S("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "IPv4 three parts", S("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "IPv4 five parts", S("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "IPv4 leading zero", S("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "IPv4 empty part", S("PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "IPv4 16 characters", S("PROXY TCP4 1.2.3.4.5.6.7.8.9 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "IPv6 under TCP4", S("PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "mapped IPv6 under TCP4", S("PROXY TCP4 ::ffff:1.2.3.4 5.6.7.8 1 2\r\n"), -EBADMSG },
	{ "IPv4 under TCP6", S("PROXY TCP6 1.2.3.4 2001:db8::2 1 2\r\n"), -EBADMSG },
	{ "IPv6 triple colon", S("PROXY TCP6 2001:db8:::1 2001:db8::2 1 2\r\n"), -EBADMSG },
	{ "IPv6 two double colons", S("PROXY TCP6 1::2::3 2001:db8::2 1 2\r\n"), -EBADMSG },
	{ "IPv6 five hex digits", S("PROXY TCP6 2001:db8::10000 2001:db8::2 1 2\r\n"), -EBADMSG },
	{ "IPv6 zone", S("PROXY TCP6 fe80::1%eth0 2001:db8::2 1 2\r\n"), -EBADMSG },
	{ "IPv6 nine groups",
	  S("PROXY TCP6 0000:0000:0000:0000:0000:0000:0000:0000:0000 ::1 1 2\r\n"), -EBADMSG },
	{ "IPv6 48 characters",
	  S("PROXY TCP6 0000:0000:0000:0000:0000:0000:0000:0000:00000000 ::1 1 2\r\n"), -EBADMSG },
	{ "IPv4 destination under TCP6", S("PROXY TCP6 2001:db8::1 1.2.3.4 1 2\r\n"), -EBADMSG },
	{ "hostname", S("PROXY TCP4 gw.example 5.6.7.8 1 2\r\n"), -EBADMSG },
	/* ports */
	{ "port 65536", S("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), -EBADMSG },
	{ "port 99999", S("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n"), -EBADMSG },
	{ "port of six digits", S("PROXY TCP4 1.2.3.4 5.6.7.8 100000 2\r\n"), -EBADMSG },
	{ "port leading zero", S("PROXY TCP4 1.2.3.4 5.6.7.8 0443 2\r\n"), -EBADMSG },
	{ "port 00", S("PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n"), -EBADMSG },
	{ "port negative", S("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"), -EBADMSG },
	{ "port signed", S("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n"), -EBADMSG },
	{ "port hex", S("PROXY TCP4 1.2.3.4 5.6.7.8 0x1bb 2\r\n"), -EBADMSG },
	/* length */
	{ "no CRLF in 107 bytes",
	  S("PROXY UNKNOWN aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaa"), -EMSGSIZE },
	{ "CRLF at bytes 107 and 108",
	  S("PROXY UNKNOWN aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaa\r\n"), -EMSGSIZE },
};

static const struct reject_case v2_rejects[] = {
	{ "version 1", S(V2_SIG "\x11\x11\x00\x0c"), -EPROTO },
	{ "version 3", S(V2_SIG "\x31\x11\x00\x0c"), -EPROTO },
	{ "version 0", S(V2_SIG "\x01\x11\x00\x0c"), -EPROTO },
	{ "command 2", S(V2_SIG "\x22\x11\x00\x0c"), -EBADMSG },
	{ "command 15", S(V2_SIG "\x2f\x11\x00\x0c"), -EBADMSG },
	{ "family 4", S(V2_SIG "\x21\x41\x00\x0c"), -EBADMSG },
	{ "transport 3", S(V2_SIG "\x21\x13\x00\x0c"), -EBADMSG },
	{ "UNSPEC with STREAM", S(V2_SIG "\x21\x01\x00\x0c"), -EBADMSG },
	{ "LOCAL with family 4", S(V2_SIG "\x20\x41\x00\x00"), -EBADMSG },
	{ "PROXY UNSPEC", S(V2_SIG "\x21\x00\x00\x00"), -ENOTSUP },
	{ "PROXY UDP4", S(V2_SIG "\x21\x12\x00\x0c"), -ENOTSUP },
	{ "PROXY UDP6", S(V2_SIG "\x21\x22\x00\x24"), -ENOTSUP },
	{ "PROXY UNIX stream", S(V2_SIG "\x21\x31\x00\xd8"), -ENOTSUP },
	{ "PROXY UNIX datagram", S(V2_SIG "\x21\x32\x00\xd8"), -ENOTSUP },
	{ "TCP4 block of 11", S(V2_SIG "\x21\x11\x00\x0b" "\1\2\3\4\5\6\7\x08\0\1\0"), -EBADMSG },
	{ "TCP4 block of 0", S(V2_SIG "\x21\x11\x00\x00"), -EBADMSG },
	{ "TCP6 block of 35", S(V2_SIG "\x21\x21\x00\x23"), -EBADMSG },
	{ "TCP6 block of 12", S(V2_SIG "\x21\x21\x00\x0c"), -EBADMSG },
	{ "length 0xffff", S(V2_SIG "\x21\x11\xff\xff"), -EMSGSIZE },
	{ "length 521", S(V2_SIG "\x21\x11\x02\x09"), -EMSGSIZE },
	{ "one stray byte after the addresses",
	  S(V2_SIG "\x21\x11\x00\x0d" "\1\2\3\4\5\6\7\x08\0\1\0\2" "\x04"), -EBADMSG },
	{ "two stray bytes after a TLV",
	  S(V2_SIG "\x21\x11\x00\x11" "\1\2\3\4\5\6\7\x08\0\1\0\2" "\x04\x00\x00" "\x04\x00"),
	  -EBADMSG },
	{ "TLV one byte too long",
	  S(V2_SIG "\x21\x11\x00\x11" "\1\2\3\4\5\6\7\x08\0\1\0\2" "\x02\x00\x03" "ab"),
	  -EBADMSG },
	{ "TLV of 0xffff",
	  S(V2_SIG "\x21\x11\x00\x11" "\1\2\3\4\5\6\7\x08\0\1\0\2" "\x02\xff\xff" "ab"),
	  -EBADMSG },
	{ "second TLV overruns",
	  S(V2_SIG "\x21\x11\x00\x14" "\1\2\3\4\5\6\7\x08\0\1\0\2" "\x04\x00\x00" "\x05\x00\x03"
	    "ab"), -EBADMSG },
};

/*
 * The expected error with a reason, and no prefix of the input says
 * anything else: a prefix is "need more" or already the same error.
 */
static void check_rejects(const struct reject_case *cases, size_t count)
{
	size_t i, n;

	for (i = 0; i < count; i++) {
		const struct reject_case *c = &cases[i];
		struct gw_proxy_hdr h;
		char err[160] = "";
		int ret = parse_exact(c->in, c->len, &h, err, sizeof(err));
		int bad_prefix = 0;

		if (ret != c->want)
			printf("# %s: %d (%s), expected %d\n", c->what, ret, err, c->want);
		CHECK_EQ_INT(ret, c->want);
		CHECK(err[0] != '\0');
		for (n = 0; n < c->len; n++) {
			ret = parse_exact(c->in, n, &h, NULL, 0);
			if (ret != 0 && ret != c->want)
				bad_prefix++;
		}
		if (bad_prefix)
			printf("# %s: %d prefixes give another result\n", c->what, bad_prefix);
		CHECK_EQ_INT(bad_prefix, 0);
	}
}

static void test_v1_reject(void)
{
	check_rejects(v1_rejects, sizeof(v1_rejects) / sizeof(v1_rejects[0]));
}

static void test_v2_reject(void)
{
	check_rejects(v2_rejects, sizeof(v2_rejects) / sizeof(v2_rejects[0]));
}

/* Judged at the byte that gives it away, not at the end of the line or block. */
static void test_early(void)
{
	struct gw_proxy_hdr h;

	CHECK_EQ_INT(gw_proxy_parse(S("PROXY X"), &h, NULL, 0), -EBADMSG);
	CHECK_EQ_INT(gw_proxy_parse(S("PROXY TCP4 1.2.3.4  "), &h, NULL, 0), -EBADMSG);
	CHECK_EQ_INT(gw_proxy_parse(S("PROXY TCP4 1.2.3.4 5"), &h, NULL, 0), 0);
	CHECK_EQ_INT(gw_proxy_parse(S("PROXY TCP4 1.2:"), &h, NULL, 0), -EBADMSG);
	CHECK_EQ_INT(gw_proxy_parse(S("PROXY TCP4 1.2.3.999 "), &h, NULL, 0), -EBADMSG);
	CHECK_EQ_INT(gw_proxy_parse(S("PROXY TCP4 1.2.3.4 5.6.7.8 70000 "), &h, NULL, 0),
		     -EBADMSG);
	CHECK_EQ_INT(gw_proxy_parse(S(V2_SIG "\x10"), &h, NULL, 0), -EPROTO);
	CHECK_EQ_INT(gw_proxy_parse(S(V2_SIG "\x21\x12"), &h, NULL, 0), -ENOTSUP);
	CHECK_EQ_INT(gw_proxy_parse(S(V2_SIG "\x21\x11\x00"), &h, NULL, 0), 0);
}

static void test_err_buffer(void)
{
	static const uint8_t tls[] = { 0x16 };
	struct gw_proxy_hdr h;
	char err[8];

	memset(err, 'x', sizeof(err));
	CHECK_EQ_INT(gw_proxy_parse(tls, 1, &h, err, sizeof(err)), -EPROTO);
	CHECK_EQ_INT(strlen(err), sizeof(err) - 1);
	err[0] = 'x';
	CHECK_EQ_INT(gw_proxy_parse(tls, 1, &h, err, 0), -EPROTO);
	CHECK_EQ_INT(err[0], 'x');
	CHECK_EQ_INT(gw_proxy_parse(S("PROXY UNKNOWN\r\n"), &h, err, sizeof(err)), 1);
	CHECK_EQ_STR(err, "");
}

static struct sockaddr_storage peer(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		ss.ss_family = AF_INET;
	} else {
		ss.ss_family = AF_INET6;
		CHECK(inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1);
	}
	return ss;
}

static bool trusted(const char *text, const struct conf_cidr *nets, size_t n)
{
	struct sockaddr_storage ss = peer(text);

	return gw_proxy_trusted(&ss, nets, n);
}

static void test_trusted(void)
{
	struct conf_cidr nets[3], mapped_net, all4;
	struct sockaddr_storage ss;

	CHECK_EQ_INT(conf_cidr_parse("10.0.0.0/8", &nets[0]), 0);
	CHECK_EQ_INT(conf_cidr_parse("192.0.2.7/32", &nets[1]), 0);
	CHECK_EQ_INT(conf_cidr_parse("2001:db8::/32", &nets[2]), 0);
	CHECK(trusted("10.1.2.3", nets, 3));
	CHECK(trusted("10.255.255.255", nets, 3));
	CHECK(!trusted("11.0.0.1", nets, 3));
	CHECK(trusted("192.0.2.7", nets, 3));
	CHECK(!trusted("192.0.2.8", nets, 3));
	CHECK(trusted("2001:db8::5", nets, 3));
	CHECK(!trusted("2001:db9::5", nets, 3));
	/* A dual-stack listener sees IPv4 balancers as mapped addresses. */
	CHECK(trusted("::ffff:10.1.2.3", nets, 3));
	CHECK(trusted("::ffff:192.0.2.7", nets, 3));
	CHECK(!trusted("::ffff:192.0.2.8", nets, 3));
	CHECK(!trusted("::ffff:11.0.0.1", nets, 3));
	/* Not mapped: the deprecated compatible form, and 10/8 bits elsewhere. */
	CHECK(!trusted("::10.1.2.3", nets, 3));
	CHECK(!trusted("::ffff:0:10.1.2.3", nets, 3));
	CHECK(!trusted("a00:1::", nets, 3));
	/* The list, its length and the peer. */
	CHECK(!trusted("10.1.2.3", nets, 0));
	CHECK(!trusted("10.1.2.3", NULL, 0));
	CHECK(!trusted("2001:db8::5", nets, 2));
	CHECK(!gw_proxy_trusted(NULL, nets, 3));
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	CHECK(!gw_proxy_trusted(&ss, nets, 3));
	ss.ss_family = AF_UNSPEC;
	CHECK(!gw_proxy_trusted(&ss, nets, 3));
	/* An IPv6 net written for mapped peers matches them too. */
	CHECK_EQ_INT(conf_cidr_parse("::ffff:0:0/96", &mapped_net), 0);
	CHECK(trusted("::ffff:11.0.0.1", &mapped_net, 1));
	CHECK(!trusted("11.0.0.1", &mapped_net, 1));
	CHECK_EQ_INT(conf_cidr_parse("0.0.0.0/0", &all4), 0);
	CHECK(trusted("::ffff:11.0.0.1", &all4, 1));
	CHECK(!trusted("2001:db8::5", &all4, 1));
}

int main(void)
{
	RUN(test_v1_tcp4);
	RUN(test_v1_tcp4_limits);
	RUN(test_v1_tcp6);
	RUN(test_v1_unknown);
	RUN(test_v2_tcp4);
	RUN(test_v2_tcp6);
	RUN(test_v2_local);
	RUN(test_v2_tlvs);
	RUN(test_v2_limit);
	RUN(test_not_proxy);
	RUN(test_v1_reject);
	RUN(test_v2_reject);
	RUN(test_early);
	RUN(test_err_buffer);
	RUN(test_trusted);
	UNIT_EXIT();
}
