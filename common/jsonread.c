/* SPDX-License-Identifier: MIT */
/*
 * The strict JSON reader (jsonread.h). It never allocates and reads each
 * byte of its input once, because a year of audit records is a million
 * lines read in a few seconds.
 *
 * Strictness, and why: a reader counts and names the lines it refuses, so a
 * line is either wholly understood or wholly refused, never half read. A
 * kept string must be well-formed UTF-8 without control characters (an
 * escaped \u001b would otherwise reach an operator's terminal through a
 * text report) and fit its field; a member may appear once in an object;
 * nesting is bounded (a skipped value of 10,000 brackets must not exhaust
 * the stack). Member names are compared as written: our writer never
 * escapes a name, so "\u0074ime" is an unknown member, not "time".
 */
#include "common/jsonread.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"

#define CM_JR_MEMBERS_MAX	64	/* members of one object (an audit record has 19) */

/* At the end of the line the record was cut short; elsewhere, say where. */
int cm_jr_fail(struct cm_jr *j, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (j->p >= j->end) {
		snprintf(j->why, j->whylen, "truncated: the line ends inside the record");
		return -EBADMSG;
	}
	if (j->whylen)
		n = snprintf(j->why, j->whylen, "byte %zu: ", (size_t)(j->p - j->start) + 1);
	if (n >= 0 && (size_t)n < j->whylen) {
		va_start(ap, fmt);
		vsnprintf(j->why + n, j->whylen - n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* A failure about a value already read: no byte offset, just what. */
int cm_jr_refuse(struct cm_jr *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->why, j->whylen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

int cm_jr_expect(struct cm_jr *j, char c)
{
	if (!cm_jr_peek(j, c))
		return cm_jr_fail(j, "expected '%c'", c);
	j->p++;
	return 0;
}

/* ---- strings ---- */

static int jr_hex4(struct cm_jr *j, uint32_t *out)
{
	uint32_t v = 0;

	if (j->end - j->p < 4)
		return cm_jr_fail(j, "a \\u escape needs four hex digits");
	for (int i = 0; i < 4; i++) {
		char c = *j->p;

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v << 4 | (uint32_t)((c | 0x20) - 'a' + 10);
		else
			return cm_jr_fail(j, "a \\u escape needs four hex digits");
		j->p++;
	}
	*out = v;
	return 0;
}

/* \uXXXX, with a surrogate pair taken as one code point; p after the 'u'. */
static int jr_unicode(struct cm_jr *j, uint32_t *cp)
{
	uint32_t lo;

	if (jr_hex4(j, cp))
		return -EBADMSG;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return cm_jr_fail(j, "a lone low surrogate");
	if (*cp < 0xd800 || *cp > 0xdbff)
		return 0;
	if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
		return cm_jr_fail(j, "a high surrogate without its low half");
	j->p += 2;
	if (jr_hex4(j, &lo))
		return -EBADMSG;
	if (lo < 0xdc00 || lo > 0xdfff)
		return cm_jr_fail(j, "a high surrogate without its low half");
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

/* Appends cp as UTF-8; false when it does not fit in cap - 1 bytes. */
static bool jr_put_cp(char *out, size_t cap, size_t *n, uint32_t cp)
{
	unsigned char b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp, k = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6), b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (!out)
		return true;
	if (*n + k >= cap)
		return false;
	memcpy(out + *n, b, k);
	*n += k;
	return true;
}

/* One escape, p after the backslash. */
static int jr_escape(struct cm_jr *j, uint32_t *cp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;

	if (j->p >= j->end)
		return cm_jr_fail(j, "an escape cut short");
	if (*j->p == 'u') {
		j->p++;
		return jr_unicode(j, cp);
	}
	e = strchr(from, *j->p);
	if (!e || !*j->p)
		return cm_jr_fail(j, "unknown escape '\\%c'", *j->p);
	*cp = (unsigned char)to[e - from];
	j->p++;
	return 0;
}

/* The run of plain bytes from p: up to a quote, a backslash or a control;
 * *wide is set when one of them is not printable ASCII. */
static size_t jr_plain_run(const struct cm_jr *j, bool *wide)
{
	const char *q = j->p;
	unsigned char c;

	while (q < j->end && (c = (unsigned char)*q) >= 0x20 && c != '"' && c != '\\') {
		*wide |= c >= 0x7f;
		q++;
	}
	return (size_t)(q - j->p);
}

/* The raw bytes of a skipped string are well-formed UTF-8 (JSON's rule). */
static bool jr_raw_utf8(const char *s, const char *end)
{
	uint32_t cp;
	size_t n;

	while (s < end) {
		if ((unsigned char)*s < 0x80) {
			s++;
			continue;
		}
		n = cm_utf8_decode((const unsigned char *)s, (size_t)(end - s), &cp);
		if (!n)
			return false;
		s += n;
	}
	return true;
}

static int jr_too_long(struct cm_jr *j, const char *what, size_t cap)
{
	return cm_jr_refuse(j, "'%s' is longer than %zu bytes", what, cap - 1);
}

/*
 * The string at p into out (cap bytes with its NUL), or only checked when
 * out is NULL. what names it in a refusal.
 */
int cm_jr_string(struct cm_jr *j, char *out, size_t cap, const char *what)
{
	size_t n = 0, run;
	bool wide = false;	/* printable ASCII only needs no UTF-8 check */
	const char *start;
	uint32_t cp;

	if (cm_jr_expect(j, '"'))
		return -EBADMSG;
	start = j->p;
	for (;;) {
		run = jr_plain_run(j, &wide);
		if (out && n + run >= cap)
			return jr_too_long(j, what, cap);
		if (out)
			memcpy(out + n, j->p, run);
		n += run;
		j->p += run;
		if (j->p >= j->end)
			return cm_jr_fail(j, "unterminated string");
		if (*j->p == '"')
			break;
		if (*j->p != '\\')
			return cm_jr_fail(j, "a control character inside a string");
		j->p++;
		if (jr_escape(j, &cp))
			return -EBADMSG;
		wide |= cp < 0x20 || cp >= 0x7f;
		if (!jr_put_cp(out, cap, &n, cp))
			return jr_too_long(j, what, cap);
	}
	j->p++;
	if (!out && wide && !jr_raw_utf8(start, j->p - 1))
		return cm_jr_refuse(j, "a string that is not UTF-8");
	if (!out)
		return 0;
	out[n] = '\0';
	if (wide && cm_utf8_text_chars(out, n) < 0)
		return cm_jr_refuse(j, "'%s' is not UTF-8 text", what);
	return 0;
}

/* ---- other values ---- */

bool cm_jr_word(struct cm_jr *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
		return false;
	j->p += n;
	return true;
}

static void jr_digits(struct cm_jr *j)
{
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int jr_number(struct cm_jr *j)
{
	const char *d;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p < j->end && *j->p >= '1' && *j->p <= '9')
		jr_digits(j);
	else
		return cm_jr_fail(j, "expected a value");
	if (j->p < j->end && *j->p == '.') {
		d = ++j->p;
		jr_digits(j);
		if (j->p == d)
			return cm_jr_fail(j, "a digit must follow the decimal point");
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		d = j->p;
		jr_digits(j);
		if (j->p == d)
			return cm_jr_fail(j, "an exponent needs digits");
	}
	return 0;
}

static int jr_skip_member(struct cm_jr *j, void *ctx, const char *name, size_t len)
{
	return cm_jr_skip(j, *(int *)ctx + 1);
}

static int jr_skip_elem(struct cm_jr *j, void *ctx)
{
	return cm_jr_skip(j, *(int *)ctx + 1);
}

/* Any value, checked and passed over. */
int cm_jr_skip(struct cm_jr *j, int depth)
{
	cm_jr_ws(j);
	if (depth > CM_JR_DEPTH_MAX)
		return cm_jr_fail(j, "nested deeper than %d", CM_JR_DEPTH_MAX);
	if (j->p >= j->end)
		return cm_jr_fail(j, "expected a value");
	switch (*j->p) {
	case '"':
		return cm_jr_string(j, NULL, 0, NULL);
	case '{':
		return cm_jr_object(j, jr_skip_member, &depth);
	case '[':
		return cm_jr_array(j, jr_skip_elem, &depth);
	}
	if (cm_jr_word(j, "true") || cm_jr_word(j, "false") || cm_jr_word(j, "null"))
		return 0;
	return jr_number(j);
}

/* A string member that may be null (out = ""). */
int cm_jr_string_or_null(struct cm_jr *j, char *out, size_t cap, const char *what)
{
	cm_jr_ws(j);
	if (cm_jr_word(j, "null")) {
		out[0] = '\0';
		return 0;
	}
	if (j->p < j->end && *j->p != '"')
		return cm_jr_fail(j, "'%s' must be a string or null", what);
	return cm_jr_string(j, out, cap, what);
}

/* A member's name as written, for the check that none appears twice. */
struct jr_name {
	const char *s;
	size_t len;
};

static int jr_name_add(struct cm_jr *j, struct jr_name *names, size_t *n, const char *s,
		       size_t len)
{
	for (size_t i = 0; i < *n; i++)
		if (names[i].len == len && !memcmp(names[i].s, s, len))
			return cm_jr_refuse(j, "member '%.*s' appears twice in an object",
					 (int)(len < 32 ? len : 32), s);
	if (*n == CM_JR_MEMBERS_MAX)
		return cm_jr_refuse(j, "an object with more than %d members", CM_JR_MEMBERS_MAX);
	names[(*n)++] = (struct jr_name){ s, len };
	return 0;
}

/*
 * Calls member(j, ctx, name, len) for each member of the object at p; name
 * is the member's name as written (len bytes, escapes not undone). Names
 * are compared as written, as the tests' reader and most others do: one
 * that appears twice makes the object ambiguous, so it is refused.
 */
int cm_jr_object(struct cm_jr *j, cm_jr_member_fn member, void *ctx)
{
	struct jr_name names[CM_JR_MEMBERS_MAX];
	const char *name;
	size_t len, n = 0;

	if (cm_jr_expect(j, '{'))
		return -EBADMSG;
	if (cm_jr_take(j, '}'))
		return 0;
	for (;;) {
		cm_jr_ws(j);
		name = j->p + 1;
		if (cm_jr_string(j, NULL, 0, NULL))
			return -EBADMSG;
		len = (size_t)(j->p - 1 - name);
		if (jr_name_add(j, names, &n, name, len) || cm_jr_expect(j, ':') ||
		    member(j, ctx, name, len))
			return -EBADMSG;
		if (cm_jr_take(j, '}'))
			return 0;
		if (cm_jr_expect(j, ','))
			return -EBADMSG;
	}
}


/* An array of elements each read by elem. */
int cm_jr_array(struct cm_jr *j, int (*elem)(struct cm_jr *, void *), void *ctx)
{
	if (cm_jr_expect(j, '['))
		return -EBADMSG;
	if (cm_jr_take(j, ']'))
		return 0;
	for (;;) {
		if (elem(j, ctx))
			return -EBADMSG;
		if (cm_jr_take(j, ']'))
			return 0;
		if (cm_jr_expect(j, ','))
			return -EBADMSG;
	}
}
