#!/bin/bash
# SPDX-License-Identifier: MIT
# Deny, and the stock wrapper.
# - A personal (byod) device meets the rule `personal`, action deny: the
#   client prints the rule's message as the reason and gets no tunnel, even
#   with a compliant report.
# - A corporate device outside every rule's group is denied too (no rule
#   fits), with that reason.
# - openconnect's own csd-post.sh (Debian's /usr/libexec/openconnect) runs the
#   whole host-scan flow (token.xml, scan.xml without a certificate, wait
#   page) and ends in quarantine, not in a hang or an error.
# - posternd -t refuses a broken policy with FILE:LINE.
#
#   devA/devB/devC 198.18.0.1x --br0-- gw 198.18.0.1:443 [pst0] --int0-- int
set -u
. "$(dirname "$0")/lib.sh"
pst_init

csd_post=/usr/libexec/openconnect/csd-post.sh
[ -x "$csd_post" ] || pst_skip "$csd_post is missing (openconnect package)"
command -v curl >/dev/null || pst_skip "curl is not installed (run make deps)"

pst_topology devA devB devC || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" phone --group field --byod &&
	pst_issue "$PST_TMP/pki" office --group office &&
	pst_issue "$PST_TMP/pki" devC --group field || pst_bail "PKI" "postern-ca failed"
pst_gw_conf policy="$PST_FIXTURES/policy.conf" audit-log="$PST_TMP/audit.log"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

# denied DEV CERT_ID REASON: the client exits 1 printing REASON, no tunnel.
denied() {
	local dev=$1 id=$2 reason=$3
	pst_agent_env "$id" "$PST_FIXTURES/compliant.facts"
	pst_oc_start "$dev" "$id" --csd-wrapper "$PST_AGENT"
	PST_OC_ENV=()
	pst_oc_wait "$dev" 20
	check "$id: client exits with status 1 (got $PST_OC_RC)" [ "$PST_OC_RC" = 1 ]
	check "$id: client prints the reason" \
		grep -q "VPN service unavailable; reason: $reason" "${PST_OC_LOG[$dev]}"
	check "$id: no address on vpn0" [ -z "$(pst_vpn_addr "$dev")" ]
	check "$id: gateway log: deny decision" \
		pst_log_has "posture decision device=$id peer=[^ ]+ verdict=deny rule=[^ ]+ profile=-: $(re "$reason")"
	check "$id: gateway log: no tunnel" bash -c "! grep -q 'tunnel up device=$id ' '$PST_GW_LOG'"
}

denied devA phone "Personal devices are not allowed on this gateway."
denied devB office "no policy rule matches this device (group 'office', ownership corporate)"

# ---- the stock wrapper: its facts are canned and come without a certificate
PST_ROUTES=$PST_REM_NET
pst_oc_start devC devC --csd-wrapper "$csd_post"
if wait_for 30 pst_tunnel_settled devC && pst_tunnel_ready devC; then
	ok "csd-post.sh: the flow completes and the tunnel opens"
	check "csd-post.sh: quarantined with profile remediation" \
		pst_log_has "posture decision device=devC peer=[^ ]+ verdict=quarantine rule=corporate profile=remediation"
	check "csd-post.sh: fetched the token by its ticket" pst_log_has "host-scan challenge sent"
	check "csd-post.sh: its report was refused for want of the certificate" \
		pst_log_has "refused posture report peer=[^ ]+ device=-: the report came without a device certificate"
	check "csd-post.sh: banner says why the report did not count" \
		pst_banner_has devC "without the device certificate"
	check "csd-post.sh: routes are the remediation profile's and its rule's" \
		pst_routes_are devC "$PST_REM_NET" "$PST_INT_NET"
	pst_end devC devC || not_ok "csd-post.sh: session ends"
else
	not_ok "csd-post.sh: the flow completes and the tunnel opens" "$(tail -5 "${PST_OC_LOG[devC]}")"
fi

check "audit log: deny, deny, quarantine" python3 - "$PST_TMP/audit.log" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["verdict"] for r in recs] == ["deny", "deny", "quarantine"], recs
assert recs[0]["rule"] == "personal" and recs[0]["ownership"] == "byod" and recs[0]["address"] is None
assert recs[1]["rule"] is None and recs[1]["group"] == "office"
PY
pst_check_agrees phone phone "$PST_FIXTURES/compliant.facts" 1
pst_check_agrees office office "$PST_FIXTURES/compliant.facts" 2
pst_check_agrees csd-post.sh devC - 3

# ---- a broken policy never starts a gateway
bad=$PST_TMP/bad-policy.conf
sed 's/profile = "internal"/profile = "nosuch"/' "$PST_FIXTURES/policy.conf" >"$bad"
line=$(grep -n 'profile = "nosuch"' "$bad" | head -1 | cut -d: -f1)
pst_gw_conf policy="$bad"
out=$("$PST_BUILD/posternd" -t -c "$PST_GW_CONF" 2>&1)
rc=$?
check "posternd -t refuses a policy naming an unknown profile (exit $rc)" [ "$rc" -eq 1 ]
check "posternd -t names the policy file and line $line" grep -q "^$(re "$bad"):$line: " <<<"$out"

pst_finish
