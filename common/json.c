/* SPDX-License-Identifier: MIT */
/*
 * The JSON writer (see common/json.h). The state is a bit per open
 * container saying whether it holds a value yet, which decides whether the
 * next value needs a comma; a key's value never does. Nesting deeper than
 * CM_JSON_DEPTH_MAX is a broken invariant of the caller (our documents are
 * a few levels deep): the writer keeps writing, valid bytes, but cannot
 * promise commas there.
 */
#include "common/json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "common/time.h"
#include "common/utf8.h"

void cm_json_put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*p) {
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, f);
		} else if ((n = cm_utf8_decode(p, SIZE_MAX, &cp)) != 0) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
	fputc('"', f);
}

void cm_json_put_time(FILE *f, time_t t)
{
	char buf[CM_TIME_BUF];

	if (cm_time_format(t, buf, sizeof(buf)))
		fputs("null", f);
	else
		fprintf(f, "\"%s\"", buf);
}

void cm_json_init(struct cm_json *j, FILE *f, unsigned int flags)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->flags = flags;
}

static bool json_has_value(const struct cm_json *j)
{
	return j->depth < CM_JSON_DEPTH_MAX && (j->has_value >> j->depth & 1u);
}

/* An element of the outermost array, in CM_JSON_LINES. */
static bool json_on_own_line(const struct cm_json *j)
{
	return (j->flags & CM_JSON_LINES) && j->depth == 1 && !j->after_key;
}

/* What goes before a value or a key: a comma after an earlier one. */
static void json_separate(struct cm_json *j)
{
	bool more = json_has_value(j);

	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (more)
		fputs(j->flags & CM_JSON_SPACED && !json_on_own_line(j) ? ", " : ",", j->f);
	if (json_on_own_line(j))
		fputs("\n  ", j->f);
	if (j->depth && j->depth < CM_JSON_DEPTH_MAX)
		j->has_value |= 1u << j->depth;
}

static void json_open(struct cm_json *j, char c)
{
	json_separate(j);
	fputc(c, j->f);
	j->depth++;
	if (j->depth < CM_JSON_DEPTH_MAX)
		j->has_value &= ~(1u << j->depth);
}

static void json_close(struct cm_json *j, char c)
{
	bool lines = json_on_own_line(j) && json_has_value(j);

	if (!j->depth)
		return;
	if (lines)
		fputc('\n', j->f);
	fputc(c, j->f);
	j->depth--;
}

void cm_json_object_begin(struct cm_json *j)
{
	json_open(j, '{');
}

void cm_json_object_end(struct cm_json *j)
{
	json_close(j, '}');
}

void cm_json_array_begin(struct cm_json *j)
{
	json_open(j, '[');
}

void cm_json_array_end(struct cm_json *j)
{
	json_close(j, ']');
}

void cm_json_key(struct cm_json *j, const char *key)
{
	json_separate(j);
	cm_json_put_string(j->f, key);
	fputs(j->flags & CM_JSON_SPACED ? ": " : ":", j->f);
	j->after_key = true;
}

void cm_json_string(struct cm_json *j, const char *s)
{
	json_separate(j);
	cm_json_put_string(j->f, s);
}

void cm_json_int(struct cm_json *j, int64_t v)
{
	json_separate(j);
	fprintf(j->f, "%" PRId64, v);
}

void cm_json_uint(struct cm_json *j, uint64_t v)
{
	json_separate(j);
	fprintf(j->f, "%" PRIu64, v);
}

void cm_json_fixed(struct cm_json *j, double v, int decimals)
{
	json_separate(j);
	if (isfinite(v))
		fprintf(j->f, "%.*f", decimals, v);
	else
		fputs("null", j->f);
}

void cm_json_bool(struct cm_json *j, bool v)
{
	json_separate(j);
	fputs(v ? "true" : "false", j->f);
}

void cm_json_null(struct cm_json *j)
{
	json_separate(j);
	fputs("null", j->f);
}

void cm_json_time(struct cm_json *j, time_t t)
{
	json_separate(j);
	cm_json_put_time(j->f, t);
}
