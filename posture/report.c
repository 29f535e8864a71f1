/* SPDX-License-Identifier: MIT */
/*
 * The two text forms of a device's facts. The report is what a posture agent
 * posts to /+CSCOE+/sdesktop/scan.xml: the stock openconnect csd-post.sh
 * sends lines like
 *
 *	endpoint.os.version="Linux";
 *	endpoint.device.port["22"]="true";
 *	endpoint.fw["IPTablesFW"]={};
 *
 * and our agent sends the same shape with the facts the policy knows. The
 * facts file is the hand-written form (`name=value` lines) that the dry run
 * and the agent's test hook read.
 *
 * Both parsers read the whole input into a scratch set first and change the
 * caller's set only when every line was good, so a bad report never leaves
 * half its facts behind. The scratch set's time field holds the line a fact
 * was read on until the facts are dated, for "set twice" messages.
 */
#include "posture/posture.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macros.h"
#include "common/number.h"
#include "common/time.h"

/* A real report is about 2 KiB; the stock csd-post.sh sends 1.5 KiB. */
#define PST_REPORT_MAX 16384
#define PST_REPORT_PREFIX "endpoint."
#define PST_COLLECTED_AT "collected-at"

struct pst_line {
	const char *s;
	size_t len;		/* without the line end */
	unsigned int no;	/* from 1 */
};

/* What one parse has read so far. */
struct pst_read {
	struct pst_facts got;	/* .time = line number, until dated */
	struct pst_facts gone;	/* facts file: names to delete (value "-") */
	bool have_collected;
	unsigned int collected_line;
	time_t collected;
	char *err;
	size_t errlen;
};

/* Reasons quote the input and end up in log lines: only printable ASCII. */
static void pst_why_clean(char *s)
{
	for (; *s; s++) {
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
	}
}

__attribute__((format(printf, 3, 4)))
static int pst_why(struct pst_read *rd, unsigned int line, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pst_why_clean(msg);
	if (rd->err && rd->errlen) {
		if (line)
			snprintf(rd->err, rd->errlen, "line %u: %s", line, msg);
		else
			snprintf(rd->err, rd->errlen, "%s", msg);
	}
	return -EINVAL;
}

/* Splits off the next line; a CR before the LF is not part of it. */
static bool pst_next_line(const char *buf, size_t len, size_t *pos, struct pst_line *l)
{
	const char *nl;

	if (*pos >= len)
		return false;
	l->s = buf + *pos;
	nl = memchr(l->s, '\n', len - *pos);
	l->len = nl ? (size_t)(nl - l->s) : len - *pos;
	*pos += l->len + (nl ? 1 : 0);
	if (l->len && l->s[l->len - 1] == '\r')
		l->len--;
	l->no++;
	return true;
}

static bool pst_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	}
	return true;
}

/* "EPOCH": seconds since 1970 (common/number.h), up to 9999-12-31; a time
 * ahead of the report's arrival is taken care of by min() with it. */
static int pst_parse_time(const char *s, size_t n, time_t *out)
{
	uint64_t v;

	if (cm_number_parse_n(s, n, 0, (uint64_t)CM_TIME_MAX, &v))
		return -EINVAL;
	*out = (time_t)v;
	return 0;
}

static int pst_read_collected(struct pst_read *rd, const struct pst_line *l, const char *v,
			      size_t n)
{
	if (rd->have_collected)
		return pst_why(rd, l->no, "collected-at is set twice (first on line %u)",
			       rd->collected_line);
	if (pst_parse_time(v, n, &rd->collected))
		return pst_why(rd, l->no, "collected-at: '%.*s' is not a time in seconds "
			       "since 1970", (int)(n > 40 ? 40 : n), v);
	rd->have_collected = true;
	rd->collected_line = l->no;
	return 0;
}

/* The line an earlier value of name was read on, or 0. */
static unsigned int pst_read_seen(const struct pst_read *rd, const char *name,
				  enum pst_source src)
{
	const struct pst_fact *f = pst_facts_get_from(&rd->got, name, src);

	if (!f)
		f = pst_facts_get_from(&rd->gone, name, src);
	return f ? (unsigned int)f->time : 0;
}

/* Records name=value (value NULL: delete) from line l. */
static int pst_read_fact(struct pst_read *rd, const struct pst_line *l, const char *name,
			 const char *value, size_t vlen, enum pst_source src)
{
	char v[PST_VALUE_MAX + 1];
	unsigned int first = pst_read_seen(rd, name, src);
	int ret;

	if (first)
		return pst_why(rd, l->no, "%s is set twice (first on line %u)", name, first);
	if (!value)
		ret = pst_facts_set(&rd->gone, name, "-", src, l->no);
	else if (vlen > PST_VALUE_MAX)
		ret = -EINVAL;
	else {
		memcpy(v, value, vlen);
		v[vlen] = '\0';
		ret = pst_facts_set(&rd->got, name, v, src, l->no);
	}
	if (ret == -ENOSPC)
		return pst_why(rd, l->no, "too many facts (at most %d)", PST_FACTS_MAX);
	if (ret)
		return pst_why(rd, l->no, "%s: the value must be 1..%d printable characters "
			       "without '\"' or '\\'", name, PST_VALUE_MAX);
	return 0;
}

/*
 * Dates what was read and moves it into facts: the time is when the source
 * collected the facts, but never later than when they reached us, so a
 * clock running ahead cannot make a report look fresher than it is. Room is
 * checked by the merge before anything changes.
 */
static int pst_read_commit(struct pst_read *rd, enum pst_source src, time_t now,
			   struct pst_facts *facts)
{
	time_t when = rd->have_collected && rd->collected < now ? rd->collected : now;
	size_t i;

	struct pst_facts *trial = malloc(sizeof(*trial));
	int s;

	if (!trial)
		return pst_why(rd, 0, "out of memory");
	for (i = 0; i < rd->got.n; i++)
		rd->got.f[i].time = when;
	/* A facts file may name other sources ("client:os.name=linux"): each
	 * source merges on its own, all or nothing over the whole set. */
	*trial = *facts;
	for (s = 0; s < PST_SRC_N; s++) {
		if (pst_facts_merge(trial, &rd->got, (enum pst_source)s)) {
			free(trial);
			return pst_why(rd, 0, "too many facts (at most %d)", PST_FACTS_MAX);
		}
	}
	for (i = 0; i < rd->gone.n; i++)
		pst_facts_del(trial, rd->gone.f[i].name, rd->gone.f[i].source);
	*facts = *trial;
	free(trial);
	return 0;
}

static void pst_read_init(struct pst_read *rd, char *err, size_t errlen)
{
	pst_facts_init(&rd->got);
	pst_facts_init(&rd->gone);
	rd->have_collected = false;
	rd->collected_line = 0;
	rd->collected = 0;
	rd->err = err;
	rd->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
}

static int pst_input_check(struct pst_read *rd, const char *buf, size_t len, const char *what)
{
	const char *nul;

	if (!buf && len)
		return pst_why(rd, 0, "no %s", what);
	if (len > PST_REPORT_MAX)
		return pst_why(rd, 0, "the %s is larger than %d bytes", what, PST_REPORT_MAX);
	nul = len ? memchr(buf, '\0', len) : NULL;
	if (nul) {
		struct pst_line l = { .no = 1 };
		size_t i;

		for (i = 0; i < (size_t)(nul - buf); i++)
			l.no += buf[i] == '\n';
		return pst_why(rd, l.no, "NUL byte: not text");
	}
	return 0;
}

/* ---- the report ---- */

/* One line, taken apart: endpoint.KEY=VALUE; */
struct pst_item {
	const char *key;
	size_t key_len;
	bool plain;		/* the key has no ["..."] subscript */
	const char *value;	/* inside the quotes; NULL for {} */
	size_t value_len;
};

static bool pst_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* A quoted string's body: anything printable but '"'. Returns its length, or
 * -1 when it is not closed on this line. */
static long pst_quoted_len(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '"'; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	}
	return i < n ? (long)i : -1;
}

/* A subscript: ["anything printable but a quote"]. Returns its length or 0. */
static size_t pst_subscript_len(const char *s, size_t n)
{
	long q;

	if (n < 4 || s[0] != '[' || s[1] != '"')
		return 0;
	q = pst_quoted_len(s + 2, n - 2);
	if (q < 0 || (size_t)q + 3 >= n || s[q + 3] != ']')
		return 0;
	return (size_t)q + 4;
}

/* KEY := IDENT ( "." IDENT | SUBSCRIPT )*. Returns its length or 0. */
static size_t pst_key_len(const char *s, size_t n, bool *plain)
{
	size_t i = 0, k;

	*plain = true;
	while (i < n && pst_ident_char(s[i]))
		i++;
	while (i > 0 && i < n && s[i] != '=') {
		if (s[i] == '.' && i + 1 < n && pst_ident_char(s[i + 1])) {
			for (i++; i < n && pst_ident_char(s[i]); i++)
				;
		} else if ((k = pst_subscript_len(s + i, n - i)) > 0) {
			i += k;
			*plain = false;
		} else {
			return 0;
		}
	}
	return i;
}

static int pst_item_parse(struct pst_read *rd, const struct pst_line *l, struct pst_item *it)
{
	const char *s = l->s, *e = l->s + l->len;
	size_t plen = strlen(PST_REPORT_PREFIX);
	long q;

	*it = (struct pst_item){ .key = NULL };
	if (l->len < plen || memcmp(l->s, PST_REPORT_PREFIX, plen))
		return pst_why(rd, l->no, "expected endpoint.KEY=\"VALUE\";");
	s += plen;
	it->key = s;
	it->key_len = pst_key_len(s, (size_t)(e - s), &it->plain);
	s += it->key_len;
	if (it->key_len == 0 || s == e || *s != '=')
		return pst_why(rd, l->no, "expected endpoint.KEY=\"VALUE\"; with a key of "
			       "letters, digits, _ - . and [\"...\"]");
	s++;
	if (e - s >= 2 && s[0] == '{' && s[1] == '}') {
		it->value = NULL;
		s += 2;
	} else if (s < e && *s == '"' && (q = pst_quoted_len(s + 1, (size_t)(e - s - 1))) >= 0) {
		it->value = s + 1;
		it->value_len = (size_t)q;
		s += q + 2;
	} else {
		return pst_why(rd, l->no, "the value must be \"...\" or {}");
	}
	if (e - s != 1 || *s != ';')
		return pst_why(rd, l->no, "expected ';' at the end of the line");
	return 0;
}

/* Known keys are taken, collected-at dates the report, the rest is skipped. */
static int pst_item_use(struct pst_read *rd, const struct pst_line *l,
			const struct pst_item *it, enum pst_source src)
{
	char name[PST_NAME_MAX + 1];
	bool collected;

	if (!it->plain || it->key_len > PST_NAME_MAX)
		return 0;
	memcpy(name, it->key, it->key_len);
	name[it->key_len] = '\0';
	collected = !strcmp(name, PST_COLLECTED_AT);
	if (!collected && !pst_fact_known(name))
		return 0;
	if (!it->value)
		return pst_why(rd, l->no, "%s needs a quoted value, not {}", name);
	if (collected)
		return pst_read_collected(rd, l, it->value, it->value_len);
	return pst_read_fact(rd, l, name, it->value, it->value_len, src);
}

int pst_report_parse(const char *buf, size_t len, enum pst_source src, time_t received,
		     struct pst_facts *facts, char *err, size_t errlen)
{
	struct pst_read rd;
	struct pst_line l = { .no = 0 };
	struct pst_item it;
	size_t pos = 0;
	int ret;

	pst_read_init(&rd, err, errlen);
	ret = pst_input_check(&rd, buf, len, "report");
	while (!ret && pst_next_line(buf, len, &pos, &l)) {
		if (pst_blank(l.s, l.len))
			continue;
		ret = pst_item_parse(&rd, &l, &it);
		if (!ret)
			ret = pst_item_use(&rd, &l, &it, src);
	}
	if (!ret)
		ret = pst_read_commit(&rd, src, received, facts);
	return ret ? -EBADMSG : 0;
}

/* The oldest time among src's facts: a report is as old as its oldest fact. */
static time_t pst_report_time(const struct pst_facts *facts, enum pst_source src)
{
	time_t t = 0;
	size_t i;

	for (i = 0; i < facts->n && i < PST_FACTS_MAX; i++) {
		if (facts->f[i].source == src && facts->f[i].time > 0 &&
		    (t == 0 || facts->f[i].time < t))
			t = facts->f[i].time;
	}
	return t;
}

__attribute__((format(printf, 4, 5)))
static int pst_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *used)
		return -ENOSPC;
	*used += (size_t)n;
	return 0;
}

int pst_report_format(const struct pst_facts *facts, enum pst_source src, char *buf, size_t len)
{
	time_t t = pst_report_time(facts, src);
	size_t i, used = 0;
	int ret = buf && len ? 0 : -ENOSPC;

	if (!ret)
		buf[0] = '\0';
	if (!ret && t > 0)
		ret = pst_append(buf, len, &used, PST_REPORT_PREFIX PST_COLLECTED_AT "=\"%lld\";\n",
				 (long long)t);
	for (i = 0; !ret && i < facts->n && i < PST_FACTS_MAX; i++) {
		if (facts->f[i].source == src)
			ret = pst_append(buf, len, &used, PST_REPORT_PREFIX "%s=\"%s\";\n",
					 facts->f[i].name, facts->f[i].value);
	}
	return ret ? ret : (int)used;
}

/* ---- the facts file ---- */

static void pst_trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* name = value, spaces around either allowed; an empty value deletes. */
/*
 * "client:", "agent:" or "mdm:" before a name says which source stated the
 * fact, so that a decision with facts from several sources (an audit record)
 * can be replayed. Without a prefix the caller's source applies.
 */
static int pst_facts_source(struct pst_read *rd, const struct pst_line *l, const char **k,
			    size_t *kn, enum pst_source *src)
{
	const char *colon = memchr(*k, ':', *kn);
	static const enum pst_source prefixes[] = { PST_SRC_CLIENT, PST_SRC_AGENT, PST_SRC_MDM };
	size_t n, i;

	if (!colon)
		return 0;
	n = (size_t)(colon - *k);
	for (i = 0; i < CM_ARRAY_SIZE(prefixes); i++) {
		const char *word = pst_source_name(prefixes[i]);

		if (n == strlen(word) && !memcmp(*k, word, n)) {
			*src = prefixes[i];
			*k = colon + 1;
			*kn -= n + 1;
			return 0;
		}
	}
	return pst_why(rd, l->no, "unknown source '%.*s' (client, agent or mdm)",
		       (int)(n < 16 ? n : 16), *k);
}

static int pst_facts_line(struct pst_read *rd, const struct pst_line *l, enum pst_source src)
{
	const char *eq = memchr(l->s, '=', l->len), *k = l->s, *v;
	char name[PST_NAME_MAX + 1];
	size_t kn, vn;
	int ret;

	if (!eq)
		return pst_why(rd, l->no, "expected name=value");
	kn = (size_t)(eq - l->s);
	v = eq + 1;
	vn = l->len - kn - 1;
	pst_trim(&k, &kn);
	pst_trim(&v, &vn);
	ret = pst_facts_source(rd, l, &k, &kn, &src);
	if (ret)
		return ret;
	if (kn == 0 || kn > PST_NAME_MAX)
		return pst_why(rd, l->no, "expected name=value with a fact name");
	memcpy(name, k, kn);
	name[kn] = '\0';
	if (!strcmp(name, PST_COLLECTED_AT))
		return pst_read_collected(rd, l, v, vn);
	if (!pst_fact_known(name))
		return pst_why(rd, l->no, "unknown fact '%s'", name);
	return pst_read_fact(rd, l, name, vn ? v : NULL, vn, src);
}

int pst_facts_file_parse(const char *buf, size_t len, enum pst_source src, time_t now,
			 struct pst_facts *facts, char *err, size_t errlen)
{
	struct pst_read rd;
	struct pst_line l = { .no = 0 };
	const char *s;
	size_t pos = 0, n;
	int ret;

	pst_read_init(&rd, err, errlen);
	ret = pst_input_check(&rd, buf, len, "facts file");
	while (!ret && pst_next_line(buf, len, &pos, &l)) {
		s = l.s;
		n = l.len;
		pst_trim(&s, &n);
		if (n == 0 || s[0] == '#')
			continue;
		ret = pst_facts_line(&rd, &l, src);
	}
	if (!ret)
		ret = pst_read_commit(&rd, src, now, facts);
	return ret;
}
