#!/bin/bash
# SPDX-License-Identifier: MIT
# Policy reload re-judges live sessions in place. devA reports Linux 12.5,
# devB Linux 14 (both compliant under min-version 12, both allowed with the
# internal profile, both pushed the routes of internal and remediation).
# - policy-diff of the stricter policy (min-version 13) names devA alone
#   and changes nothing;
# - `posternctl reload` with that policy demotes devA to quarantine without
#   a reconnect (same client process, same address, no new tunnel up): the
#   internal host stops answering, the remediation host answers; devB is
#   untouched; the reload's "changed" list, the diff and the log agree;
# - SIGHUP with the original policy promotes devA back;
# - a profile narrowed by a reload applies to the live sessions that have it
#   (no verdict changes, the internal host stops answering both);
# - a policy with a syntax error is refused with FILE:LINE, exit 1, and
#   nothing changes (sessions, verdicts, the policy's sha256 in status).
#
#   devA 198.18.0.11 (agent: compliant.facts) --\
#                                                br0 -- gw 198.18.0.1:443 [pst0, control.sock] -- int 198.18.2.2 (internal)
#   devB 198.18.0.12 (agent: linux-14.facts) ---/                                                  int 198.18.3.2 (remediation)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pki=$PST_TMP/pki policy=$PST_TMP/policy.conf stricter=$PST_TMP/stricter.conf
pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$pki" && pst_issue "$pki" devA --group field && pst_issue "$pki" devB --group field ||
	pst_bail "PKI" "postern-ca failed"
cp "$OPS_FIXTURES/policy-reload.conf" "$policy"
cp "$OPS_FIXTURES/policy-stricter.conf" "$stricter"
sha_base=$(pst_sha256 "$OPS_FIXTURES/policy-reload.conf")
sha_strict=$(pst_sha256 "$stricter")
ops_gw_conf policy="$policy" routes="$PST_INT_NET $PST_REM_NET"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

pst_posture_connect devA devA "$PST_FIXTURES/compliant.facts" "$PST_INT_NET" ||
	pst_bail "devA connects" "$(tail -5 "${PST_OC_LOG[devA]}")"
pst_posture_connect devB devB "$OPS_FIXTURES/linux-14.facts" "$PST_INT_NET" ||
	pst_bail "devB connects" "$(tail -5 "${PST_OC_LOG[devB]}")"
addr_a=$(pst_vpn_addr devA) addr_b=$(pst_vpn_addr devB)
pid_a=${PST_OC_PID[devA]} pid_b=${PST_OC_PID[devB]}
check "devA: allowed with profile internal" \
	pst_log_has "posture decision device=devA peer=[^ ]+ verdict=allow rule=corporate profile=internal$"
check "devB: allowed with profile internal" \
	pst_log_has "posture decision device=devB peer=[^ ]+ verdict=allow rule=corporate profile=internal$"
check "devA's routes are internal's and remediation's" pst_routes_are devA "$PST_INT_NET" "$PST_REM_NET"
check "devB's routes are internal's and remediation's" pst_routes_are devB "$PST_INT_NET" "$PST_REM_NET"
check "devA reaches the internal host" pst_ping devA "$PST_INT_IP"
check "devB reaches the internal host" pst_ping devB "$PST_INT_IP"
ops_sessions "$PST_TMP/sessions-0.json"

# same_sessions NAME: both clients and sessions are the ones of the start.
same_sessions() {
	check "$1: devA's client is the same process" pst_alive "$pid_a"
	check "$1: devB's client is the same process" pst_alive "$pid_b"
	check "$1: devA keeps its address" [ "$(pst_vpn_addr devA)" = "$addr_a" ]
	check "$1: devB keeps its address" [ "$(pst_vpn_addr devB)" = "$addr_b" ]
	check "$1: no new tunnel up" [ "$(pst_log_count 'tunnel up device=dev[AB] ')" -eq 2 ]
	check "$1: no session ended" ops_not pst_log_has "session end device=dev[AB] "
	ops_ctl --json sessions
	ops_check "$1: sessions have the same start and addresses" "$OPS_OUT" '
old = json.load(open(a[0]))
for dev in ("devA", "devB"):
    n, o = sess(dev), sess(dev, old)
    assert (n["address"], n["connected_since"]) == (o["address"], o["connected_since"]), (o, n)
' "$PST_TMP/sessions-0.json"
}

# verdicts_are A_VERDICT A_PROFILE: devA's session verdict and profile
# (devB: always allow/internal).
verdicts_are() {
	ops_ctl --json sessions &&
		ops_py "$OPS_OUT" '
assert (sess("devA")["verdict"], sess("devA")["profile"]) == (a[0], a[1]), sess("devA")
assert (sess("devB")["verdict"], sess("devB")["rule"], sess("devB")["profile"]) == \
    ("allow", "corporate", "internal"), sess("devB")' "$1" "$2"
}

# ---- the dry run: the same policy changes nothing, the stricter one devA
ops_ctl --json policy-diff "$policy"
ops_check "policy-diff of the policy in force: no changes, 2 unchanged (exit $OPS_RC)" "$OPS_OUT" \
	'assert d["changes"] == [] and d["unchanged"] == 2 and d["sha256"] == a[0], d' "$sha_base"
ops_ctl --json policy-diff "$stricter"
cp "$OPS_OUT" "$PST_TMP/diff.json"
check "policy-diff stricter: exit 0" [ "$OPS_RC" -eq 0 ]
ops_check "policy-diff stricter: devA alone, allow/internal -> quarantine/remediation, why" \
	"$OPS_OUT" '
assert d["policy"] == a[0] and d["sha256"] == a[1], d
assert [c["device"] for c in d["changes"]] == ["devA"] and d["unchanged"] == 1, d
c = d["changes"][0]
assert c["from"] == {"verdict": "allow", "rule": "corporate", "profile": "internal"}, c
assert c["to"]["verdict"] == "quarantine" and c["to"]["profile"] == "remediation", c
assert any("below the minimum 13" in r for r in c["reasons"]), c["reasons"]
' "$stricter" "$sha_strict"
ops_ctl policy-diff "$stricter"
check "policy-diff stricter (text): names devA, not devB" \
	bash -c "grep -q devA '$OPS_OUT' && ! grep -q devB '$OPS_OUT'"
check "policy-diff changed nothing: devA still allowed" verdicts_are allow internal
check "policy-diff changed nothing: no re-evaluated line" ops_not pst_log_has "re-evaluated "
check "policy-diff changed nothing: devA reaches the internal host" pst_ping devA "$PST_INT_IP"
ops_ctl --json status
ops_check "policy-diff changed nothing: status shows the original policy" "$OPS_OUT" \
	'assert d["policy"]["sha256"] == a[0], d["policy"]' "$sha_base"

# ---- reload with the stricter policy
cp "$stricter" "$policy"
ops_ctl --json reload
cp "$OPS_OUT" "$PST_TMP/reload-1.json"
check "reload stricter: exit 0" [ "$OPS_RC" -eq 0 ]
ops_check "reload stricter: devA changed to quarantine/remediation, devB unchanged" "$OPS_OUT" '
assert d["config"] == a[0] and d["policy"] == a[1], d
assert [c["device"] for c in d["changed"]] == ["devA"], d["changed"]
c = d["changed"][0]
assert c["from"] == {"verdict": "allow", "rule": "corporate", "profile": "internal"}, c
assert c["to"]["verdict"] == "quarantine" and c["to"]["profile"] == "remediation", c
assert d["ended"] == [] and d["unchanged"] == 1, d
' "$PST_GW_CONF" "$policy"
check "gateway log: reload names the policy and its new sha256" \
	pst_log_has "reload: config $(re "$PST_GW_CONF"), policy $(re "$policy") \(sha256 $sha_strict\)"
check "gateway log: devA re-evaluated to quarantine (was allow/internal)" \
	pst_log_has "re-evaluated device=devA verdict=quarantine profile=remediation \(was allow/internal\)"
check "gateway log: devB not re-evaluated" ops_not pst_log_has "re-evaluated device=devB "
check "policy-diff, reload and log name the same devices" python3 -c '
import json, re, sys
diff = sorted(c["device"] for c in json.load(open(sys.argv[1]))["changes"])
rel = sorted(c["device"] for c in json.load(open(sys.argv[2]))["changed"])
log = sorted(re.findall(r"re-evaluated device=(\S+)", open(sys.argv[3]).read()))
assert diff == rel == log == ["devA"], (diff, rel, log)' "$PST_TMP/diff.json" "$PST_TMP/reload-1.json" "$PST_GW_LOG"
same_sessions "after the stricter reload"
check "after the stricter reload: sessions say devA quarantine/remediation, devB allow/internal" \
	verdicts_are quarantine remediation
check "demoted devA no longer reaches the internal host" ops_no_ping devA "$PST_INT_IP"
check "demoted devA reaches the remediation host" pst_ping devA "$PST_REM_IP"
check "devB still reaches the internal host" pst_ping devB "$PST_INT_IP"
check "gateway log: devA's packets to the internal host dropped outside the profile" \
	pst_log_wait 5 "dropped packet to $(re "$PST_INT_IP"), outside profile remediation, device=devA verdict=quarantine"
ops_ctl --json status
ops_check "status: the stricter policy's sha256, 1 allow + 1 quarantine" "$OPS_OUT" '
assert d["policy"]["sha256"] == a[0], d["policy"]
assert (d["sessions"]["allow"], d["sessions"]["quarantine"]) == (1, 1), d["sessions"]' "$sha_strict"
ops_ctl --json show devA
ops_check "show devA: the reload in its history, the failed check in its reasons" "$OPS_OUT" '
h = d["history"]
assert [e["event"] for e in h] == ["login", "reload"], h
assert (h[1]["verdict"], h[1]["profile"]) == ("quarantine", "remediation"), h[1]
assert any("below the minimum 13" in r for r in h[1]["reasons"]), h[1]
assert any("below the minimum 13" in r for r in d["reasons"]), d["reasons"]'

# ---- SIGHUP with the original policy: devA promoted in place
cp "$OPS_FIXTURES/policy-reload.conf" "$policy"
n_reload=$(pst_log_count "reload: config ")
kill -HUP "$PST_GW_PID"
check "SIGHUP: gateway logs a reload with the original sha256" \
	pst_log_wait 5 "reload: config $(re "$PST_GW_CONF"), policy $(re "$policy") \(sha256 $sha_base\)"
check "SIGHUP: one more reload line" [ "$(pst_log_count "reload: config ")" -gt "$n_reload" ]
check "gateway log: devA re-evaluated to allow (was quarantine/remediation)" \
	pst_log_wait 5 "re-evaluated device=devA verdict=allow profile=internal \(was quarantine/remediation\)"
check "gateway log: devB still never re-evaluated" ops_not pst_log_has "re-evaluated device=devB "
same_sessions "after SIGHUP"
check "after SIGHUP: both allowed with internal" verdicts_are allow internal
check "promoted devA reaches the internal host again" pst_ping devA "$PST_INT_IP"
check "devB still reaches the internal host" pst_ping devB "$PST_INT_IP"

# ---- a broken policy is refused whole
cp "$OPS_FIXTURES/policy-broken.conf" "$policy"
line=$(grep -n BROKEN "$policy" | tail -1 | cut -d: -f1)
n_eval=$(pst_log_count "re-evaluated ")
ops_ctl --json reload
check "reload broken: exit 1 (got $OPS_RC)" [ "$OPS_RC" -eq 1 ]
check "reload broken: posternctl says reload refused" grep -q "reload refused" "$OPS_ERR"
check "reload broken: the output names $(basename "$policy"):$line" \
	grep -qF "$policy:$line:" "$OPS_OUT" "$OPS_ERR"
check "gateway log: reload refused" pst_log_wait 5 "reload refused"
check "reload broken: nobody re-evaluated" [ "$(pst_log_count "re-evaluated ")" -eq "$n_eval" ]
same_sessions "after the refused reload"
check "after the refused reload: both still allowed with internal" verdicts_are allow internal
check "after the refused reload: devA still reaches the internal host" pst_ping devA "$PST_INT_IP"
ops_ctl --json status
ops_check "after the refused reload: status still shows the original policy's sha256" "$OPS_OUT" \
	'assert d["policy"]["sha256"] == a[0], d["policy"]' "$sha_base"
ops_ctl --json stats
ops_check "stats: reloads ok 2, failed 1" "$OPS_OUT" \
	'assert d["reloads"] == {"ok": 2, "failed": 1}, d["reloads"]'
kill -HUP "$PST_GW_PID"
check "SIGHUP with the broken policy: refused too" wait_for 5 pst_log_more "reload refused" 1

# ---- a profile narrowed under live sessions: the new networks apply in
# place to every session that has the profile, although no verdict changes;
# a network the clients were never routed is named in a warning
sed -e 's|allow = {"198.18.2.0/24"}|allow = {"198.18.2.128/25", "198.18.4.0/24"}|' \
	"$OPS_FIXTURES/policy-reload.conf" >"$policy"
n_eval=$(pst_log_count "re-evaluated ")
ops_ctl --json policy-diff "$policy"
ops_check "policy-diff narrowed: both sessions, allow/internal to allow/internal" "$OPS_OUT" '
assert sorted(c["device"] for c in d["changes"]) == ["devA", "devB"], d["changes"]
assert all(c["from"] == c["to"] for c in d["changes"]), d["changes"]'
ops_ctl --json reload
check "reload narrowed: exit 0 (got $OPS_RC)" [ "$OPS_RC" -eq 0 ]
check "reload narrowed: both sessions re-evaluated" \
	[ "$(pst_log_count "re-evaluated ")" -eq $((n_eval + 2)) ]
check "gateway log: 198.18.4.0/24 is outside the routes the clients were given" \
	pst_log_has "device=devA: profile internal has networks outside the routes"
check "narrowed: devA no longer reaches the internal host 198.18.2.2" ops_no_ping devA "$PST_INT_IP"
check "narrowed: devB no longer reaches it either" ops_no_ping devB "$PST_INT_IP"
check "narrowed: the gateway dropped it as outside the profile" \
	pst_log_wait 5 "dropped packet to $(re "$PST_INT_IP"), outside profile internal, device=devA"
same_sessions "after the narrowed profile"

check "gateway still running" pst_alive "$PST_GW_PID"
check "devA's session still the same after all that" pst_alive "$pid_a"

pst_disconnect devA
pst_disconnect devB
pst_finish
