/* SPDX-License-Identifier: MIT */
/*
 * Session records for the supervisor (resume.h). A record is sent as one
 * datagram, without waiting: a worker never blocks on the supervisor, and
 * a record that does not fit the socket's buffer is only a session that
 * would not outlive a crash. Records are read back by the same binary (the
 * supervisor forks the next network process from itself), so they are the
 * structure's bytes; gw_resume_check still bounds every length and string,
 * because the process that wrote them parsed network input.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gateway/resume.h"

static int resume_fd = -1;

void gw_resume_use(int fd)
{
	resume_fd = fd;
}

struct gw_resume_rec *gw_resume_record(const struct gw_session *s, size_t *len)
{
	size_t n_facts = s->n_facts < PST_FACTS_MAX ? s->n_facts : PST_FACTS_MAX;
	size_t problem = s->report_problem ? strnlen(s->report_problem, GW_RESUME_PROBLEM_MAX - 1) + 1 : 0;
	size_t size = sizeof(struct gw_resume_rec) + n_facts * sizeof(struct pst_fact) + problem;
	struct gw_resume_rec *r = calloc(1, size);

	if (!r)
		return NULL;
	r->magic = GW_RESUME_MAGIC;
	r->size = (uint32_t)size;
	memcpy(r->cookie, s->cookie, GW_COOKIE_LEN);
	r->id = s->id;
	r->since = s->since;
	r->judged_at = s->judged_at;
	r->judged = s->judged;
	r->have_v4 = s->lease.have_v4;
	r->have_v6 = s->lease.have_v6;
	r->v4_index = s->v4_index;
	r->v6_index = s->v6_index;
	r->v4 = s->lease.v4;
	r->v6 = s->lease.v6;
	r->connects = s->connects;
	r->n_facts = (uint32_t)n_facts;
	if (n_facts)
		memcpy(r->facts, s->facts, n_facts * sizeof(struct pst_fact));
	r->problem_len = (uint32_t)problem;
	if (problem) {
		char *p = (char *)(r->facts + n_facts);

		memcpy(p, s->report_problem, problem - 1);
		p[problem - 1] = '\0';
	}
	*len = size;
	return r;
}

static bool resume_sendmsg(const uint8_t op, const uint8_t *key, const void *rec, size_t len)
{
	struct iovec iov[3] = { { (void *)&op, 1 }, { (void *)key, GW_RESUME_KEY_LEN },
				{ (void *)rec, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = rec ? 3 : 2 };

	return sendmsg(resume_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0;
}

/*
 * A message that could not be sent (the supervisor's socket full) may have
 * been a forget: the supervisor would then hold a session that ended (a
 * kicked device's, say) and bring it back after a crash. So a lost message
 * makes the next one a drop of the whole table first: fail closed, only
 * what is put after it can come back.
 */
static atomic_bool resume_lost;

static bool resume_send(const uint8_t op, const uint8_t *key, const void *rec, size_t len)
{
	static const uint8_t none[GW_RESUME_KEY_LEN];

	if (atomic_exchange(&resume_lost, false) &&
	    !resume_sendmsg(GW_RESUME_DROP_ALL, none, NULL, 0)) {
		atomic_store(&resume_lost, true);
		return false;
	}
	if (resume_sendmsg(op, key, rec, len))
		return true;
	atomic_store(&resume_lost, true);
	return false;
}

void gw_resume_put(struct gw_session *s)
{
	struct gw_resume_rec *r;
	size_t len;

	if (resume_fd < 0 || s->verdict == PST_DENY)
		return;
	r = gw_resume_record(s, &len);
	if (r && resume_send(GW_RESUME_PUT, s->cookie, r, len))
		s->kept = true;
	if (r) {
		OPENSSL_cleanse(r->cookie, sizeof(r->cookie));
		free(r);
	}
}

void gw_resume_forget(struct gw_session *s)
{
	if (resume_fd < 0 || !s->kept)
		return;
	(void)resume_send(GW_RESUME_FORGET, s->cookie, NULL, 0);
	s->kept = false;
}

/* A ban's key: SHA-256 of a tag and the device id, apart from any cookie. */
static void resume_ban_key(const char *device, uint8_t *key)
{
	char in[16 + PST_DEVICE_ID_MAX + 1];
	int n = snprintf(in, sizeof(in), "postern ban%c%s", '\0', device);
	unsigned int len = 0;

	if (n < 0 || (size_t)n >= sizeof(in) ||
	    EVP_Digest(in, (size_t)n, key, &len, EVP_sha256(), NULL) != 1 || len != GW_RESUME_KEY_LEN)
		memset(key, 0, GW_RESUME_KEY_LEN);
}

void gw_resume_ban_put(const struct gw_ban *b)
{
	struct gw_resume_ban r = { .magic = GW_RESUME_BAN_MAGIC, .size = sizeof(r), .ban = *b };
	uint8_t key[GW_RESUME_KEY_LEN];

	if (resume_fd < 0)
		return;
	resume_ban_key(b->device, key);
	(void)resume_send(GW_RESUME_PUT, key, &r, sizeof(r));
}

void gw_resume_ban_forget(const char *device)
{
	uint8_t key[GW_RESUME_KEY_LEN];

	if (resume_fd < 0)
		return;
	resume_ban_key(device, key);
	(void)resume_send(GW_RESUME_FORGET, key, NULL, 0);
}

static bool resume_str_ok(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static bool resume_id_ok(const struct pst_identity *id)
{
	return resume_str_ok(id->device_id, sizeof(id->device_id)) && id->device_id[0] &&
	       resume_str_ok(id->group, sizeof(id->group)) &&
	       resume_str_ok(id->owner, sizeof(id->owner)) &&
	       resume_str_ok(id->serial, sizeof(id->serial)) &&
	       (unsigned int)id->ownership <= CONF_OWNERSHIP_BYOD;
}

int gw_resume_ban_check(const void *rec, size_t len)
{
	const struct gw_resume_ban *r = rec;
	uint32_t magic;

	if (len < sizeof(magic))
		return 0;
	memcpy(&magic, rec, sizeof(magic));
	if (magic != GW_RESUME_BAN_MAGIC)
		return 0;
	if (len != sizeof(*r) || r->size != len || !memchr(r->ban.device, '\0', sizeof(r->ban.device)) ||
	    !r->ban.device[0] || r->ban.until <= r->ban.since)
		return -EINVAL;
	return 1;
}

int gw_resume_check(const void *rec, size_t len, const char **why)
{
	const struct gw_resume_rec *r = rec;
	const char *problem;
	size_t want;

	*why = "shorter than a record";
	if (len < sizeof(*r))
		return -EINVAL;
	*why = "not a record of this posternd";
	if (r->magic != GW_RESUME_MAGIC || r->size != len)
		return -EINVAL;
	*why = "its lengths do not add up";
	if (r->n_facts > PST_FACTS_MAX || r->problem_len > GW_RESUME_PROBLEM_MAX)
		return -EINVAL;
	want = sizeof(*r) + r->n_facts * sizeof(struct pst_fact) + r->problem_len;
	if (want != len)
		return -EINVAL;
	*why = "a bad identity";
	if (!resume_id_ok(&r->id))
		return -EINVAL;
	*why = "a bad fact";
	for (uint32_t i = 0; i < r->n_facts; i++) {
		const struct pst_fact *f = &r->facts[i];

		if (!resume_str_ok(f->name, sizeof(f->name)) ||
		    !resume_str_ok(f->value, sizeof(f->value)) || !f->name[0] ||
		    (unsigned int)f->source >= PST_SRC_N || f->source == PST_SRC_MDM)
			return -EINVAL;
	}
	*why = "a bad posture-report problem";
	problem = (const char *)(r->facts + r->n_facts);
	if (r->problem_len && (problem[r->problem_len - 1] != '\0' ||
			       strlen(problem) != r->problem_len - 1))
		return -EINVAL;
	*why = "";
	return 0;
}
