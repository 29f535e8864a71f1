#!/bin/bash
# SPDX-License-Identifier: MIT
# Two workers (workers = 2), one event loop per core, as one gateway:
# - each device lives on its home worker: devA and devC on worker 1, devB
#   on worker 0 (an FNV-1a hash of the device ID); whichever worker accepts
#   a connection, the request reaches the home one (handed over, counted);
# - each worker leases its own share of the pool (index % 2), and the TUN
#   steers packets to the worker that leases their destination: every
#   device pings and carries a checksummed transfer, all at once;
# - each worker has its own DTLS port (443, 444), and each device's channel
#   is on its worker's;
# - the control plane covers both: posternctl status and sessions, a reload
#   that moves every device to quarantine in place, kick of a device on
#   worker 1, revocation of one on worker 0, and stats summed over both.
#
#   devA devB devC --br0-- gw 198.18.0.1 (TCP 443, UDP 443-444, pst0 2 queues) -- int 198.18.2.2
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pki=$PST_TMP/pki
pst_topology devA devB devC || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$pki" && pst_issue "$pki" devA && pst_issue "$pki" devB && pst_issue "$pki" devC ||
	pst_bail "PKI" "postern-ca failed"
policy() {
	cat >"$PST_TMP/policy.conf" <<-POL
	quarantine-profile = "remediation"
	agent = "optional"
	platform linux { }
	profile intra { allow = { "198.18.2.0/24" } }
	profile remediation { allow = { "198.18.3.0/24" } }
	rule staff { group = "default" $1 action = "allow" profile = "intra" }
	POL
}
policy ""
ops_gw_conf workers=2 policy=policy.conf routes=198.18.2.0/24
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"
check "start-up: 2 workers, DTLS on UDP 443-444" \
	pst_log_has "listening on .*2 workers\\); DTLS on UDP ports 443-444"
udp_listens() { ip netns exec "$(pst_ns gw)" ss -Huln "sport = :$1" | grep -q .; }
check "UDP 443 is open (worker 0)" udp_listens 443
check "UDP 444 is open (worker 1)" udp_listens 444
tcp_listeners=$(ip netns exec "$(pst_ns gw)" ss -Hltn "sport = :443" | wc -l)
check "two TCP listeners share port 443 (SO_REUSEPORT; got $tcp_listeners)" [ "$tcp_listeners" -eq 2 ]
ops_ctl status
check "posternctl status: workers 2" grep -q '^workers: *2$' "$OPS_OUT"

PST_OC_DTLS=1
for dev in devA devB devC; do
	pst_connect "$dev" "$dev" || pst_bail "$dev connects" "no tunnel: $(tail -5 "${PST_OC_LOG[$dev]}")"
done
dtls_established() { grep -q 'Established DTLS connection' "${PST_OC_LOG[$1]}"; }
ops_sessions "$PST_TMP/s1.json"
ops_check "sessions: devA and devC on worker 1, devB on worker 0" "$PST_TMP/s1.json" '
w = {s["device"]: s["worker"] for s in d["sessions"]}
assert w == {"devA": 1, "devB": 0, "devC": 1}, w'
ops_check "each device's address is in its worker's share of the pool (index % 2)" "$PST_TMP/s1.json" '
for s in d["sessions"]:
    assert int(s["address"].split(".")[3]) % 2 == s["worker"], s'
for dev in devA devB devC; do
	check "$dev: DTLS established" wait_for 15 dtls_established "$dev"
done
ops_sessions "$PST_TMP/s2.json"
ops_check "each channel is over DTLS" "$PST_TMP/s2.json" '
assert all(s["channel"] == "dtls" for s in d["sessions"]), d'
for dev in devA devB devC; do
	port=$(ip netns exec "$(pst_ns "$dev")" ss -Hunp 2>/dev/null | grep openconnect |
		grep -o "$PST_GW_IP:[0-9]*" | sed 's/.*://' | head -n 1)
	want=$((443 + $(ops_json_get "$PST_TMP/s2.json" "[s['worker'] for s in d['sessions'] if s['device'] == '$dev'][0]")))
	check "$dev: its DTLS goes to its worker's port $want (client: $port)" [ "$port" = "$want" ]
done
handoffs=$(ops_ctl --json stats >/dev/null && ops_json_get "$OPS_OUT" "d['handoffs']")
check "connections that arrived on the other worker were handed over (handoffs=$handoffs)" \
	[ "${handoffs:-0}" -ge 1 ]

# All three at once, 5 MiB each, through both workers.
src=$PST_TMP/5m.bin
pst_make_file "$src" 5
want=$(pst_sha256 "$src")
port=5001
for dev in devA devB devC; do
	pst_serve "up-$dev" "$port" recv || not_ok "$dev: receiver listens" "port $port"
	srv[$port]=$PST_SERVE_PID
	pst_in "$dev" timeout 60 python3 "$PST_HELPERS/xfer.py" send "$PST_INT_IP" "$port" "$src" \
		>"$PST_TMP/up-$dev-client.out" 2>&1 &
	pst_spawn $!
	cli[$port]=$!
	port=$((port + 1))
done
port=5001
for dev in devA devB devC; do
	wait "${cli[$port]}"
	wait_for 30 pst_gone "${srv[$port]}"
	check "$dev: 5 MiB at the same time as the others, sha256 equal" \
		[ "$(pst_out_sha256 "up-$dev")" = "$want" ]
	port=$((port + 1))
done
ops_ctl --json stats
ops_check "stats are summed over both workers" "$OPS_OUT" '
assert d["tunnels"] == 3 and d["dtls"]["channels"] == 3, d
assert d["packets"]["rx"] >= 3 * 3700, d["packets"]'

# ---- reload: every device to quarantine in place, on both workers
policy "require-passcode = true"
ops_ctl reload
check "reload: exit 0" [ "$OPS_RC" -eq 0 ]
for dev in devA devB devC; do
	check "reload: $dev re-evaluated in place" pst_log_wait 5 "re-evaluated device=$dev .*quarantine"
done
ops_sessions "$PST_TMP/s3.json"
ops_check "reload: all three quarantined, none reconnected" "$PST_TMP/s3.json" '
assert sorted((s["device"], s["verdict"]) for s in d["sessions"]) == \
    [("devA", "quarantine"), ("devB", "quarantine"), ("devC", "quarantine")], d'
for dev in devA devB devC; do
	check "$dev: tunnel up once (no reconnect)" [ "$(ops_tunnel_ups "$dev")" -eq 1 ]
done
pst_in devA ip route add 198.18.3.0/24 dev vpn0
pst_in devB ip route add 198.18.3.0/24 dev vpn0
check "devA (worker 1) now reaches the remediation host" pst_ping devA "$PST_REM_IP"
check "devB (worker 0) now reaches the remediation host" pst_ping devB "$PST_REM_IP"
check "devA no longer reaches the internal host" ops_no_ping devA "$PST_INT_IP"

# ---- kick on worker 1, revocation on worker 0
ops_ctl kick devA
check "kick devA (worker 1): exit 0" [ "$OPS_RC" -eq 0 ]
check "kick devA: its session ends" pst_log_wait 5 "session end device=devA .*kicked"
"$PST_BUILD/postern-ca" revoke --dir "$pki" --device devB >/dev/null 2>&1
check "revoke devB (worker 0): its session ends" \
	pst_log_wait 10 "session end device=devB .*certificate revoked"
ops_sessions "$PST_TMP/s4.json"
ops_check "sessions: devC alone remains" "$PST_TMP/s4.json" '
assert [s["device"] for s in d["sessions"]] == ["devC"], d'
check "devC is untouched" pst_ping devC "$PST_REM_IP"
pst_disconnect devC
pst_gw_stop
pst_finish
