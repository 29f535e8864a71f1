/* SPDX-License-Identifier: MIT */
/*
 * The one UTF-8 decoder (see common/utf8.h): the shortest form only, no
 * surrogates, nothing past U+10FFFF, as the Unicode standard's table of
 * well-formed sequences says.
 */
#include "common/utf8.h"

size_t cm_utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t c;
	size_t i, n;

	if (!avail)
		return 0;
	c = p[0];
	if (c < 0x80)
		n = 1;
	else if ((c & 0xe0) == 0xc0)
		n = 2, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		n = 3, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		n = 4, c &= 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at a NUL */
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

long cm_utf8_text_chars(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	long chars = 0;
	uint32_t cp;
	size_t i, n;

	for (i = 0; i < len; i += n, chars++) {
		n = cm_utf8_decode(p + i, len - i, &cp);
		if (!n || cm_utf8_control(cp))
			return -1;
	}
	return chars;
}
