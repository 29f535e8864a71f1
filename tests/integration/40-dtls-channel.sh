#!/bin/bash
# SPDX-License-Identifier: MIT
# The DTLS channel (gateway/dtls.c) against the stock openconnect client,
# before the worker uses it: helpers/dtls-peer.c stands in for the gateway
# (one CONNECT, then DTLS on UDP 443 through the module). Proves that the
# real client's ClientHello carries the App-ID where the module reads it,
# that the PSK both sides export agrees (the handshake completes with
# PSK-NEGOTIATE), that its MTU probes come back byte for byte (the client
# keeps the offered MTU instead of falling to 576), and that data flows
# both ways over DTLS (ping through the tunnel, answered over DTLS, with no
# data on CSTP).
#
#   [devA 198.18.0.11] --veth-- br0 [gw 198.18.0.1: dtls-peer TCP+UDP 443]
set -u
. "$(dirname "$0")/lib.sh"
pst_init
command -v cc >/dev/null || pst_skip "cc is not installed"
[ -f "$PST_BUILD/libgateway.a" ] || pst_bail "programs are built" "build/libgateway.a is missing (make tests)"
# The module's objects were built with the build's flags: a sanitizer build
# needs its runtime linked into the helper too.
san=$(grep -o -- '-fsanitize=[^ ]*' "$PST_BUILD/.flags" 2>/dev/null | head -n 1)

peer=$PST_TMP/dtls-peer
# shellcheck disable=SC2046
cc -std=gnu11 -D_GNU_SOURCE -I"$PST_ROOT" -o "$peer" "$PST_HELPERS/dtls-peer.c" \
	"$PST_BUILD/libgateway.a" "$PST_BUILD/libcommon.a" $(pkg-config --libs openssl) $san \
	2>"$PST_TMP/cc.log" || pst_bail "helper builds" "$(cat "$PST_TMP/cc.log")"
pst_topology devA || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" || pst_bail "PKI" "postern-ca failed"

log=$PST_TMP/peer.log
pst_in gw "$peer" "$PST_GW_IP" "$PST_TMP/pki/server.crt" "$PST_TMP/pki/server.key" 40 \
	>"$log" 2>&1 &
pst_spawn $!
peer_pid=$!
wait_for 5 grep -q '^ready' "$log" || pst_bail "stand-in gateway starts" "$(cat "$log")"

pin=$(openssl x509 -in "$PST_TMP/pki/server.crt" -noout -pubkey |
	openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
cli=$PST_TMP/openconnect.log
echo cookie | pst_in devA timeout 60 openconnect -v --cookie-on-stdin \
	--servercert "pin-sha256:$pin" --script=/bin/true -i vpn0 \
	"https://$PST_GW_IP/" >"$cli" 2>&1 &
pst_spawn $!
oc_pid=$!

dtls_up() { grep -q 'Established DTLS connection' "$cli"; }
check "the client establishes DTLS with the module" wait_for 20 dtls_up
check "DTLS 1.2 with a PSK suite" grep -q 'Ciphersuite (DTLS1.2)-(PSK)-' "$cli"
check "the MTU probes are echoed: the offered MTU stays" \
	grep -q 'No change in MTU after detection (was 1340)' "$cli"
# --script=/bin/true leaves vpn0 to us; openconnect may create it only
# after it printed the DTLS line (a loaded machine showed it): wait for it.
vpn0_up() {
	pst_in devA ip link show vpn0 >/dev/null 2>&1 &&
		{ pst_in devA ip addr show dev vpn0 | grep -q 198.19.200.2/24 ||
		  pst_in devA ip addr add 198.19.200.2/24 dev vpn0; } &&
		pst_in devA ip link set vpn0 up
}
check "the client's vpn0 is there and configured" wait_for 10 vpn0_up
ping_tunnel() { pst_in devA ping -c 3 -i 0.3 -W 2 198.19.200.1 >/dev/null; }
check "ping through the tunnel is answered over DTLS" ping_tunnel
pst_stop_pid "$oc_pid"
wait_for 15 pst_gone "$peer_pid"
wait "$peer_pid" 2>/dev/null
one_handshake() { grep -qx 'hello_verify=1' "$log" && grep -qx 'handshakes=1' "$log"; }
check "one stateless challenge, one handshake" one_handshake
check "the replies went over DTLS" grep -qx 'echoed=3' "$log"
check "no data on CSTP" grep -qx 'cstp_data=0' "$log"
check "the module's peer came up" grep -q '^up mtu=1340' "$log"
[ "$PST_FAILED" -eq 0 ] || { sed 's/^/# peer: /' "$log"; grep -i dtls "$cli" | sed 's/^/# client: /'; }
pst_finish
