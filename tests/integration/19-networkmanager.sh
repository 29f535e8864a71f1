#!/bin/bash
# SPDX-License-Identifier: MIT
# A desktop connects through NetworkManager and its openconnect plugin, as
# field staff on Linux laptops do: the real NetworkManager and
# network-manager-openconnect, no stand-in.
#
#   old  198.18.0.12 --\   (a plain openconnect session of the same device, devA)
#                       br0 -- gw 198.18.0.1:443 [pst0 198.18.100.1] -- int 198.18.2.2
#   devA 198.18.0.11 --/   NetworkManager + nm-openconnect-service -> vpn0
#
# How NetworkManager runs here (no systemd, nothing of the host touched):
# - a dbus-daemon of our own with a config file of our own (the stock
#   system-bus policy and the packages' system.d policies, so NetworkManager
#   and the VPN plugin are allowed exactly what they are on a desktop),
#   listening on an abstract socket; abstract sockets belong to a network
#   namespace, so the bus is only reachable from devA's namespace, and every
#   process there finds it through DBUS_SYSTEM_BUS_ADDRESS;
# - NetworkManager --debug (foreground, log on stderr) inside devA's network
#   namespace and in a mount namespace of its own (unshare -m), where a tmpfs
#   covers /run (its hard-coded /run/NetworkManager), temporary directories
#   cover /var/lib/NetworkManager and /etc/NetworkManager, and /sys is made
#   read-only: with /sys writable NetworkManager waits for udev to announce
#   every link, and no udev runs in a test namespace (containers get the same
#   behaviour from their read-only /sys);
# - its config: keyfile plugin in a temporary directory, no-auto-default=*,
#   dns=none, rc-manager=unmanaged, hostname-mode=none (the UTS namespace is
#   the host's), auth-polkit=false (root, no polkit), connectivity off.
# NetworkManager assumes devA's eth0 as an external connection and leaves it
# as it is; a VPN needs such a base connection (`ifname eth0`: the device has
# no default route, so there is no primary connection to pick).
#
# The flow is the one a desktop goes through. The connection is added as
# the plugin's editor saves it: gateway, CA, device certificate and key, and
# the secrets (cookie, gateway, gwcert) marked not-saved. The auth dialog's
# work (nm-openconnect-auth-dialog is a GTK program) is done headless,
# exactly as it does it: `openconnect --authenticate` with the certificate
# and CA of the connection's data, whose COOKIE, CONNECT_URL and FINGERPRINT
# become the secrets cookie, gateway and gwcert; nmcli hands them to
# NetworkManager as its secret agent (passwd-file). NetworkManager then
# starts nm-openconnect-service, which runs `openconnect --cookie-on-stdin
# --servercert FINGERPRINT` with no certificate, as user nm-openconnect; its
# helper script hands the tunnel's configuration back over the private bus.
#
# Checks: the --authenticate step alone leaves a live session of the same
# device alone; NetworkManager reports the VPN activated; vpn0 has the leased
# pool address and the pushed route; traffic passes, checksummed both ways;
# the gateway logs the tunnel for devA; `nmcli connection down` ends the
# session on the gateway.
#
# Environment: PST_NM_LOG=DEBUG (or TRACE) raises NetworkManager's log level;
# with PST_KEEP=1 its log stays in the kept directory, nm/NetworkManager.log.
set -u
. "$(dirname "$0")/lib.sh"
pst_init

for t in NetworkManager nmcli dbus-daemon unshare openssl; do
	command -v "$t" >/dev/null || pst_skip "$t is not installed (run make deps)"
done
NM_PLUGIN=/usr/lib/NetworkManager/VPN/nm-openconnect-service.name
[ -f "$NM_PLUGIN" ] || pst_skip "network-manager-openconnect is not installed (run make deps)"
NM_SERVICE=$(sed -n 's/^program=//p' "$NM_PLUGIN")
[ -x "$NM_SERVICE" ] || pst_skip "the openconnect VPN plugin's program '$NM_SERVICE' is missing"
for d in /var/lib/NetworkManager /etc/NetworkManager; do
	[ -d "$d" ] || pst_skip "$d is missing (network-manager is not installed right)"
done

pst_topology devA old || pst_bail "topology" "could not build the namespaces"
pst_in devA unshare -m --propagation private true 2>/dev/null ||
	pst_skip "unshare -m does not work here: NetworkManager cannot be given its own /run"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA || pst_bail "PKI" "postern-ca failed"
pst_gw_conf
pst_gw_start || pst_bail "gateway starts" "no 'listening on $PST_GW_IP:$PST_PORT' in the log"

NM_DIR=$PST_TMP/nm
NM_BUS=unix:abstract=$PST_ID-system-bus
NM_LOG=$NM_DIR/NetworkManager.log
NM_PID=

# nm_in CMD...: runs CMD in devA's namespace, on NetworkManager's bus.
nm_in() { pst_in devA env DBUS_SYSTEM_BUS_ADDRESS="$NM_BUS" "$@"; }
nmc() { nm_in timeout 60 nmcli "$@"; }

# nm_start: the private system bus, then NetworkManager (see the header).
nm_start() {
	mkdir -p "$NM_DIR"/{conf.d,system-conf.d,connections,var-lib,etc} || return 1
	cat >"$NM_DIR/bus.conf" <<-EOF
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<!-- Postern integration test run $PST_ID: the system bus of devA's namespace. -->
	<busconfig>
	  <type>system</type>
	  <auth>EXTERNAL</auth>
	  <listen>$NM_BUS</listen>
	  <policy context="default">
	    <allow user="*"/>
	    <deny own="*"/>
	    <deny send_type="method_call"/>
	    <allow send_type="signal"/>
	    <allow send_requested_reply="true" send_type="method_return"/>
	    <allow send_requested_reply="true" send_type="error"/>
	    <allow receive_type="method_call"/>
	    <allow receive_type="method_return"/>
	    <allow receive_type="error"/>
	    <allow receive_type="signal"/>
	    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
	    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
	    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
	  </policy>
	  <includedir>/usr/share/dbus-1/system.d</includedir>
	  <includedir>/etc/dbus-1/system.d</includedir>
	</busconfig>
	EOF
	cat >"$NM_DIR/NetworkManager.conf" <<-EOF
	# Postern integration test run $PST_ID
	[main]
	plugins=keyfile
	no-auto-default=*
	dns=none
	rc-manager=unmanaged
	hostname-mode=none
	auth-polkit=false
	[keyfile]
	path=$NM_DIR/connections
	[logging]
	level=${PST_NM_LOG:-INFO}
	[connectivity]
	enabled=false
	EOF
	ip netns exec "$(pst_ns devA)" dbus-daemon --config-file="$NM_DIR/bus.conf" --nofork \
		--nopidfile --print-address=3 3>"$NM_DIR/bus.address" </dev/null >"$NM_DIR/dbus.log" 2>&1 &
	pst_spawn $!
	# dbus-daemon prints its address once it listens.
	wait_for 10 test -s "$NM_DIR/bus.address" || return 1
	# $! is NetworkManager itself: ip, unshare and sh all exec.
	ip netns exec "$(pst_ns devA)" unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=0755 postern-nm-run /run &&
		mount -o remount,bind,ro /sys &&
		mount --bind "$1/var-lib" /var/lib/NetworkManager &&
		mount --bind "$1/etc" /etc/NetworkManager || exit 1
		exec env DBUS_SYSTEM_BUS_ADDRESS="$2" NetworkManager --debug \
			--config="$1/NetworkManager.conf" --config-dir="$1/conf.d" \
			--system-config-dir="$1/system-conf.d" --intern-config="$1/intern.conf" \
			--state-file="$1/NetworkManager.state" --pid-file=/run/NetworkManager.pid
	' sh "$NM_DIR" "$NM_BUS" </dev/null >"$NM_LOG" 2>&1 &
	NM_PID=$!
	pst_spawn "$NM_PID"
	PST_OC_LOG["nm"]=$NM_LOG
	wait_for 20 nm_ready
	pst_alive "$NM_PID" && nm_ready
}

# True when NetworkManager answers and holds eth0 as a connected device.
nm_ready() {
	pst_alive "$NM_PID" || return 0
	nmc -t -f DEVICE,STATE device 2>/dev/null | grep -q '^eth0:connected'
}

# nm_field CONNECTION FIELD: one field of `nmcli connection show` (the
# active connection's groups, GENERAL, IP4, VPN, are not selectable by -g).
nm_field() { nmc -t connection show "$1" 2>/dev/null | sed -n "s/^$(re "$2")://p" | head -n 1; }

# nm_oc_pid: the openconnect that NetworkManager's plugin runs in devA.
nm_oc_pid() {
	local pid
	for pid in $(ip netns pids "$(pst_ns devA)"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = openconnect ] && { echo "$pid"; return 0; }
	done
	return 1
}

# no_cert_in ARGV: the command line names no certificate and no key.
no_cert_in() { ! grep -qE -- ' (-c|--certificate|-k|--sslkey)( |=)' <<<" $1 "; }

unreachable() { ! pst_ping "$@"; }

# True when devA's vpn0 is gone or holds no IPv4 address and no route.
vpn0_unused() {
	[ -z "$(pst_vpn_addr devA)" ] && [ -z "$(ip -n "$(pst_ns devA)" -4 route show dev vpn0 2>/dev/null)" ]
}

# True when NetworkManager lists no active connection named Postern.
vpn_inactive() {
	local active
	active=$(nmc -t -f NAME connection show --active) || return 1
	! grep -qx Postern <<<"$active"
}

# ------------------------------------------------------------ NetworkManager

eth0_before=$(ip -n "$(pst_ns devA)" -4 -o addr show dev eth0 | awk '{ print $4 }')
if nm_start; then
	ok "NetworkManager runs in devA's namespace on a private system bus"
else
	pst_bail "NetworkManager runs in devA's namespace on a private system bus" \
		"$(tail -n 20 "$NM_DIR/dbus.log" "$NM_LOG" 2>/dev/null)"
fi
check "NetworkManager assumed eth0 as an external connection" \
	[ "$(nmc -g GENERAL.STATE device show eth0)" = "100 (connected (externally))" ]

# The connection as the plugin's editor saves it: the gateway, the CA, the
# device certificate and key, and the three secrets marked not-saved (flags
# 2), so that NetworkManager asks for a fresh cookie at every activation.
# (`nmcli connection import type openconnect` would be the closer match, but
# the plugin's importer leaves ipv4.method unset, which NetworkManager 1.42
# refuses: "ipv4.method: property is missing".)
vpn_items="gateway=https://$PST_GW_IP/,protocol=anyconnect,authtype=cert"
vpn_items+=",cacert=$PST_TMP/pki/ca.crt,usercert=$(pst_cert devA),userkey=$(pst_key devA)"
vpn_items+=",cookie-flags=2,gateway-flags=2,gwcert-flags=2"
if out=$(nmc connection add type vpn con-name Postern vpn-type openconnect \
	vpn.data "$vpn_items" 2>&1); then
	ok "nmcli adds the openconnect VPN connection with the device certificate"
else
	pst_bail "nmcli adds the openconnect VPN connection with the device certificate" "$out"
fi
data=$(nm_field Postern vpn.data)
check "the connection is an openconnect VPN" \
	[ "$(nm_field Postern vpn.service-type)" = org.freedesktop.NetworkManager.openconnect ]
check "the connection names the device certificate and key" \
	grep -qF "usercert = $(pst_cert devA), userkey = $(pst_key devA)" <<<"$data"

# vpn_data KEY: one item of the connection's vpn.data (nmcli -g escapes ':').
vpn_data() { tr ',' '\n' <<<"$data" | sed -n "s/^ *$1 = //p" | sed 's/\\:/:/g'; }

# ------------------------------------------------------------ a live session of the same device

pst_connect old devA || pst_bail "a plain openconnect session of devA is up" \
	"no tunnel in 'old' within 20 s: $(tail -n 3 "${PST_OC_LOG[old]}")"
ok "a plain openconnect session of devA is up"
old_addr=$(pst_vpn_addr old)
check "the live session pings the internal host" pst_ping old "$PST_INT_IP"
ends=$(pst_log_count "session end device=devA ")
ups=$(pst_log_count "tunnel up device=devA ")

# ------------------------------------------------------------ the auth dialog's step

# What nm-openconnect-auth-dialog does: authenticate with the connection's
# certificate and CA, keep the cookie, the URL and the server's pin.
auth=$(pst_in devA timeout 30 openconnect --authenticate --non-inter --no-passwd \
	-c "$(vpn_data usercert)" -k "$(vpn_data userkey)" --cafile "$(vpn_data cacert)" \
	"$(vpn_data gateway)" 2>"$PST_TMP/authenticate.err")
auth_var() { sed -n "s/^$1='\(.*\)'\$/\1/p" <<<"$auth"; }
cookie=$(auth_var COOKIE) gateway=$(auth_var CONNECT_URL) gwcert=$(auth_var FINGERPRINT)
if [ -n "$cookie" ] && [ -n "$gateway" ] && [ -n "$gwcert" ]; then
	ok "openconnect --authenticate with the device certificate gives COOKIE, CONNECT_URL, FINGERPRINT"
else
	pst_bail "openconnect --authenticate with the device certificate gives COOKIE, CONNECT_URL, FINGERPRINT" \
		"$auth $(cat "$PST_TMP/authenticate.err")"
fi
pin=pin-sha256:$(openssl x509 -in "$PST_TMP/pki/server.crt" -pubkey -noout |
	openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64)
check "FINGERPRINT is the gateway certificate's key pin" [ "$gwcert" = "$pin" ]
check "gateway log: auth ok device=devA from the desktop" \
	pst_log_has "auth ok device=devA peer=$(re "$(pst_device_ip devA)"):[0-9]+"

# --authenticate alone must not end the live session of the same device.
check "after --authenticate: the live session still pings" pst_ping old "$PST_INT_IP"
check "after --authenticate: the live session's client still runs" pst_alive "${PST_OC_PID[old]}"
check "after --authenticate: no session end for devA in the gateway log" \
	[ "$(pst_log_count "session end device=devA ")" -eq "$ends" ]
check "after --authenticate: nothing superseded in the gateway log" \
	[ "$(pst_log_count superseded)" -eq 0 ]
check "after --authenticate: the live session kept its tunnel (no new tunnel up)" \
	[ "$(pst_log_count "tunnel up device=devA ")" -eq "$ups" ]
check "after --authenticate: the live session keeps $old_addr" [ "$(pst_vpn_addr old)" = "$old_addr" ]
# The desktop takes over: the old session leaves first, so that its client
# neither competes with NetworkManager's nor reconnects into it.
check "the live session disconnects cleanly" pst_end old devA

# ------------------------------------------------------------ activation through NetworkManager

# nmcli is NetworkManager's secret agent for this activation; the
# passwd-file carries the three secrets the plugin's service asks for.
secrets=$NM_DIR/secrets
(
	umask 077
	printf 'vpn.secrets.cookie:%s\nvpn.secrets.gateway:%s\nvpn.secrets.gwcert:%s\n' \
		"$cookie" "$gateway" "$gwcert" >"$secrets"
)
start=$(date +%s%N)
if out=$(nmc --wait 30 connection up Postern ifname eth0 passwd-file "$secrets" 2>&1); then
	ok "nmcli connection up: NetworkManager activates the VPN"
	echo "# activation through NetworkManager took $((($(date +%s%N) - start) / 1000000)) ms"
else
	pst_bail "nmcli connection up: NetworkManager activates the VPN" \
		"$out / gateway: $(grep -E 'refused|session end' "$PST_GW_LOG" | tail -n 2)"
fi
check "NetworkManager: GENERAL.STATE activated" [ "$(nm_field Postern GENERAL.STATE)" = activated ]
check "NetworkManager: VPN.VPN-STATE 5 - VPN connected" \
	[ "$(nm_field Postern VPN.VPN-STATE)" = "5 - VPN connected" ]

oc=$(nm_oc_pid)
if [ -n "$oc" ]; then
	cmd=$(tr '\0' ' ' <"/proc/$oc/cmdline")
	echo "# NetworkManager's openconnect: $cmd"
	check "the plugin runs openconnect --cookie-on-stdin --servercert $gwcert" \
		grep -qE -- "--servercert $(re "$gwcert") .*--cookie-on-stdin" <<<"$cmd"
	check "the plugin's openconnect has no certificate" no_cert_in "$cmd"
	check "the plugin's openconnect runs as nm-openconnect" \
		grep -Eq "^Uid:[[:space:]]+$(id -u nm-openconnect)[[:space:]]" "/proc/$oc/status"
else
	not_ok "NetworkManager's plugin runs openconnect in devA" "no openconnect process in devA"
fi

addr=$(pst_vpn_addr devA)
case $addr in
198.18.100.[0-9]*) ok "vpn0 has the leased address $addr from the pool" ;;
*) not_ok "vpn0 has a leased address from the pool" "vpn0 has '$addr'" ;;
esac
nm_addr=$(nm_field Postern 'IP4.ADDRESS[1]')
check "NetworkManager reports the same address for the VPN ($nm_addr)" [ "${nm_addr%/*}" = "$addr" ]
check "NetworkManager routes $PST_INT_NET through vpn0" \
	wait_for 5 pst_tunnel_ready devA
re_addr=$(re "$addr")
check "gateway log: a cookie-only CONNECT of devA from the desktop" \
	pst_log_has "cookie-only CONNECT device=devA peer=$(re "$(pst_device_ip devA)"):[0-9]+ "
check "gateway log: tunnel up device=devA addr=$addr from the desktop (new)" \
	pst_log_has "tunnel up device=devA peer=$(re "$(pst_device_ip devA)"):[0-9]+ addr=$re_addr .*\(new\)"
check "eth0 is as NetworkManager found it ($eth0_before)" \
	[ "$(ip -n "$(pst_ns devA)" -4 -o addr show dev eth0 | awk '{ print $4 }')" = "$eth0_before" ]

check "ping internal host through NetworkManager's tunnel" pst_ping devA "$PST_INT_IP"

# 10 MiB each way; both ends print the sha256 of what they sent or received.
src=$PST_TMP/payload.bin
pst_make_file "$src" 10
want=$(pst_sha256 "$src")
if pst_serve up 5001 recv; then
	pst_in devA timeout 60 python3 "$PST_HELPERS/xfer.py" send "$PST_INT_IP" 5001 "$src" \
		>"$PST_TMP/up-client.out" 2>&1
	rc=$?
	wait_for 10 pst_gone "$PST_SERVE_PID"
	got=$(pst_out_sha256 up)
	check "10 MiB desktop -> internal host, sha256 equal" [ "$rc:$got" = "0:$want" ]
	check "internal host saw the leased address as the source" grep -q "^peer $re_addr:" "$PST_TMP/up.out"
else
	not_ok "10 MiB desktop -> internal host, sha256 equal" "receiver did not listen"
fi
if pst_serve down 5002 send "$src"; then
	pst_in devA timeout 60 python3 "$PST_HELPERS/xfer.py" recv "$PST_INT_IP" 5002 \
		>"$PST_TMP/down-client.out" 2>&1
	rc=$?
	got=$(awk '$1 == "sha256" { print $2 }' "$PST_TMP/down-client.out")
	check "10 MiB internal host -> desktop, sha256 equal" [ "$rc:$got" = "0:$want" ]
else
	not_ok "10 MiB internal host -> desktop, sha256 equal" "sender did not listen"
fi

# ------------------------------------------------------------ deactivation

if out=$(nmc --wait 20 connection down Postern 2>&1); then
	ok "nmcli connection down: NetworkManager deactivates the VPN"
else
	not_ok "nmcli connection down: NetworkManager deactivates the VPN" "$out"
fi
check "gateway log: the session of devA ends and $addr returns to the pool" \
	pst_log_wait 10 "session end device=devA addr=$re_addr .*address returned to pool"
grep -E "session end device=devA addr=$re_addr " "$PST_GW_LOG" | sed 's/^/# /'
[ -n "$oc" ] && check "NetworkManager's openconnect has exited" wait_for 10 pst_gone "$oc"
# The plugin's persistent vpn0 may stay behind, down (its service quits
# before it reaps openconnect); what counts is that nothing routes into it.
check "vpn0 has no address and no route left" wait_for 10 vpn0_unused
check "the internal host is unreachable again" unreachable devA "$PST_INT_IP"
check "NetworkManager no longer lists the VPN as active" vpn_inactive
check "NetworkManager is still running" pst_alive "$NM_PID"
check "gateway still running" pst_alive "$PST_GW_PID"
pst_finish
