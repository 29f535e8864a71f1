/* SPDX-License-Identifier: MIT */
/*
 * A strict JSON validator and flattener for the tests: it checks what the
 * gateway writes as JSON (the control socket's answers, the stats, the
 * strings of gateway/json.c) and is independent of gateway/json.c on
 * purpose: a test that read the gateway's JSON back with the gateway's own
 * code would share its bugs. Its UTF-8 check follows the table of
 * well-formed sequences in the Unicode standard, not json.c's decoder.
 *
 * json_flat() reads one JSON document (RFC 8259: valid UTF-8, no raw control
 * characters in strings, only the defined escapes, surrogate escapes in
 * pairs, no duplicate keys, nothing after it but whitespace) and lists
 * every value in it as a line "PATH=VALUE": a member as PARENT.KEY (KEY
 * alone at the top), an element as PARENT[I]; a scalar's VALUE is its JSON
 * text ("devA" with its quotes, 12, null), an object's {N} and an array's
 * [N], N its size. NULL when the text is not JSON. json_get() looks a PATH
 * up in that list. json_valid() applies the same rules without making the
 * list (for the fuzz targets, where the list cost more than the reading).
 * json_unquote() decodes a document that is exactly one JSON string.
 *
 * Used by unit tests and by fuzz targets (which do not include unit.h), so
 * it reports nothing itself: callers CHECK or assert on what it returns.
 * Every function is static inline, so that a file that uses only part of it
 * compiles without unused-function warnings.
 */
#ifndef POSTERN_TESTS_JSON_CHECK_H
#define POSTERN_TESTS_JSON_CHECK_H

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jr {
	const unsigned char *p;
	FILE *out;		/* the "PATH=VALUE" lines; NULL: only validate */
	int depth;
};

/* Length of the well-formed UTF-8 sequence at p, or 0 (Unicode 15, table
 * 3-7). Never reads past a NUL. */
static inline size_t jr_utf8(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return n;
}

/* s (NUL-terminated) is well-formed UTF-8 throughout. */
static inline bool jr_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n) {
		n = jr_utf8(p);
		if (!n)
			return false;
	}
	return true;
}

static inline int jr_hex4(const unsigned char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		if (!isxdigit(p[i]))
			return -1;
		v = v * 16 + (isdigit(p[i]) ? p[i] - '0' : tolower(p[i]) - 'a' + 10);
	}
	return v;
}

/* Writes code point cp to out as UTF-8. */
static inline void jr_utf8_put(FILE *out, unsigned int cp)
{
	if (cp < 0x80) {
		fputc((int)cp, out);
	} else if (cp < 0x800) {
		fputc((int)(0xc0 | cp >> 6), out);
		fputc((int)(0x80 | (cp & 0x3f)), out);
	} else if (cp < 0x10000) {
		fputc((int)(0xe0 | cp >> 12), out);
		fputc((int)(0x80 | (cp >> 6 & 0x3f)), out);
		fputc((int)(0x80 | (cp & 0x3f)), out);
	} else {
		fputc((int)(0xf0 | cp >> 18), out);
		fputc((int)(0x80 | (cp >> 12 & 0x3f)), out);
		fputc((int)(0x80 | (cp >> 6 & 0x3f)), out);
		fputc((int)(0x80 | (cp & 0x3f)), out);
	}
}

/*
 * Reads one JSON string at *pp (RFC 8259: no raw control characters, only
 * the defined escapes, surrogate escapes in pairs, valid UTF-8) and moves
 * *pp past it; *pp stays where it was when the string is not valid. The
 * decoded text goes to out when out is not NULL.
 */
static inline bool jr_string_read(const unsigned char **pp, FILE *out)
{
	const unsigned char *p = *pp;
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";

	if (*p++ != '"')
		return false;
	while (*p != '"') {
		if (*p < 0x20)		/* a control character, or the end: unterminated */
			return false;
		if (*p == '\\') {
			const char *e = p[1] ? strchr(esc_in, p[1]) : NULL;
			int cp, lo;

			if (e) {
				if (out)
					fputc(esc_out[e - esc_in], out);
				p += 2;
				continue;
			}
			if (p[1] != 'u' || (cp = jr_hex4(p + 2)) < 0)
				return false;
			p += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return false;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p[0] != '\\' || p[1] != 'u' || (lo = jr_hex4(p + 2)) < 0xdc00 ||
				    lo > 0xdfff)
					return false;
				p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (out)
				jr_utf8_put(out, (unsigned int)cp);
			continue;
		}
		size_t n = jr_utf8(p);

		if (!n)
			return false;
		if (out)
			fwrite(p, 1, n, out);
		p += n;
	}
	*pp = p + 1;
	return true;
}

/* The text of a JSON string document, decoded (malloc'd), or NULL when s is
 * not exactly one valid JSON string. */
static inline char *json_unquote(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	bool ok;

	if (!out)
		return NULL;
	ok = jr_string_read(&p, out) && *p == '\0';
	fclose(out);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

static inline void jr_ws(struct jr *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static inline bool jr_string(struct jr *j)
{
	return jr_string_read(&j->p, NULL);
}

static inline bool jr_number(struct jr *j)
{
	const unsigned char *p = j->p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit(*p))
			p++;
	else
		return false;
	if (*p == '.') {
		if (!isdigit(*++p))
			return false;
		while (isdigit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit(*p))
			return false;
		while (isdigit(*p))
			p++;
	}
	j->p = p;
	return true;
}

static inline bool jr_value(struct jr *j, const char *path);

static inline bool jr_object(struct jr *j, const char *path)
{
	char *keys[256], child[512] = "";
	size_t n = 0;
	bool ok = false;

	j->p++;
	jr_ws(j);
	if (*j->p == '}') {
		j->p++;
		if (j->out)
			fprintf(j->out, "%s={0}\n", path);
		return true;
	}
	for (;;) {
		const unsigned char *k = j->p;

		if (n == 256 || !jr_string(j))
			goto out;
		keys[n] = strndup((const char *)k + 1, (size_t)(j->p - k - 2));
		if (!keys[n])
			goto out;
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(keys[i], keys[n])) {
				n++;
				goto out;	/* a duplicate key */
			}
		}
		if (j->out)
			snprintf(child, sizeof(child), "%s%s%s", path, path[0] ? "." : "", keys[n]);
		n++;
		jr_ws(j);
		if (*j->p != ':')
			goto out;
		j->p++;
		jr_ws(j);
		if (!jr_value(j, child))
			goto out;
		jr_ws(j);
		if (*j->p == '}')
			break;
		if (*j->p != ',')
			goto out;
		j->p++;
		jr_ws(j);
	}
	j->p++;
	if (j->out)
		fprintf(j->out, "%s={%zu}\n", path, n);
	ok = true;
out:
	while (n)
		free(keys[--n]);
	return ok;
}

static inline bool jr_array(struct jr *j, const char *path)
{
	char child[512] = "";
	size_t n = 0;

	j->p++;
	jr_ws(j);
	if (*j->p != ']') {
		for (;;) {
			if (j->out)
				snprintf(child, sizeof(child), "%s[%zu]", path, n);
			n++;
			if (!jr_value(j, child))
				return false;
			jr_ws(j);
			if (*j->p == ']')
				break;
			if (*j->p != ',')
				return false;
			j->p++;
			jr_ws(j);
		}
	}
	j->p++;
	if (j->out)
		fprintf(j->out, "%s=[%zu]\n", path, n);
	return true;
}

static inline bool jr_value(struct jr *j, const char *path)
{
	const unsigned char *start = j->p;
	bool ok;

	if (++j->depth > 64)
		return false;
	if (*j->p == '{')
		ok = jr_object(j, path);
	else if (*j->p == '[')
		ok = jr_array(j, path);
	else if (*j->p == '"')
		ok = jr_string(j);
	else if (!strncmp((const char *)j->p, "true", 4) || !strncmp((const char *)j->p, "null", 4))
		ok = (j->p += 4, true);
	else if (!strncmp((const char *)j->p, "false", 5))
		ok = (j->p += 5, true);
	else
		ok = jr_number(j);
	j->depth--;
	if (ok && j->out && *start != '{' && *start != '[')
		fprintf(j->out, "%s=%.*s\n", path, (int)(j->p - start), (const char *)start);
	return ok;
}

/* Whether the text at j->p is exactly one JSON document. */
static inline bool jr_document(struct jr *j)
{
	bool ok;

	jr_ws(j);
	ok = jr_value(j, "");
	jr_ws(j);
	return ok && *j->p == '\0';
}

/* The document text flattened to "PATH=VALUE" lines (malloc'd), or NULL
 * when text is not exactly one JSON document. */
static inline char *json_flat(const char *text)
{
	struct jr j = { (const unsigned char *)text, NULL, 0 };
	char *buf = NULL;
	size_t len = 0;
	bool ok;

	j.out = open_memstream(&buf, &len);
	if (!j.out)
		return NULL;
	ok = jr_document(&j);
	fclose(j.out);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Whether text is exactly one JSON document, as json_flat would read it. */
static inline bool json_valid(const char *text)
{
	struct jr j = { (const unsigned char *)text, NULL, 0 };

	return jr_document(&j);
}

/* The VALUE of PATH in a flattened document (in a static buffer), or NULL. */
static inline const char *json_get(const char *flat, const char *path)
{
	static char buf[8192];
	size_t n = strlen(path);

	for (const char *l = flat; l && *l;) {
		const char *e = strchr(l, '\n');

		if (!e)
			break;
		if (!strncmp(l, path, n) && l[n] == '=') {
			snprintf(buf, sizeof(buf), "%.*s", (int)(e - l - (int)n - 1), l + n + 1);
			return buf;
		}
		l = e + 1;
	}
	return NULL;
}

#endif
