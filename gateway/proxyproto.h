/* SPDX-License-Identifier: MIT */
/*
 * The PROXY protocol header (HAProxy's "The PROXY protocol", versions 1 and
 * 2) that an L4 load balancer puts in front of a connection to tell the
 * gateway whom it relays. When the listener expects it, every connection
 * must start with one: the protocol forbids guessing, or anybody could claim
 * any address, so a plain TLS ClientHello is refused at its first byte.
 * The parser is stateless (it re-reads the buffer from the start on every
 * call, as gw_http_parse does) and never reads past the bytes it is given.
 */
#ifndef POSTERN_GW_PROXYPROTO_H
#define POSTERN_GW_PROXYPROTO_H

#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_cidr;

/* A v1 line, CRLF included, is never longer (the spec's worst case). */
#define GW_PROXY_V1_MAX		107
/*
 * The longest header of either version we take. The spec designs both to
 * fit the smallest TCP segment every host must accept (576 - 40 = 536
 * bytes), so that a sender can emit the header in one segment; that leaves
 * a v2 header 484 bytes of TLVs after IPv6 addresses (room for an authority,
 * a 128-byte unique ID, ALPN and a CRC32C at once) and still 304 after the
 * largest address block (AF_UNIX, 216). A bigger one is refused rather than
 * buffered: the 64 KiB the length field allows is for nobody we trust.
 */
#define GW_PROXY_MAX_HEADER	536

/* What a PROXY header says. */
struct gw_proxy_hdr {
	bool local;		/* v2 LOCAL or v1 UNKNOWN: keep the connection's own
				   addresses (a balancer's health check) */
	struct sockaddr_storage src;	/* the client, AF_INET or AF_INET6 */
	struct sockaddr_storage dst;	/* the address it connected to */
	size_t len;		/* bytes the header took: the TLS stream starts after them */
};

/*
 * Parses the header at the start of buf[0..len).
 * Returns 1 with *h filled in when it is complete, 0 when the bytes so far
 * are a correct beginning and more are needed (never when len has reached
 * GW_PROXY_MAX_HEADER), or a negative errno with a short reason in err:
 *   -EPROTO    not a PROXY header at all (another protocol, v2 version not 2)
 *   -EBADMSG   a PROXY header, but malformed
 *   -ENOTSUP   a v2 PROXY command for what a TCP listener cannot carry
 *              (UDP, AF_UNIX, AF_UNSPEC)
 *   -EMSGSIZE  longer than GW_PROXY_V1_MAX (v1) or GW_PROXY_MAX_HEADER (v2)
 * An error is given as soon as a prefix shows it, and more bytes never turn
 * it into another result. *h means something only when 1 is returned; err
 * may be NULL.
 */
int gw_proxy_parse(const uint8_t *buf, size_t len, struct gw_proxy_hdr *h, char *err,
		   size_t errlen);

/*
 * True when peer (the TCP peer, the balancer itself) lies in one of the n
 * nets. An IPv4-mapped IPv6 peer (::ffff:a.b.c.d, from a dual-stack
 * listener) matches IPv4 nets as its IPv4 address, and IPv6 nets as itself.
 */
bool gw_proxy_trusted(const struct sockaddr_storage *peer, const struct conf_cidr *nets,
		      size_t n);

#endif
