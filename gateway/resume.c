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
#include <stddef.h>
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

/* Appends s and its NUL at *at. */
static void pack_str(uint8_t **at, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(*at, s, n);
	*at += n;
}

static size_t pack_fact_len(const struct pst_fact *f)
{
	return 1 + sizeof(int64_t) + strlen(f->name) + 1 + strlen(f->value) + 1;
}

struct gw_resume_rec *gw_resume_record(const struct gw_session *s, size_t *len)
{
	size_t n_facts = s->n_facts < PST_FACTS_MAX ? s->n_facts : PST_FACTS_MAX;
	char problem[GW_RESUME_PROBLEM_MAX];
	size_t size = sizeof(struct gw_resume_rec);
	struct gw_resume_rec *r;
	uint8_t *at;

	snprintf(problem, sizeof(problem), "%s", s->report_problem ? s->report_problem : "");
	size += strlen(s->id.device_id) + strlen(s->id.group) + strlen(s->id.owner) +
		strlen(s->id.serial) + 4;
	if (s->report_problem)
		size += strlen(problem) + 1;
	for (size_t i = 0; i < n_facts; i++)
		size += pack_fact_len(&s->facts[i]);
	r = calloc(1, size);
	if (!r)
		return NULL;
	r->magic = GW_RESUME_MAGIC;
	r->size = (uint32_t)size;
	memcpy(r->cookie, s->cookie, GW_COOKIE_LEN);
	memcpy(r->fingerprint, s->id.fingerprint, PST_FINGERPRINT_LEN);
	r->since = s->since;
	r->judged_at = s->judged_at;
	r->not_after = s->id.not_after;
	r->judged = s->judged;
	r->ownership = (uint8_t)s->id.ownership;
	r->have_v4 = s->lease.have_v4;
	r->have_v6 = s->lease.have_v6;
	r->v4_index = s->v4_index;
	r->v6_index = s->v6_index;
	r->v4 = s->lease.v4;
	r->v6 = s->lease.v6;
	r->connects = s->connects;
	r->has_problem = s->report_problem != NULL;
	r->n_facts = (uint8_t)n_facts;
	at = r->data;
	pack_str(&at, s->id.device_id);
	pack_str(&at, s->id.group);
	pack_str(&at, s->id.owner);
	pack_str(&at, s->id.serial);
	if (r->has_problem)
		pack_str(&at, problem);
	for (size_t i = 0; i < n_facts; i++) {
		int64_t t = s->facts[i].time;

		*at++ = (uint8_t)s->facts[i].source;
		memcpy(at, &t, sizeof(t));
		at += sizeof(t);
		pack_str(&at, s->facts[i].name);
		pack_str(&at, s->facts[i].value);
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

/* The reader of a record's packed part: never past end. */
struct unpack {
	const uint8_t *at, *end;
};

/* The next string, copied into buf (cap bytes with its NUL); false when
 * it does not end within the record or does not fit. */
static bool unpack_str(struct unpack *u, char *buf, size_t cap)
{
	const uint8_t *nul = memchr(u->at, '\0', (size_t)(u->end - u->at));
	size_t n;

	if (!nul)
		return false;
	n = (size_t)(nul - u->at);
	if (n >= cap)
		return false;
	memcpy(buf, u->at, n + 1);
	u->at = nul + 1;
	return true;
}

static bool unpack_fact(struct unpack *u, struct pst_fact *f)
{
	int64_t t;

	if (u->end - u->at < (ptrdiff_t)(1 + sizeof(t)))
		return false;
	f->source = (enum pst_source)*u->at++;
	memcpy(&t, u->at, sizeof(t));
	u->at += sizeof(t);
	f->time = (time_t)t;
	return (unsigned int)f->source < PST_SRC_N && f->source != PST_SRC_MDM &&
	       unpack_str(u, f->name, sizeof(f->name)) && f->name[0] &&
	       unpack_str(u, f->value, sizeof(f->value));
}

int gw_resume_read(const void *rec, size_t len, struct gw_resume_view *v, const char **why)
{
	const struct gw_resume_rec *r = rec;
	struct unpack u;
	char problem[GW_RESUME_PROBLEM_MAX];

	memset(v, 0, offsetof(struct gw_resume_view, facts));
	*why = "shorter than a record";
	if (len < sizeof(*r))
		return -EINVAL;
	*why = "not a record of this posternd";
	if (r->magic != GW_RESUME_MAGIC || r->size != len)
		return -EINVAL;
	u.at = r->data;
	u.end = (const uint8_t *)rec + len;
	*why = "a bad identity";
	if (!unpack_str(&u, v->id.device_id, sizeof(v->id.device_id)) || !v->id.device_id[0] ||
	    !unpack_str(&u, v->id.group, sizeof(v->id.group)) ||
	    !unpack_str(&u, v->id.owner, sizeof(v->id.owner)) ||
	    !unpack_str(&u, v->id.serial, sizeof(v->id.serial)) ||
	    r->ownership > CONF_OWNERSHIP_BYOD)
		return -EINVAL;
	v->id.ownership = (enum conf_ownership)r->ownership;
	v->id.not_after = (time_t)r->not_after;
	memcpy(v->id.fingerprint, r->fingerprint, PST_FINGERPRINT_LEN);
	*why = "a bad posture-report problem";
	if (r->has_problem) {
		v->problem = (const char *)u.at;
		if (!unpack_str(&u, problem, sizeof(problem)))
			return -EINVAL;
	}
	*why = "a bad fact";
	if (r->n_facts > PST_FACTS_MAX)
		return -EINVAL;
	for (v->n_facts = 0; v->n_facts < r->n_facts; v->n_facts++)
		if (!unpack_fact(&u, &v->facts[v->n_facts]))
			return -EINVAL;
	*why = "bytes after its last fact";
	if (u.at != u.end)
		return -EINVAL;
	v->r = r;
	*why = "";
	return 0;
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
