#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench`: measures the gateway in the integration tests' topology
# (tests/integration/lib.sh draws it), with the stock openconnect client and
# real TLS. Figures, never assertions: it prints them and exits 0 unless a
# step could not run at all.
#
#   1. throughput of one TCP stream device -> internal host: routed directly
#      through the gateway namespace (the baseline, no VPN) and through the
#      tunnel, and the ratio of the two;
#   2. the daemon's CPU time per GiB carried (from /proc, independent of the
#      machine's load);
#   3. two devices at once through the tunnel;
#   4. tunnel set-up rate (TLS handshake + auth + second TLS handshake +
#      CONNECT) for BENCH_SESSIONS devices in a row, and the daemon's memory
#      per idle tunnel with all of them open.
#
# Environment: BENCH_MB (default 200), BENCH_SESSIONS (default 200).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/integration/lib.sh"

MB=${BENCH_MB:-200}
SESSIONS=${BENCH_SESSIONS:-200}

pst_init
pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" || pst_bail "pki" "postern-ca failed"
pst_issue "$PST_TMP/pki" devA && pst_issue "$PST_TMP/pki" devB || pst_bail "issue" "postern-ca issue failed"
pst_gw_conf max-clients=1024 pool=198.18.100.0/22
pst_gw_start || pst_bail "gateway starts" "posternd did not start"
pst_make_file "$PST_TMP/blob" "$MB"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/${1:-$PST_GW_PID}/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PST_GW_PID/status"; }
now_ms() { date +%s%3N; }

# transfer NAME DEV: one MB-sized upload DEV -> internal host; prints ms.
transfer() {
	local name=$1 dev=$2 port=$((6000 + RANDOM % 1000)) t0 t1
	pst_serve "$name" "$port" recv >/dev/null || return 1
	t0=$(now_ms)
	pst_in "$dev" timeout 300 python3 "$PST_HELPERS/xfer.py" send "$PST_INT_IP" "$port" \
		"$PST_TMP/blob" >/dev/null || return 1
	t1=$(now_ms)
	wait "$PST_SERVE_PID" 2>/dev/null
	echo $((t1 - t0))
}

rate() { awk -v mb="$1" -v ms="$2" 'BEGIN { printf "%.1f MiB/s", mb / (ms / 1000) }'; }

echo "# Postern benchmark: $MB MiB per transfer, $SESSIONS idle tunnels, $(nproc) cores"

# 1. Baseline: the same path without the tunnel (a plain route via the gateway).
pst_in devA ip route add "$PST_INT_NET" via "$PST_GW_IP"
pst_in int ip route add 198.18.0.0/24 via 198.18.2.1
direct_ms=$(transfer direct devA) || pst_bail "baseline transfer" "failed"
pst_in devA ip route del "$PST_INT_NET" via "$PST_GW_IP"
echo "direct (routed, no VPN):      $(rate "$MB" "$direct_ms")"

pst_connect devA devA || pst_bail "devA connects" "no tunnel"
ticks0=$(cpu_ticks) oc0=$(cpu_ticks "${PST_OC_PID[devA]}")
tunnel_ms=$(transfer tunnel devA) || pst_bail "tunnel transfer" "failed"
ticks1=$(cpu_ticks) oc1=$(cpu_ticks "${PST_OC_PID[devA]}")
hz=$(getconf CLK_TCK)
echo "through the tunnel (1 stream): $(rate "$MB" "$tunnel_ms")," \
	"$(awk -v d="$direct_ms" -v t="$tunnel_ms" 'BEGIN { printf "%.2f", d / t }') of direct"
awk -v t=$((ticks1 - ticks0)) -v hz="$hz" -v mb="$MB" \
	'BEGIN { printf "posternd CPU per GiB carried: %.2f s\n", t / hz / (mb / 1024) }'
awk -v t=$((oc1 - oc0)) -v hz="$hz" -v mb="$MB" \
	'BEGIN { printf "openconnect (client) CPU per GiB: %.2f s\n", t / hz / (mb / 1024) }'

# 3. Two devices at once.
pst_connect devB devB || pst_bail "devB connects" "no tunnel"
t0=$(now_ms)
transfer two-a devA >/dev/null &
a=$!
transfer two-b devB >/dev/null &
b=$!
wait "$a" && wait "$b" || pst_bail "two transfers" "failed"
t1=$(now_ms)
echo "two devices at once:           $(rate $((2 * MB)) $((t1 - t0))) aggregate"
pst_disconnect devA
pst_disconnect devB

# 4. Many idle tunnels.
for i in $(seq -w 1 "$SESSIONS"); do
	"$PST_BUILD/postern-ca" issue --dir "$PST_TMP/pki" --device "bench-$i" --owner bench \
		>/dev/null 2>&1 || pst_bail "issue bench-$i" "postern-ca issue failed"
done
mkdir -p "$PST_TMP/bench-certs"
cp "$PST_TMP"/pki/devices/bench-* "$PST_TMP/bench-certs/"
rss0=$(rss_kb)
coproc HOLD { pst_in devA python3 "$PST_ROOT/tests/bench/sessions.py" --host "$PST_GW_IP" \
	--cafile "$PST_TMP/pki/ca.crt" --certs "$PST_TMP/bench-certs" --count "$SESSIONS" 2>&1; }
hold_pid=$HOLD_PID
pst_spawn "$hold_pid"
while read -r -t 120 line <&"${HOLD[0]}"; do
	case "$line" in
	tunnels*) echo "tunnel set-up, one after another: ${line#tunnels }" ;;
	ready*) break ;;
	*) echo "# $line" ;;
	esac
done
rss1=$(rss_kb)
echo "posternd memory: $rss0 KiB with no session, $rss1 KiB with $SESSIONS idle tunnels:" \
	"$(((rss1 - rss0) / SESSIONS)) KiB per tunnel"
exec {HOLD[1]}>&-
wait "$hold_pid" 2>/dev/null
pst_finish
