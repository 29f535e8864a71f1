#!/bin/bash
# SPDX-License-Identifier: MIT
# `make fuzz`: runs every fuzz target (build/fuzz/fuzz_*) for FUZZ_TIME
# seconds each (default 60), or until FUZZ_RUNS executions when that is
# set (with no time given, then without a time limit; with both, whichever
# comes first), from a copy of its corpus in tests/fuzz/corpus/NAME (the
# repository's corpus is never changed by a run: add an input there by
# hand when it earns its place, or minimise a grown one into it with
# libFuzzer's -merge=1), and prints one line per target: executions,
# executions a second, and crashes. Exits non-zero when any target
# crashed; the crashing input is kept in build/fuzz/crashes/NAME/.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#   FUZZ_RUNS=10000000 tests/fuzz/run.sh
set -u
cd "$(dirname "$0")/../.." || exit 2
runs=${FUZZ_RUNS:-}
default_seconds=60
[ -n "$runs" ] && default_seconds=0	# libFuzzer: 0 is no time limit
seconds=${1:-${FUZZ_TIME:-$default_seconds}}
shift $(($# > 0 ? 1 : 0))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && for f in build/fuzz/fuzz_*; do [ -x "$f" ] && targets+=("$(basename "$f")"); done
failed=0

# The longest input each target is given; 20000 unless listed. An audit log
# record is about a kilobyte and each byte of the input is parsed twice, so
# longer logs (up to eighteen records) only slowed fuzz_audit down: four
# kilobytes hold three or four records, enough for every aggregation path.
# The commented sample configuration and policy (conf/) are 7 kB; the
# loaders' search for the string left open rescans the rest of the file up
# to 64 times, so longer inputs cost more without reaching anything new.
max_len() {
	case $1 in
	fuzz_audit) echo 4096 ;;
	fuzz_conf | fuzz_policy) echo 8192 ;;
	*) echo 20000 ;;
	esac
}

printf '%-22s %14s %10s %8s\n' target executions exec/s crashes
for name in "${targets[@]}"; do
	bin=build/fuzz/$name
	corpus=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d)
	crashes=build/fuzz/crashes/$name
	mkdir -p "$crashes"
	[ -d "$corpus" ] && cp -r "$corpus/." "$work/"
	log=build/fuzz/$name.log
	"$bin" -max_total_time="$seconds" ${runs:+-runs="$runs"} -max_len="$(max_len "$name")" \
		-print_final_stats=1 -artifact_prefix="$crashes/" "$work" >"$log" 2>&1
	rc=$?
	execs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$log")
	rate=$(awk '/stat::average_exec_per_sec:/ { print $2 }' "$log")
	n_crash=$(find "$crashes" -type f | wc -l)
	printf '%-22s %14s %10s %8s\n' "$name" "${execs:-?}" "${rate:-?}" "$n_crash"
	if [ "$rc" -ne 0 ] || [ "$n_crash" -gt 0 ]; then
		failed=1
		echo "  $name failed (exit $rc): $log" >&2
	fi
	rm -rf "$work"
done
exit "$failed"
