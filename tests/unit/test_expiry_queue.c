/* test_expiry_queue.c - the keys with a TTL, in order of expiry: runs and
 * heap together, what happens to records of keys that were deleted, moved,
 * given a longer or a shorter TTL, or persisted (keyspace_holds and
 * ENTRY_QUEUED), and the 32-bit clock's rebasing. The consumer's rules are
 * engine/db/expire.c's handle_due(); here they are applied by hand so each
 * case is visible. */
#include "keyspace/expiry_queue.h"
#include "keyspace/keyspace.h"
#include "unit_test.h"

#include <stdbool.h>
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
	while (expiry_queue_pop_due(&ks->expiring, &ks->heap, now, &r)) {
		if (!keyspace_record_is_live(ks, &r))
			continue;
		struct entry *e = expiry_record_entry(&r);
		if (!entry_expire_ms(e)) {
			e->flags &= (uint8_t)~ENTRY_QUEUED;
			continue;
		}
		if (entry_expire_ms(e) <= now) {
			snprintf(deleted, n, "%.*s", (int)entry_key_len(e), entry_key(e));
			keyspace_delete(ks, e);
			return deleted;
		}
		keyspace_queue_expiry(ks, e, r.hash_lo);
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
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 200);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), NOW + 1000);
	struct expiry_record r;
	int64_t last = 0;
	unsigned popped = 0, ordered = 1;
	while (expiry_queue_pop_due(&ks.expiring, &ks.heap, NOW + 5000, &r)) {
		if (entry_expire_ms(expiry_record_entry(&r)) < last)
			ordered = 0;
		last = entry_expire_ms(expiry_record_entry(&r));
		popped++;
	}
	EXPECT_EQ_UINT(popped, 200);
	EXPECT_TRUE(ordered);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), INT64_MAX);
	keyspace_free(&ks);
}

/* Pop everything due by `now`; false if any record came out before an
 * earlier one. */
static bool drain_in_order(struct keyspace *ks, int64_t now, unsigned *popped)
{
	struct expiry_record r;
	int64_t last = 0;
	bool ordered = true;
	*popped = 0;
	while (expiry_queue_pop_due(&ks->expiring, &ks->heap, now, &r)) {
		ordered &= entry_expire_ms(expiry_record_entry(&r)) >= last;
		last = entry_expire_ms(expiry_record_entry(&r));
		++*popped;
	}
	return ordered;
}

TEST(test_keys_of_a_few_ttls_keep_to_runs_and_come_out_in_order)
{
	struct keyspace ks;
	char key[16];
	init_at_now(&ks, 12);
	/* Three TTLs written interleaved as the clock advances, the way a
	 * session store writes: each TTL's records arrive in time order. */
	static const int64_t ttl[] = { 1000, 60000, 5000 };
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(&ks, key, NOW + i / 10 + ttl[i % 3]);
	}
	EXPECT_EQ_UINT(ks.expiring.n, 0); /* nothing fell to the heap */
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 3000);
	unsigned popped;
	/* Written over 300 ms: each TTL's keys come due together. */
	static const int64_t by[] = { 2000, 5299, 70000 };
	for (int i = 0; i < 3; i++) {
		EXPECT_TRUE(drain_in_order(&ks, NOW + by[i], &popped));
		EXPECT_EQ_UINT(popped, 1000);
	}
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 0);
	keyspace_free(&ks);
}

TEST(test_random_times_come_out_in_order_from_runs_and_heap_together)
{
	struct keyspace ks;
	char key[16];
	init_at_now(&ks, 13);
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(key, sizeof(key), "k%d", i);
		/* Half rising (run material), half anywhere in the next 10 s. */
		put(&ks, key, NOW + 1 + (i % 2 ? i / 2 : (int64_t)(x % 10000)));
	}
	EXPECT_TRUE(ks.expiring.n > 0 && ks.expiring.n < 20000);
	unsigned popped, total = 0;
	/* In steps, so that runs and heap are interleaved with pushes. */
	for (int64_t t = NOW; t <= NOW + 11000; t += 1000) {
		EXPECT_TRUE(drain_in_order(&ks, t, &popped));
		total += popped;
		snprintf(key, sizeof(key), "late%lld", (long long)(t - NOW));
		put(&ks, key, t + 20000);
	}
	EXPECT_EQ_UINT(total, 20000);
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 12);
	keyspace_free(&ks);
}

TEST(test_a_run_spans_chunks_and_refills_after_emptying)
{
	struct keyspace ks;
	char key[16];
	init_at_now(&ks, 14);
	unsigned popped;
	for (int round = 0; round < 3; round++) {
		/* 1000 records take four 255-record chunks. */
		for (int i = 0; i < 1000; i++) {
			snprintf(key, sizeof(key), "r%dk%d", round, i);
			put(&ks, key, NOW + round * 10000 + 1 + i);
		}
		EXPECT_TRUE(drain_in_order(&ks, NOW + round * 10000 + 600, &popped));
		EXPECT_EQ_UINT(popped, 600);
		EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 400);
		EXPECT_TRUE(drain_in_order(&ks, NOW + round * 10000 + 5000, &popped));
		EXPECT_EQ_UINT(popped, 400);
		EXPECT_TRUE(ks.expiring.runs[0].head == NULL);
	}
	EXPECT_EQ_UINT(ks.expiring.n, 0);
	keyspace_free(&ks);
}

static void count_visit(void *ctx, const struct expiry_record *r)
{
	(void)r;
	++*(size_t *)ctx;
}

static size_t count_due(struct keyspace *ks, int64_t now, size_t limit)
{
	size_t seen = 0;
	size_t n = expiry_queue_visit_due(&ks->expiring, now, limit, count_visit, &seen);
	return n == seen ? n : (size_t)-1;
}

TEST(test_visit_due_counts_due_records_in_runs_and_heap_and_stops_at_the_limit)
{
	struct keyspace ks;
	char key[16];
	init_at_now(&ks, 15);
	EXPECT_EQ_UINT(count_due(&ks, NOW + 1000, 100), 0);
	/* 600 rising (runs) and 600 falling (mostly heap), 1..600 ms out. */
	for (int i = 0; i < 1200; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(&ks, key, NOW + 1 + (i < 600 ? i : 1199 - i));
	}
	EXPECT_TRUE(ks.expiring.n > 500);
	EXPECT_EQ_UINT(count_due(&ks, NOW, 10000), 0);
	EXPECT_EQ_UINT(count_due(&ks, NOW + 1, 10000), 2);
	EXPECT_EQ_UINT(count_due(&ks, NOW + 300, 10000), 600);
	EXPECT_EQ_UINT(count_due(&ks, NOW + 600, 10000), 1200);
	EXPECT_EQ_UINT(count_due(&ks, NOW + 600, 999), 999);
	/* Visiting takes nothing out. */
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 1200);
	keyspace_free(&ks);
}

TEST(test_nothing_is_due_before_its_time)
{
	struct keyspace ks;
	struct expiry_record r;
	init_at_now(&ks, 2);
	put(&ks, "a", NOW + 100);
	EXPECT_TRUE(!expiry_queue_pop_due(&ks.expiring, &ks.heap, NOW + 99, &r));
	EXPECT_TRUE(expiry_queue_pop_due(&ks.expiring, &ks.heap, NOW + 100, &r));
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
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 2); /* deleting is O(1): the record stays */
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 30, deleted, sizeof(deleted)), "b") == 0);
	EXPECT_EQ_UINT(keyspace_size(&ks), 0);
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 0);
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
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 1);
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
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 2);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), NOW + 10);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 10, deleted, sizeof(deleted)), "a") == 0);
	/* The older record outlives its key and is dropped when due. */
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 1000, deleted, sizeof(deleted)), "") == 0);
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 0);
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

TEST(test_a_key_queued_over_and_over_keeps_one_live_record)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 16);
	/* A TTL cleared and set again (PERSIST then PEXPIRE, or SET then
	 * PEXPIRE), shorter or longer, 1000 times: each time queues a record.
	 * The older ones are stale: when due they are dropped, not queued
	 * again for the key's current TTL. */
	struct entry *e = put(&ks, "k", NOW + 100);
	for (int i = 0; i < 1000; i++) {
		e = keyspace_set_expire(&ks, e, 0);
		e = keyspace_set_expire(&ks, e, NOW + 100 + (i % 2 ? 50 : 0));
	}
	e = keyspace_set_expire(&ks, e, 0);
	e = keyspace_set_expire(&ks, e, NOW + 5000);
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 1002);
	/* Every stale record comes due; none deletes or requeues. */
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 200, deleted, sizeof(deleted)), "") == 0);
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 1);
	EXPECT_EQ_UINT(keyspace_size(&ks), 1);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 5000, deleted, sizeof(deleted)), "k") == 0);
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 0);
	keyspace_free(&ks);
}

TEST(test_a_grown_ttl_keeps_its_record_live_and_it_requeues_once)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 17);
	struct entry *e = put(&ks, "k", NOW + 100);
	for (int i = 1; i <= 100; i++)
		e = keyspace_set_expire(&ks, e, NOW + 100 + i * 10); /* no new record */
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 1);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 100, deleted, sizeof(deleted)), "") == 0);
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 1);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), NOW + 1100);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 1100, deleted, sizeof(deleted)), "k") == 0);
	keyspace_free(&ks);
}

TEST(test_an_expiry_past_2_to_the_47_ms_is_kept_exactly_without_a_generation)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 18);
	struct entry *near = put(&ks, "near", NOW + 10);
	EXPECT_TRUE(entry_expiry_gen(near) != 0);
	static const int64_t far[] = { (1ll << 47) - 1, 1ll << 47, INT64_MAX };
	for (int i = 0; i < 3; i++) {
		struct entry *e = put(&ks, i == 0 ? "a" : i == 1 ? "b" : "c", far[i]);
		EXPECT_EQ_INT(entry_expire_ms(e), far[i]);
		EXPECT_EQ_UINT(entry_expiry_gen(e) != 0, i == 0);
	}
	/* Without a generation every record counts as live: still one each. */
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 10, deleted, sizeof(deleted)), "near") == 0);
	EXPECT_EQ_UINT(keyspace_size(&ks), 3);
	keyspace_free(&ks);
}

TEST(test_emptying_the_heap_keeps_the_records_in_runs)
{
	struct keyspace ks;
	char key[16], deleted[32];
	init_at_now(&ks, 19);
	/* Falling times: 8 start runs, the rest fill a heap past its first size. */
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "h%d", i);
		put(&ks, key, NOW + 100000 - i);
	}
	put(&ks, "late", NOW + 3600000);  /* appended to a run */
	EXPECT_TRUE(ks.expiring.cap > 64);
	while (consume_due(&ks, NOW + 100000, deleted, sizeof(deleted))[0])
		;
	expiry_queue_shrink(&ks.expiring, &ks.heap);
	EXPECT_EQ_UINT(ks.expiring.cap, 0);
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 1);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 3600000, deleted, sizeof(deleted)), "late") == 0);
	keyspace_free(&ks);
}

TEST(test_a_queue_idle_for_60_days_expires_a_new_key_on_time)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 20);
	int64_t day = 24LL * 3600 * 1000;
	put(&ks, "a", NOW + 1000);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 1000, deleted, sizeof(deleted)), "a") == 0);
	ks.clock_ms = NOW + 60 * day;
	put(&ks, "b", ks.clock_ms + 1000);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), ks.clock_ms + 1000);
	EXPECT_TRUE(strcmp(consume_due(&ks, ks.clock_ms + 1000, deleted, sizeof(deleted)), "b") == 0);
	keyspace_free(&ks);
}

TEST(test_a_clock_jump_past_49_days_finds_every_record_due)
{
	struct keyspace ks;
	char deleted[32];
	init_at_now(&ks, 21);
	int64_t day = 24LL * 3600 * 1000;
	put(&ks, "c", NOW + 10 * day);
	put(&ks, "d", NOW + 70 * day);
	/* The first pop after the jump rebases by more than 2^32 ms. */
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 60 * day, deleted, sizeof(deleted)), "c") == 0);
	EXPECT_EQ_UINT(keyspace_size(&ks), 1);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 70 * day, deleted, sizeof(deleted)), "d") == 0);
	keyspace_free(&ks);
}

TEST(test_a_ttl_moved_past_2_to_the_47_ms_keeps_its_record_live)
{
	struct keyspace ks;
	char deleted[32];
	int64_t edge = 1ll << 47;
	keyspace_init(&ks, 22);
	ks.clock_ms = edge - 10000;
	struct entry *e = put(&ks, "r", edge - 5000);
	e = keyspace_set_expire(&ks, e, edge + 5000);  /* longer: no new record */
	EXPECT_EQ_UINT(entry_expiry_gen(e), 0);
	EXPECT_TRUE(strcmp(consume_due(&ks, edge - 5000, deleted, sizeof(deleted)), "") == 0);
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 1);  /* requeued, not dropped */
	EXPECT_TRUE(strcmp(consume_due(&ks, edge + 5000, deleted, sizeof(deleted)), "r") == 0);
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
	EXPECT_EQ_UINT(ks.expiring.n, 1); /* the far end goes to the heap, not a run */
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 1, deleted, sizeof(deleted)), "first") == 0);
	for (int d = 10; d < 60; d += 10)
		EXPECT_TRUE(strcmp(consume_due(&ks, NOW + d * day, deleted, sizeof(deleted)), "") == 0);
	EXPECT_EQ_UINT(keyspace_size(&ks), 1);
	EXPECT_TRUE(strcmp(consume_due(&ks, NOW + 60 * day, deleted, sizeof(deleted)), "far") == 0);
	keyspace_free(&ks);
}

static bool queue_holds_no_memory(const struct expiry_queue *q)
{
	for (int i = 0; i < EXPIRY_RUNS; i++)
		if (q->runs[i].head)
			return false;
	return q->cap == 0 && !q->v;
}

TEST(test_the_queue_gives_memory_back_when_it_empties)
{
	struct keyspace ks;
	char key[16], deleted[32];
	init_at_now(&ks, 11);
	/* 1000 at one time fill a run; 1000 in falling order fill the heap. */
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(&ks, key, i < 1000 ? NOW + 10 : NOW + 3000 - i);
	}
	EXPECT_TRUE(ks.expiring.runs[0].n >= 1000);
	EXPECT_TRUE(ks.expiring.cap >= 900);
	while (consume_due(&ks, NOW + 3000, deleted, sizeof(deleted))[0])
		;
	expiry_queue_shrink(&ks.expiring, &ks.heap);
	EXPECT_TRUE(queue_holds_no_memory(&ks.expiring));
	keyspace_free(&ks);
}

int main(void)
{
	RUN(test_records_come_out_in_expiry_order);
	RUN(test_keys_of_a_few_ttls_keep_to_runs_and_come_out_in_order);
	RUN(test_random_times_come_out_in_order_from_runs_and_heap_together);
	RUN(test_a_run_spans_chunks_and_refills_after_emptying);
	RUN(test_visit_due_counts_due_records_in_runs_and_heap_and_stops_at_the_limit);
	RUN(test_nothing_is_due_before_its_time);
	RUN(test_a_deleted_key_leaves_a_record_that_is_dropped);
	RUN(test_a_longer_ttl_needs_no_new_record_and_the_old_one_requeues);
	RUN(test_a_shorter_ttl_is_queued_again_so_it_is_not_late);
	RUN(test_a_persisted_key_is_not_deleted_and_loses_its_queued_flag);
	RUN(test_a_ttl_set_again_after_persist_before_the_old_record_fired_is_not_late);
	RUN(test_a_key_queued_over_and_over_keeps_one_live_record);
	RUN(test_a_grown_ttl_keeps_its_record_live_and_it_requeues_once);
	RUN(test_an_expiry_past_2_to_the_47_ms_is_kept_exactly_without_a_generation);
	RUN(test_emptying_the_heap_keeps_the_records_in_runs);
	RUN(test_a_queue_idle_for_60_days_expires_a_new_key_on_time);
	RUN(test_a_clock_jump_past_49_days_finds_every_record_due);
	RUN(test_a_ttl_moved_past_2_to_the_47_ms_keeps_its_record_live);
	RUN(test_a_key_that_moved_when_its_value_grew_is_still_found);
	RUN(test_holds_rejects_an_address_not_in_the_table);
	RUN(test_the_clock_rebases_after_24_days_and_order_holds);
	RUN(test_an_expiry_beyond_49_days_waits_at_the_far_end_and_is_requeued);
	RUN(test_the_queue_gives_memory_back_when_it_empties);
	return unit_summary();
}
