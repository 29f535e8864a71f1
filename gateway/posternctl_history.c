/* SPDX-License-Identifier: MIT */
/*
 * posternctl history DEVICE: the device's decisions from the gateway's
 * audit log, which outlives restarts (show's history is only the running
 * gateway's memory). posternctl reads the file itself: it runs as root,
 * while the sandboxed gateway may only append to it. Only the last
 * CTL_HISTORY_TAIL bytes are read, so that a year of records costs a
 * bounded read, and the answer says when older ones were left unread;
 * rotated files (audit.log.1, ...) are not read.
 *
 * A line is looked at only when it holds "device":"DEVICE" as our writer
 * puts it (compact, and a device id needs no escape); such a line is then
 * read whole by the strict reader (gateway/auditread.h), and one that does
 * not read is counted, never half shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/table.h"
#include "gateway/auditread.h"
#include "gateway/posternctl.h"

#define CTL_HISTORY_TAIL	(16 << 20)	/* bytes of the log read, from its end */

struct ctl_history {
	const char *device, *path;
	bool json;
	off_t size;			/* the file's */
	size_t bytes;			/* read from its end */
	size_t n_records, n_unreadable;
	FILE *out;			/* the records as they are found */
	char *text;			/* what out wrote */
	size_t text_len;
};

/* The tail of the file: malloc'd, from the start of its first whole line. */
static char *history_tail(struct ctl_history *h, size_t *len)
{
	int fd = open(h->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *buf = NULL;
	off_t from;
	ssize_t n = -1;

	if (fd >= 0 && fstat(fd, &st) == 0) {
		h->size = st.st_size;
		from = st.st_size > CTL_HISTORY_TAIL ? st.st_size - CTL_HISTORY_TAIL : 0;
		buf = malloc((size_t)(st.st_size - from) + 1);
		n = buf ? pread(fd, buf, (size_t)(st.st_size - from), from) : -1;
	}
	if (n < 0) {
		fprintf(stderr, "posternctl: the audit log %s: %s\n", h->path, strerror(errno));
		free(buf);
		buf = NULL;
	} else {
		h->bytes = (size_t)n;
		*len = (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

/* A string as JSON: the reader let only UTF-8 text without control
 * characters through, so quotes and backslashes are all there is to escape. */
static void history_json_str(FILE *f, const char *s)
{
	if (!s[0]) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void history_json(FILE *f, const struct gw_audit_line *r, bool first)
{
	const char *keys[] = { "time", "event", "verdict", "rule", "profile", "client",
			       "address", "address6" };
	const char *vals[] = { r->time, r->event, r->verdict, r->rule, r->profile, r->client,
			       r->address, r->address6 };

	fputs(first ? "{" : ",{", f);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		fprintf(f, "%s\"%s\":", i ? "," : "", keys[i]);
		history_json_str(f, vals[i]);
	}
	fputs(",\"reasons\":[", f);
	for (size_t i = 0; i < r->n_reasons; i++) {
		fputs(i ? "," : "", f);
		history_json_str(f, r->reasons[i]);
	}
	fputs("]}", f);
}

static const char *history_cell(const char *s)
{
	return s[0] ? s : "-";
}

static void history_text(FILE *f, const struct gw_audit_line *r, bool first)
{
	if (first)
		fputs("TIME\tEVENT\tVERDICT\tRULE\tPROFILE\tCLIENT\tADDRESS\tREASONS\n", f);
	fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t", r->time, history_cell(r->event), r->verdict,
		history_cell(r->rule), history_cell(r->profile), history_cell(r->client),
		history_cell(r->address[0] ? r->address : r->address6));
	for (size_t i = 0; i < r->n_reasons; i++)
		fprintf(f, "%s%s", i ? "; " : "", r->reasons[i]);
	fputs(r->n_reasons ? "\n" : "-\n", f);
}

static void history_line(struct ctl_history *h, const char *line, size_t n,
			 const char *needle, struct gw_audit_line *r)
{
	char why[GW_AUDIT_WHY_MAX];

	if (!memmem(line, n, needle, strlen(needle)))
		return;
	if (gw_audit_line_parse(line, n, r, why, sizeof(why)) < 0) {
		h->n_unreadable++;
		return;
	}
	if (strcmp(r->device, h->device))
		return;
	if (h->json)
		history_json(h->out, r, h->n_records == 0);
	else
		history_text(h->out, r, h->n_records == 0);
	h->n_records++;
}

static int history_scan(struct ctl_history *h, const char *buf, size_t len)
{
	struct gw_audit_line *r = malloc(sizeof(*r));
	const char *p = buf, *end = buf + len, *nl;
	char needle[GW_AUDIT_DEVICE_MAX + 16];

	if (!r)
		return -ENOMEM;
	snprintf(needle, sizeof(needle), "\"device\":\"%s\"", h->device);
	/* Read from the middle of the file: its first line is a part of one. */
	if ((off_t)len < h->size && (nl = memchr(p, '\n', len)))
		p = nl + 1;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;	/* the last line, still being written */
		history_line(h, p, (size_t)(nl - p), needle, r);
	}
	free(r);
	return 0;
}

/* Where the records were read from, for a person. */
static void history_head(const struct ctl_history *h, FILE *f)
{
	fprintf(f, "%s in %s", h->device, h->path);
	if ((off_t)h->bytes < h->size)
		fprintf(f, " (its last %zu MiB of %lld: older records not read)",
			h->bytes >> 20, (long long)h->size);
}

static int history_print(struct ctl_history *h)
{
	if (!h->n_records) {
		fputs("posternctl: no record of ", stderr);
		history_head(h, stderr);
		fputc('\n', stderr);
		return EXIT_GATEWAY_ERROR;
	}
	if (h->json) {
		fputs("{\"device\":", stdout);
		history_json_str(stdout, h->device);
		fputs(",\"audit_log\":", stdout);
		history_json_str(stdout, h->path);
		fprintf(stdout, ",\"size\":%lld,\"bytes_read\":%zu,\"truncated\":%s,"
			"\"unreadable\":%zu,\"records\":[%s]}\n", (long long)h->size, h->bytes,
			(off_t)h->bytes < h->size ? "true" : "false", h->n_unreadable, h->text);
	} else {
		history_head(h, stdout);
		fprintf(stdout, ": %zu record%s\n", h->n_records, h->n_records == 1 ? "" : "s");
		cm_table_print(stdout, h->text, h->text_len);
		if (h->n_unreadable)
			printf("%zu line%s naming %s could not be read\n", h->n_unreadable,
			       h->n_unreadable == 1 ? "" : "s", h->device);
	}
	return fflush(stdout) == 0 ? 0 : EXIT_GATEWAY_ERROR;
}

int ctl_history(const char *device, const char *path, bool json)
{
	struct ctl_history h = { .device = device, .path = path, .json = json };
	size_t len = 0;
	char *buf = history_tail(&h, &len);
	int rc = EXIT_GATEWAY_ERROR;

	if (!buf)
		return EXIT_GATEWAY_ERROR;
	h.out = open_memstream(&h.text, &h.text_len);
	if (h.out && history_scan(&h, buf, len) == 0 && fclose(h.out) == 0)
		rc = history_print(&h);
	else if (h.out)
		fclose(h.out);
	if (rc == EXIT_GATEWAY_ERROR && !h.text)
		fprintf(stderr, "posternctl: out of memory\n");
	free(h.text);
	free(buf);
	return rc;
}
