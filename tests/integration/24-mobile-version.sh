#!/bin/bash
# SPDX-License-Identifier: MIT
# Phones on the stock openconnect (--os=android, --os=apple-ios) announce
# platform-version "1.0" whatever they run. Under a policy with a minimum
# version per platform and an MDM inventory, that "1.0" is no version: the
# MDM record must state it, and the owner is told what that record lacks,
# never to update from 1.0.
# - MDM says Android 15 / iOS 18.1: allowed (the inventory outranks the
#   client's placeholder);
# - no MDM record: quarantined, "the MDM inventory has none for this device:
#   enroll it in the company MDM";
# - a record without an OS version: quarantined, "this device's has no OS
#   version";
# - MDM says iOS 17.1: a real version, so the real advice: update;
# - the quarantined Android phone's record arrives (Android 15): the
#   inventory watch promotes its live session, which then reaches the
#   internal host;
# - postern-posture check, fed each audit record's facts, gives the same
#   reasons word for word.
#
#   devA 198.18.0.11 (android: droid-ok, droid-new)   --\
#                                                        br0-- gw 198.18.0.1:443 [pst0, inventory.csv] -- int 198.18.2.2
#   devB 198.18.0.12 (ios: ios-ok, ios-nover, ios-old) --/                                             int 198.18.3.2
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pki=$PST_TMP/pki policy=$PST_TMP/policy.conf inv=$PST_TMP/inventory.csv
pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$pki" || pst_bail "PKI" "postern-ca init failed"
for id in droid-ok droid-new ios-ok ios-nover ios-old; do
	pst_issue "$pki" "$id" --group mobile || pst_bail "PKI" "postern-ca issue $id failed"
done
cat >"$policy" <<EOF
quarantine-profile = "remediation"
agent = "optional"
inventory = "inventory.csv"
profile internal { allow = { "$PST_INT_NET" } }
profile remediation { allow = { "$PST_REM_NET" } }
platform android { min-version = "14" }
platform ios { min-version = "17.9" }
rule phones { group = "mobile" platform = { "ios", "android" } action = "allow" profile = "internal" }
EOF

# inventory ROW...: writes the MDM export through a rename, as an exporter
# does; each ROW is "device,os_name,os_version" (an empty version: the MDM
# does not know it), checked in now.
inventory() {
	local row dev osn osv now; now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	{
		echo "device_id,mdm_enrolled,passcode_set,os_name,os_version,last_checkin,status"
		for row in "$@"; do
			IFS=, read -r dev osn osv <<<"$row"
			echo "$dev,true,true,$osn,$osv,$now,active"
		done
	} >"$inv.tmp" && mv -f "$inv.tmp" "$inv"
}
rows=("droid-ok,android,15" "ios-ok,ios,18.1" "ios-nover,ios," "ios-old,ios,17.1")
inventory "${rows[@]}"
pst_gw_conf policy="$policy" audit-log="$PST_TMP/audit.log" routes="$PST_INT_NET $PST_REM_NET"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log: $(tail -3 "$PST_GW_LOG")"

NO_VERSION="this client does not report the OS version (it sends '1.0'); the MDM record must state it, and"

# allowed DEV ID OS: ID connects with --os=OS and no wrapper, is allowed
# with profile internal on the MDM's version, and reaches the internal host.
allowed() {
	local dev=$1 id=$2 os=$3
	PST_ROUTES="$PST_INT_NET $PST_REM_NET"
	if pst_connect "$dev" "$id" --os="$os"; then
		ok "$id (--os=$os, MDM record with a good version) connects"
		check "$id: allowed with profile internal" \
			pst_log_has "posture decision device=$id peer=[^ ]+ verdict=allow rule=phones profile=internal$"
		check "$id reaches the internal host" pst_ping "$dev" "$PST_INT_IP"
		pst_replay_agrees "$id"
		pst_end "$dev" "$id" || not_ok "$id's session ends"
	else
		not_ok "$id (--os=$os, MDM record with a good version) connects" \
			"$(tail -5 "${PST_OC_LOG[$dev]}")"
	fi
}

# quarantined DEV ID OS TEXT: ID connects with --os=OS in quarantine, TEXT
# among the reasons in the log and the banner, and openconnect shows it to
# the owner (its "Connect Banner:" lines); the dry run agrees.
quarantined() {
	local dev=$1 id=$2 os=$3 text=$4
	pst_quarantined "$dev" "$id" "$id" - "$text" --os="$os" || return 1
	check "$id: openconnect shows the owner the reason" \
		grep -qF -- "| - $text" "${PST_OC_LOG[$dev]}"
	pst_replay_agrees "$id"
}

allowed devA droid-ok android
allowed devB ios-ok apple-ios

if quarantined devA droid-new android \
	"$NO_VERSION the MDM inventory has none for this device: enroll it in the company MDM"; then
	check "droid-new: not told to update from 1.0" \
		pst_banner_lacks devA "update the operating system"
	check "droid-new reaches the remediation host" pst_ping devA "$PST_REM_IP"
fi

if quarantined devB ios-nover apple-ios \
	"$NO_VERSION this device's has no OS version: have the device check in with the MDM, or contact IT"; then
	check "ios-nover: not told to update from 1.0" \
		pst_banner_lacks devB "update the operating system"
	pst_end devB ios-nover || not_ok "ios-nover's session ends"
fi

# A version the MDM read from the phone is real: here updating is the fix.
if quarantined devB ios-old apple-ios \
	"OS version 17.1 is below the minimum 17.9 for ios; update the operating system"; then
	pst_end devB ios-old || not_ok "ios-old's session ends"
fi

check "audit log: the client announced 1.0 for every phone" python3 - "$PST_TMP/audit.log" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 5, [r["device"] for r in recs]
for r in recs:
    client = {f["name"]: f["value"] for f in r["facts"] if f["source"] == "client"}
    assert client.get("os.version") == "1.0", (r["device"], client)
PY

# The record of droid-new arrives while it sits in quarantine: the watch
# re-evaluates its session in place, and the internal host is reachable.
if pst_alive "${PST_OC_PID[devA]:-0}"; then
	n=$(pst_log_count "inventory reloaded ")
	inventory "${rows[@]}" "droid-new,android,15"
	check "the inventory watch reloads the new export" \
		pst_log_wait 10 "inventory reloaded $(re "$inv"): 5 records"
	check "droid-new: promoted to internal once the MDM states Android 15" \
		pst_log_wait 10 "re-evaluated device=droid-new verdict=allow profile=internal \(was quarantine/remediation\)"
	check "droid-new reaches the internal host without reconnecting" pst_ping devA "$PST_INT_IP"
	check "droid-new: one more inventory reload than before" \
		pst_log_more "inventory reloaded " "$n"
	pst_replay_agrees droid-new
	pst_end devA droid-new || not_ok "droid-new's session ends"
else
	not_ok "droid-new: promoted when its MDM record arrives" "droid-new was not connected"
fi

check "gateway still running" pst_alive "$PST_GW_PID"
pst_finish
