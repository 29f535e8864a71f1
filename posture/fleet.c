/* SPDX-License-Identifier: MIT */
/*
 * The fleet report's gathering (fleet.h): audit records in, tallies out.
 *
 * Each record is applied in file order to its device (its spell out of
 * compliance: the first quarantine or deny after an allow starts one, the
 * next allow ends it), to the tables of its reasons, group, platform,
 * ownership, event and policy, and to its day and hour. A record before
 * --since still moves its device's spell, so that "out since" is the day a
 * device really fell out, not the first day of the range; it is counted
 * nowhere else. Records at or after --until are skipped.
 *
 * Reasons are tallied by the failed check, not by their words: "OS version
 * 11 is below the minimum 12 for linux" and "... 10 is below ..." are one
 * check, so numbers and quoted values are masked (pst_fleet_reason_key).
 */
#include "posture/fleet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/macros.h"
#include "common/time.h"

#define DAY_SECONDS	86400
#define FLEET_BUF	(4 * PST_FLEET_LINE_MAX)	/* the read buffer */
#define FLEET_SPAN_DAYS_MAX	3660	/* longer ranges list only days with records */
#define FLEET_NEVER	INT64_MIN

/* ---- tallies ---- */

static void tally_set_init(struct pst_tally_set *s, const char *other_name)
{
	memset(s, 0, sizeof(*s));
	s->other_name = other_name;
}

static void tally_free(struct pst_tally *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->example);
	free(t);
}

static void tally_set_free(struct pst_tally_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		tally_free(s->v[i]);
	tally_free(s->other);
	s->other = NULL;
	free(s->v);
	cm_htab_free(&s->h);
	s->v = NULL;
	s->n = s->cap = 0;
}

static struct pst_tally *tally_new(const char *name, size_t len)
{
	struct pst_tally *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->name = strndup(name, len);
	if (!t->name) {
		free(t);
		return NULL;
	}
	return t;
}

/* Appends p to the growable array *v of *n elements (*cap room). */
static int grow_push(void ***v, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		size_t cap2 = *cap ? *cap * 2 : 16;
		void **v2 = realloc(*v, cap2 * sizeof(**v));

		if (!v2)
			return -ENOMEM;
		*v = v2;
		*cap = cap2;
	}
	(*v)[(*n)++] = p;
	return 0;
}

static struct pst_tally *tally_find(const struct pst_tally_set *s, const char *name, size_t len)
{
	struct cm_hnode *n;

	for (n = cm_htab_first(&s->h, name, len); n; n = cm_htab_next(n)) {
		struct pst_tally *t = CM_CONTAINER_OF(n, struct pst_tally, node);

		if (!strncmp(t->name, name, len) && !t->name[len])
			return t;
	}
	return NULL;
}

/* The tally named name, made when new; past the cap, the set's "(other)". */
static struct pst_tally *tally_get(struct pst_tally_set *s, const char *name)
{
	size_t len = strlen(name);
	struct pst_tally *t = tally_find(s, name, len);

	if (t)
		return t;
	if (s->n >= PST_FLEET_KEYS_MAX) {
		if (!s->other)
			s->other = tally_new(s->other_name, strlen(s->other_name));
		return s->other;
	}
	t = tally_new(name, len);
	if (!t)
		return NULL;
	if (cm_htab_add(&s->h, &t->node, name, len) ||
	    grow_push((void ***)&s->v, &s->n, &s->cap, t)) {
		cm_htab_del(&s->h, &t->node);
		tally_free(t);
		return NULL;
	}
	return t;
}

/* Counts one decision of verdict v at time t. */
static void tally_count(struct pst_tally *t, enum pst_verdict v, time_t t_rec)
{
	if (t->n[PST_ALLOW] + t->n[PST_QUARANTINE] + t->n[PST_DENY] == 0 || t_rec < t->first)
		t->first = t_rec;
	if (t_rec > t->last)
		t->last = t_rec;
	t->n[v]++;
}

/* ---- reasons: the failed check without its particulars ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* A number, a version or a date: digits with dots, dashes, colons between. */
static size_t number_len(const char *s)
{
	size_t n = 0;

	while (is_digit(s[n]) || ((s[n] == '.' || s[n] == '-' || s[n] == ':') && is_digit(s[n + 1])))
		n++;
	return n;
}

/* A quoted value: 'x' opened after a blank or '(' (an apostrophe inside a
 * word, "certificate's", opens nothing). */
static size_t quoted_len(const char *s, const char *start)
{
	const char *close;

	if (*s != '\'' || (s > start && s[-1] != ' ' && s[-1] != '('))
		return 0;
	close = strchr(s + 1, '\'');
	return close ? (size_t)(close - s) + 1 : 0;
}

void pst_fleet_reason_key(const char *reason, char *out, size_t outlen)
{
	static const char ellipsis[] = "'\xe2\x80\xa6'";
	const char *s = reason;
	size_t o = 0, n, k;

	if (!outlen)
		return;
	while (*s && o + 1 < outlen) {
		const char *put = s;

		n = k = 1;
		if (is_digit(*s) && (s == reason || !is_alnum(s[-1])) && (n = number_len(s)))
			put = "#";
		else if ((n = quoted_len(s, reason)))
			put = ellipsis, k = sizeof(ellipsis) - 1;
		else
			n = 1;
		if (o + k >= outlen)
			break;
		memcpy(out + o, put, k);
		o += k;
		s += n;
	}
	out[o] = '\0';
}

/* ---- time arguments ---- */

int pst_fleet_time_arg(const char *s, bool end_of_day, time_t *out)
{
	int64_t days;

	if (strlen(s) == 10) {
		if (cm_date_parse(s, &days))
			return -EINVAL;
		*out = (time_t)((days + (end_of_day ? 1 : 0)) * DAY_SECONDS);
		return 0;
	}
	return cm_time_parse(s, out) ? -EINVAL : 0;
}

/* ---- devices and days ---- */

static struct pst_fleet_dev *dev_get(struct pst_fleet *fl, const char *id)
{
	size_t len = strlen(id);
	struct pst_fleet_dev *d;
	struct cm_hnode *n;

	for (n = cm_htab_first(&fl->dev_h, id, len); n; n = cm_htab_next(n)) {
		d = CM_CONTAINER_OF(n, struct pst_fleet_dev, node);
		if (!strcmp(d->id, id))
			return d;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	memcpy(d->id, id, len + 1);
	d->hour_seen = d->hour_out = d->day_seen = d->day_out = FLEET_NEVER;
	if (cm_htab_add(&fl->dev_h, &d->node, id, len) ||
	    grow_push((void ***)&fl->devs, &fl->n_devs, &fl->cap_devs, d)) {
		cm_htab_del(&fl->dev_h, &d->node);
		free(d);
		return NULL;
	}
	return d;
}

static struct pst_fleet_day *day_find(const struct pst_fleet *fl, int64_t day)
{
	struct cm_hnode *n;

	for (n = cm_htab_first(&fl->day_h, &day, sizeof(day)); n; n = cm_htab_next(n)) {
		struct pst_fleet_day *d = CM_CONTAINER_OF(n, struct pst_fleet_day, node);

		if (d->day == day)
			return d;
	}
	return NULL;
}

static struct pst_fleet_day *day_get(struct pst_fleet *fl, int64_t day)
{
	struct pst_fleet_day *d;

	/* Records come in time order: mostly the day of the one before. */
	if (fl->last_day && fl->last_day->day == day)
		return fl->last_day;
	d = day_find(fl, day);
	if (d)
		return fl->last_day = d;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->day = day;
	if (cm_htab_add(&fl->day_h, &d->node, &day, sizeof(day)) ||
	    grow_push((void ***)&fl->days, &fl->n_days, &fl->cap_days, d)) {
		cm_htab_del(&fl->day_h, &d->node);
		free(d);
		return NULL;
	}
	return fl->last_day = d;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* The record's day and hour, and its device counted once in each. */
static int fleet_day_count(struct pst_fleet *fl, struct pst_fleet_dev *dev, time_t t,
			   enum pst_verdict v)
{
	int64_t day = floor_div(t, DAY_SECONDS), hour = floor_div(t, 3600);
	struct pst_fleet_day *d = day_get(fl, day);
	int h = (int)(hour - day * 24);

	if (!d)
		return -ENOMEM;
	d->n[v]++;
	d->hn[h][v]++;
	if (dev->day_seen != day)
		d->devices++, dev->day_seen = day;
	if (dev->hour_seen != hour)
		d->hdevices[h]++, dev->hour_seen = hour;
	if (v != PST_ALLOW && dev->day_out != day)
		d->devices_out++, dev->day_out = day;
	if (v != PST_ALLOW && dev->hour_out != hour)
		d->hdevices_out[h]++, dev->hour_out = hour;
	return 0;
}

/* ---- one record ---- */

static const char *or_none(const char *s, const char *none)
{
	return s[0] ? s : none;
}

/* The tally named name; *cache, when it is that one already, costs no
 * lookup (a device keeps its group and platform, a log its policy). */
static struct pst_tally *tally_cached(struct pst_tally_set *s, struct pst_tally **cache,
				      const char *name)
{
	if (!*cache || *cache == s->other || strcmp((*cache)->name, name))
		*cache = tally_get(s, name);
	return *cache;
}

/* The device's latest group, platform, ownership and reasons. */
static int dev_describe(struct pst_fleet *fl, struct pst_fleet_dev *dev,
			const struct pst_audit_rec *r)
{
	char key[PST_AUDIT_REASON_MAX + 1];

	tally_cached(&fl->groups, &dev->group, or_none(r->group, "(none)"));
	tally_cached(&fl->platforms, &dev->platform, or_none(r->platform, "unknown"));
	tally_cached(&fl->ownerships, &dev->ownership, or_none(r->ownership, "unknown"));
	if (!dev->group || !dev->platform || !dev->ownership)
		return -ENOMEM;
	dev->n_reasons = 0;
	for (size_t i = 0; i < r->n_reasons; i++) {
		struct pst_tally *t;

		pst_fleet_reason_key(r->reasons[i], key, sizeof(key));
		t = tally_get(&fl->reasons, key);
		if (!t)
			return -ENOMEM;
		if (!t->example && t != fl->reasons.other && !(t->example = strdup(r->reasons[i])))
			return -ENOMEM;
		dev->reasons[dev->n_reasons++] = t;
	}
	return 0;
}

/* The spell out of compliance: started by the first refusal after an allow,
 * ended by the next allow; only a spell that ends in range is remembered. */
static void dev_spell(struct pst_fleet_dev *dev, time_t t, enum pst_verdict v, bool before)
{
	if (v != PST_ALLOW) {
		if (!dev->out)
			dev->out = true, dev->out_since = t;
		return;
	}
	if (!dev->out)
		return;
	dev->out = false;
	if (!before && (dev->spell_end == 0 || t - dev->out_since > dev->spell_end - dev->spell_start))
		dev->spell_start = dev->out_since, dev->spell_end = t;
}

/* A reason counted once per decision, even when two mask to one key. */
static void fleet_count_reasons(struct pst_fleet_dev *dev, enum pst_verdict v, time_t t)
{
	for (size_t i = 0; i < dev->n_reasons; i++) {
		size_t k;

		for (k = 0; k < i && dev->reasons[k] != dev->reasons[i]; k++)
			;
		if (k == i)
			tally_count(dev->reasons[i], v, t);
	}
}

static int fleet_count_policy(struct pst_fleet *fl, const struct pst_audit_rec *r)
{
	struct pst_tally *t = tally_cached(&fl->policies, &fl->last_policy,
					   or_none(r->policy_sha256, or_none(r->policy, "(none)")));

	if (!t)
		return -ENOMEM;
	if (!t->example && r->policy[0] && t != fl->policies.other &&
	    !(t->example = strdup(r->policy)))
		return -ENOMEM;
	tally_count(t, r->verdict, r->time);
	return 0;
}

static int fleet_count(struct pst_fleet *fl, struct pst_fleet_dev *dev,
		       const struct pst_audit_rec *r)
{
	enum pst_verdict v = r->verdict;
	struct pst_tally *ev = tally_cached(&fl->events, &fl->last_event,
					    or_none(r->event, "(none)"));

	if (!ev || fleet_count_policy(fl, r))
		return -ENOMEM;
	if (!fl->in_range || r->time < fl->first)
		fl->first = r->time;
	if (!fl->in_range || r->time > fl->last)
		fl->last = r->time;
	fl->in_range++;
	fl->n[v]++;
	if (!dev->in_range || r->time < dev->first_seen)
		dev->first_seen = r->time;
	if (!dev->in_range || r->time > dev->last_seen)
		dev->last_seen = r->time;
	dev->in_range = true;
	dev->n[v]++;
	tally_count(ev, v, r->time);
	tally_count(dev->group, v, r->time);
	tally_count(dev->platform, v, r->time);
	tally_count(dev->ownership, v, r->time);
	fleet_count_reasons(dev, v, r->time);
	return fleet_day_count(fl, dev, r->time, v);
}

static int fleet_apply(struct pst_fleet *fl, const struct pst_audit_rec *r)
{
	bool before = fl->o.have_since && r->time < fl->o.since;
	struct pst_fleet_dev *dev;

	if (fl->o.have_until && r->time >= fl->o.until) {
		fl->after++;
		return 0;
	}
	dev = dev_get(fl, r->device);
	if (!dev || dev_describe(fl, dev, r))
		return -ENOMEM;
	dev_spell(dev, r->time, r->verdict, before);
	dev->last = r->verdict;
	if (before) {
		fl->before++;
		return 0;
	}
	return fleet_count(fl, dev, r);
}

static void fleet_bad(struct pst_fleet *fl, const char *file, uint64_t lineno, const char *why)
{
	if (fl->bad < PST_FLEET_BAD_SHOWN) {
		struct pst_fleet_bad *b = &fl->bad_shown[fl->bad];

		b->file = file;
		b->line = lineno;
		snprintf(b->why, sizeof(b->why), "%s", why);
	}
	fl->bad++;
}

int pst_fleet_add_line(struct pst_fleet *fl, const char *file, uint64_t lineno,
		       const char *line, size_t len)
{
	char why[PST_AUDIT_WHY_MAX];

	fl->lines++;
	if (pst_audit_parse(line, len, &fl->rec, why, sizeof(why))) {
		fleet_bad(fl, file, lineno, why);
		return 0;
	}
	return fleet_apply(fl, &fl->rec);
}

/* ---- reading ---- */

struct fleet_reader {
	char *buf;
	size_t have;		/* bytes in buf */
	uint64_t lineno;
	bool skipping;		/* inside a line already refused as too long */
};

static void fleet_too_long(struct pst_fleet *fl, const char *file, uint64_t lineno)
{
	char why[PST_AUDIT_WHY_MAX];

	snprintf(why, sizeof(why), "longer than %d bytes", PST_FLEET_LINE_MAX);
	fl->lines++;
	fleet_bad(fl, file, lineno, why);
}

/* The complete lines in the buffer; keeps the partial last one. */
static int reader_lines(struct pst_fleet *fl, struct fleet_reader *rd, const char *file)
{
	char *p = rd->buf, *end = rd->buf + rd->have, *nl;
	int ret = 0;

	while (!ret && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		if (!rd->skipping && nl - p >= PST_FLEET_LINE_MAX)
			fleet_too_long(fl, file, ++rd->lineno);
		else if (!rd->skipping)
			ret = pst_fleet_add_line(fl, file, ++rd->lineno, p, (size_t)(nl - p));
		rd->skipping = false;
		p = nl + 1;
	}
	rd->have = (size_t)(end - p);
	if (rd->have >= PST_FLEET_LINE_MAX && !rd->skipping) {
		fleet_too_long(fl, file, ++rd->lineno);
		rd->skipping = true;
	}
	if (rd->skipping)
		rd->have = 0;
	memmove(rd->buf, p, rd->have);
	return ret;
}

int pst_fleet_read_fd(struct pst_fleet *fl, int fd, const char *file, char *err, size_t errlen)
{
	struct fleet_reader rd = { malloc(FLEET_BUF), 0, 0, false };
	ssize_t n;
	int ret = 0;

	if (!rd.buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (;;) {
		n = read(fd, rd.buf + rd.have, FLEET_BUF - rd.have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: cannot read: %s", file, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		rd.have += (size_t)n;
		if ((ret = reader_lines(fl, &rd, file)))
			break;
	}
	/* The last line without its newline: cut short, or just unterminated. */
	if (!ret && rd.have && !rd.skipping)
		ret = pst_fleet_add_line(fl, file, ++rd.lineno, rd.buf, rd.have);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(rd.buf);
	return ret;
}

/* ---- the end: sorted tables, buckets, spells ---- */

static uint64_t tally_total(const struct pst_tally *t)
{
	return t->n[PST_ALLOW] + t->n[PST_QUARANTINE] + t->n[PST_DENY];
}

/* Most decisions first, then by name, so that the order is stable. */
static int tally_cmp_total(const void *a, const void *b)
{
	const struct pst_tally *x = *(const struct pst_tally *const *)a;
	const struct pst_tally *y = *(const struct pst_tally *const *)b;
	uint64_t nx = tally_total(x), ny = tally_total(y);

	if (nx != ny)
		return nx > ny ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Reasons: most refusals first, then most devices affected now. */
static int tally_cmp_refused(const void *a, const void *b)
{
	const struct pst_tally *x = *(const struct pst_tally *const *)a;
	const struct pst_tally *y = *(const struct pst_tally *const *)b;
	uint64_t nx = x->n[PST_QUARANTINE] + x->n[PST_DENY];
	uint64_t ny = y->n[PST_QUARANTINE] + y->n[PST_DENY];

	if (nx != ny)
		return nx > ny ? -1 : 1;
	if (x->devices_out != y->devices_out)
		return x->devices_out > y->devices_out ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Policies in the order they came into force. */
static int tally_cmp_first(const void *a, const void *b)
{
	const struct pst_tally *x = *(const struct pst_tally *const *)a;
	const struct pst_tally *y = *(const struct pst_tally *const *)b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The "(other)" tally joins the rest, and the set is sorted. A tally no
 * decision in range carried (only its devices' earlier records did) is
 * dropped when it has no device to show either. */
static int tally_set_finish(struct pst_tally_set *s, int (*cmp)(const void *, const void *))
{
	size_t i, k = 0;

	if (s->other) {
		if (grow_push((void ***)&s->v, &s->n, &s->cap, s->other))
			return -ENOMEM;
		s->other = NULL;
	}
	for (i = 0; i < s->n; i++) {
		if (tally_total(s->v[i]) || s->v[i]->devices || s->v[i]->devices_out)
			s->v[k++] = s->v[i];
		else
			cm_htab_del(&s->h, &s->v[i]->node), tally_free(s->v[i]);
	}
	s->n = k;
	if (s->n)	/* qsort wants an array, even of nothing */
		qsort(s->v, s->n, sizeof(*s->v), cmp);
	return 0;
}

/* Devices in the report (a decision in range, or still out from before it)
 * counted in the tables of their latest group, platform, ownership and
 * reasons. */
static void fleet_count_devices(struct pst_fleet *fl)
{
	for (size_t i = 0; i < fl->n_devs; i++) {
		struct pst_fleet_dev *d = fl->devs[i];
		struct pst_tally *t[] = { d->group, d->platform, d->ownership };

		if (!d->in_range && !d->out)
			continue;
		fl->devices++;
		if (d->out)
			fl->devices_out[d->last]++;
		for (size_t k = 0; k < CM_ARRAY_SIZE(t); k++) {
			t[k]->devices++;
			t[k]->devices_out += d->out;
		}
		for (size_t k = 0; k < d->n_reasons; k++) {
			d->reasons[k]->devices++;
			d->reasons[k]->devices_out += d->out;
		}
	}
}

static int spell_cmp(const void *a, const void *b)
{
	const struct pst_fleet_spell *x = a, *y = b;
	time_t dx = x->end - x->start, dy = y->end - y->start;

	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(x->dev->id, y->dev->id);
}

/* Each device's spell to show: the one it is in, else its longest. */
static int fleet_spells(struct pst_fleet *fl)
{
	size_t n = 0;

	fl->spells = calloc(fl->n_devs ? fl->n_devs : 1, sizeof(*fl->spells));
	if (!fl->spells)
		return -ENOMEM;
	for (size_t i = 0; i < fl->n_devs; i++) {
		const struct pst_fleet_dev *d = fl->devs[i];
		struct pst_fleet_spell *s = &fl->spells[n];

		s->dev = d;
		if (d->out && d->out_since < fl->end)
			s->start = d->out_since, s->end = fl->end, s->ongoing = true, n++;
		else if (d->spell_end)
			s->start = d->spell_start, s->end = d->spell_end, n++;
	}
	qsort(fl->spells, n, sizeof(*fl->spells), spell_cmp);
	fl->n_spells = n < fl->o.top ? n : fl->o.top;
	return 0;
}

static void bucket_add_hour(struct pst_fleet_bucket *b, const struct pst_fleet_day *d, int h)
{
	for (int v = 0; v < PST_V_N; v++)
		b->n[v] += d->hn[h][v];
	b->devices += d->hdevices[h];
	b->devices_out += d->hdevices_out[h];
}

static void bucket_add_day(struct pst_fleet_bucket *b, const struct pst_fleet_day *d)
{
	for (int v = 0; v < PST_V_N; v++)
		b->n[v] += d->n[v];
	b->devices += d->devices;
	b->devices_out += d->devices_out;
}

static int day_cmp(const void *a, const void *b)
{
	const struct pst_fleet_day *x = *(const struct pst_fleet_day *const *)a;
	const struct pst_fleet_day *y = *(const struct pst_fleet_day *const *)b;

	return x->day < y->day ? -1 : x->day > y->day;
}

/* Every hour or day of the range, empty ones too, so that a chart's gaps
 * are real; a range of more than ten years lists only the days with
 * records. */
static int fleet_buckets(struct pst_fleet *fl)
{
	int64_t step = fl->hourly ? 3600 : DAY_SECONDS;
	int64_t first = floor_div(fl->start, step), last = floor_div(fl->end - 1, step);
	size_t n = fl->end > fl->start ? (size_t)(last - first + 1) : 0;
	bool sparse = !fl->hourly && n > FLEET_SPAN_DAYS_MAX;

	if (fl->n_days)
		qsort(fl->days, fl->n_days, sizeof(*fl->days), day_cmp);
	if (sparse)
		n = fl->n_days;
	fl->buckets = calloc(n ? n : 1, sizeof(*fl->buckets));
	if (!fl->buckets)
		return -ENOMEM;
	fl->n_buckets = n;
	for (size_t i = 0; i < n; i++) {
		struct pst_fleet_bucket *b = &fl->buckets[i];
		int64_t at = sparse ? fl->days[i]->day : first + (int64_t)i;
		const struct pst_fleet_day *d = sparse ? fl->days[i] :
			day_find(fl, fl->hourly ? floor_div(at, 24) : at);

		b->start = (time_t)(at * step);
		if (d && fl->hourly)
			bucket_add_hour(b, d, (int)(at - d->day * 24));
		else if (d)
			bucket_add_day(b, d);
	}
	return 0;
}

/* Is it getting better: the share of decisions not allowed in the first
 * and the second half of the range (by hour). */
static void fleet_halves(struct pst_fleet *fl)
{
	uint64_t all[2] = { 0, 0 }, refused[2] = { 0, 0 };
	time_t mid = fl->start + (fl->end - fl->start) / 2;

	for (size_t i = 0; i < fl->n_days; i++) {
		const struct pst_fleet_day *d = fl->days[i];

		for (int h = 0; h < 24; h++) {
			int half = d->day * DAY_SECONDS + h * 3600 >= mid;
			uint64_t no = d->hn[h][PST_QUARANTINE] + d->hn[h][PST_DENY];

			refused[half] += no;
			all[half] += no + d->hn[h][PST_ALLOW];
		}
	}
	fl->share_first = all[0] ? 100.0 * (double)refused[0] / (double)all[0] : -1;
	fl->share_second = all[1] ? 100.0 * (double)refused[1] / (double)all[1] : -1;
}

int pst_fleet_finish(struct pst_fleet *fl)
{
	fl->start = fl->o.have_since ? fl->o.since : fl->in_range ? fl->first : 0;
	fl->end = fl->o.have_until ? fl->o.until : fl->in_range ? fl->last + 1 : fl->start;
	if (fl->end < fl->start)
		fl->end = fl->start;
	fl->hourly = fl->end - fl->start <= PST_FLEET_HOURLY_MAX;
	fleet_count_devices(fl);
	if (tally_set_finish(&fl->reasons, tally_cmp_refused) ||
	    tally_set_finish(&fl->groups, tally_cmp_total) ||
	    tally_set_finish(&fl->platforms, tally_cmp_total) ||
	    tally_set_finish(&fl->ownerships, tally_cmp_total) ||
	    tally_set_finish(&fl->events, tally_cmp_total) ||
	    tally_set_finish(&fl->policies, tally_cmp_first))
		return -ENOMEM;
	if (fleet_buckets(fl) || fleet_spells(fl))
		return -ENOMEM;
	fleet_halves(fl);
	return 0;
}

/* ---- life ---- */

struct pst_fleet *pst_fleet_new(const struct pst_fleet_opts *o)
{
	struct pst_fleet *fl = calloc(1, sizeof(*fl));

	if (!fl)
		return NULL;
	fl->o = *o;
	if (!fl->o.top)
		fl->o.top = PST_FLEET_TOP_DEFAULT;
	tally_set_init(&fl->reasons, "(other reasons)");
	tally_set_init(&fl->groups, "(other groups)");
	tally_set_init(&fl->platforms, "(other platforms)");
	tally_set_init(&fl->ownerships, "(other)");
	tally_set_init(&fl->events, "(other events)");
	tally_set_init(&fl->policies, "(other policies)");
	return fl;
}

void pst_fleet_free(struct pst_fleet *fl)
{
	if (!fl)
		return;
	for (size_t i = 0; i < fl->n_devs; i++)
		free(fl->devs[i]);
	free(fl->devs);
	cm_htab_free(&fl->dev_h);
	for (size_t i = 0; i < fl->n_days; i++)
		free(fl->days[i]);
	free(fl->days);
	cm_htab_free(&fl->day_h);
	tally_set_free(&fl->reasons);
	tally_set_free(&fl->groups);
	tally_set_free(&fl->platforms);
	tally_set_free(&fl->ownerships);
	tally_set_free(&fl->events);
	tally_set_free(&fl->policies);
	free(fl->buckets);
	free(fl->spells);
	free(fl);
}
