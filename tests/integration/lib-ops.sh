# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared code of the gateway-operations tests (30-34), sourced after lib.sh:
# the gateway with its control socket and metrics endpoint, posternctl runs
# kept on file (each run's output in $PST_TMP/ctl-N.out/.err, a transcript in
# $PST_TMP/ctl.log that a failing run shows), JSON assertions in python3,
# session cookies, refused reconnects, millisecond timing of log lines, the
# MDM inventory CSV and the Prometheus text parser.
#
# Call ops_init instead of pst_init.

OPS_FIXTURES=$PST_ROOT/tests/fixtures/ops
OPS_CTL=$PST_BUILD/posternctl
OPS_SOCK=
OPS_METRICS=127.0.0.1:9187
OPS_N=0
OPS_OUT=
OPS_ERR=
OPS_RC=
OPS_OC_RC=
OPS_OC_ENVF=

# A failing run also shows the posternctl transcript (before the gateway's
# log, which lib.sh shows last).
eval "ops_lib_dump_logs() $(declare -f pst_dump_logs | tail -n +2)"
pst_dump_logs() {
	if [ -n "$PST_TMP" ] && [ -s "$PST_TMP/ctl.log" ]; then
		echo "--- posternctl transcript (last 40 lines)"
		tail -n 40 "$PST_TMP/ctl.log"
	fi
	ops_lib_dump_logs
}

ops_init() {
	pst_init
	command -v curl >/dev/null || pst_skip "curl is not installed"
	[ -x "$OPS_CTL" ] || pst_bail "posternctl is built" "$OPS_CTL is missing: run make"
}

# ops_gw_conf [key=value...]: pst_gw_conf with the control socket
# ($PST_TMP/control.sock, given relative to the config's directory) and the
# metrics endpoint on 127.0.0.1:9187 inside the gateway's netns.
ops_gw_conf() {
	OPS_SOCK=$PST_TMP/control.sock
	pst_gw_conf control-socket=control.sock metrics-listen="$OPS_METRICS" "$@"
}

# ops_ctl [posternctl options...] COMMAND [ARG]: runs posternctl on our
# socket (at most 15 s). Sets OPS_OUT, OPS_ERR (files) and OPS_RC; returns
# posternctl's exit status.
ops_ctl() {
	ops_ctl_as root "$OPS_CTL" -s "$OPS_SOCK" "$@"
}

# ops_ctl_raw [posternctl arguments...]: the same without -s.
ops_ctl_raw() { ops_ctl_as root "$OPS_CTL" "$@"; }

# ops_ctl_as USER|root CMD...: runs CMD (as USER when not root), recording it.
ops_ctl_as() {
	local user=$1; shift
	OPS_N=$((OPS_N + 1))
	OPS_OUT=$PST_TMP/ctl-$OPS_N.out OPS_ERR=$PST_TMP/ctl-$OPS_N.err
	if [ "$user" = root ]; then
		timeout 15 "$@" >"$OPS_OUT" 2>"$OPS_ERR" </dev/null
	else
		timeout 15 setpriv --reuid="$user" --regid=nogroup --clear-groups \
			"$@" >"$OPS_OUT" 2>"$OPS_ERR" </dev/null
	fi
	OPS_RC=$?
	{
		echo "[$user] $* -> exit $OPS_RC"
		head -c 2000 "$OPS_OUT"
		sed 's/^/stderr: /' "$OPS_ERR"
	} >>"$PST_TMP/ctl.log"
	return "$OPS_RC"
}

# ops_py FILE CODE [ARG...]: runs the python3 CODE with d = the JSON document
# in FILE (None when it is not JSON: the code's asserts then fail) and
# a = [ARG...]; true when it raises nothing. The assertion's message goes
# to stderr.
ops_py() {
	local file=$1 code=$2; shift 2
	python3 - "$file" "$code" "$@" <<'PY'
import json, re, sys, datetime
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"    not JSON ({e}): {open(sys.argv[1]).read()[:300]!r}", file=sys.stderr)
    sys.exit(1)
a = sys.argv[3:]
def iso(s):
    """An ISO 8601 UTC time 2026-11-27T10:00:00Z as epoch seconds."""
    assert isinstance(s, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s), f"not ISO UTC: {s!r}"
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
def sess(dev, doc=None):
    """The session of device dev in a sessions document."""
    ss = [s for s in (doc or d)["sessions"] if s["device"] == dev]
    assert len(ss) == 1, f"{len(ss)} sessions for {dev}: {doc or d}"
    return ss[0]
try:
    exec(sys.argv[2])
except Exception as e:
    print(f"    {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
PY
}

# ops_check NAME FILE CODE [ARG...]: check NAME with ops_py, reporting the
# failed assertion (not the code) when it fails.
ops_check() {
	local name=$1 why; shift
	if why=$(ops_py "$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$(printf '%s' "$why" | sed 's/^ *//' | head -c 1500)"
		return 1
	fi
}

# ops_json_get FILE EXPR: prints the python EXPR evaluated on the JSON
# document d in FILE (strings as-is, everything else as JSON).
ops_json_get() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2" 2>/dev/null
}

# ops_sessions FILE: `posternctl --json sessions` saved to FILE.
ops_sessions() {
	ops_ctl --json sessions && cp "$OPS_OUT" "$1"
}

# ops_session_get DEV FIELD: FIELD of DEV's live session ("" when none).
ops_session_get() {
	ops_ctl --json sessions >/dev/null || return 1
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for s in d["sessions"]:
    if s["device"] == sys.argv[2]:
        v = s[sys.argv[3]]
        print(v if isinstance(v, str) else json.dumps(v))' "$OPS_OUT" "$1" "$2" 2>/dev/null
}

# ops_authenticate DEV CERT_ID [openconnect options...]: prints the session
# cookie that openconnect --authenticate obtains for CERT_ID from DEV.
ops_authenticate() {
	local dev=$1 id=$2; shift 2
	pst_in "$dev" timeout 30 openconnect --authenticate --non-inter --no-passwd \
		-c "$(pst_cert "$id")" -k "$(pst_key "$id")" --cafile "$PST_TMP/pki/ca.crt" \
		"$@" "https://$PST_GW_IP/" 2>"$PST_TMP/authenticate-$dev.err" |
		sed -n "s/^COOKIE='\(.*\)'\$/\1/p"
}

# ops_oc_once NAME DEV CERT_ID [openconnect options...]: one foreground
# openconnect run (at most 30 s) from DEV; its output goes to
# $PST_TMP/openconnect-NAME.log (spaces in NAME made dashes). Sets
# OPS_OC_RC (124: still running) and OPS_OC_ENVF (the file the vpnc
# script's environment goes to if it ever runs).
ops_oc_once() {
	local name=${1// /-} dev=$2 id=$3 log; shift 3
	local -a creds=()
	log=$PST_TMP/openconnect-$name.log
	OPS_OC_ENVF=$PST_TMP/$name.env
	rm -f "$OPS_OC_ENVF"
	[ "$id" != - ] && creds=(-c "$(pst_cert "$id")" -k "$(pst_key "$id")")
	PST_OC_LOG[$name]=$log
	pst_in "$dev" env PST_ENV_DUMP="$OPS_OC_ENVF" "${PST_OC_ENV[@]}" timeout 30 \
		openconnect --non-inter --no-passwd --no-dtls "${creds[@]}" \
		--cafile "$PST_TMP/pki/ca.crt" --script "$PST_HELPERS/vpnc-wrapper.sh" -i vpn0 \
		"$@" "https://$PST_GW_IP/" </dev/null >"$log" 2>&1
	OPS_OC_RC=$?
}

# ops_refused NAME DEV CERT_ID REASON [openconnect options...]: a connection
# attempt that must be refused: openconnect exits 1 after printing REASON,
# and no tunnel comes up.
ops_refused() {
	local name=$1 dev=$2 id=$3 reason=$4; shift 4
	ops_oc_once "$name" "$dev" "$id" "$@"
	check "$name: openconnect exits 1 (got $OPS_OC_RC)" [ "$OPS_OC_RC" -eq 1 ]
	check "$name: openconnect prints \"$reason\"" grep -qF -- "$reason" "${PST_OC_LOG[${name// /-}]}"
	check "$name: no tunnel (no CONNECT accepted, the script never ran connect)" \
		bash -c "! grep -q 'CONNECT response: HTTP/1.1 200' '${PST_OC_LOG[${name// /-}]}' && [ ! -e '$OPS_OC_ENVF' ]"
}

# ops_cookie_dead NAME DEV CERT_ID COOKIE: a fresh client presenting COOKIE
# is refused (non-zero exit, no tunnel) and the gateway logs the refusal.
ops_cookie_dead() {
	local name=$1 dev=$2 id=$3 cookie=$4
	ops_oc_once "$name" "$dev" "$id" -C "$cookie"
	if [ "$OPS_OC_RC" -ne 0 ] && [ "$OPS_OC_RC" -ne 124 ]; then
		ok "$name: the session's cookie is refused (openconnect exit $OPS_OC_RC)"
	else
		not_ok "$name: the session's cookie is refused" \
			"exit status $OPS_OC_RC (124 = still running after 30 s)"
	fi
	check "$name: gateway log: CONNECT with the dead cookie refused" \
		pst_log_has "refused peer=$(re "$(pst_device_ip "$dev")"):[0-9]+ device=$id: CONNECT"
	check "$name: no tunnel came up" [ ! -e "$OPS_OC_ENVF" ]
}

# ops_ms: milliseconds since the epoch.
ops_ms() { echo $(($(date +%s%N) / 1000000)); }

# ops_log_wait_since START_MS SECONDS ERE: polls the gateway log every 20 ms
# for ERE until SECONDS after START_MS (from ops_ms). Prints the milliseconds
# from START_MS to when the line was seen; returns 1 on time-out.
ops_log_wait_since() {
	local start=$1 limit=$(($2 * 1000)) re=$3 now
	while :; do
		now=$(ops_ms)
		if pst_log_has "$re"; then
			echo $((now - start))
			return 0
		fi
		[ $((now - start)) -gt "$limit" ] && return 1
		sleep 0.02
	done
}

# ops_ms_since START_MS: milliseconds elapsed since START_MS.
ops_ms_since() { echo $(($(ops_ms) - $1)); }

# ops_one_of VALUE CHOICE...: VALUE is one of the CHOICEs.
ops_one_of() {
	local v=$1 c; shift
	for c in "$@"; do
		[ "$v" = "$c" ] && return 0
	done
	return 1
}

# ops_not CMD...: true when CMD fails (for check).
ops_not() { ! "$@"; }

# ops_no_ping DEV ADDR: DEV gets no answer from ADDR.
ops_no_ping() { ! pst_ping "$1" "$2"; }

# ops_tunnel_ups DEV: how many "tunnel up" lines the gateway logged for DEV.
ops_tunnel_ups() { pst_log_count "tunnel up device=$1 "; }

# ---------------------------------------------------------------- inventory

# ops_now_iso: the current UTC time as YYYY-MM-DDTHH:MM:SSZ.
ops_now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# ops_inventory FILE ROW...: writes the MDM export FILE through a temporary
# file and a rename (as an exporter does); each ROW is
# "device,mdm_enrolled,passcode_set,os_name,os_version,status" and gets
# last_checkin = now. The columns are in another order than the spec lists
# them, with a column the gateway does not know, as a real export has.
ops_inventory() {
	local file=$1 row now dev mdm pass osn osv status; shift
	now=$(ops_now_iso)
	{
		echo "serial_number,device_id,os_name,os_version,mdm_enrolled,passcode_set,status,last_checkin"
		for row in "$@"; do
			IFS=, read -r dev mdm pass osn osv status <<<"$row"
			echo "SN-$dev,$dev,$osn,$osv,$mdm,$pass,$status,$now"
		done
	} >"$file.tmp" && mv -f "$file.tmp" "$file"
}

# ---------------------------------------------------------------- metrics

# ops_metrics FILE [PATH]: GET http://$OPS_METRICS/PATH (default metrics)
# from inside the gateway's netns; the body goes to FILE and the headers to
# FILE.headers. Prints the HTTP status code.
ops_metrics() {
	pst_in gw curl -sS --max-time 5 -o "$1" -D "$1.headers" -w '%{http_code}' \
		"http://$OPS_METRICS/${2:-metrics}" 2>"$1.err"
}

# ops_prom_parse TEXT_FILE JSON_FILE: validates Prometheus text format 0.0.4
# (tests/fixtures/ops/promcheck.py) and writes the samples as JSON
# {"name{label=value,...}": value}.
ops_prom_parse() { python3 "$OPS_FIXTURES/promcheck.py" "$1" >"$2"; }
