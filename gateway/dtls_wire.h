/* SPDX-License-Identifier: MIT */
/*
 * The few DTLS wire structures the gateway reads and writes itself, before
 * OpenSSL holds any state for a source address: the ClientHello's record
 * and handshake headers (to find the session id that carries the App-ID and
 * the cookie), the HelloVerifyRequest that carries our stateless cookie, and
 * the first record header of a datagram from an unknown address. Every
 * length is checked against the datagram before a byte behind it is read.
 * Layouts: RFC 6347, sections 4.1 and 4.2.
 */
#ifndef POSTERN_GW_DTLS_WIRE_H
#define POSTERN_GW_DTLS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_DTLS_RECORD_HDR	13	/* type, version, epoch, sequence (48 bits), length */
#define GW_DTLS_HS_HDR		12	/* type, length, message_seq, fragment offset, length */
#define GW_DTLS_RANDOM_LEN	32
#define GW_DTLS_COOKIE_LEN	16	/* ours: a truncated HMAC-SHA256 */
#define GW_DTLS_HVR_LEN		(GW_DTLS_RECORD_HDR + GW_DTLS_HS_HDR + 3 + GW_DTLS_COOKIE_LEN)

/* What gw_dtls_hello_parse found; the pointers point into the datagram. */
struct gw_dtls_hello {
	uint8_t record_seq[6];		/* echoed in the HelloVerifyRequest */
	uint16_t message_seq;
	const uint8_t *random;		/* GW_DTLS_RANDOM_LEN bytes */
	const uint8_t *session_id;
	size_t session_id_len;		/* 0..32 */
	const uint8_t *cookie;
	size_t cookie_len;		/* 0..255 */
};

/*
 * Parses the first record of a datagram as an unfragmented DTLS ClientHello
 * in epoch 0. 0, or -EBADMSG when it is anything else (h is then zeroed).
 */
int gw_dtls_hello_parse(const uint8_t *buf, size_t len, struct gw_dtls_hello *h);

/*
 * Writes a HelloVerifyRequest answering h with the given cookie into out,
 * which has room for GW_DTLS_HVR_LEN bytes. Returns the length written.
 */
size_t gw_dtls_hello_verify_write(uint8_t out[GW_DTLS_HVR_LEN], const struct gw_dtls_hello *h,
				  const uint8_t cookie[GW_DTLS_COOKIE_LEN]);

/*
 * Whether the datagram starts with a whole DTLS application-data record of
 * an epoch after the handshake's: the only thing a client that moved to a
 * new address sends that could belong to an established peer.
 */
bool gw_dtls_record_is_appdata(const uint8_t *buf, size_t len);

/*
 * Whether every record of a datagram for an established peer is one that
 * OpenSSL 3.0 will either authenticate or drop quietly: whole headers and
 * lengths inside the datagram, and every sealed (epoch > 0) record at
 * least min_sealed bytes (the AEAD's nonce and tag) and at most
 * GW_DTLS_MAX_SEALED. OpenSSL answers a shorter or longer sealed record
 * with a fatal alert, so one forged datagram from the client's address
 * would end its channel; such datagrams never reach it.
 */
#define GW_DTLS_MAX_SEALED	(16384 + 256)
bool gw_dtls_records_ok(const uint8_t *buf, size_t len, size_t min_sealed);

#endif
