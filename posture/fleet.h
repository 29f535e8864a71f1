/* SPDX-License-Identifier: MIT */
/*
 * The fleet posture report, `postern-posture report` (fleet.c gathers,
 * fleet_out.c writes): what the gateways' audit logs say about the fleet
 * over a time range. Who is quarantined or denied, why, since when, on
 * which platform and in which group, under which policy, and whether it is
 * getting better.
 *
 * The log is read once, line by line, in the order the gateway wrote it
 * (time order); nothing is kept per line. Memory grows with the distinct
 * devices, reasons, groups, platforms, policies and days, never with the
 * number of lines, so a year of records costs what its fleet costs. Distinct
 * reasons, groups, platforms, policies and events are capped (PST_FLEET_KEYS_MAX
 * each); past the cap they are counted under "(other)".
 *
 * Only the postern-posture program uses this.
 */
#ifndef POSTERN_POSTURE_FLEET_H
#define POSTERN_POSTURE_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/htab.h"
#include "posture/auditrec.h"

#define PST_FLEET_BAD_SHOWN	20	/* bad lines named; the rest only counted */
#define PST_FLEET_KEYS_MAX	4096	/* distinct keys of one table */
#define PST_FLEET_LINE_MAX	(256 * 1024)	/* longer lines are refused */
#define PST_FLEET_HOURLY_MAX	(2 * 86400)	/* ranges this short are shown by hour */
#define PST_FLEET_TOP_DEFAULT	10
#define PST_FLEET_FILES_MAX	64
#define PST_V_N			3	/* allow, quarantine, deny (enum pst_verdict) */

/* One key of a table (a reason, group, platform, ownership, event or
 * policy) and the decisions that carried it. */
struct pst_tally {
	struct cm_hnode node;
	char *name;
	char *example;		/* reasons: one as written; policies: the path */
	uint64_t n[PST_V_N];	/* decisions in range, by verdict */
	uint64_t devices;	/* devices whose latest decision carries it */
	uint64_t devices_out;	/* ... and are quarantined or denied */
	time_t first, last;	/* its first and last decision in range */
};

struct pst_tally_set {
	struct cm_htab h;
	struct pst_tally **v;	/* in order of first appearance; sorted by finish */
	size_t n, cap;
	struct pst_tally *other;	/* past PST_FLEET_KEYS_MAX */
	const char *other_name;
};

/* One device, from its decisions in file order. */
struct pst_fleet_dev {
	struct cm_hnode node;
	char id[PST_DEVICE_ID_MAX + 1];
	struct pst_tally *group, *platform, *ownership;	/* its latest */
	struct pst_tally *reasons[PST_REASONS_MAX];	/* its latest decision's */
	size_t n_reasons;
	enum pst_verdict last;		/* its latest decision */
	bool in_range;			/* a decision in range */
	bool out;			/* quarantined or denied now */
	time_t out_since;		/* when out: its first decision of this spell */
	time_t spell_start, spell_end;	/* its longest spell out (in range), ended */
	time_t first_seen, last_seen;	/* in range */
	uint64_t n[PST_V_N];
	int64_t hour_seen, hour_out;	/* the last hour it was counted in */
	int64_t day_seen, day_out;
};

/* One day of decisions, by day and by hour. */
struct pst_fleet_day {
	struct cm_hnode node;
	int64_t day;			/* days since 1970-01-01 */
	uint64_t n[PST_V_N];
	uint64_t devices, devices_out;	/* distinct devices seen / not allowed */
	uint64_t hn[24][PST_V_N];
	uint32_t hdevices[24], hdevices_out[24];
};

/* A row of the verdicts-over-time table: a day or an hour. */
struct pst_fleet_bucket {
	time_t start;
	uint64_t n[PST_V_N];
	uint64_t devices, devices_out;
};

/* One of the longest spells out of compliance. */
struct pst_fleet_spell {
	const struct pst_fleet_dev *dev;
	time_t start, end;		/* end: the allow that ended it, or the range's end */
	bool ongoing;
};

struct pst_fleet_bad {
	const char *file;
	uint64_t line;
	char why[PST_AUDIT_WHY_MAX];
};

struct pst_fleet_opts {
	time_t since, until;		/* [since, until); valid when have_* */
	bool have_since, have_until;
	size_t top;			/* rows of the ranked tables */
};

struct pst_fleet {
	struct pst_fleet_opts o;
	/* Lines read: records in range, before it (only their devices' spells
	 * count), after it (skipped), and refused. */
	uint64_t lines, in_range, before, after, bad;
	struct pst_fleet_bad bad_shown[PST_FLEET_BAD_SHOWN];
	uint64_t n[PST_V_N];
	time_t first, last;		/* the first and last record in range */
	struct cm_htab dev_h;
	struct pst_fleet_dev **devs;
	size_t n_devs, cap_devs;
	struct pst_tally_set reasons, groups, platforms, ownerships, events, policies;
	struct cm_htab day_h;
	struct pst_fleet_day **days;
	size_t n_days, cap_days;
	struct pst_audit_rec rec;	/* the line being read */
	struct pst_tally *last_policy, *last_event;	/* lookups saved */
	struct pst_fleet_day *last_day;
	/* Filled by pst_fleet_finish. */
	time_t start, end;		/* the range shown: since or first, until or last + 1 */
	bool hourly;
	struct pst_fleet_bucket *buckets;
	size_t n_buckets;
	struct pst_fleet_spell *spells;	/* longest first, at most o.top */
	size_t n_spells;
	uint64_t devices, devices_out[PST_V_N];	/* in range; out now, by verdict */
	double share_first, share_second;	/* not-allowed share of decisions, per half */
};

struct pst_fleet *pst_fleet_new(const struct pst_fleet_opts *o);
void pst_fleet_free(struct pst_fleet *fl);
/* One line of file (lineno from 1), without its newline. 0, or -ENOMEM. A
 * bad line is counted and, among the first PST_FLEET_BAD_SHOWN, named. */
int pst_fleet_add_line(struct pst_fleet *fl, const char *file, uint64_t lineno,
		       const char *line, size_t len);
/* Every line of the open descriptor fd, named file in messages (the name
 * must outlive fl). 0, or -errno with why in err. */
int pst_fleet_read_fd(struct pst_fleet *fl, int fd, const char *file, char *err, size_t errlen);
/* Sorts the tables, makes the buckets and picks the longest spells. 0 or -ENOMEM. */
int pst_fleet_finish(struct pst_fleet *fl);

/* A reason with its particulars masked: numbers and versions become '#',
 * a quoted value '…', so that one failed check is one key. */
void pst_fleet_reason_key(const char *reason, char *out, size_t outlen);
/* A date "YYYY-MM-DD" (its start; with end_of_day its end) or an RFC 3339
 * time. 0 or -EINVAL. */
int pst_fleet_time_arg(const char *s, bool end_of_day, time_t *out);

/* `postern-posture report` (fleet_cmd.c): argv[0] = "report". The exit status. */
int pst_fleet_main(int argc, char **argv);

/* ---- the output formats (fleet_out.c) ---- */

enum pst_fleet_format { PST_FLEET_TEXT, PST_FLEET_CSV, PST_FLEET_JSON, PST_FLEET_HTML };

/* "text", "csv", "json", "html". 0 or -EINVAL. */
int pst_fleet_format_parse(const char *s, enum pst_fleet_format *f);
/* The report of a finished fleet. 0, or -ENOMEM with nothing written; the
 * caller checks ferror(out). */
int pst_fleet_write(const struct pst_fleet *fl, enum pst_fleet_format f, FILE *out);

#endif
