/* SPDX-License-Identifier: MIT */
/*
 * One line of the gateway's audit log (audit.c) read back for `posternctl
 * history` (auditread.c): the decision's time, event, verdict, rule,
 * profile, reasons and addresses. The line is outside input (a log cut
 * short by a full disk, pieced together, edited by hand), so it is read by
 * the strict reader (common/jsonread.h): the members kept must be strings
 * (or null) of UTF-8 text that fit, every other member is checked and
 * skipped. posternctl links this file alone of the gateway's, beside the
 * command table.
 */
#ifndef POSTERN_GW_AUDITREAD_H
#define POSTERN_GW_AUDITREAD_H

#include <stddef.h>

#define GW_AUDIT_DEVICE_MAX	64	/* CM_DEVICE_ID_MAX */
#define GW_AUDIT_WORD_MAX	64	/* event, verdict, rule, profile (CONF_NAME_MAX) */
#define GW_AUDIT_ADDR_MAX	64	/* "[v6addr]:port" */
#define GW_AUDIT_REASONS_MAX	12	/* PST_REASONS_MAX */
#define GW_AUDIT_REASON_MAX	512	/* bytes of one reason */
#define GW_AUDIT_WHY_MAX	128	/* room for why a line was refused */

/* The strings as the record has them; "" for null or a missing member
 * (only time, device and verdict are required). */
struct gw_audit_line {
	char time[32];			/* "2026-12-03T10:48:35Z", as written */
	char event[GW_AUDIT_WORD_MAX + 1];
	char device[GW_AUDIT_DEVICE_MAX + 1];
	char verdict[GW_AUDIT_WORD_MAX + 1];
	char rule[GW_AUDIT_WORD_MAX + 1];
	char profile[GW_AUDIT_WORD_MAX + 1];
	char client[GW_AUDIT_ADDR_MAX + 1];
	char address[GW_AUDIT_ADDR_MAX + 1];
	char address6[GW_AUDIT_ADDR_MAX + 1];
	size_t n_reasons;
	char reasons[GW_AUDIT_REASONS_MAX][GW_AUDIT_REASON_MAX + 1];
};

/*
 * Parses one line (len bytes, without its newline). 0 with r filled, or
 * -EBADMSG with why ("byte 12: expected ':'") in why.
 */
int gw_audit_line_parse(const char *line, size_t len, struct gw_audit_line *r, char *why,
			size_t whylen);

#endif
