/* SPDX-License-Identifier: MIT */
/*
 * The fleet report's formats (fleet.h). Each section is built once as a
 * table of typed cells (a count, a share, a time, a duration, text), and
 * each format renders the same tables: text aligned for a terminal, CSV
 * with the section's name in the first column of every row (so that
 * `grep ^reasons,` cuts one table out), JSON as one object, and HTML as one
 * self-contained page whose charts are SVG drawn here.
 *
 * The page must open from disk on a machine with no network, under a
 * browser that runs no script: no script at all, no external style sheet,
 * font or image; tooltips are SVG <title> elements. Every string from the
 * log is escaped for the format it goes into (a device's reason is outside
 * input).
 */
#include "posture/fleet.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/macros.h"
#include "common/time.h"

enum fo_kind {
	FO_NULL,	/* "-", empty, null */
	FO_TEXT,
	FO_NUM,
	FO_PCT,		/* a share, one decimal */
	FO_TIME,	/* RFC 3339 */
	FO_BUCKET,	/* a day, or an hour when the report is by hour */
	FO_DUR,		/* seconds; "3d 4h" in text */
	FO_SHA,		/* a hash; 12 digits in text and HTML */
	FO_BOOL,
};

struct fo_cell {
	enum fo_kind k;
	const char *s;
	int64_t i;
	double d;
};

struct fo_col {
	const char *key;	/* JSON member and CSV header */
	const char *head;	/* text and HTML header */
	bool not_text;		/* too wide for a terminal: left out of the text */
};

struct fo_table {
	const char *key, *title;
	const struct fo_col *cols;
	size_t ncols, rows, cap;
	struct fo_cell *c;
	bool single;		/* one row: an object, not an array */
	bool hourly;
	bool oom;
};

#define FO_CELL_MAX	(PST_AUDIT_REASON_MAX + 64)

/* ---- building tables ---- */

static void fo_init(struct fo_table *t, const char *key, const char *title,
		    const struct fo_col *cols, size_t ncols, bool hourly)
{
	memset(t, 0, sizeof(*t));
	t->key = key;
	t->title = title;
	t->cols = cols;
	t->ncols = ncols;
	t->hourly = hourly;
}

/* The next row's cells, all FO_NULL; NULL when out of memory. */
static struct fo_cell *fo_row(struct fo_table *t)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct fo_cell *c = realloc(t->c, cap * t->ncols * sizeof(*c));

		if (!c) {
			t->oom = true;
			return NULL;
		}
		t->c = c;
		t->cap = cap;
	}
	memset(&t->c[t->rows * t->ncols], 0, t->ncols * sizeof(*t->c));
	return &t->c[t->rows++ * t->ncols];
}

static void fo_free(struct fo_table *t)
{
	free(t->c);
	t->c = NULL;
}

static struct fo_cell fo_num(int64_t v)
{
	return (struct fo_cell){ .k = FO_NUM, .i = v };
}

static struct fo_cell fo_text(const char *s)
{
	return (struct fo_cell){ .k = s ? FO_TEXT : FO_NULL, .s = s };
}

static struct fo_cell fo_kind(enum fo_kind k, int64_t v)
{
	return (struct fo_cell){ .k = k, .i = v };
}

static struct fo_cell fo_pct(uint64_t part, uint64_t whole)
{
	if (!whole)
		return (struct fo_cell){ .k = FO_NULL };
	return (struct fo_cell){ .k = FO_PCT, .d = 100.0 * (double)part / (double)whole };
}

static uint64_t total3(const uint64_t n[PST_V_N])
{
	return n[PST_ALLOW] + n[PST_QUARANTINE] + n[PST_DENY];
}

/* ---- the sections ---- */

static const struct fo_col overview_cols[] = {
	{ "from", "from", false }, { "until", "until", false }, { "bucket", "shown by", false },
	{ "lines", "lines read", false }, { "records", "records in range", false },
	{ "before", "records before (spells only)", false }, { "after", "records after (skipped)", false },
	{ "bad", "bad lines", false }, { "devices", "devices", false },
	{ "quarantined_now", "quarantined now", false }, { "denied_now", "denied now", false },
	{ "not_allowed_first_half_pct", "not allowed, first half %", false },
	{ "not_allowed_second_half_pct", "not allowed, second half %", false },
	{ "trend", "trend", false },
};

static const char *fo_trend(const struct pst_fleet *fl)
{
	if (fl->share_first < 0 || fl->share_second < 0)
		return "not enough records";
	if (fl->share_second < fl->share_first - 0.5)
		return "better";
	if (fl->share_second > fl->share_first + 0.5)
		return "worse";
	return "unchanged";
}

static void fo_overview(struct fo_table *t, const struct pst_fleet *fl)
{
	struct fo_cell *c;

	fo_init(t, "overview", "Overview", overview_cols, CM_ARRAY_SIZE(overview_cols),
		fl->hourly);
	t->single = true;
	if (!(c = fo_row(t)))
		return;
	c[0] = fo_kind(FO_TIME, fl->start);
	c[1] = fo_kind(FO_TIME, fl->end);
	c[2] = fo_text(fl->hourly ? "hour" : "day");
	c[3] = fo_num((int64_t)fl->lines);
	c[4] = fo_num((int64_t)fl->in_range);
	c[5] = fo_num((int64_t)fl->before);
	c[6] = fo_num((int64_t)fl->after);
	c[7] = fo_num((int64_t)fl->bad);
	c[8] = fo_num((int64_t)fl->devices);
	c[9] = fo_num((int64_t)fl->devices_out[PST_QUARANTINE]);
	c[10] = fo_num((int64_t)fl->devices_out[PST_DENY]);
	if (fl->share_first >= 0)
		c[11] = (struct fo_cell){ .k = FO_PCT, .d = fl->share_first };
	if (fl->share_second >= 0)
		c[12] = (struct fo_cell){ .k = FO_PCT, .d = fl->share_second };
	c[13] = fo_text(fo_trend(fl));
}

static const struct fo_col verdict_cols[] = {
	{ "verdict", "verdict", false }, { "decisions", "decisions", false }, { "share_pct", "share %", false },
	{ "devices_now", "devices now", false },
};

static void fo_verdicts(struct fo_table *t, const struct pst_fleet *fl)
{
	static const enum pst_verdict vs[] = { PST_ALLOW, PST_QUARANTINE, PST_DENY };
	uint64_t all = total3(fl->n), out = fl->devices_out[PST_QUARANTINE] +
					     fl->devices_out[PST_DENY];
	struct fo_cell *c;

	fo_init(t, "verdicts", "Decisions by verdict", verdict_cols, CM_ARRAY_SIZE(verdict_cols),
		fl->hourly);
	for (size_t i = 0; i < CM_ARRAY_SIZE(vs) && (c = fo_row(t)); i++) {
		c[0] = fo_text(pst_verdict_name(vs[i]));
		c[1] = fo_num((int64_t)fl->n[vs[i]]);
		c[2] = fo_pct(fl->n[vs[i]], all);
		c[3] = fo_num((int64_t)(vs[i] == PST_ALLOW ? fl->devices - out :
					fl->devices_out[vs[i]]));
	}
	if ((c = fo_row(t))) {
		c[0] = fo_text("total");
		c[1] = fo_num((int64_t)all);
		c[2] = fo_pct(all, all);
		c[3] = fo_num((int64_t)fl->devices);
	}
}

static const struct fo_col time_cols[] = {
	{ "start", "start", false }, { "allow", "allow", false }, { "quarantine", "quarantine", false },
	{ "deny", "deny", false }, { "not_allowed_pct", "not allowed %", false },
	{ "devices", "devices", false }, { "devices_not_allowed", "devices not allowed", false },
};

static void fo_over_time(struct fo_table *t, const struct pst_fleet *fl)
{
	struct fo_cell *c;

	fo_init(t, "over_time", fl->hourly ? "Verdicts by hour" : "Verdicts by day", time_cols,
		CM_ARRAY_SIZE(time_cols), fl->hourly);
	for (size_t i = 0; i < fl->n_buckets && (c = fo_row(t)); i++) {
		const struct pst_fleet_bucket *b = &fl->buckets[i];

		c[0] = fo_kind(FO_BUCKET, b->start);
		c[1] = fo_num((int64_t)b->n[PST_ALLOW]);
		c[2] = fo_num((int64_t)b->n[PST_QUARANTINE]);
		c[3] = fo_num((int64_t)b->n[PST_DENY]);
		c[4] = fo_pct(b->n[PST_QUARANTINE] + b->n[PST_DENY], total3(b->n));
		c[5] = fo_num((int64_t)b->devices);
		c[6] = fo_num((int64_t)b->devices_out);
	}
}

static const struct fo_col reason_cols[] = {
	{ "decisions", "decisions", false }, { "quarantine", "quarantine", false }, { "deny", "deny", false },
	{ "devices_now", "devices now", false }, { "reason", "failed check", false },
	{ "example", "as written (first seen)", true },
};

/* Reasons that refused at least one decision in range, or hold a device out now. */
static void fo_reasons(struct fo_table *t, const struct pst_fleet *fl, size_t top)
{
	struct fo_cell *c;

	fo_init(t, "reasons", "Top quarantine and deny reasons", reason_cols,
		CM_ARRAY_SIZE(reason_cols), fl->hourly);
	for (size_t i = 0; i < fl->reasons.n && t->rows < top; i++) {
		const struct pst_tally *r = fl->reasons.v[i];

		if (!r->n[PST_QUARANTINE] && !r->n[PST_DENY] && !r->devices_out)
			continue;
		if (!(c = fo_row(t)))
			return;
		c[0] = fo_num((int64_t)(r->n[PST_QUARANTINE] + r->n[PST_DENY]));
		c[1] = fo_num((int64_t)r->n[PST_QUARANTINE]);
		c[2] = fo_num((int64_t)r->n[PST_DENY]);
		c[3] = fo_num((int64_t)r->devices_out);
		c[4] = fo_text(r->name);
		c[5] = fo_text(r->example);
	}
}

static const struct fo_col spell_cols[] = {
	{ "device", "device", false }, { "group", "group", false }, { "platform", "platform", false },
	{ "verdict", "latest", false }, { "since", "out since", false }, { "until", "back in", false },
	{ "duration_s", "for", false }, { "still_out", "still out", false }, { "reason", "latest reason", false },
};

static void fo_spells(struct fo_table *t, const struct pst_fleet *fl)
{
	struct fo_cell *c;

	fo_init(t, "longest_out", "Longest out of compliance", spell_cols,
		CM_ARRAY_SIZE(spell_cols), fl->hourly);
	for (size_t i = 0; i < fl->n_spells && (c = fo_row(t)); i++) {
		const struct pst_fleet_spell *s = &fl->spells[i];
		const struct pst_fleet_dev *d = s->dev;

		c[0] = fo_text(d->id);
		c[1] = fo_text(d->group ? d->group->name : NULL);
		c[2] = fo_text(d->platform ? d->platform->name : NULL);
		c[3] = fo_text(pst_verdict_name(d->last));
		c[4] = fo_kind(FO_TIME, s->start);
		if (!s->ongoing)
			c[5] = fo_kind(FO_TIME, s->end);
		c[6] = fo_kind(FO_DUR, s->end - s->start);
		c[7] = fo_kind(FO_BOOL, s->ongoing);
		if (s->ongoing && d->n_reasons)
			c[8] = fo_text(d->reasons[0]->name);
	}
}

static const struct fo_col breakdown_cols[] = {
	{ "name", "name", false }, { "devices", "devices", false }, { "devices_not_allowed", "not allowed now", false },
	{ "decisions", "decisions", false }, { "allow", "allow", false }, { "quarantine", "quarantine", false },
	{ "deny", "deny", false }, { "not_allowed_pct", "not allowed %", false },
};

static void fo_breakdown(struct fo_table *t, const struct pst_fleet *fl,
			 const struct pst_tally_set *s, const char *key, const char *title)
{
	struct fo_cell *c;

	fo_init(t, key, title, breakdown_cols, CM_ARRAY_SIZE(breakdown_cols), fl->hourly);
	for (size_t i = 0; i < s->n && (c = fo_row(t)); i++) {
		const struct pst_tally *x = s->v[i];

		c[0] = fo_text(x->name);
		c[1] = fo_num((int64_t)x->devices);
		c[2] = fo_num((int64_t)x->devices_out);
		c[3] = fo_num((int64_t)total3(x->n));
		c[4] = fo_num((int64_t)x->n[PST_ALLOW]);
		c[5] = fo_num((int64_t)x->n[PST_QUARANTINE]);
		c[6] = fo_num((int64_t)x->n[PST_DENY]);
		c[7] = fo_pct(x->n[PST_QUARANTINE] + x->n[PST_DENY], total3(x->n));
	}
}

static const struct fo_col policy_cols[] = {
	{ "sha256", "sha256", false }, { "first", "first decision", false }, { "last", "last decision", false },
	{ "decisions", "decisions", false }, { "allow", "allow", false }, { "quarantine", "quarantine", false },
	{ "deny", "deny", false }, { "path", "path", false },
};

static void fo_policies(struct fo_table *t, const struct pst_fleet *fl)
{
	struct fo_cell *c;

	fo_init(t, "policies", "Policies in force", policy_cols, CM_ARRAY_SIZE(policy_cols),
		fl->hourly);
	for (size_t i = 0; i < fl->policies.n && (c = fo_row(t)); i++) {
		const struct pst_tally *x = fl->policies.v[i];

		c[0] = (struct fo_cell){ .k = FO_SHA, .s = x->name };
		c[1] = fo_kind(FO_TIME, x->first);
		c[2] = fo_kind(FO_TIME, x->last);
		c[3] = fo_num((int64_t)total3(x->n));
		c[4] = fo_num((int64_t)x->n[PST_ALLOW]);
		c[5] = fo_num((int64_t)x->n[PST_QUARANTINE]);
		c[6] = fo_num((int64_t)x->n[PST_DENY]);
		c[7] = fo_text(x->example);
	}
}

static const struct fo_col bad_cols[] = {
	{ "file", "file", false }, { "line", "line", false }, { "why", "why", false },
};

static void fo_bad(struct fo_table *t, const struct pst_fleet *fl)
{
	uint64_t shown = fl->bad < PST_FLEET_BAD_SHOWN ? fl->bad : PST_FLEET_BAD_SHOWN;
	struct fo_cell *c;

	fo_init(t, "bad_lines", "Bad lines", bad_cols, CM_ARRAY_SIZE(bad_cols), fl->hourly);
	for (size_t i = 0; i < shown && (c = fo_row(t)); i++) {
		c[0] = fo_text(fl->bad_shown[i].file);
		c[1] = fo_num((int64_t)fl->bad_shown[i].line);
		c[2] = fo_text(fl->bad_shown[i].why);
	}
}

static const struct fo_col event_cols[] = {
	{ "event", "event", false }, { "decisions", "decisions", false }, { "allow", "allow", false },
	{ "quarantine", "quarantine", false }, { "deny", "deny", false }, { "not_allowed_pct", "not allowed %", false },
};

/* What led to the decisions: logins, or re-evaluations after a reload or an
 * inventory change. */
static void fo_events(struct fo_table *t, const struct pst_fleet *fl)
{
	struct fo_cell *c;

	fo_init(t, "events", "Decisions by event", event_cols, CM_ARRAY_SIZE(event_cols),
		fl->hourly);
	for (size_t i = 0; i < fl->events.n && (c = fo_row(t)); i++) {
		const struct pst_tally *x = fl->events.v[i];

		c[0] = fo_text(x->name);
		c[1] = fo_num((int64_t)total3(x->n));
		c[2] = fo_num((int64_t)x->n[PST_ALLOW]);
		c[3] = fo_num((int64_t)x->n[PST_QUARANTINE]);
		c[4] = fo_num((int64_t)x->n[PST_DENY]);
		c[5] = fo_pct(x->n[PST_QUARANTINE] + x->n[PST_DENY], total3(x->n));
	}
}

enum {
	T_OVERVIEW, T_VERDICTS, T_EVENTS, T_TIME, T_REASONS, T_SPELLS, T_PLATFORMS, T_GROUPS,
	T_OWNERSHIPS, T_POLICIES, T_BAD, T_N
};

static void fo_build(struct fo_table t[T_N], const struct pst_fleet *fl)
{
	fo_overview(&t[T_OVERVIEW], fl);
	fo_verdicts(&t[T_VERDICTS], fl);
	fo_events(&t[T_EVENTS], fl);
	fo_over_time(&t[T_TIME], fl);
	fo_reasons(&t[T_REASONS], fl, fl->o.top);
	fo_spells(&t[T_SPELLS], fl);
	fo_breakdown(&t[T_PLATFORMS], fl, &fl->platforms, "platforms", "By platform (os.name)");
	fo_breakdown(&t[T_GROUPS], fl, &fl->groups, "groups", "By group");
	fo_breakdown(&t[T_OWNERSHIPS], fl, &fl->ownerships, "ownerships", "By ownership");
	fo_policies(&t[T_POLICIES], fl);
	fo_bad(&t[T_BAD], fl);
}

/* ---- cells as text ---- */

static void fo_duration(int64_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%" PRId64 "d %" PRId64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRId64 "h %" PRId64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else
		snprintf(buf, len, "%" PRId64 "s", s);
}

/* "2026-11-01" or, by hour, "2026-11-01 13:00". */
static void fo_bucket(time_t t, bool hourly, char *buf, size_t len)
{
	char iso[CM_TIME_BUF];

	if (cm_time_format(t, iso, sizeof(iso))) {
		snprintf(buf, len, "-");
		return;
	}
	if (hourly)
		snprintf(buf, len, "%.10s %.5s", iso, iso + 11);
	else
		snprintf(buf, len, "%.10s", iso);
}

/* A cell for people (text, HTML): short hashes, durations in days. With
 * plain (CSV), every value as a program reads it back. */
static const char *fo_cell_str(const struct fo_table *t, const struct fo_cell *c, bool plain,
			       char *buf, size_t len)
{
	switch (c->k) {
	case FO_NULL:
		return plain ? "" : "-";
	case FO_TEXT:
		return c->s;
	case FO_SHA:
		snprintf(buf, len, plain ? "%s" : "%.12s", c->s);
		return buf;
	case FO_NUM:
		snprintf(buf, len, "%" PRId64, c->i);
		return buf;
	case FO_PCT:
		snprintf(buf, len, "%.1f", c->d);
		return buf;
	case FO_TIME:
		if (cm_time_format((time_t)c->i, buf, len))
			snprintf(buf, len, "-");
		return buf;
	case FO_BUCKET:
		if (plain)
			return cm_time_format((time_t)c->i, buf, len) ? "" : buf;
		fo_bucket((time_t)c->i, t->hourly, buf, len);
		return buf;
	case FO_DUR:
		if (plain)
			snprintf(buf, len, "%" PRId64, c->i);
		else
			fo_duration(c->i, buf, len);
		return buf;
	case FO_BOOL:
		return c->i ? "yes" : "no";
	}
	return "";
}

static bool fo_right(const struct fo_cell *c)
{
	return c->k == FO_NUM || c->k == FO_PCT || c->k == FO_DUR;
}

/* Columns on a terminal: UTF-8 characters, not bytes. */
static size_t fo_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* ---- text ---- */

static void text_pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

static void text_single(FILE *f, const struct fo_table *t)
{
	char buf[FO_CELL_MAX];
	size_t w = 0;

	for (size_t k = 0; k < t->ncols; k++)
		if (fo_width(t->cols[k].head) > w)
			w = fo_width(t->cols[k].head);
	for (size_t k = 0; t->rows && k < t->ncols; k++) {
		fprintf(f, "  %s:", t->cols[k].head);
		text_pad(f, w - fo_width(t->cols[k].head) + 1);
		fprintf(f, "%s\n", fo_cell_str(t, &t->c[k], false, buf, sizeof(buf)));
	}
}

static void text_widths(const struct fo_table *t, size_t *w)
{
	char buf[FO_CELL_MAX];

	for (size_t k = 0; k < t->ncols; k++)
		w[k] = fo_width(t->cols[k].head);
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t k = 0; k < t->ncols; k++) {
			size_t n = fo_width(fo_cell_str(t, &t->c[r * t->ncols + k], false, buf,
							sizeof(buf)));

			if (n > w[k])
				w[k] = n;
		}
	}
}

/* One cell padded to its column; the last column is not padded on the right. */
static void text_cell(FILE *f, const char *s, size_t w, bool right, bool last)
{
	size_t n = fo_width(s);

	if (right)
		text_pad(f, w - n);
	fputs(s, f);
	if (!right && !last)
		text_pad(f, w - n);
}

static void text_table(FILE *f, const struct fo_table *t)
{
	size_t w[16], last;
	char buf[FO_CELL_MAX];

	fprintf(f, "\n%s\n", t->title);
	if (t->single) {
		text_single(f, t);
		return;
	}
	if (!t->rows) {
		fputs("  (none)\n", f);
		return;
	}
	text_widths(t, w);
	last = t->ncols - 1;
	while (last && t->cols[last].not_text)
		last--;
	for (size_t k = 0; k <= last; k++) {
		fputs("  ", f);
		text_cell(f, t->cols[k].head, w[k], fo_right(&t->c[k]), k == last);
	}
	fputc('\n', f);
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t k = 0; k <= last; k++) {
			const struct fo_cell *c = &t->c[r * t->ncols + k];

			fputs("  ", f);
			text_cell(f, fo_cell_str(t, c, false, buf, sizeof(buf)), w[k], fo_right(c),
				  k == last);
		}
		fputc('\n', f);
	}
}

static void write_text(FILE *f, const struct pst_fleet *fl, const struct fo_table *t)
{
	fputs("Postern fleet posture report\n", f);
	for (size_t i = 0; i < T_N; i++) {
		if (i == T_BAD && !fl->bad)
			continue;
		text_table(f, &t[i]);
		if (i == T_BAD && fl->bad > t[i].rows)
			fprintf(f, "  ... and %" PRIu64 " more (%" PRIu64 " bad lines in all)\n",
				fl->bad - t[i].rows, fl->bad);
	}
}

/* ---- CSV ---- */

/* RFC 4180: quoted when it holds a comma, a quote or a line end. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_table(FILE *f, const struct fo_table *t)
{
	char buf[FO_CELL_MAX];

	fputs("section", f);
	for (size_t k = 0; k < t->ncols; k++) {
		fputc(',', f);
		csv_field(f, t->cols[k].key);
	}
	fputs("\r\n", f);
	for (size_t r = 0; r < t->rows; r++) {
		fputs(t->key, f);
		for (size_t k = 0; k < t->ncols; k++) {
			fputc(',', f);
			csv_field(f, fo_cell_str(t, &t->c[r * t->ncols + k], true, buf, sizeof(buf)));
		}
		fputs("\r\n", f);
	}
}

static void write_csv(FILE *f, const struct fo_table *t)
{
	for (size_t i = 0; i < T_N; i++) {
		if (i)
			fputs("\r\n", f);
		csv_table(f, &t[i]);
	}
}

/* ---- JSON ---- */

static void json_cell(struct cm_json *j, const struct fo_cell *c)
{
	switch (c->k) {
	case FO_NULL:
		cm_json_null(j);
		break;
	case FO_TEXT:
	case FO_SHA:
		cm_json_string(j, c->s);
		break;
	case FO_NUM:
	case FO_DUR:
		cm_json_int(j, c->i);
		break;
	case FO_PCT:
		cm_json_fixed(j, c->d, 1);
		break;
	case FO_TIME:
	case FO_BUCKET:
		cm_json_time(j, (time_t)c->i);
		break;
	case FO_BOOL:
		cm_json_bool(j, c->i);
		break;
	}
}

static void json_row(struct cm_json *j, const struct fo_table *t, size_t r)
{
	cm_json_object_begin(j);
	for (size_t k = 0; k < t->ncols; k++) {
		cm_json_key(j, t->cols[k].key);
		json_cell(j, &t->c[r * t->ncols + k]);
	}
	cm_json_object_end(j);
}

static void write_json(FILE *f, const struct pst_fleet *fl, const struct fo_table *t)
{
	struct cm_json j;

	cm_json_init(&j, f, CM_JSON_SPACED);
	cm_json_object_begin(&j);
	for (size_t i = 0; i < T_N; i++) {
		cm_json_key(&j, t[i].key);
		if (t[i].single) {
			json_row(&j, &t[i], 0);
			continue;
		}
		cm_json_array_begin(&j);
		for (size_t r = 0; r < t[i].rows; r++)
			json_row(&j, &t[i], r);
		cm_json_array_end(&j);
	}
	cm_json_key(&j, "bad_lines_total");
	cm_json_uint(&j, fl->bad);
	cm_json_object_end(&j);
	fputc('\n', f);
}

/* ---- HTML: one page, inline CSS and SVG, no script ---- */

#define SVG_W		960
#define SVG_LEFT	56
#define SVG_RIGHT	16
#define SVG_TOP		12
#define SVG_BOTTOM	44
#define SVG_LABELS_MAX	12	/* labels under a time axis */
#define HTML_LABEL_MAX	90	/* characters of a reason beside its bar */

static const char html_style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1000px;"
	"color:#222;background:#fff}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
	"border-bottom:1px solid #ddd}"
	".cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}"
	".card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:110px}"
	".card b{display:block;font-size:20px}"
	"table{border-collapse:collapse;margin:6px 0;font-size:13px}"
	"th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"th{background:#f5f5f5}"
	"svg{display:block;margin:4px 0}svg text{font-size:11px;fill:#444}"
	".a{fill:#3a9d5d}.q{fill:#e0a100}.d{fill:#d1495b}.grid{stroke:#e4e4e4}"
	".line{fill:none;stroke:#d1495b;stroke-width:2}"
	".legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}"
	".legend .a{background:#3a9d5d}.legend .q{background:#e0a100}"
	".legend .d{background:#d1495b}"
	".muted{color:#777}";

/* Escaped for text and attribute values; at most max characters (0: all),
 * an ellipsis marking the cut. */
static void html_put(FILE *f, const char *s, size_t max)
{
	size_t chars = 0;

	for (; *s; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80 && max && chars++ == max) {
			fputs("\xe2\x80\xa6", f);
			return;
		}
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* 1, 2 or 5 times a power of ten, at least v (and at least 1). */
static double html_nice(double v)
{
	double p = 1;

	while (p * 10 <= v)
		p *= 10;
	if (v <= p)
		return p;
	if (v <= 2 * p)
		return 2 * p;
	return v <= 5 * p ? 5 * p : 10 * p;
}

static void html_card(FILE *f, const char *label, const char *value)
{
	fputs("<div class=\"card\"><b>", f);
	html_put(f, value, 0);
	fputs("</b>", f);
	html_put(f, label, 0);
	fputs("</div>\n", f);
}

static void html_cards(FILE *f, const struct pst_fleet *fl, const struct fo_table *ov)
{
	static const size_t shown[] = { 8, 9, 10, 4, 7, 13 };
	char buf[FO_CELL_MAX];

	fputs("<div class=\"cards\">\n", f);
	for (size_t i = 0; i < CM_ARRAY_SIZE(shown) && ov->rows; i++)
		html_card(f, ov->cols[shown[i]].head,
			  fo_cell_str(ov, &ov->c[shown[i]], false, buf, sizeof(buf)));
	fputs("</div>\n", f);
}

static void html_legend(FILE *f)
{
	fputs("<div class=\"legend\"><span class=\"a\"></span>allow<span class=\"q\"></span>"
	      "quarantine<span class=\"d\"></span>deny</div>\n", f);
}

/* Horizontal grid lines and their values, 0 to ymax. */
static void svg_grid(FILE *f, double ymax, int h, const char *unit)
{
	int ph = h - SVG_TOP - SVG_BOTTOM;

	for (int g = 0; g <= 4; g++) {
		double y = SVG_TOP + ph - ph * g / 4.0;

		fprintf(f, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>",
			SVG_LEFT, SVG_W - SVG_RIGHT, y, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g%s</text>\n",
			SVG_LEFT - 6, y + 4, ymax * g / 4, unit);
	}
}

/* The bucket labels under a time axis, at most SVG_LABELS_MAX of them. */
static void svg_time_labels(FILE *f, const struct pst_fleet *fl, int h)
{
	double bw = (double)(SVG_W - SVG_LEFT - SVG_RIGHT) / (double)fl->n_buckets;
	size_t step = (fl->n_buckets + SVG_LABELS_MAX - 1) / SVG_LABELS_MAX;
	char label[32];

	for (size_t i = 0; i < fl->n_buckets; i += step ? step : 1) {
		fo_bucket(fl->buckets[i].start, fl->hourly, label, sizeof(label));
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			SVG_LEFT + bw * ((double)i + 0.5), h - SVG_BOTTOM + 16, label);
	}
}

static void svg_open(FILE *f, int h, const char *label)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", SVG_W, h, SVG_W, h);
	html_put(f, label, 0);
	fputs("\">\n", f);
}

/* One bucket's stacked bar: allow at the bottom, then quarantine, then deny. */
static void svg_stack(FILE *f, const struct pst_fleet *fl, size_t i, double bw, double ymax,
		      int ph)
{
	static const char *const cls[] = { "a", "q", "d" };
	const struct pst_fleet_bucket *b = &fl->buckets[i];
	double x = SVG_LEFT + bw * (double)i, y = SVG_TOP + ph;
	char label[32];

	fo_bucket(b->start, fl->hourly, label, sizeof(label));
	fprintf(f, "<g><title>%s: allow %" PRIu64 ", quarantine %" PRIu64 ", deny %" PRIu64
		"</title>", label, b->n[0], b->n[1], b->n[2]);
	for (int v = 0; v < PST_V_N; v++) {
		double hgt = ph * (double)b->n[v] / ymax;

		if (!b->n[v])
			continue;
		y -= hgt;
		fprintf(f, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
			"height=\"%.2f\"/>", cls[v], x, y, bw > 2 ? bw * 0.85 : bw, hgt);
	}
	fputs("</g>\n", f);
}

static void html_time_chart(FILE *f, const struct pst_fleet *fl)
{
	int h = 280, ph = h - SVG_TOP - SVG_BOTTOM;
	double bw = (double)(SVG_W - SVG_LEFT - SVG_RIGHT) / (double)fl->n_buckets, max = 0;

	for (size_t i = 0; i < fl->n_buckets; i++)
		if ((double)total3(fl->buckets[i].n) > max)
			max = (double)total3(fl->buckets[i].n);
	max = html_nice(max);
	svg_open(f, h, "decisions by verdict over time");
	svg_grid(f, max, h, "");
	for (size_t i = 0; i < fl->n_buckets; i++)
		svg_stack(f, fl, i, bw, max, ph);
	svg_time_labels(f, fl, h);
	fputs("</svg>\n", f);
	html_legend(f);
}

/* The share of decisions not allowed, per bucket with decisions. */
static void html_share_chart(FILE *f, const struct pst_fleet *fl)
{
	int h = 200, ph = h - SVG_TOP - SVG_BOTTOM;
	double bw = (double)(SVG_W - SVG_LEFT - SVG_RIGHT) / (double)fl->n_buckets, max = 0;

	for (size_t i = 0; i < fl->n_buckets; i++) {
		const struct pst_fleet_bucket *b = &fl->buckets[i];
		double pct = total3(b->n) ? 100.0 * (double)(b->n[1] + b->n[2]) /
					   (double)total3(b->n) : 0;

		if (pct > max)
			max = pct;
	}
	max = max > 50 ? 100 : html_nice(max);
	svg_open(f, h, "share of decisions not allowed over time");
	svg_grid(f, max, h, "%");
	fputs("<polyline class=\"line\" points=\"", f);
	for (size_t i = 0; i < fl->n_buckets; i++) {
		const struct pst_fleet_bucket *b = &fl->buckets[i];

		if (!total3(b->n))
			continue;
		fprintf(f, "%.1f,%.1f ", SVG_LEFT + bw * ((double)i + 0.5),
			SVG_TOP + ph - ph * (100.0 * (double)(b->n[1] + b->n[2]) /
					     (double)total3(b->n)) / max);
	}
	fputs("\"/>\n", f);
	svg_time_labels(f, fl, h);
	fputs("</svg>\n", f);
}

/* A reason's bar, its words above it. */
static void svg_reason(FILE *f, const struct pst_tally *r, int y, double max)
{
	uint64_t n = r->n[PST_QUARANTINE] + r->n[PST_DENY];
	double w = (SVG_W - 120) * (double)n / max;

	fputs("<g><title>", f);
	html_put(f, r->name, 0);
	fprintf(f, "</title><text x=\"0\" y=\"%d\">", y + 11);
	html_put(f, r->name, HTML_LABEL_MAX);
	fprintf(f, "</text><rect class=\"q\" x=\"0\" y=\"%d\" width=\"%.1f\" height=\"12\"/>"
		"<text x=\"%.1f\" y=\"%d\">%" PRIu64 " (%" PRIu64 " devices now)</text></g>\n",
		y + 15, w, w + 6, y + 25, n, r->devices_out);
}

static void html_reason_chart(FILE *f, const struct fo_table *t, const struct pst_fleet *fl)
{
	double max = 1;
	int row = 0;

	if (!t->rows)
		return;
	max = (double)t->c[0].i > max ? (double)t->c[0].i : max;
	svg_open(f, (int)t->rows * 34 + 4, "top quarantine and deny reasons");
	for (size_t i = 0; i < fl->reasons.n && (size_t)row < t->rows; i++) {
		const struct pst_tally *r = fl->reasons.v[i];

		if (!r->n[PST_QUARANTINE] && !r->n[PST_DENY] && !r->devices_out)
			continue;
		svg_reason(f, r, row++ * 34, max);
	}
	fputs("</svg>\n", f);
}

/* Stacked horizontal bars of decisions by verdict, one per key of a table. */
static void html_breakdown_chart(FILE *f, const struct pst_tally_set *s, const char *label)
{
	static const char *const cls[] = { "a", "q", "d" };
	size_t n = s->n < 12 ? s->n : 12;
	double max = 1;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		if ((double)total3(s->v[i]->n) > max)
			max = (double)total3(s->v[i]->n);
	svg_open(f, (int)n * 24 + 4, label);
	for (size_t i = 0; i < n; i++) {
		const struct pst_tally *t = s->v[i];
		double x = 170;
		int y = (int)i * 24;

		fprintf(f, "<g><title>%s</title><text x=\"0\" y=\"%d\">", label, y + 14);
		html_put(f, t->name, 24);
		fputs("</text>", f);
		for (int v = 0; v < PST_V_N; v++) {
			double w = (SVG_W - 300) * (double)t->n[v] / max;

			fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
				"height=\"16\"/>", cls[v], x, y + 2, w);
			x += w;
		}
		fprintf(f, "<text x=\"%.1f\" y=\"%d\">%" PRIu64 " / %" PRIu64 " / %" PRIu64
			"</text></g>\n", x + 6, y + 14, t->n[0], t->n[1], t->n[2]);
	}
	fputs("</svg>\n", f);
}

/* A one-row table as name and value lines. */
static void html_single(FILE *f, const struct fo_table *t)
{
	char buf[FO_CELL_MAX];

	fputs("<table>\n", f);
	for (size_t k = 0; k < t->ncols; k++) {
		fputs("<tr><th>", f);
		html_put(f, t->cols[k].head, 0);
		fputs(fo_right(&t->c[k]) ? "</th><td class=\"n\">" : "</th><td>", f);
		html_put(f, fo_cell_str(t, &t->c[k], false, buf, sizeof(buf)), 0);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void html_table(FILE *f, const struct fo_table *t)
{
	char buf[FO_CELL_MAX];

	if (t->single) {
		html_single(f, t);
		return;
	}
	fputs("<table>\n<tr>", f);
	for (size_t k = 0; k < t->ncols; k++) {
		fputs("<th>", f);
		html_put(f, t->cols[k].head, 0);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t r = 0; r < t->rows; r++) {
		fputs("<tr>", f);
		for (size_t k = 0; k < t->ncols; k++) {
			const struct fo_cell *c = &t->c[r * t->ncols + k];

			fputs(fo_right(c) ? "<td class=\"n\">" : "<td>", f);
			html_put(f, fo_cell_str(t, c, false, buf, sizeof(buf)), 0);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void html_section(FILE *f, const struct fo_table *t)
{
	fputs("<h2>", f);
	html_put(f, t->title, 0);
	fputs("</h2>\n", f);
	if (t->rows)
		html_table(f, t);
	else
		fputs("<p class=\"muted\">None.</p>\n", f);
}

static void html_head(FILE *f, const struct pst_fleet *fl, const struct fo_table *ov)
{
	char from[CM_TIME_BUF] = "-", until[CM_TIME_BUF] = "-";

	cm_time_format(fl->start, from, sizeof(from));
	cm_time_format(fl->end, until, sizeof(until));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>Postern fleet posture report</title>\n<style>", f);
	fputs(html_style, f);
	fprintf(f, "</style>\n</head>\n<body>\n<h1>Postern fleet posture report</h1>\n"
		"<p class=\"muted\">%s to %s, by %s; %" PRIu64 " lines read, %" PRIu64
		" bad</p>\n", from, until, fl->hourly ? "hour" : "day", fl->lines, fl->bad);
	html_cards(f, fl, ov);
}

static void write_html(FILE *f, const struct pst_fleet *fl, const struct fo_table *t)
{
	html_head(f, fl, &t[T_OVERVIEW]);
	fprintf(f, "<h2>%s</h2>\n", t[T_TIME].title);
	if (fl->n_buckets) {
		html_time_chart(f, fl);
		fputs("<h2>Share of decisions not allowed</h2>\n", f);
		html_share_chart(f, fl);
	} else {
		fputs("<p class=\"muted\">No decisions in the range.</p>\n", f);
	}
	fputs("<h2>Top quarantine and deny reasons</h2>\n", f);
	html_reason_chart(f, &t[T_REASONS], fl);
	fputs("<h2>Decisions by platform (allow / quarantine / deny)</h2>\n", f);
	html_breakdown_chart(f, &fl->platforms, "by platform");
	fputs("<h2>Decisions by group (allow / quarantine / deny)</h2>\n", f);
	html_breakdown_chart(f, &fl->groups, "by group");
	for (size_t i = 0; i < T_N; i++)
		if (i != T_BAD || fl->bad)
			html_section(f, &t[i]);
	if (fl->bad > t[T_BAD].rows)
		fprintf(f, "<p class=\"muted\">... and %" PRIu64 " more bad lines.</p>\n",
			fl->bad - t[T_BAD].rows);
	fputs("</body>\n</html>\n", f);
}

/* ---- the entry points ---- */

int pst_fleet_format_parse(const char *s, enum pst_fleet_format *f)
{
	static const char *const names[] = { "text", "csv", "json", "html" };

	for (size_t i = 0; i < CM_ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			*f = (enum pst_fleet_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

int pst_fleet_write(const struct pst_fleet *fl, enum pst_fleet_format fmt, FILE *out)
{
	struct fo_table t[T_N];
	bool oom = false;

	fo_build(t, fl);
	for (size_t i = 0; i < T_N; i++)
		oom |= t[i].oom;
	if (oom) {
		/* Nothing half written. */
	} else if (fmt == PST_FLEET_TEXT) {
		write_text(out, fl, t);
	} else if (fmt == PST_FLEET_CSV) {
		write_csv(out, t);
	} else if (fmt == PST_FLEET_JSON) {
		write_json(out, fl, t);
	} else {
		write_html(out, fl, t);
	}
	for (size_t i = 0; i < T_N; i++)
		fo_free(&t[i]);
	return oom ? -ENOMEM : 0;
}
