/* SPDX-License-Identifier: MIT */
/*
 * What a device of each platform can be running. A client may announce a
 * version it did not read from the device (openconnect sends a fixed "1.0"
 * for --os=android and --os=apple-ios), and the engine must not tell the
 * owner to update from a version the device never ran: pst_version_possible
 * says which versions a device talking to us through a VPN client can have.
 * This is knowledge about devices, not about the policy file, so it lives
 * with the engine (posture/policy.c) that uses it; versions themselves are
 * parsed and compared by common/version.h.
 */
#include "posture/posture.h"

#include <string.h>

#include "common/macros.h"
#include "common/version.h"

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
	struct cm_version floor;
} version_floors[] = {
	{ "android", { { 4, 0 }, 2 } },
	{ "ios", { { 4, 0 }, 2 } },
	{ "macos", { { 10, 0 }, 2 } },
};

bool pst_version_possible(const char *os_name, const char *text)
{
	struct cm_version v;
	size_t i;

	if (!os_name || cm_version_parse(text, &v))
		return false;
	for (i = 0; i < CM_ARRAY_SIZE(version_floors); i++) {
		if (!strcmp(version_floors[i].os_name, os_name))
			return cm_version_cmp(&v, &version_floors[i].floor) >= 0;
	}
	return true;
}
