#!/bin/bash
# SPDX-License-Identifier: MIT
# The DTLS channel through the real gateway, with the stock client:
# - DTLS comes up ("Established DTLS connection"), posternctl shows the
#   session's channel as dtls, and 10 MiB each way arrive with equal SHA-256
#   while the gateway's DTLS record counters, not CSTP, account for them;
# - the CSTP rules hold on DTLS: a spoofed source and a destination outside
#   the profile are dropped and counted; a quarantined device reaches its
#   remediation network over DTLS and nothing else;
# - kick and revocation end the session's DTLS peer with it;
# - a client whose UDP source port changes (a NAT rebinding) keeps its
#   channel without a new handshake once a record from the new port
#   authenticates;
# - UDP to the gateway blocked by nftables (every worker's port): the
#   tunnel still comes up and carries data over CSTP;
# - dtls = false: no UDP socket, nothing offered, status says so.
#
#   devA (default)  --+                       +-- int 198.18.2.2
#   devB (group q)  --+-- br0 -- gw [pst0] ---+   rem 198.18.3.2
#   devC (UDP cut)  --+   198.18.0.1 TCP+UDP 443
#   devD (roams)    --+
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init
command -v nft >/dev/null || pst_skip "nft is not installed"

pki=$PST_TMP/pki
pst_topology devA devB devC devD || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$pki" && pst_issue "$pki" devA && pst_issue "$pki" devB --group q &&
	pst_issue "$pki" devC && pst_issue "$pki" devD || pst_bail "PKI" "postern-ca failed"
cat >"$PST_TMP/policy.conf" <<'POL'
quarantine-profile = "remediation"
agent = "optional"
platform linux { }
profile intra { allow = { "198.18.2.0/24" } }
profile remediation { allow = { "198.18.3.0/24" } }
# No agent runs here, so the passcode is never reported: quarantine.
rule q { group = "q" require-passcode = true action = "allow" profile = "intra" }
rule staff { group = "default" action = "allow" profile = "intra" }
POL
ops_gw_conf policy=policy.conf routes=198.18.2.0/24
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"
check "the start-up line says DTLS is on, from UDP port $PST_PORT" \
	pst_log_has "listening on .*; DTLS on UDP ports? $PST_PORT"
PST_OC_DTLS=1

# stat KEY: one of `posternctl --json stats`'s dtls/dropped counters, as "group.key".
stat() {
	ops_ctl --json stats >/dev/null &&
		ops_json_get "$OPS_OUT" "d['${1%%.*}']['${1#*.}']"
}
dtls_established() { grep -q 'Established DTLS connection' "${PST_OC_LOG[$1]}"; }
# channel_is DEV CHANNEL: posternctl shows DEV's data going over CHANNEL.
channel_is() { [ "$(ops_session_get "$1" channel)" = "$2" ]; }
# grew_by BEFORE KEY N: the counter KEY is now at least BEFORE + N.
grew_by() { local now; now=$(stat "$2") && [ "$now" -ge $(($1 + $3)) ]; }
peers_are() { [ "$(stat dtls.peers)" = "$1" ]; }

# ---- devA: DTLS up, a checksummed transfer over it
pst_connect devA devA || pst_bail "devA connects" "no tunnel: $(tail -5 "${PST_OC_LOG[devA]}")"
check "devA: the client establishes DTLS" wait_for 15 dtls_established devA
check "devA: DTLS 1.2 with a PSK suite" grep -q 'Ciphersuite (DTLS1.2)-(PSK)-' "${PST_OC_LOG[devA]}"
check "devA: the gateway logs the channel up" pst_log_wait 5 "dtls up device=devA peer=198.18.0.11:"
check "devA: posternctl shows the channel as dtls" wait_for 5 channel_is devA dtls
dpeer=$(ops_session_get devA dtls_peer)
check "devA: the DTLS peer is devA's address ($dpeer)" bash -c "[[ '$dpeer' == 198.18.0.11:* ]]"
check "devA: ping through the tunnel" pst_ping devA "$PST_INT_IP"

src=$PST_TMP/10m.bin
pst_make_file "$src" 10
want=$(pst_sha256 "$src")
rx0=$(stat dtls.records_rx) tx0=$(stat dtls.records_tx)
if pst_serve up 5001 recv; then
	pst_in devA timeout 60 python3 "$PST_HELPERS/xfer.py" send "$PST_INT_IP" 5001 "$src" \
		>"$PST_TMP/up-client.out" 2>&1
	wait_for 30 pst_gone "$PST_SERVE_PID"
	check "10 MiB device -> internal host over DTLS, sha256 equal" [ "$(pst_out_sha256 up)" = "$want" ]
else
	not_ok "10 MiB device -> internal host over DTLS" "receiver did not listen"
fi
# 10 MiB in packets of at most 1400 bytes: at least 7 490 records.
check "the upload came as DTLS records (records_rx grew by >= 7490)" grew_by "$rx0" dtls.records_rx 7490
if pst_serve down 5002 send "$src"; then
	pst_in devA timeout 60 python3 "$PST_HELPERS/xfer.py" recv "$PST_INT_IP" 5002 \
		>"$PST_TMP/down-client.out" 2>&1
	got=$(awk '$1 == "sha256" { print $2 }' "$PST_TMP/down-client.out")
	check "10 MiB internal host -> device over DTLS, sha256 equal" [ "$got" = "$want" ]
else
	not_ok "10 MiB internal host -> device over DTLS" "sender did not listen"
fi
check "the download went as DTLS records (records_tx grew by >= 7490)" grew_by "$tx0" dtls.records_tx 7490

# ---- the filter on DTLS: a spoofed source, a destination outside the profile
vpn=$(pst_vpn_addr devA)
rx0=$(stat dtls.records_rx) sp0=$(stat dropped.spoofed) out0=$(stat dropped.outside_profile)
pst_in devA ip addr add 198.18.100.250/32 dev vpn0
pst_in devA ping -n -q -c 3 -i 0.2 -W 1 -I 198.18.100.250 "$PST_INT_IP" >/dev/null 2>&1
check "spoofed source over DTLS: dropped and counted (3)" grew_by "$sp0" dropped.spoofed 3
pst_in devA ip addr del 198.18.100.250/32 dev vpn0
pst_in devA ip route add 198.18.3.0/24 dev vpn0
check "outside the profile over DTLS: 198.18.3.2 does not answer" ops_no_ping devA "$PST_REM_IP"
check "outside the profile over DTLS: dropped and counted (3)" grew_by "$out0" dropped.outside_profile 3
check "those packets came over DTLS (records_rx grew by >= 6)" grew_by "$rx0" dtls.records_rx 6
check "devA ($vpn) still reaches the internal host" pst_ping devA "$PST_INT_IP"

# ---- devB, quarantined: its remediation network over DTLS, nothing else
PST_ROUTES=198.18.3.0/24
pst_connect devB devB || pst_bail "devB connects" "no tunnel: $(tail -5 "${PST_OC_LOG[devB]}")"
PST_ROUTES=198.18.2.0/24
check "devB: quarantined" [ "$(ops_session_get devB verdict)" = quarantine ]
check "devB: the client establishes DTLS" wait_for 15 dtls_established devB
check "devB: posternctl shows the channel as dtls" wait_for 5 channel_is devB dtls
check "devB: reaches the remediation host over DTLS" pst_ping devB "$PST_REM_IP"
out0=$(stat dropped.outside_profile)
pst_in devB ip route add 198.18.2.0/24 dev vpn0
check "devB: the internal host does not answer" ops_no_ping devB "$PST_INT_IP"
check "devB: dropped as outside its profile (3)" grew_by "$out0" dropped.outside_profile 3

# ---- devD roams: its UDP source port changes under it (a NAT rebinding)
pst_connect devD devD || pst_bail "devD connects" "no tunnel: $(tail -5 "${PST_OC_LOG[devD]}")"
check "devD: the client establishes DTLS" wait_for 15 dtls_established devD
check "devD: posternctl shows the channel as dtls" wait_for 5 channel_is devD dtls
old=$(ops_session_get devD dtls_peer)
old=${old##*:}
gport=$((PST_PORT + $(ops_session_get devD worker)))	# its worker's UDP port
hs0=$(stat dtls.handshakes) roam0=$(stat dtls.roams)
# Stateless rewriting both ways, as a NAT would after rebinding: what devD
# sends from port $old leaves from 40000, and the replies come back.
ip netns exec "$(pst_ns devD)" nft -f - <<NFT || not_ok "devD: nftables rewrites its source port" "nft failed"
table ip roam {
	chain out { type filter hook output priority -300; udp sport $old udp dport $gport udp sport set 40000; }
	chain in { type filter hook prerouting priority -300; udp sport $gport udp dport 40000 udp dport set $old; }
}
NFT
check "devD: pings through the tunnel after the port changed" pst_ping devD "$PST_INT_IP"
roamed() { [ "$(ops_session_get devD dtls_peer)" = "198.18.0.14:40000" ]; }
check "devD: the gateway follows it to port 40000 (was $old)" wait_for 5 roamed
check "devD: counted as a roam" grew_by "$roam0" dtls.roams 1
check "devD: no new handshake for it" [ "$(stat dtls.handshakes)" = "$hs0" ]
check "devD: still over DTLS" channel_is devD dtls
ip netns exec "$(pst_ns devD)" nft delete table ip roam

# ---- kick and revocation end the DTLS peer
peers0=$(stat dtls.peers)
ops_ctl kick devA
check "kick devA: exit 0" [ "$OPS_RC" -eq 0 ]
check "kick devA: its session ends" pst_log_wait 5 "session end device=devA .*kicked"
check "kick devA: its DTLS peer is gone (peers $peers0 -> $((peers0 - 1)))" \
	wait_for 5 peers_are $((peers0 - 1))
check "kick devA: its client exits" wait_for 25 pst_gone "${PST_OC_PID[devA]}"
"$PST_BUILD/postern-ca" revoke --dir "$pki" --device devB >/dev/null 2>&1
check "revoke devB: its session ends" pst_log_wait 10 "session end device=devB .*certificate revoked"
check "revoke devB: its DTLS peer is gone too (devD's alone remains)" wait_for 5 peers_are 1
check "devD is untouched" pst_ping devD "$PST_INT_IP"

# ---- devC: UDP to the gateway cut; the tunnel works over CSTP
ip netns exec "$(pst_ns devC)" nft -f - <<NFT || not_ok "devC: nftables cuts UDP" "nft failed"
table ip cut {
	chain out { type filter hook output priority 0; ip daddr $PST_GW_IP meta l4proto udp drop; }
}
NFT
t0=$(ops_ms)
if pst_oc_start devC devC && wait_for 40 pst_tunnel_settled devC && pst_tunnel_ready devC; then
	ok "devC: with UDP cut the tunnel comes up ($(ops_ms_since "$t0") ms)"
else
	not_ok "devC: with UDP cut the tunnel comes up" "$(tail -5 "${PST_OC_LOG[devC]}")"
fi
check "devC: no DTLS" ops_not dtls_established devC
check "devC: posternctl shows the channel as cstp" channel_is devC cstp
small=$PST_TMP/1m.bin
pst_make_file "$small" 1
if pst_serve up2 5003 recv; then
	pst_in devC timeout 60 python3 "$PST_HELPERS/xfer.py" send "$PST_INT_IP" 5003 "$small" \
		>"$PST_TMP/up2-client.out" 2>&1
	wait_for 30 pst_gone "$PST_SERVE_PID"
	check "devC: 1 MiB over CSTP, sha256 equal" [ "$(pst_out_sha256 up2)" = "$(pst_sha256 "$small")" ]
else
	not_ok "devC: 1 MiB over CSTP" "receiver did not listen"
fi
pst_disconnect devC
pst_disconnect devD
pst_gw_stop

# ---- dtls = false: no UDP socket, no offer, and the status says so
ops_gw_conf policy=policy.conf routes=198.18.2.0/24 dtls=false
pst_gw_start || pst_bail "gateway starts with dtls = false" "no 'listening on' in the log"
check "dtls = false: the start-up line says DTLS is off" pst_log_has "DTLS off \\(dtls = false\\)"
check "dtls = false: nothing listens on UDP $PST_PORT" \
	ops_not bash -c "ip netns exec '$(pst_ns gw)' ss -Huln 'sport = :$PST_PORT' | grep -q ."
ops_ctl status
check "dtls = false: posternctl status says dtls off" grep -q '^dtls: *off' "$OPS_OUT"
rm -f "${PST_OC_LOG[devD]}"
pst_connect devD devD || not_ok "devD connects without DTLS" "$(tail -5 "${PST_OC_LOG[devD]}")"
check "dtls = false: the client gets no DTLS" ops_not dtls_established devD
check "dtls = false: the channel is cstp" channel_is devD cstp
check "dtls = false: ping through the tunnel" pst_ping devD "$PST_INT_IP"
pst_disconnect devD
pst_gw_stop
pst_finish
