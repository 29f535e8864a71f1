# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2153 # lib.sh sets PST_GW_IP and the like
# The data path of `make bench` (sourced by tests/bench.sh, which has built
# the topology with devA-devD and defines fig, gw_pids, cpu_ticks and
# ocserv_start): for one gateway, once with CSTP over TLS only (gateway
# without DTLS, client --no-dtls) and once with DTLS (both at their
# defaults, DTLS checked up in every client's log before measuring):
#   - iperf3 device -> internal host through the tunnel, 1, 2 and 4 devices
#     at once, BENCH_SECS seconds each, as MiB/s received (summed);
#   - the gateway's CPU (utime + stime of every process in its namespace)
#     per GiB carried and as cores per Gbit/s (CPU seconds / Gbit);
#   - during the DTLS runs, the gateway namespace's UDP InErrors and
#     RcvbufErrors (/proc/net/snmp, before and after);
#   - a lossy client link: 1 % of the packets dropped each way on devA's
#     eth0 (nftables netdev ingress and egress, numgen random mod 100 < 1),
#     one device, BENCH_LOSSY_SECS seconds;
#   - start to first ping through the tunnel with the stock client and
#     vpnc-script, median of 5.
# Every figure goes to the final table through fig.

DP_DEVS=(devA devB devC devD)
DP_SECS=${BENCH_SECS:-5}
DP_LOSSY_SECS=${BENCH_LOSSY_SECS:-10}

# dp_udp_errors: "InErrors RcvbufErrors" of the gateway namespace.
dp_udp_errors() {
	pst_in gw cat /proc/net/snmp | awk '
		$1 == "Udp:" && $2 ~ /^[A-Za-z]/ { for (i = 2; i <= NF; i++) col[$i] = i; next }
		$1 == "Udp:" { print $col["InErrors"], $col["RcvbufErrors"] }'
}

# dp_gw_start GW MODE: posternd or ocserv with (MODE dtls) or without DTLS.
dp_gw_start() {
	if [ "$1" = posternd ]; then
		pst_gw_conf max-clients=1024 dtls="$([ "$2" = dtls ] && echo true || echo false)"
		pst_gw_start
	else
		OC_UDP=$([ "$2" = dtls ] && echo 1) ocserv_start
	fi
}

dp_gw_stop() {
	if [ "$1" = posternd ]; then
		gw_log_check "$1, $2"
		pst_gw_stop >/dev/null
	else
		pst_stop_pid "$PST_GW_PID"
		PST_GW_PID=
	fi
}

dp_dtls_count() { grep -c 'Established DTLS' "$PST_TMP/openconnect-$1.log" 2>/dev/null; }

# dp_connect MODE DEV: the stock client, and in MODE dtls its DTLS channel
# established (a new "Established DTLS" line in its log within 15 s).
dp_connect() {
	local mode=$1 dev=$2 n
	n=$(dp_dtls_count "$dev")
	if [ "$mode" = dtls ]; then
		PST_OC_DTLS=1 pst_connect "$dev" "$dev" || return 1
		wait_for 15 dp_dtls_more "$dev" "${n:-0}" || { echo "# $dev: DTLS did not come up"; return 1; }
	else
		pst_connect "$dev" "$dev"
	fi
}

dp_dtls_more() { [ "$(dp_dtls_count "$1")" -gt "$2" ]; }

# dp_iperf NAME DEV...: iperf3 from each DEV to the internal host at once
# (one server per device), DP_SECS seconds or $DP_TIME when set. Prints
# "BYTES SECONDS": bytes received in all, the longest receiver time.
dp_iperf() {
	local name=$1 i=0 dev pids=() port; shift
	for dev in "$@"; do
		port=$((5201 + i))
		ip netns exec "$(pst_ns int)" timeout $((DP_TIME + 30)) iperf3 -s -1 -B "$PST_INT_IP" -p "$port" \
			>/dev/null 2>&1 &
		pst_spawn $!
		wait_for 5 pst_listening tcp "$port" || return 1
		i=$((i + 1))
	done
	i=0
	for dev in "$@"; do
		pst_in "$dev" timeout $((DP_TIME + 30)) iperf3 -J -c "$PST_INT_IP" -p $((5201 + i)) -t "$DP_TIME" \
			>"$PST_TMP/iperf-$name-$i.json" 2>&1 &
		pids+=($!)
		i=$((i + 1))
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	python3 - "$PST_TMP/iperf-$name-"*.json <<-'PY'
	import json, sys
	total, secs = 0, 0.0
	for f in sys.argv[1:]:
	    try:
	        s = json.load(open(f))["end"]["sum_received"]
	    except (ValueError, KeyError):
	        sys.exit(1)
	    total += s["bytes"]
	    secs = max(secs, s["seconds"])
	print(total, secs)
	PY
}

# dp_traffic GW MODE LABEL DEV...: one iperf3 run; records throughput, CPU
# per GiB, cores per Gbit/s and, for DTLS, the UDP errors.
dp_traffic() {
	local gw=$1 mode=$2 label=$3 t0 t1 out bytes secs u0 u1 rc; shift 3
	u0=$(dp_udp_errors)
	t0=$(gw_ticks)
	out=$(dp_iperf "$gw-$mode-${label// /_}" "$@")
	rc=$?
	t1=$(gw_ticks)
	u1=$(dp_udp_errors)
	read -r bytes secs <<<"$out"
	if [ "$rc" -ne 0 ] || [ -z "${secs:-}" ] || [ "${bytes:-0}" -eq 0 ]; then
		echo "$gw, $mode, $label: iperf3 failed: $(head -c 300 "$PST_TMP/iperf-$gw-$mode-${label// /_}-0.json")"
		return 1
	fi
	dp_record "$gw" "$mode $label" "$bytes" "$secs" $((t1 - t0))
	if [ "$mode" = dtls ]; then
		read -r -a u0 <<<"$u0"
		read -r -a u1 <<<"$u1"
		fig "UDP InErrors, dtls $label" "$gw" $((u1[0] - u0[0])) ""
		fig "UDP RcvbufErrors, dtls $label" "$gw" $((u1[1] - u0[1])) ""
	fi
}

# dp_record GW LABEL BYTES SECONDS TICKS
dp_record() {
	local gw=$1 label=$2 hz mibs cpu_gib cores
	hz=$(getconf CLK_TCK)
	read -r mibs cpu_gib cores <<<"$(awk -v b="$3" -v s="$4" -v t="$5" -v hz="$hz" 'BEGIN {
		printf "%.1f %.2f %.3f", b / 1048576 / s, t / hz / (b / 1073741824), t / hz / (b * 8 / 1e9) }')"
	echo "$gw, $label: $mibs MiB/s; gateway CPU $cpu_gib s per GiB, $cores cores per Gbit/s"
	fig "throughput, $label" "$gw" "$mibs" "MiB/s"
	fig "CPU per GiB, $label" "$gw" "$cpu_gib" "s"
	fig "cores per Gbit/s, $label" "$gw" "$cores" ""
}

# dp_lossy DEV on|off: 1 % of the packets dropped each way on DEV's eth0
# (netdev hooks: a drop on egress is silent to the sender, as on a real
# link, where the output hook would fail the sending socket with EPERM).
# Off prints how many packets were dropped.
dp_lossy() {
	if [ "$2" = off ]; then
		echo "# $1: the lossy link dropped $(pst_in "$1" nft list table netdev pstloss |
			awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }') packets"
		pst_in "$1" nft delete table netdev pstloss 2>/dev/null
		return 0
	fi
	pst_in "$1" nft -f - <<-EOF
	table netdev pstloss {
		chain rx { type filter hook ingress device "eth0" priority 0; numgen random mod 100 < 1 counter drop; }
		chain tx { type filter hook egress device "eth0" priority 0; numgen random mod 100 < 1 counter drop; }
	}
	EOF
}

# dp_first_ping GW MODE: the stock client (its defaults and Debian's
# vpnc-script; --no-dtls in MODE tls) from its start to the first ping
# answered through the tunnel, polled every 10 ms (at most 20 s); median of 5.
dp_first_ping() {
	local gw=$1 mode=$2 i t0 t1 pid ms=() opts=()
	[ "$mode" = tls ] && opts=(--no-dtls)
	for ((i = 0; i < 5; i++)); do
		t0=$(now_ms)
		ip netns exec "$(pst_ns devA)" openconnect --non-inter --no-passwd "${opts[@]}" \
			-c "$(pst_cert devA)" -k "$(pst_key devA)" --cafile "$PST_TMP/pki/ca.crt" -i vpn0 \
			"https://$PST_GW_IP/" </dev/null >>"$PST_TMP/first-ping.log" 2>&1 &
		pid=$!
		pst_spawn "$pid"
		t1=
		while [ $(($(now_ms) - t0)) -lt 20000 ] && pst_alive "$pid"; do
			if pst_in devA ping -n -q -c 1 -W 0.01 "$PST_INT_IP" >/dev/null 2>&1; then
				t1=$(now_ms)
				break
			fi
			sleep 0.01
		done
		pst_stop_pid "$pid"
		[ -n "$t1" ] || { echo "$gw, $mode: connect $i: no ping through the tunnel"; return 1; }
		ms+=($((t1 - t0)))
	done
	echo "$gw, $mode: start to first ping through the tunnel (stock client, vpnc-script):" \
		"median $(median_us "${ms[@]}") ms of 5 (${ms[*]})"
	fig "start to first ping, $mode" "$gw" "$(median_us "${ms[@]}")" "ms"
}

# dp_mode GW MODE: every measurement of one gateway in one mode.
dp_mode() {
	local gw=$1 mode=$2 dev n up=0
	if ! dp_gw_start "$gw" "$mode"; then
		echo "$gw, $mode: did not start: $(tail -n 3 "$PST_GW_LOG" | tr '\n' ' ')"
		return 1
	fi
	for dev in "${DP_DEVS[@]}"; do
		dp_connect "$mode" "$dev" || { echo "$gw, $mode: $dev did not connect: not measured"; break; }
		up=$((up + 1))
	done
	if [ "$up" -eq "${#DP_DEVS[@]}" ]; then
		for n in 1 2 4; do
			DP_TIME=$DP_SECS dp_traffic "$gw" "$mode" "$n device(s)" "${DP_DEVS[@]:0:n}"
		done
		dp_lossy devA on && DP_TIME=$DP_LOSSY_SECS dp_traffic "$gw" "$mode" "1 % loss, 1 device" devA
		dp_lossy devA off
	fi
	for dev in "${DP_DEVS[@]}"; do
		pst_disconnect "$dev"
	done
	dp_first_ping "$gw" "$mode"
	dp_gw_stop "$gw" "$mode"
}

# dataplane_run: posternd, then ocserv when it is installed.
dataplane_run() {
	command -v iperf3 >/dev/null || { echo "# dataplane: iperf3 is not installed: not run"; return 0; }
	echo "# data path: iperf3 for $DP_SECS s (lossy link: $DP_LOSSY_SECS s), TLS only and DTLS"
	dp_mode posternd tls
	dp_mode posternd dtls
	if command -v ocserv >/dev/null; then
		dp_mode ocserv tls
		dp_mode ocserv dtls
	fi
}
