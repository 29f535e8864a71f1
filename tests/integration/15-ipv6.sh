#!/bin/bash
# SPDX-License-Identifier: MIT
# IPv6 inside the tunnel: with an ipv6-pool, each device also gets an IPv6
# address and the IPv6 split include, reaches the internal host over IPv6,
# and a packet forged with another device's IPv6 address is dropped. After
# a SIGKILL of the network process, devB's session comes back with both its
# addresses and its own client reconnects to them. The outer connection
# stays IPv4, as in the other tests.
#
#   devA, devB --br0-- gw [pst0 198.18.100.1, fd00:5057::1/64] --int0-- int
#                                                  fd00:2::1/64 -- fd00:2::2/64
set -u
. "$(dirname "$0")/lib.sh"
pst_init

INT6=fd00:2::2
POOL6=fd00:5057::/64

pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
ip -n "$(pst_ns gw)" addr add fd00:2::1/64 dev int0 nodad &&
	ip -n "$(pst_ns int)" addr add "$INT6/64" dev eth0 nodad &&
	ip -n "$(pst_ns int)" -6 route add "$POOL6" via fd00:2::1 &&
	ip netns exec "$(pst_ns gw)" sysctl -qw net.ipv6.conf.all.forwarding=1 ||
	pst_bail "IPv6 topology" "could not add the IPv6 addresses"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA && pst_issue "$PST_TMP/pki" devB ||
	pst_bail "PKI" "postern-ca failed"
pst_gw_conf pool6="$POOL6" routes="$PST_INT_NET fd00:2::/64"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

pst_connect devA devA || pst_bail "devA connects" "no tunnel within 20 s"
pst_connect devB devB || pst_bail "devB connects" "no tunnel within 20 s"

# vpn6 DEV: the global IPv6 address of DEV's vpn0.
vpn6() {
	ip -n "$(pst_ns "$1")" -6 -o addr show dev vpn0 scope global 2>/dev/null |
		awk '{ split($4, a, "/"); print a[1]; exit }'
}
a6=$(vpn6 devA) b6=$(vpn6 devB)
case "$a6 $b6" in
"fd00:5057::"*" fd00:5057::"*) ok "both devices have an IPv6 lease from the pool ($a6, $b6)" ;;
*) not_ok "both devices have an IPv6 lease from the pool" "devA '$a6', devB '$b6'" ;;
esac
check "IPv6 leases are distinct" [ "$a6" != "$b6" ]
check "script env has the IPv6 split include fd00:2::/64" \
	grep -qx 'CISCO_IPV6_SPLIT_INC_0_ADDR=fd00:2::' "$PST_TMP/devA.env"
check "devA pings the internal host over IPv6 through the tunnel" \
	bash -c "ip netns exec $(pst_ns devA) ping -6 -n -q -c 3 -i 0.2 -W 3 $INT6 >/dev/null"
check "devA still pings the internal host over IPv4" pst_ping devA "$PST_INT_IP"

udp_out=$PST_TMP/udp-5306.out
pst_udp_listen "$INT6" 5306 || pst_bail "UDP listener starts" "$(cat "$udp_out.err")"
udp_send() { pst_udp_send "$1" "$2" "$INT6" 5306 "$3"; }
received() { pst_udp_received 5306 "$1"; }

check "devA can add devB's IPv6 address to its vpn0" \
	ip -n "$(pst_ns devA)" addr add "$b6/128" dev vpn0 nodad
udp_send devA "$b6" spoofed6-by-devA
udp_send devA "$a6" control6-from-devA
check "a datagram from devA's own IPv6 address arrives" wait_for 10 received control6-from-devA
if received spoofed6-by-devA; then
	not_ok "the datagram forged with devB's IPv6 address is dropped" "listener got: $(cat "$udp_out")"
else
	ok "the datagram forged with devB's IPv6 address is dropped"
fi
check "gateway log: spoofed drop of $b6 on devA's session" \
	pst_log_wait 5 "dropped packet with spoofed source $(re "$b6") device=devA"
check "IPv6 link-local housekeeping is not reported as spoofing" \
	bash -c "! grep -q 'spoofed source fe80:' '$PST_GW_LOG'"

# ---- both leases outlive a crash of the network process (restore.c):
# devB's client reconnects by itself with its cookie and finds its IPv4 and
# IPv6 addresses as they were.
b4=$(pst_vpn_addr devB)
net=$(pst_gw_net_pid)
kill -KILL "$net"
check "devB: its session is resumed with both addresses" \
	wait_for 10 pst_log_has "session resumed device=devB addr=$(re "$b4") "
check "devB's own client reconnects with its cookie" \
	wait_for 30 pst_log_more "tunnel up device=devB peer=[^ ]+ addr=$(re "$b4") \(reconnect\)" 0
check "devB keeps its IPv6 address ($b6)" wait_for 10 bash -c "[ \"\$(ip -n $(pst_ns devB) -6 -o addr show dev vpn0 scope global 2>/dev/null | awk '{ split(\$4, a, \"/\"); print a[1]; exit }')\" = '$b6' ]"
check "devB pings the internal host over IPv6 again" \
	wait_for 10 bash -c "ip netns exec $(pst_ns devB) ping -6 -n -q -c 3 -i 0.2 -W 3 $INT6 >/dev/null"

pst_disconnect devA
pst_disconnect devB
pst_finish
