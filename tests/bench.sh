#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench`: measures the gateway in the integration tests' topology
# (tests/integration/lib.sh draws it), with the stock openconnect client and
# real TLS. Figures, never assertions: it prints them and exits 0 unless a
# step could not run at all.
#
# For each gateway (posternd, and ocserv when it is installed, configured
# alike: certificate auth, CSTP over TLS only, same pool and route):
#   1. one TCP stream device -> internal host through the tunnel, as MiB/s
#      and as a ratio of the same stream routed without a VPN (baseline),
#      and the ping round trip both ways;
#   2. the gateway's CPU time per GiB carried, and the client's, from /proc
#      (summed over all the gateway's processes; independent of load);
#   3. two devices at once through the tunnel;
#   3b. start to first ping: the stock client with its defaults and
#      vpnc-script, from its start to the first ping through the tunnel;
#   4. tunnels set up one after another (two TLS handshakes, auth, CONNECT)
#      for BENCH_SESSIONS devices, and the gateway's resident memory per
#      idle tunnel with all of them open (proportional set size, summed
#      over its processes).
# And what posture costs on posternd: logins (openconnect --authenticate)
# one after another without a policy and with one that requires the agent
# (host-scan challenge, the agent's TLS report, the decision, the audit
# record), and 1-3 again with every packet checked against a 16-network
# profile whose matching network is the last.
#
# Last, the live operations on posternd with BENCH_SESSIONS tunnels held
# open (sessions.py; a policy with agent = "optional" under which they are
# allowed on their certificate, and the control socket), each as the wall
# time of a whole posternctl run (posternctl status, the smallest request,
# is printed as the floor):
#   5. posternctl reload when no session's verdict changes (median of 5);
#   6. posternctl policy-diff of a stricter policy (require-mdm, which none
#      of them meets) and how many sessions it reports would change;
#   7. posternctl reload with that policy, moving every session to
#      quarantine in place: its time, the "re-evaluated" lines (expect N),
#      the "tunnel up" lines before and after (expect no new one) and the
#      sessions by verdict;
#   8. posternctl --json sessions: time (median of 5) and output size;
#   9. revocation: postern-ca revoke of three held devices one after
#      another, each the command's own time (the CRL rebuilt) and the time
#      from its return to the gateway's "session end ... certificate
#      revoked" line, polled every 15 ms. The gateway checks its CRL file
#      once a second, so expect 0-1 s plus the rebuild.
# It runs after ocserv: the revocations leave bench devices unusable.
#
# The data path (tests/bench/dataplane.sh, part "dataplane"): iperf3 with 1,
# 2 and 4 devices at once, TLS only and DTLS, a 1 % lossy client link, the
# gateway's CPU per GiB and cores per Gbit/s, UDP receive errors and start
# to first ping, for posternd and ocserv alike.
#
# Many sessions (tests/bench/load.sh, part "load"): our load generator
# (tests/bench/loadgen.c, one certificate per device) holding N tunnels:
# set-ups per second, gateway CPU per connect with N held and with none,
# memory per idle session, the worst ping gap of a real tunnel during a
# reload and a control command, and the time for all N to end at once;
# ocserv at N = 1000 (it forks a process per client).
#
# Every figure also goes to a final side-by-side table: posternd, ocserv
# and their ratio (posternd / ocserv) where ocserv ran the same measurement.
#
# Environment:
#   BENCH_PARTS     sections to run, any of "base dataplane load report ops"
#                   (default all five; base = 1-4 and posture, ops = 5-9,
#                   report = postern-posture report on 1 M audit lines)
#   BENCH_MB        MiB per transfer in base (default 200)
#   BENCH_SESSIONS  tunnels held by sessions.py in base and ops (default
#                   200, at most 250: that pool is a /24)
#   BENCH_LOGINS    logins one after another (default 20)
#   BENCH_SECS      seconds per iperf3 run (default 5)
#   BENCH_LOSSY_SECS seconds of the lossy-link run (default 10)
#   BENCH_N         session counts of the load part (default "1000 10000
#                   50000"; a count RLIMIT_NOFILE cannot hold is reported
#                   as not run and the largest possible is run instead)
#   BENCH_OC_N      session counts for ocserv (default 1000)
#   BENCH_PROBE     set-ups timed at N held and at none (default 500)
#   BENCH_CONC      the load generator's set-ups in flight (default 64)
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/integration/lib.sh"
# shellcheck source=tests/bench/dataplane.sh
. "$(dirname "$0")/bench/dataplane.sh"
# shellcheck source=tests/bench/load.sh
. "$(dirname "$0")/bench/load.sh"

MB=${BENCH_MB:-200}
SESSIONS=${BENCH_SESSIONS:-200}
LOGINS=${BENCH_LOGINS:-20}
PARTS=" ${BENCH_PARTS:-base dataplane load report ops} "

# part NAME: NAME is among the sections to run.
part() { [[ $PARTS == *" $1 "* ]]; }

# fig NAME GATEWAY VALUE UNIT: one figure for the final table (GATEWAY:
# posternd or ocserv; VALUE a number, or words when it was not measured).
fig() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$PST_TMP/figures.tsv"; }
# base_fig NAME VALUE UNIT: a figure of the base part, for the gateway
# BENCH_GW (none: the variant is not compared, e.g. with a policy).
base_fig() { [ -z "${BENCH_GW:-}" ] || fig "base: $1" "$BENCH_GW" "$2" "$3"; }

# fig_table: every figure in the order first measured, posternd beside
# ocserv, with the ratio posternd / ocserv when both are numbers.
fig_table() {
	[ -s "$PST_TMP/figures.tsv" ] || return 0
	echo
	echo "# side by side (ratio = posternd / ocserv; - = not measured)"
	python3 - "$PST_TMP/figures.tsv" <<-'PY'
	import sys
	rows, order = {}, []
	for line in open(sys.argv[1]):
	    name, gw, value, unit = line.rstrip("\n").split("\t")
	    if name not in rows:
	        rows[name] = {"unit": unit}
	        order.append(name)
	    rows[name][gw] = value
	def num(v):
	    try:
	        return float(v)
	    except (TypeError, ValueError):
	        return None
	w = max(len(n) for n in order)
	print("%-*s  %14s  %14s  %7s  %s" % (w, "figure", "posternd", "ocserv", "ratio", "unit"))
	for n in order:
	    r = rows[n]
	    p, o = r.get("posternd", "-"), r.get("ocserv", "-")
	    ratio = "-"
	    if num(p) is not None and num(o):
	        ratio = "%.2f" % (num(p) / num(o))
	    print("%-*s  %14s  %14s  %7s  %s" % (w, n, p, o, ratio, r["unit"]))
	PY
}

now_ms() { date +%s%3N; }
rate() { awk -v mb="$1" -v ms="$2" 'BEGIN { printf "%.1f MiB/s", mb / (ms / 1000) }'; }

# The gateway's processes: everything running in the gateway namespace.
gw_pids() { ip netns pids "$(pst_ns gw)"; }
# gw_ticks: the CPU ticks of all the gateway's processes, with those of
# their children that ended and were reaped (utime + stime + cutime +
# cstime): ocserv forks a worker per client, and a worker that exits during
# a measurement takes its CPU time into its parent's cutime, not away.
gw_ticks() {
	local pid sum=0 t
	for pid in $(gw_pids); do
		t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat" 2>/dev/null) && sum=$((sum + t))
	done
	echo "$sum"
}
cpu_ticks() {
	local pid sum=0 t
	for pid in "$@"; do
		t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) && sum=$((sum + t))
	done
	echo "$sum"
}
# Proportional set size: pages shared between processes (ocserv forks a
# worker per client) are divided among them instead of counted in each.
pss_kb() {
	local pid sum=0 r
	for pid in $(gw_pids); do
		r=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null) && sum=$((sum + ${r:-0}))
	done
	echo "$sum"
}
cpu_per_gib() {
	awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v mb="$MB" \
		'BEGIN { printf "%.2f s", t / hz / (mb / 1024) }'
}

# gw_log_check NAME: posternd's warnings and errors, shown (but not its
# notes that it suppressed log lines: logins that end by closing their
# connection are logged at a limited rate).
gw_log_check() {
	local n pat='posternd: (warning|error|fatal|crit)'
	n=$(grep -E "$pat" "$PST_GW_LOG" | grep -vc 'lines about .* suppressed')
	[ "$n" -gt 0 ] || return 0
	echo "# $1: $n warning/error lines in posternd's log, the first 5:"
	grep -E "$pat" "$PST_GW_LOG" | grep -v 'lines about .* suppressed' | head -n 5 | sed 's/^/#   /'
}

# rtt DEV: average round trip of 20 pings to the internal host.
rtt() {
	pst_in "$1" ping -n -q -c 20 -i 0.05 -W 2 "$PST_INT_IP" 2>/dev/null |
		awk -F/ '/^rtt/ { printf "%.3f ms", $5 }'
}

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

# ocserv configured like posternd: certificate auth (CN = user), no UDP
# (so no DTLS) unless OC_UDP is set (then DTLS on the TCP port's number),
# the same pool (OC_POOL_NET/OC_POOL_MASK, default the /24) and split
# route, no rate limit or bans that would throttle one client address
# opening many sessions.
ocserv_start() {
	local conf=$PST_TMP/ocserv.conf
	# Its workers run as nobody and must reach the sec-mod socket in here.
	chmod 711 "$PST_TMP"
	cat >"$conf" <<-EOF
	auth = "certificate"
	listen-host = $PST_GW_IP
	tcp-port = $PST_PORT
	${OC_UDP:+udp-port = $PST_PORT}
	socket-file = $PST_TMP/ocserv.sock
	pid-file = $PST_TMP/ocserv.pid
	run-as-user = nobody
	run-as-group = nogroup
	server-cert = $PST_TMP/pki/server.crt
	server-key = $PST_TMP/pki/server.key
	ca-cert = $PST_TMP/pki/ca.crt
	crl = $PST_TMP/pki/crl.pem
	cert-user-oid = 2.5.4.3
	isolate-workers = false
	max-clients = 0
	max-same-clients = 0
	rate-limit-ms = 0
	max-ban-score = 0
	use-occtl = false
	keepalive = 20
	dpd = 30
	mobile-dpd = 30
	try-mtu-discovery = false
	cookie-timeout = 300
	auth-timeout = 240
	device = vpns
	predictable-ips = true
	ipv4-network = ${OC_POOL_NET:-198.18.100.0}
	ipv4-netmask = ${OC_POOL_MASK:-255.255.255.0}
	route = 198.18.2.0/255.255.255.0
	mtu = 1400
	cisco-client-compat = false
	dtls-legacy = false
	EOF
	PST_GW_LOG=$PST_TMP/ocserv.log
	ip netns exec "$(pst_ns gw)" ocserv ${OCSERV_DEBUG:-} -f -c "$conf" </dev/null >"$PST_GW_LOG" 2>&1 &
	PST_GW_PID=$!
	pst_spawn "$PST_GW_PID"
	wait_for 10 gw_listening
}

gw_listening() { pst_in gw ss -Hltn "sport = :$PST_PORT" | grep -q .; }

posternd_start() {
	pst_gw_conf max-clients=1024
	pst_gw_start
}

# measure NAME: the four measurements against the gateway now running; the
# memory first, while the gateway has carried no traffic yet.
measure() {
	local name=$1 direct_ms=$2
	measure_sessions "$name" && connect_time "$name" && measure_traffic "$name" "$direct_ms"
}

# connect_time NAME: the stock client as a user runs it (its defaults, DTLS
# not turned off, Debian's vpnc-script), from its start to the first ping
# answered through the tunnel, polled every 10 ms; median of 5 connects.
connect_time() {
	local name=$1 i k t0 t1 pid ms=()
	for ((i = 0; i < 5; i++)); do
		t0=$(now_ms)
		ip netns exec "$(pst_ns devA)" openconnect --non-inter --no-passwd -c "$(pst_cert devA)" \
			-k "$(pst_key devA)" --cafile "$PST_TMP/pki/ca.crt" -i vpn0 \
			"https://$PST_GW_IP/" </dev/null >>"$PST_TMP/connect-time.log" 2>&1 &
		pid=$!
		pst_spawn "$pid"
		for ((k = 0; k < 1000; k++)); do
			pst_in devA ping -n -q -c 1 -W 0.01 "$PST_INT_IP" >/dev/null 2>&1 && break
		done
		t1=$(now_ms)
		pst_stop_pid "$pid"
		wait_for 10 pst_gone "$pid"
		[ "$k" -lt 1000 ] || { echo "$name: connect $i: no ping through the tunnel"; return 1; }
		ms+=($((t1 - t0)))
	done
	echo "$name: start to first ping through the tunnel (stock client, vpnc-script):" \
		"median $(median_us "${ms[@]}") ms of 5 (${ms[*]})"
	base_fig "start to first ping, client defaults" "$(median_us "${ms[@]}")" ms
}

measure_sessions() {
	local name=$1 rss0 rss1
	rss0=$(pss_kb)
	hold_open "$name"
	rss1=$(pss_kb)
	if [ "$HOLD_N" -gt 0 ]; then
		echo "$name: memory $rss0 KiB idle, $rss1 KiB with $HOLD_N tunnels:" \
			"$(((rss1 - rss0) / HOLD_N)) KiB per tunnel"
		base_fig "memory per idle tunnel (PSS, up to $SESSIONS held)" $(((rss1 - rss0) / HOLD_N)) KiB
	fi
	hold_close
	return 0
}

# hold_open NAME: sessions.py opens SESSIONS tunnels from devA's netns, one
# after another, and holds them (idle, never reading) until hold_close;
# prints its set-up line. Sets HOLD_N, the number of tunnels held (0 when
# none), and returns non-zero when it is 0.
hold_open() {
	local name=$1 line
	HOLD_N=0
	coproc HOLD { pst_in devA python3 "$PST_ROOT/tests/bench/sessions.py" --host "$PST_GW_IP" \
		--cafile "$PST_TMP/pki/ca.crt" --certs "$PST_TMP/bench-certs" --count "$SESSIONS" 2>&1; }
	HOLD_PROC=$HOLD_PID
	pst_spawn "$HOLD_PROC"
	while read -r -t 120 line <&"${HOLD[0]}"; do
		case "$line" in
		tunnels*)
			echo "$name: tunnel set-up, one after another: ${line#tunnels }"
			base_fig "tunnel set-ups per second, one after another (sessions.py)" \
				"$(awk '{ print $5 }' <<<"${line#tunnels }")" "/s"
			;;
		ready*) HOLD_N=${line#ready }; break ;;
		*) echo "# $name: $line" ;;
		esac
	done
	[ "$HOLD_N" -gt 0 ] 2>/dev/null || { HOLD_N=0; return 1; }
}

# hold_close: sessions.py closes its tunnels and exits (ended by its PID
# when it has not within 10 s, e.g. still setting up after a time-out).
hold_close() {
	[ -n "${HOLD[1]:-}" ] && exec {HOLD[1]}>&-
	wait_for 10 pst_gone "$HOLD_PROC" || pst_stop_pid "$HOLD_PROC"
	wait "$HOLD_PROC" 2>/dev/null
	return 0
}

# bench_connect DEV: connects DEV (certificate DEV), with our agent as CSD
# wrapper reporting compliant facts when BENCH_POSTURE is set.
bench_connect() {
	if [ -n "${BENCH_POSTURE:-}" ]; then
		pst_posture_connect "$1" "$1" "$PST_FIXTURES/compliant.facts" "$PST_INT_NET"
	else
		pst_connect "$1" "$1"
	fi
}

# logins NAME [openconnect options]: BENCH_LOGINS logins of devA one after
# another, each a whole openconnect --authenticate run (process start, TLS,
# auth, and with a CSD wrapper the posture exchange); median and p95.
logins() {
	local name=$1 i t0 t1 ms=(); shift
	for ((i = 0; i < LOGINS; i++)); do
		t0=$(now_ms)
		pst_in devA env "${PST_OC_ENV[@]}" openconnect --authenticate --non-inter --no-passwd \
			-c "$(pst_cert devA)" -k "$(pst_key devA)" --cafile "$PST_TMP/pki/ca.crt" "$@" \
			"https://$PST_GW_IP/" >/dev/null 2>&1 || { echo "$name: login $i failed"; return 1; }
		t1=$(now_ms)
		ms+=($((t1 - t0)))
	done
	printf '%s\n' "${ms[@]}" | sort -n | awk -v name="$name" -v n="$LOGINS" '
		{ v[NR] = $1 }
		END { printf "%s: %d logins one after another: median %d ms, p95 %d ms\n",
			name, n, v[int((n + 1) / 2)], v[int(n * 0.95 + 0.5)] }'
}

# A policy like a site's: the internal profile lists 16 networks, the one
# the benchmark uses last, so every packet walks the whole list.
bench_policy() {
	local i nets=""
	for i in $(seq 10 24); do
		nets="$nets\"198.19.$i.0/24\", "
	done
	cat <<-EOF
	quarantine-profile = "remediation"
	agent = "required"
	profile internal { allow = { $nets"$PST_INT_NET" } }
	profile remediation { allow = { "$PST_REM_NET" } }
	platform linux { min-version = "12" }
	rule corporate {
		ownership = "corporate"
		require-mdm = true
		require-passcode = true
		deny-rooted = true
		action = "allow"
		profile = "internal"
	}
	EOF
}

measure_traffic() {
	local name=$1 direct_ms=$2 ticks0 ticks1 oc0 oc1 tunnel_ms t0 t1 a b
	bench_connect devA || {
		echo "$name: devA did not connect"
		tail -n 15 "$PST_GW_LOG" "${PST_OC_LOG[devA]}"
		return 1
	}
	echo "$name: ping round trip through the tunnel: $(rtt devA) (direct: $direct_rtt)"
	ticks0=$(gw_ticks) oc0=$(cpu_ticks "${PST_OC_PID[devA]}")
	tunnel_ms=$(transfer "$name-tunnel" devA) || { echo "$name: transfer failed"; return 1; }
	ticks1=$(gw_ticks) oc1=$(cpu_ticks "${PST_OC_PID[devA]}")
	echo "$name: one stream through the tunnel: $(rate "$MB" "$tunnel_ms")," \
		"$(awk -v d="$direct_ms" -v t="$tunnel_ms" 'BEGIN { printf "%.2f", d / t }') of direct"
	echo "$name: gateway CPU per GiB carried: $(cpu_per_gib $((ticks1 - ticks0)))" \
		"(openconnect client: $(cpu_per_gib $((oc1 - oc0))))"
	base_fig "one stream, TLS only (xfer.py)" "$(rate "$MB" "$tunnel_ms" | cut -d' ' -f1)" MiB/s
	base_fig "gateway CPU per GiB, one stream, TLS only" \
		"$(cpu_per_gib $((ticks1 - ticks0)) | cut -d' ' -f1)" s

	bench_connect devB || { echo "$name: devB did not connect"; return 1; }
	t0=$(now_ms)
	transfer "$name-a" devA >/dev/null &
	a=$!
	transfer "$name-b" devB >/dev/null &
	b=$!
	wait "$a" && wait "$b" || { echo "$name: two transfers failed"; return 1; }
	t1=$(now_ms)
	echo "$name: two devices at once: $(rate $((2 * MB)) $((t1 - t0))) aggregate"
	base_fig "two devices at once, TLS only (xfer.py)" "$(rate $((2 * MB)) $((t1 - t0)) | cut -d' ' -f1)" MiB/s
	pst_disconnect devA
	pst_disconnect devB
}

# ---- live operations on posternd with SESSIONS tunnels held open

# us_now: microseconds since the epoch, without a fork (bash 5).
us_now() { echo "${EPOCHREALTIME/[.,]/}"; }
ms_of() { awk -v us="$1" 'BEGIN { printf "%.1f ms", us / 1000 }'; }
# median_us US...: the median of the numbers given.
median_us() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ctl [posternctl options...] COMMAND [ARG]: one posternctl run on the
# control socket (at most 60 s), output in $PST_TMP/ctl.out and ctl.err.
# Sets CTL_US, its wall time in microseconds; returns its exit status.
ctl() {
	local t0 rc
	t0=$(us_now)
	timeout 60 "$PST_BUILD/posternctl" -s "$PST_TMP/control.sock" "$@" \
		>"$PST_TMP/ctl.out" 2>"$PST_TMP/ctl.err" </dev/null
	rc=$?
	CTL_US=$(($(us_now) - t0))
	[ "$rc" -eq 0 ] || echo "# posternctl $* -> exit $rc: $(head -c 300 "$PST_TMP/ctl.err")" >&2
	return "$rc"
}

# ctl_median TIMES [posternctl arguments...]: TIMES runs; prints the median
# wall time in microseconds (nothing when a run failed).
ctl_median() {
	local times=$1 i us=(); shift
	for ((i = 0; i < times; i++)); do
		ctl "$@" || return 1
		us+=("$CTL_US")
	done
	median_us "${us[@]}"
}

# ops_policy [stricter]: the policy of this section. agent = "optional", so
# sessions.py's tunnels, which run no CSD wrapper, get a session on their
# certificate (bench-*: group default, corporate) and what the client says
# of itself (device-id linux-64: os.name linux). The stricter one requires
# MDM enrollment, which nothing states here (no agent, no inventory): every
# session would move to quarantine, in place.
ops_policy() {
	cat <<-EOF
	quarantine-profile = "remediation"
	agent = "optional"
	profile internal { allow = { "$PST_INT_NET" } }
	profile remediation { allow = { "$PST_REM_NET" } }
	platform linux { }
	rule bench {
		group = "default"
		ownership = "corporate"
		${1:+require-mdm = true}
		action = "allow"
		profile = "internal"
	}
	EOF
}

# status_counts: "A allow, Q quarantine, T tunnels" from posternctl status.
status_counts() {
	ctl --json status && python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))["sessions"]
print("%d allow, %d quarantine, %d tunnels" % (d["allow"], d["quarantine"], d["tunnels"]))' \
		"$PST_TMP/ctl.out" 2>/dev/null
}

# revoke_latency DEV: postern-ca revoke of DEV, a device with a live
# tunnel; prints how long the command took (CRL rebuilt and renamed over
# crl.pem) and the time from its return to the gateway's "session end
# device=DEV ...certificate revoked" line (polled every 15 ms, at most 10 s).
revoke_latency() {
	local dev=$1 t0 t1 now out i seen=
	t0=$(us_now)
	out=$("$PST_BUILD/postern-ca" revoke --dir "$PST_TMP/pki" --device "$dev" 2>&1) || {
		echo "$OPS_NAME: postern-ca revoke $dev failed: $out"
		return 1
	}
	t1=$(us_now)
	for ((i = 0; i < 700; i++)); do
		now=$(us_now)
		if pst_log_has "session end device=$(re "$dev") .*certificate revoked"; then
			seen=$now
			break
		fi
		[ $((now - t1)) -gt 10000000 ] && break
		sleep 0.015
	done
	if [ -n "$seen" ]; then
		echo "$OPS_NAME: revocation of $dev: postern-ca revoke took $(ms_of $((t1 - t0)))," \
			"session end logged $(ms_of $((seen - t1))) after it returned"
	else
		echo "$OPS_NAME: revocation of $dev: postern-ca revoke took $(ms_of $((t1 - t0)))," \
			"no session end logged within 10 s"
	fi
}

# measure_ops: posternd with a policy and its control socket, SESSIONS
# tunnels held by sessions.py, then reload, policy-diff, sessions and
# revocation timed against them. DPD is 300 s: sessions.py never answers
# one, and at 30 s the gateway would end its tunnels after 60 s of silence.
measure_ops() {
	local policy=$PST_TMP/ops-policy.conf strict=$PST_TMP/ops-stricter.conf n us ups0 ups1 reev
	local ended0 ended1 count i devs=() all
	OPS_NAME="posternd, $SESSIONS live tunnels"
	ops_policy >"$policy"
	ops_policy stricter >"$strict"
	pst_gw_conf max-clients=1024 dpd=300 policy="$policy" control-socket=control.sock
	if ! pst_gw_start || ! wait_for 5 [ -S "$PST_TMP/control.sock" ]; then
		echo "$OPS_NAME: posternd with a control socket did not start"
		return 1
	fi
	if ! hold_open "$OPS_NAME"; then
		echo "$OPS_NAME: no tunnel came up: $(tail -n 3 "$PST_GW_LOG" | tr '\n' ' ')"
		hold_close
		pst_gw_stop >/dev/null
		return 1
	fi
	n=$HOLD_N
	OPS_NAME="posternd, $n live tunnels"
	echo "$OPS_NAME: status: $(status_counts)"

	# 5. A reload that changes no verdict (and the floor: status, the smallest request).
	us=$(ctl_median 5 status) &&
		echo "$OPS_NAME: posternctl status: median $(ms_of "$us") of 5 (the floor)"
	reev=$(pst_log_count "re-evaluated ")
	us=$(ctl_median 5 reload) &&
		echo "$OPS_NAME: posternctl reload, no verdict changes: median $(ms_of "$us") of 5" \
			"($(($(pst_log_count "re-evaluated ") - reev)) sessions re-evaluated)"

	# 6. policy-diff of the stricter policy: every session would move.
	if ctl policy-diff "$strict"; then
		count=$(awk '/would change or changed/ { print $1, "would change,", $(NF - 1), "unchanged" }' \
			"$PST_TMP/ctl.out")
		echo "$OPS_NAME: posternctl policy-diff stricter: $(ms_of "$CTL_US"), reports ${count:-nothing}"
	fi

	# 7. reload with it: every session moved to quarantine in place.
	cp "$strict" "$policy"
	ups0=$(pst_log_count "tunnel up device=bench-")
	ended0=$(pst_log_count "session end device=bench-")
	reev=$(pst_log_count "re-evaluated device=bench-")
	if ctl reload; then
		us=$CTL_US
		wait_for 5 pst_log_more "re-evaluated device=bench-.* verdict=quarantine" $((n - 1)) ||
			true
		ups1=$(pst_log_count "tunnel up device=bench-")
		ended1=$(pst_log_count "session end device=bench-")
		echo "$OPS_NAME: posternctl reload, all to quarantine: $(ms_of "$us")," \
			"$(($(pst_log_count "re-evaluated device=bench-") - reev)) re-evaluated lines," \
			"tunnel up lines $ups0 -> $ups1, sessions ended $((ended1 - ended0));" \
			"status: $(status_counts)"
	fi

	# 8. the sessions list.
	us=$(ctl_median 5 --json sessions) &&
		echo "$OPS_NAME: posternctl --json sessions: median $(ms_of "$us") of 5," \
			"$(wc -c <"$PST_TMP/ctl.out") bytes"

	# 9. revocation of three held devices, one after another: the first, the
	# middle and the last that sessions.py opened. Each after a random pause
	# of 0-1 s: started right after the previous one was seen, it would meet
	# the gateway's once-a-second CRL check at the same phase every time.
	all=("$PST_TMP"/bench-certs/*.crt)
	all=("${all[@]##*/}")
	all=("${all[@]%.crt}")
	all=("${all[@]:0:n}")
	devs=("${all[0]}")
	[ "$n" -ge 3 ] && devs+=("${all[$(((n - 1) / 2))]}")
	[ "$n" -ge 2 ] && devs+=("${all[$((n - 1))]}")
	for i in "${devs[@]}"; do
		sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
		revoke_latency "$i"
	done
	echo "$OPS_NAME: after the revocations: status: $(status_counts)"

	hold_close
	pst_gw_stop >/dev/null
}

pst_init
pst_topology "${DP_DEVS[@]}" || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" || pst_bail "pki" "postern-ca failed"
for dev in "${DP_DEVS[@]}"; do
	pst_issue "$PST_TMP/pki" "$dev" || pst_bail "issue" "postern-ca issue failed"
done
if part base || part ops; then
	for i in $(seq -w 1 "$SESSIONS"); do
		"$PST_BUILD/postern-ca" issue --dir "$PST_TMP/pki" --device "bench-$i" --owner bench \
			>/dev/null 2>&1 || pst_bail "issue bench-$i" "postern-ca issue failed"
	done
	mkdir -p "$PST_TMP/bench-certs"
	cp "$PST_TMP"/pki/devices/bench-* "$PST_TMP/bench-certs/"
fi
: >"$PST_TMP/figures.tsv"

echo "# Postern benchmark: parts:$PARTS$MB MiB per transfer, $SESSIONS idle tunnels, $(nproc) cores," \
	"$(openconnect --version 2>/dev/null | head -n 1)"

base_run() {
	pst_make_file "$PST_TMP/blob" "$MB"
	# Baseline: the same path without the tunnel (a plain route via the gateway).
	pst_in devA ip route add "$PST_INT_NET" via "$PST_GW_IP"
	pst_in int ip route add 198.18.0.0/24 via 198.18.2.1
	direct_ms=$(transfer direct devA) || pst_bail "baseline transfer" "failed"
	direct_rtt=$(rtt devA)
	pst_in devA ip route del "$PST_INT_NET" via "$PST_GW_IP"
	echo "baseline: one stream routed without a VPN: $(rate "$MB" "$direct_ms")"

	BENCH_GW=posternd
	posternd_start || pst_bail "posternd starts" "see its log"
	measure posternd "$direct_ms"
	logins "posternd, no policy"
	pst_gw_stop >/dev/null

	bench_policy >"$PST_TMP/bench-policy.conf"
	pst_gw_conf max-clients=1024 policy="$PST_TMP/bench-policy.conf" audit-log="$PST_TMP/audit.log"
	if pst_gw_start; then
		pst_agent_env devA "$PST_FIXTURES/compliant.facts"
		logins "posternd, posture (agent required)" --csd-wrapper "$PST_AGENT"
		PST_OC_ENV=()
		BENCH_GW='' BENCH_POSTURE=1 measure_traffic "posternd, 16-network profile" "$direct_ms"
		pst_gw_stop >/dev/null
	else
		echo "posternd with a policy: did not start"
	fi

	BENCH_GW=ocserv
	if command -v ocserv >/dev/null; then
		if ocserv_start; then
			measure "ocserv $(ocserv -v 2>&1 | awk 'NR == 1 { print $2 }')" "$direct_ms"
			{ pst_stop_pid "$PST_GW_PID"; } 2>/dev/null
		else
			echo "ocserv: did not start: $(tail -n 3 "$PST_GW_LOG" | tr '\n' ' ')"
		fi
		PST_GW_PID=
	else
		echo "# ocserv is not installed: apt-get install ocserv to compare with it"
	fi
	BENCH_GW=
}

part base && base_run
part dataplane && dataplane_run
part load && load_run
# The fleet report over a year of synthetic audit records (no gateway).
part report && { "$(dirname "$0")/bench/report.sh" || echo "fleet report: could not run"; }
# Last: it revokes bench devices, which the runs above could then not use.
if part ops; then
	measure_ops || echo "posternd, live operations: could not run"
fi
fig_table
pst_finish
