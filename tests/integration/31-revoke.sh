#!/bin/bash
# SPDX-License-Identifier: MIT
# Revocation reaches live sessions without a word to the gateway: it
# watches its CRL file. Three devices are connected;
# - `postern-ca revoke --device devB` rewrites the CRL, and devB's session
#   must end ("certificate revoked") within 2 s of the command's return
#   (an acceptance bound, measured and printed); devB's client exits and
#   its reconnect is refused with the revoked reason;
# - devA is untouched: same session (address, no new tunnel up), still
#   reaches the internal host;
# - `postern-ca lost --device devC` ends devC's session the same way and
#   `postern-ca list` shows devC as lost.
#
#   devA 198.18.0.11 --\
#   devB 198.18.0.12 ---br0-- gw 198.18.0.1:443 [pst0, crl pki/crl.pem watched] -- int 198.18.2.2
#   devC 198.18.0.13 --/
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pki=$PST_TMP/pki
pst_topology devA devB devC || pst_bail "topology" "could not build the namespaces"
pst_pki "$pki" && pst_issue "$pki" devA && pst_issue "$pki" devB && pst_issue "$pki" devC ||
	pst_bail "PKI" "postern-ca failed"
ops_gw_conf
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

for dev in devA devB devC; do
	pst_connect "$dev" "$dev" || pst_bail "$dev connects" "no tunnel: $(tail -5 "${PST_OC_LOG[$dev]}")"
done
addr_a=$(pst_vpn_addr devA)
check "devA pings the internal host" pst_ping devA "$PST_INT_IP"
since_a=$(ops_session_get devA connected_since)
check "sessions: devA is live (since $since_a)" [ -n "$since_a" ]

# revoked_live NAME DEV REASON_ERE CMD...: runs the postern-ca command CMD
# that takes DEV out of service and measures the time from its return to
# the gateway's "session end" line for DEV (at most 2 s allowed; waits 10 s
# to report how late a late one is).
revoked_live() {
	local name=$1 dev=$2 why=$3 out start ms; shift 3
	out=$("$@" 2>&1) || { not_ok "$name: $*" "$out"; return 1; }
	start=$(ops_ms)
	ok "$name: $(basename "$1") $2 exits 0"
	if ms=$(ops_log_wait_since "$start" 10 "session end device=$dev .*: $why"); then
		echo "# $name: session end logged $ms ms after the command returned"
		check "$name: $dev's session ends within 2 s of the command (took $ms ms)" [ "$ms" -le 2000 ]
	else
		not_ok "$name: $dev's session ends within 2 s of the command" \
			"no 'session end device=$dev ...: $why' within 10 s"
		return 1
	fi
}

crl_sha=$(pst_sha256 "$pki/crl.pem")
revoked_live "revoke" devB "certificate revoked" \
	"$PST_BUILD/postern-ca" revoke --dir "$pki" --device devB
check "the CRL file was rewritten" [ "$(pst_sha256 "$pki/crl.pem")" != "$crl_sha" ]
check "gateway log: crl reloaded, 1 revoked" pst_log_has "crl reloaded $(re "$pki/crl.pem"): 1 revoked"
if pst_oc_wait devB 10; then
	ok "devB's client exits (status $PST_OC_RC)"
else
	not_ok "devB's client exits" "still running 10 s after the revocation"
fi
check "devB got no tunnel back" [ "$(ops_tunnel_ups devB)" -eq 1 ]
pst_disconnect devB	# if it still runs, so that the reconnect below has vpn0 to itself
ops_refused "devB reconnects" devB devB "device certificate has been revoked"
check "gateway log: devB's reconnect refused as revoked" \
	pst_log_has "refused peer=$(re "$(pst_device_ip devB)"):[0-9]+ device=devB: device certificate has been revoked"

# devA: the same session all along.
check "devA still pings the internal host" pst_ping devA "$PST_INT_IP"
check "devA's client still runs" pst_alive "${PST_OC_PID[devA]}"
check "devA keeps its address $addr_a" [ "$(pst_vpn_addr devA)" = "$addr_a" ]
check "devA: no new tunnel up" [ "$(ops_tunnel_ups devA)" -eq 1 ]
check "devA's session was not ended" ops_not pst_log_has "session end device=devA "
check "sessions: devA's session is the same (address, connected_since)" \
	[ "$(ops_session_get devA address) $(ops_session_get devA connected_since)" = "$addr_a $since_a" ]
ops_ctl --json status
ops_check "status: the CRL lists 1 revoked, 2 sessions left" "$OPS_OUT" '
assert d["crl"]["revoked"] == 1, d["crl"]
assert d["sessions"]["total"] == 2, d["sessions"]'
ops_ctl --json stats
ops_check "stats: sessions_ended.revoked = 1" "$OPS_OUT" \
	'assert d["sessions_ended"]["revoked"] == 1, d["sessions_ended"]'

# ---- a lost device
if revoked_live "lost" devC "(certificate revoked|.*lost)" \
	"$PST_BUILD/postern-ca" lost --dir "$pki" --device devC; then
	check "gateway log: crl reloaded, 2 revoked" pst_log_has "crl reloaded $(re "$pki/crl.pem"): 2 revoked"
	check "devC's client exits" pst_oc_wait devC 10
	pst_disconnect devC
	ops_refused "devC reconnects" devC devC "device certificate has been revoked"
fi
"$PST_BUILD/postern-ca" list --dir "$pki" --json >"$PST_TMP/list.json" 2>&1
"$PST_BUILD/postern-ca" list --dir "$pki" >"$PST_TMP/list.out" 2>&1
ops_check "postern-ca list --json shows devC lost, devB revoked, devA valid" "$PST_TMP/list.json" '
st = {r["device_id"]: r["status"] for r in d}
assert (st.get("devA"), st.get("devB"), st.get("devC")) == ("valid", "revoked", "lost"), st'
check "postern-ca list (table) shows devC as lost" grep -Eq "^devC[[:space:]].*[[:space:]]lost([[:space:]]|$)" "$PST_TMP/list.out"
check "devA still pings the internal host after the second revocation" pst_ping devA "$PST_INT_IP"
check "devA: still no new tunnel up" [ "$(ops_tunnel_ups devA)" -eq 1 ]

check "gateway still running" pst_alive "$PST_GW_PID"
pst_disconnect devA
pst_finish
