#!/bin/bash
# SPDX-License-Identifier: MIT
# Floods never reach connected devices. While devA holds a tunnel and pings
# through it, a flood namespace (devF) opens idle TCP connections far past
# max-clients (64) from two sources: past max-pending-per-source (32) a
# source's are refused at once, the idle ones make room for each other, a real
# login (devB) in the middle of the flood gets in, devA keeps passing
# traffic, and the shedding is counted. Then the gateway's own file limit is cut
# below what it holds (prlimit on the running daemon): accepting pauses
# with one log line per pause, not a busy loop of "Too many open files",
# and devA still passes traffic. Last, a storm of half-done TLS handshakes
# from two sources, each under its own share, meets max-pending (the cap
# on all logins in progress together). The figures (RTT during and without the
# flood) are printed as "# " lines; the assertions are only "still
# connected and passing traffic", and the counters.
#
#   devA, devB 198.18.0.11-12 --br0-- gw 198.18.0.1:443 (max-clients 64) -- int 198.18.2.2
#   devF, devG 198.18.0.13-14: the flood, two sources (each past its share of
#   max-clients: together they fill it), bounded in count (FLOOD) and time (SECONDS_MAX)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

FLOOD=1000
SECONDS_MAX=8

pst_topology devA devB devF devG || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA && pst_issue "$PST_TMP/pki" devB ||
	pst_bail "PKI" "postern-ca failed"
ops_gw_conf max-clients=64 workers=1
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"
pst_connect devA devA || pst_bail "devA connects" "$(tail -5 "${PST_OC_LOG[devA]}")"
ok "devA connects"

# rtt DEV COUNT: average ping round trip through the tunnel, in ms.
rtt() {
	pst_in "$1" ping -n -q -c "$2" -i 0.05 -W 2 "$PST_INT_IP" 2>/dev/null |
		awk -F/ '/^rtt/ { print $5 }'
}
quiet_rtt=$(rtt devA 20)
echo "# devA RTT without a flood: ${quiet_rtt:-?} ms"

# throughput DEV PORT: sends 20 MiB through the tunnel to the internal host
# and prints MiB/s; fails unless all of it arrived intact.
pst_make_file "$PST_TMP/20m.bin" 20
want20=$(pst_sha256 "$PST_TMP/20m.bin")
throughput() {
	local start ms
	pst_serve "tp$2" "$2" recv || return 1
	start=$(date +%s%N)
	pst_in "$1" timeout 60 python3 "$PST_HELPERS/xfer.py" send "$PST_INT_IP" "$2" \
		"$PST_TMP/20m.bin" >/dev/null 2>&1 || return 1
	wait_for 10 pst_gone "$PST_SERVE_PID"
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$(pst_out_sha256 "tp$2")" = "$want20" ] || return 1
	echo $((20 * 1000 / (ms > 0 ? ms : 1)))
}
quiet_tp=$(throughput devA 5101)
echo "# devA throughput without a flood: ${quiet_tp:-?} MiB/s"

# flood DEV N SECONDS: opens idle connections as fast as it can for
# SECONDS, holding the last N (the oldest closed past that), and prints how
# many it opened: bounded in time, in connections held, and in total.
flood() {
	pst_in "$1" python3 - "$PST_GW_IP" "$PST_PORT" "$2" "$3" <<'PY'
import collections, socket, sys, time
host, port, n, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
held, opened, end = collections.deque(), 0, time.monotonic() + limit
while time.monotonic() < end and opened < 200 * n:
    if len(held) >= n:
        held.popleft().close()
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect_ex((host, port))
    except OSError:
        s.close()
        time.sleep(0.001)
        continue
    held.append(s)
    opened += 1
print(opened)
PY
}

flood devF "$FLOOD" "$SECONDS_MAX" >"$PST_TMP/flood1.out" &
flood_pid=$!
pst_spawn "$flood_pid"
flood devG "$FLOOD" "$SECONDS_MAX" >"$PST_TMP/flood1g.out" &
flood_pid_g=$!
pst_spawn "$flood_pid_g"
# The counters, not the log: its 20 lines a second may all go to others.
evicting() {
	ops_ctl --json stats >/dev/null 2>&1 &&
		[ "$(ops_json_get "$OPS_OUT" "d['shed']['evicted_idle']")" -gt 0 ] 2>/dev/null
}
check "the idle flood fills the slots: idle connections are evicted for newcomers" \
	wait_for 8 evicting
flood_rtt=$(rtt devA 20)
echo "# devA RTT during the idle flood: ${flood_rtt:-?} ms"
check "devA passes traffic during the flood" [ -n "$flood_rtt" ]
flood_tp=$(throughput devA 5102)
echo "# devA throughput during the idle flood: ${flood_tp:-?} MiB/s"
check "devA moves 20 MiB intact during the flood" [ -n "$flood_tp" ]
# A login in the middle of the flood: its ClientHello takes it off the idle
# list at once, and no idle newcomer can evict it.
t0=$(ops_ms)
if pst_connect devB devB; then
	ok "devB logs in during the flood"
	echo "# devB login during the flood: $(ops_ms_since "$t0") ms"
	check "devB passes traffic" pst_ping devB "$PST_INT_IP"
else
	not_ok "devB logs in during the flood" "$(tail -5 "${PST_OC_LOG[devB]}")"
fi
wait "$flood_pid" "$flood_pid_g" 2>/dev/null
echo "# flood: $(cat "$PST_TMP/flood1.out" 2>/dev/null) + $(cat "$PST_TMP/flood1g.out" 2>/dev/null) idle connections opened in $SECONDS_MAX s from two sources, $FLOOD held at a time by each"
ops_ctl --json stats || true
shed=$(ops_json_get "$OPS_OUT" "d['shed']['evicted_idle']")
echo "# idle connections evicted: ${shed:-?}"
check "the evictions are counted (shed.evicted_idle=$shed)" [ "${shed:-0}" -gt 0 ]
per_source=$(ops_json_get "$OPS_OUT" "d['shed']['per_source']")
echo "# refused past max-pending-per-source: ${per_source:-?}"
check "one source holds at most its share: the rest is refused and counted (shed.per_source=$per_source)" \
	[ "${per_source:-0}" -gt 0 ]
check "devA's tunnel is still up after the flood" pst_ping devA "$PST_INT_IP"

# ---- out of file descriptors: a pause, not a busy loop
pst_disconnect devB
net=$(pst_gw_net_pid)
open_fds=$(ls "/proc/$net/fd" | wc -l)
limit=$((open_fds + 20))
prlimit --pid "$net" --nofile="$limit:$limit" ||
	pst_bail "file limit" "prlimit could not lower the gateway's limit"
flood devF 300 4 >"$PST_TMP/flood2.out" &
flood_pid=$!
pst_spawn "$flood_pid"
wait_for 5 pst_log_has "accept: Too many open files .*not accepting for a second"
check "out of file descriptors: accepting pauses, with a reason" \
	pst_log_has "accept: Too many open files .*not accepting for a second"
emfile_rtt=$(rtt devA 20)
echo "# devA RTT while the gateway is out of file descriptors: ${emfile_rtt:-?} ms"
check "devA passes traffic while the gateway is out of file descriptors" [ -n "$emfile_rtt" ]
wait "$flood_pid" 2>/dev/null
lines=$(pst_log_count "accept: Too many open files")
echo "# 'Too many open files' lines during a 4 s flood: $lines"
check "one line per pause, at most one pause a second ($lines lines in 4 s)" [ "$lines" -le 8 ]
ops_ctl --json stats || true
pauses=$(ops_json_get "$OPS_OUT" "d['accept_pauses']")
check "the pauses are counted (accept_pauses=$pauses)" [ "${pauses:-0}" -ge 1 ]
prlimit --pid "$net" --nofile=4096:4096
check "devB connects again once the flood is gone" wait_for 20 pst_connect devB devB
# Its retries above may have left it between tunnels: the storm's device is devA.
pst_disconnect devB

# ---- a storm of half-done TLS handshakes from two sources, each under its
# per-source share: max-pending (8 here, after a reload) bounds them all
# together; the rest are refused at once, the tunnels keep their slots.
# storm DEV N SECONDS: N connections that each send a real ClientHello and
# then nothing, held for SECONDS; prints how many it opened.
storm() {
	pst_in "$1" python3 - "$PST_GW_IP" "$PST_PORT" "$2" "$3" <<'PY'
import socket, ssl, sys, time
host, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
held = []
for _ in range(n):
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        ctx.wrap_bio(inc, out).do_handshake()
    except ssl.SSLWantReadError:
        pass
    s = socket.create_connection((host, port), timeout=2)
    s.sendall(out.read())
    held.append(s)
print(len(held))
time.sleep(hold)
PY
}
echo "max-pending = 8" >>"$PST_GW_CONF"
check "reload: max-pending 8" ops_ctl reload
pending_before=$(ops_ctl --json stats >/dev/null 2>&1; ops_json_get "$OPS_OUT" "d['shed']['max_pending']")
storm devF 20 6 >"$PST_TMP/storm-f.out" 2>&1 &
storm_f=$!
pst_spawn "$storm_f"
storm devG 20 6 >"$PST_TMP/storm-g.out" 2>&1 &
storm_g=$!
pst_spawn "$storm_g"
storming() {
	ops_ctl --json stats >/dev/null 2>&1 &&
		[ "$(ops_json_get "$OPS_OUT" "d['shed']['max_pending']")" -gt "${pending_before:-0}" ] 2>/dev/null
}
check "past max-pending, new logins are refused and counted" wait_for 8 storming
storm_rtt=$(rtt devA 20)
echo "# devA RTT during the handshake storm: ${storm_rtt:-?} ms"
check "devA passes traffic during the handshake storm" [ -n "$storm_rtt" ]
storm_tp=$(throughput devA 5103)
echo "# devA throughput during the handshake storm: ${storm_tp:-?} MiB/s"
check "devA moves 20 MiB intact during the handshake storm" [ -n "$storm_tp" ]
wait "$storm_f" "$storm_g" 2>/dev/null
ops_ctl --json stats || true
echo "# half-done handshakes refused past max-pending: $(ops_json_get "$OPS_OUT" "d['shed']['max_pending']") of 40"
check "gateway log: the refusal names max-pending" pst_log_has "max-pending \(8\) reached"
check "gateway still running" pst_alive "$PST_GW_PID"
pst_disconnect devA
pst_disconnect devB
pst_finish
