/* SPDX-License-Identifier: MIT */
/*
 * One line of the gateway's audit log read back (auditrec.c), for the fleet
 * report (fleet.h). The line is outside input: a log may be cut short by a
 * full disk, concatenated from rotated pieces, or edited by hand, so the
 * parser is strict JSON, bounded in every field, and says why it refused a
 * line. Only the fields the report uses are kept; every other member is
 * checked for JSON syntax and skipped, so that a newer gateway's records
 * still read.
 */
#ifndef POSTERN_POSTURE_AUDITREC_H
#define POSTERN_POSTURE_AUDITREC_H

#include <stddef.h>
#include <time.h>

#include "posture/posture.h"

#define PST_AUDIT_WORD_MAX	32	/* event, ownership */
#define PST_AUDIT_PATH_MAX	256	/* the policy's path */
#define PST_AUDIT_REASON_MAX	512	/* bytes of one reason */
#define PST_AUDIT_SHA_LEN	64	/* hex SHA-256 */
#define PST_AUDIT_WHY_MAX	128	/* room for why a line was refused */

/* Strings are well-formed UTF-8 without control characters; "" when the
 * record has null or lacks the member (only time, device and verdict are
 * required). */
struct pst_audit_rec {
	time_t time;
	enum pst_verdict verdict;
	char event[PST_AUDIT_WORD_MAX + 1];
	char device[PST_DEVICE_ID_MAX + 1];
	char group[PST_DEVICE_ID_MAX + 1];
	char ownership[PST_AUDIT_WORD_MAX + 1];
	/* os.name from the highest-ranked source among the facts (posture.h). */
	char platform[PST_VALUE_MAX + 1];
	char policy[PST_AUDIT_PATH_MAX + 1];
	char policy_sha256[PST_AUDIT_SHA_LEN + 1];
	size_t n_reasons;
	char reasons[PST_REASONS_MAX][PST_AUDIT_REASON_MAX + 1];
};

/*
 * Parses one line (len bytes, without its newline; a trailing CR is
 * allowed). Returns 0 with r filled, or -EBADMSG with why ("byte 12:
 * expected ':'", "truncated: the line ends inside the record", "'verdict'
 * is 'maybe'") in why, and r in an unspecified state.
 */
int pst_audit_parse(const char *line, size_t len, struct pst_audit_rec *r, char *why,
		    size_t whylen);

#endif
