/* SPDX-License-Identifier: MIT */
/*
 * CSTP framing on the TLS channel: parses the frames a client sends out of
 * the accumulated TLS byte stream and writes the 8-byte header in front of
 * the frames the gateway sends. Each header byte is checked as soon as it has
 * arrived, so a peer that sends garbage is refused after at most eight bytes
 * instead of being allowed to fill a receive buffer first.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "gateway/cstp.h"

static const uint8_t gw_cstp_magic[4] = { 'S', 'T', 'F', 0x01 };
_Static_assert(sizeof(gw_cstp_magic) < GW_CSTP_HDR_LEN, "the magic fits in the header");

/*
 * What a client may send. COMPRESSED is refused because the gateway never
 * offers X-CSTP-Content-Encoding, and TERMINATE only flows server to client.
 */
static bool gw_cstp_client_type_ok(uint8_t type)
{
	switch (type) {
	case GW_CSTP_DATA:
	case GW_CSTP_DPD_REQ:
	case GW_CSTP_DPD_RESP:
	case GW_CSTP_DISCONNECT:
	case GW_CSTP_KEEPALIVE:
		return true;
	default:
		return false;
	}
}

/* Checks the header bytes present so far, of which there may be fewer than 8. */
static int gw_cstp_check_header(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < sizeof(gw_cstp_magic); i++) {
		if (buf[i] != gw_cstp_magic[i])
			return -EBADMSG;
	}
	if (len >= 6 && (((size_t)buf[4] << 8) | buf[5]) > GW_CSTP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (len >= 7 && !gw_cstp_client_type_ok(buf[6]))
		return -EBADMSG;
	if (len >= 8 && buf[7] != 0)
		return -EBADMSG;
	return 0;
}

int gw_cstp_parse(const uint8_t *buf, size_t len, struct gw_cstp_frame *f)
{
	size_t payload;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = gw_cstp_check_header(buf, len);
	if (ret < 0 || len < GW_CSTP_HDR_LEN)
		return ret;
	payload = ((size_t)buf[4] << 8) | buf[5];
	if (len - GW_CSTP_HDR_LEN < payload)
		return 0;
	f->type = buf[6];
	f->len = (uint16_t)payload;
	f->payload = buf + GW_CSTP_HDR_LEN;
	return (int)(GW_CSTP_HDR_LEN + payload);
}

void gw_cstp_header(uint8_t hdr[GW_CSTP_HDR_LEN], enum gw_cstp_type type, uint16_t len)
{
	memcpy(hdr, gw_cstp_magic, sizeof(gw_cstp_magic));
	hdr[4] = (uint8_t)(len >> 8);
	hdr[5] = (uint8_t)(len & 0xff);
	hdr[6] = (uint8_t)type;
	hdr[7] = 0;
}
