#!/bin/bash
# SPDX-License-Identifier: MIT
# Anyone can open connections that fail; a flood of them must not become a
# flood of log lines. 100 connections of random bytes in a row: at most the
# per-second budget of "closing connection" lines is logged, the rest is
# counted in one "suppressed" line, and a device still connects.
#
#   devA 198.18.0.11 --br0-- gw 198.18.0.1:443 (posternd)
set -u
. "$(dirname "$0")/lib.sh"
pst_init

FLOOD=100
BUDGET=20	# GW_PEER_LOG_BUDGET in gateway/model.h

pst_topology devA || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA || pst_bail "PKI" "postern-ca failed"
pst_gw_conf
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

start=$(date +%s)
for ((i = 0; i < FLOOD; i++)); do
	head -c 64 /dev/urandom | pst_in devA timeout 5 nc -w 2 "$PST_GW_IP" "$PST_PORT" >/dev/null 2>&1
done
seconds=$(($(date +%s) - start + 1))
count_lines() {
	logged=$(pst_log_count "closing connection peer=")
	suppressed=$(grep -Eo '[0-9]+ more lines about failed' "$PST_GW_LOG" |
		awk '{ s += $1 } END { print s + 0 }')
}
# The suppressed count of the flood's last second comes with the next tick.
accounted() { count_lines; [ $((logged + suppressed)) -ge "$FLOOD" ]; }
check "logged and suppressed lines account for every connection" wait_for 5 accounted
echo "# $FLOOD failed connections in about $seconds s: $logged logged, $suppressed suppressed"
check "the flood's suppressed lines are reported" [ "$suppressed" -gt 0 ]
check "at most $BUDGET lines a second were logged ($logged in about $seconds s)" \
	[ "$logged" -le $((BUDGET * (seconds + 1))) ]
check "no connection is counted twice" [ $((logged + suppressed)) -eq "$FLOOD" ]
check "a device still connects after the flood" pst_connect devA devA
pst_disconnect devA
pst_finish
