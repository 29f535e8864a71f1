/* SPDX-License-Identifier: MIT */
/*
 * Text tables for people, aligned by display width: a device id is ASCII,
 * but an owner's name is any UTF-8 text, and a CJK character takes two
 * columns of a terminal while "ë" takes one (and a combining accent none).
 * Byte counts or character counts would misalign both. The width of a
 * character is the current locale's (wcwidth, LC_CTYPE), so the caller sets
 * a UTF-8 locale first; a character that locale does not know counts as one
 * column.
 *
 * A table is written as lines of cells separated by TAB characters (which
 * the cells never hold); its first line is its header. posternctl gets the
 * gateway's text answers in that form and prints them aligned here, on the
 * terminal whose locale knows the widths.
 */
#ifndef POSTERN_COMMON_TABLE_H
#define POSTERN_COMMON_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define CM_TABLE_COLUMNS_MAX	32	/* cells of a line past this are run together */

/* The display width of the len bytes of UTF-8 text at s (a byte that is
 * not UTF-8 counts as one column). */
size_t cm_text_width(const char *s, size_t len);

/*
 * Writes the len bytes of text at text to f with every run of lines that
 * hold a TAB aligned as one table: each cell padded to the widest of its
 * column, two spaces between columns, a column whose cells below the header
 * are all numbers (or "-") aligned right, no blanks at a line's end. Other
 * lines are written as they are. 0, or -errno (out of memory, a write error).
 */
int cm_table_print(FILE *f, const char *text, size_t len);

#endif
