/* SPDX-License-Identifier: MIT */
/*
 * The JSON Postern writes: the audit log, the control socket's answers
 * (posternctl --json), `postern-posture check --json` and `postern-ca list
 * --json`. Strings may come from devices (facts) or from a certificate (an
 * owner's name), so every one goes through one escaper: quotes, backslashes
 * and control characters are escaped; bytes above ASCII pass only as
 * well-formed UTF-8 (common/utf8.h) and every byte of anything else becomes
 * \ufffd. Whatever a device sends, the document stays valid JSON.
 *
 * The writer tracks where commas go, so callers say only what comes next:
 *
 *	struct cm_json j;
 *	cm_json_init(&j, f, CM_JSON_SPACED);
 *	cm_json_object_begin(&j);
 *	cm_json_key(&j, "verdict");
 *	cm_json_string(&j, "allow");
 *	cm_json_object_end(&j);		// {"verdict": "allow"}
 *
 * Output goes to a stdio stream; the caller checks ferror() or fclose()
 * once at the end. Nothing here prints anywhere else.
 */
#ifndef POSTERN_COMMON_JSON_H
#define POSTERN_COMMON_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CM_JSON_DEPTH_MAX 32	/* nesting; deeper writes are a bug (see json.c) */

/* Layout. 0 is compact: one line, no blanks, as the audit log wants. */
enum {
	CM_JSON_SPACED = 1 << 0,	/* ", " between values, ": " after a key */
	CM_JSON_LINES = 1 << 1,		/* each element of the outermost array on a
					 * line of its own, indented by two spaces */
};

struct cm_json {
	FILE *f;
	unsigned int flags;
	unsigned int depth;		/* open objects and arrays */
	uint32_t has_value;		/* bit d: the container at depth d has a value */
	bool after_key;			/* a key was written: its value comes next */
};

void cm_json_init(struct cm_json *j, FILE *f, unsigned int flags);
void cm_json_object_begin(struct cm_json *j);
void cm_json_object_end(struct cm_json *j);
void cm_json_array_begin(struct cm_json *j);
void cm_json_array_end(struct cm_json *j);
/* A member's name, inside an object; its value is the next call. */
void cm_json_key(struct cm_json *j, const char *key);
/* The values. A NULL string is null. */
void cm_json_string(struct cm_json *j, const char *s);
void cm_json_int(struct cm_json *j, int64_t v);
void cm_json_uint(struct cm_json *j, uint64_t v);
/* A number with a fixed count of decimals ("12.5"); NaN and infinities are null. */
void cm_json_fixed(struct cm_json *j, double v, int decimals);
void cm_json_bool(struct cm_json *j, bool v);
void cm_json_null(struct cm_json *j);
/* "YYYY-MM-DDTHH:MM:SSZ" (common/time.h), or null when t has no date. */
void cm_json_time(struct cm_json *j, time_t t);

/* The escaper and the time on their own, without the writer's commas, for
 * code that places its own separators. */
void cm_json_put_string(FILE *f, const char *s);
void cm_json_put_time(FILE *f, time_t t);

#endif
