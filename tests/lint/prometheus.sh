#!/bin/bash
# SPDX-License-Identifier: MIT
# What we ship for Prometheus and Grafana (conf/postern-alerts.yml,
# conf/grafana-dashboard.json), checked without a gateway:
#
#   - the dashboard is JSON, and every query in it is PromQL that
#     promtool parses (its Grafana variables replaced by values);
#   - every metric the dashboard and the alert rules name is one the
#     gateway serves: a "postern_..." or "process_..." name spelled out in
#     gateway/*.c (where every metric name is written once), or up;
#   - `promtool check rules` accepts the rules, and `promtool test rules`
#     (tests/lint/postern-alerts.test.yml) shows each alert firing on what
#     should fire it, its words rendered, and not on what should not.
#
# tests/integration/34-metrics.sh checks the same names against a live
# scrape. Prints "ok - NAME" / "not ok - NAME" lines for tests/run.sh;
# exits 1 when any failed, 77 when promtool is not installed (`make deps`
# installs Debian's prometheus package) and nothing else failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
failed=0
RULES=conf/postern-alerts.yml
DASH=conf/grafana-dashboard.json
tmp=$(mktemp -d "${TMPDIR:-/tmp}/postern-lint-prom.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $1"; }
not_ok() {
	echo "not ok - $1"
	[ $# -gt 1 ] && sed 's/^/#   /' <<<"$2"
	failed=1
}

# The dashboard's queries, one a line, with Grafana's variables as values.
dash_queries() {
	python3 - "$DASH" <<'PY'
import json, sys

def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))

d = json.load(open(sys.argv[1]))
for p in panels(d["panels"]):
    for t in p.get("targets", []):
        e = t["expr"].replace("$__rate_interval", "5m").replace("$instance", ".*")
        print(e.replace("\n", " "))
PY
}

# The expressions of the rules, one a line.
rule_exprs() {
	python3 - "$RULES" <<'PY'
import re, sys
# A rules file's expr lines: "expr: ..." on one line (as ours are written).
for line in open(sys.argv[1]):
    m = re.match(r"\s*expr:\s*(.+)$", line)
    if m:
        print(m.group(1))
PY
}

if out=$(python3 -m json.tool "$DASH" 2>&1 >/dev/null); then
	ok "$DASH is JSON"
else
	not_ok "$DASH is JSON" "$out"
fi

# The names every query uses, against the names the gateway's code writes.
grep -ohE '"(postern|process)_[a-z0-9_]+' gateway/*.c | tr -d '"' | sort -u >"$tmp/served"
echo up >>"$tmp/served"
{ dash_queries; rule_exprs; } >"$tmp/queries"
grep -oE '\b(up|(postern|process)_[a-z0-9_]+)\b' "$tmp/queries" | sort -u >"$tmp/used"
unknown=$(comm -23 "$tmp/used" <(sort -u "$tmp/served"))
if [ -s "$tmp/used" ] && [ -z "$unknown" ]; then
	ok "the dashboard and the alerts name only served metrics ($(wc -l <"$tmp/used") names)"
else
	not_ok "the dashboard and the alerts name only served metrics" "not served: $unknown"
fi

if ! command -v promtool >/dev/null; then
	[ "$failed" -eq 0 ] || exit 1
	echo "skipped: promtool is not installed (make deps installs prometheus)"
	exit 77
fi

# Each dashboard query as a recording rule: promtool parses it.
dash_queries >"$tmp/queries.dash"
{
	echo "groups:"
	echo "  - name: dashboard"
	echo "    rules:"
	n=0
	while IFS= read -r q; do
		n=$((n + 1))
		printf '      - record: dashboard_query_%d\n        expr: %s\n' "$n" \
			"$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$q")"
	done <"$tmp/queries.dash"
} >"$tmp/dash-rules.yml"
if out=$(promtool check rules "$tmp/dash-rules.yml" 2>&1); then
	ok "every dashboard query is PromQL ($(wc -l <"$tmp/queries.dash") queries)"
else
	not_ok "every dashboard query is PromQL" "$out"
fi

if out=$(promtool check rules "$RULES" 2>&1); then
	ok "promtool check rules $RULES: $(grep -o '[0-9]* rules found' <<<"$out")"
else
	not_ok "promtool check rules $RULES" "$out"
fi
if out=$(cd tests/lint && promtool test rules postern-alerts.test.yml 2>&1); then
	ok "promtool test rules: every alert fires on its case, and only there"
else
	not_ok "promtool test rules tests/lint/postern-alerts.test.yml" "$out"
fi
exit "$failed"
