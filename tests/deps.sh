#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages Postern needs to build, test and run its demo,
# but only those that are missing, so that `make check` works on a fresh
# Debian 12 machine and costs nothing on a prepared one.
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev
libssl-dev libnl-3-dev libnl-route-3-dev libmnl-dev libconfuse-dev libsqlite3-dev libseccomp-dev
openssl openconnect vpnc-scripts iproute2 iputils-ping netcat-openbsd python3 procps curl
strace gdb logrotate mandoc nftables chromium
network-manager network-manager-openconnect dbus-daemon haproxy prometheus"
# prometheus is there for promtool (the metrics and alert rules are checked
# with it); Debian ships the tool only with the server, which it enables.
# Extra packages a caller needs on top (make bench: ocserv, the peer it is
# measured against).
PACKAGES="$PACKAGES $*"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
