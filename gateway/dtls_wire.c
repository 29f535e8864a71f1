/* SPDX-License-Identifier: MIT */
/*
 * The DTLS headers the gateway parses and writes without OpenSSL, because it
 * must answer or drop a datagram before it keeps anything for its source:
 * a ClientHello is read only far enough to find its session id (the
 * App-ID, doc/protocol.md section 6) and its cookie, and is answered with a
 * HelloVerifyRequest that is never longer than the ClientHello it answers.
 * Anything the parser refuses is dropped by the caller; the rest of the
 * ClientHello (suites, extensions) is OpenSSL's to judge once the cookie
 * has proven the source address.
 */
#include <errno.h>
#include <string.h>

#include "gateway/dtls_wire.h"

#define DTLS_CT_HANDSHAKE	22
#define DTLS_CT_APPDATA		23
#define DTLS_HS_CLIENT_HELLO	1
#define DTLS_HS_HELLO_VERIFY	3
#define DTLS_MAJOR		0xfe	/* every DTLS version: 1.0 is fe ff, 1.2 fe fd */
#define DTLS_SESSION_ID_MAX	32

static uint32_t wire_be16(const uint8_t *p)
{
	return ((uint32_t)p[0] << 8) | p[1];
}

static uint32_t wire_be24(const uint8_t *p)
{
	return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static void wire_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wire_put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	wire_put16(p + 1, v);
}

/*
 * Checks the record and handshake headers and returns the ClientHello body's
 * length (the body starts at GW_DTLS_RECORD_HDR + GW_DTLS_HS_HDR), or
 * -EBADMSG. A fragmented ClientHello is refused, as OpenSSL's own
 * DTLSv1_listen does: a stateless server cannot reassemble, and a client
 * whose hello does not fit one datagram cannot be ours.
 */
static int wire_hello_headers(const uint8_t *buf, size_t len, struct gw_dtls_hello *h)
{
	const uint8_t *hs = buf + GW_DTLS_RECORD_HDR;
	size_t rec_len, msg_len;

	if (len < GW_DTLS_RECORD_HDR + GW_DTLS_HS_HDR)
		return -EBADMSG;
	if (buf[0] != DTLS_CT_HANDSHAKE || buf[1] != DTLS_MAJOR || wire_be16(buf + 3) != 0)
		return -EBADMSG;
	rec_len = wire_be16(buf + 11);
	if (rec_len < GW_DTLS_HS_HDR || rec_len > len - GW_DTLS_RECORD_HDR)
		return -EBADMSG;
	msg_len = wire_be24(hs + 1);
	if (hs[0] != DTLS_HS_CLIENT_HELLO || wire_be24(hs + 6) != 0 || wire_be24(hs + 9) != msg_len)
		return -EBADMSG;
	if (msg_len > rec_len - GW_DTLS_HS_HDR)
		return -EBADMSG;
	memcpy(h->record_seq, buf + 5, sizeof(h->record_seq));
	h->message_seq = (uint16_t)wire_be16(hs + 4);
	return (int)msg_len;
}

/* client_version, random, session_id<0..32>, cookie<0..255>, then OpenSSL's. */
static int wire_hello_body(const uint8_t *body, size_t len, struct gw_dtls_hello *h)
{
	size_t off = 2 + GW_DTLS_RANDOM_LEN;

	if (len < off + 1 || body[0] != DTLS_MAJOR)
		return -EBADMSG;
	h->random = body + 2;
	h->session_id_len = body[off++];
	if (h->session_id_len > DTLS_SESSION_ID_MAX || len - off < h->session_id_len + 1)
		return -EBADMSG;
	h->session_id = body + off;
	off += h->session_id_len;
	h->cookie_len = body[off++];
	if (len - off < h->cookie_len)
		return -EBADMSG;
	h->cookie = body + off;
	return 0;
}

int gw_dtls_hello_parse(const uint8_t *buf, size_t len, struct gw_dtls_hello *h)
{
	int body_len;

	memset(h, 0, sizeof(*h));
	body_len = wire_hello_headers(buf, len, h);
	if (body_len >= 0 &&
	    !wire_hello_body(buf + GW_DTLS_RECORD_HDR + GW_DTLS_HS_HDR, (size_t)body_len, h))
		return 0;
	memset(h, 0, sizeof(*h));
	return -EBADMSG;
}

/*
 * RFC 6347 4.2.1: the record echoes the ClientHello's record sequence number,
 * the message is the server's first (message_seq 0), and both versions say
 * DTLS 1.0, whatever version the handshake will settle on.
 */
size_t gw_dtls_hello_verify_write(uint8_t out[GW_DTLS_HVR_LEN], const struct gw_dtls_hello *h,
				  const uint8_t cookie[GW_DTLS_COOKIE_LEN])
{
	uint8_t *hs = out + GW_DTLS_RECORD_HDR, *body = hs + GW_DTLS_HS_HDR;
	const uint32_t body_len = 3 + GW_DTLS_COOKIE_LEN;

	out[0] = DTLS_CT_HANDSHAKE;
	wire_put16(out + 1, 0xfeff);
	wire_put16(out + 3, 0);
	memcpy(out + 5, h->record_seq, sizeof(h->record_seq));
	wire_put16(out + 11, GW_DTLS_HS_HDR + body_len);
	hs[0] = DTLS_HS_HELLO_VERIFY;
	wire_put24(hs + 1, body_len);
	wire_put16(hs + 4, 0);
	wire_put24(hs + 6, 0);
	wire_put24(hs + 9, body_len);
	wire_put16(body, 0xfeff);
	body[2] = GW_DTLS_COOKIE_LEN;
	memcpy(body + 3, cookie, GW_DTLS_COOKIE_LEN);
	return GW_DTLS_HVR_LEN;
}

bool gw_dtls_record_is_appdata(const uint8_t *buf, size_t len)
{
	if (len < GW_DTLS_RECORD_HDR || buf[0] != DTLS_CT_APPDATA || buf[1] != DTLS_MAJOR)
		return false;
	if (wire_be16(buf + 3) == 0)
		return false;
	return wire_be16(buf + 11) <= len - GW_DTLS_RECORD_HDR;
}

bool gw_dtls_records_ok(const uint8_t *buf, size_t len, size_t min_sealed)
{
	size_t rec_len;

	while (len > 0) {
		if (len < GW_DTLS_RECORD_HDR || buf[1] != DTLS_MAJOR)
			return false;
		rec_len = wire_be16(buf + 11);
		if (rec_len > len - GW_DTLS_RECORD_HDR)
			return false;
		if (wire_be16(buf + 3) != 0 && (rec_len < min_sealed || rec_len > GW_DTLS_MAX_SEALED))
			return false;
		buf += GW_DTLS_RECORD_HDR + rec_len;
		len -= GW_DTLS_RECORD_HDR + rec_len;
	}
	return true;
}
