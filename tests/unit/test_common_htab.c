/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/htab.c: an empty table finds nothing, many keys are
 * each found again (through several doublings of the bucket array) and no
 * others, removal from the head, middle and tail of chains leaves the rest
 * findable, equal keys are all reachable, and each table draws its own key.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/htab.h"
#include "tests/unit/unit.h"

#define MANY 20000

struct item {
	struct cm_hnode node;
	int id;
	char name[24];
};

static struct item *find(const struct cm_htab *t, const char *name)
{
	struct item *found = NULL;

	for (struct cm_hnode *n = cm_htab_first(t, name, strlen(name)); n; n = cm_htab_next(n)) {
		struct item *it = CM_CONTAINER_OF(n, struct item, node);

		if (!strcmp(it->name, name))
			found = it;
	}
	return found;
}

static struct item *make_items(int count)
{
	struct item *items = calloc((size_t)count, sizeof(*items));

	for (int i = 0; items && i < count; i++) {
		items[i].id = i;
		snprintf(items[i].name, sizeof(items[i].name), "device-%d", i);
	}
	return items;
}

static void test_empty(void)
{
	struct cm_htab t = { 0 };
	struct item it = { .name = "x" };

	CHECK(find(&t, "x") == NULL);
	cm_htab_del(&t, &it.node);	/* in no table: nothing happens */
	CHECK_EQ_INT(t.n, 0);
	CHECK_EQ_INT(cm_htab_add(&t, &it.node, "x", 1), 0);
	CHECK(find(&t, "x") == &it);
	CHECK(find(&t, "y") == NULL);
	cm_htab_del(&t, &it.node);
	CHECK(find(&t, "x") == NULL);
	CHECK(it.node.pprev == NULL);
	cm_htab_free(&t);
	CHECK(t.buckets == NULL);
}

/* The longest chain: with a load of at most one and a good hash, short. */
static size_t longest_chain(const struct cm_htab *t)
{
	size_t longest = 0;

	for (size_t i = 0; i <= t->mask; i++) {
		size_t len = 0;

		for (struct cm_hnode *n = t->buckets[i]; n; n = n->next)
			len++;
		if (len > longest)
			longest = len;
	}
	return longest;
}

static void test_many_keys_grow(void)
{
	struct cm_htab t = { 0 };
	struct item *items = make_items(MANY);
	int missing = 0;

	CHECK(items != NULL);
	if (!items)
		return;
	for (int i = 0; i < MANY; i++)
		CHECK_EQ_INT(cm_htab_add(&t, &items[i].node, items[i].name, strlen(items[i].name)), 0);
	CHECK_EQ_INT(t.n, MANY);
	CHECK(t.mask + 1 >= MANY);			/* it grew ... */
	CHECK(((t.mask + 1) & t.mask) == 0);		/* ... by doubling */
	CHECK(longest_chain(&t) <= 16);
	for (int i = 0; i < MANY; i++)
		missing += find(&t, items[i].name) != &items[i];
	CHECK_EQ_INT(missing, 0);
	CHECK(find(&t, "device-20000") == NULL);
	CHECK(find(&t, "device-") == NULL);
	cm_htab_free(&t);
	free(items);
}

static void test_remove_half(void)
{
	struct cm_htab t = { 0 };
	struct item *items = make_items(MANY);
	int wrong = 0;

	CHECK(items != NULL);
	if (!items)
		return;
	for (int i = 0; i < MANY; i++)
		cm_htab_add(&t, &items[i].node, items[i].name, strlen(items[i].name));
	for (int i = 1; i < MANY; i += 2)
		cm_htab_del(&t, &items[i].node);
	CHECK_EQ_INT(t.n, MANY / 2);
	for (int i = 0; i < MANY; i++)
		wrong += find(&t, items[i].name) != (i % 2 ? NULL : &items[i]);
	CHECK_EQ_INT(wrong, 0);
	/* Removed twice: the second time is a no-op, the count stays. */
	cm_htab_del(&t, &items[1].node);
	CHECK_EQ_INT(t.n, MANY / 2);
	for (int i = 0; i < MANY; i += 2)
		cm_htab_del(&t, &items[i].node);
	CHECK_EQ_INT(t.n, 0);
	CHECK(longest_chain(&t) == 0);
	cm_htab_free(&t);
	free(items);
}

/* Equal keys (a device with two sessions) are both reachable. */
static void test_equal_keys(void)
{
	struct cm_htab t = { 0 };
	struct item a = { .id = 1, .name = "dev" }, b = { .id = 2, .name = "dev" };
	int seen = 0;

	cm_htab_add(&t, &a.node, "dev", 3);
	cm_htab_add(&t, &b.node, "dev", 3);
	for (struct cm_hnode *n = cm_htab_first(&t, "dev", 3); n; n = cm_htab_next(n))
		seen |= CM_CONTAINER_OF(n, struct item, node)->id;
	CHECK_EQ_INT(seen, 3);
	cm_htab_del(&t, &b.node);
	CHECK(cm_htab_first(&t, "dev", 3) == &a.node);
	CHECK(cm_htab_next(&a.node) == NULL);
	cm_htab_free(&t);
}

static void test_keys_are_random(void)
{
	struct cm_htab t1 = { 0 }, t2 = { 0 };
	struct item a = { .name = "k" }, b = { .name = "k" };

	cm_htab_add(&t1, &a.node, "k", 1);
	cm_htab_add(&t2, &b.node, "k", 1);
	CHECK(memcmp(t1.key, t2.key, sizeof(t1.key)) != 0);
	CHECK(a.node.hash != b.node.hash);
	cm_htab_free(&t1);
	cm_htab_free(&t2);
}

int main(void)
{
	RUN(test_empty);
	RUN(test_many_keys_grow);
	RUN(test_remove_half);
	RUN(test_equal_keys);
	RUN(test_keys_are_random);
	UNIT_EXIT();
}
