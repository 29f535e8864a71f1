/* SPDX-License-Identifier: MIT */
/*
 * `postern-posture report`, the fleet report's command line (fleet.h): the
 * audit logs named, the range, the format and where it goes. Every file is
 * opened before a line is read, so that a mistyped name is a usage error
 * at once and never a report that silently left a file out. Exit status: 0
 * the report was written (bad lines are counted in it, never fatal), 1 it
 * could not be (out of memory, a read or write error), 2 a usage error (a
 * bad option or time, an unknown format, a file that cannot be opened).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/number.h"
#include "posture/fleet.h"

enum { REPORT_OK = 0, REPORT_FAIL = 1, REPORT_USAGE = 2 };

enum report_opt_id {
	OPT_HELP = 'h',
	OPT_AUDIT = 256,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_FORMAT,
	OPT_OUTPUT,
	OPT_TOP,
};

static const struct option report_options[] = {
	{ "audit", required_argument, NULL, OPT_AUDIT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char report_usage[] =
	"usage: postern-posture report --audit FILE [--audit FILE ...] [--since T] [--until T]\n"
	"                              [--format text|csv|json|html] [--output FILE] [--top N]\n"
	"The fleet's posture from the gateway's audit log: verdicts over time, the\n"
	"reasons, the devices longest out of compliance, platforms, groups and\n"
	"policies. T is a date (2026-11-01) or an RFC 3339 time\n"
	"(2026-11-01T12:00:00Z); see postern-posture(8).\n";

struct report_opts {
	const char *audit[PST_FLEET_FILES_MAX];
	size_t n_audit;
	const char *output;
	enum pst_fleet_format format;
	struct pst_fleet_opts fleet;
	bool help;
};

static int report_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr; control characters of an argument become '?'. */
static int report_usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	fprintf(stderr, "postern-posture report: %s (see 'postern-posture report --help')\n", msg);
	return REPORT_USAGE;
}

static int report_time(const char *opt, const char *arg, bool end_of_day, time_t *t, bool *have)
{
	if (pst_fleet_time_arg(arg, end_of_day, t))
		return report_usage_error("%s '%.64s' is neither a date (YYYY-MM-DD) nor an "
					  "RFC 3339 time (YYYY-MM-DDTHH:MM:SSZ)", opt, arg);
	*have = true;
	return 0;
}

static int report_opt_set(struct report_opts *o, int c, const char *arg)
{
	uint64_t top;

	switch (c) {
	case OPT_AUDIT:
		if (o->n_audit == PST_FLEET_FILES_MAX)
			return report_usage_error("more than %d --audit files", PST_FLEET_FILES_MAX);
		o->audit[o->n_audit++] = arg;
		return 0;
	case OPT_SINCE:
		return report_time("--since", arg, false, &o->fleet.since, &o->fleet.have_since);
	case OPT_UNTIL:
		/* A date alone means up to the end of that day. */
		return report_time("--until", arg, true, &o->fleet.until, &o->fleet.have_until);
	case OPT_FORMAT:
		if (pst_fleet_format_parse(arg, &o->format))
			return report_usage_error("unknown --format '%.32s' (text, csv, json or "
						  "html)", arg);
		return 0;
	case OPT_OUTPUT:
		o->output = arg;
		return 0;
	case OPT_TOP:
		if (cm_number_parse(arg, 1, 100000, &top))
			return report_usage_error("--top '%.32s' is not a number from 1 to 100000",
						  arg);
		o->fleet.top = (size_t)top;
		return 0;
	case OPT_HELP:
		o->help = true;
		return 0;
	}
	return report_usage_error("unknown option");
}

static int report_opts_check(const struct report_opts *o)
{
	if (o->help)
		return 0;
	if (!o->n_audit)
		return report_usage_error("missing --audit");
	if (o->fleet.have_since && o->fleet.have_until && o->fleet.since >= o->fleet.until)
		return report_usage_error("--since must come before --until");
	return 0;
}

static int report_opts_parse(int argc, char **argv, struct report_opts *o)
{
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while (!ret && (c = getopt_long(argc, argv, "+:h", report_options, NULL)) != -1) {
		if (c == '?')
			ret = report_usage_error("unknown option '%.64s'", argv[optind - 1]);
		else if (c == ':')
			ret = report_usage_error("option '%.64s' needs a value", argv[optind - 1]);
		else
			ret = report_opt_set(o, c, optarg);
	}
	if (!ret && optind < argc)
		ret = report_usage_error("unexpected argument '%.64s'", argv[optind]);
	return ret ? ret : report_opts_check(o);
}

/* "-" is standard input; anything but a directory may be read (a pipe
 * from zcat, <(...)). */
static int report_open(const char *path, int *fd)
{
	struct stat st;

	*fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) : dup(0);
	if (*fd < 0)
		return report_usage_error("%.200s: cannot open: %s", path, strerror(errno));
	if (fstat(*fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return report_usage_error("%.200s: is a directory", path);
	}
	return 0;
}

static int report_read(struct pst_fleet *fl, const struct report_opts *o, const int *fds)
{
	char err[512];

	for (size_t i = 0; i < o->n_audit; i++) {
		if (pst_fleet_read_fd(fl, fds[i], o->audit[i], err, sizeof(err))) {
			fprintf(stderr, "postern-posture report: %s\n", err);
			return REPORT_FAIL;
		}
	}
	if (pst_fleet_finish(fl)) {
		fprintf(stderr, "postern-posture report: out of memory\n");
		return REPORT_FAIL;
	}
	return REPORT_OK;
}

static int report_write(const struct pst_fleet *fl, const struct report_opts *o, FILE *out)
{
	int ret = pst_fleet_write(fl, o->format, out);
	bool failed = fflush(out) != 0 || ferror(out);

	if (ret) {
		fprintf(stderr, "postern-posture report: out of memory\n");
		return REPORT_FAIL;
	}
	if (failed) {
		fprintf(stderr, "postern-posture report: cannot write to %s\n",
			o->output ? o->output : "standard output");
		return REPORT_FAIL;
	}
	if (fl->bad)
		fprintf(stderr, "postern-posture report: %llu bad lines skipped (listed in the "
			"report); the first: %s:%llu: %s\n", (unsigned long long)fl->bad,
			fl->bad_shown[0].file, (unsigned long long)fl->bad_shown[0].line,
			fl->bad_shown[0].why);
	return REPORT_OK;
}

static int report_run(const struct report_opts *o, const int *fds, FILE *out)
{
	struct pst_fleet *fl = pst_fleet_new(&o->fleet);
	int code;

	if (!fl) {
		fprintf(stderr, "postern-posture report: out of memory\n");
		return REPORT_FAIL;
	}
	code = report_read(fl, o, fds);
	if (code == REPORT_OK)
		code = report_write(fl, o, out);
	pst_fleet_free(fl);
	return code;
}

int pst_fleet_main(int argc, char **argv)
{
	struct report_opts o;
	int fds[PST_FLEET_FILES_MAX], code = REPORT_OK;
	size_t n = 0;
	FILE *out = stdout;

	if ((code = report_opts_parse(argc, argv, &o)))
		return code;
	if (o.help) {
		fputs(report_usage, stdout);
		return fflush(stdout) ? REPORT_FAIL : REPORT_OK;
	}
	for (; n < o.n_audit && !code; n++)
		code = report_open(o.audit[n], &fds[n]);
	if (code)
		n--;
	if (!code && o.output && !(out = fopen(o.output, "we")))
		code = report_usage_error("%.200s: cannot create: %s", o.output, strerror(errno));
	if (!code)
		code = report_run(&o, fds, out);
	if (out && out != stdout && fclose(out) && !code) {
		fprintf(stderr, "postern-posture report: %s: cannot write: %s\n", o.output,
			strerror(errno));
		code = REPORT_FAIL;
	}
	while (n)
		close(fds[--n]);
	return code;
}
