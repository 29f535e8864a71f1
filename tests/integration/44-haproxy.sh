#!/bin/bash
# SPDX-License-Identifier: MIT
# Behind a load balancer: the real HAProxy (Debian package) in TCP mode in
# front of posternd, sending the PROXY protocol (v2) and checking the
# gateway's /health on its metrics listener. The stock client connects
# through it and gets its tunnel; the gateway's log, the audit record and
# posternctl name the device's own address, not the balancer's. A PROXY
# header sent straight to the gateway from an address outside
# proxy-trusted is refused, and so is a TLS client that skips the balancer.
#
#   devA 198.18.0.11 --br0-- haproxy 198.18.0.2:443 --PROXY v2--> posternd 198.18.0.1:443
#                            (both in the gateway netns; proxy-trusted = 198.18.0.2/32)
# The DTLS channel needs UDP to the address the client connected to, which
# a TCP balancer does not carry: this client runs TLS only.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init
command -v haproxy >/dev/null || pst_skip "haproxy is not installed"

LB_IP=198.18.0.2
GW_OWN_IP=198.18.0.1

# The certificate names the address devices connect to: the balancer's.
PST_GW_IP=$LB_IP
pst_topology devA devX || pst_bail "topology" "could not build the namespaces"
ip -n "$(pst_ns gw)" addr add "$GW_OWN_IP/24" dev br0 || pst_bail "topology" "second address"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA || pst_bail "PKI" "postern-ca failed"

PST_GW_IP=$GW_OWN_IP
# A policy, so that each decision is an audit record.
cat >"$PST_TMP/policy.conf" <<-EOF
quarantine-profile = "remediation"
agent = "optional"
profile internal { allow = { "$PST_INT_NET" } }
profile remediation { allow = { "198.18.3.0/24" } }
platform linux { }
rule all { action = "allow" profile = "internal" }
EOF
ops_gw_conf audit-log="$PST_TMP/audit.log" policy="$PST_TMP/policy.conf"
cat >>"$PST_GW_CONF" <<-EOF
proxy-protocol = true
proxy-trusted = {"$LB_IP/32"}
EOF
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"
ok "gateway starts with proxy-protocol = true"

cat >"$PST_TMP/haproxy.cfg" <<-EOF
global
    maxconn 256
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
frontend vpn
    bind $LB_IP:$PST_PORT
    default_backend gateways
backend gateways
    option httpchk GET /health
    server gw1 $GW_OWN_IP:$PST_PORT send-proxy-v2 source $LB_IP check addr 127.0.0.1 port ${OPS_METRICS##*:} inter 1s
EOF
haproxy -c -f "$PST_TMP/haproxy.cfg" >/dev/null 2>&1 || pst_bail "haproxy config" "haproxy -c refused it"
ip netns exec "$(pst_ns gw)" haproxy -db -f "$PST_TMP/haproxy.cfg" >"$PST_TMP/haproxy.log" 2>&1 &
lb_pid=$!
pst_spawn "$lb_pid"
lb_listening() { pst_in gw ss -ltn "sport = :$PST_PORT" | grep -q "$LB_IP:$PST_PORT"; }
check "haproxy listens on $LB_IP:$PST_PORT" wait_for 10 lb_listening

check "/health answers 200 ok for the balancer's check" \
	bash -c "[ \"\$(ip netns exec '$(pst_ns gw)' curl -s -o - -w ' %{http_code}' \
		http://$OPS_METRICS/health)\" = 'ok
 200' ]"

# ---- a device through the balancer
PST_GW_IP=$LB_IP
if pst_connect devA devA; then
	ok "devA connects through haproxy"
else
	pst_bail "devA connects through haproxy" "$(tail -5 "${PST_OC_LOG[devA]}")"
fi
devA_ip=$(pst_device_ip devA)
check "devA reaches the internal host through the tunnel" pst_ping devA "$PST_INT_IP"
check "gateway log: the tunnel names devA's own address ($devA_ip), not the balancer's" \
	pst_log_has "tunnel up device=devA peer=$(re "$devA_ip"):[0-9]+ "
check "gateway log: no line names the balancer as a device's peer" \
	ops_not pst_log_has "device=devA peer=$(re "$LB_IP"):"
check "audit record: client is devA's own address" \
	grep -q "\"client\":\"$devA_ip:" "$PST_TMP/audit.log"
ops_sessions "$PST_TMP/sessions.json"
peer=$(ops_json_get "$PST_TMP/sessions.json" "d['sessions'][0]['peer']")
check "posternctl sessions: peer $peer is devA's own address" \
	bash -c "[[ '$peer' == $devA_ip:* ]]"

# ---- around the balancer
# A PROXY header straight to the gateway from devX, which is not a balancer:
# it would let any device claim any address.
pst_in devX python3 - "$GW_OWN_IP" "$PST_PORT" <<'PY' >"$PST_TMP/spoof.out" 2>&1
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"PROXY TCP4 203.0.113.7 198.18.0.1 4444 443\r\n")
s.settimeout(5)
try:
    print("read", len(s.recv(100)))
except OSError as e:
    print("error", e)
PY
check "a PROXY header from outside proxy-trusted is refused" \
	pst_log_wait 5 "closing connection peer=$(re "$(pst_device_ip devX)"):[0-9]+: not a trusted load balancer"
check "the spoofed address appears nowhere as a peer" ops_not pst_log_has "peer=203\\.0\\.113\\.7"
# A client that skips the balancer is refused too (it sends no header).
PST_GW_IP=$GW_OWN_IP
pst_issue "$PST_TMP/pki" devX >/dev/null 2>&1
pst_oc_start devX devX
wait_for 15 pst_gone "${PST_OC_PID[devX]}"
check "a client straight to the gateway gets no tunnel" ops_not pst_tunnel_ready devX
pst_stop_pid "${PST_OC_PID[devX]}"
check "devA's tunnel still passes traffic" pst_ping devA "$PST_INT_IP"
PST_GW_IP=$LB_IP
pst_disconnect devA
PST_GW_IP=$GW_OWN_IP
pst_stop_pid "$lb_pid"
pst_finish
