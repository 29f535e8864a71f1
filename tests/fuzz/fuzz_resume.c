/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what a network process started again reads from
 * the one before it: the supervisor's handling of its messages (sent over
 * a real socket pair, one datagram each) and the check of a session record
 * (gw_resume_read). The process that wrote them parsed network input, so
 * neither may trust a length or a string. What must hold: a record the
 * reader accepts is exactly its size, every string of its identity and
 * facts fits its field, no MDM fact, as many facts as it says, its report
 * problem inside the record; a ban record is exactly one; the
 * supervisor's table never holds more records than its bound.
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

static struct gw_resume_view view;

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
	if (gw_resume_read(r, size, &view, &why) == 0) {
		FUZZ_ASSERT(view.r == r && r->size == size && size >= sizeof(*r));
		FUZZ_ASSERT(view.id.device_id[0] && strlen(view.id.device_id) < sizeof(view.id.device_id));
		FUZZ_ASSERT(strlen(view.id.serial) < sizeof(view.id.serial));
		FUZZ_ASSERT(view.n_facts == r->n_facts && view.n_facts <= PST_FACTS_MAX);
		for (size_t i = 0; i < view.n_facts; i++)
			FUZZ_ASSERT(view.facts[i].source != PST_SRC_MDM && view.facts[i].name[0] &&
				    strlen(view.facts[i].value) < sizeof(view.facts[i].value));
		FUZZ_ASSERT(!view.problem || ((const uint8_t *)view.problem >= r->data &&
					      (const uint8_t *)view.problem < (const uint8_t *)r + size));
		FUZZ_ASSERT(!r->has_problem == !view.problem);
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
