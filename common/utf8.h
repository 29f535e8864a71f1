/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 as Postern accepts it wherever text crosses a trust boundary (an
 * owner's name typed into postern-ca, read back from a certificate, or
 * written into JSON): well-formed only, so that what is stored, checked and
 * shown is the same text for every reader. This is the one decoder; the JSON
 * writer (common/json.h) and the device-certificate contract
 * (common/device.h) use it.
 */
#ifndef POSTERN_COMMON_UTF8_H
#define POSTERN_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the sequence at p, of which at most avail bytes may be read (a
 * NUL also ends it). Returns its length (1 to 4) and sets *cp, or 0 when it
 * is not well-formed: an overlong form, a surrogate, a value past U+10FFFF,
 * a stray or missing continuation byte.
 */
size_t cm_utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp);

/* A control character: C0, DEL or C1. */
static inline bool cm_utf8_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

/*
 * The number of characters (code points) in the len bytes at s when they
 * are well-formed UTF-8 text without control characters (a NUL is one), or
 * -1 when they are not.
 */
long cm_utf8_text_chars(const char *s, size_t len);

#endif
