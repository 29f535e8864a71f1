/* SPDX-License-Identifier: MIT */
/*
 * Text built with open_memstream (replies, reports, banners): closing the
 * stream is where a failed allocation shows, so it is checked in one place.
 */
#ifndef POSTERN_GW_MEMSTREAM_H
#define POSTERN_GW_MEMSTREAM_H

#include <stdio.h>
#include <stdlib.h>

/* Closes f (which sets *buf on close): the text, or NULL when writing it failed. */
static inline char *gw_stream_done(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		*buf = NULL;
		return NULL;
	}
	return *buf;
}

#endif
