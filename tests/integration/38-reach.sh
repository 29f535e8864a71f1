#!/bin/bash
# SPDX-License-Identifier: MIT
# What a tunnel reaches, in both families, on a dual-stack gateway:
# - a profile without an IPv6 network gets no IPv6 address and no IPv6 route,
#   so the device's own IPv6 (its default route on eth0) stays untouched;
# - a profile with an IPv6 network gets that route and reaches the IPv6 host;
# - the gateway's own addresses (inside, remediation side, IPv4 and IPv6) are
#   closed to allowed and quarantined tunnels alike, unless a profile names the
#   address itself (/32);
# - without a policy, the pushed routes are the destination filter.
#
#   devA (group dual)    --+                      +-- int0 198.18.2.1 fd00:2::1
#   devB (group v4)      --+-- br0 -- gw [pst0] --+      198.18.3.1
#   devC (group q)       --+   198.18.0.1         |   int 198.18.2.2 fd00:2::2
#   devD (group admin)   --+   fd00:1::1          |       198.18.3.2
#   (devices: 198.18.0.1x and fd00:1::1x on eth0, IPv6 default via fd00:1::1)
set -u
. "$(dirname "$0")/lib.sh"
pst_init

POOL6=fd00:5057::/64
INT6=fd00:2::2

pst_topology devA devB devC devD || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
gw=$(pst_ns gw) int=$(pst_ns int)
ip -n "$gw" addr add fd00:1::1/64 dev br0 nodad &&
	ip -n "$gw" addr add fd00:2::1/64 dev int0 nodad &&
	ip -n "$int" addr add "$INT6/64" dev eth0 nodad &&
	ip -n "$int" -6 route add "$POOL6" via fd00:2::1 &&
	ip netns exec "$gw" sysctl -qw net.ipv6.conf.all.forwarding=1 ||
	pst_bail "IPv6 topology" "could not add the IPv6 addresses"
for dev in devA devB devC devD; do
	ns=$(pst_ns "$dev")
	ip -n "$ns" addr add "fd00:1::${PST_DEV_NUM[$dev]}/64" dev eth0 nodad &&
		ip -n "$ns" -6 route add default via fd00:1::1 ||
		pst_bail "IPv6 on $dev" "could not add its own IPv6 address and route"
done
pst_pki "$PST_TMP/pki" &&
	pst_issue "$PST_TMP/pki" devA --group dual && pst_issue "$PST_TMP/pki" devB --group v4 &&
	pst_issue "$PST_TMP/pki" devC --group q && pst_issue "$PST_TMP/pki" devD --group admin ||
	pst_bail "PKI" "postern-ca failed"

cat >"$PST_TMP/policy.conf" <<'EOF'
quarantine-profile = "remediation"
agent = "optional"
platform linux { }
profile dual { allow = { "198.18.2.0/24", "fd00:2::/64" } }
profile v4only { allow = { "198.18.2.0/24" } }
profile admin { allow = { "198.18.2.0/24", "198.18.2.1/32" } }
profile remediation { allow = { "198.18.3.0/24" } }
rule dual { group = "dual" action = "allow" profile = "dual" }
rule v4 { group = "v4" action = "allow" profile = "v4only" }
rule admin { group = "admin" action = "allow" profile = "admin" }
# No agent runs here, so the passcode is never reported: quarantine.
rule q { group = "q" require-passcode = true action = "allow" profile = "dual" }
EOF

# Something listening on the gateway itself, on every address, as sshd and
# the metrics port would: ports 22 and 9187, both families.
ip netns exec "$gw" timeout 300 python3 -c '
import socket, select
socks = []
for port in (22, 9187):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(16); socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        s.accept()[0].close()
' >/dev/null 2>&1 &
pst_spawn $!
gw_listens() { pst_in gw ss -Hltn "sport = :9187" | grep -q .; }
wait_for 10 gw_listens || pst_bail "listeners on the gateway" "python did not listen"

# reaches DEV ADDR PORT: a TCP handshake from DEV to ADDR:PORT completes.
reaches() { pst_in "$1" timeout 5 nc -z -w 2 "$2" "$3" >/dev/null 2>&1; }
vpn6() {
	ip -n "$(pst_ns "$1")" -6 -o addr show dev vpn0 scope global 2>/dev/null |
		awk '{ split($4, a, "/"); print a[1]; exit }'
}
default6() { ip -n "$(pst_ns "$1")" -6 route show default 2>/dev/null; }

pst_gw_conf pool6="$POOL6" routes="$PST_INT_NET" policy="$PST_TMP/policy.conf"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

# ---- IPv6: only when routed
before=$(default6 devB)
PST_ROUTES=$PST_INT_NET
pst_connect devB devB || pst_bail "devB (IPv4-only profile) connects" "no tunnel"
check "v4only: no IPv6 address on vpn0" [ -z "$(vpn6 devB)" ]
check "v4only: the script got no IPv6 address" bash -c "! grep -q '^INTERNAL_IP6_ADDRESS=.' '$PST_TMP/devB.env'"
check "v4only: the device's IPv6 default route is untouched ($before)" [ "$(default6 devB)" = "$before" ]
check "v4only: no IPv6 route through the tunnel" \
	bash -c "! ip -n $(pst_ns devB) -6 route show dev vpn0 | grep -v '^fe80::' | grep -q ."
check "v4only: IPv4 reaches the internal host" pst_ping devB "$PST_INT_IP"
check "v4only: the device still reaches the gateway's outside IPv6 on its own link" \
	pst_in devB ping -6 -n -q -c 1 -W 3 fd00:1::1

PST_ROUTES="$PST_INT_NET fd00:2::/64"
pst_connect devA devA || pst_bail "devA (dual-stack profile) connects" "no tunnel"
a6=$(vpn6 devA)
check "dual: an IPv6 lease from the pool ($a6)" bash -c "[[ '$a6' == fd00:5057::* ]]"
check "dual: the IPv6 split include is fd00:2::/64" \
	grep -qx 'CISCO_IPV6_SPLIT_INC_0_ADDR=fd00:2::' "$PST_TMP/devA.env"
check "dual: the route to fd00:2::/64 goes through vpn0" \
	bash -c "ip -n $(pst_ns devA) -6 route show fd00:2::/64 | grep -q 'dev vpn0'"
check "dual: no IPv6 default route through the tunnel" \
	bash -c "! ip -n $(pst_ns devA) -6 route show default | grep -q vpn0"
check "dual: reaches the internal host over IPv6" pst_in devA ping -6 -n -q -c 3 -i 0.2 -W 3 "$INT6"

# ---- the gateway is no destination
for target in "198.18.2.1 22" "198.18.2.1 9187" "fd00:2::1 22" "fd00:2::1 9187"; do
	# shellcheck disable=SC2086
	if reaches devA $target; then
		not_ok "allowed tunnel: the gateway's $target is closed" "a TCP handshake completed"
	else
		ok "allowed tunnel: the gateway's $target is closed"
	fi
done
check "gateway log: the drop names the gateway's address" \
	pst_log_wait 5 "dropped packet to 198.18.2.1, an address of the gateway itself, device=devA"
PST_ROUTES=$PST_REM_NET
pst_connect devC devC || pst_bail "devC (quarantined) connects" "no tunnel"
check "quarantined: the remediation host answers" pst_ping devC "$PST_REM_IP"
for target in "198.18.3.1 22" "198.18.3.1 9187"; do
	# shellcheck disable=SC2086
	if reaches devC $target; then
		not_ok "quarantined tunnel: the gateway's $target is closed" "a TCP handshake completed"
	else
		ok "quarantined tunnel: the gateway's $target is closed"
	fi
done
PST_ROUTES="$PST_INT_NET 198.18.2.1/32"
pst_connect devD devD || pst_bail "devD (profile naming 198.18.2.1/32) connects" "no tunnel"
check "a profile that names 198.18.2.1/32 reaches the gateway's port 22" reaches devD 198.18.2.1 22
for dev in devA devB devC devD; do pst_disconnect "$dev"; done
pst_gw_stop

# ---- without a policy the routes are the filter
pst_gw_conf pool6="$POOL6" routes="$PST_INT_NET"
pst_gw_start || pst_bail "gateway restarts without a policy" "no 'listening on' in the log"
PST_ROUTES=$PST_INT_NET
pst_connect devA devA || pst_bail "devA connects without a policy" "no tunnel"
check "no policy, IPv4 routes only: no IPv6 address on vpn0" [ -z "$(vpn6 devA)" ]
check "no policy: the routed internal host answers" pst_ping devA "$PST_INT_IP"
check "devA adds its own route to 198.18.3.0/24 through vpn0" \
	ip -n "$(pst_ns devA)" route add "$PST_REM_NET" dev vpn0
if pst_ping devA "$PST_REM_IP"; then
	not_ok "no policy: a destination outside the routes is dropped" "198.18.3.2 answered"
else
	ok "no policy: a destination outside the routes is dropped"
fi
check "gateway log: dropped as outside the configured routes" \
	pst_log_wait 5 "dropped packet to 198.18.3.2, outside the configured routes, device=devA"
pst_disconnect devA
pst_gw_stop
pst_finish
