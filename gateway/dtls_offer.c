/* SPDX-License-Identifier: MIT */
/*
 * What the tunnel request needs to offer DTLS (doc/protocol.md, sections 4
 * and 6): the pre-shared key exported from the CONNECT's TLS session, a
 * random App-ID, whether the client asked for PSK-NEGOTIATE, the tunnel MTU
 * over DTLS, and the X-DTLS-* reply lines. The client aborts its CONNECT on
 * a malformed App-ID, so the App-ID is always exactly 64 hex digits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "gateway/dtls.h"

#define DTLS_PSK_LABEL		"EXPORTER-openconnect-psk"
#define DTLS_PSK_NEGOTIATE	"PSK-NEGOTIATE"

/*
 * Bytes a tunnel packet pays on the way: the IP header (20, or 40 for IPv6),
 * UDP (8), the DTLS 1.2 record header (13), the AEAD's expansion (AES-GCM:
 * an 8-byte explicit nonce and a 16-byte tag; ChaCha20-Poly1305: the tag
 * alone, so GCM's 24 is the most we can agree on) and our type byte (1).
 */
#define DTLS_OVERHEAD_V4	(20 + 8 + 13 + 24 + 1)
#define DTLS_OVERHEAD_V6	(40 + 8 + 13 + 24 + 1)

int gw_dtls_psk_export(SSL *tls, uint8_t key[GW_DTLS_PSK_LEN])
{
	static const char label[] = DTLS_PSK_LABEL;

	/* No context (use_context 0): the client derives its key the same way. */
	if (SSL_export_keying_material(tls, key, GW_DTLS_PSK_LEN, label, sizeof(label) - 1,
				       NULL, 0, 0) != 1) {
		OPENSSL_cleanse(key, GW_DTLS_PSK_LEN);
		return -EIO;
	}
	return 0;
}

int gw_dtls_app_id_new(uint8_t app_id[GW_DTLS_APP_ID_LEN])
{
	return RAND_bytes(app_id, GW_DTLS_APP_ID_LEN) == 1 ? 0 : -EIO;
}

bool gw_dtls_client_offers_psk(const char *ciphersuites)
{
	const size_t want = sizeof(DTLS_PSK_NEGOTIATE) - 1;
	const char *p = ciphersuites, *end;

	while (p && *p) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) == want && !memcmp(p, DTLS_PSK_NEGOTIATE, want))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

unsigned int gw_dtls_tunnel_mtu(unsigned int base_mtu, bool ipv6)
{
	unsigned int overhead = ipv6 ? DTLS_OVERHEAD_V6 : DTLS_OVERHEAD_V4;

	return base_mtu > overhead ? base_mtu - overhead : 0;
}

/* Appends one formatted line; -ENOSPC when it does not fit whole. */
static int offer_line(char *buf, size_t len, size_t *off, const char *name, unsigned int v)
{
	int n = snprintf(buf + *off, len - *off, "%s: %u\r\n", name, v);

	if (n < 0 || (size_t)n >= len - *off)
		return -ENOSPC;
	*off += (size_t)n;
	return 0;
}

static int offer_app_id(char *buf, size_t len, size_t *off, const uint8_t *id)
{
	static const char hex[] = "0123456789abcdef";
	static const char name[] = "X-DTLS-App-ID: ";
	size_t i, need = sizeof(name) - 1 + 2 * GW_DTLS_APP_ID_LEN + 2;
	char *p = buf + *off;

	if (len - *off <= need)
		return -ENOSPC;
	memcpy(p, name, sizeof(name) - 1);
	p += sizeof(name) - 1;
	for (i = 0; i < GW_DTLS_APP_ID_LEN; i++) {
		*p++ = hex[id[i] >> 4];
		*p++ = hex[id[i] & 0xf];
	}
	memcpy(p, "\r\n", 3);
	*off += need;
	return 0;
}

int gw_dtls_connect_headers(const struct gw_dtls_offer *o, char *buf, size_t len)
{
	static const char suite[] = "X-DTLS-CipherSuite: " DTLS_PSK_NEGOTIATE "\r\n";
	size_t off = sizeof(suite) - 1;
	int ret = 0;

	if (len <= off)
		ret = -ENOSPC;
	else
		memcpy(buf, suite, sizeof(suite));
	if (!ret)
		ret = offer_app_id(buf, len, &off, o->app_id);
	if (!ret)
		ret = offer_line(buf, len, &off, "X-DTLS-Port", o->port);
	if (!ret && o->dpd)
		ret = offer_line(buf, len, &off, "X-DTLS-DPD", o->dpd);
	if (!ret && o->keepalive)
		ret = offer_line(buf, len, &off, "X-DTLS-Keepalive", o->keepalive);
	if (!ret && o->mtu)
		ret = offer_line(buf, len, &off, "X-DTLS-MTU", o->mtu);
	if (ret) {
		if (len)
			buf[0] = '\0';
		return ret;
	}
	return (int)off;
}
