/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what a network process started again reads from
 * the one before it: the supervisor's handling of its messages (sent over
 * a real socket pair, one datagram each) and the check of a session record
 * (gw_resume_check). The process that wrote them parsed network input, so
 * neither may trust a length or a string. What must hold: a record the
 * check accepts has its lengths add up to its size, every string of its
 * identity and facts ends inside its array, no MDM fact, and a report
 * problem of exactly the length it claims; the supervisor's table never
 * holds more records than its bound.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/resume.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

static int pair[2] = { -1, -1 };

static void fuzz_store(const uint8_t *data, size_t size)
{
	if (pair[0] < 0)
		FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) == 0);
	if (size && send(pair[1], data, size, MSG_DONTWAIT) < 0)
		return;		/* over the socket's bound: the kernel refuses it */
	FUZZ_ASSERT(gw_resume_store_serve(pair[0]) == 0);
	FUZZ_ASSERT(gw_resume_store_count() <= GW_RESUME_RECORDS_MAX);
	if (gw_resume_store_count() > 64)
		gw_resume_store_clear();
}

static void fuzz_record(const uint8_t *data, size_t size)
{
	/* An aligned, exact-size copy, as the table holds records. */
	struct gw_resume_rec *r = malloc(size ? size : 1);
	const char *why = NULL;

	FUZZ_ASSERT(r);
	memcpy(r, data, size);
	if (gw_resume_ban_check(r, size) > 0) {
		const struct gw_resume_ban *b = (const void *)r;

		FUZZ_ASSERT(size == sizeof(*b) && memchr(b->ban.device, 0, sizeof(b->ban.device)) &&
			    b->ban.device[0] && b->ban.until > b->ban.since);
	}
	if (gw_resume_check(r, size, &why) == 0) {
		const char *problem = (const char *)(r->facts + r->n_facts);

		FUZZ_ASSERT(size == sizeof(*r) + r->n_facts * sizeof(struct pst_fact) + r->problem_len);
		FUZZ_ASSERT(memchr(r->id.device_id, 0, sizeof(r->id.device_id)) && r->id.device_id[0]);
		FUZZ_ASSERT(memchr(r->id.serial, 0, sizeof(r->id.serial)));
		for (uint32_t i = 0; i < r->n_facts; i++)
			FUZZ_ASSERT(r->facts[i].source != PST_SRC_MDM &&
				    memchr(r->facts[i].value, 0, sizeof(r->facts[i].value)));
		FUZZ_ASSERT(!r->problem_len || strlen(problem) + 1 == r->problem_len);
	} else {
		FUZZ_ASSERT(why && why[0]);
	}
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_record(data, size);
	fuzz_store(data, size);
	return 0;
}
