/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for CSTP framing: parses the input as the byte stream a
 * client sends, frame after frame, the way the tunnel's read loop does, and
 * checks that every accepted frame lies inside the input, is a type a client
 * may send, and re-encodes to exactly the header bytes it was parsed from.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cstp.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

static void check_frame(const uint8_t *buf, size_t len, int ret, const struct gw_cstp_frame *f)
{
	uint8_t hdr[GW_CSTP_HDR_LEN];

	FUZZ_ASSERT((size_t)ret == GW_CSTP_HDR_LEN + f->len && (size_t)ret <= len);
	FUZZ_ASSERT(ret <= GW_CSTP_MAX_FRAME && f->len <= GW_CSTP_MAX_PAYLOAD);
	FUZZ_ASSERT(f->payload == buf + GW_CSTP_HDR_LEN);
	FUZZ_ASSERT(f->type != GW_CSTP_COMPRESSED && f->type != GW_CSTP_TERMINATE);
	gw_cstp_header(hdr, (enum gw_cstp_type)f->type, f->len);
	FUZZ_ASSERT(!memcmp(hdr, buf, sizeof(hdr)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	for (;;) {
		struct gw_cstp_frame f;
		int ret = gw_cstp_parse(data + off, size - off, &f);

		FUZZ_ASSERT(ret >= 0 || ret == -EBADMSG || ret == -EMSGSIZE);
		if (ret <= 0) {
			/* "Need more" only while the header or payload is still short. */
			FUZZ_ASSERT(ret < 0 || size - off < GW_CSTP_MAX_FRAME);
			FUZZ_ASSERT(ret < 0 || f.payload == NULL);
			break;
		}
		check_frame(data + off, size - off, ret, &f);
		off += (size_t)ret;
	}
	return 0;
}
