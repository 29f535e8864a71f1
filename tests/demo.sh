#!/bin/bash
# SPDX-License-Identifier: MIT
# `make demo`: Postern end to end on one machine, in network namespaces,
# under the shipped sample policy (conf/policy.conf). A gateway with a
# throwaway CA and four devices, each running the stock openconnect client
# with its device certificate (no password) and our posture agent as its
# CSD wrapper, the agent reporting the device's simulated facts:
#   laptop        corporate, MDM, passcode, encrypted, Linux 12.5: allowed,
#                 reaches the internal web server
#   old-laptop    corporate, but Linux 11: quarantined, reaches only the
#                 remediation host, and its banner says why
#   personal      a personal Android phone with a screen lock: mail only;
#                 then reported lost (postern-ca lost): the gateway ends its
#                 live session by itself within a second or two, and refuses
#                 it from then on
#   stolen-phone  certificate revoked: refused, and told why
# The system department's view in between: posternctl sessions and stats.
# Prints what it set up and what happened, tears everything down, and exits
# 0 only when each device got exactly what the policy says. Needs root.
#
#   devices 198.18.0.1x --br0-- gateway 198.18.0.1:443 [TUN 198.18.100.1] --- internal 198.18.2.2 (web)
#   vpn0 198.18.100.x  == TLS (CSTP) ==>  posternd  ---------------------->           198.18.2.25 (mail)
#                                                                                     198.18.3.2 (remediation)
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
# The devices ask for the DTLS channel (UDP), as the stock client does by default.
PST_OC_DTLS=1

# demo_facts NAME LINES...: a facts file the agent reports for a device.
demo_facts() {
	local f=$PST_TMP/$1.facts; shift
	printf '%s\n' "$@" >"$f"
	echo "$f"
}

# demo_connect DEV CERT_ID FACTS ROUTES: connects with the agent as CSD wrapper.
demo_connect() {
	pst_posture_connect "$1" "$2" "$3" "$4" ||
		fail "$2 did not get a tunnel within 20 s: $(tail -n 3 "${PST_OC_LOG[$1]}" | tr '\n' ' ')"
}

# demo_reach DEV ADDR: DEV pings ADDR through its tunnel; says so.
demo_reach() {
	local out
	out=$(pst_in "$1" ping -n -c 2 -i 0.2 -W 2 "$2" 2>&1) ||
		fail "$1 could not ping $2: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	say "ping $2: $(echo "$out" | grep -E 'packets transmitted')"
}

# demo_blocked DEV ADDR: even with its own route into the tunnel, DEV does
# not reach ADDR: the gateway drops it.
demo_blocked() {
	pst_in "$1" ip route replace "$2/32" dev vpn0
	if pst_in "$1" ping -n -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1; then
		fail "$1 reached $2, which its profile does not allow"
	fi
	say "ping $2 (forced into the tunnel): no answer, dropped at the gateway"
}

demo_banner() { pst_banner "$1" | sed 's/^/   | /'; }

step "Network (namespaces $PST_ID-*)"
pst_topology laptop oldlaptop personal phone || fail "could not create the network namespaces"
pst_remediation_host || fail "could not add the remediation host"
ip -n "$(pst_ns int)" addr add 198.18.2.25/24 dev eth0 || fail "could not add the mail host"
say "gateway      $(pst_ns gw): 198.18.0.1/24 outside, 198.18.2.1/24 and 198.18.3.1/24 inside"
say "internal     $(pst_ns int): web 198.18.2.2, mail 198.18.2.25, remediation 198.18.3.2"
say "devices      laptop, oldlaptop, personal, phone: 198.18.0.11-14, no inside routes of their own"

step "Throwaway PKI ($PST_TMP/pki)"
pki=$PST_TMP/pki
pst_pki "$pki" || fail "postern-ca could not create the CA and server certificate"
pst_issue "$pki" demo-laptop --group field || fail "postern-ca could not issue demo-laptop"
pst_issue "$pki" old-laptop --group field || fail "postern-ca could not issue old-laptop"
pst_issue "$pki" personal-phone --group sales --byod || fail "postern-ca could not issue personal-phone"
pst_issue "$pki" stolen-phone --group sales || fail "postern-ca could not issue stolen-phone"
"$PST_BUILD/postern-ca" revoke --dir "$pki" --device stolen-phone --reason keyCompromise >/dev/null ||
	fail "postern-ca could not revoke the phone's certificate"
say "CA and CRL, server certificate for 198.18.0.1, device certificates demo-laptop,"
say "old-laptop (corporate), personal-phone (byod), stolen-phone (revoked: keyCompromise)"

step "Gateway, with the sample policy conf/policy.conf"
cp "$PST_ROOT/conf/policy.conf" "$PST_TMP/policy.conf"
# posternd runs as nobody and re-reads the CRL and the policy as nobody,
# and reopens the audit log as nobody: let it reach them (the keys in pki/
# stay 0600), or it refuses to start.
chmod 0711 "$PST_TMP" "$pki"
chmod 0644 "$PST_TMP/policy.conf"
install -m 0660 -o root -g "$(id -gn nobody)" /dev/null "$PST_TMP/audit.log"
pst_gw_conf user=nobody policy="$PST_TMP/policy.conf" audit-log="$PST_TMP/audit.log" \
	routes="$PST_INT_NET $PST_REM_NET" control-socket="$PST_TMP/control.sock"
ctl() { "$PST_BUILD/posternctl" -s "$PST_TMP/control.sock" "$@"; }
pst_gw_start || fail "posternd did not start listening on $PST_GW_IP:$PST_PORT"
say "posternd (pid $PST_GW_PID) listening on $PST_GW_IP:$PST_PORT, running as nobody after set-up"
say "control socket $PST_TMP/control.sock for posternctl"
say "address pool $PST_POOL; each session's routes come from its policy profile"

step "Internal web server"
www=$PST_TMP/www
mkdir -p "$www"
echo "Hello from the internal network, served on $PST_INT_IP. Postern works." >"$www/hello.txt"
ip netns exec "$(pst_ns int)" timeout 300 python3 -m http.server 8080 --bind "$PST_INT_IP" \
	--directory "$www" >"$PST_TMP/http.log" 2>&1 &
pst_spawn $!
wait_for 10 pst_listening tcp 8080 || fail "the internal web server did not start"
say "http://$PST_INT_IP:8080/hello.txt"

step "laptop: a compliant company laptop"
facts=$(demo_facts laptop os.name=linux os.version=12.5 mdm.enrolled=true passcode.set=true \
	disk.encrypted=true device.rooted=false)
demo_connect laptop demo-laptop "$facts" "$PST_INT_NET"
addr=$(pst_vpn_addr laptop)
say "allowed: vpn0 has $addr, route $PST_INT_NET (profile internal)"
dtls_up() { grep -q 'Established DTLS connection' "${PST_OC_LOG[laptop]}"; }
wait_for 15 dtls_up || fail "the laptop did not establish DTLS"
say "data channel: $(grep -m1 -o 'Established DTLS connection.*' "${PST_OC_LOG[laptop]}")"
demo_reach laptop "$PST_INT_IP"
body=$(pst_in laptop timeout 15 python3 -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode(), end="")
' "http://$PST_INT_IP:8080/hello.txt" 2>&1) || fail "fetching hello.txt through the tunnel: $body"
[ "$body" = "$(cat "$www/hello.txt")" ] || fail "hello.txt came back different: $body"
say "fetched hello.txt: \"$body\""
pst_end laptop demo-laptop || fail "the laptop's session did not end"

step "old-laptop: a company laptop two releases behind"
facts=$(demo_facts oldlaptop os.name=linux os.version=11 mdm.enrolled=true passcode.set=true \
	disk.encrypted=true device.rooted=false)
demo_connect oldlaptop old-laptop "$facts" "$PST_REM_NET"
say "quarantined: vpn0 has $(pst_vpn_addr oldlaptop), profile remediation: only $PST_REM_NET gets through"
say "the banner openconnect shows the user:"
demo_banner oldlaptop
demo_reach oldlaptop "$PST_REM_IP"
demo_blocked oldlaptop "$PST_INT_IP"
pst_end oldlaptop old-laptop || fail "the old laptop's session did not end"

step "personal: a personal Android phone with a screen lock"
facts=$(demo_facts personal os.name=android os.version=15 os.patch-level=2026-10-05 \
	passcode.set=true device.rooted=false)
demo_connect personal personal-phone "$facts" "198.18.2.25/32 198.18.2.26/32"
say "allowed: vpn0 has $(pst_vpn_addr personal), routes to mail and the scheduler only (profile mail)"
demo_reach personal 198.18.2.25
demo_blocked personal "$PST_INT_IP"

step "The system department's view (posternctl)"
ctl sessions | sed 's/^/   | /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "posternctl sessions failed"
ctl show personal-phone | sed 's/^/   | /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "posternctl show failed"

step "personal-phone is reported lost, while connected"
n=$(pst_log_count "session end device=personal-phone ")
start=$(date +%s%N)
"$PST_BUILD/postern-ca" lost --dir "$pki" --device personal-phone >/dev/null ||
	fail "postern-ca lost failed"
wait_for 10 pst_log_more "session end device=personal-phone .*certificate revoked" "$n" ||
	fail "the gateway did not end the lost phone's session within 10 s"
ms=$((($(date +%s%N) - start) / 1000000))
say "postern-ca lost re-issued the CRL; no command to the gateway, which noticed it and"
say "ended the phone's session $ms ms later: $(grep -m1 'crl reloaded' "$PST_GW_LOG" | sed 's/.*info: //')"
pst_oc_wait personal 10 || fail "openconnect on the lost phone did not exit"
pst_oc_start personal personal-phone
pst_oc_wait personal 20 || fail "the lost phone's reconnect did not give up within 20 s"
[ -z "$(pst_vpn_addr personal)" ] || fail "the lost phone got a tunnel again"
say "its reconnect: \"VPN service unavailable; $(grep -m1 -o 'reason: .*' "${PST_OC_LOG[personal]}")\""
"$PST_BUILD/postern-ca" list --dir "$pki" | sed 's/^/   | /'

step "stolen-phone: the same client with its revoked certificate"
pst_oc_start phone stolen-phone
pst_oc_wait phone 20 || fail "openconnect with the revoked certificate did not give up within 20 s"
[ "$PST_OC_RC" != 0 ] || fail "openconnect with the revoked certificate exited 0"
[ -z "$(pst_vpn_addr phone)" ] || fail "the revoked phone got a tunnel address"
reason=$(grep -m1 -o 'reason: .*' "${PST_OC_LOG[phone]}")
[ -n "$reason" ] || fail "openconnect printed no reason for the refusal"
say "refused, no tunnel; openconnect says: \"VPN service unavailable; $reason\""

step "The security department's dry run agrees (postern-posture check)"
"$PST_AGENT" check --policy "$PST_TMP/policy.conf" --facts "$PST_TMP/oldlaptop.facts" \
	--cert "$(pst_cert old-laptop)" | sed 's/^/   | /'
[ "${PIPESTATUS[0]}" -eq 1 ] || fail "postern-posture check did not say quarantine (exit 1) for old-laptop"

step "Counters (posternctl stats; the same numbers are served to Prometheus)"
ctl stats | grep -Ev ' 0$' | sed 's/^/   | /'

step "Gateway log"
grep -E 'listening on|posture decision|refused [a-z]|tunnel (up|down)|dtls (up|down)|session end|dropped|crl reloaded' "$PST_GW_LOG" |
	sed 's/^/   | /'

step "Audit log ($PST_TMP/audit.log: one JSON line per decision)"
python3 - "$PST_TMP/audit.log" <<'PY' || fail "the audit log is not one JSON object per line"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"   | {r['time']} {r['device']:<15} {r['verdict']:<10} rule={r['rule']} "
          f"profile={r['profile']} address={r['address']} facts={len(r['facts'])} "
          f"policy={r['policy_sha256'][:12]}")
PY

step "Fleet report (postern-posture report --audit $PST_TMP/audit.log)"
"$PST_AGENT" report --audit "$PST_TMP/audit.log" | sed 's/^/   | /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "postern-posture report failed on the demo's audit log"

printf '\nDemo OK: demo-laptop reached the internal network, old-laptop was quarantined to the\n'
printf 'remediation host and told why, personal-phone got mail only until it was reported\n'
printf 'lost (its session ended by itself), and the revoked stolen-phone was refused and told why.\n'
printf 'Tearing down the namespaces and the temporary PKI.\n'
exit 0
