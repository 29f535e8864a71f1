# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared code of the network-namespace integration tests (and of tests/demo.sh):
# the topology, a throwaway PKI, the gateway's config and process, stock
# openconnect clients, bounded polling, and "ok - NAME" / "not ok - NAME"
# result lines as tests/run.sh counts them. Source it, call pst_init, then
# pst_finish at the end. Every name carries the run id, so runs never collide.
#
# Topology (NS = pst<pid>-; addresses from 198.18.0.0/15 only):
#
#   outside                          gateway                        inside
#  +--------------------+        +-------------------------+     +------------------------+
#  | NS-devA            |        | NS-gw                   |     | NS-int                 |
#  |  eth0 198.18.0.11 -+--veth--+- v-devA  \              |     |                        |
#  |  vpn0 (openconnect)|        |           br0           |     |                        |
#  +--------------------+        |       198.18.0.1/24     |     |                        |
#  | NS-devB            |        |  posternd :443          |     |                        |
#  |  eth0 198.18.0.12 -+--veth--+- v-devB  /              |     |                        |
#  |  vpn0 (openconnect)|        |  pst0 (TUN) 198.18.100.1+     |                        |
#  +--------------------+        |  int0 198.18.2.1/24 ----+veth-+- eth0 198.18.2.2/24     |
#   (one netns per device,       |  ip_forward=1           |     |  198.18.100.0/24       |
#    eth0 198.18.0.(10+n)/24,    +-------------------------+     |    via 198.18.2.1      |
#    no route to 198.18.2.0/24                                   +------------------------+
#    except the tunnel's)
#
# The VPN pool is 198.18.100.0/24 (the gateway's TUN holds .1, leases start
# at .2) and the only pushed route is 198.18.2.0/24, so a device reaches the
# internal host through the tunnel or not at all; the internal host has no
# route to the outside segment either.
#
# Environment: PST_KEEP=1 keeps the temporary directory (logs, PKI, configs).

PST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PST_BUILD=${PST_BUILD:-$PST_ROOT/build}
PST_HELPERS=$PST_ROOT/tests/integration/helpers
PST_ID=pst$$
PST_GW_IP=198.18.0.1
PST_INT_IP=198.18.2.2
PST_INT_NET=198.18.2.0/24
PST_POOL=198.18.100.0/24
PST_PORT=443
PST_TMP=
PST_NAMESPACES=()
PST_PIDS=()
PST_PASSED=0
PST_FAILED=0
PST_GW_PID=
PST_GW_LOG=
PST_GW_CONF=
PST_GW_POLICY=
PST_ROUTES=$PST_INT_NET
PST_REM_IP=198.18.3.2
PST_REM_NET=198.18.3.0/24
PST_OC_ENV=()
declare -A PST_OC_PID=() PST_OC_LOG=() PST_DEV_NUM=()

# ---------------------------------------------------------------- results

ok() {
	PST_PASSED=$((PST_PASSED + 1))
	echo "ok - $1"
}

# not_ok NAME [WHY...]: a failed assertion; WHY goes to stderr.
not_ok() {
	local name=$1; shift
	PST_FAILED=$((PST_FAILED + 1))
	echo "not ok - $name"
	[ $# -gt 0 ] && echo "    $*" >&2
	return 0
}

# check NAME CMD...: ok when CMD succeeds, not ok otherwise. Returns CMD's status.
check() {
	local name=$1; shift
	if "$@"; then
		ok "$name"
	else
		not_ok "$name" "failed: $*"
		return 1
	fi
}

# pst_bail NAME WHY: a failure that leaves nothing else worth running.
pst_bail() {
	not_ok "$@"
	pst_finish
}

# pst_has_cap N: this shell holds capability number N (CapEff).
pst_has_cap() {
	local eff
	eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
	(( (16#${eff:-0} >> $1) & 1 ))
}
PST_CAP_SYS_PTRACE=19

pst_skip() {
	echo "skipped: $*"
	exit 77
}

pst_finish() {
	# The daemon's own end is part of every test: a clean exit on SIGTERM,
	# and no sanitizer report (make SANITIZE=address,undefined check).
	[ -n "$PST_GW_PID" ] && pst_gw_stop
	echo "# $PST_PASSED passed, $PST_FAILED failed"
	[ "$PST_FAILED" -eq 0 ] && exit 0
	exit 1
}

# ---------------------------------------------------------------- polling

# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds, at most
# SECONDS long. Returns 0 when it succeeded, 1 on time-out.
wait_for() {
	local tries=$(($1 * 10)) i; shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# pst_alive PID: true while PID runs (a zombie counts as gone).
pst_alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

pst_gone() { ! pst_alive "$1"; }

# pst_stop_pid PID [SIGNAL]: signals one of our processes and reaps it,
# escalating to SIGKILL after 5 s.
pst_stop_pid() {
	local pid=$1 sig=${2:-TERM}
	pst_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -"$sig" "$pid" 2>/dev/null
	kill -CONT "$pid" 2>/dev/null
	wait_for 5 pst_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# pst_spawn: remembers $! (call right after starting a background job) so
# that cleanup can end it.
pst_spawn() { PST_PIDS+=("$1"); }

# re STRING: STRING with ERE metacharacters escaped, for log patterns.
re() { printf '%s' "$1" | sed 's/[][\.*^$()+?{}|/]/\\&/g'; }

# ---------------------------------------------------------------- setup and cleanup

pst_init() {
	[ "$(id -u)" -eq 0 ] || pst_skip "network namespace tests need root"
	local t
	for t in ip openconnect python3 nc timeout sha256sum ss ping; do
		command -v "$t" >/dev/null || pst_skip "$t is not installed (run make deps)"
	done
	[ -x /usr/share/vpnc-scripts/vpnc-script ] || pst_skip "vpnc-scripts is not installed (run make deps)"
	[ -c /dev/net/tun ] || pst_skip "/dev/net/tun is missing"
	PST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/postern-it.XXXXXX") || pst_skip "mktemp failed"
	trap pst_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	ip netns add "$PST_ID-probe" 2>/dev/null || pst_skip "ip netns does not work here"
	ip netns del "$PST_ID-probe"
	[ -x "$PST_BUILD/posternd" ] && [ -x "$PST_BUILD/postern-ca" ] ||
		pst_bail "programs are built" "build/posternd or build/postern-ca is missing: run make"
}

pst_cleanup() {
	local rc=$? pid ns
	# Disarmed first: bash would otherwise run this trap again in every
	# command substitution forked from here.
	trap - EXIT
	for pid in "${PST_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		kill -CONT "$pid" 2>/dev/null
	done
	for pid in "${PST_PIDS[@]}"; do
		wait_for 5 pst_gone "$pid" || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# Anything still inside our namespaces was started by this run
	# (e.g. a child of a helper): end it by its id before deleting them.
	for ns in "${PST_NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for ns in "${PST_NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$PST_FAILED" -gt 0 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; }; then
		pst_dump_logs >&2
	fi
	if [ -n "$PST_TMP" ]; then
		if [ "${PST_KEEP:-0}" = 1 ]; then
			echo "# kept $PST_TMP" >&2
		else
			rm -rf "$PST_TMP"
		fi
	fi
	exit "$rc"
}

# Shows what the clients and the daemon said, for a failing run; the
# gateway's log comes last, as tests/run.sh shows the tail of the output.
pst_dump_logs() {
	local f
	for f in "${PST_OC_LOG[@]}"; do
		[ -f "$f" ] || continue
		echo "--- $(basename "$f") (last 8 lines)"
		tail -n 8 "$f"
	done
	if [ -n "$PST_GW_LOG" ] && [ -f "$PST_GW_LOG" ]; then
		echo "--- gateway log (last 40 lines)"
		tail -n 40 "$PST_GW_LOG"
	fi
}

# ---------------------------------------------------------------- topology

pst_ns() { printf '%s-%s' "$PST_ID" "$1"; }

# pst_in NAME CMD...: runs CMD inside our namespace NAME (gw, int, devA ...).
pst_in() {
	local ns; ns=$(pst_ns "$1"); shift
	ip netns exec "$ns" "$@"
}

pst_netns_add() {
	local ns; ns=$(pst_ns "$1")
	ip netns add "$ns" || return 1
	PST_NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
}

# pst_topology DEV...: the gateway, the internal host and one netns per device.
pst_topology() {
	local gw int dev
	gw=$(pst_ns gw) int=$(pst_ns int)
	pst_netns_add gw && pst_netns_add int || return 1
	ip -n "$gw" link add br0 type bridge &&
		ip -n "$gw" addr add "$PST_GW_IP/24" dev br0 &&
		ip -n "$gw" link set br0 up || return 1
	ip -n "$gw" link add int0 type veth peer name eth0 netns "$int" &&
		ip -n "$gw" addr add 198.18.2.1/24 dev int0 &&
		ip -n "$gw" link set int0 up &&
		ip -n "$int" addr add "$PST_INT_IP/24" dev eth0 &&
		ip -n "$int" link set eth0 up &&
		ip -n "$int" route add "$PST_POOL" via 198.18.2.1 || return 1
	ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1 || return 1
	for dev in "$@"; do
		pst_device_add "$dev" || return 1
	done
}

# pst_remediation_host: a second host on the inside segment, 198.18.3.2 in
# 198.18.3.0/24 (the gateway gets 198.18.3.1 on int0): what a quarantine
# profile lets a failing device reach (the MDM and update servers).
pst_remediation_host() {
	ip -n "$(pst_ns gw)" addr add 198.18.3.1/24 dev int0 &&
		ip -n "$(pst_ns int)" addr add "$PST_REM_IP/24" dev eth0
}

# pst_device_add DEV: a device netns on the outside segment, 198.18.0.(10+n).
pst_device_add() {
	local dev=$1 gw ns n
	gw=$(pst_ns gw) ns=$(pst_ns "$dev")
	n=$((${#PST_DEV_NUM[@]} + 11))
	PST_DEV_NUM[$dev]=$n
	pst_netns_add "$dev" &&
		ip -n "$gw" link add "v-$dev" type veth peer name eth0 netns "$ns" &&
		ip -n "$gw" link set "v-$dev" master br0 up &&
		ip -n "$ns" addr add "198.18.0.$n/24" dev eth0 &&
		ip -n "$ns" link set eth0 up
}

pst_device_ip() { echo "198.18.0.${PST_DEV_NUM[$1]}"; }

# ---------------------------------------------------------------- PKI

# pst_pki DIR: a CA with its CRL and a server certificate for the gateway.
pst_pki() {
	local dir=$1 out
	out=$( { "$PST_BUILD/postern-ca" init --dir "$dir" &&
		"$PST_BUILD/postern-ca" server --dir "$dir" --name gw.postern.test --ip "$PST_GW_IP"; } 2>&1) || {
		echo "postern-ca failed: $out" >&2
		return 1
	}
}

# pst_issue DIR DEVICE [postern-ca issue options...]: DIR/devices/DEVICE.crt/.key
pst_issue() {
	local dir=$1 dev=$2 out; shift 2
	out=$("$PST_BUILD/postern-ca" issue --dir "$dir" --device "$dev" --owner "owner-$dev" "$@" 2>&1) || {
		echo "postern-ca issue $dev failed: $out" >&2
		return 1
	}
	[ -s "$dir/devices/$dev.crt" ] && [ -s "$dir/devices/$dev.key" ]
}

# ---------------------------------------------------------------- gateway

# pst_gw_conf [key=value...]: writes $PST_TMP/gw.conf for the PKI in
# $PST_TMP/pki (relative paths, resolved against the config's directory).
# Known keys: pool, pool6, routes (space-separated CIDRs), dpd, keepalive, mtu,
# idle-timeout, cookie-timeout, max-clients, user, policy, audit-log,
# control-socket (paths), metrics-listen (ADDR:PORT), dtls (true/false),
# udp-port, workers (default $PST_WORKERS, else 2: the same on every machine,
# where the daemon's own default, one per CPU, would make the pool shares
# and the device-to-worker placement depend on the machine's core count).
# Sets PST_GW_CONF, PST_ROUTES.
pst_gw_conf() {
	local -A v=([pool]=$PST_POOL [pool6]= [routes]=$PST_INT_NET [dpd]=30 [keepalive]=20 [mtu]=1400
		[idle-timeout]=0 [cookie-timeout]=300 [max-clients]=64 [user]=root [policy]= [audit-log]= [control-socket]= [metrics-listen]= [dtls]= [udp-port]= [workers]=${PST_WORKERS-2})
	local kv r list=""
	for kv in "$@"; do
		v[${kv%%=*}]=${kv#*=}
	done
	for r in ${v[routes]}; do
		list="$list${list:+, }\"$r\""
	done
	PST_ROUTES=${v[routes]}
	PST_GW_POLICY=${v[policy]}
	PST_GW_CONF=$PST_TMP/gw.conf
	cat >"$PST_GW_CONF" <<-EOF
	# Postern gateway, integration test run $PST_ID
	listen = "$PST_GW_IP"
	port = $PST_PORT
	ca-cert = "pki/ca.crt"
	crl = "pki/crl.pem"
	server-cert = "pki/server.crt"
	server-key = "pki/server.key"
	tun-name = "pst0"
	ipv4-pool = "${v[pool]}"
	${v[pool6]:+ipv6-pool = "${v[pool6]}"}
	routes = {$list}
	mtu = ${v[mtu]}
	dpd = ${v[dpd]}
	keepalive = ${v[keepalive]}
	idle-timeout = ${v[idle-timeout]}
	cookie-timeout = ${v[cookie-timeout]}
	max-clients = ${v[max-clients]}
	${v[user]:+user = "${v[user]}"}
	${v[policy]:+policy = "${v[policy]}"}
	${v[audit-log]:+audit-log = "${v[audit-log]}"}
	${v[control-socket]:+control-socket = "${v[control-socket]}"}
	${v[metrics-listen]:+metrics-listen = "${v[metrics-listen]}"}
	${v[dtls]:+dtls = ${v[dtls]}}
	${v[udp-port]:+udp-port = ${v[udp-port]}}
	${v[workers]:+workers = ${v[workers]}}
	EOF
}

# pst_gw_start: starts posternd in the gateway netns and waits until it
# listens. Sets PST_GW_PID and PST_GW_LOG.
pst_gw_start() {
	PST_GW_LOG=$PST_TMP/posternd.log
	: >"$PST_GW_LOG"
	# Started with ip netns exec directly (not through a function) so that
	# $! is the daemon itself: ip execs the program in the same process.
	# PST_GW_WRAP: words that run it (a program that execs it, such as
	# setpriv with systemd's capability bounding set), empty by default.
	ip netns exec "$(pst_ns gw)" ${PST_GW_WRAP:-} "$PST_BUILD/posternd" -c "$PST_GW_CONF" \
		</dev/null >>"$PST_GW_LOG" 2>&1 &
	PST_GW_PID=$!
	pst_spawn "$PST_GW_PID"
	wait_for 10 pst_gw_ready
	pst_log_has "listening on $(re "$PST_GW_IP:$PST_PORT")"
}

# posternd is a supervisor (PST_GW_PID, the pid to signal) and the network
# process it starts: its one child. The key holder is the network
# process's one child.
pst_gw_net_pid() { pgrep -P "$PST_GW_PID" | head -n 1; }
pst_gw_keyd_pid() { pgrep -P "$(pst_gw_net_pid)" | head -n 1; }

# True when the daemon listens, or when it has died (no point waiting).
pst_gw_ready() {
	pst_log_has "listening on " || pst_gone "$PST_GW_PID"
}

# pst_gw_stop: SIGTERM, then checks that posternd exited with status 0 and
# that its log holds no sanitizer report.
pst_gw_stop() {
	local pid=$PST_GW_PID rc
	[ -n "$pid" ] || return 0
	PST_GW_PID=
	kill -TERM "$pid" 2>/dev/null
	wait_for 10 pst_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	check "posternd exits with status 0 on SIGTERM (got $rc)" [ "$rc" -eq 0 ]
	check "posternd log has no sanitizer report" \
		bash -c "! grep -Eq 'Sanitizer|runtime error' '$PST_GW_LOG'"
}

# pst_log_has ERE: the gateway log has a line matching ERE.
pst_log_has() { grep -Eq -- "$1" "$PST_GW_LOG"; }

# pst_log_wait SECONDS ERE: polls the gateway log for ERE.
pst_log_wait() { wait_for "$1" pst_log_has "$2"; }

pst_log_count() { grep -Ec -- "$1" "$PST_GW_LOG"; }

# ---------------------------------------------------------------- clients

pst_cert() { echo "$PST_TMP/pki/devices/$1.crt"; }
pst_key() { echo "$PST_TMP/pki/devices/$1.key"; }

# pst_oc_start DEV CERT_ID [openconnect options...]: starts stock openconnect
# in the background in DEV's netns with the device certificate CERT_ID of
# $PST_TMP/pki ("-" for none). The vpnc-script wrapper dumps the script
# environment to $PST_TMP/DEV.env. PST_OC_ENV (NAME=VALUE words) is added to
# the client's environment, which its CSD wrapper inherits. The client runs
# with --no-dtls unless PST_OC_DTLS is set (the tests of the DTLS channel).
# Sets PST_OC_PID[DEV], PST_OC_LOG[DEV].
pst_oc_start() {
	local dev=$1 id=$2 log=$PST_TMP/openconnect-$1.log; shift 2
	local -a creds=() dtls=(--no-dtls)
	[ "$id" != - ] && creds=(-c "$(pst_cert "$id")" -k "$(pst_key "$id")")
	[ -n "${PST_OC_DTLS:-}" ] && dtls=()
	rm -f "$PST_TMP/$dev.env" "$PST_TMP/$dev.env.log"
	# $! is openconnect itself (the subshell, ip and env all exec), so
	# signals reach it. SIGPIPE is ignored as a service manager would
	# (systemd does): otherwise the client dies of it when it says goodbye
	# on a connection the gateway has already reset, and the test would
	# see a signal instead of the client's own exit status.
	(
		trap '' PIPE
		exec ip netns exec "$(pst_ns "$dev")" env PST_ENV_DUMP="$PST_TMP/$dev.env" \
			"${PST_OC_ENV[@]}" openconnect --non-inter --no-passwd "${dtls[@]}" --timestamp \
			--reconnect-timeout 20 "${creds[@]}" --cafile "$PST_TMP/pki/ca.crt" \
			--script "$PST_HELPERS/vpnc-wrapper.sh" -i vpn0 "$@" \
			"https://$PST_GW_IP/" </dev/null >>"$log" 2>&1
	) &
	PST_OC_PID[$dev]=$!
	PST_OC_LOG[$dev]=$log
	pst_spawn "$!"
}

# pst_vpn_addr DEV: the first IPv4 address of vpn0 in DEV's netns (empty if none).
pst_vpn_addr() {
	ip -n "$(pst_ns "$1")" -4 -o addr show dev vpn0 2>/dev/null |
		awk '{ split($4, a, "/"); print a[1]; exit }'
}

# True when DEV's vpn0 has an address and every pushed route.
pst_tunnel_ready() {
	local dev=$1 r
	[ -n "$(pst_vpn_addr "$dev")" ] || return 1
	for r in $PST_ROUTES; do
		local fam=-4
		case $r in *:*) fam=-6 ;; esac
		ip -n "$(pst_ns "$dev")" "$fam" route show "$r" dev vpn0 2>/dev/null | grep -q . || return 1
	done
}

# True when the tunnel is up or when the client has exited.
pst_tunnel_settled() {
	pst_tunnel_ready "$1" || pst_gone "${PST_OC_PID[$1]}"
}

# pst_connect DEV CERT_ID [openconnect options...]: starts the client and
# waits (at most 20 s) for the tunnel. Returns non-zero when it did not come up.
pst_connect() {
	local dev=$1
	pst_oc_start "$@"
	wait_for 20 pst_tunnel_settled "$dev"
	pst_tunnel_ready "$dev" && pst_alive "${PST_OC_PID[$dev]}"
}

# pst_disconnect DEV: a clean client exit (SIGTERM sends a CSTP DISCONNECT).
pst_disconnect() {
	local pid=${PST_OC_PID[$1]:-}
	[ -n "$pid" ] && pst_stop_pid "$pid"
	return 0
}

# pst_oc_wait DEV SECONDS: waits for the client to exit and sets PST_OC_RC
# to its exit status ("running" when it did not exit in time). Not in a
# subshell: only this shell can reap its children.
pst_oc_wait() {
	local pid=${PST_OC_PID[$1]}
	PST_OC_RC=running
	wait_for "$2" pst_gone "$pid" || return 1
	wait "$pid"
	PST_OC_RC=$?
}

# pst_ping DEV ADDR: three pings through whatever route DEV has.
pst_ping() { pst_in "$1" ping -n -q -c 3 -i 0.2 -W 2 "$2" >/dev/null 2>&1; }

# ---------------------------------------------------------------- traffic

# pst_serve NAME PORT MODE [FILE] [xfer options...]: starts an xfer.py server on
# the internal host in the background (MODE recv: prints the received data's
# sha256 to $PST_TMP/NAME.out; MODE send: serves FILE) and waits until it
# listens. Sets PST_SERVE_PID.
pst_serve() {
	local name=$1 port=$2 mode=$3; shift 3
	ip netns exec "$(pst_ns int)" timeout 300 \
		python3 "$PST_HELPERS/xfer.py" serve-"$mode" "$PST_INT_IP" "$port" "$@" \
		>"$PST_TMP/$name.out" 2>"$PST_TMP/$name.err" &
	PST_SERVE_PID=$!
	pst_spawn "$PST_SERVE_PID"
	wait_for 10 pst_listening tcp "$port"
}

# pst_listening tcp|udp PORT: something listens on PORT in the internal netns.
pst_listening() {
	local opt=-Hltn
	[ "$1" = udp ] && opt=-Huln
	pst_in int ss "$opt" "sport = :$2" 2>/dev/null | grep -q .
}

# pst_udp_listen ADDR PORT: a UDP listener on the internal host that writes
# one line "SOURCE PAYLOAD" per datagram to $PST_TMP/udp-PORT.out.
pst_udp_listen() {
	local out=$PST_TMP/udp-$2.out
	ip netns exec "$(pst_ns int)" timeout 120 python3 "$PST_HELPERS/xfer.py" udp-listen \
		"$1" "$2" --timeout 100 >"$out" 2>"$out.err" &
	pst_spawn $!
	wait_for 10 pst_listening udp "$2"
}

# pst_udp_send DEV SOURCE ADDR PORT PAYLOAD: one datagram from DEV, sent
# from SOURCE (which must be an address of DEV).
pst_udp_send() {
	local fam=-4
	case $3 in *:*) fam=-6 ;; esac
	printf '%s\n' "$5" | pst_in "$1" timeout 5 nc "$fam" -u -w 1 -s "$2" "$3" "$4"
}

# pst_udp_received PORT PAYLOAD: the listener on PORT got PAYLOAD.
pst_udp_received() { grep -q " $2\$" "$PST_TMP/udp-$1.out"; }

# pst_sha256 FILE: the hex digest only.
pst_sha256() { sha256sum "$1" | awk '{ print $1 }'; }

# pst_out_sha256 NAME: the digest an xfer.py run printed ("sha256 HEX bytes N").
pst_out_sha256() { awk '$1 == "sha256" { print $2 }' "$PST_TMP/$1.out" 2>/dev/null; }

# pst_make_file PATH MB: MB mebibytes of random data.
pst_make_file() { head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$1"; }

# ---------------------------------------------------------------- posture

PST_FIXTURES=$PST_ROOT/tests/fixtures/posture
PST_AGENT=$PST_BUILD/postern-posture

# pst_agent_env CERT_ID [FACTS_FILE]: the environment our posture agent needs
# when openconnect runs it as --csd-wrapper: the device certificate and key
# and the facts that override what it collects. The agent config is pointed
# at nothing, so this machine's MDM state never leaks into a test.
pst_agent_env() {
	PST_OC_ENV=(POSTERN_CERT="$(pst_cert "$1")" POSTERN_KEY="$(pst_key "$1")"
		POSTERN_AGENT_CONF=/nonexistent/posture-agent.conf)
	[ -n "${2:-}" ] && PST_OC_ENV+=(POSTERN_FACTS="$2")
	return 0
}

# pst_posture_connect DEV CERT_ID FACTS ROUTES [openconnect options...]:
# connects DEV with our agent as CSD wrapper reporting FACTS, expecting the
# profile networks ROUTES (space-separated) on vpn0.
pst_posture_connect() {
	local dev=$1 id=$2 facts=$3 rc; shift 3
	PST_ROUTES=$1; shift
	pst_agent_env "$id" "$facts"
	pst_connect "$dev" "$id" --csd-wrapper "$PST_AGENT" "$@"
	rc=$?
	PST_OC_ENV=()
	return $rc
}

# pst_banner DEV: the banner DEV's client received (CISCO_BANNER in the
# script environment it was given), as it would show it; empty if none.
pst_banner() {
	python3 - "$PST_TMP/$1.env" <<'PY'
import re, sys
env = open(sys.argv[1], encoding="utf-8", errors="replace").read()
m = re.search(r"^CISCO_BANNER=(.*?)(?=^[A-Za-z_][A-Za-z0-9_]*=|\Z)", env, re.S | re.M)
if m:
    print(m.group(1).rstrip("\n"))
PY
}

# pst_banner_has DEV TEXT: DEV's banner contains TEXT (on one of its lines).
# (grep reads it all: with -q it would stop early and break the pipe.)
pst_banner_has() { pst_banner "$1" | grep -F -- "$2" >/dev/null; }

# pst_routes_are DEV CIDR...: DEV's vpn0 has exactly these IPv4 routes,
# besides the VPN pool's own subnet (the netmask of its address).
pst_routes_are() {
	local dev=$1 got want; shift
	got=$(ip -n "$(pst_ns "$dev")" -4 route show dev vpn0 |
		awk -v pool="$PST_POOL" '$1 ~ /\// && $1 != pool { print $1 }' | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || { echo "    vpn0 routes: '$got', expected '$want'" >&2; return 1; }
}

# pst_quarantined DEV CERT_ID NAME FACTS TEXT [openconnect options...]: DEV
# connects with our agent reporting FACTS ("-" for none) and must end in
# quarantine: the remediation routes and its rule's (the internal network:
# the filter, not the routes, keeps it out), a decision logged with TEXT among
# its reasons, and TEXT in the banner. Returns non-zero when it did not connect.
pst_quarantined() {
	local dev=$1 id=$2 name=$3 facts=$4 text=$5; shift 5
	[ "$facts" = - ] && facts=
	if ! pst_posture_connect "$dev" "$id" "$facts" "$PST_REM_NET" "$@"; then
		not_ok "$name: device connects in quarantine" "$(tail -5 "${PST_OC_LOG[$dev]}")"
		return 1
	fi
	ok "$name: device connects in quarantine"
	check "$name: gateway log: quarantine with profile remediation ('$text')" \
		pst_log_has "posture decision device=$id peer=[^ ]+ verdict=quarantine rule=[^ ]+ profile=remediation: .*$(re "$text")"
	check "$name: routes are the remediation profile's and its rule's (internal)" \
		pst_routes_are "$dev" "$PST_REM_NET" "$PST_INT_NET"
	check "$name: banner names the failed check" pst_banner_has "$dev" "$text"
	check "$name: banner says the device is quarantined" pst_banner_has "$dev" "quarantined"
}

# pst_end DEV CERT_ID: disconnects DEV and waits for the gateway to log the
# end of CERT_ID's session (one more "session end" line than before).
pst_end() {
	local n; n=$(pst_log_count "session end device=$2 ")
	pst_disconnect "$1"
	wait_for 5 pst_log_more "session end device=$2 " "$n"
}

# pst_log_more ERE N: the log has more than N lines matching ERE.
pst_log_more() { [ "$(pst_log_count "$1")" -gt "$2" ]; }

# pst_check_agrees NAME CERT_ID FACTS N: `postern-posture check` on what the
# agent would send for FACTS ("-": a device that sent nothing) decides as
# the gateway did in the Nth audit record: same verdict, rule and profile,
# and the exit status of that verdict (0 allow, 1 quarantine, 2 deny).
pst_check_agrees() {
	local name=$1 id=$2 facts=$3 n=$4 merged=$PST_TMP/$1.merged out rc got want code
	if [ "$facts" = - ]; then
		: >"$merged"
	else
		POSTERN_CERT=$(pst_cert "$id") POSTERN_KEY=$(pst_key "$id") \
			POSTERN_AGENT_CONF=/nonexistent/posture-agent.conf \
			POSTERN_FACTS=$facts "$PST_AGENT" collect >"$merged"
	fi
	out=$("$PST_AGENT" check --policy "$PST_GW_POLICY" --facts "$merged" --cert "$(pst_cert "$id")")
	rc=$?
	got=$(awk '$1 ~ /^(verdict|rule|profile):$/ { printf "%s ", $2 }' <<<"$out")
	want=$(python3 -c 'import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2]) - 1])
print(r["verdict"], r["rule"] or "-", r["profile"] or "-", end=" ")' "$PST_TMP/audit.log" "$n")
	got=${got% } want=${want% }
	case $want in allow*) code=0 ;; quarantine*) code=1 ;; *) code=2 ;; esac
	[ "$got" = "$want" ] || code="$code (gateway: $want)"
	check "check agrees with the gateway on $name ($got, exit $rc)" [ "$rc" = "$code" ]
}

# pst_replay_agrees CERT_ID: the dry run replays the gateway's last decision
# on CERT_ID from its audit record ($PST_TMP/audit.log): the record's facts
# written with their sources (client:NAME=VALUE), as an operator would,
# through `postern-posture check --json` under the gateway's policy give the
# same verdict, rule, profile and reasons, word for word.
pst_replay_agrees() {
	local id=$1 facts=$PST_TMP/replay-$1.facts out=$PST_TMP/replay-$1.json rc
	python3 -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["device"] == sys.argv[2]][-1]
for f in r["facts"]:
    print("%s:%s=%s" % (f["source"], f["name"], f["value"]))' "$PST_TMP/audit.log" "$id" >"$facts"
	"$PST_AGENT" check --json --policy "$PST_GW_POLICY" --facts "$facts" \
		--cert "$(pst_cert "$id")" >"$out"
	rc=$?
	check "check replays $id's decision from the audit record (exit $rc)" python3 -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["device"] == sys.argv[2]][-1]
c = json.load(open(sys.argv[3]))
for k in ("verdict", "rule", "profile", "reasons"):
    assert r[k] == c[k], (k, r[k], c[k])' "$PST_TMP/audit.log" "$id" "$out"
}

# pst_banner_lacks DEV TEXT: DEV's banner does not contain TEXT.
pst_banner_lacks() { ! pst_banner_has "$1" "$2"; }
