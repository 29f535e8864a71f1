#!/bin/bash
# SPDX-License-Identifier: MIT
# agent = "optional": no host-scan challenge, so a client without any CSD
# wrapper (an MDM-deployed client on a phone) logs in and is judged on what
# it says about itself (its <device-id> and X-AnyConnect-Identifier-*
# headers, source "client") and its certificate.
# - a Linux client (openconnect's default device-id linux-64) under a policy
#   whose linux platform sets no minimum: allowed;
# - an Android client (--os android: openconnect then sends the mobile
#   headers with the fixed platform version "1.0") under an Android minimum:
#   the version is unknown, not old; quarantined, told that nothing but IT
#   can supply it here, and the audit record shows the client facts.
#
#   devA/devB 198.18.0.1x --br0-- gw 198.18.0.1:443 [pst0] --int0-- int 198.18.2.2 / 198.18.3.2
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" laptop && pst_issue "$PST_TMP/pki" phone ||
	pst_bail "PKI" "postern-ca failed"
cat >"$PST_TMP/policy.conf" <<EOF
quarantine-profile = "remediation"
agent = "optional"
profile internal { allow = { "$PST_INT_NET" } }
profile remediation { allow = { "$PST_REM_NET" } }
platform linux { }
platform android { min-version = "14" }
rule corporate { ownership = "corporate"  action = "allow"  profile = "internal" }
EOF
pst_gw_conf policy="$PST_TMP/policy.conf" audit-log="$PST_TMP/audit.log"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

PST_ROUTES=$PST_INT_NET
if pst_connect devA laptop; then
	ok "linux client without a wrapper connects"
	check "linux client: allowed with profile internal" \
		pst_log_has "posture decision device=laptop peer=[^ ]+ verdict=allow rule=corporate profile=internal$"
	check "no host-scan challenge was sent" bash -c "! grep -q 'host-scan challenge' '$PST_GW_LOG'"
	check "linux client reaches the internal host" pst_ping devA "$PST_INT_IP"
	pst_end devA laptop || not_ok "linux client's session ends"
else
	not_ok "linux client without a wrapper connects" "$(tail -5 "${PST_OC_LOG[devA]}")"
fi

# openconnect announces platform-version "1.0" for any Android phone: that is
# no version, and this policy has no other source for one (no inventory, no
# agent), so the owner is told to ask IT, not to update from 1.0.
if pst_quarantined devB phone android - "this client does not report the OS version (it sends '1.0'); the policy takes it from no other source (no MDM inventory, no posture agent): contact IT" --os android; then
	check "android client: not told to update from 1.0" pst_banner_lacks devB "update the operating system"
	check "android client reaches the remediation host" pst_ping devB "$PST_REM_IP"
	pst_end devB phone || not_ok "android client's session ends"
fi

check "audit log: the decisions rest on client facts, no report" python3 - "$PST_TMP/audit.log" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["verdict"] for r in recs] == ["allow", "quarantine"], recs
for r in recs:
    assert r["report"] == "no posture report was received", r["report"]
    assert r["facts"] and all(f["source"] == "client" for f in r["facts"]), r["facts"]
laptop = {f["name"]: f["value"] for f in recs[0]["facts"]}
phone = {f["name"]: f["value"] for f in recs[1]["facts"]}
assert laptop["os.name"] == "linux", laptop
assert phone["os.name"] == "android" and "os.version" in phone, phone
PY

# The dry run replays the gateway's decisions from the audit record's facts,
# with their sources (client:NAME=VALUE): same verdict, rule, profile and
# reasons.
pst_replay_agrees laptop
pst_replay_agrees phone

pst_finish
