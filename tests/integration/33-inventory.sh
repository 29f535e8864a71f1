#!/bin/bash
# SPDX-License-Identifier: MIT
# The MDM inventory (policy key inventory = "inventory.csv", a CSV export
# next to the policy) as a source of facts, watched by the gateway:
# - an agent report that contradicts the inventory (OS 12.5 vs 13.1):
#   quarantine, the reason naming both values;
# - phones without our agent (rule phones: platform android, agent
#   optional; openconnect --os=android, no CSD wrapper) are judged on the
#   inventory: Android 14 allowed, Android 13 quarantined;
# - rule strict (trust = "mdm"): a passcode that only the agent reports
#   does not count (quarantine), one the inventory states does (allow);
# - the inventory file is rewritten with devA lost: devA's live session ends
#   with no command (the gateway's file watch), within 5 s, and its
#   reconnect is denied with the lost reason;
# - logrotate: the audit log moved away and SIGUSR1: the next decision goes
#   to a new file, none to the old one.
#
#   devA 198.18.0.11 (laptop devA, agent)           --\
#   devB 198.18.0.12 (laptop contra, agent)         ---br0-- gw 198.18.0.1:443 [pst0, inventory.csv watched] -- int 198.18.2.2
#   devC 198.18.0.13 (phone1, phone2: --os=android) ---/                                                          int 198.18.3.2
#   devD 198.18.0.14 (laptops strict1, strict2)     --/
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pki=$PST_TMP/pki policy=$PST_TMP/policy.conf inv=$PST_TMP/inventory.csv
pst_topology devA devB devC devD || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$pki" && pst_issue "$pki" devA --group field && pst_issue "$pki" contra --group field &&
	pst_issue "$pki" phone1 --group mobile && pst_issue "$pki" phone2 --group mobile &&
	pst_issue "$pki" strict1 --group strict && pst_issue "$pki" strict2 --group strict ||
	pst_bail "PKI" "postern-ca failed"
cp "$OPS_FIXTURES/policy-inventory.conf" "$policy"
# device, mdm_enrolled, passcode_set, os_name, os_version, status
rows=("devA,true,true,linux,12.5,active" "contra,true,true,linux,13.1,active"
	"phone1,true,true,android,14,active" "phone2,true,true,android,13,active"
	"strict1,true,,linux,12.5,active" "strict2,true,true,linux,12.5,active")
ops_inventory "$inv" "${rows[@]}"
ops_gw_conf policy="$policy" audit-log="$PST_TMP/audit.log" routes="$PST_INT_NET $PST_REM_NET"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log: $(tail -3 "$PST_GW_LOG")"
ops_ctl --json status
ops_check "status: the inventory with 6 records" "$OPS_OUT" '
assert d["inventory"]["path"] == a[0] and d["inventory"]["records"] == 6, d["inventory"]
iso(d["inventory"]["loaded"])' "$inv"

compliant=$PST_FIXTURES/compliant.facts
decision() { pst_log_has "posture decision device=$1 peer=[^ ]+ verdict=$2 rule=$3 profile=$4$5"; }

# ---- devA: agent and inventory agree
if pst_posture_connect devA devA "$compliant" "$PST_INT_NET"; then
	ok "devA (agent and inventory agree) connects"
	check "devA: allowed with profile internal" decision devA allow corporate internal '$'
	check "devA reaches the internal host" pst_ping devA "$PST_INT_IP"
	ops_ctl --json show devA
	ops_check "show devA: the inventory's facts have source mdm" "$OPS_OUT" '
f = [(x["name"], x["value"]) for x in d["facts"] if x["source"] == "mdm"]
assert ("os.version", "12.5") in f and ("mdm.enrolled", "true") in f, d["facts"]
assert ("device.status", "active") in f, d["facts"]'
else
	not_ok "devA (agent and inventory agree) connects" "$(tail -5 "${PST_OC_LOG[devA]}")"
fi

# ---- contra: the agent says 12.5, the inventory 13.1
if pst_posture_connect devB contra "$compliant" "$PST_REM_NET"; then
	ok "contra (agent contradicts the inventory) connects"
	check "contra: quarantined, the reason naming 12.5 and 13.1" \
		decision contra quarantine '[^ ]+' remediation ': .*(12\.5.*13\.1|13\.1.*12\.5)'
	check "contra reaches the remediation host" pst_ping devB "$PST_REM_IP"
	pst_end devB contra || not_ok "contra's session ends"
else
	not_ok "contra (agent contradicts the inventory) connects" "$(tail -5 "${PST_OC_LOG[devB]}")"
fi

# ---- phones: no agent, judged on the inventory
# phone ID VERDICT PROFILE REASON_ERE HOST OS_VERSION: ID connects as an
# Android client without a wrapper and gets VERDICT, reaches HOST, and its
# os.version as the gateway knows it is the inventory's.
phone() {
	local id=$1 verdict=$2 profile=$3 why=$4 host=$5 osv=$6
	if pst_connect devC "$id" --os=android; then
		ok "$id (android, no agent) connects"
		check "$id: $verdict with profile $profile (rule phones)" decision "$id" "$verdict" phones "$profile" "$why"
		check "$id: no host-scan challenge" ops_not pst_log_has "posture check device=$id .*host-scan challenge"
		check "$id reaches $host" pst_ping devC "$host"
		ops_ctl --json show "$id"
		ops_check "show $id: os.version $osv from the MDM, passcode.set from the MDM" "$OPS_OUT" '
f = [(x["name"], x["value"], x["source"]) for x in d["facts"]]
assert ("os.version", a[0], "mdm") in f and ("passcode.set", "true", "mdm") in f, f' "$osv"
		pst_end devC "$id" || not_ok "$id's session ends"
	else
		not_ok "$id (android, no agent) connects" "$(tail -5 "${PST_OC_LOG[devC]}")"
	fi
}
phone phone1 allow internal '$' "$PST_INT_IP" 14
phone phone2 quarantine remediation ': .*OS version 13 is below the minimum 14 for android' "$PST_REM_IP" 13

# ---- trust = "mdm": the passcode must come from the inventory
if pst_posture_connect devD strict1 "$compliant" "$PST_REM_NET"; then
	ok "strict1 (passcode only from its agent) connects"
	check "strict1: quarantined, the reason about the self-reported passcode" \
		decision strict1 quarantine strict remediation ': .*passcode'
	check "strict1: the reason says the passcode was not stated by the MDM" \
		bash -c "grep -E 'posture decision device=strict1 .*verdict=quarantine' '$PST_GW_LOG' | grep -qiE 'mdm|inventory'"
	pst_end devD strict1 || not_ok "strict1's session ends"
else
	not_ok "strict1 (passcode only from its agent) connects" "$(tail -5 "${PST_OC_LOG[devD]}")"
fi
if pst_posture_connect devD strict2 "$compliant" "$PST_INT_NET"; then
	ok "strict2 (passcode in the inventory) connects"
	check "strict2: allowed with profile internal" decision strict2 allow strict internal '$'
	pst_end devD strict2 || not_ok "strict2's session ends"
else
	not_ok "strict2 (passcode in the inventory) connects" "$(tail -5 "${PST_OC_LOG[devD]}")"
fi

# ---- devA reported lost: the watch ends its session
if pst_alive "${PST_OC_PID[devA]:-0}"; then
	n=$(pst_log_count "inventory reloaded ")
	lost=("${rows[@]}")
	lost[0]="devA,true,true,linux,12.5,lost"
	ops_inventory "$inv" "${lost[@]}"
	start=$(ops_ms)
	if ms=$(ops_log_wait_since "$start" 15 \
		"session end device=devA .*: device is reported lost in the MDM inventory"); then
		echo "# devA's session ended $ms ms after the inventory was rewritten"
		check "lost devA: its session ends within 5 s of the inventory change (took $ms ms)" \
			[ "$ms" -le 5000 ]
	else
		not_ok "lost devA: its session ends within 5 s of the inventory change" "no session end in 15 s"
	fi
	check "gateway log: inventory reloaded, 6 records" pst_log_more "inventory reloaded $(re "$inv"): 6 records" "$n"
	check "lost devA's client exits" pst_oc_wait devA 10
	pst_agent_env devA "$compliant"
	ops_refused "lost devA reconnects" devA devA "device is reported lost in the MDM inventory" \
		--csd-wrapper "$PST_AGENT"
	PST_OC_ENV=()
	check "gateway log: devA's reconnect denied as lost" \
		pst_log_has "(refused peer=[^ ]+ device=devA|posture decision device=devA .*verdict=deny).*device is reported lost"
	ops_ctl --json stats
	ops_check "stats: sessions_ended.lost = 1" "$OPS_OUT" \
		'assert d["sessions_ended"]["lost"] == 1, d["sessions_ended"]'
else
	not_ok "lost devA: its session ends when the inventory says lost" "devA was not connected"
fi

# ---- logrotate: the audit log is moved away, SIGUSR1, and the next decision
# goes to a new file at the configured path, none to the old one
audit=$PST_TMP/audit.log
if [ -s "$audit" ]; then
	lines=$(wc -l <"$audit")
	mv "$audit" "$audit.1"
	kill -USR1 "$PST_GW_PID"
	check "SIGUSR1: the gateway reopens the audit log" \
		pst_log_wait 5 "SIGUSR1: audit log $(re "$audit") reopened"
	if pst_connect devC phone1 --os=android; then
		check "after SIGUSR1: phone1's decision is the one line of a new audit log" \
			[ "$(wc -l <"$audit" 2>/dev/null)" = 1 ]
		check "after SIGUSR1: the rotated file is unchanged ($lines lines)" \
			[ "$(wc -l <"$audit.1")" = "$lines" ]
		check "the audit record names the inventory in force and its sha256" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["inventory"] == sys.argv[2] and r["inventory_sha256"] == sys.argv[3], r' \
			"$audit" "$inv" "$(sha256sum "$inv" | cut -c1-64)"
		pst_end devC phone1 || not_ok "phone1's second session ends"
	else
		not_ok "phone1 connects after the audit log was rotated" "$(tail -5 "${PST_OC_LOG[devC]}")"
	fi
else
	not_ok "the audit log has the decisions so far" "$audit is empty or missing"
fi

check "gateway still running" pst_alive "$PST_GW_PID"
pst_finish
