/* SPDX-License-Identifier: MIT */
/*
 * Strict parser for the PROXY protocol header, versions 1 (one text line)
 * and 2 (binary), as HAProxy's specification defines them.
 * Both are read with a cursor that stops at the end of the bytes given:
 * running out is "need more", a byte that cannot follow what came before is
 * an error there and then. So a header split across reads is taken piece by
 * piece, and anything else (a TLS ClientHello, a stray HTTP request, a v1
 * line with two spaces) is refused at the first byte that gives it away,
 * which lets the listener drop a misconfigured balancer's connections at
 * once rather than after a timeout.
 * Strictness follows the spec's own words: exactly one space, decimal ports
 * without leading zeros, a CRLF within 107 bytes, the v2 family byte one of
 * the seven it lists. A v2 LOCAL header's address block is skipped unread
 * ("discard the protocol block including the family"); a PROXY header's
 * TLVs must tile the rest of the block exactly, and are skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/number.h"
#include "conf/conf.h"
#include "gateway/proxyproto.h"

#define PP_V2_FIXED	16	/* signature, version and command, family, length */
#define PP_TLV_HEAD	3	/* type and a 16-bit length */

static const uint8_t pp_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};
static const char pp_v1_sig[] = "PROXY ";

/* The bytes being read, how far the parse has got, and where to say why. */
struct pp_in {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int pp_fail(struct pp_in *in, int ret, const char *fmt, ...)
{
	va_list ap;

	if (in->err && in->errlen) {
		va_start(ap, fmt);
		vsnprintf(in->err, in->errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static size_t pp_avail(const struct pp_in *in)
{
	return in->len - in->pos;
}

static uint16_t pp_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- version 1: "PROXY TCP4|TCP6 src dst sport dport\r\n" or "PROXY UNKNOWN ...\r\n" ---- */

static bool pp1_is_proto(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool pp1_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool pp1_is_v4(uint8_t c)
{
	return pp1_is_digit(c) || c == '.';
}

/* inet_pton's IPv6 text, which may end in a dotted quad (::ffff:192.0.2.1). */
static bool pp1_is_v6(uint8_t c)
{
	return pp1_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
	       c == ':' || c == '.';
}

/*
 * Matches lit at the cursor: 1 past it, 0 while the bytes that have come
 * agree with it, -EBADMSG at the first that does not.
 */
static int pp1_literal(struct pp_in *in, const char *lit, const char *what)
{
	size_t n = strlen(lit), k = pp_avail(in) < n ? pp_avail(in) : n;

	if (memcmp(in->buf + in->pos, lit, k) != 0)
		return pp_fail(in, -EBADMSG, "PROXY v1: expected %s at byte %zu", what, in->pos);
	if (k < n)
		return 0;
	in->pos += n;
	return 1;
}

/*
 * The token at the cursor: the run of bytes of class `is`, at most max long,
 * that the first byte outside the class ends (which is left for the caller).
 * 1 when it has ended; 0 while every byte so far belongs to it (*tok and
 * *tok_len then hold the part that has come); -EBADMSG when it is empty or
 * too long.
 */
static int pp1_token(struct pp_in *in, bool (*is)(uint8_t), size_t max, const char *what,
		     const char **tok, size_t *tok_len)
{
	size_t i = in->pos;

	while (i < in->len && is(in->buf[i]) && i - in->pos <= max)
		i++;
	*tok = (const char *)in->buf + in->pos;
	*tok_len = i - in->pos;
	if (*tok_len > max)
		return pp_fail(in, -EBADMSG, "PROXY v1: %s longer than %zu bytes", what, max);
	if (i == in->len)
		return 0;
	if (!*tok_len)
		return pp_fail(in, -EBADMSG, "PROXY v1: no %s at byte %zu", what, in->pos);
	in->pos = i;
	return 1;
}

/* TCP4, TCP6 or UNKNOWN (AF_UNSPEC); a partial name must begin one of them. */
static int pp1_proto(struct pp_in *in, int *family)
{
	static const struct {
		const char *name;
		int family;
	} protos[] = {
		{ "TCP4", AF_INET }, { "TCP6", AF_INET6 }, { "UNKNOWN", AF_UNSPEC },
	};
	const char *tok;
	size_t i, tok_len;
	int ret = pp1_token(in, pp1_is_proto, strlen("UNKNOWN"), "protocol", &tok, &tok_len);

	for (i = 0; ret >= 0 && i < sizeof(protos) / sizeof(protos[0]); i++) {
		size_t n = strlen(protos[i].name);

		if (ret == 0 && tok_len <= n && !memcmp(tok, protos[i].name, tok_len))
			return 0;
		if (ret == 1 && tok_len == n && !memcmp(tok, protos[i].name, n)) {
			*family = protos[i].family;
			return 1;
		}
	}
	return ret < 0 ? ret : pp_fail(in, -EBADMSG, "PROXY v1: protocol is not TCP4, TCP6 "
				       "or UNKNOWN");
}

/* An address in the family the line announced, whole and valid for inet_pton. */
static int pp1_addr(struct pp_in *in, int family, void *out, const char *what)
{
	char text[INET6_ADDRSTRLEN];
	const char *tok;
	size_t tok_len, max = family == AF_INET ? INET_ADDRSTRLEN - 1 : INET6_ADDRSTRLEN - 1;
	int ret = pp1_token(in, family == AF_INET ? pp1_is_v4 : pp1_is_v6, max, what, &tok,
			    &tok_len);

	if (ret <= 0)
		return ret;
	memcpy(text, tok, tok_len);
	text[tok_len] = '\0';
	if (inet_pton(family, text, out) != 1)
		return pp_fail(in, -EBADMSG, "PROXY v1: %s '%s' is not an IPv%d address", what,
			       text, family == AF_INET ? 4 : 6);
	return 1;
}

/* A port: plain decimal 0..65535, no leading zero (common/number.h's rule). */
static int pp1_port(struct pp_in *in, uint16_t *port_be, const char *what)
{
	const char *tok;
	size_t tok_len;
	uint64_t v;
	int ret = pp1_token(in, pp1_is_digit, 5, what, &tok, &tok_len);

	if (ret <= 0)
		return ret;
	if (cm_number_parse_n(tok, tok_len, 0, 65535, &v) < 0)
		return pp_fail(in, -EBADMSG, "PROXY v1: %s '%.*s' is not a port number", what,
			       (int)tok_len, tok);
	*port_be = htons((uint16_t)v);
	return 1;
}

static void pp_set_v4(struct sockaddr_storage *ss, const void *addr, uint16_t port_be)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, addr, sizeof(sin->sin_addr));
	sin->sin_port = port_be;
}

static void pp_set_v6(struct sockaddr_storage *ss, const void *addr, uint16_t port_be)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, addr, sizeof(sin6->sin6_addr));
	sin6->sin6_port = port_be;
}

static void pp_set(struct sockaddr_storage *ss, int family, const void *addr, uint16_t port_be)
{
	if (family == AF_INET)
		pp_set_v4(ss, addr, port_be);
	else
		pp_set_v6(ss, addr, port_be);
}

/*
 * "src dst sport dport\r\n" after "TCP4 " or "TCP6 ". Each step returns
 * its result unless it is 1, so the first one that needs more or fails ends
 * the line there.
 */
static int pp1_endpoints(struct pp_in *in, int family, struct gw_proxy_hdr *h)
{
	struct in6_addr src, dst;	/* room for either family */
	uint16_t sport, dport;
	int ret;

	if ((ret = pp1_addr(in, family, &src, "source address")) != 1 ||
	    (ret = pp1_literal(in, " ", "one space")) != 1 ||
	    (ret = pp1_addr(in, family, &dst, "destination address")) != 1 ||
	    (ret = pp1_literal(in, " ", "one space")) != 1 ||
	    (ret = pp1_port(in, &sport, "source port")) != 1 ||
	    (ret = pp1_literal(in, " ", "one space")) != 1 ||
	    (ret = pp1_port(in, &dport, "destination port")) != 1 ||
	    (ret = pp1_literal(in, "\r\n", "CRLF")) != 1)
		return ret;
	pp_set(&h->src, family, &src, sport);
	pp_set(&h->dst, family, &dst, dport);
	return 1;
}

/*
 * After UNKNOWN the spec has the receiver ignore the rest of the line; we
 * take it when it is printable ASCII after a space (what senders put there
 * is the addresses they could not classify), and only then the CRLF.
 */
static int pp1_unknown(struct pp_in *in, struct gw_proxy_hdr *h)
{
	int ret;

	h->local = true;
	if (pp_avail(in) && in->buf[in->pos] == '\r')
		return pp1_literal(in, "\r\n", "CRLF");
	if ((ret = pp1_literal(in, " ", "a space or CRLF after UNKNOWN")) != 1)
		return ret;
	while (pp_avail(in) && in->buf[in->pos] >= 0x20 && in->buf[in->pos] < 0x7f)
		in->pos++;
	return pp1_literal(in, "\r\n", "CRLF");
}

static int pp1_line(struct pp_in *in, struct gw_proxy_hdr *h)
{
	int family = AF_UNSPEC, ret;

	if ((ret = pp1_literal(in, pp_v1_sig, "\"PROXY \"")) != 1 ||
	    (ret = pp1_proto(in, &family)) != 1)
		return ret;
	if (family == AF_UNSPEC)
		return pp1_unknown(in, h);
	if ((ret = pp1_literal(in, " ", "one space")) != 1)
		return ret;
	return pp1_endpoints(in, family, h);
}

/* Only the first GW_PROXY_V1_MAX bytes can hold the line: a longer one is refused. */
static int pp1_parse(struct pp_in *in, struct gw_proxy_hdr *h)
{
	size_t len = in->len;
	int ret;

	if (in->len > GW_PROXY_V1_MAX)
		in->len = GW_PROXY_V1_MAX;
	ret = pp1_line(in, h);
	if (ret == 0 && len >= GW_PROXY_V1_MAX)
		return pp_fail(in, -EMSGSIZE, "PROXY v1: no CRLF in the first %d bytes",
			       GW_PROXY_V1_MAX);
	if (ret == 1)
		h->len = in->pos;
	return ret;
}

/* ---- version 2: signature, ver_cmd, fam, length, address block, TLVs ---- */

enum {
	PP2_LOCAL = 0x0,
	PP2_PROXY = 0x1,
	PP2_TCP4 = 0x11,
	PP2_TCP6 = 0x21,
};

/* The address block's size for each family byte the spec lists; -1 for any other. */
static int pp2_addr_len(uint8_t fam)
{
	switch (fam) {
	case 0x00:
		return 0;
	case 0x11:
	case 0x12:
		return 12;
	case 0x21:
	case 0x22:
		return 36;
	case 0x31:
	case 0x32:
		return 216;
	default:
		return -1;
	}
}

/* Byte 13: version 2 and a command the spec assigns. */
static int pp2_ver_cmd(struct pp_in *in, uint8_t ver_cmd)
{
	if (ver_cmd >> 4 != 2)
		return pp_fail(in, -EPROTO, "PROXY v2: version %d, only 2 exists", ver_cmd >> 4);
	if ((ver_cmd & 0xf) != PP2_LOCAL && (ver_cmd & 0xf) != PP2_PROXY)
		return pp_fail(in, -EBADMSG, "PROXY v2: unknown command %d", ver_cmd & 0xf);
	return 0;
}

/*
 * Byte 14. LOCAL ignores the family; PROXY on our TCP listener can only
 * mean TCP, and an address we cannot use is refused rather than replaced
 * by the balancer's own (fail closed: the spec leaves the choice to us).
 */
static int pp2_fam(struct pp_in *in, uint8_t ver_cmd, uint8_t fam)
{
	if (pp2_addr_len(fam) < 0)
		return pp_fail(in, -EBADMSG, "PROXY v2: unknown family and transport 0x%02x", fam);
	if ((ver_cmd & 0xf) == PP2_PROXY && fam != PP2_TCP4 && fam != PP2_TCP6)
		return pp_fail(in, -ENOTSUP, "PROXY v2: family and transport 0x%02x is not TCP "
			       "over IPv4 or IPv6", fam);
	return 0;
}

/* Bytes 15-16: the block's length, within our limit and holding the addresses. */
static int pp2_block_len(struct pp_in *in, uint8_t ver_cmd, uint8_t fam, size_t block)
{
	if (PP_V2_FIXED + block > GW_PROXY_MAX_HEADER)
		return pp_fail(in, -EMSGSIZE, "PROXY v2: header of %zu bytes, over the limit of %d",
			       PP_V2_FIXED + block, GW_PROXY_MAX_HEADER);
	if ((ver_cmd & 0xf) == PP2_PROXY && block < (size_t)pp2_addr_len(fam))
		return pp_fail(in, -EBADMSG, "PROXY v2: block of %zu bytes, the addresses need %d",
			       block, pp2_addr_len(fam));
	return 0;
}

/* The fixed 16 bytes, each judged as soon as it has come. 1 when all are good. */
static int pp2_fixed(struct pp_in *in, size_t *block)
{
	size_t i;
	int ret;

	for (i = 0; i < in->len && i < sizeof(pp_v2_sig); i++) {
		if (in->buf[i] != pp_v2_sig[i])
			return pp_fail(in, -EPROTO, "no PROXY header: the v2 signature breaks "
				       "at byte %zu", i);
	}
	if (in->len <= 12)
		return 0;
	if ((ret = pp2_ver_cmd(in, in->buf[12])) < 0)
		return ret;
	if (in->len <= 13)
		return 0;
	if ((ret = pp2_fam(in, in->buf[12], in->buf[13])) < 0)
		return ret;
	if (in->len < PP_V2_FIXED)
		return 0;
	*block = pp_be16(in->buf + 14);
	ret = pp2_block_len(in, in->buf[12], in->buf[13], *block);
	return ret < 0 ? ret : 1;
}

/* The TLVs must tile the rest of the block exactly; their contents are skipped. */
static int pp2_tlvs(struct pp_in *in, const uint8_t *p, size_t n)
{
	while (n) {
		size_t vlen;

		if (n < PP_TLV_HEAD)
			return pp_fail(in, -EBADMSG, "PROXY v2: %zu stray bytes after the TLVs", n);
		vlen = pp_be16(p + 1);
		if (vlen > n - PP_TLV_HEAD)
			return pp_fail(in, -EBADMSG, "PROXY v2: TLV 0x%02x of %zu bytes overruns "
				       "the header", p[0], vlen);
		p += PP_TLV_HEAD + vlen;
		n -= PP_TLV_HEAD + vlen;
	}
	return 0;
}

/* TCP over IPv4 or IPv6: addresses, then ports, all in network order. */
static void pp2_endpoints(const uint8_t *p, uint8_t fam, struct gw_proxy_hdr *h)
{
	size_t alen = fam == PP2_TCP4 ? 4 : 16;
	int family = fam == PP2_TCP4 ? AF_INET : AF_INET6;
	uint16_t sport, dport;

	memcpy(&sport, p + 2 * alen, 2);
	memcpy(&dport, p + 2 * alen + 2, 2);
	pp_set(&h->src, family, p, sport);
	pp_set(&h->dst, family, p + alen, dport);
}

static int pp2_parse(struct pp_in *in, struct gw_proxy_hdr *h)
{
	size_t block = 0, alen;
	uint8_t fam;
	int ret = pp2_fixed(in, &block);

	if (ret <= 0)
		return ret;
	if (in->len < PP_V2_FIXED + block)
		return 0;
	if ((in->buf[12] & 0xf) == PP2_LOCAL) {
		h->local = true;
	} else {
		fam = in->buf[13];
		alen = (size_t)pp2_addr_len(fam);
		if ((ret = pp2_tlvs(in, in->buf + PP_V2_FIXED + alen, block - alen)) < 0)
			return ret;
		pp2_endpoints(in->buf + PP_V2_FIXED, fam, h);
	}
	h->len = PP_V2_FIXED + block;
	return 1;
}

/* ---- either version ---- */

/* The first byte of anything else; a TLS record is what a balancer without the protocol sends. */
static int pp_not_proxy(struct pp_in *in)
{
	uint8_t c = in->buf[0];

	if (c == 0x16)
		return pp_fail(in, -EPROTO, "no PROXY header: the connection starts with a TLS "
			       "handshake (0x16); is the balancer sending the PROXY protocol?");
	if (c >= 0x20 && c < 0x7f)
		return pp_fail(in, -EPROTO, "no PROXY header: the connection starts with '%c'", c);
	return pp_fail(in, -EPROTO, "no PROXY header: the connection starts with 0x%02x", c);
}

/* v1 begins "PROXY " and v2 "\r\n\r\n": the first byte tells them apart. */
int gw_proxy_parse(const uint8_t *buf, size_t len, struct gw_proxy_hdr *h, char *err,
		   size_t errlen)
{
	struct pp_in in = { .buf = buf, .len = len, .err = err, .errlen = errlen };

	memset(h, 0, sizeof(*h));
	if (err && errlen)
		err[0] = '\0';
	if (!len)
		return 0;
	if (buf[0] == pp_v2_sig[0])
		return pp2_parse(&in, h);
	if (buf[0] != (uint8_t)pp_v1_sig[0])
		return pp_not_proxy(&in);
	if (memcmp(buf, pp_v1_sig, len < 6 ? len : 6) != 0)
		return pp_fail(&in, -EPROTO, "no PROXY header: the connection starts with 'P' "
			       "but not \"PROXY \"");
	return pp1_parse(&in, h);
}

/* The address of an IPv4-mapped IPv6 peer (::ffff:a.b.c.d), or NULL. */
static const void *pp_mapped_v4(const struct sockaddr_in6 *sin6)
{
	return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) ? &sin6->sin6_addr.s6_addr[12] : NULL;
}

static bool pp_in_nets(const struct conf_cidr *nets, size_t n, int family, const void *addr)
{
	size_t i;

	for (i = 0; addr && i < n; i++) {
		if (conf_cidr_contains(&nets[i], family, addr))
			return true;
	}
	return false;
}

bool gw_proxy_trusted(const struct sockaddr_storage *peer, const struct conf_cidr *nets,
		      size_t n)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)peer;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)peer;

	if (!peer || !nets)
		return false;
	if (peer->ss_family == AF_INET)
		return pp_in_nets(nets, n, AF_INET, &sin->sin_addr);
	if (peer->ss_family != AF_INET6)
		return false;
	return pp_in_nets(nets, n, AF_INET6, &sin6->sin6_addr) ||
	       pp_in_nets(nets, n, AF_INET, pp_mapped_v4(sin6));
}
