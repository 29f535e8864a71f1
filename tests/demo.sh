#!/bin/bash
# SPDX-License-Identifier: MIT
# `make demo`: Postern end to end on one machine, in network namespaces.
# A gateway with a throwaway CA, one field device running the stock
# openconnect client with its device certificate (no password), and an
# internal web server the device reaches only through the tunnel, and a
# second device whose certificate was revoked (reported stolen), which the
# gateway refuses with the reason. Prints what it set up and what happened,
# tears everything down, and exits 0 only when the device got an address,
# pinged the internal host and fetched a file from it, and the revoked one
# got no tunnel. Needs root (network namespaces, TUN).
#
#   demo-laptop 198.18.0.11 --br0-- gateway 198.18.0.1:443 [TUN 198.18.100.1] --- internal 198.18.2.2
#   vpn0 198.18.100.x  ====== TLS (CSTP) ======>  posternd  ------------------>  http :8080
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (it creates network namespaces and a TUN device)" >&2
	exit 1
fi
. "$(dirname "$0")/integration/lib.sh"

# The library's result lines are for the test runner; the demo reports
# plainly and stops at the first failure.
fail() {
	echo "demo FAILED: $*" >&2
	if [ -n "$PST_GW_LOG" ] && [ -s "$PST_GW_LOG" ]; then
		echo "last gateway log lines:" >&2
		tail -n 15 "$PST_GW_LOG" | sed 's/^/  | /' >&2
	fi
	if [ -n "${PST_OC_LOG[laptop]:-}" ] && [ -s "${PST_OC_LOG[laptop]}" ]; then
		echo "last openconnect lines:" >&2
		tail -n 10 "${PST_OC_LOG[laptop]}" | sed 's/^/  | /' >&2
	fi
	PST_GW_LOG=""
	PST_OC_LOG=()
	exit 1
}
pst_skip() { fail "$*"; }
pst_bail() { fail "$1${2:+: $2}"; }
step() { printf '\n== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }

pst_init

step "Network (namespaces $PST_ID-*)"
pst_topology laptop phone || fail "could not create the network namespaces"
say "gateway   $(pst_ns gw): 198.18.0.1/24 on the outside segment, 198.18.2.1/24 inside"
say "internal  $(pst_ns int): 198.18.2.2, reachable from outside only through the VPN"
say "device    $(pst_ns laptop): 198.18.0.11, no route to 198.18.2.0/24 of its own"
say "device    $(pst_ns phone): 198.18.0.12, a phone reported stolen"

step "Throwaway PKI ($PST_TMP/pki)"
pki=$PST_TMP/pki
pst_pki "$pki" || fail "postern-ca could not create the CA and server certificate"
pst_issue "$pki" demo-laptop || fail "postern-ca could not issue the device certificate"
pst_issue "$pki" stolen-phone --group sales || fail "postern-ca could not issue the phone's certificate"
"$PST_BUILD/postern-ca" revoke --dir "$pki" --device stolen-phone --reason keyCompromise >/dev/null ||
	fail "postern-ca could not revoke the phone's certificate"
say "CA and CRL, server certificate for 198.18.0.1, device certificates 'demo-laptop'"
say "and 'stolen-phone' (revoked: keyCompromise; the CRL lists it)"

step "Gateway"
pst_gw_conf user=nobody
pst_gw_start || fail "posternd did not start listening on $PST_GW_IP:$PST_PORT"
say "posternd (pid $PST_GW_PID) listening on $PST_GW_IP:$PST_PORT, running as nobody after set-up"
say "address pool $PST_POOL, pushed route $PST_INT_NET"

step "Internal web server"
www=$PST_TMP/www
mkdir -p "$www"
echo "Hello from the internal network, served on $PST_INT_IP. Postern works." >"$www/hello.txt"
ip netns exec "$(pst_ns int)" timeout 300 python3 -m http.server 8080 --bind "$PST_INT_IP" \
	--directory "$www" >"$PST_TMP/http.log" 2>&1 &
pst_spawn $!
wait_for 10 pst_listening tcp 8080 || fail "the internal web server did not start"
say "http://$PST_INT_IP:8080/hello.txt"

step "Device connects (stock openconnect, certificate only, --no-passwd)"
pst_connect laptop demo-laptop ||
	fail "openconnect did not bring the tunnel up within 20 s"
addr=$(pst_vpn_addr laptop)
say "tunnel up: vpn0 has $addr, route $PST_INT_NET via vpn0"

step "Through the tunnel"
out=$(pst_in laptop ping -n -c 3 -i 0.2 -W 2 "$PST_INT_IP" 2>&1) ||
	fail "ping $PST_INT_IP through the tunnel: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
say "ping $PST_INT_IP: $(echo "$out" | grep -E 'packets transmitted')"
say "      $(echo "$out" | grep -E '^rtt')"
body=$(pst_in laptop timeout 15 python3 -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode(), end="")
' "http://$PST_INT_IP:8080/hello.txt" 2>&1) || fail "fetching hello.txt through the tunnel: $body"
[ "$body" = "$(cat "$www/hello.txt")" ] || fail "hello.txt came back different: $body"
say "fetched hello.txt: \"$body\""

pst_disconnect laptop
wait_for 5 pst_log_has "session end device=demo-laptop"

step "The stolen phone tries (same client, its revoked certificate)"
pst_oc_start phone stolen-phone
pst_oc_wait phone 20 || fail "openconnect with the revoked certificate did not give up within 20 s"
[ "$PST_OC_RC" != 0 ] || fail "openconnect with the revoked certificate exited 0"
[ -z "$(pst_vpn_addr phone)" ] || fail "the revoked phone got a tunnel address"
reason=$(grep -m1 -o 'reason: .*' "${PST_OC_LOG[phone]}")
[ -n "$reason" ] || fail "openconnect printed no reason for the refusal"
say "refused, no tunnel; openconnect says: \"VPN service unavailable; $reason\""

step "Gateway log"
grep -E 'listening on|auth ok|refused|tunnel (up|down)|session end' "$PST_GW_LOG" | sed 's/^/   | /'

printf '\nDemo OK: device demo-laptop got %s, pinged %s and fetched a file through Postern;\n' \
	"$addr" "$PST_INT_IP"
printf 'the revoked stolen-phone was refused and told why.\n'
printf 'Tearing down the namespaces and the temporary PKI.\n'
exit 0
