/* SPDX-License-Identifier: MIT */
/*
 * Sessions that outlive their network process (resume.c): what a session
 * needs to be taken back by the next network process, put with the
 * supervisor when it is decided and forgotten when it ends. Only the
 * inputs of its decision travel (the certificate's identity, what the
 * device itself reported, its addresses): the next process decides it
 * again under the policy, CRL and inventory it has then (restore.c).
 */
#ifndef POSTERN_GW_RESUME_H
#define POSTERN_GW_RESUME_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "gateway/model.h"
#include "gateway/resume_store.h"

_Static_assert(GW_RESUME_KEY_LEN == GW_COOKIE_LEN, "records are keyed by the session cookie");

#define GW_RESUME_MAGIC		0x32525350u	/* "PSR2" in memory */
#define GW_RESUME_PROBLEM_MAX	512		/* bytes of report_problem kept */

/*
 * One record, as the same posternd binary writes and reads it: this head,
 * then packed, each string with its NUL: the device id, group, owner and
 * serial, the report problem when there is one, and n_facts facts, each a
 * source byte, its time (int64_t, unaligned) and its name and value. Facts
 * take a session's few dozen bytes each, not the 192 of struct pst_fact:
 * the supervisor holds one record per session.
 */
struct gw_resume_rec {
	uint32_t magic;
	uint32_t size;				/* of the whole record */
	uint8_t cookie[GW_COOKIE_LEN];
	uint8_t fingerprint[PST_FINGERPRINT_LEN];
	int64_t since, judged_at, not_after;	/* wall clock */
	uint32_t v4_index, v6_index, connects;
	struct in_addr v4;			/* the addresses at those indexes */
	struct in6_addr v6;
	uint8_t have_v4, have_v6, judged, ownership;
	uint8_t has_problem, n_facts, pad[2];
	uint8_t data[];
};

/* A record read back: its head, and what its packed part says. */
struct gw_resume_view {
	const struct gw_resume_rec *r;
	struct pst_identity id;
	const char *problem;			/* into the record; NULL: none */
	size_t n_facts;
	struct pst_fact facts[PST_FACTS_MAX];
};

_Static_assert(sizeof(struct gw_resume_rec) + 4 * 256 + GW_RESUME_PROBLEM_MAX +
	       PST_FACTS_MAX * (1 + 8 + PST_NAME_MAX + 1 + PST_VALUE_MAX + 1) <= GW_RESUME_RECORD_MAX,
	       "a record fits the store's bound");

/* A ban (posternctl ban) outlives the network process the same way: an
 * operator's bar must not lift because the process crashed. Its key is a
 * hash of the device id, so it replaces and forgets by device. */
#define GW_RESUME_BAN_MAGIC	0x31425350u	/* "PSB1" in memory */
struct gw_resume_ban {
	uint32_t magic;
	uint32_t size;
	struct gw_ban ban;
};

/* The network process's end of the supervisor's pair (-1: none, as in tests). */
void gw_resume_use(int fd);
/* Puts s's record with the supervisor (again, after a change); a session
 * that cannot be put only loses its chance to outlive a crash. */
void gw_resume_put(struct gw_session *s);
/* s ends: the supervisor forgets its record. */
void gw_resume_forget(struct gw_session *s);
/*
 * Builds s's record (malloc'd, *len bytes) or NULL when out of memory.
 * Reads a record back into v (its pointers into rec): 0, or -EINVAL with
 * why (one phrase) when any length or string is out of bounds.
 */
struct gw_resume_rec *gw_resume_record(const struct gw_session *s, size_t *len);
int gw_resume_read(const void *rec, size_t len, struct gw_resume_view *v, const char **why);
/* Puts b with the supervisor; forgets device's. */
void gw_resume_ban_put(const struct gw_ban *b);
void gw_resume_ban_forget(const char *device);
/* Whether rec is a ban record, and one that checks: 1 a good ban, 0 not a
 * ban, -EINVAL a damaged one. */
int gw_resume_ban_check(const void *rec, size_t len);

#endif
