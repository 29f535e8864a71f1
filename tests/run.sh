#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs the test tiers and counts their TAP-like lines ("ok - name" and
# "not ok - name"). A program that crashes or exits non-zero without a
# "not ok" line counts as one failure of its own; exit status 77 means the
# whole program was skipped. Ends with "N passed, N failed" and exits
# non-zero when anything failed; the failed checks are listed again just
# before that line, where the tail of a long log shows them.
#   tests/run.sh [lint|unit|fuzz|integration|all]
# lint runs each tests/lint/*.sh (the manual pages through mandoc, ...).
set -u
cd "$(dirname "$0")/.." || exit 2
tier=${1:-all}
passed=0 failed=0 skipped=0
failures=()	# "[name] not ok - ..." lines, repeated at the end where a log's tail shows them
log_dir=build/test-logs
mkdir -p "$log_dir"

# run_one NAME CMD...: runs a test program and counts its results.
run_one() {
	local name=$1; shift
	local log="$log_dir/$name.log" rc ok bad
	"$@" >"$log" 2>&1
	rc=$?
	ok=$(grep -c '^ok - ' "$log")
	bad=$(grep -c '^not ok - ' "$log")
	grep -E '^(ok|not ok) - |^# ' "$log" | sed "s|^|[$name] |"
	mapfile -t -O "${#failures[@]}" failures < <(grep '^not ok - ' "$log" | sed "s|^|[$name] |")
	if [ "$rc" -eq 77 ] && [ "$bad" -eq 0 ]; then
		echo "[$name] skipped: $(tail -n 1 "$log")"
		skipped=$((skipped + 1))
	elif [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "[$name] not ok - exited with status $rc (log: $log)"
		tail -n 20 "$log" | sed "s|^|[$name]   |"
		bad=1
		failures+=("[$name] not ok - exited with status $rc")
	elif [ "$bad" -gt 0 ]; then
		echo "[$name] failures; full log: $log"
		tail -n 30 "$log" | sed "s|^|[$name]   |"
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
}

run_lint() {
	local t
	for t in tests/lint/*.sh; do
		[ -f "$t" ] && run_one "lint-$(basename "$t" .sh)" bash "$t"
	done
}

run_unit() {
	local t
	for t in build/tests/test_*; do
		[ -x "$t" ] && run_one "unit-$(basename "$t")" "$t"
	done
}

# Each fuzz target runs a bounded smoke: a fixed number of runs and at most
# FUZZ_SECONDS, starting from its seed corpus (copied, so runs never grow it).
run_fuzz() {
	local f name corpus tmp
	for f in build/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		corpus="tests/fuzz/corpus/${name#fuzz_}"
		tmp=$(mktemp -d)
		[ -d "$corpus" ] && cp -r "$corpus/." "$tmp/"
		run_one "$name" bash -c "'$f' -runs=${FUZZ_RUNS:-200000} \
			-max_total_time=${FUZZ_SECONDS:-20} -max_len=20000 '$tmp' \
			&& echo 'ok - $name smoke'"
		rm -rf "$tmp"
	done
}

run_integration() {
	local t
	if [ "$(id -u)" -ne 0 ]; then
		echo "integration tests need root (network namespaces): skipped"
		skipped=$((skipped + 1))
		return
	fi
	for t in tests/integration/[0-9]*.sh; do
		[ -f "$t" ] && run_one "$(basename "$t" .sh)" bash "$t"
	done
}

case "$tier" in
lint) run_lint ;;
unit) run_unit ;;
fuzz) run_fuzz ;;
integration) run_integration ;;
all) run_lint; run_unit; run_fuzz; run_integration ;;
*) echo "usage: $0 [lint|unit|fuzz|integration|all]" >&2; exit 2 ;;
esac

if [ "${#failures[@]}" -gt 0 ]; then
	echo "failed checks (each tier's log is in $log_dir):"
	printf '  %s\n' "${failures[@]}"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
