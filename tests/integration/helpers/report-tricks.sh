#!/bin/sh
# SPDX-License-Identifier: MIT
# A CSD wrapper for the fail-closed test: openconnect runs it with the
# wrapper's argv and environment. It runs our agent four times with the
# same arguments and records each exit status in $PST_TRICKS_OUT:
#   other-cert     the report posted with another device's certificate
#   unknown-token  a report with a token the gateway never issued
#   good           the device's own report (must still count afterwards)
#   reused         the same token once more (already used up)
out=${PST_TRICKS_OUT:?}
agent=${PST_AGENT:?}
: >"$out"
POSTERN_CERT=$PST_OTHER_CERT POSTERN_KEY=$PST_OTHER_KEY "$agent" "$@"
echo "other-cert=$?" >>"$out"
CSD_TOKEN=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef "$agent" "$@"
echo "unknown-token=$?" >>"$out"
"$agent" "$@"
echo "good=$?" >>"$out"
"$agent" "$@"
echo "reused=$?" >>"$out"
exit 0
