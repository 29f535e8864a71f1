#!/bin/bash
# SPDX-License-Identifier: MIT
# Session life cycle. (1) A dropped TCP connection (SIGUSR2 makes openconnect
# drop it) is resumed with the same cookie and gets the same address back.
# (2) A silent client (SIGSTOP) is reaped by DPD: its session ends (after
# SIGCONT the client exits non-zero), its cookie dies (a fresh client
# presenting it is refused) and its address goes back to the pool. The pool 198.18.100.0/30 has exactly one leasable
# address (.2), so devB can only connect once devA's lease was returned.
#
#   devA 198.18.0.11 --\
#                       br0 -- gw 198.18.0.1:443 [pst0 198.18.100.1/30, dpd=2] -- int 198.18.2.2
#   devB 198.18.0.12 --/
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA && pst_issue "$PST_TMP/pki" devB ||
	pst_bail "PKI" "postern-ca failed"
pst_gw_conf pool=198.18.100.0/30 dpd=2
pst_gw_start || pst_bail "gateway starts" "no 'listening on $PST_GW_IP:$PST_PORT' in the log"

# devA authenticates first (openconnect --authenticate prints the session
# cookie) and then connects with that cookie, so that the test can try the
# cookie again once the gateway has ended the session.
oc_auth=$(pst_in devA timeout 30 openconnect --authenticate --non-inter --no-passwd \
	-c "$(pst_cert devA)" -k "$(pst_key devA)" --cafile "$PST_TMP/pki/ca.crt" \
	"https://$PST_GW_IP/" 2>"$PST_TMP/authenticate.err")
cookie=$(printf '%s\n' "$oc_auth" | sed -n "s/^COOKIE='\(.*\)'\$/\1/p")
[ -n "$cookie" ] || pst_bail "devA authenticates" "no COOKIE from openconnect --authenticate: $(cat "$PST_TMP/authenticate.err")"
pst_connect devA devA -C "$cookie" || pst_bail "devA connects" "no tunnel on devA"
addr=$(pst_vpn_addr devA)
check "devA leases the pool's only address 198.18.100.2" [ "$addr" = 198.18.100.2 ]
check "devA pings the internal host" pst_ping devA "$PST_INT_IP"
up_re="tunnel up device=devA peer=[^ ]+ addr=$(re "$addr") "

# --- (1) reconnect with the same cookie
kill -USR2 "${PST_OC_PID[devA]}"
if pst_log_wait 20 "$up_re.*\(reconnect\)"; then
	ok "SIGUSR2: gateway logs tunnel up (reconnect) with the same address"
else
	not_ok "SIGUSR2: gateway logs tunnel up (reconnect) with the same address" \
		"$(grep -E 'tunnel (up|down) device=devA' "$PST_GW_LOG")"
fi
check "gateway log: tunnel down before the reconnect" pst_log_has "tunnel down device=devA "
check "gateway log: still a single new tunnel for devA" [ "$(pst_log_count "$up_re.*\(new\)")" -eq 1 ]
check "devA keeps its address after the reconnect" [ "$(pst_vpn_addr devA)" = "$addr" ]
check "devA pings the internal host after the reconnect" wait_for 10 pst_ping devA "$PST_INT_IP"

# --- (2) a silent client is reaped by DPD
kill -STOP "${PST_OC_PID[devA]}"
start=$SECONDS
if pst_log_wait 30 "session end device=devA addr=$(re "$addr") verdict=allow:.*DPD timeout"; then
	ok "silent client: gateway ends the session with DPD timeout"
	echo "# DPD reaped the stopped client after $((SECONDS - start)) s (dpd=2)"
else
	not_ok "silent client: gateway ends the session with DPD timeout" \
		"no 'session end device=devA ... DPD timeout' within 30 s"
fi
kill -CONT "${PST_OC_PID[devA]}"
pst_oc_wait devA 40
case $PST_OC_RC in
running) not_ok "resumed client exits non-zero: its session is gone" "still running 40 s after SIGCONT" ;;
0) not_ok "resumed client exits non-zero: its session is gone" "exit status 0" ;;
*)
	ok "resumed client exits non-zero: its session is gone"
	echo "# openconnect exit status $PST_OC_RC: $(grep -E 'terminate|Cookie|rejected' \
		"${PST_OC_LOG[devA]}" | tail -n 1 | cut -c 23-)"
	;;
esac
check "the resumed client got no tunnel back" \
	[ "$(pst_log_count "tunnel up device=devA ")" -eq 2 ]

# The same cookie once more, from a fresh client: the gateway must refuse it.
pst_in devA timeout 30 openconnect --non-inter --no-passwd --no-dtls -C "$cookie" \
	-c "$(pst_cert devA)" -k "$(pst_key devA)" --cafile "$PST_TMP/pki/ca.crt" \
	--script "$PST_HELPERS/vpnc-wrapper.sh" -i vpn0 "https://$PST_GW_IP/" \
	</dev/null >"$PST_TMP/dead-cookie.log" 2>&1
rc=$?
PST_OC_LOG[dead-cookie]=$PST_TMP/dead-cookie.log
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
	ok "the reaped session's cookie is refused"
	echo "# openconnect -C with the dead cookie: exit status $rc"
else
	not_ok "the reaped session's cookie is refused" "exit status $rc (124 = still running after 30 s)"
fi
check "gateway log: CONNECT with the dead cookie refused" \
	pst_log_has "refused peer=$(re "$(pst_device_ip devA)"):[0-9]+ device=devA: CONNECT"
check "still no tunnel back for devA" [ "$(pst_log_count "tunnel up device=devA ")" -eq 2 ]

if pst_connect devB devB; then
	ok "devB connects into the one-address pool"
	check "devB gets the returned address 198.18.100.2" [ "$(pst_vpn_addr devB)" = 198.18.100.2 ]
	check "devB pings the internal host" pst_ping devB "$PST_INT_IP"
else
	not_ok "devB connects into the one-address pool" \
		"$(grep -iE 'devB|pool' "$PST_GW_LOG" | tail -n 3)"
fi
pst_disconnect devB
check "gateway still running" pst_alive "$PST_GW_PID"
pst_finish
