# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2153 # lib.sh sets PST_GW_IP and the like
# Many sessions, for `make bench` (sourced by tests/bench.sh, which defines
# fig, gw_pids, cpu_ticks, pss_kb, ctl, ops_policy and ocserv_start).
#
# The load generator (build/tests/loadgen, tests/bench/loadgen.c) runs in a
# device netns of its own, "load", with LOAD_SOURCES source addresses on its
# eth0 (198.18.0.100 and up), so that its logins' TIME_WAIT entries never
# run out of ports. Each of its sessions is a device with its own
# certificate, minted by the loader with the bench CA's key. The VPN pool is
# 198.18.128.0/17 here (32 765 leases), routed from the internal host.
#
# For posternd, for each N of BENCH_N (a fresh gateway each time, with a
# policy and a control socket, dpd 300 s, and devA connected through the
# stock client as the tunnel that is pinged):
#   - N set-ups, BENCH_CONC in flight: set-ups per second (the loader's
#     line) and the gateway's CPU per connect over them;
#   - memory per idle session: the VmRSS summed over the gateway's
#     processes, with N held minus before, / N;
#   - the gateway's CPU while N sit idle, per second;
#   - CPU per connect of BENCH_PROBE more set-ups with N held, and of as
#     many once the N have ended (the issue wants them within 20 %);
#   - the worst gap between ping replies (ping -i 0.01, devA -> internal
#     host through its tunnel) during `posternctl reload` (which re-evaluates
#     every session) and during `posternctl --json sessions` (all of them),
#     and with no command, as the floor; and, since that floor is the
#     machine's scheduling, the longest time the control plane held every
#     worker meanwhile (the bucket of posternd's own histogram,
#     postern_control_hold_duration_seconds, that it fell in);
#   - the time for all N to end at once: the loader killed (SIGKILL, the
#     kernel closes its sockets), posternctl status polled every 20 ms until
#     only devA's tunnel is left.
# For ocserv, for each N of BENCH_OC_N: the set-up rate, CPU per connect at
# none and at N held, memory per session (PSS summed: it forks a process
# per client, sharing pages), devA's ping gap with no command (it has no
# control socket here) and the time for its per-client processes to go. RLIMIT_NOFILE bounds N: posternd's workers are threads of one process
# that holds a descriptor per session, and so does the loader.

LOAD_POOL=198.18.128.0/17
LOAD_SOURCES=16
LOAD_PROBE=${BENCH_PROBE:-500}
LOAD_CONC=${BENCH_CONC:-64}
LOAD_BIN=$PST_BUILD/tests/loadgen
LOAD_METRICS=127.0.0.1:9188	# posternd's /metrics, inside the gateway's netns
LOAD_PID=

# rss_each: "PID:KiB" of each of the gateway's processes (VmRSS).
rss_each() {
	local pid r out=
	for pid in $(gw_pids); do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && out+=" $pid:${r:-0}"
	done
	echo "${out# }"
}

# rss_kb: VmRSS summed over the gateway's processes.
rss_kb() {
	local pid sum=0 r
	for pid in $(gw_pids); do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && sum=$((sum + ${r:-0}))
	done
	echo "$sum"
}

ms_per() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", n ? t / hz * 1000 / n : 0 }'; }

# load_net: the loader's netns. The bridge's MAC address is pinned first: a
# bridge takes the lowest of its ports' addresses unless one was set, so a
# new port could change it under the devices' ARP caches, and devA's next
# connection would wait about 30 s for its entry to be probed again.
load_net() {
	local i mac
	mac=$(ip -n "$(pst_ns gw)" -br link show br0 | awk '{ print $3 }')
	ip -n "$(pst_ns gw)" link set br0 address "$mac" || return 1
	pst_device_add load || return 1
	for ((i = 0; i < LOAD_SOURCES; i++)); do
		ip -n "$(pst_ns load)" addr add "198.18.0.$((100 + i))/24" dev eth0 || return 1
	done
	pst_in load sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
	ip -n "$(pst_ns int)" route add "$LOAD_POOL" via 198.18.2.1
}

# load_start TAG COUNT: the loader with COUNT devices named GW-TAG-NNNNNN
# (GW: the gateway's first two letters) in the background, output in
# $PST_TMP/load-GW-TAG.out, emptied here first: the redirection happens in
# the background job, and a caller polling for "ready" must not read a
# previous run's. Sets LOAD_PID.
load_start() {
	local tag=${LOAD_GW:0:2}-$1 count=$2 i src=()
	: >"$PST_TMP/load-$tag.out"
	for ((i = 0; i < LOAD_SOURCES; i++)); do
		src+=(--source "198.18.0.$((100 + i))")
	done
	ip netns exec "$(pst_ns load)" "$LOAD_BIN" --host "$PST_GW_IP" --port "$PST_PORT" \
		--cafile "$PST_TMP/pki/ca.crt" --ca-key "$PST_TMP/pki/ca.key" --count "$count" \
		--prefix "$tag-" --concurrency "$LOAD_CONC" "${src[@]}" --hold 1800 --setup-timeout 900 \
		</dev/null >"$PST_TMP/load-$tag.out" 2>"$PST_TMP/load-$tag.err" &
	LOAD_PID=$!
	pst_spawn "$LOAD_PID"
}

load_line() { grep -m 1 "^$2" "$PST_TMP/load-${LOAD_GW:0:2}-$1.out" 2>/dev/null; }
load_settled() { load_line "$1" ready >/dev/null || pst_gone "$2"; }

# load_ready TAG PID: waits (at most 15 min) for the loader's "ready N";
# prints N (0 when it failed).
load_ready() {
	local n
	wait_for 900 load_settled "$1" "$2"
	n=$(load_line "$1" ready | awk '{ print $2 }')
	echo "${n:-0}"
}

# load_tunnels: the tunnels posternd reports (posternctl status's
# "sessions:" line; awk, not a JSON parser, to keep each poll short).
load_tunnels() {
	ctl status 2>/dev/null && awk '/^sessions:/ { print $(NF - 1) }' "$PST_TMP/ctl.out"
}

# load_gw_count: how many tunnels the gateway holds: posternd's status, or
# for ocserv its processes (main, sec-mod, one worker per client).
load_count() {
	if [ "$LOAD_GW" = posternd ]; then
		load_tunnels
	else
		gw_pids | wc -l
	fi
}

load_down_to() { local c; c=$(load_count) && [ "$c" -le "$1" ]; }

# load_probe TAG: LOAD_PROBE set-ups (loader TAG); prints the gateway's CPU
# per connect in ms. The probe's sessions are closed again, and waited for
# (count back to where it was, at most 60 s).
load_probe() {
	local tag=$1 t0 t1 n pid before
	before=$(load_count)
	t0=$(gw_ticks)
	load_start "$tag" "$LOAD_PROBE"
	pid=$LOAD_PID
	n=$(load_ready "$tag" "$pid")
	t1=$(gw_ticks)
	pst_stop_pid "$pid"
	wait_for 60 load_down_to "$before"
	[ "$n" -gt 0 ] || {
		echo "# probe $tag: $(tail -q -n 3 "$PST_TMP/load-${LOAD_GW:0:2}-$tag".{out,err} | tr '\n' ' ')" >&2
		return 1
	}
	ms_per $((t1 - t0)) "$n"
}

# load_holds: the control plane's hold histogram from posternd's /metrics
# (postern_control_hold_duration_seconds): "BOUND COUNT" lines, cumulative.
load_holds() {
	pst_in gw curl -sS --max-time 5 "http://$LOAD_METRICS/metrics" 2>/dev/null |
		awk -F'[{}" ]+' '/^postern_control_hold_duration_seconds_bucket/ { print $3, $NF }'
}

# load_hold_max BEFORE AFTER: of the holds between two load_holds, how many
# and the bucket the longest fell in ("12 holds, the longest <= 0.0025 s").
load_hold_max() {
	awk 'NR == FNR { was[$1] = $2; next }
		{ n++; d[n] = $2 - was[$1]; le[n] = $1 }
		END {
			for (i = 1; i <= n; i++)
				if (d[i] == d[n]) { printf "%d %s\n", d[n], le[i]; exit }
			print "0 -"
		}' <(echo "$1") <(echo "$2")
}

# load_gap NAME CMD...: the worst gap between devA's ping replies (every
# 10 ms through its tunnel) while CMD runs, 0.5 s before and after it
# (CMD true: the floor, what the machine's own scheduling gives), and the
# longest time the control plane held every worker meanwhile (its
# histogram's bucket): the gap is bounded below by the machine's own
# scheduling (the floor), the hold is the gateway's part alone.
load_gap() {
	local name=$1 pid out=$PST_TMP/gap.out us h0 h1 hold_n hold_le; shift
	pst_in devA ping -n -D -i 0.01 -W 1 -w 120 "$PST_INT_IP" >"$out" 2>&1 &
	pid=$!
	pst_spawn "$pid"
	sleep 0.5
	CTL_US=0
	h0=$(load_holds)
	"$@"
	h1=$(load_holds)
	us=$CTL_US
	read -r hold_n hold_le <<<"$(load_hold_max "$h0" "$h1")"
	sleep 0.5
	pst_stop_pid "$pid" INT
	LOAD_GAP=$(awk -F'[][]' '/^\[[0-9]+\.[0-9]+\] [0-9]+ bytes from / {
			t = $2 + 0; if (n && t - p > g) g = t - p; p = t; n++ }
		END { if (n < 2) print "no replies"; else printf "%.0f", g * 1000 }' "$out")
	echo "$LOAD_NAME: worst ping gap during $name: $LOAD_GAP ms (the command took $(ms_of "$us"))$(
		[ "$LOAD_GW" = posternd ] &&
			echo "; the control plane held every worker $hold_n times, the longest <= $hold_le s")"
	fig "load N=$LOAD_N: worst ping gap during $name" "$LOAD_GW" "$LOAD_GAP" ms
	[ "$LOAD_GW" = posternd ] && [ "$hold_le" != - ] &&
		fig "load N=$LOAD_N: longest hold of every worker during $name" "$LOAD_GW" \
			"$(awk -v s="$hold_le" 'BEGIN { printf "%g", s * 1000 }')" "ms (bucket bound)"
}

# load_end_all: kills the loader (SIGKILL) and times until only devA's
# tunnel (posternd) or the processes before the load (ocserv) are left,
# polled every 20 ms, at most 120 s.
load_end_all() {
	local floor=$1 t0 tk t1 c0 c1 i cpu
	c0=$(gw_ticks)
	t0=$(us_now)
	kill -KILL "$LOAD_PID" 2>/dev/null
	wait "$LOAD_PID" 2>/dev/null
	tk=$(us_now)
	for ((i = 0; i < 6000; i++)); do
		load_down_to "$floor" && break
		sleep 0.02
	done
	t1=$(us_now)
	c1=$(gw_ticks)
	if load_down_to "$floor"; then
		echo "$LOAD_NAME: all sessions ended at once (loader killed): gone after $(ms_of $((t1 - t0)))" \
			"(the loader's exit, the kernel closing its sockets: $(ms_of $((tk - t0))))"
		fig "load N=$LOAD_N: all sessions end at once" "$LOAD_GW" "$(((t1 - t0) / 1000))" ms
		# ocserv's per-client processes take their CPU time with them.
		[ "$LOAD_GW" = posternd ] || return 0
		cpu=$(awk -v t=$((c1 - c0)) -v n="$LOAD_HELD" -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
		echo "$LOAD_NAME: gateway CPU for the ends: $(ms_per $((c1 - c0)) 1) ms, $cpu us a session"
		fig "load N=$LOAD_N: gateway CPU per session ended" "$LOAD_GW" "$cpu" us
	else
		echo "$LOAD_NAME: all sessions ended at once: still $(load_count) after 120 s"
		fig "load N=$LOAD_N: all sessions end at once" "$LOAD_GW" "not in 120 s" ""
	fi
}

# load_ramp: N set-ups from nothing held; set-up rate, CPU per connect,
# memory per session. Returns non-zero when no session came up.
load_ramp() {
	local t0 t1 m0 m1 n line
	m0=$($LOAD_MEM)
	LOAD_RSS0=$(rss_each)
	t0=$(gw_ticks)
	load_start "n$LOAD_N" "$LOAD_N"
	n=$(load_ready "n$LOAD_N" "$LOAD_PID")
	t1=$(gw_ticks)
	m1=$($LOAD_MEM)
	[ "$LOAD_GW" = posternd ] && echo "$LOAD_NAME: RSS by process (PID:KiB) before $LOAD_RSS0, with N held $(rss_each)"
	sed 's/^/# loader: /' "$PST_TMP/load-${LOAD_GW:0:2}-n$LOAD_N".{out,err} | head -n 6
	[ "$n" -gt 0 ] || return 1
	LOAD_HELD=$n
	line=$(load_line "n$LOAD_N" setup)
	echo "$LOAD_NAME: $n sessions set up, $LOAD_CONC in flight: $(awk '{ print $8 }' <<<"$line") per second;" \
		"gateway CPU $(ms_per $((t1 - t0)) "$n") ms per connect; memory $(((m1 - m0) / n)) KiB per idle session" \
		"($m0 -> $m1 KiB)"
	fig "load N=$LOAD_N: sessions held" "$LOAD_GW" "$n" ""
	fig "load N=$LOAD_N: set-ups per second" "$LOAD_GW" "$(awk '{ print $8 }' <<<"$line")" /s
	fig "load N=$LOAD_N: CPU per connect, ramp 0 -> N" "$LOAD_GW" "$(ms_per $((t1 - t0)) "$n")" ms
	fig "load N=$LOAD_N: memory per idle session (posternd RSS, ocserv PSS)" "$LOAD_GW" \
		$(((m1 - m0) / n)) KiB
}

# load_idle_cpu: the gateway's CPU over 5 s with the sessions idle.
load_idle_cpu() {
	local t0 t1
	t0=$(gw_ticks)
	sleep 5
	t1=$(gw_ticks)
	echo "$LOAD_NAME: gateway CPU with $LOAD_HELD idle sessions: $(ms_per $((t1 - t0)) 5) ms per second"
	fig "load N=$LOAD_N: CPU while idle (keepalives every 20 s)" "$LOAD_GW" "$(ms_per $((t1 - t0)) 5)" "ms/s"
}

load_probes() {
	local at0=$1 atn=$2
	echo "$LOAD_NAME: gateway CPU per connect ($LOAD_PROBE set-ups): ${atn:-?} ms with N held," \
		"${at0:-?} ms with none held" \
		"$([ -n "$at0" ] && [ -n "$atn" ] && awk -v a="$atn" -v b="$at0" 'BEGIN { printf "(%+.0f %%)", (a / b - 1) * 100 }')"
	fig "load N=$LOAD_N: CPU per connect with N held" "$LOAD_GW" "${atn:-failed}" ms
	fig "load N=$LOAD_N: CPU per connect with none held" "$LOAD_GW" "${at0:-failed}" ms
}

# load_posternd N
load_posternd() {
	local atn at0
	LOAD_GW=posternd LOAD_N=$1 LOAD_NAME="posternd, N=$1" LOAD_MEM=rss_kb
	ops_policy >"$PST_TMP/load-policy.conf"
	pst_gw_conf pool="$LOAD_POOL" max-clients=$((LOAD_N + LOAD_PROBE + 64)) dpd=300 \
		policy="$PST_TMP/load-policy.conf" control-socket=control.sock \
		metrics-listen="$LOAD_METRICS"
	if ! pst_gw_start || ! wait_for 5 [ -S "$PST_TMP/control.sock" ]; then
		echo "$LOAD_NAME: posternd did not start"
		return 1
	fi
	pst_connect devA devA || echo "$LOAD_NAME: devA did not connect (no ping gaps)"
	if load_ramp; then
		load_idle_cpu
		atn=$(load_probe "p$LOAD_N")
		if pst_tunnel_ready devA; then
			load_gap "no command (the floor)" true
			load_gap "posternctl reload" ctl reload
			echo "$LOAD_NAME: the reload re-evaluated: $(tail -n 1 "$PST_TMP/ctl.out")"
			load_gap "posternctl --json sessions" ctl --json sessions
		fi
		load_end_all 1
		# A second for the ends' aftermath (closes, log lines) to settle
		# before the probe with none held.
		sleep 1
		at0=$(load_probe "z$LOAD_N")
		load_probes "$at0" "$atn"
	else
		echo "$LOAD_NAME: no session came up: $(tail -n 3 "$PST_GW_LOG" | tr '\n' ' ')"
		pst_stop_pid "$LOAD_PID"
	fi
	pst_disconnect devA
	gw_log_check "$LOAD_NAME"
	pst_gw_stop >/dev/null
}

# load_ocserv N
load_ocserv() {
	local atn at0 floor
	LOAD_GW=ocserv LOAD_N=$1 LOAD_NAME="ocserv, N=$1" LOAD_MEM=pss_kb
	if ! OC_POOL_NET=198.18.128.0 OC_POOL_MASK=255.255.128.0 ocserv_start; then
		echo "$LOAD_NAME: ocserv did not start: $(tail -n 3 "$PST_GW_LOG" | tr '\n' ' ')"
		return 1
	fi
	pst_connect devA devA || echo "$LOAD_NAME: devA did not connect (no ping gap)"
	floor=$(gw_pids | wc -l)
	at0=$(load_probe "y$LOAD_N")
	if load_ramp; then
		load_idle_cpu
		pst_tunnel_ready devA && load_gap "no command (the floor)" true
		atn=$(load_probe "q$LOAD_N")
		load_end_all "$floor"
		load_probes "$at0" "$atn"
	else
		echo "$LOAD_NAME: no session came up: $(tail -n 3 "$PST_GW_LOG" | tr '\n' ' ')"
		pst_stop_pid "$LOAD_PID"
	fi
	pst_disconnect devA
	pst_stop_pid "$PST_GW_PID"
	PST_GW_PID=
}

# load_counts: LOAD_COUNTS, BENCH_N with any count RLIMIT_NOFILE cannot
# hold replaced by the largest it can (once), and the reason printed.
load_counts() {
	local hard max n seen=
	LOAD_COUNTS=()
	hard=$(ulimit -Hn)
	ulimit -Sn "$hard" 2>/dev/null
	max=$((hard - LOAD_PROBE - 200))
	for n in ${BENCH_N:-1000 10000 50000}; do
		if [ "$hard" != unlimited ] && [ "$n" -gt "$max" ]; then
			echo "N=$n: not run, RLIMIT_NOFILE hard cap $hard (posternd holds a descriptor per" \
				"session in one process, and so does the loader); N=$max is the largest run"
			fig "load N=$n" posternd "not run" "RLIMIT_NOFILE hard cap $hard"
			n=$max
			[ -n "$seen" ] && continue
			seen=1
		fi
		LOAD_COUNTS+=("$n")
	done
}

load_run() {
	local n
	[ -x "$LOAD_BIN" ] || { echo "# load: $LOAD_BIN is not built (make build/tests/loadgen): not run"; return 0; }
	load_net || { echo "# load: could not add the loader's namespace: not run"; return 0; }
	load_counts
	echo "# many sessions: posternd at N = ${LOAD_COUNTS[*]}, $LOAD_CONC set-ups in flight," \
		"probes of $LOAD_PROBE set-ups"
	for n in "${LOAD_COUNTS[@]}"; do
		load_posternd "$n"
	done
	command -v ocserv >/dev/null || return 0
	for n in ${BENCH_OC_N:-1000}; do
		load_ocserv "$n"
	done
	echo "ocserv: N=10000 and more not run: it forks a worker process per client and its main" \
		"process keeps a descriptor per worker (RLIMIT_NOFILE $(ulimit -Hn))"
}
