/* SPDX-License-Identifier: MIT */
/*
 * The intrusive hash table (see common/htab.h). Each chain is doubly linked
 * through pprev (the address of the pointer that points at the node), so a
 * node leaves its chain without the table walking it. Growing relinks every
 * node by its stored hash: no key is hashed twice.
 */
#include <errno.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/htab.h"

#define HTAB_FIRST_SIZE 16

static void htab_link(struct cm_hnode **head, struct cm_hnode *n)
{
	n->next = *head;
	if (n->next)
		n->next->pprev = &n->next;
	n->pprev = head;
	*head = n;
}

static int htab_create(struct cm_htab *t)
{
	t->buckets = calloc(HTAB_FIRST_SIZE, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	if (RAND_bytes(t->key, sizeof(t->key)) != 1) {
		free(t->buckets);
		t->buckets = NULL;
		return -EIO;
	}
	t->mask = HTAB_FIRST_SIZE - 1;
	return 0;
}

/* Doubles the bucket array; without memory the table stays as it is. */
static void htab_grow(struct cm_htab *t)
{
	size_t size = 2 * (t->mask + 1);
	struct cm_hnode **b = calloc(size, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		while (t->buckets[i]) {
			struct cm_hnode *n = t->buckets[i];

			t->buckets[i] = n->next;
			htab_link(&b[n->hash & (size - 1)], n);
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->mask = size - 1;
}

int cm_htab_add(struct cm_htab *t, struct cm_hnode *n, const void *key, size_t len)
{
	int err;

	if (!t->buckets) {
		err = htab_create(t);
		if (err < 0)
			return err;
	}
	if (t->n >= t->mask + 1 && t->mask < SIZE_MAX / 4)
		htab_grow(t);
	n->hash = cm_siphash(t->key, key, len);
	htab_link(&t->buckets[n->hash & t->mask], n);
	t->n++;
	return 0;
}

void cm_htab_del(struct cm_htab *t, struct cm_hnode *n)
{
	if (!n->pprev)
		return;
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
	t->n--;
}

static struct cm_hnode *htab_match(struct cm_hnode *n, uint64_t hash)
{
	while (n && n->hash != hash)
		n = n->next;
	return n;
}

struct cm_hnode *cm_htab_first(const struct cm_htab *t, const void *key, size_t len)
{
	uint64_t hash;

	if (!t->buckets)
		return NULL;
	hash = cm_siphash(t->key, key, len);
	return htab_match(t->buckets[hash & t->mask], hash);
}

struct cm_hnode *cm_htab_next(const struct cm_hnode *n)
{
	return htab_match(n->next, n->hash);
}

void cm_htab_free(struct cm_htab *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->mask = 0;
	t->n = 0;
	OPENSSL_cleanse(t->key, sizeof(t->key));
}
