/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/utf8.c: the decoder takes exactly the well-formed
 * sequences (every one- and two-byte input is compared with the Unicode
 * standard's table, as tests/unit/json_check.h encodes it), never reads past
 * avail, and cm_utf8_text_chars counts characters of text without control
 * characters and refuses anything else.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/utf8.h"
#include "tests/unit/json_check.h"
#include "tests/unit/unit.h"

static size_t decode(const char *s, size_t avail, uint32_t *cp)
{
	return cm_utf8_decode((const unsigned char *)s, avail, cp);
}

static void test_decode_forms(void)
{
	uint32_t cp = 0;

	CHECK_EQ_INT(decode("A", 1, &cp), 1);
	CHECK_EQ_INT(cp, 'A');
	CHECK_EQ_INT(decode("\xc3\xa9", 2, &cp), 2);
	CHECK_EQ_INT(cp, 0xe9);
	CHECK_EQ_INT(decode("\xe6\x97\xa5", 3, &cp), 3);
	CHECK_EQ_INT(cp, 0x65e5);
	CHECK_EQ_INT(decode("\xf4\x8f\xbf\xbf", 4, &cp), 4);
	CHECK_EQ_INT(cp, 0x10ffff);
	CHECK_EQ_INT(decode("\xc0\xaf", 2, &cp), 0);		/* overlong */
	CHECK_EQ_INT(decode("\xe0\x9f\xbf", 3, &cp), 0);	/* overlong */
	CHECK_EQ_INT(decode("\xed\xa0\x80", 3, &cp), 0);	/* surrogate */
	CHECK_EQ_INT(decode("\xf4\x90\x80\x80", 4, &cp), 0);	/* past U+10FFFF */
	CHECK_EQ_INT(decode("\x80", 1, &cp), 0);		/* stray continuation */
	CHECK_EQ_INT(decode("\xff", 1, &cp), 0);
	CHECK_EQ_INT(decode("\xc3", 1, &cp), 0);		/* cut short */
	CHECK_EQ_INT(decode("A", 0, &cp), 0);
}

/* avail is a hard limit, even when the bytes after it would complete it. */
static void test_decode_avail(void)
{
	uint32_t cp;

	CHECK_EQ_INT(decode("\xe6\x97\xa5", 2, &cp), 0);
	CHECK_EQ_INT(decode("\xf0\x9d\x84\x9e", 3, &cp), 0);
	CHECK_EQ_INT(decode("\xe6\x00\xa5", 3, &cp), 0);	/* a NUL ends it too */
}

/* Every one- and two-byte string: the decoder agrees with the table. */
static void test_decode_exhaustive(void)
{
	unsigned char s[3] = { 0 };
	unsigned long bad = 0;
	uint32_t cp;

	for (int a = 1; a < 256; a++) {
		for (int b = 0; b < 256; b++) {
			size_t n;
			bool ok;

			s[0] = (unsigned char)a;
			s[1] = (unsigned char)b;
			n = cm_utf8_decode(s, b ? 2 : 1, &cp);
			ok = b ? jr_utf8_valid((char *)s) : a < 0x80;
			if (a < 0x80)
				bad += n != 1;
			else if (b)
				bad += ok != (n == 2);
			else
				bad += n != 0;
		}
	}
	CHECK_EQ_INT(bad, 0);
}

static void test_control(void)
{
	CHECK(cm_utf8_control(0));
	CHECK(cm_utf8_control(0x1f));
	CHECK(cm_utf8_control(0x7f));
	CHECK(cm_utf8_control(0x85));		/* C1 */
	CHECK(cm_utf8_control(0x9f));
	CHECK(!cm_utf8_control(' '));
	CHECK(!cm_utf8_control(0xa0));
	CHECK(!cm_utf8_control(0x2028));
}

static void test_text_chars(void)
{
	CHECK_EQ_INT(cm_utf8_text_chars("", 0), 0);
	CHECK_EQ_INT(cm_utf8_text_chars("Zo\xc3\xab", 4), 3);
	CHECK_EQ_INT(cm_utf8_text_chars("\xf0\x9f\x98\x80!", 5), 2);
	CHECK_EQ_INT(cm_utf8_text_chars("a\nb", 3), -1);
	CHECK_EQ_INT(cm_utf8_text_chars("a\0b", 3), -1);		/* a NUL inside */
	CHECK_EQ_INT(cm_utf8_text_chars("\xc2\x85", 2), -1);	/* C1 NEL */
	CHECK_EQ_INT(cm_utf8_text_chars("caf\xc3", 4), -1);
	CHECK_EQ_INT(cm_utf8_text_chars("caf\xc3\xa9", 4), -1);	/* len cuts it */
}

int main(void)
{
	RUN(test_decode_forms);
	RUN(test_decode_avail);
	RUN(test_decode_exhaustive);
	RUN(test_control);
	RUN(test_text_chars);
	UNIT_EXIT();
}
