/* SPDX-License-Identifier: MIT */
/*
 * CSTP framing: the 8-byte header the OpenConnect protocol puts in front of
 * every packet and control message on the TLS channel:
 *   'S' 'T' 'F' 0x01, payload length (16-bit big-endian), type, 0x00.
 * The client expects exactly one frame per TLS record, so a frame never
 * exceeds one record (16384 bytes including the header).
 */
#ifndef POSTERN_GW_CSTP_H
#define POSTERN_GW_CSTP_H

#include <stddef.h>
#include <stdint.h>

#define GW_CSTP_HDR_LEN		8
#define GW_CSTP_MAX_FRAME	16384
#define GW_CSTP_MAX_PAYLOAD	(GW_CSTP_MAX_FRAME - GW_CSTP_HDR_LEN)

enum gw_cstp_type {
	GW_CSTP_DATA = 0,
	GW_CSTP_DPD_REQ = 3,
	GW_CSTP_DPD_RESP = 4,
	GW_CSTP_DISCONNECT = 5,
	GW_CSTP_KEEPALIVE = 7,
	GW_CSTP_COMPRESSED = 8,
	GW_CSTP_TERMINATE = 9,
};

struct gw_cstp_frame {
	uint8_t type;
	uint16_t len;			/* payload length */
	const uint8_t *payload;		/* points into the caller's buffer */
};

/*
 * Parses one client frame at the start of buf.
 * Returns the whole frame length (header + payload) when complete, 0 when
 * more bytes are needed, -EBADMSG for bad magic, a non-zero reserved byte or
 * a type a client may not send (compression is never negotiated, and
 * TERMINATE is server-only), -EMSGSIZE for a length over GW_CSTP_MAX_PAYLOAD.
 */
int gw_cstp_parse(const uint8_t *buf, size_t len, struct gw_cstp_frame *f);

/* Writes a frame header for a payload of len bytes (len <= GW_CSTP_MAX_PAYLOAD). */
void gw_cstp_header(uint8_t hdr[GW_CSTP_HDR_LEN], enum gw_cstp_type type, uint16_t len);

#endif
