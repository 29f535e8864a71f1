#!/bin/bash
# SPDX-License-Identifier: MIT
# Posture fails closed. Each of these ends in quarantine, never allow, with
# its own reason: a report missing a required fact, a report older than
# max-report-age, a wrapper that posts nothing, a reported device.id that
# is not the certificate's. And a report the gateway must refuse changes
# nothing: posted with another device's certificate, with a token it never
# issued, or with a token already used (helpers/report-tricks.sh tries all
# three around the device's own good report, which must still count).
#
#   devA 198.18.0.11 --br0-- gw 198.18.0.1:443 [pst0] --int0-- int 198.18.2.2 / 198.18.3.2
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pst_topology devA || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA --group field &&
	pst_issue "$PST_TMP/pki" devB --group field || pst_bail "PKI" "postern-ca failed"
pst_gw_conf policy="$PST_FIXTURES/policy.conf" audit-log="$PST_TMP/audit.log"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

fail_closed() {
	local name=$1 facts=$2 text=$3; shift 3
	pst_quarantined devA devA "$name" "$facts" "$text" "$@" || return
	pst_end devA devA || not_ok "$name: session ends"
}

fail_closed missing-fact "$PST_FIXTURES/missing-fact.facts" "not reported (passcode.set)"
fail_closed stale "$PST_FIXTURES/stale.facts" "is too old"
fail_closed other-id "$PST_FIXTURES/other-id.facts" "differs from the certificate's 'devA'"
# A wrapper that exits without posting: the wait still finishes, the login
# that follows finds no report.
fail_closed no-report - "no posture report was received" --csd-wrapper /bin/true
check "no decision was ever allow" bash -c "! grep -q 'verdict=allow' '$PST_GW_LOG'"

# ---- refused reports change nothing
tricks=$PST_TMP/tricks.out
pst_agent_env devA "$PST_FIXTURES/compliant.facts"
PST_OC_ENV+=(PST_TRICKS_OUT="$tricks" PST_AGENT="$PST_AGENT"
	PST_OTHER_CERT="$(pst_cert devB)" PST_OTHER_KEY="$(pst_key devB)")
PST_ROUTES=$PST_INT_NET
if pst_connect devA devA --csd-wrapper "$PST_HELPERS/report-tricks.sh"; then
	ok "tricks: device connects"
else
	not_ok "tricks: device connects" "$(tail -5 "${PST_OC_LOG[devA]}")"
fi
PST_OC_ENV=()
check "tricks: report with devB's certificate refused (agent exit 1)" grep -qx "other-cert=1" "$tricks"
check "tricks: report with an unknown token refused (agent exit 1)" grep -qx "unknown-token=1" "$tricks"
check "tricks: the device's own report accepted (agent exit 0)" grep -qx "good=0" "$tricks"
check "tricks: the used-up token refused (agent exit 1)" grep -qx "reused=1" "$tricks"
check "gateway log: refused, another device's certificate" \
	pst_log_has "refused posture report peer=[^ ]+ device=devB: the report came with another device's certificate"
check "gateway log: refused, unknown token" \
	pst_log_has "refused posture report peer=[^ ]+ device=devA: unknown or expired posture token"
check "gateway log: refused, token already used" \
	pst_log_has "refused posture report peer=[^ ]+ device=devA: this posture token has already been used"
check "tricks: the good report still decides: allow with profile internal" \
	pst_log_has "posture decision device=devA peer=[^ ]+ verdict=allow rule=corporate profile=internal$"
check "tricks: compliant device reaches the internal host" pst_ping devA "$PST_INT_IP"
check "devB never got a decision or a session" bash -c "! grep -Eq 'decision device=devB|auth ok device=devB' '$PST_GW_LOG'"
pst_end devA devA || not_ok "tricks: session ends"

check "audit log: 5 decisions, 4 quarantines then 1 allow" python3 - "$PST_TMP/audit.log" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["verdict"] for r in recs] == ["quarantine"] * 4 + ["allow"], [r["verdict"] for r in recs]
assert recs[3]["report"] == "no posture report was received", recs[3]["report"]
assert not [f for f in recs[3]["facts"] if f["source"] == "agent"]
stale = [f for f in recs[1]["facts"] if f["name"] == "os.version"][0]
assert stale["age"] > 300, stale
PY

# ---- the dry run agrees with the gateway on every fixture used above
pst_check_agrees missing-fact devA "$PST_FIXTURES/missing-fact.facts" 1
pst_check_agrees stale devA "$PST_FIXTURES/stale.facts" 2
pst_check_agrees other-id devA "$PST_FIXTURES/other-id.facts" 3
pst_check_agrees no-report devA - 4
pst_check_agrees tricks devA "$PST_FIXTURES/compliant.facts" 5

pst_finish
