#!/bin/bash
# SPDX-License-Identifier: MIT
# max-clients under a flood of idle connections: connections that have not
# sent anything make room for new ones (oldest first), so idle TCP
# connections cannot lock devices out; an open tunnel is never evicted, and
# when every slot is a tunnel (or a login in progress) a new connection is
# refused. 43-floods.sh has the flood at full speed.
#
#   devA 198.18.0.11 (openconnect) --\
#   devB 198.18.0.12 (openconnect) ---br0-- gw 198.18.0.1:443 (max-clients = 2)
#   devC 198.18.0.13 (idle TCP)    --/
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pst_topology devA devB devC || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA && pst_issue "$PST_TMP/pki" devB ||
	pst_bail "PKI" "postern-ca failed"
# One worker: max-clients is shared out among workers, and the slots
# counted below are one worker's.
pst_gw_conf max-clients=2 workers=1
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

# idle_conn: a TCP connection from devC that sends nothing; sets IDLE_PID.
idle_conn() {
	ip netns exec "$(pst_ns devC)" bash -c \
		"exec 3<>/dev/tcp/$PST_GW_IP/$PST_PORT && exec sleep 60" 2>/dev/null &
	IDLE_PID=$!
	pst_spawn "$IDLE_PID"
}
# established_from_devC: how many TCP connections devC holds to the gateway.
established_from_devC() {
	pst_in devC ss -Htn state established "dport = :$PST_PORT" | wc -l
}
devC_holds() { [ "$(established_from_devC)" -eq "$1" ]; }

pst_connect devA devA || pst_bail "devA connects" "no tunnel"
idle_conn
check "an idle connection takes the second slot" wait_for 5 devC_holds 1
idle_conn
check "a second idle connection evicts the first (slots: 1 tunnel + 1 idle)" \
	pst_log_wait 5 "closing connection peer=$(re "$(pst_device_ip devC)"):[0-9]+ .*evicted"

check "devB connects although every slot was taken" pst_connect devB devB
check "devA's tunnel was not evicted" pst_ping devA "$PST_INT_IP"
check "devB reaches the internal host" pst_ping devB "$PST_INT_IP"

idle_conn
check "with every slot a tunnel, a new connection is refused" \
	pst_log_wait 5 "max-clients \(2\) reached, every slot a tunnel or a login in progress"
check "devA's tunnel still works" pst_ping devA "$PST_INT_IP"
check "devB's tunnel still works" pst_ping devB "$PST_INT_IP"
pst_disconnect devA
pst_disconnect devB
pst_finish
