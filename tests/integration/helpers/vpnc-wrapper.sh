#!/bin/sh
# SPDX-License-Identifier: MIT
# vpnc-script wrapper for the integration tests: openconnect runs it as
# `/bin/sh -c WRAPPER` for every script event. On "connect" it writes the
# environment (INTERNAL_IP4_ADDRESS, CISCO_SPLIT_INC_*, CISCO_BANNER,
# CISCO_CSTP_OPTIONS ...) to the file named by PST_ENV_DUMP; every event is
# appended to PST_ENV_DUMP.log. Then it hands over to the stock Debian vpnc-script,
# which configures vpn0 and the routes.
if [ -n "${PST_ENV_DUMP:-}" ]; then
	echo "reason=${reason:-}" >>"$PST_ENV_DUMP.log"
	if [ "${reason:-}" = connect ]; then
		# The whole environment, unsorted: CISCO_CSTP_OPTIONS and
		# CISCO_BANNER may span several lines.
		env >"$PST_ENV_DUMP.tmp"
		mv "$PST_ENV_DUMP.tmp" "$PST_ENV_DUMP"
	fi
fi
exec /usr/share/vpnc-scripts/vpnc-script "$@"
