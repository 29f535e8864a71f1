#!/bin/bash
# SPDX-License-Identifier: MIT
# End-to-end test of `postern-posture report`, without network namespaces:
#   - a synthetic audit log of known content (tests/bench/gen_audit.py
#     --expect: its verdicts, devices and bad lines counted as it wrote
#     them) is reported in every format, and each format's counts are
#     checked against what was written: text lines, CSV rows read back with
#     Python's csv, the JSON object, the HTML page's cards;
#   - a hand-written log checks the range: a record at --since counts, one
#     at --until does not, a date as --until takes its whole day, and a
#     spell begun before --since is dated from its real start;
#   - the log read from standard input and from a pipe is the same report;
#   - usage errors exit 2 with one clear line: a bad --since, an unknown
#     format, a file that cannot be read, a directory, no --audit,
#     --since after --until, an output that cannot be created;
#   - the HTML page opens in headless Chromium from disk: a screenshot that
#     is a real page (a PNG many times larger than a blank page's), a DOM
#     with the charts, and no console message at all (a canary page with a
#     script and an outside image proves that Chromium reports them).
# Prints "ok - NAME" / "not ok - NAME"; exits 77 with the reason when the
# program is not built, python3 is missing or Chromium cannot run here (the
# checks before the browser's still run and print their lines first).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${PST_BUILD:-$root/build}
pp=$build/postern-posture
gen=$root/tests/bench/gen_audit.py
passed=0 failed=0

[ -x "$pp" ] || { echo "skipped: $pp is not built (make all)"; exit 77; }
command -v python3 >/dev/null || { echo "skipped: python3 is not installed"; exit 77; }

tmp=$(mktemp -d /tmp/postern-50-report.XXXXXX) || exit 1
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	failed=$((failed + 1))
}
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# run CMD...: stdout in $tmp/out, stderr in $tmp/err, status in rc.
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# ---- every format on a synthetic log of known content

log=$tmp/audit.log
python3 "$gen" --lines 3000 --devices 150 --days 20 --start 2026-11-01 --seed 5 --bad 6 \
	--expect "$tmp/expect.json" --output "$log" || { echo "not ok - gen_audit.py"; exit 1; }
exp() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
	"$tmp/expect.json" "$1"; }
records=$(exp records) bad=$(exp bad) devices=$(exp devices)
allow=$(exp allow) quarantine=$(exp quarantine) deny=$(exp deny)

run "$pp" report --audit "$log"
check "text: exit 0 with bad lines in the log" [ "$rc" = 0 ]
check "text: records in range ($records)" grep -Eq "^  records in range: +$records\$" "$tmp/out"
check "text: bad lines ($bad)" grep -Eq "^  bad lines: +$bad\$" "$tmp/out"
check "text: devices ($devices)" grep -Eq "^  devices: +$devices\$" "$tmp/out"
check "text: quarantine decisions ($quarantine)" \
	grep -Eq "^  quarantine +$quarantine +[0-9.]+ +[0-9]+\$" "$tmp/out"
check "text: the bad lines named FILE LINE why" \
	[ "$(grep -Ec "^  $log +[0-9]+  [a-z']" "$tmp/out")" = "$bad" ]
check "stderr: one line counting the bad lines" \
	grep -q "^postern-posture report: $bad bad lines skipped .* $log:[0-9]*: " "$tmp/err"
check "text: trend is better (the generator's fleet improves)" \
	grep -Eq "^  trend: +better\$" "$tmp/out"

run "$pp" report --audit "$log" --format csv --output "$tmp/r.csv"
check "csv: exit 0, nothing on stdout" [ "$rc" = 0 ] && [ ! -s "$tmp/out" ]
check "csv: verdict rows and bad lines match the log" python3 - "$tmp/r.csv" \
	"$allow" "$quarantine" "$deny" "$bad" "$records" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
allow, quarantine, deny, bad, records = map(int, sys.argv[2:])
sections = {}
for r in rows:
    if r and r[0] != "section":
        sections.setdefault(r[0], []).append(r)
v = {r[1]: int(r[2]) for r in sections["verdicts"]}
assert v == {"allow": allow, "quarantine": quarantine, "deny": deny,
             "total": allow + quarantine + deny}, v
assert len(sections["bad_lines"]) == bad, sections["bad_lines"]
days = sections["over_time"]
assert len(days) == 20, len(days)
assert sum(int(d[2]) + int(d[3]) + int(d[4]) for d in days) == records
headers = [r for r in rows if r and r[0] == "section"]
assert len(headers) == 11, len(headers)
PY

run "$pp" report --audit "$log" --format json --top 3
check "json: one object whose counts match the log" python3 - "$tmp/out" \
	"$allow" "$quarantine" "$deny" "$bad" "$records" "$devices" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
allow, quarantine, deny, bad, records, devices = map(int, sys.argv[2:])
o = r["overview"]
assert (o["records"], o["bad"], o["devices"]) == (records, bad, devices), o
assert [v["decisions"] for v in r["verdicts"]] == [allow, quarantine, deny, records]
assert r["bad_lines_total"] == bad and len(r["bad_lines"]) == bad
assert len(r["reasons"]) == 3 and len(r["longest_out"]) == 3
assert r["reasons"][0]["decisions"] >= r["reasons"][1]["decisions"]
assert len(r["policies"]) == 3, r["policies"]
assert sum(p["decisions"] for p in r["platforms"]) == records
out = sum(1 for s in r["longest_out"] if s["still_out"])
assert o["quarantined_now"] + o["denied_now"] >= out
PY

run "$pp" report --audit "$log" --format html --output "$tmp/report.html"
check "html: exit 0" [ "$rc" = 0 ]
check "html: one page, no script, nothing from outside, the cards' counts" python3 - \
	"$tmp/report.html" "$records" "$devices" <<'PY'
import sys
from html.parser import HTMLParser
page = open(sys.argv[1], encoding="utf-8").read()
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.cards, self.in_b = [], [], False
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            assert k not in ("src", "href") and not k.startswith("on"), (tag, k, v)
        self.in_b = tag == "b"
    def handle_data(self, d):
        if self.in_b:
            self.cards.append(d)
            self.in_b = False
p = P()
p.feed(page)
assert "script" not in p.tags and "link" not in p.tags and "img" not in p.tags
assert p.tags.count("svg") == 5, p.tags.count("svg")
assert p.cards[0] == sys.argv[3] and p.cards[3] == sys.argv[2], p.cards
assert page.rstrip().endswith("</html>")
PY

# ---- the range, on a log written by hand

sha=$(printf '%064d' 7)
line() {
	printf '{"time":"%s","event":"login","device":"%s","group":"g","ownership":"byod",' "$1" "$2"
	printf '"verdict":"%s","reasons":[%s],"facts":[],"policy":"/p","policy_sha256":"%s"}\n' \
		"$3" "${4:-}" "$sha"
}
{
	line 2026-11-01T08:00:00Z d1 quarantine '"no passcode is set"'
	line 2026-11-02T00:00:00Z d1 quarantine '"no passcode is set"'
	line 2026-11-02T00:00:00Z d2 allow
	line 2026-11-05T23:59:59Z d2 deny '"device is retired in the MDM inventory; contact IT"'
	line 2026-11-06T00:00:00Z d2 allow
} >"$tmp/range.log"
run "$pp" report --audit "$tmp/range.log" --since 2026-11-02 --until 2026-11-05 --format json
check "range: since counts, until (a date: its whole day) does not" python3 - "$tmp/out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
o = r["overview"]
assert (o["records"], o["before"], o["after"]) == (3, 1, 1), o
assert (o["from"], o["until"]) == ("2026-11-02T00:00:00Z", "2026-11-06T00:00:00Z"), o
assert (o["quarantined_now"], o["denied_now"]) == (1, 1), o
s = r["longest_out"][0]
assert s["device"] == "d1" and s["since"] == "2026-11-01T08:00:00Z" and s["still_out"], s
assert s["duration_s"] == 4 * 86400 + 16 * 3600, s
PY
run "$pp" report --audit "$tmp/range.log" --since 2026-11-05T23:59:59Z --until 2026-11-06T00:00:00Z \
	--format csv
check "range: one second, shown by hour" grep -q '^overview,2026-11-05T23:59:59Z,2026-11-06T00:00:00Z,hour,5,1,3,1,' "$tmp/out"

# ---- standard input and pipes

"$pp" report --audit "$log" --format json >"$tmp/file.json" 2>/dev/null
"$pp" report --audit - --format json <"$log" 2>/dev/null >"$tmp/stdin.json"
cat "$log" | "$pp" report --audit /dev/stdin --format json 2>/dev/null >"$tmp/pipe.json"
check "stdin: the same counts as the file" python3 -c '
import json, sys
a, b, c = (json.load(open(f)) for f in sys.argv[1:])
for k in ("overview", "verdicts", "reasons", "platforms", "policies", "over_time"):
    assert a[k] == b[k] == c[k], k' "$tmp/file.json" "$tmp/stdin.json" "$tmp/pipe.json"

# ---- usage errors: exit 2, one line naming the problem, nothing on stdout

usage() {
	local name=$1 pattern=$2
	shift 2
	run "$pp" report "$@"
	if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
		grep -Eq -- "$pattern" "$tmp/err"; then
		ok "usage: $name"
	else
		not_ok "usage: $name" "exit $rc, stderr: $(cat "$tmp/err")"
	fi
}
usage "bad --since" "--since 'last week' is neither a date" --audit "$log" --since "last week"
usage "bad --until date" "--until '2026-02-30'" --audit "$log" --until 2026-02-30
usage "unknown format" "unknown --format 'pdf'" --audit "$log" --format pdf
usage "unreadable file" "$tmp/nope: cannot open: No such file" --audit "$tmp/nope"
usage "a directory" "$tmp: is a directory" --audit "$tmp"
usage "no --audit" "missing --audit" --format text
usage "--since after --until" "--since must come before --until" --audit "$log" \
	--since 2026-11-05 --until 2026-11-01
usage "output cannot be created" "$tmp/no/such/dir/r.html: cannot create" --audit "$log" \
	--output "$tmp/no/such/dir/r.html"
usage "bad --top" "--top '0' is not a number" --audit "$log" --top 0
usage "unknown option" "unknown option '--sinse'" --audit "$log" --sinse 2026-11-01
run "$pp" report --help
check "--help: usage on stdout, exit 0" grep -q "^usage: postern-posture report --audit" "$tmp/out"

# ---- the page in a browser

# chromium_run OUT_PREFIX FILE: a screenshot, the DOM and the console of FILE.
chromium_run() {
	timeout 90 "$chromium" --headless=new --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$tmp/chromium-profile" --enable-logging=stderr --v=0 \
		--window-size=1100,2400 --screenshot="$1.png" "file://$2" >/dev/null 2>"$1.log" &&
	timeout 90 "$chromium" --headless=new --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$tmp/chromium-profile" --dump-dom "file://$2" >"$1.dom" 2>/dev/null
}

# No browser: the page is untested, which is a skip, not a pass (unless
# something above already failed).
browser_skip() {
	echo "# $passed passed, $failed failed"
	[ "$failed" -eq 0 ] || exit 1
	echo "skipped: $*"
	exit 77
}

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
	browser_skip "chromium is not installed (tests/deps.sh installs it): the HTML page was not opened"
elif ! timeout 90 "$chromium" --headless=new --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$tmp/chromium-profile" --dump-dom "data:text/html,<p>ok</p>" \
	2>"$tmp/chromium-probe.log" | grep -q "<p>ok</p>"; then
	browser_skip "chromium cannot run here: $(grep -v dbus "$tmp/chromium-probe.log" | tail -n 1)"
else
	printf '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src %s"></head><body><p>blank</p><img src="http://198.51.100.1/x.png"><script>nofn()</script></body></html>\n' \
		"'none'" >"$tmp/canary.html"
	chromium_run "$tmp/canary" "$tmp/canary.html"
	check "chromium: reports a page's console messages (canary)" \
		grep -q ":CONSOLE" "$tmp/canary.log"
	chromium_run "$tmp/shot" "$tmp/report.html"
	check "chromium: the page opens (exit 0)" [ -s "$tmp/shot.png" ]
	check "chromium: the screenshot is a PNG of a real page" python3 - "$tmp/shot.png" \
		"$tmp/canary.png" <<'PY'
import struct, sys
shot, blank = (open(f, "rb").read() for f in sys.argv[1:])
assert shot[:8] == b"\x89PNG\r\n\x1a\n", shot[:8]
w, h = struct.unpack(">II", shot[16:24])
assert (w, h) == (1100, 2400), (w, h)
assert len(shot) > 10 * len(blank) and len(shot) > 50000, (len(shot), len(blank))
PY
	check "chromium: no console message on the report's page" \
		bash -c '! grep ":CONSOLE" "$1"' _ "$tmp/shot.log"
	check "chromium: the DOM holds the charts and the tables" python3 - "$tmp/shot.dom" <<'PY'
import sys
dom = open(sys.argv[1]).read()
assert dom.count("<svg") == 5 and dom.count("<rect") > 60, dom.count("<svg")
assert "Postern fleet posture report</h1>" in dom and dom.count("<table>") == 11
PY
	[ "${PST_KEEP:-}" = 1 ] && cp "$tmp/shot.png" "/tmp/postern-report-screenshot.png"
fi

echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]
