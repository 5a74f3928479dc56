/* test_expiry_queue.c - the keys with a TTL, in order of expiry: the heap's
 * order, what happens to records of keys that were deleted, moved, given a
 * longer or a shorter TTL, or persisted (keyspace_holds and ENTRY_QUEUED),
 * and the 32-bit clock's rebasing. The consumer's rules are engine/expire.c's
 * handle_due(); here they are applied by hand so each case is visible. */
#include "expiry_queue.h"
#include "keyspace.h"
#include "unit_test.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NOW 1700000000000LL   /* a wall-clock millisecond, as the shards use */

/* A keyspace whose clock reads NOW, as a shard's does. */
static void init_at_now(struct keyspace *ks, uint64_t seed)
{
	keyspace_init(ks, seed);
	ks->clock_ms = NOW;
}

static struct entry *put(struct keyspace *ks, const char *key, int64_t expire_ms)
{
	return keyspace_insert(ks, key, strlen(key), "v", 1, expire_ms);
}

/* What expire.c does with a due record; returns the key deleted, or "". */
static const char *consume_due(struct keyspace *ks, int64_t now, char *deleted, size_t n)
{
	struct expiry_record r;
	deleted[0] = '\0';
	while (expiry_queue_pop_due(&ks->expiring, now, &r)) {
		if (!keyspace_holds(ks, r.e, r.hash_lo))
			continue;
		struct entry *e = r.e;
		if (!entry_expire_ms(e)) {
			e->flags &= (uint8_t)~ENTRY_QUEUED;
			continue;
		}
		if (entry_expire_ms(e) <= now) {
			snprintf(deleted, n, "%.*s", (int)entry_key_len(e), entry_key(e));
			keyspace_delete(ks, e);
			return deleted;
		}
		expiry_queue_push(&ks->expiring, &ks->heap, e, keyspace_entry_tag(ks, e), now);
	}
	return deleted;
}

TEST(test_records_come_out_in_expiry_order)
{
	struct keyspace ks;
	char key[16];
	init_at_now(&ks, 1);
	/* Inserted out of order; 200 keys so the heap has several levels. */
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(&ks, key, NOW + 1000 + (i * 7919) % 200);
	}
	EXPECT_EQ_UINT(ks.expiring.n, 200);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), NOW + 1000);
	struct expiry_record r;
	int64_t last = 0;
	unsigned popped = 0, ordered = 1;
	while (expiry_queue_pop_due(&ks.expiring, NOW + 5000, &r)) {
		if (entry_expire_ms(r.e) < last)
			ordered = 0;
		last = entry_expire_ms(r.e);
		popped++;
	}
	EXPECT_EQ_UINT(popped, 200);
	EXPECT_TRUE(ordered);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), INT64_MAX);
	keyspace_free(&ks);
}

TEST(test_nothing_is_due_before_its_time)
{
	struct keyspace ks;
	struct expiry_record r;
	init_at_now(&ks, 2);
	put(&ks, "a", NOW + 100);
	EXPECT_TRUE(!expiry_queue_pop_due(&ks.expiring, NOW + 99, &r));
	EXPECT_TRUE(expiry_queue_pop_due(&ks.expiring, NOW + 100, &r));
	keyspace_free(&ks);
}

TEST(test_a_deleted_key_leaves_a_record_that_is_dropped)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 3);
	struct entry *a = put(&ks, "a", NOW + 10);
	put(&ks, "b", NOW + 20);
	keyspace_delete(&ks, a);
	EXPECT_EQ_UINT(ks.expiring.n, 2); /* deleting is O(1): the record stays */
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 30, deleted, sizeof(deleted)), "b") == 0);
	EXPECT_EQ_UINT(keyspace_size(&ks), 0);
	EXPECT_EQ_UINT(ks.expiring.n, 0);
	keyspace_free(&ks);
}

TEST(test_a_longer_ttl_needs_no_new_record_and_the_old_one_requeues)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 4);
	struct entry *e = put(&ks, "a", NOW + 10);
	EXPECT_TRUE(e->flags & ENTRY_QUEUED);
	e = keyspace_set_expire(&ks, e, NOW + 500);
	EXPECT_EQ_UINT(ks.expiring.n, 1);
	/* Due at +10, but the key lives to +500: queued again, not deleted. */
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 10, deleted, sizeof(deleted)), "") == 0);
	EXPECT_EQ_UINT(keyspace_size(&ks), 1);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), NOW + 500);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 500, deleted, sizeof(deleted)), "a") == 0);
	keyspace_free(&ks);
}

TEST(test_a_shorter_ttl_is_queued_again_so_it_is_not_late)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 5);
	struct entry *e = put(&ks, "a", NOW + 1000);
	e = keyspace_set_expire(&ks, e, NOW + 10);
	EXPECT_EQ_UINT(ks.expiring.n, 2);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), NOW + 10);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 10, deleted, sizeof(deleted)), "a") == 0);
	/* The older record outlives its key and is dropped when due. */
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 1000, deleted, sizeof(deleted)), "") == 0);
	EXPECT_EQ_UINT(ks.expiring.n, 0);
	keyspace_free(&ks);
}

TEST(test_a_persisted_key_is_not_deleted_and_loses_its_queued_flag)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 6);
	struct entry *e = put(&ks, "a", NOW + 10);
	e = keyspace_set_expire(&ks, e, 0);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 10, deleted, sizeof(deleted)), "") == 0);
	EXPECT_EQ_UINT(keyspace_size(&ks), 1);
	EXPECT_TRUE(!(e->flags & ENTRY_QUEUED));
	/* A TTL set again is queued again. */
	e = keyspace_set_expire(&ks, e, NOW + 50);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 50, deleted, sizeof(deleted)), "a") == 0);
	keyspace_free(&ks);
}

TEST(test_a_ttl_set_again_after_persist_before_the_old_record_fired_is_not_late)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 12);
	struct entry *e = put(&ks, "a", NOW + 1000);
	e = keyspace_set_expire(&ks, e, 0);
	/* The old record (NOW + 1000) is still queued and the key still says so. */
	e = keyspace_set_expire(&ks, e, NOW + 10);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), NOW + 10);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 10, deleted, sizeof(deleted)), "a") == 0);
	keyspace_free(&ks);
}

TEST(test_a_key_that_moved_when_its_value_grew_is_still_found)
{
	struct keyspace ks;
	char deleted[32], big[4096];
	init_at_now(&ks, 7);
	struct entry *e = put(&ks, "a", NOW + 10);
	memset(big, 'x', sizeof(big));
	struct entry *m = keyspace_set_value(&ks, e, big, sizeof(big));
	REQUIRE_TRUE(m != NULL);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 10, deleted, sizeof(deleted)), "a") == 0);
	EXPECT_EQ_UINT(keyspace_size(&ks), 0);
	keyspace_free(&ks);
}

TEST(test_holds_rejects_an_address_not_in_the_table)
{
	struct keyspace ks;
	init_at_now(&ks, 8);
	struct entry *a = put(&ks, "a", 0);
	struct entry stranger = { 0 };
	EXPECT_TRUE(keyspace_holds(&ks, a, keyspace_entry_tag(&ks, a)));
	EXPECT_TRUE(!keyspace_holds(&ks, a, keyspace_entry_tag(&ks, a) + 1)); /* same address, other key */
	EXPECT_TRUE(!keyspace_holds(&ks, &stranger, keyspace_entry_tag(&ks, a)));
	keyspace_free(&ks);
}

TEST(test_the_clock_rebases_after_24_days_and_order_holds)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 9);
	int64_t day = 24LL * 3600 * 1000;
	put(&ks, "late", NOW + 40 * day);
	put(&ks, "soon", NOW + 30 * day);
	/* 25 days on, nothing is due yet, and the base has moved. */
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 25 * day, deleted, sizeof(deleted)), "") == 0);
	EXPECT_EQ_INT(ks.expiring.base_ms, NOW + 25 * day);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), NOW + 30 * day);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 30 * day, deleted, sizeof(deleted)), "soon") == 0);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 40 * day, deleted, sizeof(deleted)), "late") == 0);
	keyspace_free(&ks);
}

TEST(test_an_expiry_beyond_49_days_waits_at_the_far_end_and_is_requeued)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 10);
	int64_t day = 24LL * 3600 * 1000;
	put(&ks, "first", NOW + 1);       /* sets the base near now */
	put(&ks, "far", NOW + 60 * day);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 1, deleted, sizeof(deleted)), "first") == 0);
	for (int d = 10; d < 60; d += 10)
		EXPECT_TRUE(strcmp(consume_due(&ks, NOW + d * day, deleted, sizeof(deleted)), "") == 0);
	EXPECT_EQ_UINT(keyspace_size(&ks), 1);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 60 * day, deleted, sizeof(deleted)), "far") == 0);
	keyspace_free(&ks);
}

TEST(test_the_queue_gives_memory_back_when_it_empties)
{
	struct keyspace ks;
	char key[16], deleted[32];
	init_at_now(&ks, 11);
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(&ks, key, NOW + 10);
	}
	EXPECT_TRUE(ks.expiring.cap >= 1000);
	while (consume_due(&ks, NOW + 10, deleted, sizeof(deleted))[0])
		;
	expiry_queue_shrink(&ks.expiring, &ks.heap);
	EXPECT_EQ_UINT(ks.expiring.cap, 0);
	keyspace_free(&ks);
}

int main(void)
{
	RUN(test_records_come_out_in_expiry_order);
	RUN(test_nothing_is_due_before_its_time);
	RUN(test_a_deleted_key_leaves_a_record_that_is_dropped);
	RUN(test_a_longer_ttl_needs_no_new_record_and_the_old_one_requeues);
	RUN(test_a_shorter_ttl_is_queued_again_so_it_is_not_late);
	RUN(test_a_persisted_key_is_not_deleted_and_loses_its_queued_flag);
	RUN(test_a_ttl_set_again_after_persist_before_the_old_record_fired_is_not_late);
	RUN(test_a_key_that_moved_when_its_value_grew_is_still_found);
	RUN(test_holds_rejects_an_address_not_in_the_table);
	RUN(test_the_clock_rebases_after_24_days_and_order_holds);
	RUN(test_an_expiry_beyond_49_days_waits_at_the_far_end_and_is_requeued);
	RUN(test_the_queue_gives_memory_back_when_it_empties);
	return unit_summary();
}
