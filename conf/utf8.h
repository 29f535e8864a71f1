/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 as Postern accepts it wherever text crosses a trust boundary (an
 * owner's name typed into postern-ca, read back from a certificate, or
 * written into JSON): well-formed only, so that what is stored, checked and
 * shown is the same text for every reader.
 */
#ifndef POSTERN_CONF_UTF8_H
#define POSTERN_CONF_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the sequence at p, of which at most avail bytes may be read (a
 * NUL also ends it). Returns its length (1 to 4) and sets *cp, or 0 when it
 * is not well-formed: an overlong form, a surrogate, a value past U+10FFFF,
 * a stray or missing continuation byte.
 */
size_t conf_utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp);

/* A control character: C0, DEL or C1. */
static inline bool conf_utf8_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

#endif
