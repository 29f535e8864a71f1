/* SPDX-License-Identifier: MIT */
/*
 * The three outputs of the one list of counters (stats.c): `posternctl
 * stats --json`, its text, and the Prometheus text format 0.0.4 that
 * GET /metrics answers. A row without a key is the metrics' only, one
 * without a metric posternctl's only.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/json.h"
#include "gateway/model.h"
#include "gateway/stats.h"

/* The rows, on the heap (a few hundred, each with room for its labels);
 * NULL when there is no memory, and then the output is empty. */
static struct gw_stat_row *rows_get(const struct gw_worker *w, size_t *n)
{
	struct gw_stat_row *r = calloc(GW_STAT_ROWS_MAX, sizeof(*r));

	*n = r ? gw_stats_rows(w, r, GW_STAT_ROWS_MAX) : 0;
	return r;
}

void gw_stats_json(const struct gw_worker *w, FILE *f)
{
	size_t n;
	struct gw_stat_row *r = rows_get(w, &n);
	const char *open = NULL;
	bool first = true, inner = true;

	fputc('{', f);
	for (size_t i = 0; i < n; i++) {
		if (!r[i].key)
			continue;
		if (open && (!r[i].group || strcmp(open, r[i].group))) {
			fputc('}', f);
			open = NULL;
		}
		if (r[i].group && !open) {
			gw_json_key(f, &first, r[i].group);
			fputc('{', f);
			open = r[i].group;
			inner = true;
		}
		gw_json_key(f, open ? &inner : &first, r[i].key);
		fprintf(f, "%llu", (unsigned long long)r[i].value);
	}
	fputs(open ? "}}\n" : "}\n", f);
	free(r);
}

void gw_stats_text(const struct gw_worker *w, FILE *f)
{
	size_t n;
	struct gw_stat_row *r = rows_get(w, &n);
	char name[64];

	for (size_t i = 0; i < n; i++) {
		if (!r[i].key)
			continue;
		snprintf(name, sizeof(name), "%s%s%s", r[i].group ? r[i].group : "",
			 r[i].group ? "." : "", r[i].key);
		fprintf(f, "%-28s %llu\n", name, (unsigned long long)r[i].value);
	}
	free(r);
}

static const char *const prom_types[] = {
	[GW_STAT_COUNTER] = "counter", [GW_STAT_GAUGE] = "gauge",
	[GW_STAT_HISTOGRAM] = "histogram",
};

/* HELP and TYPE name the family: a histogram's is its _bucket rows' name
 * without the suffix. */
static void prom_head(FILE *f, const struct gw_stat_row *r)
{
	size_t len = strlen(r->metric);

	if (r->type == GW_STAT_HISTOGRAM && len > 7 && !strcmp(r->metric + len - 7, "_bucket"))
		len -= 7;
	fprintf(f, "# HELP %.*s %s.\n# TYPE %.*s %s\n", (int)len, r->metric, r->help, (int)len,
		r->metric, prom_types[r->type]);
}

static void prom_sample(FILE *f, const struct gw_stat_row *r)
{
	bool l = r->label[0] != '\0';

	fprintf(f, "%s%s%s%s ", r->metric, l ? "{" : "", r->label, l ? "}" : "");
	if (r->micro)
		fprintf(f, "%llu.%06llu\n", (unsigned long long)(r->value / 1000000u),
			(unsigned long long)(r->value % 1000000u));
	else
		fprintf(f, "%llu\n", (unsigned long long)r->value);
}

void gw_stats_prometheus(const struct gw_worker *w, FILE *f)
{
	size_t n;
	struct gw_stat_row *r = rows_get(w, &n);

	for (size_t i = 0; i < n; i++) {
		if (!r[i].metric)
			continue;
		if (r[i].help)
			prom_head(f, &r[i]);
		prom_sample(f, &r[i]);
	}
	free(r);
}
