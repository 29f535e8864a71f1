#!/bin/bash
# SPDX-License-Identifier: MIT
# The policy lint (issue 13) through the real programs:
# - `postern-posture check --policy FILE` alone lints: each finding is one
#   line "FILE:LINE: warning: MESSAGE" on stderr, exactly; exit 0, or 1 with
#   --strict; with --facts it still decides (stdout, exit by verdict) and
#   warns; a clean policy exits 0 even with --strict;
# - a quote left open is named at its own line; an inventory line with
#   several bad fields names each; a stale MDM record is one reason;
# - posternd -t prints the warnings and still says "policy OK", exit 0;
# - posternd logs them at start, and a reload (SIGHUP) to a policy with
#   other warnings logs those and succeeds.
#
#   gw 198.18.0.1:443 [pst0] (no device needed: only the log is read)
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pp=$PST_BUILD/postern-posture
pki=$PST_TMP/pki
[ -x "$pp" ] || pst_bail "postern-posture is built" "$pp is missing: run make"

# run_check NAME WANT_RC WANT_STDERR ARGS...: postern-posture check ARGS
# exits WANT_RC and prints exactly WANT_STDERR on stderr.
run_check() {
	local name=$1 want_rc=$2 want_err=$3 rc; shift 3
	"$pp" check "$@" >"$PST_TMP/out" 2>"$PST_TMP/err"
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && [ "$(cat "$PST_TMP/err")" = "$want_err" ]; then
		ok "$name"
	else
		not_ok "$name" "exit $rc (want $want_rc), stderr: $(cat "$PST_TMP/err")" \
			"| wanted: $want_err"
	fi
}

# ---- the dry run

shadow=$PST_TMP/shadow.conf
cat >"$shadow" <<'EOF'
quarantine-profile = "remediation"
profile remediation { allow = { "198.18.3.0/24" } }
profile internal { allow = { "198.18.2.0/24" } }
profile spare { allow = { "198.18.4.0/24" } }
platform linux { min-version = "12" }
rule everyone {
	action = "allow"
	profile = "internal"
}
rule staff {
	group = "staff"
	action = "allow"
	profile = "internal"
}
EOF
w_spare="$shadow:4: warning: profile 'spare' is never used: no rule names it and it is not the quarantine-profile"
w_staff="$shadow:10: warning: rule 'staff' can never match: rule 'everyone' (line 6) before it matches every device it would"
run_check "check --policy alone: the two findings, exit 0" 0 "$w_spare
$w_staff" --policy "$shadow"
run_check "check --policy --strict: exit 1" 1 "$w_spare
$w_staff" --policy "$shadow" --strict
check "check --policy alone: nothing on stdout" [ ! -s "$PST_TMP/out" ]

facts=$PST_TMP/linux.facts
printf 'os.name=linux\nos.version=12\n' >"$facts"
run_check "check with facts: warnings too, exit by verdict (allow)" 0 "$w_spare
$w_staff" --policy "$shadow" --facts "$facts"
check "check with facts: the decision on stdout" grep -qx "verdict: allow" "$PST_TMP/out"
run_check "check with facts --strict: an allow with warnings exits 1" 1 "$w_spare
$w_staff" --policy "$shadow" --facts "$facts" --strict

clean=$PST_TMP/clean.conf
head -3 "$shadow" >"$clean"
printf 'platform linux { }\nrule everyone {\n action = "allow"\n profile = "internal"\n}\n' >>"$clean"
run_check "a clean policy: no warning, exit 0 with --strict" 0 "" --policy "$clean" --strict
run_check "--cert without --facts is a usage error (exit 3)" 3 \
	"postern-posture check: --cert needs --facts (see 'postern-posture check --help')" \
	--policy "$clean" --cert /dev/null

sources=$PST_TMP/sources.conf
cat >"$sources" <<'EOF'
quarantine-profile = "remediation"
profile remediation { allow = { "198.18.3.0/24" } }
profile internal { allow = { "198.18.2.0/24" } }
platform linux { }
platform ios {
	min-version = "18.6"
}
rule phones {
	platform = { "ios" }
	agent = "optional"
	require-mdm = true
	action = "allow"
	profile = "internal"
}
rule managed {
	trust = "mdm"
	action = "allow"
	profile = "internal"
}
EOF
run_check "facts no configured source states" 0 "$sources:6: warning: platform 'ios': min-version 18.6: no source states os.version of ios devices under rule 'phones' (line 8) (the stock client announces 1.0 on phones, which is no version; the policy names no MDM inventory; the posture agent runs on linux only), so every ios device it matches is quarantined
$sources:11: warning: rule 'phones': require-mdm: no source states mdm.enrolled (the policy names no MDM inventory; the rule asks for no posture report (agent = optional)), so every device this rule matches is quarantined
$sources:16: warning: rule 'managed': trust = mdm, but the policy names no MDM inventory: os.name is never known, so every device this rule matches is quarantined" \
	--policy "$sources"

# ---- exact lines of errors, one message per problem

quote=$PST_TMP/quote.conf
{
	head -3 "$shadow"
	printf 'rule everyone {\n\tgroup = "staff\n\taction = "allow"\n\tprofile = "internal"\n}\n'
	printf 'rule other {\n\taction = "deny"\n}\n'
} >"$quote"
run_check "an unclosed quote is named at its line (5), not the file's last quote" 4 \
	"$quote:5: this string is never closed" --policy "$quote"

pst_pki "$pki" && pst_issue "$pki" dev1 || pst_bail "PKI" "postern-ca failed"
inv=$PST_TMP/inventory.csv
invpol=$PST_TMP/inventory.conf
printf 'device_id,mdm_enrolled,passcode_set,os_name,os_version,last_checkin,status\n' >"$inv"
printf 'd"1,ma"ybe,true,beos,17,2020-01-01T00:00:00Z,gone\n' >>"$inv"
{ head -3 "$shadow"; printf 'inventory = "inventory.csv"\nplatform linux { }\n'
  printf 'rule managed {\n trust = "mdm"\n require-mdm = true\n require-passcode = true\n'
  printf ' action = "allow"\n profile = "internal"\n}\n'; } >"$invpol"
run_check "an inventory line with four bad fields: four messages" 4 \
	"$inv:2: device_id: a quote inside an unquoted value (quote the whole value: \"a \"\"b\"\"\")
$inv:2: mdm_enrolled: a quote inside an unquoted value (quote the whole value: \"a \"\"b\"\"\")
$inv:2: os_name 'beos' is not ios, android, linux, windows or macos (leave it empty when unknown)
$inv:2: status 'gone' is not active, lost or retired" --policy "$invpol"
printf 'device_id,mdm_enrolled,passcode_set,os_name,os_version,last_checkin,status\n' >"$inv"
printf 'dev1,true,true,linux,12,2020-01-01T00:00:00Z,active\n' >>"$inv"
run_check "a stale record: quarantine (exit 1), and the policy lints clean" 1 "" \
	--policy "$invpol" --facts "$facts" --cert "$pki/devices/dev1.crt"
check "a stale record: one reason, not one per fact" \
	[ "$(grep -c '^failed: ' "$PST_TMP/out")" -eq 1 ]
check "a stale record: the reason says so" grep -q \
	"^failed: the MDM inventory's record of this device is too old (last check-in [0-9]* s ago; the policy accepts 86400 s); have the device check in with the MDM$" \
	"$PST_TMP/out"

# ---- the gateway

policy=$PST_TMP/policy.conf
cp "$shadow" "$policy"
pst_gw_conf policy="$policy"
out=$("$PST_BUILD/posternd" -t -c "$PST_GW_CONF" 2>&1)
rc=$?
check "posternd -t: exit 0 with warnings (got $rc)" [ "$rc" -eq 0 ]
check "posternd -t: prints the warnings as they are" \
	grep -qxF "${w_spare//$shadow/$policy}" <<<"$out"
check "posternd -t: still says policy OK" grep -qF "$policy: policy OK" <<<"$out"

pst_topology || pst_bail "topology" "could not build the namespaces"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"
check "posternd logs the unused profile at start" \
	pst_log_has "posternd: warning: $(re "${w_spare//$shadow/$policy}")$"
check "posternd logs the shadowed rule at start" \
	pst_log_has "posternd: warning: $(re "${w_staff//$shadow/$policy}")$"

# A reload to a policy with another finding: logged, and the reload is done.
cat >"$policy" <<'EOF'
quarantine-profile = "remediation"
profile remediation { allow = { "198.18.3.0/24" } }
profile internal { allow = { "198.18.2.0/24" } }
platform linux { min-version = "12" }
rule kiosk {
	group = "kiosk"
	agent = "optional"
	action = "allow"
	profile = "internal"
}
rule everyone {
	action = "allow"
	profile = "internal"
}
EOF
w_kiosk="$policy:4: warning: platform 'linux': min-version 12: no source states os.version of linux devices under rule 'kiosk' (line 5) (the stock client announces no OS version; the policy names no MDM inventory; the rule asks for no posture report (agent = optional)), so every linux device it matches is quarantined"
kill -HUP "$PST_GW_PID"
check "reload: succeeds with warnings" pst_log_wait 5 "reload: config $(re "$PST_GW_CONF"), policy "
check "reload: logs the new policy's finding" pst_log_wait 5 "posternd: warning: $(re "$w_kiosk")$"
check "reload: not refused" bash -c "! grep -q 'reload refused' '$PST_GW_LOG'"
check "gateway still running" pst_alive "$PST_GW_PID"
pst_finish
