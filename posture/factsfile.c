/* SPDX-License-Identifier: MIT */
/*
 * Facts files on disk: reading one (POSTERN_FACTS, the agent's overrides,
 * and `postern-posture check --facts`) and writing one (`postern-posture
 * collect`, whose output a check can read back). The grammar itself is
 * pst_facts_file_parse's (posture/report.c); this file adds the size cap,
 * the file's name in every message ("FILE:LINE: what"), and the writer:
 * `name=value` lines sorted by name, collected-at among them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "posture/collect.h"
#include "posture/factsfile.h"

/* "FILE: message" or, for "line N: message", "FILE:N: message". */
static void why_in_file(char *err, size_t errlen, const char *path, const char *msg)
{
	char *end;
	unsigned long line;

	if (!strncmp(msg, "line ", 5)) {
		line = strtoul(msg + 5, &end, 10);
		if (end != msg + 5 && !strncmp(end, ": ", 2)) {
			snprintf(err, errlen, "%s:%lu: %s", path, line, end + 2);
			return;
		}
	}
	snprintf(err, errlen, "%s: %s", path, msg);
}

int pst_factsfile_load(const char *path, time_t now, struct pst_facts *facts, char *err,
		       size_t errlen)
{
	char *buf = NULL, msg[PST_WHY_MAX];
	size_t len = 0;
	int ret = cm_file_read(path, PST_FACTS_FILE_MAX, &buf, &len);

	if (ret) {
		if (ret == -EFBIG)
			snprintf(err, errlen, "%s: larger than %d bytes", path, PST_FACTS_FILE_MAX);
		else
			snprintf(err, errlen, "%s: %s", path, pst_file_error(ret));
		return ret;
	}
	msg[0] = '\0';
	ret = pst_facts_file_parse(buf, len, PST_SRC_AGENT, now, facts, msg, sizeof(msg));
	if (ret)
		why_in_file(err, errlen, path, msg[0] ? msg : "not a facts file");
	free(buf);
	return ret;
}

time_t pst_facts_collected_at(const struct pst_facts *facts, enum pst_source src, time_t now)
{
	time_t oldest = now;
	size_t i;

	for (i = 0; i < facts->n; i++)
		if (facts->f[i].source == src && facts->f[i].time < oldest)
			oldest = facts->f[i].time;
	return oldest;
}

struct print_line {
	const char *name;
	const char *value;
};

static int print_line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct print_line *)a)->name, ((const struct print_line *)b)->name);
}

int pst_factsfile_write(FILE *out, const struct pst_facts *facts, enum pst_source src,
			time_t now)
{
	struct print_line lines[PST_FACTS_MAX + 1];
	char when[32];
	size_t i, n = 0;

	snprintf(when, sizeof(when), "%lld",
		 (long long)pst_facts_collected_at(facts, src, now));
	lines[n++] = (struct print_line){ "collected-at", when };
	for (i = 0; i < facts->n; i++)
		if (facts->f[i].source == src)
			lines[n++] = (struct print_line){ facts->f[i].name, facts->f[i].value };
	qsort(lines, n, sizeof(lines[0]), print_line_cmp);
	for (i = 0; i < n; i++)
		fprintf(out, "%s=%s\n", lines[i].name, lines[i].value);
	return ferror(out) ? -EIO : 0;
}
