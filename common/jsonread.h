/* SPDX-License-Identifier: MIT */
/*
 * A strict JSON reader for one line of a shape the caller knows: objects
 * are walked member by member through the caller's function, which reads
 * the values it knows (cm_jr_string, cm_jr_array, ...) and skips the others
 * (cm_jr_skip), so that a newer writer's extra members still read. Strings
 * are copied into the caller's fixed buffers, never allocated. The audit
 * log's readers use it: the fleet report (posture/auditrec.c) and
 * posternctl's history (gateway/auditread.c).
 *
 * Every function returns 0 (or true), or -EBADMSG with why the input was
 * refused in j->why ("byte 12: expected ':'", "truncated: the line ends
 * inside the record", "'device' is longer than 64 bytes").
 */
#ifndef POSTERN_COMMON_JSONREAD_H
#define POSTERN_COMMON_JSONREAD_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define CM_JR_DEPTH_MAX	16	/* nesting of a skipped value */

struct cm_jr {
	const char *start, *p, *end;
	char *why;
	size_t whylen;
};

/* Reads the len bytes at line; why (whylen bytes) gets the reason of a refusal. */
static inline void cm_jr_init(struct cm_jr *j, const char *line, size_t len, char *why,
			      size_t whylen)
{
	j->start = j->p = line;
	j->end = line + len;
	j->why = why;
	j->whylen = whylen;
	if (whylen)
		why[0] = '\0';
}

/* A refusal at the current byte (or "truncated" at the end): -EBADMSG. */
int cm_jr_fail(struct cm_jr *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A refusal of a value already read (no byte offset): -EBADMSG. */
int cm_jr_refuse(struct cm_jr *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void cm_jr_ws(struct cm_jr *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static inline bool cm_jr_peek(struct cm_jr *j, char c)
{
	cm_jr_ws(j);
	return j->p < j->end && *j->p == c;
}

/* Takes c when it comes next (after white space): true when it did. */
static inline bool cm_jr_take(struct cm_jr *j, char c)
{
	if (!cm_jr_peek(j, c))
		return false;
	j->p++;
	return true;
}

int cm_jr_expect(struct cm_jr *j, char c);
/* Takes the literal w (true, false, null) when it comes next, with no white space first. */
bool cm_jr_word(struct cm_jr *j, const char *w);
/*
 * The string at p into out (cap bytes with its NUL): well-formed UTF-8
 * without control characters, escapes undone. With out NULL it is only
 * checked. what names it in a refusal.
 */
int cm_jr_string(struct cm_jr *j, char *out, size_t cap, const char *what);
/* A string or null (out = ""). */
int cm_jr_string_or_null(struct cm_jr *j, char *out, size_t cap, const char *what);
/* Any value, checked and passed over; depth is how deep it sits (at most CM_JR_DEPTH_MAX). */
int cm_jr_skip(struct cm_jr *j, int depth);

/*
 * Calls member(j, ctx, name, len) for each member of the object at p; name
 * is the member's name as written (len bytes, escapes not undone), and
 * member must read its value. A name that appears twice makes the object
 * ambiguous: it is refused.
 */
typedef int (*cm_jr_member_fn)(struct cm_jr *j, void *ctx, const char *name, size_t len);
int cm_jr_object(struct cm_jr *j, cm_jr_member_fn member, void *ctx);
/* An array of elements each read by elem. */
int cm_jr_array(struct cm_jr *j, int (*elem)(struct cm_jr *, void *), void *ctx);

/* The raw name of a member is s (a literal). */
#define cm_jr_name_is(name, len, s) ((len) == sizeof(s) - 1 && !memcmp((name), (s), (len)))

#endif
