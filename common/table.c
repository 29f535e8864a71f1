/* SPDX-License-Identifier: MIT */
/*
 * Text tables aligned by display width (see common/table.h). Two passes over
 * a run of table lines: the widths of the columns, then the lines padded to
 * them. Characters are decoded by our own UTF-8 decoder and measured by the
 * locale's wcwidth, so text that is not UTF-8 can neither stop the output
 * nor shift a column by more than its own bytes.
 */
#include "common/table.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/utf8.h"

#define TABLE_GAP	2	/* blanks between two columns */

size_t cm_text_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t width = 0, i = 0, n;
	uint32_t cp;
	int w;

	while (i < len) {
		n = cm_utf8_decode(p + i, len - i, &cp);
		if (!n) {
			width++;	/* not UTF-8: a byte, a column */
			i++;
			continue;
		}
		w = wcwidth((wchar_t)cp);
		width += w < 0 ? 1 : (size_t)w;
		i += n;
	}
	return width;
}

struct table_col {
	size_t width;
	bool numeric;		/* every cell below the header a number or "-" */
	bool any_number;
};

/* The cell that starts at *p in a line ending at end; *p moves past its TAB. */
static size_t table_cell(const char **p, const char *end, const char **cell)
{
	const char *tab = memchr(*p, '\t', (size_t)(end - *p));
	size_t n = tab ? (size_t)(tab - *p) : (size_t)(end - *p);

	*cell = *p;
	*p = tab ? tab + 1 : end;
	return n;
}

/* The last column takes the rest of the line, tabs and all. */
static size_t table_next(const char **p, const char *end, unsigned int k, const char **cell)
{
	if (k + 1 == CM_TABLE_COLUMNS_MAX) {
		*cell = *p;
		*p = end;
		return (size_t)(end - *cell);
	}
	return table_cell(p, end, cell);
}

static bool table_number(const char *s, size_t n)
{
	return n && strspn(s, "0123456789") >= n;
}

static void table_measure_line(struct table_col *cols, const char *line, const char *end,
			       bool header)
{
	const char *p = line, *cell;
	unsigned int k;

	for (k = 0; p < end || k == 0; k++) {
		size_t n = table_next(&p, end, k, &cell), w = cm_text_width(cell, n);

		if (w > cols[k].width)
			cols[k].width = w;
		if (header)
			continue;
		if (table_number(cell, n))
			cols[k].any_number = true;
		else if (n != 1 || cell[0] != '-')
			cols[k].numeric = false;
	}
}

static void table_pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

static void table_print_line(FILE *f, const struct table_col *cols, const char *line,
			     const char *end)
{
	const char *p = line, *cell;
	unsigned int k;

	for (k = 0; p < end || k == 0; k++) {
		size_t n = table_next(&p, end, k, &cell), w = cm_text_width(cell, n);
		bool right = cols[k].numeric && cols[k].any_number, last = p >= end;

		if (k)
			table_pad(f, TABLE_GAP);
		if (right)
			table_pad(f, cols[k].width - w);
		fwrite(cell, 1, n, f);
		if (!right && !last)
			table_pad(f, cols[k].width - w);
	}
	fputc('\n', f);
}

/* The end of the line at p (its newline, or the text's end). */
static const char *table_eol(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

/* Where the line after the one ending at eol starts. */
static const char *table_after(const char *eol, const char *end)
{
	return eol < end ? eol + 1 : end;
}

static bool table_line(const char *p, const char *eol)
{
	return memchr(p, '\t', (size_t)(eol - p)) != NULL;
}

/* The run of table lines from p: measured, then printed; returns its end. */
static const char *table_run(FILE *f, const char *p, const char *end)
{
	struct table_col cols[CM_TABLE_COLUMNS_MAX];
	const char *q, *eol;

	for (unsigned int k = 0; k < CM_TABLE_COLUMNS_MAX; k++)
		cols[k] = (struct table_col){ 0, true, false };
	for (q = p; q < end && table_line(q, eol = table_eol(q, end)); q = table_after(eol, end))
		table_measure_line(cols, q, eol, q == p);
	for (q = p; q < end && table_line(q, eol = table_eol(q, end)); q = table_after(eol, end))
		table_print_line(f, cols, q, eol);
	return q;
}

int cm_table_print(FILE *f, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *eol;

	while (p < end) {
		eol = table_eol(p, end);
		if (table_line(p, eol)) {
			p = table_run(f, p, end);
			continue;
		}
		fwrite(p, 1, (size_t)(eol - p), f);
		if (eol < end)
			fputc('\n', f);
		p = table_after(eol, end);
	}
	return ferror(f) ? -EIO : 0;
}
