/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the DTLS channel (gateway/dtls.c) against a real OpenSSL
 * DTLS 1.2 PSK client (tests/unit/dtls_fixture.h): the stateless cookie
 * exchange keeps nothing for a first ClientHello or an unknown App-ID; a
 * wrong key never comes up; the right one does, and carries data both ways;
 * DPD requests come back byte for byte; a new source port that
 * authenticates moves the peer and one that does not (or a replay) moves
 * nothing; a client that redoes its handshake replaces its old channel;
 * timeouts, session ends and garbage before and after the handshake.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/dtls_fixture.h"
#include "tests/unit/unit.h"

static uint8_t buf[FX_MAX_DGRAM], buf2[FX_MAX_DGRAM];

static struct gw_dtls_stats stats(const struct fx *f)
{
	struct gw_dtls_stats s;

	gw_dtls_get_stats(f->d, &s);
	return s;
}

/* The first ClientHello gets a HelloVerifyRequest and nothing is kept. */
static void test_first_hello_keeps_nothing(void)
{
	struct fx f;
	size_t n;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	CHECK_EQ_INT(SSL_do_handshake(f.cssl), -1);
	n = fx_take(&f, buf, sizeof(buf));
	CHECK(n > 100);
	fx_deliver(&f, buf, n);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 0);
	CHECK_EQ_INT(stats(&f).hello_verify_sent, 1);
	CHECK_EQ_INT(f.lookups, 0);		/* the App-ID is not even looked up */
	CHECK_EQ_INT(f.nsent, 1);
	CHECK(f.last_sent_len <= n);		/* no amplification */
	CHECK_EQ_INT(fx_last_to_port(&f), 40000);
	fx_free(&f);
}

static void test_unknown_app_id_keeps_nothing(void)
{
	struct fx f;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	f.live = false;
	CHECK(fx_handshake(&f) < 0);
	CHECK_EQ_INT(f.lookups, 1);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 0);
	CHECK_EQ_INT(stats(&f).unknown_app_id, 1);
	CHECK_EQ_INT(f.nsent, 1);		/* the HelloVerifyRequest, nothing more */
	CHECK_EQ_INT(f.ups, 0);
	fx_free(&f);
}

/* A cookie made for another address is refused with a fresh challenge. */
static void test_cookie_bound_to_address(void)
{
	struct fx f;
	size_t n;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	CHECK_EQ_INT(SSL_do_handshake(f.cssl), -1);
	fx_pump(&f);
	CHECK_EQ_INT(SSL_do_handshake(f.cssl), -1);	/* reads the cookie, hello 2 */
	n = fx_take(&f, buf, sizeof(buf));
	CHECK(n > 0);
	fx_from(&f, false, 40001);
	fx_deliver(&f, buf, n);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 0);
	CHECK_EQ_INT(stats(&f).bad_cookie, 1);
	CHECK_EQ_INT(stats(&f).hello_verify_sent, 2);
	CHECK_EQ_INT(f.lookups, 0);
	fx_free(&f);
}

static void test_wrong_psk_never_up(void)
{
	struct fx f;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	f.client_key[5] ^= 1;
	CHECK(fx_handshake(&f) < 0);
	CHECK_EQ_INT(f.ups, 0);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 1);	/* in handshake, until it times out */
	f.now += 15;
	gw_dtls_tick(f.d, f.now);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 0);
	CHECK(stats(&f).handshake_failures >= 1);
	CHECK_EQ_INT(f.downs, 0);
	fx_free(&f);
}

static void test_handshake_and_data(void)
{
	static const uint8_t pkt[] = { 0x45, 0, 0, 20, 1, 2, 3, 4, 64, 17, 0, 0,
				       10, 0, 0, 1, 10, 0, 0, 2 };
	struct fx f;
	int n;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	CHECK_EQ_INT(f.ups, 1);
	CHECK(f.peer != NULL);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 1);
	CHECK_EQ_INT(fx_client_send(&f, GW_CSTP_DATA, pkt, sizeof(pkt)), 0);
	CHECK_EQ_INT(f.ndata, 1);
	CHECK(f.data_len == sizeof(pkt) && !memcmp(f.data, pkt, sizeof(pkt)));
	CHECK_EQ_INT(gw_dtls_send(f.peer, GW_CSTP_DATA, pkt, sizeof(pkt)), 0);
	n = fx_client_read(&f, buf, sizeof(buf));
	CHECK_EQ_INT(n, 1 + (int)sizeof(pkt));
	CHECK(buf[0] == GW_CSTP_DATA && !memcmp(buf + 1, pkt, sizeof(pkt)));
	/* 1406 - 28 (IP, UDP) - 13 (record) - 24 (AES-GCM) - 1 (type) */
	CHECK_EQ_INT(gw_dtls_peer_mtu(f.peer), 1340);
	CHECK_EQ_INT(gw_dtls_send(f.peer, GW_CSTP_DATA, buf, 1341), -EMSGSIZE);
	CHECK_EQ_INT(gw_dtls_send(f.peer, GW_CSTP_DATA, buf, 1340), 0);
	CHECK_EQ_INT(fx_client_read(&f, buf, sizeof(buf)), 1341);
	fx_free(&f);
}

/* The client's MTU probes: any length, echoed with the identical payload. */
static void test_dpd_echo_byte_for_byte(void)
{
	static const size_t lens[] = { 0, 1, 4, 100, 1000, 1339, 1400 };
	struct fx f;
	size_t i, j;
	int n;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (j = 0; j < lens[i]; j++)
			buf2[j] = (uint8_t)(j * 31 + i);
		CHECK_EQ_INT(fx_client_send(&f, GW_CSTP_DPD_REQ, buf2, lens[i]), 0);
		n = fx_client_read(&f, buf, sizeof(buf));
		CHECK_EQ_INT(n, (int)lens[i] + 1);
		CHECK(n > 0 && buf[0] == GW_CSTP_DPD_RESP && !memcmp(buf + 1, buf2, lens[i]));
	}
	CHECK_EQ_INT(f.ndata, 0);
	fx_free(&f);
}

/* A NAT that rebinds: same address, new port; only a record that authenticates. */
static void test_roaming(void)
{
	static const uint8_t pkt[] = { 0x45, 0, 0, 20, 9 };
	uint8_t forged[64];
	socklen_t len;
	size_t n;
	struct fx f;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	fx_from(&f, false, 40002);
	CHECK_EQ_INT(fx_client_send(&f, GW_CSTP_DATA, pkt, sizeof(pkt)), 0);
	CHECK_EQ_INT(f.ndata, 1);
	CHECK_EQ_INT(stats(&f).roams, 1);
	CHECK_EQ_INT(ntohs(((const struct sockaddr_in *)gw_dtls_peer_addr(f.peer, &len))->sin_port),
		     40002);
	CHECK_EQ_INT(gw_dtls_send(f.peer, GW_CSTP_KEEPALIVE, NULL, 0), 0);
	CHECK_EQ_INT(fx_last_to_port(&f), 40002);
	CHECK_EQ_INT(fx_client_read(&f, buf, sizeof(buf)), 1);

	/* A forged application-data record from yet another port moves nothing. */
	memset(forged, 0x11, sizeof(forged));
	memcpy(forged, "\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x00\x40\x00\x33", 13);
	fx_from(&f, false, 40003);
	fx_deliver(&f, forged, sizeof(forged));
	CHECK_EQ_INT(stats(&f).roams, 1);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 1);
	CHECK(f.peer != NULL);

	/* A genuine record replayed from another port is refused as a replay. */
	CHECK_EQ_INT(SSL_write(f.cssl, "\x07", 1), 1);
	n = fx_take(&f, buf2, sizeof(buf2));
	fx_from(&f, false, 40002);
	fx_deliver(&f, buf2, n);
	fx_from(&f, false, 40004);
	fx_deliver(&f, buf2, n);
	CHECK_EQ_INT(stats(&f).roams, 1);
	CHECK_EQ_INT(ntohs(((const struct sockaddr_in *)gw_dtls_peer_addr(f.peer, &len))->sin_port),
		     40002);

	/* Another IP address is not searched: that client redoes its handshake. */
	f.from.sin6_family = AF_INET6;
	fx_from(&f, true, 40002);
	CHECK_EQ_INT(fx_client_send(&f, GW_CSTP_DATA, pkt, sizeof(pkt)), 0);
	CHECK_EQ_INT(f.ndata, 1);
	CHECK_EQ_INT(stats(&f).roams, 1);
	fx_free(&f);
}

/* A client that redoes DTLS (new key after a CSTP reconnect, new port). */
static void test_reconnect_replaces(void)
{
	struct gw_dtls_peer *first;
	struct fx f;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	first = f.peer;
	memset(f.key, 0x77, sizeof(f.key));
	memcpy(f.client_key, f.key, sizeof(f.key));
	CHECK_EQ_INT(fx_client_new(&f), 0);
	fx_from(&f, false, 41000);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	CHECK_EQ_INT(f.ups, 2);
	CHECK_EQ_INT(f.downs, 1);			/* the old channel, before the new is up */
	CHECK(f.peer != NULL && f.peer != first);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 1);

	/* Again, from the same address and port. */
	CHECK_EQ_INT(fx_client_new(&f), 0);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	CHECK_EQ_INT(f.ups, 3);
	CHECK_EQ_INT(f.downs, 2);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 1);
	CHECK_EQ_INT(fx_client_send(&f, GW_CSTP_DATA, (const uint8_t *)"\x45\x00", 2), 0);
	CHECK_EQ_INT(f.ndata, 1);
	fx_free(&f);
}

static void test_idle_and_session_end(void)
{
	struct fx f;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	f.now += 90;
	gw_dtls_tick(f.d, f.now);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 1);
	f.now += 1;
	gw_dtls_tick(f.d, f.now);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 0);
	CHECK_EQ_INT(f.downs, 1);

	CHECK_EQ_INT(fx_client_new(&f), 0);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	gw_dtls_session_end(f.d, f.app_id);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 0);
	CHECK_EQ_INT(f.downs, 1);			/* the caller ended it: no callback */
	fx_free(&f);
}

/* The client says goodbye (close_notify): the channel goes down. */
static void test_client_close(void)
{
	struct fx f;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	SSL_shutdown(f.cssl);
	fx_pump(&f);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 0);
	CHECK_EQ_INT(f.downs, 1);
	fx_free(&f);
}

/*
 * OpenSSL 3.0 ends a DTLS connection with a fatal alert on a sealed record
 * shorter than its AEAD's nonce and tag, or longer than the maximum: forged
 * from the client's address (found by fuzz_dtls), one datagram would end
 * the channel. Such datagrams must never reach it.
 */
static void test_short_sealed_records_dropped(void)
{
	uint8_t rec[13 + 16700];
	size_t len, sizes[] = { 1, 8, 16, 23, 16641 };
	unsigned int i;
	struct fx f;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		len = sizes[i];
		memset(rec, 0x41, sizeof(rec));
		memcpy(rec, "\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x00\x09", 11);
		rec[11] = (uint8_t)(len >> 8);
		rec[12] = (uint8_t)len;
		fx_deliver(&f, rec, 13 + len);
		fx_from(&f, false, 40009);		/* and as a roaming candidate */
		fx_deliver(&f, rec, 13 + len);
		fx_from(&f, false, 40000);
	}
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 1);
	CHECK_EQ_INT(f.downs, 0);
	CHECK_EQ_INT(f.nsent, 3);			/* the handshake's, no alert */
	CHECK_EQ_INT(fx_client_send(&f, GW_CSTP_KEEPALIVE, NULL, 0), 0);
	CHECK_EQ_INT(stats(&f).rx_records, 1);
	fx_free(&f);
}

static void garbage(struct fx *f, unsigned int seed)
{
	size_t i, len;

	for (i = 0; i < 200; i++) {
		len = 1 + (seed * 2654435761u + i * 40503u) % 300;
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)((seed + i) * 131 + j * 17);
		if (i % 3 == 0)
			buf[0] = (uint8_t)(20 + i % 5);		/* a record type */
		if (i % 6 == 0 && len > 13)
			memcpy(buf + 1, "\xfe\xfd\x00\x01", 4);	/* DTLS 1.2, epoch 1 */
		fx_from(f, i % 4 == 0, (uint16_t)(40000 + i % 3));
		fx_deliver(f, buf, len);
	}
	fx_from(f, false, 40000);
}

static void test_garbage_before_and_after(void)
{
	struct fx f;

	CHECK_EQ_INT(fx_init(&f, NULL), 0);
	garbage(&f, 1);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 0);
	CHECK_EQ_INT(f.nsent, 0);
	CHECK_EQ_INT(fx_handshake(&f), 0);
	garbage(&f, 2);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 1);
	CHECK(f.peer != NULL);
	CHECK_EQ_INT(fx_client_send(&f, GW_CSTP_DATA, (const uint8_t *)"\x45\x01", 2), 0);
	CHECK_EQ_INT(f.ndata, 1);
	/* A source address too short for its family is dropped, not read. */
	gw_dtls_input(f.d, f.now, (const struct sockaddr *)&f.from, 3, buf, 10);
	CHECK_EQ_INT(gw_dtls_peer_count(f.d), 1);
	fx_free(&f);
}

int main(void)
{
	RUN(test_first_hello_keeps_nothing);
	RUN(test_unknown_app_id_keeps_nothing);
	RUN(test_cookie_bound_to_address);
	RUN(test_wrong_psk_never_up);
	RUN(test_handshake_and_data);
	RUN(test_dpd_echo_byte_for_byte);
	RUN(test_roaming);
	RUN(test_reconnect_replaces);
	RUN(test_idle_and_session_end);
	RUN(test_client_close);
	RUN(test_short_sealed_records_dropped);
	RUN(test_garbage_before_and_after);
	UNIT_EXIT();
}
