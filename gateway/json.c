/* SPDX-License-Identifier: MIT */
/*
 * The little JSON the gateway writes: the audit log and the control
 * socket's answers. Strings may come from devices (facts) or from a
 * certificate (the owner's name), so they are escaped with care: quotes,
 * backslashes and control characters always; bytes above ASCII pass through
 * only as part of well-formed UTF-8, anything else becomes U+FFFD. Every
 * document written this way is valid JSON whatever a device sends.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/gateway.h"

/* Length of the well-formed UTF-8 sequence at p (shortest form, no
 * surrogates, at most U+10FFFF), or 0. */
static size_t json_utf8_len(const unsigned char *p)
{
	unsigned int cp;
	size_t n;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void gw_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*p) {
		size_t n;

		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, f);
		} else if ((n = json_utf8_len(p)) != 0) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
	fputc('"', f);
}

void gw_json_time(FILE *f, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "\"%s\"", buf);
}

void gw_json_key(FILE *f, bool *first, const char *key)
{
	if (!*first)
		fputc(',', f);
	*first = false;
	fprintf(f, "\"%s\":", key);
}

void gw_json_addr(FILE *f, int family, const void *addr)
{
	char a[INET6_ADDRSTRLEN];

	gw_json_str(f, inet_ntop(family, addr, a, sizeof(a)));
}
