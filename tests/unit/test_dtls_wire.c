/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the DTLS headers the gateway reads before OpenSSL does
 * (gateway/dtls_wire.c) and of the CONNECT-side helpers
 * (gateway/dtls_offer.c): a real OpenSSL ClientHello carrying the App-ID at
 * the offset openconnect's servers read it from, every truncation of it
 * refused, the HelloVerifyRequest's bytes, the application-data check, the
 * X-DTLS-* lines, the PSK-NEGOTIATE token, the MTU arithmetic and the key
 * export that both ends of a TLS connection must agree on.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/dtls_wire.h"
#include "tests/unit/dtls_fixture.h"
#include "tests/unit/unit.h"

static uint8_t hello[FX_MAX_DGRAM];

/* The first datagram of a real client: a ClientHello without a cookie. */
static size_t real_hello(struct fx *f)
{
	if (fx_init(f, NULL) < 0 || SSL_do_handshake(f->cssl) != -1)
		return 0;
	return fx_take(f, hello, sizeof(hello));
}

static void test_hello_parse_real(void)
{
	struct gw_dtls_hello h;
	struct fx f;
	size_t n = real_hello(&f), cut;

	CHECK(n > 100);
	CHECK_EQ_INT(gw_dtls_hello_parse(hello, n, &h), 0);
	CHECK_EQ_INT(h.session_id_len, GW_DTLS_APP_ID_LEN);
	/* 13 record + 12 handshake + 2 version + 32 random: the length at 59. */
	CHECK_EQ_INT(hello[59], GW_DTLS_APP_ID_LEN);
	CHECK(h.session_id == hello + 60 && !memcmp(h.session_id, f.app_id, GW_DTLS_APP_ID_LEN));
	CHECK(h.random == hello + 27);
	CHECK_EQ_INT(h.cookie_len, 0);
	CHECK_EQ_INT(h.message_seq, 0);
	for (cut = 0; cut < 60 + GW_DTLS_APP_ID_LEN + 1; cut++) {
		CHECK_EQ_INT(gw_dtls_hello_parse(hello, cut, &h), -EBADMSG);
		CHECK(h.session_id == NULL && h.session_id_len == 0);
	}
	fx_free(&f);
}

/* Each field that would make it something else than a whole epoch-0 hello. */
static void test_hello_parse_refusals(void)
{
	static const size_t pos[] = { 0, 1, 3, 4, 13, 19, 22, 25, 59 };
	static const uint8_t bad[] = { 23, 0x03, 0, 1, 2, 0, 0, 1, 33 };
	struct gw_dtls_hello h;
	struct fx f;
	size_t n = real_hello(&f), i;
	uint8_t saved;

	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		saved = hello[pos[i]];
		hello[pos[i]] = (uint8_t)(bad[i] == saved ? saved + 1 : bad[i]);
		CHECK_EQ_INT(gw_dtls_hello_parse(hello, n, &h), -EBADMSG);
		hello[pos[i]] = saved;
	}
	/* A record length past the datagram's end. */
	hello[11] = 0xff;
	CHECK_EQ_INT(gw_dtls_hello_parse(hello, n, &h), -EBADMSG);
	fx_free(&f);
}

static void test_hello_verify_layout(void)
{
	static const uint8_t want[] = {
		22, 0xfe, 0xff, 0, 0, 1, 2, 3, 4, 5, 6, 0, 31,
		3, 0, 0, 19, 0, 0, 0, 0, 0, 0, 0, 19,
		0xfe, 0xff, 16,
	};
	struct gw_dtls_hello h = { .record_seq = { 1, 2, 3, 4, 5, 6 } };
	uint8_t cookie[GW_DTLS_COOKIE_LEN], out[GW_DTLS_HVR_LEN];

	memset(cookie, 0xc0, sizeof(cookie));
	CHECK_EQ_INT(gw_dtls_hello_verify_write(out, &h, cookie), 44);
	CHECK(!memcmp(out, want, sizeof(want)));
	CHECK(!memcmp(out + sizeof(want), cookie, sizeof(cookie)));
}

/* The client's second hello carries the module's cookie back. */
static void test_hello_cookie_round_trip(void)
{
	struct gw_dtls_hello h;
	struct fx f;
	size_t n = real_hello(&f);

	fx_deliver(&f, hello, n);
	CHECK_EQ_INT(SSL_do_handshake(f.cssl), -1);
	n = fx_take(&f, hello, sizeof(hello));
	CHECK_EQ_INT(gw_dtls_hello_parse(hello, n, &h), 0);
	CHECK_EQ_INT(h.cookie_len, GW_DTLS_COOKIE_LEN);
	CHECK_EQ_INT(h.message_seq, 1);
	fx_free(&f);
}

static void test_record_is_appdata(void)
{
	uint8_t rec[40] = { 23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 7, 0, 27 };

	CHECK(gw_dtls_record_is_appdata(rec, sizeof(rec)));
	CHECK(!gw_dtls_record_is_appdata(rec, sizeof(rec) - 1));	/* cut short */
	CHECK(!gw_dtls_record_is_appdata(rec, 12));
	rec[4] = 0;
	CHECK(!gw_dtls_record_is_appdata(rec, sizeof(rec)));		/* epoch 0 */
	rec[4] = 1;
	rec[0] = 22;
	CHECK(!gw_dtls_record_is_appdata(rec, sizeof(rec)));
}

static void test_records_ok(void)
{
	uint8_t dg[200] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 3, 0, 10 };
	uint8_t *second = dg + 13 + 10;

	memcpy(second, "\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x00\x01\x00\x18", 13);
	CHECK(gw_dtls_records_ok(dg, 23 + 13 + 24, 24));	/* epoch 0, then sealed */
	CHECK(!gw_dtls_records_ok(dg, 23 + 13 + 24, 25));	/* sealed, too short */
	CHECK(gw_dtls_records_ok(dg, 23 + 13 + 24, 16));
	CHECK(!gw_dtls_records_ok(dg, 23 + 13 + 23, 16));	/* cut short */
	CHECK(!gw_dtls_records_ok(dg, 23 + 13 + 25, 16));	/* trailing byte */
	CHECK(gw_dtls_records_ok(dg, 23, 24));
	second[1] = 0x03;
	CHECK(!gw_dtls_records_ok(dg, 23 + 13 + 24, 16));	/* not DTLS */
	CHECK(gw_dtls_records_ok(dg, 0, 16));
}

static void test_connect_headers(void)
{
	struct gw_dtls_offer o = { .port = 443, .dpd = 30, .keepalive = 20, .mtu = 1340 };
	char buf[GW_DTLS_HEADERS_MAX];
	int n;
	size_t len;

	memset(o.app_id, 0xab, sizeof(o.app_id));
	o.app_id[0] = 0x01;
	n = gw_dtls_connect_headers(&o, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n"
			  "X-DTLS-App-ID: 01ababababababababababababababab"
			  "abababababababababababababababab\r\n"
			  "X-DTLS-Port: 443\r\nX-DTLS-DPD: 30\r\nX-DTLS-Keepalive: 20\r\n"
			  "X-DTLS-MTU: 1340\r\n");
	CHECK_EQ_INT(n, (int)strlen(buf));
	for (len = 1; len <= (size_t)n; len++) {
		CHECK_EQ_INT(gw_dtls_connect_headers(&o, buf, len), -ENOSPC);
		CHECK_EQ_INT(buf[0], 0);
	}
	o.dpd = o.keepalive = o.mtu = 0;
	CHECK(gw_dtls_connect_headers(&o, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "DPD") == NULL && strstr(buf, "X-DTLS-Port: 443\r\n") != NULL);
}

static void test_client_offers_psk(void)
{
	CHECK(gw_dtls_client_offers_psk("PSK-NEGOTIATE"));
	CHECK(gw_dtls_client_offers_psk("PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM:AES256-SHA"));
	CHECK(gw_dtls_client_offers_psk("AES256-SHA:PSK-NEGOTIATE"));
	CHECK(!gw_dtls_client_offers_psk("AES256-SHA:AES128-SHA"));
	CHECK(!gw_dtls_client_offers_psk("PSK-NEGOTIATEX:XPSK-NEGOTIATE"));
	CHECK(!gw_dtls_client_offers_psk("psk-negotiate"));
	CHECK(!gw_dtls_client_offers_psk(":"));
	CHECK(!gw_dtls_client_offers_psk(""));
	CHECK(!gw_dtls_client_offers_psk(NULL));
}

static void test_tunnel_mtu(void)
{
	CHECK_EQ_INT(gw_dtls_tunnel_mtu(1406, false), 1340);	/* as the handshake test finds */
	CHECK_EQ_INT(gw_dtls_tunnel_mtu(1500, false), 1434);
	CHECK_EQ_INT(gw_dtls_tunnel_mtu(1406, true), 1320);
	CHECK_EQ_INT(gw_dtls_tunnel_mtu(86, true), 0);
	CHECK_EQ_INT(gw_dtls_tunnel_mtu(87, true), 1);
	CHECK_EQ_INT(gw_dtls_tunnel_mtu(0, false), 0);
}

static unsigned int tls_psk_server(SSL *ssl, const char *id, unsigned char *psk, unsigned int max)
{
	(void)ssl, (void)id, (void)max;
	memset(psk, 0x42, 16);
	return 16;
}

static unsigned int tls_psk_client(SSL *ssl, const char *hint, char *id, unsigned int max_id,
				   unsigned char *psk, unsigned int max)
{
	(void)ssl, (void)hint, (void)max_id, (void)max;
	strcpy(id, "x");
	memset(psk, 0x42, 16);
	return 16;
}

/* A TLS 1.2 PSK connection in memory: no certificate needed to test export. */
static int tls_pair(SSL_CTX *sctx, SSL_CTX *cctx, SSL **s, SSL **c)
{
	BIO *sb, *cb;
	int i, rs = 0, rc = 0;

	*s = SSL_new(sctx);
	*c = SSL_new(cctx);
	if (!*s || !*c || !BIO_new_bio_pair(&sb, 0, &cb, 0))
		return -1;
	SSL_set_bio(*s, sb, sb);
	SSL_set_bio(*c, cb, cb);
	SSL_set_accept_state(*s);
	SSL_set_connect_state(*c);
	for (i = 0; i < 20 && (rs != 1 || rc != 1); i++) {
		rc = SSL_do_handshake(*c);
		rs = SSL_do_handshake(*s);
	}
	return rs == 1 && rc == 1 ? 0 : -1;
}

static void test_psk_export(void)
{
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
	uint8_t ks[GW_DTLS_PSK_LEN], kc[GW_DTLS_PSK_LEN], k2[GW_DTLS_PSK_LEN], zero[GW_DTLS_PSK_LEN] = { 0 };
	SSL *s = NULL, *c = NULL, *s2 = NULL, *c2 = NULL;

	CHECK(sctx && cctx);
	SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(sctx, "PSK-AES128-GCM-SHA256");
	SSL_CTX_set_cipher_list(cctx, "PSK-AES128-GCM-SHA256");
	SSL_CTX_set_psk_server_callback(sctx, tls_psk_server);
	SSL_CTX_set_psk_client_callback(cctx, tls_psk_client);
	s = SSL_new(sctx);
	memset(ks, 0xee, sizeof(ks));
	CHECK_EQ_INT(gw_dtls_psk_export(s, ks), -EIO);	/* no handshake yet */
	CHECK(!memcmp(ks, zero, sizeof(ks)));
	SSL_free(s);
	CHECK_EQ_INT(tls_pair(sctx, cctx, &s, &c), 0);
	CHECK_EQ_INT(gw_dtls_psk_export(s, ks), 0);
	CHECK_EQ_INT(gw_dtls_psk_export(c, kc), 0);
	CHECK(!memcmp(ks, kc, sizeof(ks)) && memcmp(ks, zero, sizeof(ks)) != 0);
	CHECK_EQ_INT(tls_pair(sctx, cctx, &s2, &c2), 0);
	CHECK_EQ_INT(gw_dtls_psk_export(s2, k2), 0);
	CHECK(memcmp(ks, k2, sizeof(ks)) != 0);		/* a new TLS session, a new key */
	SSL_free(s);
	SSL_free(c);
	SSL_free(s2);
	SSL_free(c2);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

int main(void)
{
	RUN(test_hello_parse_real);
	RUN(test_hello_parse_refusals);
	RUN(test_hello_verify_layout);
	RUN(test_hello_cookie_round_trip);
	RUN(test_record_is_appdata);
	RUN(test_records_ok);
	RUN(test_connect_headers);
	RUN(test_client_offers_psk);
	RUN(test_tunnel_mtu);
	RUN(test_psk_export);
	UNIT_EXIT();
}
