/* SPDX-License-Identifier: MIT */
/*
 * The supervisor's table of session records (resume_store.h). The network
 * process is the only writer and is not trusted more than any process that
 * parses network input: every message is size-checked, the table is capped
 * in records (each capped in bytes), and a record is stored, never read.
 * Keys are cookies, so the table hashes them under its own secret key
 * (common/htab.h) and compares them in constant time.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "common/htab.h"
#include "gateway/resume_store.h"

struct resume_entry {
	struct cm_hnode node;
	struct resume_entry *next, *prev;	/* every entry, for each and clear */
	uint8_t key[GW_RESUME_KEY_LEN];
	size_t len;
	uint8_t rec[];
};

static struct cm_htab resume_tab;
static struct resume_entry *resume_list;
static uint64_t resume_dropped;

static struct resume_entry *store_find(const uint8_t *key)
{
	struct cm_hnode *n;

	for (n = cm_htab_first(&resume_tab, key, GW_RESUME_KEY_LEN); n; n = cm_htab_next(n)) {
		struct resume_entry *e = CM_CONTAINER_OF(n, struct resume_entry, node);

		if (CRYPTO_memcmp(e->key, key, GW_RESUME_KEY_LEN) == 0)
			return e;
	}
	return NULL;
}

static void store_remove(struct resume_entry *e)
{
	cm_htab_del(&resume_tab, &e->node);
	if (e->prev)
		e->prev->next = e->next;
	else
		resume_list = e->next;
	if (e->next)
		e->next->prev = e->prev;
	OPENSSL_cleanse(e, sizeof(*e) + e->len);
	free(e);
}

static void store_put(const uint8_t *key, const uint8_t *rec, size_t len)
{
	struct resume_entry *old = store_find(key), *e;

	if (!old && resume_tab.n >= GW_RESUME_RECORDS_MAX) {
		resume_dropped++;
		return;
	}
	e = malloc(sizeof(*e) + len);
	if (!e) {
		resume_dropped++;
		return;
	}
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, GW_RESUME_KEY_LEN);
	memcpy(e->rec, rec, len);
	e->len = len;
	if (cm_htab_add(&resume_tab, &e->node, key, GW_RESUME_KEY_LEN) < 0) {
		free(e);
		resume_dropped++;
		return;
	}
	if (old)
		store_remove(old);
	e->next = resume_list;
	if (e->next)
		e->next->prev = e;
	resume_list = e;
}

/* One message: 0, or -EINVAL when it is not one of ours. */
static int store_message(const uint8_t *m, size_t len)
{
	struct resume_entry *e;

	if (len < 1 + GW_RESUME_KEY_LEN)
		return -EINVAL;
	switch (m[0]) {
	case GW_RESUME_PUT:
		if (len == 1 + GW_RESUME_KEY_LEN || len > 1 + GW_RESUME_KEY_LEN + GW_RESUME_RECORD_MAX)
			return -EINVAL;
		store_put(m + 1, m + 1 + GW_RESUME_KEY_LEN, len - 1 - GW_RESUME_KEY_LEN);
		return 0;
	case GW_RESUME_FORGET:
		if (len != 1 + GW_RESUME_KEY_LEN)
			return -EINVAL;
		e = store_find(m + 1);
		if (e)
			store_remove(e);
		return 0;
	case GW_RESUME_DROP_ALL:
		if (len != 1 + GW_RESUME_KEY_LEN)
			return -EINVAL;
		gw_resume_store_clear();
		return 0;
	default:
		return -EINVAL;
	}
}

int gw_resume_store_serve(int fd)
{
	static uint8_t buf[1 + GW_RESUME_KEY_LEN + GW_RESUME_RECORD_MAX + 1];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		}
		/* MSG_TRUNC: a longer datagram reports its real length, and is refused. */
		if ((size_t)n > sizeof(buf) - 1 || store_message(buf, (size_t)n) < 0)
			resume_dropped++;
	}
}

size_t gw_resume_store_count(void)
{
	return resume_tab.n;
}

uint64_t gw_resume_store_dropped(void)
{
	return resume_dropped;
}

void gw_resume_store_each(void (*fn)(const void *rec, size_t len, void *ctx), void *ctx)
{
	for (struct resume_entry *e = resume_list; e; e = e->next)
		fn(e->rec, e->len, ctx);
}

void gw_resume_store_clear(void)
{
	while (resume_list)
		store_remove(resume_list);
	cm_htab_free(&resume_tab);
}
