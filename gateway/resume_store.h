/* SPDX-License-Identifier: MIT */
/*
 * The supervisor's copy of what each live session needs to outlive its
 * network process (resume_store.c): opaque records, keyed by the session's
 * cookie, that the network process puts and forgets over a socket pair.
 * A network process started again after a crash inherits the table by
 * fork and takes its sessions back (restore.c); the supervisor never
 * reads a record's contents.
 */
#ifndef POSTERN_GW_RESUME_STORE_H
#define POSTERN_GW_RESUME_STORE_H

#include <stddef.h>
#include <stdint.h>

#define GW_RESUME_KEY_LEN	32		/* the session cookie */
#define GW_RESUME_RECORD_MAX	16384		/* bytes in one record */
#define GW_RESUME_RECORDS_MAX	131072		/* records held at once */

/* The messages, one datagram each: an operation byte, the key, and for a
 * put the record. A drop (key all zero) empties the table: the network
 * process lost a message and cannot say which. */
enum { GW_RESUME_PUT = 'P', GW_RESUME_FORGET = 'F', GW_RESUME_DROP_ALL = 'X' };

/*
 * Reads every message waiting on fd (non-blocking) into the table. 0 when
 * none is left, -EPIPE when the other end is closed, or another -errno.
 * Malformed messages and puts beyond GW_RESUME_RECORDS_MAX are dropped
 * and counted.
 */
int gw_resume_store_serve(int fd);
size_t gw_resume_store_count(void);
/* Messages dropped since start: malformed, or the table was full. */
uint64_t gw_resume_store_dropped(void);
/* Calls fn for every record, in no particular order. */
void gw_resume_store_each(void (*fn)(const void *rec, size_t len, void *ctx), void *ctx);
/* Empties the table (the network process, once it took its sessions back). */
void gw_resume_store_clear(void);

#endif
