/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the DTLS datagram path (gateway/dtls.c): whatever
 * arrives on the worker's UDP port, before and after a handshake.
 *
 * Input: one flags byte (bit 0: first complete a real handshake with the
 * in-process OpenSSL client of tests/unit/dtls_fixture.h), then chunks of
 * [source][length, 16-bit big-endian][datagram]. The source byte picks the
 * client's own address, the same IP on another port, another IPv4 address
 * or an IPv6 one; two more values make the real client send a DPD request,
 * or let a second pass. The cookie secret is fixed, so seeds can carry a
 * valid cookie (tests/fuzz/corpus/dtls/: a first ClientHello, a second one
 * with the cookie for the client's address, records after a handshake).
 *
 * Each input gets a new module (its SSL_CTX) and, with bit 0, a handshake:
 * about a millisecond under the sanitizers, so this target runs for a time,
 * not to a count. The client's context is made once and shared. The
 * parsers the module runs on every datagram (gateway/dtls_wire.c) are
 * fuzzed alone, at full speed, by fuzz_dtls_wire, and what an established
 * channel receives by fuzz_dtls_peer, which shakes hands once per process.
 *
 * What must hold, not just survive:
 * - a source that never had a peer never gets more bytes back than the
 *   datagram it sent (no amplification);
 * - one live session never has more than two peers (one in handshake, one
 *   up);
 * - data is only delivered once a handshake completed;
 * - an established channel that no callback took down still works at the
 *   end: the client's DPD request comes back byte for byte, so forged
 *   datagrams cannot break it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/dtls_fixture.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)
#define FUZZ_SOURCES 4

static const uint8_t fuzz_secret[GW_DTLS_SECRET_LEN] = {
	0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e,
	0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e,
};

static bool had_peer[FUZZ_SOURCES];
static size_t sent_now;
static SSL_CTX *client_ctx;

/* Counts what goes back to the source of the datagram being delivered. */
static void fuzz_count(struct fx *f, const struct sockaddr *to, socklen_t tolen,
		       const uint8_t *buf, size_t len)
{
	(void)buf;
	if (tolen == f->fromlen && !memcmp(to, &f->from, tolen))
		sent_now += len;
}

static void fuzz_source(struct fx *f, unsigned int src)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&f->from;

	fx_from(f, src == 3, src == 1 ? 40001 : 40000);
	if (src == 2)
		in->sin_addr.s_addr = htonl(0xc6120003);	/* 198.18.0.3 */
}

static void fuzz_datagram(struct fx *f, unsigned int src, const uint8_t *buf, size_t len)
{
	size_t before = gw_dtls_peer_count(f->d);
	int ups = f->ups, ndata = f->ndata;

	fuzz_source(f, src);
	sent_now = 0;
	fx_deliver(f, buf, len);
	if (gw_dtls_peer_count(f->d) > before)
		had_peer[src] = true;
	FUZZ_ASSERT(had_peer[src] || sent_now <= len);
	FUZZ_ASSERT(gw_dtls_peer_count(f->d) <= 2);
	FUZZ_ASSERT(f->ndata == ndata || f->ups > 0);
	FUZZ_ASSERT(f->ups >= ups);
}

/* The real client's channel, if still up, echoes a probe exactly. */
static void fuzz_check_channel(struct fx *f)
{
	static const uint8_t probe[] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3 };
	uint8_t buf[64];

	if (!f->peer)
		return;
	fuzz_source(f, 0);
	while (fx_take(f, buf, sizeof(buf)) > 0)
		;	/* what the client sent and nobody delivered */
	while (fx_client_read(f, buf, sizeof(buf)) > 0)
		;	/* what the module sent to it before */
	FUZZ_ASSERT(fx_client_send(f, GW_CSTP_DPD_REQ, probe, sizeof(probe)) == 0);
	FUZZ_ASSERT(fx_client_read(f, buf, sizeof(buf)) == 1 + (int)sizeof(probe));
	FUZZ_ASSERT(buf[0] == GW_CSTP_DPD_RESP && !memcmp(buf + 1, probe, sizeof(probe)));
}

static void fuzz_run(struct fx *f, const uint8_t *data, size_t size)
{
	size_t off = 1, len;
	unsigned int sel;

	while (size - off >= 3) {
		sel = data[off] % 6;
		len = ((size_t)data[off + 1] << 8) | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		if (sel < FUZZ_SOURCES && len)
			fuzz_datagram(f, sel, data + off, len);
		else if (sel == 4 && f->peer) {
			fuzz_source(f, 0);	/* the client does not roam here */
			(void)fx_client_send(f, GW_CSTP_DPD_REQ, data + off, len < 200 ? len : 200);
		}
		else if (sel == 5)
			gw_dtls_tick(f->d, ++f->now);
		off += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fx f;

	if (!client_ctx)
		client_ctx = fx_client_ctx_new();
	FUZZ_ASSERT(client_ctx);
	if (size < 1 || fx_init_ctx(&f, NULL, client_ctx) < 0)
		return 0;
	FUZZ_ASSERT(gw_dtls_set_cookie_secret(f.d, fuzz_secret, sizeof(fuzz_secret)) == 0);
	f.on_send = fuzz_count;
	memset(had_peer, 0, sizeof(had_peer));
	if (data[0] & 1) {
		FUZZ_ASSERT(fx_handshake(&f) == 0);
		had_peer[0] = true;
	}
	fuzz_run(&f, data, size);
	fuzz_check_channel(&f);
	fx_free(&f);
	return 0;
}
