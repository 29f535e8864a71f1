#!/bin/bash
# SPDX-License-Identifier: MIT
# The bash completion scripts (conf/completion/, installed by make install),
# sourced in a plain bash and driven as readline would (COMP_WORDS,
# COMP_CWORD, then the function `complete -p` names), without network
# namespaces:
#   - each program has its completion (`complete -p`);
#   - posternctl: `posternctl s<TAB>` offers sessions, show, stats and
#     status; a bare TAB offers exactly the commands `posternctl --help`
#     lists; options; ban's --for and durations; device ids from a gateway
#     that cannot be reached: none, quickly, silently;
#   - postern-ca: exactly the commands of `postern-ca --help`, and each
#     command's options all ones its own --help names; --reason's values;
#   - postern-posture and posternd: commands, options, --format's values;
#   - where bash-completion is installed, its loader finds the installed
#     posternctl script under PREFIX/share (make install DESTDIR).
set -u
. "$(dirname "$0")/lib.sh"

command -v bash >/dev/null || pst_skip "bash is not installed"
for p in posternd posternctl postern-ca postern-posture; do
	[ -x "$PST_BUILD/$p" ] || pst_skip "$PST_BUILD/$p is not built (make all)"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/postern-06-completion.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
COMP=$PST_ROOT/conf/completion

# complete_words PROG WORD...: what PROG's completion offers for the last
# WORD (the one being typed), one a line, sorted; the programs are the
# built ones.
complete_words() {
	local prog=$1
	shift
	PATH=$PST_BUILD:$PATH bash -c '
		. "$1/$2"
		shift 2
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		fn=$(complete -p "${COMP_WORDS[0]}" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		"$fn"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$prog" "$@" | sed '/^$/d' | sort
}

# offers NAME WANT PROG WORD...: the completion offers exactly WANT
# (words, any order).
offers() {
	local name=$1 want got
	want=$(printf '%s\n' $2 | sort)
	shift 2
	got=$(complete_words "$@")
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "offered: $(echo $got); expected: $(echo $want)"
	fi
}

for p in posternd posternctl postern-ca postern-posture; do
	got=$(bash -c ". '$COMP/$p' && complete -p $p" 2>&1)
	check "$p: complete -p names its function ($got)" grep -Eq "^complete -F _[a-z_]+ $p\$" <<<"$got"
done

# ---- posternctl
offers "posternctl s<TAB>: sessions, show, stats, status" "sessions show stats status" \
	posternctl posternctl s
help_commands=$("$PST_BUILD/posternctl" --help | awk '/^commands:/ { on = 1; next } on && /^  / { print $1 }')
offers "posternctl <TAB>: the commands posternctl --help lists" "$help_commands" posternctl posternctl ""
check "posternctl --help lists twelve commands" [ "$(wc -w <<<"$help_commands")" -eq 12 ]
offers "posternctl --<TAB>: its long options" "--socket --config --json --help --version" \
	posternctl posternctl --
offers "posternctl -s SOCK ban devA --<TAB>: --for, --json" "--for --json" \
	posternctl posternctl -s "$tmp/none.sock" ban devA --
offers "posternctl ban devA --for <TAB>: durations" "30m 1h 8h 1d 7d 30d" \
	posternctl posternctl ban devA --for ""
offers "posternctl history --<TAB>: --json" "--json" posternctl posternctl history --
start=$(date +%s%N)
offers "posternctl -s SOCK show <TAB> with no gateway there: no device" "" \
	posternctl posternctl -s "$tmp/none.sock" show ""
check "... and within a second" [ $((($(date +%s%N) - start) / 1000000)) -lt 1000 ]
touch "$tmp/policy-new.conf"
offers "posternctl policy-diff <TAB>: files" "$tmp/policy-new.conf" \
	posternctl posternctl policy-diff "$tmp/pol"
# Every duration it offers is one ban takes (a usage error is exit 2, an
# unreachable gateway exit 3).
for dur in $(complete_words posternctl posternctl ban devA --for ""); do
	"$PST_BUILD/posternctl" -s "$tmp/none.sock" ban devA --for "$dur" 2>/dev/null
	check "posternctl ban --for $dur: a duration ban takes" [ $? -eq 3 ]
done

# ---- postern-ca
ca_commands=$("$PST_BUILD/postern-ca" --help | awk '/^commands:/ { on = 1; next } on && /^  / { print $1 }')
offers "postern-ca <TAB>: the commands postern-ca --help lists, --help, --version" \
	"$ca_commands --help --version" postern-ca postern-ca ""
offers "postern-ca re<TAB>: renew, revoke" "renew revoke" postern-ca postern-ca re
offers "postern-ca revoke --reason <TAB>: the five reasons" \
	"unspecified keyCompromise affiliationChanged superseded cessationOfOperation" \
	postern-ca postern-ca revoke --reason ""
for c in $ca_commands; do
	"$PST_BUILD/postern-ca" "$c" --help >"$tmp/help" 2>&1
	bad=""
	for o in $(complete_words postern-ca postern-ca "$c" --); do
		[ "$o" = --help ] || grep -qe "$o\b" "$tmp/help" || bad="$bad $o"
	done
	check "postern-ca $c --<TAB>: only options its --help names${bad:+ (not:$bad)}" [ -z "$bad" ]
done
offers "postern-ca issue --o<TAB>: --owner, --ownership" "--owner --ownership" postern-ca postern-ca issue --dir pki --o
offers "postern-ca list --status <TAB>: the five states" "valid revoked lost expired expiring" \
	postern-ca postern-ca list --status ""

# ---- postern-posture, posternd
offers "postern-posture c<TAB>: check, collect" "check collect" postern-posture postern-posture c
offers "postern-posture report --format <TAB>: its formats" "text csv json html" \
	postern-posture postern-posture report --format ""
"$PST_BUILD/postern-posture" report --help >"$tmp/help" 2>&1
bad=""
for o in $(complete_words postern-posture postern-posture report --); do
	grep -qe "$o\b" "$tmp/help" || [ "$o" = --help ] || bad="$bad $o"
done
check "postern-posture report --<TAB>: only options its --help names${bad:+ (not:$bad)}" [ -z "$bad" ]
offers "posternd -<TAB>: its options" "-c --config -t --test -v --verbose -V --version -h --help" \
	posternd posternd -

# ---- bash-completion's loader finds the installed script
loader=/usr/share/bash-completion/bash_completion
if [ -r "$loader" ] && command -v make >/dev/null; then
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$PST_ROOT" --no-print-directory -o all \
		BUILD="$PST_BUILD" DESTDIR="$tmp/root" PREFIX=/usr install >"$tmp/make.log" 2>&1
	got=$(XDG_DATA_DIRS=$tmp/root/usr/share bash -c ". $loader; __load_completion posternctl &&
		complete -p posternctl" 2>&1)
	check "bash-completion loads posternctl's from PREFIX/share ($got)" \
		grep -q "_posternctl posternctl" <<<"$got"
else
	echo "# skipped: bash-completion is not installed, its loader was not tried"
fi

pst_finish
