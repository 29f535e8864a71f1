#!/bin/bash
# SPDX-License-Identifier: MIT
# Sessions outlive their network process. Three devices are connected under
# the posture policy: devA compliant (internal), devB quarantined (its OS is
# too old), devC compliant. The network process is frozen (SIGSTOP), the
# platform minimum is lowered in the policy file and devC is revoked, then
# the process is killed (SIGKILL), as a crash would end it. The supervisor
# starts a new one, which decides each session again under what is in force
# now: devA comes back allowed and devB promoted to internal, each with its
# cookie and its address, while devC's is not taken back (revoked). The
# stock clients of devA and devB, never restarted, reconnect by themselves
# with no new login and pass traffic; devC gets no tunnel. The audit log
# has a "resume" decision for each session that came back, and a ban set
# before the crash is still in force after it.
#
#   devA/devB/devC 198.18.0.1x --br0-- gw 198.18.0.1:443 [pst0] --int0-- int 198.18.2.2 (internal)
#                                                                      int 198.18.3.2 (remediation)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pst_topology devA devB devC || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA --group field &&
	pst_issue "$PST_TMP/pki" devB --group field &&
	pst_issue "$PST_TMP/pki" devC --group field || pst_bail "PKI" "postern-ca failed"
cp "$PST_FIXTURES/policy.conf" "$PST_TMP/policy.conf"
ops_gw_conf policy="$PST_TMP/policy.conf" audit-log="$PST_TMP/audit.log" \
	routes="$PST_INT_NET $PST_REM_NET"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

pst_posture_connect devA devA "$PST_FIXTURES/compliant.facts" "$PST_INT_NET $PST_REM_NET" ||
	pst_bail "devA connects" "$(tail -5 "${PST_OC_LOG[devA]}")"
pst_posture_connect devB devB "$PST_FIXTURES/old-os.facts" "$PST_REM_NET $PST_INT_NET" ||
	pst_bail "devB connects" "$(tail -5 "${PST_OC_LOG[devB]}")"
pst_posture_connect devC devC "$PST_FIXTURES/compliant.facts" "$PST_INT_NET $PST_REM_NET" ||
	pst_bail "devC connects" "$(tail -5 "${PST_OC_LOG[devC]}")"
check "devB is quarantined before" \
	pst_log_has "posture decision device=devB peer=[^ ]+ verdict=quarantine rule=corporate profile=remediation"
no_ping() { ! pst_ping "$@"; }
check "devB does not reach the internal host before" no_ping devB "$PST_INT_IP"
addrA=$(pst_vpn_addr devA) addrB=$(pst_vpn_addr devB)
declare -A ups logins
for d in devA devB devC; do
	ups[$d]=$(pst_log_count "tunnel up device=$d ")
	logins[$d]=$(pst_log_count "auth ok device=$d ")
done
audit_before=$(wc -l <"$PST_TMP/audit.log")
# An operator's bar on a device must not lift with the process either.
ops_ctl ban devZ --for 1h >/dev/null || not_ok "posternctl ban devZ"
bans() { ops_ctl --json bans && ops_json_get "$OPS_OUT" '[(b["device"], b["since"], b["until"]) for b in d["bans"]]'; }
bans_before=$(bans)

# ---- freeze, change what is in force, kill
net=$(pst_gw_net_pid)
[ -n "$net" ] || pst_bail "the network process" "no child of posternd"
kill -STOP "$net"
sed -i 's/^\tmin-version = "12"$/\tmin-version = "11"/' "$PST_TMP/policy.conf"
check "the policy file now lets Linux 11 in" grep -q 'min-version = "11"' "$PST_TMP/policy.conf"
"$PST_BUILD/postern-ca" revoke --dir "$PST_TMP/pki" --device devC >/dev/null 2>&1 ||
	not_ok "postern-ca revokes devC"
kill -KILL "$net"
check "the network process is gone" wait_for 10 pst_gone "$net"
check "the supervisor starts a new one with the 3 sessions and the ban" \
	wait_for 10 pst_log_has "the network process \(pid $net\) was ended by signal 9 .*: its tunnels dropped; starting it again with the 4 sessions and bans it held"
check "it says how many came back, and the ban kept" \
	wait_for 10 pst_log_has "resumed 2 of 3 sessions of the previous network process \(1 ended, 0 unreadable\).*; 1 bans kept"
check "devZ is still banned, from and until the same times ($bans_before)" \
	[ "$(bans)" = "$bans_before" ]
check "devA: resumed, allowed, with its address" \
	pst_log_has "session resumed device=devA addr=$(re "$addrA") verdict=allow profile=internal:"
check "devB: resumed, and decided again under the new policy: allowed, internal" \
	pst_log_has "session resumed device=devB addr=$(re "$addrB") verdict=allow profile=internal:"
check "devC: not taken back, its certificate is revoked" \
	pst_log_has "session of device=devC not resumed after the restart: its certificate is revoked"

# ---- the stock clients come back by themselves
for d in devA devB; do
	addr=$addrA
	[ $d = devB ] && addr=$addrB
	check "$d: its own client reconnects with its cookie, to the same address" \
		wait_for 30 pst_log_more "tunnel up device=$d peer=[^ ]+ addr=$(re "$addr") \(reconnect\)" 0
	check "$d: the same client process" pst_alive "${PST_OC_PID[$d]}"
	check "$d: no new login" [ "$(pst_log_count "auth ok device=$d ")" = "${logins[$d]}" ]
done
check "devA reaches the internal host" wait_for 10 pst_ping devA "$PST_INT_IP"
check "devB, promoted, now reaches the internal host too" wait_for 10 pst_ping devB "$PST_INT_IP"
check "devC gets no tunnel back" [ "$(pst_log_count "tunnel up device=devC ")" = "${ups[devC]}" ]
check "audit log: one resume decision each for devA and devB, with their addresses" \
	python3 - "$PST_TMP/audit.log" "$audit_before" "$addrA" "$addrB" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).readlines()[int(sys.argv[2]):]]
res = sorted((r["device"], r["verdict"], r["profile"], r["address"]) for r in recs if r["event"] == "resume")
assert res == [("devA", "allow", "internal", sys.argv[3]), ("devB", "allow", "internal", sys.argv[4])], recs
PY
ops_metrics "$PST_TMP/m.txt" >/dev/null && ops_prom_parse "$PST_TMP/m.txt" "$PST_TMP/m.json" ||
	not_ok "the new network process serves its metrics"
check "metrics: postern_network_process_restarts_total 1" \
	[ "$(ops_json_get "$PST_TMP/m.json" 'd["postern_network_process_restarts_total"]')" = 1 ]
check "metrics: postern_sessions_resumed_total 2" \
	[ "$(ops_json_get "$PST_TMP/m.json" 'd["postern_sessions_resumed_total"]')" = 2 ]
ops_ctl status || true
check "posternctl status names the restart" grep -q "restarted 1 time)" "$OPS_OUT"
grep -E "resum|ended by|tunnel up" "$PST_GW_LOG" | tail -n 8 | sed 's/^/# /'

pst_end devA devA || not_ok "devA's session ends"
pst_end devB devB || not_ok "devB's session ends"
pst_disconnect devC
pst_finish
