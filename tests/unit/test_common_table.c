/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/table.c under the C.UTF-8 locale: display widths of
 * ASCII, a precomposed and a combining accent, CJK and an emoji (two
 * columns each), bytes that are not UTF-8; a table with a CJK owner whose
 * columns line up by display width, not by bytes or characters, with its
 * number column right-aligned and no blanks at a line's end; lines without
 * a TAB as they are, and two tables apart aligned each on its own.
 */
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/table.h"
#include "tests/unit/unit.h"

static bool utf8_locale;

static size_t width(const char *s)
{
	return cm_text_width(s, strlen(s));
}

/* The table as cm_table_print writes it (malloc'd). */
static char *print(const char *text)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	CHECK_EQ_INT(cm_table_print(f, text, strlen(text)), 0);
	fclose(f);
	return out;
}

static void test_width(void)
{
	CHECK_EQ_INT(width(""), 0);
	CHECK_EQ_INT(width("devA"), 4);
	CHECK_EQ_INT(width("\xff\xfe"), 2);		/* not UTF-8: a column a byte */
	if (!utf8_locale)
		return;
	CHECK_EQ_INT(width("Zo\xc3\xab"), 3);		/* Zoë, precomposed */
	CHECK_EQ_INT(width("Zoe\xcc\x88"), 3);		/* Zoë, e + combining diaeresis */
	CHECK_EQ_INT(width("\xe5\xb1\xb1\xe7\x94\xb0"), 4);	/* 山田 */
	CHECK_EQ_INT(width("\xf0\x9f\x98\x80"), 2);	/* U+1F600 */
}

/* A CJK owner is 8 columns wide in 12 bytes and 4 characters. */
static void test_align_wide(void)
{
	const char *in = "DEVICE\tOWNER\tRX\tSINCE\n"
			 "a\t\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e\t5\t2026\n"
			 "longer-id\tZo\xc3\xab\t12345\t-\n"
			 "b\t-\t-\tnow\n";
	const char *want = "DEVICE     OWNER        RX  SINCE\n"
			   "a          \xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e      5  2026\n"
			   "longer-id  Zo\xc3\xab       12345  -\n"
			   "b          -             -  now\n";
	char *out;

	if (!utf8_locale) {
		printf("# no C.UTF-8 locale here: the wide-character table is not checked\n");
		return;
	}
	out = print(in);
	CHECK_EQ_STR(out, want);
	free(out);
}

static void test_plain_lines(void)
{
	char *out = print("facts:\nNAME\tVALUE\nos.name\tlinux\n\nhistory:\nTIME\tEVENT\n"
			  "2026-11-27T10:00:00Z\tlogin\nno newline at the end");

	CHECK_EQ_STR(out, "facts:\nNAME     VALUE\nos.name  linux\n\nhistory:\n"
		     "TIME                  EVENT\n2026-11-27T10:00:00Z  login\n"
		     "no newline at the end");
	free(out);
	out = print("");
	CHECK_EQ_STR(out, "");
	free(out);
	/* A table that ends the text without a newline gets one. */
	out = print("A\tB\n1\t2");
	CHECK_EQ_STR(out, "A  B\n1  2\n");
	free(out);
	/* A column of text is left-aligned even when some cells are numbers. */
	out = print("ID\tN\nx\t1\n22\t333\n");
	CHECK_EQ_STR(out, "ID    N\nx     1\n22  333\n");
	free(out);
}

static void test_many_columns(void)
{
	char in[256] = "", *out;

	for (int i = 0; i < CM_TABLE_COLUMNS_MAX + 3; i++)
		strcat(in, i ? "\tx" : "x");
	strcat(in, "\n");
	out = print(in);
	/* The last column holds the rest: three tabs and four x's. */
	CHECK(out && strstr(out, "x\tx\tx\tx\n") && strlen(out) < strlen(in) * 2);
	free(out);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	utf8_locale = setlocale(LC_CTYPE, "C.UTF-8") != NULL;
	RUN(test_width);
	RUN(test_align_wide);
	RUN(test_plain_lines);
	RUN(test_many_columns);
	UNIT_EXIT();
}
