/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what an established DTLS channel receives
 * (gateway/dtls.c after the handshake): datagrams from the peer's own
 * address and from another port of its IP (a roaming attempt), which go
 * through the whole-records check into OpenSSL's record layer, and records
 * the real client sends with any type byte and payload, which reach the
 * module's record dispatch. fuzz_dtls runs a new handshake per input and so
 * manages about a thousand executions a second; here the module and the
 * client of tests/unit/dtls_fixture.h shake hands once, when the process
 * starts, and every input is played against that channel.
 *
 * Input: chunks of [selector][length, 16-bit big-endian][bytes]. Selector
 * modulo 3: 0, the bytes as a datagram from the peer's address; 1, the same
 * from the same IP on another port; 2, the real client sends a record whose
 * first byte is the type and the rest the payload (at most 1200 bytes, one
 * datagram under the link MTU).
 *
 * What must hold after every input, so that no input leaves the next one a
 * different channel to work with: the peer is still up, at its address,
 * the only one; only the real client's records delivered data (forged
 * datagrams never authenticate); and a DPD request from the client comes
 * back byte for byte. The channel's sequence numbers and replay window move
 * on from input to input; that changes only which forged records OpenSSL
 * drops as replays rather than as forgeries, never what reaches the module.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/dtls_fixture.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)
#define FUZZ_RECORD_MAX	1200

static const uint8_t fuzz_secret[GW_DTLS_SECRET_LEN] = { 0x5e, 0x5e, 0x5e, 0x5e };
static struct fx f;
static bool ready;

static void fuzz_setup(void)
{
	FUZZ_ASSERT(fx_init(&f, NULL) == 0);
	FUZZ_ASSERT(gw_dtls_set_cookie_secret(f.d, fuzz_secret, sizeof(fuzz_secret)) == 0);
	FUZZ_ASSERT(fx_handshake(&f) == 0 && f.peer && f.ups == 1);
	ready = true;
}

/* The client's port: 40000 is where it shook hands, 40001 a roaming try. */
static void fuzz_source(uint16_t port)
{
	fx_from(&f, false, port);
}

static void fuzz_client_record(const uint8_t *buf, size_t len)
{
	int ndata = f.ndata;

	if (len > FUZZ_RECORD_MAX)
		len = FUZZ_RECORD_MAX;
	fuzz_source(40000);
	FUZZ_ASSERT(fx_client_send(&f, buf[0], buf + 1, len - 1) == 0);
	/* One record of data with a packet in it is delivered, and only that. */
	FUZZ_ASSERT(f.ndata == ndata + (buf[0] == GW_CSTP_DATA && len >= 2));
}

static void fuzz_forged(uint16_t port, const uint8_t *buf, size_t len)
{
	int ndata = f.ndata;

	fuzz_source(port);
	fx_deliver(&f, buf, len);
	FUZZ_ASSERT(f.ndata == ndata);
}

/* The channel is as the handshake left it, and it still carries a probe. */
static void fuzz_check_channel(void)
{
	static const uint8_t probe[] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3 };
	const struct sockaddr_in *in;
	uint8_t buf[64];
	socklen_t len;

	FUZZ_ASSERT(f.peer && f.ups == 1 && f.downs == 0 && gw_dtls_peer_count(f.d) == 1);
	in = (const struct sockaddr_in *)gw_dtls_peer_addr(f.peer, &len);
	FUZZ_ASSERT(len == sizeof(*in) && ntohs(in->sin_port) == 40000);
	fuzz_source(40000);
	while (fx_client_read(&f, buf, sizeof(buf)) > 0)
		;	/* the echoes of the input's own DPD requests */
	FUZZ_ASSERT(fx_client_send(&f, GW_CSTP_DPD_REQ, probe, sizeof(probe)) == 0);
	FUZZ_ASSERT(fx_client_read(&f, buf, sizeof(buf)) == 1 + (int)sizeof(probe));
	FUZZ_ASSERT(buf[0] == GW_CSTP_DPD_RESP && !memcmp(buf + 1, probe, sizeof(probe)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, len;
	unsigned int sel;

	if (!ready)
		fuzz_setup();
	while (size - off >= 3) {
		sel = data[off] % 3;
		len = ((size_t)data[off + 1] << 8) | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		if (len && sel == 0)
			fuzz_forged(40000, data + off, len);
		else if (len && sel == 1)
			fuzz_forged(40001, data + off, len);
		else if (len)
			fuzz_client_record(data + off, len);
		off += len;
	}
	fuzz_check_channel();
	return 0;
}
