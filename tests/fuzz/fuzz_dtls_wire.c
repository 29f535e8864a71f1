/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the DTLS datagram parsers the gateway runs itself
 * (gateway/dtls_wire.c): the ClientHello reader that finds the App-ID and
 * the cookie before anything is kept for a source, the check that lets a
 * datagram from an established peer's address reach OpenSSL, and the one
 * that lets a datagram from a new address try to roam. The input is one
 * datagram. fuzz_dtls drives the same code through gw_dtls_input with a
 * real handshake, but a new context and handshake per input hold it near a
 * thousand executions a second; this target runs the parsers alone, at the
 * rate that gives them tens of millions of executions (fuzz_dtls_peer does
 * the same for an established channel).
 *
 * What must hold, checked against a plain reading of RFC 6347's layouts:
 * - a ClientHello is accepted exactly when it is one whole epoch-0,
 *   unfragmented hello whose session id (at most 32 bytes) and cookie lie
 *   inside its message; the pointers point there; a refusal zeroes h;
 * - the HelloVerifyRequest that answers it is one epoch-0 handshake record
 *   echoing the hello's record sequence, never itself taken for a hello;
 * - records_ok is true exactly when the datagram is whole records, each
 *   sealed one (epoch > 0) between min_sealed and GW_DTLS_MAX_SEALED bytes,
 *   and then each of its records passes alone; a larger minimum never
 *   passes what a smaller one refuses;
 * - is_appdata is true exactly for a whole first record of application
 *   data in an epoch after 0.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/dtls_wire.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

/* The AEAD minimums gw_dtls uses: ChaCha20-Poly1305's tag, AES-GCM's
 * explicit nonce and tag. */
#define SEALED_CHACHA	16
#define SEALED_GCM	(8 + 16)

static size_t be16(const uint8_t *p)
{
	return ((size_t)p[0] << 8) | p[1];
}

static size_t be24(const uint8_t *p)
{
	return ((size_t)p[0] << 16) | ((size_t)p[1] << 8) | p[2];
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		if (b[i])
			return false;
	}
	return true;
}

/* Whether buf is a hello the parser must take, by RFC 6347 4.2 and 7.4.1.2. */
static bool hello_expected(const uint8_t *buf, size_t len)
{
	const uint8_t *hs = buf + 13, *body = hs + 12;
	size_t rec, msg, sid, cookie_at;

	if (len < 25 || buf[0] != 22 || buf[1] != 0xfe || be16(buf + 3) != 0)
		return false;
	rec = be16(buf + 11);
	if (rec < 12 || 13 + rec > len)
		return false;
	msg = be24(hs + 1);
	if (hs[0] != 1 || be24(hs + 6) != 0 || be24(hs + 9) != msg || 12 + msg > rec)
		return false;
	/* version, random, then the session id's length byte */
	if (msg < 35 || body[0] != 0xfe)
		return false;
	sid = body[34];
	cookie_at = 35 + sid;
	if (sid > 32 || cookie_at + 1 > msg)
		return false;
	return cookie_at + 1 + body[cookie_at] <= msg;
}

static void check_hvr(const uint8_t *buf, const struct gw_dtls_hello *h)
{
	static const uint8_t cookie[GW_DTLS_COOKIE_LEN] = { 0xc0, 0x0c, 0x1e };
	uint8_t out[GW_DTLS_HVR_LEN];
	struct gw_dtls_hello again;
	size_t n = gw_dtls_hello_verify_write(out, h, cookie);

	FUZZ_ASSERT(n == GW_DTLS_HVR_LEN);
	FUZZ_ASSERT(out[0] == 22 && out[1] == 0xfe && be16(out + 3) == 0);
	FUZZ_ASSERT(!memcmp(out + 5, buf + 5, 6) && be16(out + 11) == n - 13);
	FUZZ_ASSERT(out[13] == 3 && out[27] == GW_DTLS_COOKIE_LEN);
	FUZZ_ASSERT(!memcmp(out + n - GW_DTLS_COOKIE_LEN, cookie, GW_DTLS_COOKIE_LEN));
	FUZZ_ASSERT(gw_dtls_records_ok(out, n, SEALED_GCM));
	FUZZ_ASSERT(!gw_dtls_record_is_appdata(out, n));
	FUZZ_ASSERT(gw_dtls_hello_parse(out, n, &again) == -EBADMSG);
}

static void check_hello(const uint8_t *buf, size_t len)
{
	const uint8_t *body = buf + 25;
	struct gw_dtls_hello h;
	int ret = gw_dtls_hello_parse(buf, len, &h);

	FUZZ_ASSERT(ret == 0 || ret == -EBADMSG);
	FUZZ_ASSERT((ret == 0) == hello_expected(buf, len));
	if (ret) {
		FUZZ_ASSERT(all_zero(&h, sizeof(h)));
		return;
	}
	FUZZ_ASSERT(!memcmp(h.record_seq, buf + 5, 6) && h.message_seq == be16(buf + 17));
	FUZZ_ASSERT(h.random == body + 2);
	FUZZ_ASSERT(h.session_id == body + 35 && h.session_id_len == body[34]);
	FUZZ_ASSERT(h.cookie == h.session_id + h.session_id_len + 1);
	FUZZ_ASSERT(h.cookie_len == h.cookie[-1]);
	FUZZ_ASSERT(h.cookie + h.cookie_len <= body + be24(buf + 14));
	check_hvr(buf, &h);
}

/* records_ok by a plain walk over the record headers. */
static bool records_expected(const uint8_t *buf, size_t len, size_t min_sealed)
{
	size_t off = 0, rec;

	while (off < len) {
		if (len - off < 13 || buf[off + 1] != 0xfe)
			return false;
		rec = be16(buf + off + 11);
		if (rec > len - off - 13)
			return false;
		if (be16(buf + off + 3) && (rec < min_sealed || rec > GW_DTLS_MAX_SEALED))
			return false;
		off += 13 + rec;
	}
	return true;
}

static void check_records(const uint8_t *buf, size_t len)
{
	bool chacha = gw_dtls_records_ok(buf, len, SEALED_CHACHA);
	bool gcm = gw_dtls_records_ok(buf, len, SEALED_GCM);
	size_t off, n;

	FUZZ_ASSERT(chacha == records_expected(buf, len, SEALED_CHACHA));
	FUZZ_ASSERT(gcm == records_expected(buf, len, SEALED_GCM));
	FUZZ_ASSERT(chacha || !gcm);
	for (off = 0; gcm && off < len; off += n) {
		n = 13 + be16(buf + off + 11);
		FUZZ_ASSERT(gw_dtls_records_ok(buf + off, n, SEALED_GCM));
	}
}

static void check_appdata(const uint8_t *buf, size_t len)
{
	bool want = len >= 13 && buf[0] == 23 && buf[1] == 0xfe && be16(buf + 3) != 0 &&
		    be16(buf + 11) <= len - 13;

	FUZZ_ASSERT(gw_dtls_record_is_appdata(buf, len) == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes on the heap, so that a read past the datagram is caught. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	check_hello(buf, size);
	check_records(buf, size);
	check_appdata(buf, size);
	free(buf);
	return 0;
}
