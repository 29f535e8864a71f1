/* SPDX-License-Identifier: MIT */
/*
 * The audit-log line parser (auditrec.h): a strict JSON reader for exactly
 * one shape, an object whose members the fleet report knows by name. It
 * never allocates and reads each byte of the line once, because a year of
 * audit records is a million lines read in a few seconds.
 *
 * Strictness, and why: the report counts and names the lines it refuses, so
 * a line is either wholly understood or wholly refused, never half read. A
 * kept string must be well-formed UTF-8 without control characters (an
 * escaped \u001b would otherwise reach the operator's terminal through the
 * text report) and fit its field; a known member may appear once; nesting
 * is bounded (a skipped value of 10,000 brackets must not exhaust the
 * stack). Member names are compared as written: our writer never escapes a
 * name, so "\u0074ime" is an unknown member, not "time".
 */
#include "posture/auditrec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/macros.h"
#include "common/time.h"
#include "common/utf8.h"

#define JR_DEPTH_MAX	16	/* nesting of a skipped value */
#define JR_MEMBERS_MAX	64	/* members of one object (the record has 19) */
#define JR_FACT_MAX	PST_VALUE_MAX

struct jr {
	const char *start, *p, *end;
	char *why;
	size_t whylen;
};

static int jr_fail(struct jr *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* At the end of the line the record was cut short; elsewhere, say where. */
static int jr_fail(struct jr *j, const char *fmt, ...)
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
static int jr_refuse(struct jr *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int jr_refuse(struct jr *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->why, j->whylen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static void jr_ws(struct jr *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static bool jr_peek(struct jr *j, char c)
{
	jr_ws(j);
	return j->p < j->end && *j->p == c;
}

static int jr_expect(struct jr *j, char c)
{
	if (!jr_peek(j, c))
		return jr_fail(j, "expected '%c'", c);
	j->p++;
	return 0;
}

/* Takes c when it comes next (after white space): true when it did. */
static bool jr_take(struct jr *j, char c)
{
	if (!jr_peek(j, c))
		return false;
	j->p++;
	return true;
}

/* ---- strings ---- */

static int jr_hex4(struct jr *j, uint32_t *out)
{
	uint32_t v = 0;

	if (j->end - j->p < 4)
		return jr_fail(j, "a \\u escape needs four hex digits");
	for (int i = 0; i < 4; i++) {
		char c = *j->p;

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v << 4 | (uint32_t)((c | 0x20) - 'a' + 10);
		else
			return jr_fail(j, "a \\u escape needs four hex digits");
		j->p++;
	}
	*out = v;
	return 0;
}

/* \uXXXX, with a surrogate pair taken as one code point; p after the 'u'. */
static int jr_unicode(struct jr *j, uint32_t *cp)
{
	uint32_t lo;

	if (jr_hex4(j, cp))
		return -EBADMSG;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return jr_fail(j, "a lone low surrogate");
	if (*cp < 0xd800 || *cp > 0xdbff)
		return 0;
	if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
		return jr_fail(j, "a high surrogate without its low half");
	j->p += 2;
	if (jr_hex4(j, &lo))
		return -EBADMSG;
	if (lo < 0xdc00 || lo > 0xdfff)
		return jr_fail(j, "a high surrogate without its low half");
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
static int jr_escape(struct jr *j, uint32_t *cp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;

	if (j->p >= j->end)
		return jr_fail(j, "an escape cut short");
	if (*j->p == 'u') {
		j->p++;
		return jr_unicode(j, cp);
	}
	e = strchr(from, *j->p);
	if (!e || !*j->p)
		return jr_fail(j, "unknown escape '\\%c'", *j->p);
	*cp = (unsigned char)to[e - from];
	j->p++;
	return 0;
}

/* The run of plain bytes from p: up to a quote, a backslash or a control;
 * *wide is set when one of them is not printable ASCII. */
static size_t jr_plain_run(const struct jr *j, bool *wide)
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

static int jr_too_long(struct jr *j, const char *what, size_t cap)
{
	return jr_refuse(j, "'%s' is longer than %zu bytes", what, cap - 1);
}

/*
 * The string at p into out (cap bytes with its NUL), or only checked when
 * out is NULL. what names it in a refusal.
 */
static int jr_string(struct jr *j, char *out, size_t cap, const char *what)
{
	size_t n = 0, run;
	bool wide = false;	/* printable ASCII only needs no UTF-8 check */
	const char *start;
	uint32_t cp;

	if (jr_expect(j, '"'))
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
			return jr_fail(j, "unterminated string");
		if (*j->p == '"')
			break;
		if (*j->p != '\\')
			return jr_fail(j, "a control character inside a string");
		j->p++;
		if (jr_escape(j, &cp))
			return -EBADMSG;
		wide |= cp < 0x20 || cp >= 0x7f;
		if (!jr_put_cp(out, cap, &n, cp))
			return jr_too_long(j, what, cap);
	}
	j->p++;
	if (!out && wide && !jr_raw_utf8(start, j->p - 1))
		return jr_refuse(j, "a string that is not UTF-8");
	if (!out)
		return 0;
	out[n] = '\0';
	if (wide && cm_utf8_text_chars(out, n) < 0)
		return jr_refuse(j, "'%s' is not UTF-8 text", what);
	return 0;
}

/* ---- other values ---- */

static bool jr_word(struct jr *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
		return false;
	j->p += n;
	return true;
}

static void jr_digits(struct jr *j)
{
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int jr_number(struct jr *j)
{
	const char *d;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p < j->end && *j->p >= '1' && *j->p <= '9')
		jr_digits(j);
	else
		return jr_fail(j, "expected a value");
	if (j->p < j->end && *j->p == '.') {
		d = ++j->p;
		jr_digits(j);
		if (j->p == d)
			return jr_fail(j, "a digit must follow the decimal point");
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		d = j->p;
		jr_digits(j);
		if (j->p == d)
			return jr_fail(j, "an exponent needs digits");
	}
	return 0;
}

static int jr_skip(struct jr *j, int depth);
static int jr_array(struct jr *j, int (*elem)(struct jr *, void *), void *ctx);
typedef int (*jr_member_fn)(struct jr *j, void *ctx, const char *name, size_t len);
static int jr_object(struct jr *j, jr_member_fn member, void *ctx);

static int jr_skip_member(struct jr *j, void *ctx, const char *name, size_t len)
{
	return jr_skip(j, *(int *)ctx + 1);
}

static int jr_skip_elem(struct jr *j, void *ctx)
{
	return jr_skip(j, *(int *)ctx + 1);
}

/* Any value, checked and passed over. */
static int jr_skip(struct jr *j, int depth)
{
	jr_ws(j);
	if (depth > JR_DEPTH_MAX)
		return jr_fail(j, "nested deeper than %d", JR_DEPTH_MAX);
	if (j->p >= j->end)
		return jr_fail(j, "expected a value");
	switch (*j->p) {
	case '"':
		return jr_string(j, NULL, 0, NULL);
	case '{':
		return jr_object(j, jr_skip_member, &depth);
	case '[':
		return jr_array(j, jr_skip_elem, &depth);
	}
	if (jr_word(j, "true") || jr_word(j, "false") || jr_word(j, "null"))
		return 0;
	return jr_number(j);
}

/* A string member that may be null (out = ""). */
static int jr_string_or_null(struct jr *j, char *out, size_t cap, const char *what)
{
	jr_ws(j);
	if (jr_word(j, "null")) {
		out[0] = '\0';
		return 0;
	}
	if (j->p < j->end && *j->p != '"')
		return jr_fail(j, "'%s' must be a string or null", what);
	return jr_string(j, out, cap, what);
}

/* A member's name as written, for the check that none appears twice. */
struct jr_name {
	const char *s;
	size_t len;
};

static int jr_name_add(struct jr *j, struct jr_name *names, size_t *n, const char *s,
		       size_t len)
{
	for (size_t i = 0; i < *n; i++)
		if (names[i].len == len && !memcmp(names[i].s, s, len))
			return jr_refuse(j, "member '%.*s' appears twice in an object",
					 (int)(len < 32 ? len : 32), s);
	if (*n == JR_MEMBERS_MAX)
		return jr_refuse(j, "an object with more than %d members", JR_MEMBERS_MAX);
	names[(*n)++] = (struct jr_name){ s, len };
	return 0;
}

/*
 * Calls member(j, ctx, name, len) for each member of the object at p; name
 * is the member's name as written (len bytes, escapes not undone). Names
 * are compared as written, as the tests' reader and most others do: one
 * that appears twice makes the object ambiguous, so it is refused.
 */
static int jr_object(struct jr *j, jr_member_fn member, void *ctx)
{
	struct jr_name names[JR_MEMBERS_MAX];
	const char *name;
	size_t len, n = 0;

	if (jr_expect(j, '{'))
		return -EBADMSG;
	if (jr_take(j, '}'))
		return 0;
	for (;;) {
		jr_ws(j);
		name = j->p + 1;
		if (jr_string(j, NULL, 0, NULL))
			return -EBADMSG;
		len = (size_t)(j->p - 1 - name);
		if (jr_name_add(j, names, &n, name, len) || jr_expect(j, ':') ||
		    member(j, ctx, name, len))
			return -EBADMSG;
		if (jr_take(j, '}'))
			return 0;
		if (jr_expect(j, ','))
			return -EBADMSG;
	}
}

/* The raw name of a member is s (a literal). */
#define jr_name_is(name, len, s) ((len) == sizeof(s) - 1 && !memcmp((name), (s), (len)))

/* ---- the record ---- */

enum rec_key {
	K_TIME, K_EVENT, K_DEVICE, K_GROUP, K_OWNERSHIP, K_VERDICT, K_REASONS, K_FACTS,
	K_POLICY, K_POLICY_SHA, K_KEYS
};

#define REC_KEY(s) { s, sizeof(s) - 1 }

static const struct {
	const char *name;
	size_t len;
} rec_keys[K_KEYS] = {
	REC_KEY("time"), REC_KEY("event"), REC_KEY("device"), REC_KEY("group"),
	REC_KEY("ownership"), REC_KEY("verdict"), REC_KEY("reasons"), REC_KEY("facts"),
	REC_KEY("policy"), REC_KEY("policy_sha256"),
};

struct rec_ctx {
	struct pst_audit_rec *r;
	unsigned int seen;		/* bit k: rec_keys[k] was read */
	int platform_rank;		/* rank of the source of r->platform; -2: none */
};

struct fact_ctx {
	char name[PST_NAME_MAX + 1];
	char value[JR_FACT_MAX + 1];
	char source[PST_AUDIT_WORD_MAX + 1];
};

static int fact_member(struct jr *j, void *ctx, const char *name, size_t len)
{
	struct fact_ctx *f = ctx;

	if (jr_name_is(name, len, "name"))
		return jr_string(j, f->name, sizeof(f->name), "facts[].name");
	if (jr_name_is(name, len, "value"))
		return jr_string(j, f->value, sizeof(f->value), "facts[].value");
	if (jr_name_is(name, len, "source"))
		return jr_string(j, f->source, sizeof(f->source), "facts[].source");
	return jr_skip(j, 2);
}

/* The rank of a fact's source (posture.h): cert > mdm > agent > client;
 * -1 for a source this reader does not know. */
static int source_rank(const char *s)
{
	static const char *const names[] = { "client", "agent", "mdm", "cert" };

	for (size_t i = 0; i < CM_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

/* Of the facts, os.name from the best source is the device's platform. */
static int rec_fact(struct jr *j, struct rec_ctx *c)
{
	struct fact_ctx f = { "", "", "" };
	int rank;

	jr_ws(j);
	if (jr_object(j, fact_member, &f))
		return -EBADMSG;
	if (strcmp(f.name, "os.name") || !f.value[0])
		return 0;
	rank = source_rank(f.source);
	if (rank > c->platform_rank) {
		memcpy(c->r->platform, f.value, sizeof(f.value));
		c->platform_rank = rank;
	}
	return 0;
}

/* An array of elements each read by elem. */
static int jr_array(struct jr *j, int (*elem)(struct jr *, void *), void *ctx)
{
	if (jr_expect(j, '['))
		return -EBADMSG;
	if (jr_take(j, ']'))
		return 0;
	for (;;) {
		if (elem(j, ctx))
			return -EBADMSG;
		if (jr_take(j, ']'))
			return 0;
		if (jr_expect(j, ','))
			return -EBADMSG;
	}
}

static int rec_fact_elem(struct jr *j, void *ctx)
{
	return rec_fact(j, ctx);
}

static int rec_reason_elem(struct jr *j, void *ctx)
{
	struct pst_audit_rec *r = ctx;

	if (r->n_reasons >= PST_REASONS_MAX)
		return jr_fail(j, "more than %d reasons", PST_REASONS_MAX);
	return jr_string(j, r->reasons[r->n_reasons++], PST_AUDIT_REASON_MAX + 1, "reasons[]");
}

static int rec_time(struct jr *j, struct pst_audit_rec *r)
{
	char buf[CM_TIME_BUF + 16];

	if (jr_string(j, buf, sizeof(buf), "time"))
		return -EBADMSG;
	if (cm_time_parse(buf, &r->time))
		return jr_refuse(j, "'time' is not an RFC 3339 time: '%s'", buf);
	return 0;
}

static int rec_verdict(struct jr *j, struct pst_audit_rec *r)
{
	static const enum pst_verdict v[] = { PST_ALLOW, PST_QUARANTINE, PST_DENY };
	char buf[16];

	if (jr_string(j, buf, sizeof(buf), "verdict"))
		return -EBADMSG;
	for (size_t i = 0; i < CM_ARRAY_SIZE(v); i++) {
		if (!strcmp(buf, pst_verdict_name(v[i]))) {
			r->verdict = v[i];
			return 0;
		}
	}
	return jr_refuse(j, "'verdict' is '%s', not allow, quarantine or deny", buf);
}

static int rec_sha(struct jr *j, struct pst_audit_rec *r)
{
	size_t n;

	if (jr_string_or_null(j, r->policy_sha256, sizeof(r->policy_sha256), "policy_sha256"))
		return -EBADMSG;
	n = strlen(r->policy_sha256);
	if (n && (n != PST_AUDIT_SHA_LEN || strspn(r->policy_sha256, "0123456789abcdef") != n))
		return jr_refuse(j, "'policy_sha256' is not a hex SHA-256");
	return 0;
}

static int rec_value(struct jr *j, struct rec_ctx *c, enum rec_key k)
{
	struct pst_audit_rec *r = c->r;

	switch (k) {
	case K_TIME:
		return rec_time(j, r);
	case K_EVENT:
		return jr_string_or_null(j, r->event, sizeof(r->event), "event");
	case K_DEVICE:
		return jr_string(j, r->device, sizeof(r->device), "device");
	case K_GROUP:
		return jr_string_or_null(j, r->group, sizeof(r->group), "group");
	case K_OWNERSHIP:
		return jr_string_or_null(j, r->ownership, sizeof(r->ownership), "ownership");
	case K_VERDICT:
		return rec_verdict(j, r);
	case K_REASONS:
		return jr_array(j, rec_reason_elem, r);
	case K_FACTS:
		return jr_array(j, rec_fact_elem, c);
	case K_POLICY:
		return jr_string_or_null(j, r->policy, sizeof(r->policy), "policy");
	case K_POLICY_SHA:
		return rec_sha(j, r);
	case K_KEYS:
		break;
	}
	return jr_skip(j, 1);
}

static int rec_member(struct jr *j, void *ctx, const char *name, size_t len)
{
	struct rec_ctx *c = ctx;

	for (unsigned int k = 0; k < K_KEYS; k++) {
		if (len != rec_keys[k].len || memcmp(name, rec_keys[k].name, len))
			continue;
		if (c->seen & 1u << k)
			return jr_fail(j, "'%s' appears twice", rec_keys[k].name);
		c->seen |= 1u << k;
		return rec_value(j, c, k);
	}
	return jr_skip(j, 1);
}

static void rec_init(struct pst_audit_rec *r)
{
	r->time = 0;
	r->verdict = PST_DENY;
	r->event[0] = r->device[0] = r->group[0] = r->ownership[0] = '\0';
	r->platform[0] = r->policy[0] = r->policy_sha256[0] = '\0';
	r->n_reasons = 0;
}

int pst_audit_parse(const char *line, size_t len, struct pst_audit_rec *r, char *why,
		    size_t whylen)
{
	static const enum rec_key required[] = { K_TIME, K_DEVICE, K_VERDICT };
	struct jr j = { line, line, line + len, why, whylen };
	struct rec_ctx c = { r, 0, -2 };

	if (whylen)
		why[0] = '\0';
	rec_init(r);
	jr_ws(&j);
	if (j.p == j.end)
		return jr_refuse(&j, "an empty line");
	if (jr_object(&j, rec_member, &c))
		return -EBADMSG;
	jr_ws(&j);
	if (j.p != j.end)
		return jr_fail(&j, "text after the record");
	for (size_t i = 0; i < CM_ARRAY_SIZE(required); i++)
		if (!(c.seen & 1u << required[i]))
			return jr_refuse(&j, "no '%s'", rec_keys[required[i]].name);
	if (!r->device[0])
		return jr_refuse(&j, "'device' is empty");
	return 0;
}
