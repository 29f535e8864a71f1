#!/bin/bash
# SPDX-License-Identifier: MIT
# The reference scale-out deployment (doc/scale-out.md): the real HAProxy
# (Debian package) in TCP mode in front of two posternd on two hosts, each
# with its own address, VPN pool, TUN, UDP ports, control socket and audit
# log, both reading the same CA, CRL, policy and MDM inventory files.
# - the stock client logs in through the balancer; both of its connections
#   (the login and the CONNECT) reach the same gateway (stickiness by source
#   address), whose log, audit record and posternctl name the device's own
#   address, not the balancer's; the tunnel passes traffic;
# - DTLS: the stock client sends its datagrams to the address it connected
#   to over TLS (here the balancer's) and the X-DTLS-Port the gateway gave;
#   no header can name another host (openconnect's udp_sockaddr copies the
#   TLS peer address), so the gateway's own address cannot be used. Each
#   gateway has ports of its own (udp-port), which the balancer host
#   forwards to it (nftables DNAT; the gateways route back through it), and
#   the channel comes up through the balancer's address;
# - the client's own reconnect (its TCP connection cut at the balancer)
#   comes back to the same gateway: same session, same address;
# - a second device goes to the other gateway (leastconn);
# - fail-over: the gateway holding devA dies; the client's reconnect reaches
#   the other gateway, which does not know its cookie (401), so the client
#   exits, and started again (as an always-on VPN app does) it logs in on
#   the other gateway, with an address of that gateway's pool; the dead
#   gateway comes back, and devA's next reconnect still goes to the gateway
#   it is on (HAProxy updated its stick entry);
# - revocation: `postern-ca revoke` rewrites the shared CRL; the gateway
#   holding the device ends its session, and the other loads the CRL, each
#   within 2 s (measured and printed); both then refuse the device;
# - a PROXY header sent straight to either gateway from an address outside
#   proxy-trusted is refused.
#
#   outside 198.18.0.0/24     NS-lb                        back 198.18.1.0/24    inside 198.18.2.0/24
#   devA .11 --\         +----------------------------+    +-- NS-gw1 .11 ------- int0 .11 --\
#   devB .12 ---+- br0 --+ .2 haproxy :443 (the VIP)  |    |   TCP 443, UDP 4501-4502,      |
#   devC .13 ---+        | UDP 4501-4502 DNAT -> gw1  +br1-+   pool 198.18.100.0/24, pst0   +-- br0 NS-int
#   devX .14 --/         | UDP 4511-4512 DNAT -> gw2  |    +-- NS-gw2 .12 ------- int0 .12 --/   198.18.2.2
#   (devX alone routes   | .1 on br1: PROXY v2 source |        TCP 443, UDP 4511-4512,
#    to 198.18.1.0/24)   +----------------------------+        pool 198.18.101.0/24, pst0
#
# Each gateway: metrics and /health on its own address, port 9187; its own
# control socket and audit log; default route via the balancer (198.18.1.1).
# The internal host routes each pool to its gateway. The CA directory
# ($PST_TMP/pki: ca.crt, crl.pem), the policy and the inventory
# ($PST_TMP/shared) are one set of files that both gateways read.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init
command -v haproxy >/dev/null || pst_skip "haproxy is not installed"
command -v nft >/dev/null || pst_skip "nft is not installed"

LB_IP=198.18.0.2
LB_BACK=198.18.1.1
METRICS_PORT=9187
GWS=(gw1 gw2)
declare -A GW_IP=([gw1]=198.18.1.11 [gw2]=198.18.1.12)
declare -A GW_INT=([gw1]=198.18.2.11 [gw2]=198.18.2.12)
declare -A GW_POOL=([gw1]=198.18.100.0/24 [gw2]=198.18.101.0/24)
declare -A GW_UDP=([gw1]=4501 [gw2]=4511)
declare -A GW_PID=() GW_LOG=() GW_STARTS=()
SHARED=$PST_TMP/shared
PKI=$PST_TMP/pki
LB_SOCK=$PST_TMP/haproxy.sock
LB_PID=

# A failing run also shows HAProxy's log and both gateways' (the lib shows
# the clients', and lib-ops the posternctl transcript).
eval "sc_ops_dump_logs() $(declare -f pst_dump_logs | tail -n +2)"
pst_dump_logs() {
	local f
	sc_ops_dump_logs
	for f in "$PST_TMP/haproxy.log" "$PST_TMP"/gw[12]/posternd-*.log; do
		[ -f "$f" ] || continue
		echo "--- ${f#"$PST_TMP"/} (last 30 lines)"
		tail -n 30 "$f"
	done
}

# ---------------------------------------------------------------- topology

# sc_link NS_A IF_A NS_B IF_B: a veth pair between two of our namespaces.
sc_link() {
	ip -n "$(pst_ns "$1")" link add "$2" type veth peer name "$4" netns "$(pst_ns "$3")" &&
		ip -n "$(pst_ns "$1")" link set "$2" up && ip -n "$(pst_ns "$3")" link set "$4" up
}

# sc_bridge NS BR ADDR/LEN: a bridge with an address in namespace NS.
sc_bridge() {
	ip -n "$(pst_ns "$1")" link add "$2" type bridge &&
		ip -n "$(pst_ns "$1")" addr add "$3" dev "$2" && ip -n "$(pst_ns "$1")" link set "$2" up
}

# sc_device_add DEV: a device on the outside segment, 198.18.0.(10+n), as
# pst_device_add makes them, but on the balancer's bridge.
sc_device_add() {
	local dev=$1 n=$((${#PST_DEV_NUM[@]} + 11))
	PST_DEV_NUM[$dev]=$n
	pst_netns_add "$dev" && sc_link lb "v-$dev" "$dev" eth0 &&
		ip -n "$(pst_ns lb)" link set "v-$dev" master br0 &&
		ip -n "$(pst_ns "$dev")" addr add "198.18.0.$n/24" dev eth0
}

# sc_gw_host GW: a gateway host: eth0 on the balancer's back segment
# (default route through the balancer host, so that replies to DTLS it
# forwarded go back through it), int0 on the internal segment.
sc_gw_host() {
	local gw=$1 ns; ns=$(pst_ns "$1")
	pst_netns_add "$gw" && sc_link lb "v-$gw" "$gw" eth0 &&
		ip -n "$(pst_ns lb)" link set "v-$gw" master br1 &&
		ip -n "$ns" addr add "${GW_IP[$gw]}/24" dev eth0 &&
		ip -n "$ns" route add default via "$LB_BACK" &&
		sc_link int "v-$gw" "$gw" int0 &&
		ip -n "$(pst_ns int)" link set "v-$gw" master br0 &&
		ip -n "$ns" addr add "${GW_INT[$gw]}/24" dev int0 &&
		ip -n "$(pst_ns int)" route add "${GW_POOL[$gw]}" via "${GW_INT[$gw]}" &&
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
}

# The balancer host forwards each gateway's DTLS ports (its udp-port and
# the next one: two workers) to that gateway, keeping the port; connection
# tracking turns the replies' source back into the balancer's address.
sc_lb_nat() {
	local gw rules=""
	for gw in "${GWS[@]}"; do
		rules+="ip daddr $LB_IP udp dport $(udp_ports "$gw") dnat to ${GW_IP[$gw]}"$'\n'
	done
	pst_in lb nft -f - <<-EOF
	table ip postern_lb {
		chain prerouting {
			type nat hook prerouting priority dstnat; policy accept;
			$rules
		}
	}
	EOF
}

# udp_ports GW: GW's DTLS ports as a range, FIRST-LAST.
udp_ports() { echo "${GW_UDP[$1]}-$((GW_UDP[$1] + 1))"; }

sc_topology() {
	local dev gw
	pst_netns_add lb && pst_netns_add int || return 1
	sc_bridge lb br0 "$LB_IP/24" && sc_bridge lb br1 "$LB_BACK/24" &&
		sc_bridge int br0 "$PST_INT_IP/24" || return 1
	pst_in lb sysctl -qw net.ipv4.ip_forward=1 || return 1
	for gw in "${GWS[@]}"; do
		sc_gw_host "$gw" || return 1
	done
	for dev in devA devB devC devX; do
		sc_device_add "$dev" || return 1
	done
	# devX stands for any host that reaches the gateways' own addresses.
	ip -n "$(pst_ns devX)" route add 198.18.1.0/24 via "$LB_IP" && sc_lb_nat
}

# ---------------------------------------------------------------- PKI and shared files

# One CA (the system department's), devices, and one server certificate per
# gateway, each for the name devices connect to (the balancer's address):
# a gateway holds only its own key. The stock client checks a reconnect's
# certificate against the CA and the name, not against the first one, so
# its reconnect reaches the other gateway's CONNECT (see the fail-over).
sc_pki() {
	local gw dev out
	out=$("$PST_BUILD/postern-ca" init --dir "$PKI" --name "Postern Test CA" 2>&1) ||
		{ echo "$out" >&2; return 1; }
	for gw in "${GWS[@]}"; do
		mkdir -p "$PST_TMP/$gw" &&
			out=$("$PST_BUILD/postern-ca" server --dir "$PKI" --name vpn.postern.test \
				--ip "$LB_IP" 2>&1) &&
			mv "$PKI/server.crt" "$PKI/server.key" "$PST_TMP/$gw/" ||
			{ echo "$out" >&2; return 1; }
	done
	for dev in devA devB devC devX; do
		pst_issue "$PKI" "$dev" || return 1
	done
}

# The policy demands MDM enrollment, which only the inventory states: a
# gateway that did not read the shared inventory would quarantine.
sc_shared() {
	mkdir -p "$SHARED" &&
		cat >"$SHARED/policy.conf" <<-EOF
		quarantine-profile = "remediation"
		agent = "optional"
		inventory = "inventory.csv"
		profile internal { allow = { "$PST_INT_NET" } }
		profile remediation { allow = { "198.18.3.0/24" } }
		platform linux { }
		rule staff { require-mdm = true action = "allow" profile = "internal" }
		EOF
	ops_inventory "$SHARED/inventory.csv" "devA,true,true,linux,12.5,active" \
		"devB,true,true,linux,12.5,active" "devC,true,true,linux,12.5,active"
}

# ---------------------------------------------------------------- gateways

# sc_gw_conf GW: GW's posternd.conf: its own listener, UDP ports, pool,
# TUN, control socket, audit log and metrics (on its own address, for the
# balancer's health check), the shared CA, CRL, policy and inventory.
sc_gw_conf() {
	local gw=$1
	cat >"$PST_TMP/$gw/posternd.conf" <<-EOF
	# Gateway $gw of the scale-out test run $PST_ID.
	listen = "${GW_IP[$gw]}"
	port = $PST_PORT
	udp-port = ${GW_UDP[$gw]}
	workers = 2
	ca-cert = "$PKI/ca.crt"
	crl = "$PKI/crl.pem"
	server-cert = "server.crt"
	server-key = "server.key"
	tun-name = "pst0"
	ipv4-pool = "${GW_POOL[$gw]}"
	routes = {"$PST_INT_NET"}
	mtu = 1400
	dpd = 30
	keepalive = 20
	cookie-timeout = 300
	user = "root"
	policy = "$SHARED/policy.conf"
	audit-log = "audit.log"
	control-socket = "control.sock"
	metrics-listen = "${GW_IP[$gw]}:$METRICS_PORT"
	proxy-protocol = true
	proxy-trusted = {"$LB_BACK/32"}
	EOF
}

# sc_gw_start GW: starts (or restarts) GW's posternd in its namespace, each
# run with a log of its own, and waits until it listens.
sc_gw_start() {
	local gw=$1 n=$((${GW_STARTS[$1]:-0} + 1))
	GW_STARTS[$gw]=$n
	GW_LOG[$gw]=$PST_TMP/$gw/posternd-$n.log
	: >"${GW_LOG[$gw]}"
	ip netns exec "$(pst_ns "$gw")" "$PST_BUILD/posternd" -c "$PST_TMP/$gw/posternd.conf" \
		</dev/null >>"${GW_LOG[$gw]}" 2>&1 &
	GW_PID[$gw]=$!
	pst_spawn "$!"
	wait_for 10 sc_gw_ready "$gw"
	gw_has "$gw" "listening on $(re "${GW_IP[$gw]}:$PST_PORT") .*DTLS on UDP ports ${GW_UDP[$gw]}-"
}

sc_gw_ready() { gw_has "$1" "listening on " || pst_gone "${GW_PID[$1]}"; }

# sc_gw_stop GW: SIGTERM; posternd must exit 0 with no sanitizer report.
sc_gw_stop() {
	local gw=$1 pid=${GW_PID[$1]:-} rc
	[ -n "$pid" ] || return 0
	GW_PID[$gw]=
	kill -TERM "$pid" 2>/dev/null
	wait_for 10 pst_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	check "$gw: posternd exits with status 0 on SIGTERM (got $rc)" [ "$rc" -eq 0 ]
	check "$gw: no sanitizer report in its logs" \
		bash -c "! cat '$PST_TMP/$gw'/posternd-*.log | grep -Eq 'Sanitizer|runtime error'"
}

# gw_has GW ERE: GW's current log has a line matching ERE.
gw_has() { grep -Eq -- "$2" "${GW_LOG[$1]}"; }
gw_count() { grep -Ec -- "$2" "${GW_LOG[$1]}"; }

# gw_ctl GW [posternctl arguments...]: ops_ctl on GW's control socket.
gw_ctl() {
	local gw=$1; shift
	OPS_SOCK=$PST_TMP/$gw/control.sock ops_ctl "$@"
}

# gw_session GW DEV FIELD: FIELD of DEV's session on GW ("" when none).
gw_session() {
	gw_ctl "$1" --json sessions >/dev/null || return 1
	ops_json_get "$OPS_OUT" "[s['$3'] for s in d['sessions'] if s['device'] == '$2'][0]"
}

# holder DEV: the gateway that holds DEV's session (empty when none does).
holder() {
	local gw
	for gw in "${GWS[@]}"; do
		[ -n "${GW_PID[$gw]}" ] && [ -n "$(gw_session "$gw" "$1" device)" ] && echo "$gw"
	done
}

other() { [ "$1" = gw1 ] && echo gw2 || echo gw1; }

# in_pool ADDR GW: ADDR lies in GW's pool (a /24).
in_pool() { [ "${1%.*}.0/24" = "${GW_POOL[$2]}" ]; }

# ---------------------------------------------------------------- the balancer

# The configuration doc/scale-out.md gives, with the test's addresses and a
# faster check (inter 1s), so that a dead gateway is marked DOWN sooner.
sc_lb_conf() {
	cat >"$PST_TMP/haproxy.cfg" <<-EOF
	global
	    maxconn 1024
	    stats socket $LB_SOCK mode 600 level admin
	defaults
	    mode tcp
	    timeout connect 2s
	    timeout client 1h
	    timeout server 1h
	    retries 2
	    option redispatch 1
	frontend vpn
	    bind $LB_IP:$PST_PORT
	    default_backend gateways
	backend gateways
	    balance leastconn
	    stick-table type ip size 100k expire 24h
	    stick on src
	    option httpchk GET /health
	    default-server send-proxy-v2 check port $METRICS_PORT inter 1s fall 2 rise 2
	    server gw1 ${GW_IP[gw1]}:$PST_PORT
	    server gw2 ${GW_IP[gw2]}:$PST_PORT
	EOF
}

# lb_cmd COMMAND: one command on HAProxy's runtime API; prints the answer.
lb_cmd() {
	python3 - "$LB_SOCK" "$1" <<-'PY'
	import socket, sys
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(5)
	s.connect(sys.argv[1])
	s.sendall(sys.argv[2].encode() + b"\n")
	out = b""
	while True:
	    d = s.recv(65536)
	    if not d:
	        break
	    out += d
	sys.stdout.write(out.decode())
	PY
}

# lb_state SERVER: the server's status as HAProxy's `show stat` gives it
# (UP, DOWN, MAINT, "UP 1/2" while rising ...).
lb_state() {
	lb_cmd "show stat" | awk -F, -v sv="$1" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") col = i; next }
		$1 == "gateways" && $2 == sv { print $col }'
}
lb_is() { [ "$(lb_state "$1")" = "$2" ]; }

lb_listening() { pst_in lb ss -ltn "sport = :$PST_PORT" | grep -q "$LB_IP:$PST_PORT"; }

# ---------------------------------------------------------------- predicates and timing

# logged_from GW DEV ADDR: GW logged DEV's login and tunnel from ADDR.
logged_from() {
	gw_has "$1" "auth ok device=$2 peer=$(re "$3"):[0-9]+ " &&
		gw_has "$1" "tunnel up device=$2 peer=$(re "$3"):[0-9]+ "
}

# more_lines GW ERE N: GW's log has more than N lines matching ERE.
more_lines() { [ "$(gw_count "$1" "$2")" -gt "$3" ]; }

# health_ok GW: GW's /health answers 200 "ok" to the balancer's host.
health_ok() {
	[ "$(pst_in lb curl -s --max-time 5 -w ' %{http_code}' \
		"http://${GW_IP[$1]}:$METRICS_PORT/health")" = "ok
 200" ]
}

lb_both_up() { lb_is gw1 UP && lb_is gw2 UP; }

channel_is() { [ "$(gw_session "$1" "$2" channel)" = "$3" ]; }

# dtls_port_of GW PORT: PORT is one of GW's two DTLS ports.
dtls_port_of() {
	[ -n "$2" ] && [ "$2" -ge "${GW_UDP[$1]}" ] && [ "$2" -le $((GW_UDP[$1] + 1)) ]
}

# watch_logs START SECONDS GW:ERE...: polls every 20 ms until each GW's log
# has its ERE, or SECONDS after START (ops_ms) have passed. Sets SEEN[i] to
# the milliseconds from START to when item i was first seen (unset if never).
watch_logs() {
	local start=$1 limit=$(($2 * 1000)) now i left; shift 2
	local -a items=("$@")
	SEEN=()
	while :; do
		now=$(ops_ms) left=0
		for i in "${!items[@]}"; do
			[ -n "${SEEN[$i]:-}" ] && continue
			if gw_has "${items[$i]%%:*}" "${items[$i]#*:}"; then
				SEEN[i]=$((now - start))
			else
				left=1
			fi
		done
		[ "$left" = 0 ] && return 0
		[ $((now - start)) -gt "$limit" ] && return 1
		sleep 0.02
	done
}

# proxy_spoof GW: from devX, a well-formed PROXY v2 header (TCP over IPv4)
# straight to GW, claiming the client 198.19.255.7.
proxy_spoof() {
	pst_in devX python3 - "${GW_IP[$1]}" "$PST_PORT" >"$PST_TMP/spoof-$1.out" 2>&1 <<-'PY'
	import socket, struct, sys
	dst, port = sys.argv[1], int(sys.argv[2])
	body = socket.inet_aton("198.19.255.7") + socket.inet_aton(dst) + struct.pack("!HH", 4444, port)
	hdr = b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body
	s = socket.create_connection((dst, port), timeout=5)
	s.sendall(hdr)
	s.settimeout(5)
	try:
	    print("read", len(s.recv(100)))
	except OSError as e:
	    print("error", e)
	PY
}

# ================================================================ the run

sc_topology || pst_bail "topology" "could not build the namespaces"
sc_pki || pst_bail "PKI" "postern-ca failed"
sc_shared || pst_bail "shared files" "could not write the policy and inventory"
for gw in "${GWS[@]}"; do
	sc_gw_conf "$gw"
	sc_gw_start "$gw" || pst_bail "$gw starts" "$(tail -3 "${GW_LOG[$gw]}")"
	ok "$gw starts on ${GW_IP[$gw]}, pool ${GW_POOL[$gw]}, DTLS on UDP $(udp_ports "$gw")"
	check "$gw: /health answers 200 ok to the balancer's host" health_ok "$gw"
done
gw_ctl gw1 --json status && cp "$OPS_OUT" "$PST_TMP/status-gw1.json"
gw_ctl gw2 --json status && cp "$OPS_OUT" "$PST_TMP/status-gw2.json"
ops_check "status: both gateways run the same policy (sha256), CRL and inventory" \
	"$PST_TMP/status-gw1.json" '
e = json.load(open(a[0]))
for k in (("policy", "sha256"), ("crl", "number"), ("inventory", "path"), ("inventory", "records")):
    assert d[k[0]][k[1]] == e[k[0]][k[1]], (k, d[k[0]], e[k[0]])
assert d["inventory"]["records"] == 3, d["inventory"]' "$PST_TMP/status-gw2.json"

sc_lb_conf
haproxy -c -f "$PST_TMP/haproxy.cfg" >"$PST_TMP/haproxy-check.out" 2>&1 ||
	pst_bail "haproxy config" "haproxy -c refused it: $(tail -3 "$PST_TMP/haproxy-check.out")"
ip netns exec "$(pst_ns lb)" haproxy -db -f "$PST_TMP/haproxy.cfg" >"$PST_TMP/haproxy.log" 2>&1 &
LB_PID=$!
pst_spawn "$LB_PID"
check "haproxy listens on $LB_IP:$PST_PORT" wait_for 10 lb_listening ||
	pst_bail "haproxy starts" "$(tail -5 "$PST_TMP/haproxy.log")"
check "haproxy: both gateways UP by their /health" wait_for 10 lb_both_up

# ---- devA logs in through the balancer, with DTLS
PST_GW_IP=$LB_IP
PST_OC_DTLS=1
devA_ip=$(pst_device_ip devA)
pst_connect devA devA -v || pst_bail "devA connects through haproxy" "$(tail -5 "${PST_OC_LOG[devA]}")"
ok "devA connects through haproxy"
first=$(holder devA)
check "exactly one gateway holds devA's session (${first:-none})" ops_one_of "$first" gw1 gw2 ||
	pst_bail "devA has a session" "no gateway lists devA"
second=$(other "$first")
addr_a=$(pst_vpn_addr devA)
check "devA's address $addr_a is from $first's pool" in_pool "$addr_a" "$first"
check "devA reaches the internal host through the tunnel" pst_ping devA "$PST_INT_IP"
check "$first logged devA's login and tunnel from devA's own address ($devA_ip)" \
	logged_from "$first" devA "$devA_ip"
check "$second saw neither of devA's connections (stickiness)" ops_not gw_has "$second" "device=devA "
check "no log line of $first names the balancer as a peer" ops_not gw_has "$first" "peer=$(re "$LB_BACK"):"
check "$first's audit record: client is devA's own address" \
	grep -q "\"device\":\"devA\".*\"client\":\"$devA_ip:" "$PST_TMP/$first/audit.log"
check "$first's audit record: allow by rule staff (MDM enrollment from the shared inventory)" \
	grep -q "\"device\":\"devA\".*\"verdict\":\"allow\",\"rule\":\"staff\"" "$PST_TMP/$first/audit.log"
peer=$(gw_session "$first" devA peer)
check "posternctl sessions on $first: peer $peer is devA's own address" ops_one_of "${peer%:*}" "$devA_ip"

# DTLS: the port the gateway gave is its own; the datagrams, sent to the
# balancer's address, reached it through the balancer host's DNAT.
dtls_port=$(sed -n 's/.*X-DTLS-Port: \([0-9]*\).*/\1/p' "${PST_OC_LOG[devA]}" | tail -n 1)
check "devA was given X-DTLS-Port ${dtls_port:-none}, one of $first's" dtls_port_of "$first" "$dtls_port"
check "devA's DTLS channel is up (datagrams to $LB_IP:$dtls_port)" \
	wait_for 15 grep -q "Established DTLS connection" "${PST_OC_LOG[devA]}"
check "$first: dtls up for devA from devA's own address" \
	wait_for 5 gw_has "$first" "dtls up device=devA peer=$(re "$devA_ip"):[0-9]+ "
check "posternctl sessions on $first: devA's data goes over DTLS" wait_for 5 channel_is "$first" devA dtls

# ---- the client's own reconnect comes back to the same gateway
up_a="tunnel up device=devA .*addr=$(re "$addr_a") "
ups=$(gw_count "$first" "$up_a")
start=$(ops_ms)
lb_cmd "shutdown sessions server gateways/$first" >/dev/null
if wait_for 30 more_lines "$first" "$up_a" "$ups"; then
	ms=$(ops_ms_since "$start")
	ok "devA's connection cut at the balancer: the client is back on $first, same address ($ms ms)"
	echo "# reconnect through the balancer: tunnel up again $ms ms after the cut"
else
	not_ok "devA's connection cut at the balancer: the client is back on $first" \
		"no second '$up_a' within 30 s"
fi
check "devA's client still runs" pst_alive "${PST_OC_PID[devA]}"
check "devA keeps its address $addr_a" [ "$(pst_vpn_addr devA)" = "$addr_a" ]
check "devA reaches the internal host after the reconnect" wait_for 10 pst_ping devA "$PST_INT_IP"
check "$second still never saw devA" ops_not gw_has "$second" "device=devA "

# ---- devB goes to the other gateway
if pst_connect devB devB; then
	ok "devB connects through haproxy"
else
	not_ok "devB connects through haproxy" "$(tail -5 "${PST_OC_LOG[devB]}")"
fi
check "devB's session is on $second (leastconn: $first holds devA)" [ "$(holder devB)" = "$second" ]
addr_b=$(pst_vpn_addr devB)
check "devB's address $addr_b is from $second's pool" in_pool "$addr_b" "$second"
check "devB reaches the internal host" pst_ping devB "$PST_INT_IP"
check "$second's audit record: client is devB's own address" \
	grep -q "\"device\":\"devB\".*\"client\":\"$(pst_device_ip devB):" "$PST_TMP/$second/audit.log"

# ---- fail-over: the gateway holding devA dies
refused_cookie="refused peer=$(re "$devA_ip"):[0-9]+ device=devA: CONNECT with an unknown or expired cookie"
refusals=$(gw_count "$second" "$refused_cookie")
start=$(ops_ms)
# The host dies: posternd's supervisor and its network process at once (a
# supervisor killed alone would have the network process end its sessions
# cleanly; a network process killed alone would be started again).
net=$(pgrep -P "${GW_PID[$first]}" | head -n 1)
kill -STOP "${GW_PID[$first]}"
[ -n "$net" ] && kill -KILL "$net"
kill -KILL "${GW_PID[$first]}"
wait "${GW_PID[$first]}" 2>/dev/null
GW_PID[$first]=
exit_ms=
if pst_oc_wait devA 40; then
	exit_ms=$(ops_ms_since "$start")
	ok "$first killed: devA's client gave up after $exit_ms ms (status $PST_OC_RC)"
else
	not_ok "$first killed: devA's client gives up" "still running 40 s later"
	pst_stop_pid "${PST_OC_PID[devA]}"
fi
# An always-on VPN app starts the client again at once; whether HAProxy
# has marked the dead gateway DOWN yet or not, a connection it refuses is
# redispatched.
if pst_connect devA devA; then
	ok "devA logs in again through haproxy"
else
	not_ok "devA logs in again through haproxy" "$(tail -5 "${PST_OC_LOG[devA]}")"
fi
check "devA's client was told its cookie is not accepted" grep -q "Cookie was rejected" "${PST_OC_LOG[devA]}"
check "$second refused devA's cookie (issued by $first)" more_lines "$second" "$refused_cookie" "$refusals"
check "devA's new session is on $second" [ "$(holder devA)" = "$second" ]
addr_a2=$(pst_vpn_addr devA)
check "devA's new address ${addr_a2:-none} is from $second's pool" in_pool "$addr_a2" "$second"
if check "devA reaches the internal host through $second" pst_ping devA "$PST_INT_IP"; then
	ms=$(ops_ms_since "$start")
	echo "# fail-over: the client gave up ${exit_ms:-?} ms and its new tunnel passed traffic $ms ms after $first was killed"
fi
check "haproxy marked $first DOWN" wait_for 10 lb_is "$first" DOWN
check "devB on $second kept its session (one tunnel up)" [ "$(gw_count "$second" "tunnel up device=devB ")" -eq 1 ]
check "devB still reaches the internal host" pst_ping devB "$PST_INT_IP"

# ---- the dead gateway comes back; devA's reconnect stays where it is
sc_gw_start "$first" || not_ok "$first restarts" "$(tail -3 "${GW_LOG[$first]}")"
check "haproxy marks $first UP again" wait_for 15 lb_is "$first" UP
up_a2="tunnel up device=devA .*addr=$(re "$addr_a2") "
ups=$(gw_count "$second" "$up_a2")
lb_cmd "shutdown sessions server gateways/$second" >/dev/null
check "devA's connection cut again: it comes back to $second, where its session is" \
	wait_for 30 more_lines "$second" "$up_a2" "$ups"
check "devA's client still runs" pst_alive "${PST_OC_PID[devA]}"
check "the restarted $first saw nothing of devA" ops_not gw_has "$first" "device=devA "
check "devA reaches the internal host (same session on $second)" wait_for 10 pst_ping devA "$PST_INT_IP"
check "devB came back to $second too and reaches the internal host" wait_for 10 pst_ping devB "$PST_INT_IP"

# devC, new, goes to the emptier gateway: the restarted one.
if pst_connect devC devC; then
	ok "devC connects through haproxy"
else
	not_ok "devC connects through haproxy" "$(tail -5 "${PST_OC_LOG[devC]}")"
fi
check "devC's session is on $first" [ "$(holder devC)" = "$first" ]
check "devC reaches the internal host" pst_ping devC "$PST_INT_IP"

# ---- revocation reaches both gateways
crl_sha=$(pst_sha256 "$PKI/crl.pem")
out=$("$PST_BUILD/postern-ca" revoke --dir "$PKI" --device devA 2>&1)
rc=$?
start=$(ops_ms)
check "postern-ca revoke --device devA exits 0 ($out)" [ "$rc" -eq 0 ]
check "the shared CRL file was rewritten" [ "$(pst_sha256 "$PKI/crl.pem")" != "$crl_sha" ]
crl_re="crl reloaded $(re "$PKI/crl.pem"): 1 revoked"
watch_logs "$start" 10 "$second:session end device=devA .*: certificate revoked" \
	"$second:$crl_re" "$first:$crl_re"
for i in 0 1 2; do
	what=("$second ends devA's session" "$second loads the new CRL" "$first loads the new CRL")
	if [ -n "${SEEN[$i]:-}" ]; then
		echo "# revocation: ${what[$i]} ${SEEN[$i]} ms after postern-ca returned"
		check "${what[$i]} within 2 s of the revocation (${SEEN[$i]} ms)" [ "${SEEN[$i]}" -le 2000 ]
	else
		not_ok "${what[$i]} within 2 s of the revocation" "not seen within 10 s"
	fi
done
if pst_oc_wait devA 10; then
	ok "devA's client exits (status $PST_OC_RC)"
else
	not_ok "devA's client exits" "still running 10 s after the revocation"
	pst_stop_pid "${PST_OC_PID[devA]}"
fi
for gw in "${GWS[@]}"; do
	gw_ctl "$gw" --json status
	ops_check "$gw: status: the CRL in force lists 1 revoked" "$OPS_OUT" \
		'assert d["crl"]["revoked"] == 1 and d["crl"]["state"] == "ok", d["crl"]'
done
check "devB (on $second) still reaches the internal host" pst_ping devB "$PST_INT_IP"
check "devC (on $first) still reaches the internal host" pst_ping devC "$PST_INT_IP"
revoked_from="refused peer=$(re "$devA_ip"):[0-9]+ device=devA: device certificate has been revoked"
ops_refused "devA again, to $second" devA devA "device certificate has been revoked"
check "$second refused devA as revoked" gw_has "$second" "$revoked_from"
lb_cmd "set server gateways/$second state maint" >/dev/null
check "haproxy: $second in maintenance" wait_for 5 lb_is "$second" MAINT
ops_refused "devA again, to $first" devA devA "device certificate has been revoked"
check "$first refused devA as revoked" gw_has "$first" "$revoked_from"
lb_cmd "set server gateways/$second state ready" >/dev/null

# ---- around the balancer: a PROXY header straight to each gateway
devX_ip=$(pst_device_ip devX)
for gw in "${GWS[@]}"; do
	proxy_spoof "$gw"
	check "$gw: a PROXY header from $devX_ip (outside proxy-trusted) is refused" \
		wait_for 5 gw_has "$gw" "closing connection peer=$(re "$devX_ip"):[0-9]+: not a trusted load balancer"
	check "$gw: the address it claimed is nobody's peer" ops_not gw_has "$gw" "peer=198\\.19\\.255\\.7"
done

pst_disconnect devB
pst_disconnect devC
pst_stop_pid "$LB_PID"
for gw in "${GWS[@]}"; do
	sc_gw_stop "$gw"
done
pst_finish
