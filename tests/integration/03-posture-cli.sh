#!/bin/bash
# SPDX-License-Identifier: MIT
# End-to-end test of the postern-posture command line, without network
# namespaces: postern-ca makes a CA, a gateway certificate and device
# certificates in a scratch directory; then
#   - `check` runs the fixture policy (tests/fixtures/posture/policy.conf)
#     against every fixture facts file and certificate, checking the verdict,
#     rule, profile and reason lines, the --json object and the exit status
#     (0 allow, 1 quarantine, 2 deny, 3 usage, 4 file error);
#   - `check` with a policy that names an MDM inventory
#     (policy-inventory.conf, inventory.csv): lost and retired devices are
#     denied, a stale record counts as missing, an agent fact that
#     contradicts the inventory quarantines, trust = "mdm" takes the
#     inventory's facts only, and a broken inventory or a missing one is a
#     file error naming FILE:LINE;
#   - `collect` prints this machine's facts (sorted name=value lines that
#     `check --facts` reads back), with POSTERN_CERT, POSTERN_FACTS and
#     POSTERN_AGENT_CONF;
#   - the CSD wrapper posts to a small Python TLS server on 127.0.0.1 (loopback
#     only; skipped without python3): accepted, refused, wrong key pin (fails
#     closed, nothing sent), CA-file verification, missing settings, a dead
#     port and a server that never answers (the 15 s deadline).
# Prints "ok - NAME" / "not ok - NAME"; exits 77 when a binary is not built.
# PST_BUILD names the build directory (default: build/).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${PST_BUILD:-$root/build}
pp=$build/postern-posture
ca=$build/postern-ca
fx=$root/tests/fixtures/posture
policy=$fx/policy.conf
passed=0 failed=0

for bin in "$pp" "$ca"; do
	if [ ! -x "$bin" ]; then
		echo "skipped: $bin is not built (make all)"
		exit 77
	fi
done

tmp=$(mktemp -d /tmp/postern-03-posture.XXXXXX) || exit 1
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	failed=$((failed + 1))
}

# check NAME CMD...: passes when CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# run CMD...: runs CMD with stdout in $tmp/out and stderr in $tmp/err; sets rc.
run() {
	"$@" >"$tmp/out" 2>"$tmp/err.all"
	rc=$?
	# The policy lint's warnings (55-policy-lint.sh tests them) are set
	# aside: anything else on stderr is still a failure.
	grep -E '^[^ ]+:[0-9]+: warning: ' "$tmp/err.all" >"$tmp/warnings"
	grep -vE '^[^ ]+:[0-9]+: warning: ' "$tmp/err.all" >"$tmp/err"
}

# refused NAME STATUS PATTERN CMD...: CMD must exit STATUS, print nothing on
# stdout and lines matching PATTERN (grep -E) on stderr.
refused() {
	local name=$1 want=$2 pattern=$3
	shift 3
	run "$@"
	if [ "$rc" -eq "$want" ] && [ ! -s "$tmp/out" ] && grep -Eq -- "$pattern" "$tmp/err"; then
		ok "$name"
	else
		not_ok "$name" "exit $rc (expected $want), stderr:" "$(head -c 400 "$tmp/err")"
	fi
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s.
wait_for() {
	local tries=$(($1 * 10)) i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# ---------------------------------------------------------------- PKI

pki=$tmp/pki
dev=$pki/devices
if ! out=$( { "$ca" init --dir "$pki" &&
	"$ca" server --dir "$pki" --name gw.postern.test --ip 127.0.0.1 &&
	"$ca" issue --dir "$pki" --device field-1 --owner A --group field &&
	"$ca" issue --dir "$pki" --device office-1 --owner B &&
	"$ca" issue --dir "$pki" --device phone-1 --owner C --group field --byod; } 2>&1); then
	not_ok "pki" "postern-ca failed:" "$out"
	echo "# $passed passed, $failed failed"
	exit 1
fi
ok "pki"

# ---------------------------------------------------------------- check

# dry_run NAME STATUS FACTS CERT VERDICT RULE PROFILE N [PATTERN]: `check`
# exits STATUS and prints exactly the three lines, then N reason lines
# ("+" for at least one), one of them matching PATTERN (grep -iE). CERT may
# be "" for none.
dry_run() {
	local name=$1 want=$2 facts=$3 cert=$4 verdict=$5 rule=$6 profile=$7 n=$8
	local pattern=${9:-} label=failed lines args=()
	[ -n "$cert" ] && args=(--cert "$cert")
	[ "$verdict" = deny ] && label=reason
	run "$pp" check --policy "$policy" --facts "$facts" "${args[@]}"
	lines=$(tail -n +4 "$tmp/out" | grep -c "^$label: ")
	if [ "$rc" -ne "$want" ]; then
		not_ok "$name" "exit $rc, expected $want" "$(cat "$tmp/out" "$tmp/err")"
	elif [ "$(head -n 3 "$tmp/out")" != "$(printf 'verdict: %s\nrule: %s\nprofile: %s' \
		"$verdict" "$rule" "$profile")" ]; then
		not_ok "$name" "unexpected output:" "$(cat "$tmp/out")"
	elif [ "$(wc -l <"$tmp/out")" -ne $((3 + lines)) ] ||
		{ [ "$n" = + ] && [ "$lines" -lt 1 ]; } || { [ "$n" != + ] && [ "$lines" -ne "$n" ]; }; then
		not_ok "$name" "expected $n '$label:' lines:" "$(cat "$tmp/out")"
	elif [ -n "$pattern" ] && ! tail -n +4 "$tmp/out" | grep -qiE -- "$pattern"; then
		not_ok "$name" "no reason matching '$pattern':" "$(cat "$tmp/out")"
	elif [ -s "$tmp/err" ]; then
		not_ok "$name" "stderr is not empty:" "$(cat "$tmp/err")"
	else
		ok "$name"
	fi
}

field=$dev/field-1.crt
dry_run "check: compliant field device is allowed" 0 "$fx/compliant.facts" "$field" \
	allow corporate internal 0
dry_run "check: old OS is quarantined" 1 "$fx/old-os.facts" "$field" \
	quarantine corporate remediation 1 "version"
dry_run "check: no MDM is quarantined" 1 "$fx/no-mdm.facts" "$field" \
	quarantine corporate remediation 1 "mdm"
dry_run "check: no passcode is quarantined" 1 "$fx/no-passcode.facts" "$field" \
	quarantine corporate remediation 1 "passcode"
dry_run "check: a removed fact fails its check" 1 "$fx/missing-fact.facts" "$field" \
	quarantine corporate remediation 1 "passcode"
dry_run "check: a stale report is quarantined" 1 "$fx/stale.facts" "$field" \
	quarantine corporate remediation + "old|age"
dry_run "check: another device's id is quarantined" 1 "$fx/other-id.facts" "$field" \
	quarantine corporate remediation 1 "someone-else"
dry_run "check: compliant Android is allowed" 0 "$fx/android-ok.facts" "$field" \
	allow corporate internal 0
dry_run "check: old Android patch level is quarantined" 1 "$fx/android-old-patch.facts" \
	"$field" quarantine corporate remediation 1 "patch"
dry_run "check: BYOD is denied by rule personal" 2 "$fx/compliant.facts" "$dev/phone-1.crt" \
	deny personal - 1 "Personal devices are not allowed on this gateway\."
dry_run "check: corporate device outside group field matches no rule" 2 \
	"$fx/compliant.facts" "$dev/office-1.crt" deny - - 1 "rule"
dry_run "check: without --cert no rule matches" 2 "$fx/compliant.facts" "" deny - - 1
: >"$tmp/empty.facts"
printf '# nothing but a comment\n\n' >"$tmp/comment.facts"
dry_run "check: an empty facts file is no report" 1 "$tmp/empty.facts" "$field" \
	quarantine corporate remediation + "no posture report was received"
dry_run "check: a facts file of comments is no report" 1 "$tmp/comment.facts" "$field" \
	quarantine corporate remediation + "no posture report was received"

# json_is NAME STATUS CERT FACTS PYTHON-EXPR: --json prints one object for
# which EXPR (over j) holds.
json_is() {
	local name=$1 want=$2 cert=$3 facts=$4 expr=$5
	run "$pp" check --policy "$policy" --facts "$facts" --cert "$cert" --json
	if [ "$rc" -ne "$want" ]; then
		not_ok "$name" "exit $rc, expected $want" "$(cat "$tmp/out" "$tmp/err")"
	elif [ "$(wc -l <"$tmp/out")" -ne 1 ] || ! python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if ($expr) else 1)" "$tmp/out"; then
		not_ok "$name" "unexpected JSON:" "$(cat "$tmp/out")"
	else
		ok "$name"
	fi
}

if command -v python3 >/dev/null; then
	json_is "check --json: allow" 0 "$field" "$fx/compliant.facts" \
		'j == {"verdict": "allow", "rule": "corporate", "profile": "internal", "reasons": []}'
	json_is "check --json: quarantine lists the reasons" 1 "$field" "$fx/no-passcode.facts" \
		'j["verdict"] == "quarantine" and j["profile"] == "remediation" and len(j["reasons"]) == 1'
	json_is "check --json: deny has null profile" 2 "$dev/phone-1.crt" "$fx/compliant.facts" \
		'j == {"verdict": "deny", "rule": "personal", "profile": None, "reasons": ["Personal devices are not allowed on this gateway."]}'
	json_is "check --json: no rule is null" 2 "$dev/office-1.crt" "$fx/compliant.facts" \
		'j["rule"] is None and j["profile"] is None and len(j["reasons"]) == 1'
else
	echo "# python3 missing: --json output not checked"
fi

# Usage errors (3) and file errors (4).
refused "check without --policy" 3 "missing --policy" \
	"$pp" check --facts "$fx/compliant.facts"
run "$pp" check --policy "$policy"
check "check without --facts lints the policy alone: exit 0, warnings only" \
	test "$rc" -eq 0 -a ! -s "$tmp/out" -a ! -s "$tmp/err" -a -s "$tmp/warnings"
refused "check without --policy" 3 "missing --policy" "$pp" check --facts "$fx/compliant.facts"
refused "check with an unknown option" 3 "unknown option '--bogus'" \
	"$pp" check --policy "$policy" --facts "$fx/compliant.facts" --bogus
refused "check with --policy twice" 3 "--policy given twice" \
	"$pp" check --policy "$policy" --policy "$policy" --facts "$fx/compliant.facts"
refused "check with a stray argument" 3 "unexpected argument 'extra'" \
	"$pp" check --policy "$policy" --facts "$fx/compliant.facts" extra
refused "collect with an argument" 3 "unexpected argument" "$pp" collect --now
refused "no arguments at all" 3 "^usage: postern-posture collect$" "$pp"
refused "check with a missing policy" 4 "$tmp/none.conf" \
	"$pp" check --policy "$tmp/none.conf" --facts "$fx/compliant.facts"
sed 's/^max-report-age = 300/max-report-ag = 300/' "$policy" >"$tmp/typo.conf"
line=$(grep -n '^max-report-ag ' "$tmp/typo.conf" | cut -d: -f1)
refused "check names the policy's bad line" 4 "^$tmp/typo.conf:$line: .*max-report-ag" \
	"$pp" check --policy "$tmp/typo.conf" --facts "$fx/compliant.facts"
refused "check with a missing facts file" 4 "$tmp/none.facts" \
	"$pp" check --policy "$policy" --facts "$tmp/none.facts"
printf 'os.name=linux\nos.nmae=linux\n' >"$tmp/typo.facts"
refused "check names the facts file's bad line" 4 "^$tmp/typo.facts:2: " \
	"$pp" check --policy "$policy" --facts "$tmp/typo.facts"
refused "check with a CA certificate as --cert" 4 "not a Postern device certificate" \
	"$pp" check --policy "$policy" --facts "$fx/compliant.facts" --cert "$pki/ca.crt"
refused "check with a missing --cert" 4 "$tmp/none.crt" \
	"$pp" check --policy "$policy" --facts "$fx/compliant.facts" --cert "$tmp/none.crt"

# ---------------------------------------------------------------- check + inventory

# The fixture inventory holds records that do not age: lost, retired and one
# stale since 2025. Fresh records are added to a copy, dated now.
if "$ca" issue --dir "$pki" --device lost-1 --owner D --group field >/dev/null 2>&1 &&
	"$ca" issue --dir "$pki" --device retired-1 --owner E --group field >/dev/null 2>&1 &&
	"$ca" issue --dir "$pki" --device stale-1 --owner F --group field >/dev/null 2>&1 &&
	"$ca" issue --dir "$pki" --device contra-1 --owner G --group field >/dev/null 2>&1 &&
	"$ca" issue --dir "$pki" --device mdm-1 --owner H --group managed >/dev/null 2>&1 &&
	"$ca" issue --dir "$pki" --device mdm-2 --owner I --group managed >/dev/null 2>&1; then
	ok "pki: devices for the inventory"
else
	not_ok "pki: devices for the inventory" "postern-ca issue failed"
fi
fixture_policy=$policy
inv_policy=$tmp/inv/policy.conf
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
mkdir -p "$tmp/inv"
cp "$fx/policy-inventory.conf" "$inv_policy"
{
	cat "$fx/inventory.csv"
	printf '%s\n' "field-1,SN-1,true,true,linux,12.5,$now,active" \
		"contra-1,SN-2,true,true,linux,13.1,$now,active" \
		"mdm-1,SN-3,true,true,linux,12.5,$now,active" \
		"mdm-2,SN-4,true,,linux,12.5,$now,active"
} >"$tmp/inv/inventory.csv"

policy=$inv_policy
dry_run "inventory: a record that agrees is allowed" 0 "$fx/compliant.facts" "$field" \
	allow corporate internal 0
dry_run "inventory: lost is denied before any rule" 2 "$fx/compliant.facts" \
	"$dev/lost-1.crt" deny - - 1 \
	"^reason: device is reported lost in the MDM inventory; contact IT$"
dry_run "inventory: retired is denied" 2 "$fx/compliant.facts" "$dev/retired-1.crt" \
	deny - - 1 "^reason: device is retired in the MDM inventory; contact IT$"
dry_run "inventory: a stale record counts as missing" 0 "$fx/compliant.facts" \
	"$dev/stale-1.crt" allow corporate internal 0
dry_run "inventory: an agent fact that contradicts it quarantines" 1 "$fx/compliant.facts" \
	"$dev/contra-1.crt" quarantine corporate remediation 1 \
	"os\.version: agent says '12\.5', MDM inventory says '13\.1'"
dry_run "inventory: trust mdm with the inventory's passcode is allowed" 0 \
	"$fx/compliant.facts" "$dev/mdm-1.crt" allow managed internal 0
dry_run "inventory: trust mdm with an agent-only passcode is quarantined" 1 \
	"$fx/compliant.facts" "$dev/mdm-2.crt" quarantine managed remediation 1 \
	"passcode\.set is only reported by the agent; rule 'managed' takes it only from the MDM"
printf '%s\n' "mdm:passcode.set=true" "mdm:device.status=active" >"$tmp/inv/mdm-lines.facts"
cat "$fx/compliant.facts" >>"$tmp/inv/mdm-lines.facts"
dry_run "inventory: its record replaces the facts file's mdm: lines" 1 \
	"$tmp/inv/mdm-lines.facts" "$dev/mdm-2.crt" quarantine managed remediation 1 \
	"only reported by the agent"
{ cat "$fx/compliant.facts"; echo "mdm:device.status=lost"; } >"$tmp/inv/lost-line.facts"
dry_run "inventory: ... and its status replaces a facts file's" 0 \
	"$tmp/inv/lost-line.facts" "$field" allow corporate internal 0
dry_run "inventory: without --cert no record, no rule" 2 "$fx/compliant.facts" "" deny - - 1
policy=$fx/policy-inventory.conf
dry_run "inventory: the fixture policy in place denies lost-1" 2 "$fx/compliant.facts" \
	"$dev/lost-1.crt" deny - - 1 "lost in the MDM inventory"
policy=$fixture_policy
if command -v python3 >/dev/null; then
	run "$pp" check --policy "$inv_policy" --facts "$fx/compliant.facts" \
		--cert "$dev/lost-1.crt" --json
	check "inventory: check --json for a lost device" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if j == {"verdict": "deny", "rule": None, "profile": None, "reasons":
    ["device is reported lost in the MDM inventory; contact IT"]} else 1)' "$tmp/out"
fi

# A broken inventory refuses the check, naming every problem by FILE:LINE.
cp "$tmp/inv/inventory.csv" "$tmp/inv/good.csv"
{
	cat "$tmp/inv/good.csv"
	printf '%s\n' "field-1,SN-9,true,true,linux,12.5,$now,active" \
		"bad id,SN-10,maybe,true,linux,12.5,$now,active"
} >"$tmp/inv/inventory.csv"
n=$(wc -l <"$tmp/inv/good.csv")
refused "inventory: a duplicate id and bad values are file errors" 4 \
	"^$tmp/inv/inventory.csv:$((n + 1)): device_id 'field-1' is listed twice \(first on line [0-9]+\)" \
	"$pp" check --policy "$inv_policy" --facts "$fx/compliant.facts" --cert "$field"
check "inventory: ... every problem, one per line" test "$(grep -c "^$tmp/inv/inventory.csv:$((n + 2)): " "$tmp/err")" -eq 2
cp "$tmp/inv/good.csv" "$tmp/inv/inventory.csv"
printf '%s\n' "device_id,os_name" "x,linux" >"$tmp/inv/inventory.csv"
refused "inventory: missing columns are named" 4 \
	"^$tmp/inv/inventory.csv:1: no column 'mdm_enrolled'" \
	"$pp" check --policy "$inv_policy" --facts "$fx/compliant.facts" --cert "$field"
rm -f "$tmp/inv/inventory.csv"
line=$(grep -n '^inventory = ' "$inv_policy" | cut -d: -f1)
refused "inventory: a missing file is the policy's error at its line" 4 \
	"^$inv_policy:$line: inventory: cannot open $tmp/inv/inventory.csv" \
	"$pp" check --policy "$inv_policy" --facts "$fx/compliant.facts" --cert "$field"
cp "$tmp/inv/good.csv" "$tmp/inv/inventory.csv"
sed 's/^max-inventory-age = 86400/max-inventory-age = 30/' "$inv_policy" >"$tmp/inv/short.conf"
line=$(grep -n '^max-inventory-age' "$tmp/inv/short.conf" | cut -d: -f1)
refused "inventory: max-inventory-age is range-checked" 4 \
	"^$tmp/inv/short.conf:$line: max-inventory-age: 30 is out of range 60\.\.2592000" \
	"$pp" check --policy "$tmp/inv/short.conf" --facts "$fx/compliant.facts" --cert "$field"

run "$pp" --help
check "--help: a usage line for every mode, and the manual page" test "$rc" -eq 0 -a \
	! -s "$tmp/err" -a "$(grep -cE '^(usage: |       )(postern-posture collect$|postern-posture check --policy |openconnect --csd-wrapper=postern-posture )' "$tmp/out")" -eq 3 -a \
	"$(grep -cF 'postern-posture(8)' "$tmp/out")" -eq 1
run "$pp" check --help
check "check --help" test "$rc" -eq 0 -a ! -s "$tmp/err" -a \
	"$(grep -c '^usage: postern-posture check --policy FILE \[--facts FILE\]' "$tmp/out")" -eq 1
run "$pp" collect --help
check "collect --help" test "$rc" -eq 0 -a ! -s "$tmp/err" -a \
	"$(grep -cx 'usage: postern-posture collect' "$tmp/out")" -eq 1

# ---------------------------------------------------------------- collect

# Nothing from the environment of whoever runs the tests.
unset POSTERN_CERT POSTERN_KEY POSTERN_FACTS POSTERN_PORT POSTERN_CAFILE
export POSTERN_AGENT_CONF=$tmp/no-agent.conf

# collect_ok: the last run printed a well-formed facts file.
collect_ok() {
	[ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ] && [ -s "$tmp/out" ] &&
		! grep -qvE '^[a-z][a-z0-9.-]*=[[:print:]]+$' "$tmp/out" &&
		LC_ALL=C sort -c "$tmp/out" && [ "$(cut -d= -f1 "$tmp/out" | sort | uniq -d)" = "" ]
}
has() { grep -qxF -- "$1" "$tmp/out"; }
lacks() { ! grep -q "^$1=" "$tmp/out"; }

run "$pp" collect
cp "$tmp/out" "$tmp/plain.facts"
check "collect prints sorted name=value lines" collect_ok
check "collect: os.name=linux" has os.name=linux
check "collect: os.kernel is uname -r" has "os.kernel=$(uname -r)"
at=$(sed -n 's/^collected-at=\([0-9]*\)$/\1/p' "$tmp/out")
check "collect: collected-at is now" test -n "$at" -a "$(( $(date +%s) - ${at:-0} ))" -lt 60
if [ -r /etc/os-release ]; then
	want=$(. /etc/os-release && echo "${VERSION_ID:-}")
	if [ -n "$want" ]; then
		check "collect: os.version is VERSION_ID" has "os.version=$want"
	else
		check "collect: no VERSION_ID, no os.version" lacks os.version
	fi
fi
check "collect: Linux reports no passcode.set or device.rooted" \
	bash -c '! grep -qE "^(passcode\.set|device\.rooted)=" "$1"' _ "$tmp/out"
check "collect: no agent config, no mdm.enrolled" lacks mdm.enrolled
check "collect: no POSTERN_CERT, no device.id" lacks device.id
check "collect: disk.encrypted is true, false or unknown" \
	bash -c '! grep -q "^disk\.encrypted=" "$1" || grep -qxE "disk\.encrypted=(true|false)" "$1"' \
	_ "$tmp/out"

printf 'mdm-marker = "%s"\n' "$tmp/enrolled" >"$tmp/agent.conf"
export POSTERN_AGENT_CONF=$tmp/agent.conf
run "$pp" collect
check "collect: mdm-marker absent -> mdm.enrolled=false" has mdm.enrolled=false
: >"$tmp/enrolled"
run "$pp" collect
check "collect: mdm-marker present -> mdm.enrolled=true" has mdm.enrolled=true
printf '\nmdm-marker = relative\n' >"$tmp/bad-agent.conf"
POSTERN_AGENT_CONF=$tmp/bad-agent.conf refused "collect names the agent config's bad line" 4 \
	"^postern-posture: $tmp/bad-agent.conf:2: " "$pp" collect

POSTERN_CERT=$field run "$pp" collect
check "collect: device.id from POSTERN_CERT" has device.id=field-1
POSTERN_CERT=$pki/ca.crt refused "collect with a CA certificate as POSTERN_CERT" 4 \
	"not a Postern device certificate" "$pp" collect
POSTERN_CERT=$field POSTERN_FACTS=$fx/missing-fact.facts run "$pp" collect
check "collect: POSTERN_FACTS overrides and removes facts" bash -c \
	'grep -qx os.version=12.5 "$1" && grep -qx disk.encrypted=true "$1" &&
	 ! grep -q "^passcode\.set=" "$1" && grep -qx device.id=field-1 "$1"' _ "$tmp/out"
POSTERN_FACTS=$tmp/typo.facts refused "collect with a bad POSTERN_FACTS" 4 \
	"$tmp/typo.facts:2: " "$pp" collect

# Round trips: what collect prints, check reads.
POSTERN_CERT=$field run "$pp" collect
cp "$tmp/out" "$tmp/mine.facts"
dry_run "collect | check: Linux without passcode.set is quarantined" 1 "$tmp/mine.facts" \
	"$field" quarantine corporate remediation + "passcode"
POSTERN_CERT=$field POSTERN_FACTS=$fx/compliant.facts run "$pp" collect
cp "$tmp/out" "$tmp/mine.facts"
dry_run "collect with compliant overrides | check: allowed" 0 "$tmp/mine.facts" "$field" \
	allow corporate internal 0
POSTERN_CERT=$field POSTERN_FACTS=$fx/stale.facts run "$pp" collect
check "collect: a stale override dates the whole set" has collected-at=1000000000
cp "$tmp/out" "$tmp/mine.facts"
dry_run "collect with stale overrides | check: quarantined" 1 "$tmp/mine.facts" "$field" \
	quarantine corporate remediation + "old|age"

# ---------------------------------------------------------------- the CSD wrapper

if ! python3 -c 'import ssl' 2>/dev/null; then
	echo "# python3 with ssl missing: the CSD wrapper is not tested"
	echo "# $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

# A one-connection TLS server that wants a device certificate, records the
# peer's CN and the request, and answers with the given status. "silent"
# accepts the TCP connection and says nothing.
cat >"$tmp/server.py" <<'EOF'
import os, socket, ssl, sys
pki, mode, portfile, reqfile, addr = sys.argv[1:6]
ls = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
ls.bind((addr, 0))
ls.listen(1)
ls.settimeout(30)
with open(portfile + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
conn, _ = ls.accept()
conn.settimeout(25)
record = b""
try:
    if mode == "silent":
        while conn.recv(4096):
            pass
        sys.exit(0)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki + "/server.crt", pki + "/server.key")
    ctx.load_verify_locations(pki + "/ca.crt")
    ctx.verify_mode = ssl.CERT_REQUIRED
    s = ctx.wrap_socket(conn, server_side=True)
    cn = dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
    record = ("peer: %s\n" % cn).encode()
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            while len(body) < int(line.split(b":")[1]):
                chunk = s.recv(4096)
                if not chunk:
                    break
                body += chunk
    record += data[:len(head) + 4] + body if data else b""
    if data:
        s.sendall(b"HTTP/1.1 " + mode.encode() + b" X\r\nContent-Length: 0\r\n"
                  b"Connection: close\r\n\r\n")
    s.close()
except (OSError, ssl.SSLError) as e:
    record += ("error: %s\n" % e).encode()
finally:
    with open(reqfile, "wb") as f:
        f.write(record)
EOF

# server_start MODE [ADDRESS]: starts the server on ADDRESS (127.0.0.1);
# sets port.
server_start() {
	rm -f "$tmp/port" "$tmp/request"
	python3 "$tmp/server.py" "$pki" "$1" "$tmp/port" "$tmp/request" "${2:-127.0.0.1}" \
		2>"$tmp/server.err" &
	server_pid=$!
	wait_for 10 test -s "$tmp/port" || return 1
	port=$(cat "$tmp/port")
}

# server_done: waits for the server to record what it got.
server_done() {
	wait_for 10 test -e "$tmp/request"
	wait "$server_pid" 2>/dev/null
	server_pid=
}

pin_of() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64
}

token=c0ffee0123456789abcdef
# csd ...: runs the wrapper as openconnect does, with ENV settings given as
# VAR=VALUE arguments before the command (env -i: nothing else leaks in).
csd() {
	run env -i PATH="$PATH" POSTERN_AGENT_CONF="$tmp/agent.conf" POSTERN_CERT="$field" \
		POSTERN_KEY="$dev/field-1.key" CSD_TOKEN="$token" CSD_HOSTNAME=127.0.0.1 \
		CSD_SHA256="$(pin_of "$pki/server.crt")" "$@" \
		"$pp" "" -ticket '"T1"' -stub '"0"' -group '""' -certhash '"AA:BB"' \
		-url "\"https://127.0.0.1:$port/+CSCOE+/sdesktop/token.xml?ticket=T1&stub=0\"" \
		-langselen
}

# header LINE: the recorded request has this header line (CRLF-terminated).
header() { grep -qxF -- "$1"$'\r' "$tmp/request"; }

# one_line PATTERN: the wrapper printed exactly one line, matching PATTERN, and
# never the token.
one_line() {
	[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -Eq -- "$1" "$tmp/err" && [ ! -s "$tmp/out" ] &&
		! grep -qF "$token" "$tmp/err"
}

if server_start 200; then
	csd
	server_done
	check "wrapper: accepted report exits 0 with one line" test "$rc" -eq 0
	check "wrapper: says the report was accepted" one_line "accepted by the gateway 127.0.0.1 port $port"
	check "wrapper: presented the device certificate" grep -qx "peer: field-1" "$tmp/request"
	check "wrapper: POST to scan.xml" header "POST /+CSCOE+/sdesktop/scan.xml HTTP/1.1"
	check "wrapper: the sdesktop cookie" header "Cookie: sdesktop=$token"
	check "wrapper: Host from -url" header "Host: 127.0.0.1:$port"
	check "wrapper: Content-Type: text/xml" header "Content-Type: text/xml"
	check "wrapper: Connection: close" header "Connection: close"
	check "wrapper: the body is the agent's report" bash -c '
		grep -qx "endpoint.device.id=\"field-1\";" "$1" &&
		grep -qx "endpoint.os.name=\"linux\";" "$1" &&
		grep -qx "endpoint.mdm.enrolled=\"true\";" "$1" &&
		grep -qE "^endpoint.collected-at=\"[0-9]+\";$" "$1"' _ "$tmp/request"
	check "wrapper: Content-Length is the body's" python3 -c '
import sys
d = open(sys.argv[1], "rb").read().split(b"\n", 1)[1]
head, body = d.split(b"\r\n\r\n", 1)
n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
sys.exit(0 if n == [len(body)] else 1)' "$tmp/request"
else
	not_ok "wrapper: test server started" "$(cat "$tmp/server.err")"
fi

if server_start 200; then
	csd POSTERN_FACTS="$fx/stale.facts"
	server_done
	check "wrapper: POSTERN_FACTS reaches the report, stale date included" bash -c '
		[ "$2" -eq 0 ] && grep -qx "endpoint.collected-at=\"1000000000\";" "$1" &&
		grep -qx "endpoint.passcode.set=\"true\";" "$1"' _ "$tmp/request" "$rc"
fi

if server_start 403; then
	csd
	server_done
	check "wrapper: refused report exits 1 and says HTTP 403" \
		bash -c '[ "$1" -eq 1 ]' _ "$rc"
	check "wrapper: refusal is one line" one_line "refused the posture report \(HTTP 403\)"
fi

if server_start 200; then
	csd CSD_SHA256="$(pin_of "$pki/ca.crt")"
	server_done
	check "wrapper: wrong key pin fails closed" \
		bash -c '[ "$1" -eq 1 ] && ! grep -q "POST" "$2"' _ "$rc" "$tmp/request"
	check "wrapper: wrong key pin is one line" one_line "does not match CSD_SHA256"
fi

if server_start 200; then
	csd CSD_SHA256= POSTERN_CAFILE="$pki/ca.crt"
	server_done
	check "wrapper: POSTERN_CAFILE instead of a pin" \
		bash -c '[ "$1" -eq 0 ] && grep -q "^POST " "$2"' _ "$rc" "$tmp/request"
fi

"$ca" init --dir "$tmp/other-ca" >/dev/null 2>&1
if server_start 200; then
	csd CSD_SHA256= POSTERN_CAFILE="$tmp/other-ca/ca.crt"
	server_done
	check "wrapper: a chain from another CA fails closed" \
		bash -c '[ "$1" -eq 1 ] && ! grep -q "POST" "$2"' _ "$rc" "$tmp/request"
	check "wrapper: the TLS failure is one line" one_line "TLS handshake with the gateway failed"
fi

if server_start 200; then
	csd POSTERN_PORT="$port" CSD_HOSTNAME=localhost
	server_done
	check "wrapper: POSTERN_PORT and a host name" test "$rc" -eq 0
fi

# openconnect passes an IPv6 gateway's address in brackets, as in its URLs.
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null &&
	server_start 200 ::1; then
	csd CSD_HOSTNAME='[::1]' POSTERN_PORT="$port"
	server_done
	check "wrapper: CSD_HOSTNAME [::1]" bash -c '[ "$1" -eq 0 ] && grep -q "^POST " "$2"' \
		_ "$rc" "$tmp/request"
else
	echo "# no IPv6 loopback: CSD_HOSTNAME [::1] not tested"
fi

csd CSD_SHA256=
check "wrapper: neither pin nor CA file" bash -c '[ "$1" -eq 1 ]' _ "$rc"
check "wrapper: ... is refused with one line" one_line "neither CSD_SHA256 nor POSTERN_CAFILE"
csd POSTERN_KEY=
check "wrapper: missing POSTERN_KEY is one line" one_line "POSTERN_KEY is not set"
csd CSD_TOKEN=
check "wrapper: missing CSD_TOKEN is one line" one_line "CSD_TOKEN is not set"
csd CSD_TOKEN="a;b"
check "wrapper: a token that is no cookie value" one_line "CSD_TOKEN is not a cookie value"
csd CSD_HOSTNAME="gw.test\r\nX-Injected: 1"
check "wrapper: a CSD_HOSTNAME that is no host" one_line "CSD_HOSTNAME is not a host name"
csd CSD_SHA256=bm90IGEgcGlu
check "wrapper: a malformed pin" one_line "CSD_SHA256 is not a base64 SHA-256"
cp "$dev/field-1.key" "$tmp/open.key"
chmod 0644 "$tmp/open.key"
csd POSTERN_KEY="$tmp/open.key"
check "wrapper: a key open to others is refused" one_line "chmod 600"

# A port nobody listens on: the server's, once it is gone.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
csd
check "wrapper: nothing listening exits 1 with one line" \
	bash -c '[ "$1" -eq 1 ]' _ "$rc"
check "wrapper: ... saying it cannot connect" one_line "cannot connect to the gateway 127.0.0.1 port $port"

if server_start silent; then
	start=$(date +%s)
	csd
	took=$(($(date +%s) - start))
	server_done
	check "wrapper: a silent gateway times out in about 15 s" \
		bash -c '[ "$1" -eq 1 ] && [ "$2" -ge 14 ] && [ "$2" -le 20 ]' _ "$rc" "$took"
	check "wrapper: ... with one line" one_line "within 15 s"
fi

echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]
