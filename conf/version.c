/* SPDX-License-Identifier: MIT */
/*
 * Version numbers and dates as the policy and the posture engine compare
 * them. A version is dot-separated decimal components compared one by one
 * as numbers, so "17.10" comes after "17.9" (a string comparison gets that
 * wrong) and "17" equals "17.0". A distribution's suffix ("6.1.0-13-amd64")
 * is ignored. (Dates, the other thing a policy compares, are common/time.h's.)
 *
 * Some versions cannot be a device's at all: a client may announce a
 * number it did not read from the system (openconnect sends a fixed "1.0"
 * for --os=android and --os=apple-ios), and the engine must not tell the
 * owner to update from a version the device never ran. The rule for what a
 * device can be running is in conf_version_possible.
 */
#include "conf/policy.h"

#include <errno.h>
#include <string.h>

#include "common/macros.h"

#define VERSION_PART_DIGITS 9	/* fits uint32_t */

static bool version_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads one component at s; returns the number of digits, 0 when invalid. */
static size_t version_part(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; version_digit(s[i]); i++) {
		if (i == VERSION_PART_DIGITS)
			return 0;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	*out = v;
	return i;
}

/* What may follow the last component: nothing, or a suffix we ignore. */
static bool version_suffix_ok(char c)
{
	return c == '\0' || c == '-' || c == '+' || c == '~' || c == ' ';
}

int conf_version_parse(const char *text, struct conf_version *out)
{
	struct conf_version v = { .n = 0 };
	const char *s = text;
	size_t k;

	if (!s || !out)
		return -EINVAL;
	for (;;) {
		if (v.n == CONF_VERSION_PARTS)
			return -EINVAL;
		k = version_part(s, &v.part[v.n]);
		if (k == 0)
			return -EINVAL;
		v.n++;
		s += k;
		if (*s != '.')
			break;
		s++;
	}
	if (!version_suffix_ok(*s))
		return -EINVAL;
	*out = v;
	return 0;
}

int conf_version_cmp(const struct conf_version *a, const struct conf_version *b)
{
	unsigned int i, n = a->n > b->n ? a->n : b->n;
	uint32_t x, y;

	for (i = 0; i < n && i < CONF_VERSION_PARTS; i++) {
		x = i < a->n ? a->part[i] : 0;
		y = i < b->n ? b->part[i] : 0;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/*
 * The first release of each platform on which an app could provide a VPN
 * tunnel at all: a device that is talking to us through a VPN client runs
 * this or later, so a lower number is not its version, whatever announced
 * it. Android 4.0 (API level 14, 2011) brought VpnService, before which no
 * app could make a tunnel without root; iOS 4 (2010) was the first to let
 * an App Store app (Cisco AnyConnect, Junos Pulse) provide an SSL VPN; macOS
 * was never numbered below Mac OS X 10.0. Linux (a distribution's own
 * numbering) and Windows have no floor: a low number there can be real.
 */
static const struct {
	const char *os_name;
	struct conf_version floor;
} version_floors[] = {
	{ "android", { { 4, 0 }, 2 } },
	{ "ios", { { 4, 0 }, 2 } },
	{ "macos", { { 10, 0 }, 2 } },
};

bool conf_version_possible(const char *os_name, const char *text)
{
	struct conf_version v;
	size_t i;

	if (!os_name || conf_version_parse(text, &v))
		return false;
	for (i = 0; i < CM_ARRAY_SIZE(version_floors); i++) {
		if (!strcmp(version_floors[i].os_name, os_name))
			return conf_version_cmp(&v, &version_floors[i].floor) >= 0;
	}
	return true;
}
