#!/bin/bash
# SPDX-License-Identifier: MIT
# Two devices at once: distinct leases, both reach the internal host but
# not each other (nor the gateway's tunnel address), and one cannot send
# with the other's address (anti-spoofing): devA adds devB's
# leased address to its own vpn0 and sends UDP from it; the internal host
# must never see that datagram, while devA's and devB's genuine ones arrive.
#
#   devA 198.18.0.11 vpn0 A (+ B/32 forged) --\
#                                              br0 -- gw 198.18.0.1:443 [pst0] -- int 198.18.2.2
#   devB 198.18.0.12 vpn0 B -------------------/                                   udp :5300 listener
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA && pst_issue "$PST_TMP/pki" devB ||
	pst_bail "PKI" "postern-ca failed"
pst_gw_conf
pst_gw_start || pst_bail "gateway starts" "no 'listening on $PST_GW_IP:$PST_PORT' in the log"

# Both clients start before either waits, so the two connections overlap.
pst_oc_start devA devA
pst_oc_start devB devB
wait_for 20 pst_tunnel_settled devA
wait_for 20 pst_tunnel_settled devB
pst_tunnel_ready devA || pst_bail "devA connects" "no tunnel on devA"
pst_tunnel_ready devB || pst_bail "devB connects" "no tunnel on devB"
ok "devA and devB connect at the same time"

a=$(pst_vpn_addr devA) b=$(pst_vpn_addr devB)
case "$a $b" in
"198.18.100."[0-9]*" 198.18.100."[0-9]*) ok "both leases are from the pool ($a, $b)" ;;
*) not_ok "both leases are from the pool" "devA '$a', devB '$b'" ;;
esac
check "leases are distinct" [ "$a" != "$b" ]
check "gateway log: tunnel up for devA at $a" \
	pst_log_has "tunnel up device=devA peer=[^ ]+ addr=$(re "$a") "
check "gateway log: tunnel up for devB at $b" \
	pst_log_has "tunnel up device=devB peer=[^ ]+ addr=$(re "$b") "
check "devA pings the internal host" pst_ping devA "$PST_INT_IP"
check "devB pings the internal host" pst_ping devB "$PST_INT_IP"

# Devices do not reach each other through the gateway (no lateral movement
# between field devices), nor the gateway's own tunnel address.
if pst_ping devA "$b"; then
	not_ok "devA cannot reach devB's tunnel address $b"
else
	ok "devA cannot reach devB's tunnel address $b"
fi
if pst_ping devB 198.18.100.1; then
	not_ok "devB cannot reach the gateway's tunnel address"
else
	ok "devB cannot reach the gateway's tunnel address"
fi
check "gateway log: devA's packet to $b dropped as inside the VPN pool" \
	pst_log_wait 5 "dropped packet to $(re "$b"), inside the VPN pool, device=devA"

# UDP listener on the internal host: one line "SOURCE PAYLOAD" per datagram.
udp_out=$PST_TMP/udp-5300.out
pst_udp_listen "$PST_INT_IP" 5300 || pst_bail "UDP listener starts" "$(cat "$udp_out.err")"
udp_send() { pst_udp_send "$1" "$2" "$PST_INT_IP" 5300 "$3"; }
received() { pst_udp_received 5300 "$1"; }

check "devA can add devB's address to its vpn0" \
	ip -n "$(pst_ns devA)" addr add "$b/32" dev vpn0
udp_send devA "$b" spoofed-by-devA
# Datagrams through one tunnel arrive in order, so once the control that
# follows the forged one has arrived, the forged one had its chance.
udp_send devA "$a" control-from-devA
if wait_for 10 received control-from-devA; then
	ok "a datagram from devA's own address arrives"
else
	not_ok "a datagram from devA's own address arrives" "listener got: $(cat "$udp_out")"
fi
if received spoofed-by-devA; then
	not_ok "the datagram forged with devB's address is dropped" "listener got: $(cat "$udp_out")"
else
	ok "the datagram forged with devB's address is dropped"
fi
udp_send devB "$b" genuine-from-devB
check "a datagram from devB itself (same source address) arrives" wait_for 10 received genuine-from-devB
check "sources seen by the internal host are the senders' own leases" \
	grep -qx "$a control-from-devA" "$udp_out"
# The stock client's kernel also sends IPv6 link-local packets (router
# solicitations, MLD) through vpn0; whatever the gateway makes of those, the
# forged IPv4 source must be what its log reports for devA.
if pst_log_wait 5 "dropped packet with spoofed source $(re "$b") device=devA addr=$(re "$a")"; then
	ok "gateway log: spoofed drop of $b on devA's session"
else
	not_ok "gateway log: spoofed drop of $b on devA's session" \
		"spoof lines in the log: $(grep 'spoofed source' "$PST_GW_LOG" | tr '\n' ' ')"
fi

ip -n "$(pst_ns devA)" addr del "$b/32" dev vpn0 2>/dev/null
check "devA's tunnel still works after the drop" pst_ping devA "$PST_INT_IP"

pst_disconnect devA
check "gateway log: devA's session counted the spoofed packet" \
	pst_log_wait 10 "device=devA .*spoofed=[1-9]"
check "gateway still running" pst_alive "$PST_GW_PID"

# A gateway that shuts down tells the clients still connected (CSTP server
# terminate) instead of leaving them to time out and reconnect.
pst_gw_stop
check "devB's client exits when the gateway shuts down" pst_oc_wait devB 10
check "devB's client received the server terminate frame" \
	grep -q "received server terminate packet" "${PST_OC_LOG[devB]}"
check "gateway log: devB's session ended by the shutdown" \
	pst_log_has "session end device=devB .*gateway shutting down"
pst_finish
