/* SPDX-License-Identifier: MIT */
/*
 * Address prefixes ("198.18.0.0/24", "fd00:5057::/64"): a strict parser, a
 * formatter and a membership test. The parser accepts one spelling only:
 * inet_pton for the address (it already refuses leading zeros, octal, hex and
 * short forms), a plain decimal prefix length within the family's range, no
 * surrounding junk, and no host bits. A typo must never silently widen or move
 * an address pool or a route, so anything else is refused with a reason.
 */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/number.h"

/* The longest IPv6 literal inet_pton accepts, plus "/128". */
#define CONF_CIDR_TEXT_MAX (INET6_ADDRSTRLEN + 4)

static unsigned int conf_cidr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static size_t conf_cidr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Writes the reason for a refusal when the caller asked for one. */
__attribute__((format(printf, 3, 4)))
static int conf_cidr_why(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A prefix length is a number (common/number.h) from 0 to 32 or 128. */
static int conf_cidr_parse_prefix(const char *s, unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (cm_number_parse(s, 0, max, &v))
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* The address decides the family: only IPv6 literals contain a colon. */
static int conf_cidr_parse_addr(const char *s, struct conf_cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(c->family, s, c->addr.bytes) == 1 ? 0 : -EINVAL;
}

/* Byte i of the netmask of a prefix of length prefix. */
static uint8_t conf_cidr_mask_byte(unsigned int prefix, size_t i)
{
	if (prefix >= 8 * (i + 1))
		return 0xff;
	if (prefix <= 8 * i)
		return 0;
	return (uint8_t)(0xff << (8 - (prefix - 8 * i)));
}

/* Clears the host bits; returns true when any was set. */
static bool conf_cidr_clear_host(struct conf_cidr *c)
{
	bool had = false;
	size_t i;

	for (i = 0; i < conf_cidr_len(c->family); i++) {
		uint8_t m = conf_cidr_mask_byte(c->prefix, i);

		had |= (c->addr.bytes[i] & (uint8_t)~m) != 0;
		c->addr.bytes[i] &= m;
	}
	return had;
}

int conf_cidr_parse_why(const char *text, struct conf_cidr *out, char *err, size_t errlen)
{
	char buf[CONF_CIDR_TEXT_MAX + 1], net[CONF_CIDR_TEXT_MAX];
	struct conf_cidr c;
	char *slash;

	if (!text || strlen(text) > CONF_CIDR_TEXT_MAX)
		return conf_cidr_why(err, errlen, "not an address prefix");
	memcpy(buf, text, strlen(text) + 1);
	slash = strchr(buf, '/');
	if (!slash)
		return conf_cidr_why(err, errlen, "no prefix length (write ADDRESS/LENGTH)");
	*slash = '\0';
	if (conf_cidr_parse_addr(buf, &c))
		return conf_cidr_why(err, errlen, "'%s' is not an IPv4 or IPv6 address", buf);
	if (conf_cidr_parse_prefix(slash + 1, conf_cidr_bits(c.family), &c.prefix))
		return conf_cidr_why(err, errlen, "prefix length must be a number 0..%u",
				     conf_cidr_bits(c.family));
	if (conf_cidr_clear_host(&c)) {
		conf_cidr_format(&c, net, sizeof(net));
		return conf_cidr_why(err, errlen, "host bits set, did you mean %s?", net);
	}
	*out = c;
	return 0;
}

int conf_cidr_parse(const char *text, struct conf_cidr *out)
{
	return conf_cidr_parse_why(text, out, NULL, 0);
}

int conf_cidr_format(const struct conf_cidr *c, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int n;

	if (c->family != AF_INET && c->family != AF_INET6)
		return -EINVAL;
	if (!inet_ntop(c->family, c->addr.bytes, addr, sizeof(addr)))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%u", addr, c->prefix);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

bool conf_cidr_eq(const struct conf_cidr *a, const struct conf_cidr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       !memcmp(a->addr.bytes, b->addr.bytes, a->family == AF_INET ? 4 : 16);
}

bool conf_cidr_contains(const struct conf_cidr *c, int family, const void *addr)
{
	const uint8_t *a = addr;
	size_t i;

	if (!c || !addr || c->family != family)
		return false;
	if ((family != AF_INET && family != AF_INET6) || c->prefix > conf_cidr_bits(family))
		return false;
	for (i = 0; i < conf_cidr_len(family); i++) {
		uint8_t m = conf_cidr_mask_byte(c->prefix, i);

		if ((a[i] & m) != (c->addr.bytes[i] & m))
			return false;
	}
	return true;
}
