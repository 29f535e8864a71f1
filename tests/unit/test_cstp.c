/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for CSTP framing: header bytes, a header/parse round trip for
 * every type a client may send, frames cut at every length, early refusal of
 * bad magic, a non-zero reserved byte and forbidden types, the payload limit
 * at and over its value, and frames back to back in one buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/cstp.h"
#include "tests/unit/unit.h"

static uint8_t buf[2 * GW_CSTP_MAX_FRAME];

static const uint8_t client_types[] = {
	GW_CSTP_DATA, GW_CSTP_DPD_REQ, GW_CSTP_DPD_RESP, GW_CSTP_DISCONNECT, GW_CSTP_KEEPALIVE,
};

/* Writes one frame with a recognisable payload at out; returns its length. */
static size_t put_frame(uint8_t *out, uint8_t type, uint16_t len)
{
	size_t i;

	gw_cstp_header(out, type, len);
	for (i = 0; i < len; i++)
		out[GW_CSTP_HDR_LEN + i] = (uint8_t)(i * 7 + type);
	return GW_CSTP_HDR_LEN + (size_t)len;
}

static void test_header_bytes(void)
{
	static const uint8_t want[] = { 'S', 'T', 'F', 0x01, 0x01, 0x02, 0x03, 0x00 };
	static const uint8_t want_term[] = { 'S', 'T', 'F', 0x01, 0x00, 0x00, 0x09, 0x00 };
	static const uint8_t want_max[] = { 'S', 'T', 'F', 0x01, 0x3f, 0xf8, 0x00, 0x00 };
	uint8_t hdr[GW_CSTP_HDR_LEN];

	memset(hdr, 0xaa, sizeof(hdr));
	gw_cstp_header(hdr, GW_CSTP_DPD_REQ, 0x0102);
	CHECK(memcmp(hdr, want, sizeof(want)) == 0);
	gw_cstp_header(hdr, GW_CSTP_TERMINATE, 0);
	CHECK(memcmp(hdr, want_term, sizeof(want_term)) == 0);
	gw_cstp_header(hdr, GW_CSTP_DATA, GW_CSTP_MAX_PAYLOAD);
	CHECK(memcmp(hdr, want_max, sizeof(want_max)) == 0);
	CHECK_EQ_INT(GW_CSTP_MAX_PAYLOAD, 16376);
}

static void test_round_trip(void)
{
	static const uint16_t lens[] = { 0, 1, 2, 255, 256, 1406, GW_CSTP_MAX_PAYLOAD };
	size_t t, l;

	for (t = 0; t < sizeof(client_types); t++) {
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			struct gw_cstp_frame f;
			size_t n = put_frame(buf, client_types[t], lens[l]);

			CHECK_EQ_INT(gw_cstp_parse(buf, n, &f), n);
			CHECK_EQ_INT(f.type, client_types[t]);
			CHECK_EQ_INT(f.len, lens[l]);
			CHECK(f.payload == buf + GW_CSTP_HDR_LEN);
			/* Trailing bytes belong to the next frame, not to this one. */
			CHECK_EQ_INT(gw_cstp_parse(buf, n + 5, &f), n);
		}
	}
}

/* Every proper prefix of a valid frame is "need more", and nothing is filled in. */
static void test_partial(void)
{
	static const uint16_t lens[] = { 0, 1, 300 };
	size_t l, n;

	for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		size_t total = put_frame(buf, GW_CSTP_DATA, lens[l]);
		int bad = 0;

		for (n = 0; n < total; n++) {
			struct gw_cstp_frame f;

			memset(&f, 0x55, sizeof(f));
			if (gw_cstp_parse(buf, n, &f) != 0 || f.payload != NULL || f.len != 0) {
				printf("# frame of %u cut at %zu\n", lens[l], n);
				bad++;
			}
		}
		CHECK_EQ_INT(bad, 0);
	}
}

/* Each magic byte is checked as soon as it arrives. */
static void test_bad_magic(void)
{
	size_t i, n;

	for (i = 0; i < 4; i++) {
		struct gw_cstp_frame f;
		size_t total = put_frame(buf, GW_CSTP_DATA, 10);

		buf[i] ^= 0x20;
		for (n = 0; n <= i; n++)
			CHECK_EQ_INT(gw_cstp_parse(buf, n, &f), 0);
		CHECK_EQ_INT(gw_cstp_parse(buf, i + 1, &f), -EBADMSG);
		CHECK_EQ_INT(gw_cstp_parse(buf, total, &f), -EBADMSG);
	}
	/* An HTTP request on the tunnel connection is garbage from the first byte. */
	CHECK_EQ_INT(gw_cstp_parse((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &(struct gw_cstp_frame){ 0 }),
		     -EBADMSG);
	CHECK_EQ_INT(gw_cstp_parse((const uint8_t *)"G", 1, &(struct gw_cstp_frame){ 0 }), -EBADMSG);
}

static void test_reserved_byte(void)
{
	static const uint8_t values[] = { 0x01, 0x80, 0xff };
	size_t i;

	for (i = 0; i < sizeof(values); i++) {
		struct gw_cstp_frame f;
		size_t total = put_frame(buf, GW_CSTP_DATA, 100);

		buf[7] = values[i];
		CHECK_EQ_INT(gw_cstp_parse(buf, 7, &f), 0);
		/* Refused at eight bytes, before the payload arrives. */
		CHECK_EQ_INT(gw_cstp_parse(buf, 8, &f), -EBADMSG);
		CHECK_EQ_INT(gw_cstp_parse(buf, total, &f), -EBADMSG);
	}
}

static void test_length_limit(void)
{
	struct gw_cstp_frame f;
	size_t total;

	total = put_frame(buf, GW_CSTP_DATA, GW_CSTP_MAX_PAYLOAD);
	CHECK_EQ_INT(total, GW_CSTP_MAX_FRAME);
	CHECK_EQ_INT(gw_cstp_parse(buf, total, &f), GW_CSTP_MAX_FRAME);
	CHECK_EQ_INT(gw_cstp_parse(buf, total - 1, &f), 0);

	buf[4] = (GW_CSTP_MAX_PAYLOAD + 1) >> 8;
	buf[5] = (GW_CSTP_MAX_PAYLOAD + 1) & 0xff;
	CHECK_EQ_INT(gw_cstp_parse(buf, 5, &f), 0);
	/* Refused once both length bytes are there. */
	CHECK_EQ_INT(gw_cstp_parse(buf, 6, &f), -EMSGSIZE);
	CHECK_EQ_INT(gw_cstp_parse(buf, 8, &f), -EMSGSIZE);
	CHECK_EQ_INT(gw_cstp_parse(buf, sizeof(buf), &f), -EMSGSIZE);

	buf[4] = 0xff;
	buf[5] = 0xff;
	CHECK_EQ_INT(gw_cstp_parse(buf, sizeof(buf), &f), -EMSGSIZE);
	buf[4] = 0x40;
	buf[5] = 0x00;
	CHECK_EQ_INT(gw_cstp_parse(buf, sizeof(buf), &f), -EMSGSIZE);
}

static void test_rejected_types(void)
{
	static const uint8_t types[] = {
		GW_CSTP_COMPRESSED, GW_CSTP_TERMINATE, 1, 2, 6, 10, 0x7f, 0x80, 0xff,
	};
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		struct gw_cstp_frame f;
		size_t total = put_frame(buf, types[i], 20);

		CHECK_EQ_INT(gw_cstp_parse(buf, 6, &f), 0);
		/* Refused at seven bytes, as soon as the type is known. */
		CHECK_EQ_INT(gw_cstp_parse(buf, 7, &f), -EBADMSG);
		CHECK_EQ_INT(gw_cstp_parse(buf, total, &f), -EBADMSG);
	}
}

static void test_back_to_back(void)
{
	struct gw_cstp_frame f;
	size_t a, b, c, off = 0;
	int ret;

	a = put_frame(buf, GW_CSTP_DATA, 60);
	b = put_frame(buf + a, GW_CSTP_DPD_REQ, 0);
	c = put_frame(buf + a + b, GW_CSTP_DISCONNECT, 5);

	ret = gw_cstp_parse(buf + off, a + b + c, &f);
	CHECK_EQ_INT(ret, a);
	CHECK(f.type == GW_CSTP_DATA && f.len == 60 && f.payload == buf + 8);
	off += a;
	ret = gw_cstp_parse(buf + off, a + b + c - off, &f);
	CHECK_EQ_INT(ret, b);
	CHECK(f.type == GW_CSTP_DPD_REQ && f.len == 0);
	off += b;
	/* The third frame is cut short by one byte. */
	CHECK_EQ_INT(gw_cstp_parse(buf + off, c - 1, &f), 0);
	ret = gw_cstp_parse(buf + off, c, &f);
	CHECK_EQ_INT(ret, c);
	CHECK(f.type == GW_CSTP_DISCONNECT && f.len == 5 && f.payload == buf + off + 8);
	CHECK(f.payload[0] == (uint8_t)GW_CSTP_DISCONNECT);

	/* A good frame followed by garbage: the frame still parses, the garbage does not. */
	a = put_frame(buf, GW_CSTP_KEEPALIVE, 0);
	memcpy(buf + a, "XTF\x01", 4);
	CHECK_EQ_INT(gw_cstp_parse(buf, a + 4, &f), a);
	CHECK_EQ_INT(gw_cstp_parse(buf + a, 4, &f), -EBADMSG);
}

int main(void)
{
	RUN(test_header_bytes);
	RUN(test_round_trip);
	RUN(test_partial);
	RUN(test_bad_magic);
	RUN(test_reserved_byte);
	RUN(test_length_limit);
	RUN(test_rejected_types);
	RUN(test_back_to_back);
	UNIT_EXIT();
}
