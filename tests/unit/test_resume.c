/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the session records that outlive a network process: a
 * record carries back exactly the inputs of a session's decision, every
 * damaged record is refused with its reason, and the supervisor's table
 * over a real socket pair puts, replaces, forgets, bounds and refuses
 * what it must.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/resume.h"
#include "tests/unit/unit.h"

static struct gw_session *session_sample(void)
{
	struct gw_session *s = calloc(1, sizeof(*s));

	memset(s->cookie, 0x5a, sizeof(s->cookie));
	s->cookie[0] = 1;
	snprintf(s->id.device_id, sizeof(s->id.device_id), "devA");
	snprintf(s->id.group, sizeof(s->id.group), "field");
	snprintf(s->id.owner, sizeof(s->id.owner), "Zoë Field");
	snprintf(s->id.serial, sizeof(s->id.serial), "0A1B2C");
	s->id.ownership = CONF_OWNERSHIP_BYOD;
	s->id.not_after = 2000000000;
	memset(s->id.fingerprint, 0x77, sizeof(s->id.fingerprint));
	s->since = 1700000000;
	s->judged = true;
	s->judged_at = 1700000001;
	s->lease.have_v4 = true;
	s->lease.v4.s_addr = htonl(0xc6126403);	/* 198.18.100.3 */
	s->v4_index = 3;
	s->connects = 2;
	s->verdict = PST_QUARANTINE;
	s->n_facts = 2;
	s->facts = calloc(2, sizeof(*s->facts));
	snprintf(s->facts[0].name, sizeof(s->facts[0].name), "os.version");
	snprintf(s->facts[0].value, sizeof(s->facts[0].value), "17.1");
	s->facts[0].source = PST_SRC_CLIENT;
	s->facts[0].time = 1699999999;
	snprintf(s->facts[1].name, sizeof(s->facts[1].name), "disk.encrypted");
	snprintf(s->facts[1].value, sizeof(s->facts[1].value), "true");
	s->facts[1].source = PST_SRC_AGENT;
	s->report_problem = strdup("the report is 3 days old");
	return s;
}

static void session_free(struct gw_session *s)
{
	free(s->facts);
	free(s->report_problem);
	free(s);
}

static void test_round_trip(void)
{
	struct gw_session *s = session_sample();
	struct gw_resume_view *v = calloc(1, sizeof(*v));
	struct gw_resume_rec *r;
	const char *why = "x";
	size_t len = 0;

	r = gw_resume_record(s, &len);
	CHECK(r != NULL);
	CHECK_EQ_INT(gw_resume_read(r, len, v, &why), 0);
	CHECK_EQ_STR(why, "");
	CHECK(v->r == r);
	CHECK(!memcmp(r->cookie, s->cookie, GW_COOKIE_LEN));
	CHECK_EQ_STR(v->id.device_id, "devA");
	CHECK_EQ_STR(v->id.group, "field");
	CHECK_EQ_STR(v->id.owner, "Zoë Field");
	CHECK_EQ_STR(v->id.serial, "0A1B2C");
	CHECK_EQ_INT(v->id.ownership, CONF_OWNERSHIP_BYOD);
	CHECK_EQ_INT(v->id.not_after, 2000000000);
	CHECK(!memcmp(v->id.fingerprint, s->id.fingerprint, PST_FINGERPRINT_LEN));
	CHECK_EQ_INT(r->since, 1700000000);
	CHECK_EQ_INT(r->judged_at, 1700000001);
	CHECK_EQ_INT(r->judged, 1);
	CHECK_EQ_INT(r->have_v4, 1);
	CHECK_EQ_INT(r->have_v6, 0);
	CHECK_EQ_INT(r->v4_index, 3);
	CHECK_EQ_INT(ntohl(r->v4.s_addr), 0xc6126403);
	CHECK_EQ_INT(r->connects, 2);
	CHECK_EQ_INT(v->n_facts, 2);
	CHECK_EQ_STR(v->facts[0].name, "os.version");
	CHECK_EQ_STR(v->facts[0].value, "17.1");
	CHECK_EQ_INT(v->facts[0].time, 1699999999);
	CHECK_EQ_STR(v->facts[1].name, "disk.encrypted");
	CHECK_EQ_INT(v->facts[1].source, PST_SRC_AGENT);
	CHECK_EQ_STR(v->problem ? v->problem : "(none)", "the report is 3 days old");
	/* Packed: the head, four strings, the problem, two facts of 9 bytes
	 * plus their strings. */
	CHECK_EQ_INT(len, sizeof(*r) + strlen("devA") + strlen("field") + strlen("Zoë Field") +
			  strlen("0A1B2C") + 4 + strlen("the report is 3 days old") + 1 +
			  2 * 9 + strlen("os.version") + strlen("17.1") + strlen("disk.encrypted") +
			  strlen("true") + 4);
	free(r);
	/* No report problem, no facts: the smallest record. */
	free(s->report_problem);
	s->report_problem = NULL;
	s->n_facts = 0;
	r = gw_resume_record(s, &len);
	CHECK_EQ_INT(len, sizeof(*r) + 4 + 5 + 10 + 6 + 4);
	CHECK_EQ_INT(gw_resume_read(r, len, v, &why), 0);
	CHECK(v->problem == NULL && v->n_facts == 0);
	free(r);
	free(v);
	session_free(s);
}

/* Each damage, on a fresh copy of a good record, and the reason given. */
static void refused(void (*damage)(struct gw_resume_rec *r, size_t *len), const char *want)
{
	struct gw_session *s = session_sample();
	struct gw_resume_view *v = calloc(1, sizeof(*v));
	size_t len = 0;
	struct gw_resume_rec *r = gw_resume_record(s, &len);
	const char *why = NULL;

	damage(r, &len);
	CHECK_EQ_INT(gw_resume_read(r, len, v, &why), -EINVAL);
	CHECK_EQ_STR(why ? why : "(null)", want);
	free(r);
	free(v);
	session_free(s);
}

/* The packed part, as bytes: where its strings and facts are. */
static uint8_t *packed(struct gw_resume_rec *r) { return r->data; }
static uint8_t *after_strings(struct gw_resume_rec *r, int n)
{
	uint8_t *p = packed(r);

	while (n--)
		p += strlen((char *)p) + 1;
	return p;
}

static void short_rec(struct gw_resume_rec *r, size_t *len) { (void)r; *len = sizeof(*r) - 1; }
static void bad_magic(struct gw_resume_rec *r, size_t *len) { (void)len; r->magic ^= 1; }
static void bad_size(struct gw_resume_rec *r, size_t *len) { (void)r; *len -= 1; }
static void cut_short(struct gw_resume_rec *r, size_t *len) { r->size = (uint32_t)(*len -= 3); }
static void extra_byte(struct gw_resume_rec *r, size_t *len) { (void)len; r->n_facts = 1; }
static void many_facts(struct gw_resume_rec *r, size_t *len) { (void)len; r->n_facts = PST_FACTS_MAX + 1; }
static void more_facts(struct gw_resume_rec *r, size_t *len) { (void)len; r->n_facts = 3; }
static void no_device(struct gw_resume_rec *r, size_t *len) { (void)len; packed(r)[0] = '\0'; }
static void bad_ownership(struct gw_resume_rec *r, size_t *len) { (void)len; r->ownership = 7; }
static void no_problem_flag(struct gw_resume_rec *r, size_t *len) { (void)len; r->has_problem = 0; }
static void mdm_fact(struct gw_resume_rec *r, size_t *len) { (void)len; *after_strings(r, 5) = PST_SRC_MDM; }
static void fact_no_name(struct gw_resume_rec *r, size_t *len) { (void)len; after_strings(r, 5)[9] = '\0'; }
/* Every NUL of the packed part gone: no string ends inside the record. */
static void no_nul(struct gw_resume_rec *r, size_t *len)
{
	for (uint8_t *p = packed(r); p < (uint8_t *)r + *len; p++)
		if (!*p)
			*p = 'x';
}
static void test_damaged(void)
{
	refused(short_rec, "shorter than a record");
	refused(bad_magic, "not a record of this posternd");
	refused(bad_size, "not a record of this posternd");
	refused(cut_short, "a bad fact");
	refused(extra_byte, "bytes after its last fact");
	refused(many_facts, "a bad fact");
	refused(more_facts, "a bad fact");
	refused(no_device, "a bad identity");
	refused(bad_ownership, "a bad identity");
	refused(no_problem_flag, "a bad fact");
	refused(mdm_fact, "a bad fact");
	refused(fact_no_name, "a bad fact");
	refused(no_nul, "a bad identity");
}

/* A string longer than its field in struct pst_identity is refused, not cut. */
static void test_long_string(void)
{
	struct gw_session *s = session_sample();
	struct gw_resume_view *v = calloc(1, sizeof(*v));
	size_t len = 0, dev = sizeof(s->id.device_id);
	struct gw_resume_rec *r = gw_resume_record(s, &len);
	struct gw_resume_rec *big = calloc(1, len + dev);
	const char *why = NULL;

	/* The same record with a device id of dev - 1 + 4 bytes. */
	memcpy(big, r, sizeof(*r));
	memset(big->data, 'd', dev + 3);
	memcpy(big->data + dev + 3, r->data + 4, len - sizeof(*r) - 4);
	big->size = (uint32_t)(len + dev - 1);
	CHECK_EQ_INT(gw_resume_read(big, big->size, v, &why), -EINVAL);
	CHECK_EQ_STR(why ? why : "(null)", "a bad identity");
	free(big);
	free(r);
	free(v);
	session_free(s);
}

/* Ban records: told apart from session records by their magic, checked. */
static void test_ban_records(void)
{
	struct gw_resume_ban b = { .magic = GW_RESUME_BAN_MAGIC, .size = sizeof(b) };
	struct gw_session *s = session_sample();
	size_t len = 0;
	struct gw_resume_rec *r = gw_resume_record(s, &len);

	snprintf(b.ban.device, sizeof(b.ban.device), "devZ");
	b.ban.since = 1000;
	b.ban.until = 4600;
	CHECK_EQ_INT(gw_resume_ban_check(&b, sizeof(b)), 1);
	CHECK_EQ_INT(gw_resume_ban_check(r, len), 0);		/* a session's */
	CHECK_EQ_INT(gw_resume_ban_check(&b, 3), 0);		/* too short to tell */
	CHECK_EQ_INT(gw_resume_ban_check(&b, sizeof(b) - 1), -EINVAL);
	b.ban.until = 1000;					/* ends when it starts */
	CHECK_EQ_INT(gw_resume_ban_check(&b, sizeof(b)), -EINVAL);
	b.ban.until = 4600;
	memset(b.ban.device, 'd', sizeof(b.ban.device));	/* unterminated */
	CHECK_EQ_INT(gw_resume_ban_check(&b, sizeof(b)), -EINVAL);
	b.ban.device[0] = '\0';
	CHECK_EQ_INT(gw_resume_ban_check(&b, sizeof(b)), -EINVAL);
	free(r);
	session_free(s);
}

static int send_msg(int fd, char op, uint8_t keybyte, const void *rec, size_t len)
{
	uint8_t m[1 + GW_RESUME_KEY_LEN + 64];

	m[0] = (uint8_t)op;
	memset(m + 1, keybyte, GW_RESUME_KEY_LEN);
	if (len)
		memcpy(m + 1 + GW_RESUME_KEY_LEN, rec, len);
	return (int)send(fd, m, 1 + GW_RESUME_KEY_LEN + len, 0);
}

static void sum_len(const void *rec, size_t len, void *ctx)
{
	(void)rec;
	*(size_t *)ctx += len;
}

static void test_store(void)
{
	int sv[2];
	size_t total = 0;
	uint64_t dropped = gw_resume_store_dropped();
	static uint8_t big[1 + GW_RESUME_KEY_LEN + GW_RESUME_RECORD_MAX + 1];

	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK(send_msg(sv[1], 'P', 1, "abc", 3) > 0);
	CHECK(send_msg(sv[1], 'P', 2, "defgh", 5) > 0);
	CHECK(send_msg(sv[1], 'P', 1, "ABCDEFG", 7) > 0);	/* replaces key 1 */
	CHECK_EQ_INT(gw_resume_store_serve(sv[0]), 0);
	CHECK_EQ_INT(gw_resume_store_count(), 2);
	gw_resume_store_each(sum_len, &total);
	CHECK_EQ_INT(total, 12);
	CHECK(send_msg(sv[1], 'F', 1, NULL, 0) > 0);
	CHECK(send_msg(sv[1], 'F', 9, NULL, 0) > 0);		/* unknown: nothing */
	CHECK_EQ_INT(gw_resume_store_serve(sv[0]), 0);
	CHECK_EQ_INT(gw_resume_store_count(), 1);
	CHECK_EQ_INT(gw_resume_store_dropped(), dropped);
	/* Refused and counted: too short, an unknown operation, a put
	 * without a record, a forget with one, a record over the bound. */
	CHECK(send(sv[1], "P", 1, 0) == 1);
	CHECK(send_msg(sv[1], 'X', 3, "abc", 3) > 0);
	CHECK(send_msg(sv[1], 'P', 3, NULL, 0) > 0);
	CHECK(send_msg(sv[1], 'F', 3, "abc", 3) > 0);
	big[0] = 'P';
	CHECK(send(sv[1], big, sizeof(big), 0) == (ssize_t)sizeof(big));
	CHECK_EQ_INT(gw_resume_store_serve(sv[0]), 0);
	CHECK_EQ_INT(gw_resume_store_count(), 1);
	CHECK_EQ_INT(gw_resume_store_dropped(), dropped + 5);
	close(sv[1]);
	CHECK_EQ_INT(gw_resume_store_serve(sv[0]), -EPIPE);
	close(sv[0]);
	gw_resume_store_clear();
	CHECK_EQ_INT(gw_resume_store_count(), 0);
	total = 0;
	gw_resume_store_each(sum_len, &total);
	CHECK_EQ_INT(total, 0);
}

/* The table holds at most GW_RESUME_RECORDS_MAX records; a put beyond is dropped. */
static void test_store_bound(void)
{
	int sv[2];
	uint8_t m[1 + GW_RESUME_KEY_LEN + 1];
	uint64_t dropped = gw_resume_store_dropped();
	int buf = 1 << 22;

	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	m[0] = 'P';
	memset(m + 1, 0, GW_RESUME_KEY_LEN);
	m[1 + GW_RESUME_KEY_LEN] = 'r';
	for (uint32_t i = 0; i <= GW_RESUME_RECORDS_MAX; i++) {
		memcpy(m + 1, &i, sizeof(i));
		while (send(sv[1], m, sizeof(m), MSG_DONTWAIT) < 0)
			if (gw_resume_store_serve(sv[0]) < 0)
				break;
	}
	CHECK_EQ_INT(gw_resume_store_serve(sv[0]), 0);
	CHECK_EQ_INT(gw_resume_store_count(), GW_RESUME_RECORDS_MAX);
	CHECK_EQ_INT(gw_resume_store_dropped(), dropped + 1);
	close(sv[0]);
	close(sv[1]);
	gw_resume_store_clear();
}

/* A message the full socket refused makes the next one drop the whole
 * table first: no forget may be lost silently. */
static void test_lost_message(void)
{
	struct gw_ban b = { .device = "", .since = 1000, .until = 4600 };
	int sv[2], small = 4096, sent = 0;

	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	gw_resume_use(sv[1]);
	for (int i = 0; i < 2000; i++, sent++) {
		snprintf(b.device, sizeof(b.device), "dev%d", i);
		gw_resume_ban_put(&b);
	}
	CHECK_EQ_INT(gw_resume_store_serve(sv[0]), 0);
	CHECK(gw_resume_store_count() > 0 && gw_resume_store_count() < (size_t)sent);
	snprintf(b.device, sizeof(b.device), "devLast");
	gw_resume_ban_put(&b);
	CHECK_EQ_INT(gw_resume_store_serve(sv[0]), 0);
	CHECK_EQ_INT(gw_resume_store_count(), 1);		/* dropped, then devLast */
	gw_resume_ban_forget("devLast");
	CHECK_EQ_INT(gw_resume_store_serve(sv[0]), 0);
	CHECK_EQ_INT(gw_resume_store_count(), 0);
	gw_resume_use(-1);
	close(sv[0]);
	close(sv[1]);
	gw_resume_store_clear();
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_damaged);
	RUN(test_long_string);
	RUN(test_ban_records);
	RUN(test_store);
	RUN(test_store_bound);
	RUN(test_lost_message);
	UNIT_EXIT();
}
