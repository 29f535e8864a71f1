/* SPDX-License-Identifier: MIT */
/*
 * A small intrusive hash table: the caller embeds a struct cm_hnode in each
 * object, so adding one allocates nothing (only growing the bucket array
 * does), and removing one is O(1) from the node alone. Chained buckets, a
 * power-of-two count that doubles when there are more nodes than buckets.
 *
 * Keys are hashed with SipHash-2-4 under the table's own random key (drawn
 * with RAND_bytes when the first bucket array is made, kept for the table's
 * life): keys come from outside (cookies, device ids), and nobody who does
 * not know the key can make them collide or learn a key from its bucket.
 * A zeroed struct cm_htab is an empty table.
 *
 * The table stores no key bytes: cm_htab_first/next give the nodes whose
 * 64-bit hash equals the key's, and the caller compares its own keys (a
 * secret with CRYPTO_memcmp).
 */
#ifndef POSTERN_COMMON_HTAB_H
#define POSTERN_COMMON_HTAB_H

#include <stddef.h>
#include <stdint.h>

#include "common/siphash.h"

struct cm_hnode {
	struct cm_hnode *next, **pprev;	/* pprev NULL: in no table */
	uint64_t hash;
};

struct cm_htab {
	struct cm_hnode **buckets;	/* NULL until the first add */
	size_t mask;			/* bucket count - 1 */
	size_t n;
	uint8_t key[CM_SIPHASH_KEY_LEN];
};

/* Adds n under key (len bytes). 0, -ENOMEM when the first bucket array
 * cannot be made, -EIO when no random key can be drawn; a failure to grow
 * later only makes chains longer. */
int cm_htab_add(struct cm_htab *t, struct cm_hnode *n, const void *key, size_t len);
/* Removes n from t; a node in no table is left alone. */
void cm_htab_del(struct cm_htab *t, struct cm_hnode *n);
/* The first node whose hash is key's, or NULL; then the next such node. */
struct cm_hnode *cm_htab_first(const struct cm_htab *t, const void *key, size_t len);
struct cm_hnode *cm_htab_next(const struct cm_hnode *n);
/* Frees the bucket array (the nodes are the caller's) and wipes the key. */
void cm_htab_free(struct cm_htab *t);

/* The object that embeds node as member. */
#define CM_CONTAINER_OF(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
