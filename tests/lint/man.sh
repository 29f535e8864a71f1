#!/bin/bash
# SPDX-License-Identifier: MIT
# Lints the manual pages in man/: every page must pass
# `mandoc -Tlint -Wwarning` without a single message (warnings, errors and
# unsupported macros all count; style hints do not), and every program has
# its page. Prints "ok - NAME" / "not ok - NAME" lines for tests/run.sh;
# exits 1 when any failed, 77 when mandoc is not installed (`make deps`
# installs it).
set -u
cd "$(dirname "$0")/../.." || exit 2
command -v mandoc >/dev/null || { echo "skipped: mandoc is not installed"; exit 77; }
failed=0

for prog in posternd posternctl postern-ca postern-posture; do
	if [ -f "man/$prog.8" ]; then
		echo "ok - $prog has a manual page"
	else
		echo "not ok - $prog has a manual page (man/$prog.8)"
		failed=1
	fi
done

for page in man/*.[1-9]; do
	[ -f "$page" ] || continue
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
	if [ -z "$out" ]; then
		echo "ok - mandoc -Tlint $page"
	else
		echo "not ok - mandoc -Tlint $page"
		sed 's/^/#   /' <<<"$out"
		failed=1
	fi
done
exit "$failed"
