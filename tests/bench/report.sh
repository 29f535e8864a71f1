#!/bin/bash
# SPDX-License-Identifier: MIT
# The fleet report's speed and memory: `postern-posture report` over a
# synthetic audit log of REPORT_LINES lines (default 1,000,000: a year of a
# busy gateway) from tests/bench/gen_audit.py, each format in turn. Prints
# wall time, lines/s, CPU time (user + system: what a loaded machine does not
# distort) and the maximum resident set size (GNU time; without it, wall time
# only); figures, never assertions. Exits 0 unless a step could not
# run at all. The log is made once and kept in REPORT_LOG (default
# /tmp/postern-bench-audit-N.log) so that runs after the first only measure.
#   tests/bench/report.sh [LINES]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
lines=${1:-${REPORT_LINES:-1000000}}
log=${REPORT_LOG:-/tmp/postern-bench-audit-$lines.log}
bin=${PST_BUILD:-$root/build}/postern-posture

[ -x "$bin" ] || { echo "report bench: $bin is not built (make all)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "report bench: needs python3" >&2; exit 1; }
if [ ! -s "$log" ] || [ "$(wc -l <"$log")" -ne "$lines" ]; then
	echo "report bench: writing $lines synthetic audit records to $log"
	python3 "$root/tests/bench/gen_audit.py" --lines "$lines" --devices 20000 --days 365 \
		--bad 100 --output "$log" || exit 1
fi
bytes=$(stat -c %s "$log")
echo "report bench: $lines lines, $((bytes / 1048576)) MiB; page cache warmed"
cat "$log" >/dev/null

out=$(mktemp /tmp/postern-bench-report.XXXXXX)
trap 'rm -f "$out" "$out.time"' EXIT
for fmt in text csv json html; do
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %M %U %S' -o "$out.time" "$bin" report --audit "$log" \
			--format "$fmt" --output "$out" 2>/dev/null
		rc=$?
		read -r secs rss_kib user sys <"$out.time"
	else
		start=$(date +%s.%N)
		"$bin" report --audit "$log" --format "$fmt" --output "$out" 2>/dev/null
		rc=$?
		secs=$(echo "$(date +%s.%N) - $start" | bc)
		rss_kib="?" user=0 sys=0
	fi
	if [ "$rc" -ne 0 ]; then
		echo "report bench: report --format $fmt failed (exit $rc)" >&2
		exit 1
	fi
	awk -v f="$fmt" -v s="$secs" -v n="$lines" -v b="$bytes" -v r="$rss_kib" \
		-v c="$user" -v k="$sys" 'BEGIN {
		if (s <= 0) s = 0.01
		printf "report %-4s  %6.2f s  %9.0f lines/s  %6.1f MiB/s  cpu %.2f s  max RSS %s KiB\n",
			f, s, n / s, b / 1048576 / s, c + k, r }'
done
