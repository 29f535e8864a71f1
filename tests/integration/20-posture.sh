#!/bin/bash
# SPDX-License-Identifier: MIT
# Posture before the tunnel: stock openconnect runs our agent as its
# --csd-wrapper, the agent reports the facts of a fixture, and the policy
# (tests/fixtures/posture/policy.conf) decides.
# - compliant facts: the rule's profile "internal"; the device reaches the
#   internal host; its routes are the profile's and the quarantine
#   profile's (so the gateway can move it between the two in place).
# - OS too old, not MDM-enrolled, no passcode: quarantine. The device's routes
#   are the remediation profile's and its rule's; it reaches the remediation
#   host; its packets to the internal network are dropped at the
#   gateway and counted; its banner names the failed check.
# - every decision is one JSON line in the audit log, and
#   `postern-posture check` on the same facts decides the same.
#
#   devA 198.18.0.11 --br0-- gw 198.18.0.1:443 [pst0] --int0-- int 198.18.2.2 (internal)
#                                                              int 198.18.3.2 (remediation)
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pst_topology devA || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA --group field ||
	pst_bail "PKI" "postern-ca failed"
cp "$PST_FIXTURES/policy.conf" "$PST_TMP/policy.conf"
pst_gw_conf policy="$PST_TMP/policy.conf" audit-log="$PST_TMP/audit.log" \
	routes="$PST_INT_NET $PST_REM_NET"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"
check "gateway log names the policy and its sha256" \
	pst_log_has "posture policy $(re "$PST_TMP/policy.conf") \(sha256 $(sha256sum "$PST_TMP/policy.conf" | cut -c1-64)\)"

decisions=0
fixtures=()

# ---- compliant: allowed with the internal profile
if pst_posture_connect devA devA "$PST_FIXTURES/compliant.facts" "$PST_INT_NET"; then
	ok "compliant device connects"
	decisions=$((decisions + 1)) fixtures+=(compliant)
	check "gateway log: allow by rule corporate with profile internal" \
		pst_log_has "posture decision device=devA peer=[^ ]+ verdict=allow rule=corporate profile=internal$"
	check "the agent's report was received" pst_log_has "posture report device=devA peer=[^ ]+: [0-9]+ facts"
	check "routes are the internal profile's and the quarantine profile's" \
		pst_routes_are devA "$PST_INT_NET" "$PST_REM_NET"
	check "compliant device reaches the internal host" pst_ping devA "$PST_INT_IP"
	check "banner is the internal profile's" pst_banner_has devA "Welcome to the internal network."
	pst_end devA devA || not_ok "compliant session ends"
else
	not_ok "compliant device connects" "$(tail -5 "${PST_OC_LOG[devA]}")"
fi

# quarantined FIXTURE TEXT: devA connects reporting FIXTURE and is quarantined
# with TEXT among the reasons (pst_quarantined checks routes, log, banner).
# Then the data path: the remediation host answers; although its routes
# (its rule's profile's, so that it can be promoted in place) send traffic
# for the internal network into the tunnel, the device does not reach the
# internal host, because the gateway drops it, and counts it.
quarantined() {
	local name=$1 n
	pst_quarantined devA devA "$name" "$PST_FIXTURES/$name.facts" "$2" || return 1
	decisions=$((decisions + 1)) fixtures+=("$name")
	check "$name: quarantined device reaches the remediation host" pst_ping devA "$PST_REM_IP"
	pst_in devA ip route replace "$PST_INT_NET" dev vpn0
	if pst_ping devA "$PST_INT_IP"; then
		not_ok "$name: quarantined device does not reach the internal host"
	else
		ok "$name: quarantined device does not reach the internal host"
	fi
	check "$name: gateway log: packet to the internal host dropped outside the profile" \
		pst_log_wait 5 "dropped packet to $(re "$PST_INT_IP"), outside profile remediation, device=devA verdict=quarantine"
	if pst_end devA devA; then
		n=$(grep -E "session end device=devA .*verdict=quarantine" "$PST_GW_LOG" | tail -1 |
			sed -E 's/.* outside=([0-9]+).*/\1/')
		check "$name: dropped-outside-profile counter rose (outside=$n, 3 pings)" [ "$n" -ge 3 ]
	else
		not_ok "$name: quarantined session ends"
	fi
}

# OS version below the platform minimum, MDM not enrolled, passcode not set.
quarantined old-os "OS version 11 is below the minimum 12 for linux"
quarantined no-mdm "device is not enrolled in MDM"
quarantined no-passcode "no passcode is set"

# ---- the audit log: one valid JSON line per decision, with every field
check "audit log has one line per decision ($decisions)" \
	[ "$(wc -l <"$PST_TMP/audit.log")" -eq "$decisions" ]
check "audit log lines are JSON objects with every field" python3 - "$PST_TMP/audit.log" \
	"$(sha256sum "$PST_TMP/policy.conf" | cut -c1-64)" <<'PY'
import json, sys
want = {"time", "device", "serial", "group", "ownership", "client", "verdict", "rule",
        "profile", "reasons", "report", "address", "address6", "facts", "policy",
        "policy_sha256"}
for line in open(sys.argv[1]):
    r = json.loads(line)
    missing = want - r.keys()
    assert not missing, f"missing {missing}"
    assert r["device"] == "devA" and r["policy_sha256"] == sys.argv[2]
    assert r["address"].startswith("198.18.100."), r["address"]
    assert r["client"].startswith("198.18.0.11:"), r["client"]
    assert r["report"] == "received"
    assert (r["verdict"] == "allow") == (not r["reasons"])
    f = {x["name"]: x for x in r["facts"]}
    assert f["os.name"]["source"] == "agent" and f["os.name"]["value"] == "linux"
    assert all(isinstance(x["age"], int) and 0 <= x["age"] < 60 for x in r["facts"])
    assert any(x["source"] == "client" for x in r["facts"]), "no client facts"
PY

# ---- the dry run agrees with the gateway on every fixture used above
i=0
for fixture in "${fixtures[@]}"; do
	i=$((i + 1))
	pst_check_agrees "$fixture" devA "$PST_FIXTURES/$fixture.facts" "$i"
done

pst_finish
