/* test_seg_table.c - the segmented table on its own: items carry their own
 * hash, so tests choose hashes freely (fingerprint collisions, crowded home
 * buckets, deep directories). Growth and shrink, removal that keeps lookups
 * right, the SCAN cursor guarantee while segments split and merge. */
#include "keyspace/seg_table.h"
#include "unit_test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct item {
	uint64_t h;
	unsigned id;
	unsigned seen;
};

static uint64_t item_hash(const void *ctx, const void *p)
{
	(void)ctx;
	return ((const struct item *)p)->h;
}

/* Lookups ask by id: two items with the same hash differ only there. */
static bool item_match(const void *p, const void *key, size_t len)
{
	(void)len;
	return ((const struct item *)p)->id == *(const unsigned *)key;
}

static uint64_t splitmix(void *state)
{
	uint64_t *s = state, z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

struct fixture {
	struct shard_heap heap;
	struct seg_table t;
	struct item *items;
	unsigned n;
};

static void fixture_init(struct fixture *f, unsigned n, uint64_t seed)
{
	shard_heap_init(&f->heap);
	seg_table_init(&f->t, &f->heap, item_hash, NULL);
	f->items = calloc(n, sizeof(*f->items));
	f->n = n;
	for (unsigned i = 0; i < n; i++) {
		f->items[i].h = splitmix(&seed);
		f->items[i].id = i;
	}
}

static void fixture_free(struct fixture *f)
{
	seg_table_free(&f->t);
	free(f->items);
	EXPECT_EQ_UINT(f->heap.used, 0);
}

static struct item *find(struct fixture *f, unsigned id)
{
	return seg_table_find(&f->t, f->items[id].h, item_match, &id, sizeof(id));
}

static void insert(struct fixture *f, unsigned id)
{
	REQUIRE_TRUE(seg_table_insert(&f->t, f->items[id].h, &f->items[id]));
}

/* A fixture of n items whose first `inserted` are in the table. */
static void fixture_filled_to(struct fixture *f, unsigned n, uint64_t seed, unsigned inserted)
{
	fixture_init(f, n, seed);
	for (unsigned i = 0; i < inserted; i++)
		insert(f, i);
}

static void fixture_filled(struct fixture *f, unsigned n, uint64_t seed)
{
	fixture_filled_to(f, n, seed, n);
}

static void remove_item(struct fixture *f, unsigned id)
{
	REQUIRE_TRUE(seg_table_remove(&f->t, f->items[id].h, &f->items[id]));
}

static bool all_present_exactly(struct fixture *f, unsigned from, unsigned to)
{
	for (unsigned i = 0; i < f->n; i++) {
		struct item *got = find(f, i);
		bool want = i >= from && i < to;
		if (want ? got != &f->items[i] : got != NULL)
			return false;
	}
	return true;
}

/* ---- growth and shrink --------------------------------------------------- */

TEST(test_200k_items_grow_with_load_between_half_and_nine_tenths_then_shrink)
{
	struct fixture f;
	fixture_init(&f, 200000, 1);
	double min_load = 1;
	for (unsigned i = 0; i < f.n; i++) {
		insert(&f, i);
		if (i > 10000 && i % 997 == 0) {
			double load = (double)seg_table_size(&f.t) / (double)seg_table_slots(&f.t);
			if (load < min_load)
				min_load = load;
		}
	}
	EXPECT_EQ_UINT(seg_table_size(&f.t), f.n);
	EXPECT_TRUE(all_present_exactly(&f, 0, f.n));
	/* Segments grow by a quarter and split at most 90% full: the load of
	 * the whole table never drops to the 45% of a doubling table. */
	EXPECT_TRUE(min_load > 0.6);
	EXPECT_TRUE(f.t.global_depth >= 9);
	unsigned depth = f.t.global_depth;
	uint64_t bytes = f.heap.used;

	for (unsigned i = 0; i < f.n - 1000; i++)
		remove_item(&f, i);
	EXPECT_EQ_UINT(seg_table_size(&f.t), 1000);
	EXPECT_TRUE(all_present_exactly(&f, f.n - 1000, f.n));
	/* Merged and shrunk as items left; the directory halved with them. */
	EXPECT_TRUE(f.heap.used * 50 < bytes);
	EXPECT_TRUE(f.t.global_depth + 4 <= depth);
	fixture_free(&f);
}

TEST(test_idle_tick_merges_what_paused_removals_left_sparse)
{
	struct fixture f;
	fixture_filled(&f, 50000, 2);
	seg_table_pause_merges(&f.t);
	for (unsigned i = 0; i < f.n - 100; i++)
		remove_item(&f, i);
	uint64_t segments = f.t.segments;
	seg_table_resume_merges(&f.t);
	for (int i = 0; i < 10000 && seg_table_tick(&f.t, 16); i++)
		if (f.t.segments <= 2)
			break;
	EXPECT_TRUE(segments > 50);
	EXPECT_TRUE(f.t.segments <= 2);
	EXPECT_TRUE(all_present_exactly(&f, f.n - 100, f.n));
	fixture_free(&f);
}

TEST(test_remove_in_random_order_keeps_every_other_item_findable)
{
	/* Hashes whose fingerprints crowd a few home buckets, so removals
	 * must pull displaced items back (and wrap around the segment). */
	struct fixture f;
	fixture_init(&f, 400, 3);
	for (unsigned i = 0; i < f.n; i++)
		f.items[i].h = (f.items[i].h & ~0xFFFFULL) | (0xFFF0 + i % 16);
	for (unsigned i = 0; i < f.n; i++)
		insert(&f, i);
	unsigned order[400];
	for (unsigned i = 0; i < f.n; i++)
		order[i] = i;
	uint64_t rng = 9;
	for (unsigned i = f.n - 1; i > 0; i--) {
		unsigned j = (unsigned)(splitmix(&rng) % (i + 1)), tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	bool ok = true;
	for (unsigned r = 0; r < f.n; r++) {
		remove_item(&f, order[r]);
		for (unsigned k = r + 1; k < f.n && ok; k++)
			ok = find(&f, order[k]) == &f.items[order[k]];
		ok = ok && find(&f, order[r]) == NULL;
	}
	EXPECT_TRUE(ok);
	EXPECT_EQ_UINT(seg_table_size(&f.t), 0);
	fixture_free(&f);
}

/* ---- fingerprints ---------------------------------------------------------- */

TEST(test_items_sharing_a_fingerprint_are_told_apart_by_their_keys)
{
	struct fixture f;
	fixture_init(&f, 40, 4);
	/* Same fingerprint, same top bits: same segment, same home bucket. */
	for (unsigned i = 0; i < f.n; i++)
		f.items[i].h = 0xABCD000000001234ULL | (uint64_t)i << 20;
	for (unsigned i = 0; i < f.n; i++)
		insert(&f, i);
	EXPECT_TRUE(all_present_exactly(&f, 0, f.n));
	for (unsigned i = 0; i < f.n; i += 2)
		remove_item(&f, i);
	bool ok = true;
	for (unsigned i = 0; i < f.n; i++)
		ok = ok && find(&f, i) == (i % 2 ? &f.items[i] : NULL);
	EXPECT_TRUE(ok);
	fixture_free(&f);
}

TEST(test_identical_hashes_are_still_distinct_items)
{
	struct fixture f;
	fixture_init(&f, 3, 5);
	for (unsigned i = 0; i < f.n; i++)
		f.items[i].h = 42;
	for (unsigned i = 0; i < f.n; i++)
		insert(&f, i);
	EXPECT_TRUE(find(&f, 1) == &f.items[1]);
	remove_item(&f, 1);
	EXPECT_TRUE(find(&f, 1) == NULL);
	EXPECT_TRUE(find(&f, 0) == &f.items[0] && find(&f, 2) == &f.items[2]);
	fixture_free(&f);
}

TEST(test_holds_finds_items_by_tag_also_past_a_16_bit_directory)
{
	struct fixture f;
	fixture_init(&f, 60000, 6);
	/* One shared top 10 bits: segments split on the bits below, so the
	 * directory grows deeper than the tag's 16 bits. */
	for (unsigned i = 0; i < f.n; i++)
		f.items[i].h = 0x7A40000000000000ULL | (f.items[i].h >> 10);
	for (unsigned i = 0; i < f.n; i++)
		insert(&f, i);
	EXPECT_TRUE(f.t.global_depth > 16);
	bool ok = true;
	for (unsigned i = 0; i < f.n; i++)
		ok = ok && seg_table_holds(&f.t, seg_table_tag(f.items[i].h), &f.items[i]);
	EXPECT_TRUE(ok);
	remove_item(&f, 7);
	EXPECT_TRUE(!seg_table_holds(&f.t, seg_table_tag(f.items[7].h), &f.items[7]));
	/* Right address, wrong tag: a reused address is not mistaken. */
	EXPECT_TRUE(!seg_table_holds(&f.t, seg_table_tag(f.items[8].h) ^ 1, &f.items[8]));
	struct item stranger = { .h = f.items[9].h };
	EXPECT_TRUE(!seg_table_holds(&f.t, seg_table_tag(stranger.h), &stranger));
	fixture_free(&f);
}

TEST(test_replace_points_the_slot_at_the_moved_item)
{
	struct fixture f;
	fixture_filled(&f, 100, 7);
	struct item moved = f.items[50];
	EXPECT_TRUE(seg_table_replace(&f.t, moved.h, &f.items[50], &moved));
	unsigned id = 50;
	EXPECT_TRUE(seg_table_find(&f.t, moved.h, item_match, &id, sizeof(id)) == &moved);
	EXPECT_TRUE(!seg_table_replace(&f.t, moved.h, &f.items[50], &moved)); /* gone */
	EXPECT_TRUE(seg_table_remove(&f.t, moved.h, &moved));
	fixture_free(&f);
}

/* ---- scanning ---------------------------------------------------------------- */

static void mark_seen(void *ctx, void *p)
{
	(void)ctx;
	((struct item *)p)->seen++;
}

TEST(test_scan_of_empty_table_ends_at_once)
{
	struct fixture f;
	fixture_init(&f, 1, 8);
	EXPECT_EQ_UINT(seg_table_scan(&f.t, 0, mark_seen, NULL, NULL), 0);
	fixture_free(&f);
}

/* Items [0, stable) stay for the whole scan; between calls others come and
 * go in the given pattern, which makes segments split (growth) or merge
 * (shrink). */
static unsigned scan_while_changing(struct fixture *f, unsigned stable, bool grow,
				    unsigned *visits_max)
{
	uint64_t cursor = 0;
	unsigned calls = 0, next = stable, slots;
	unsigned churn_end = grow ? stable : f->n;
	if (!grow)
		for (unsigned i = stable; i < f->n; i++)
			insert(f, i);
	do {
		cursor = seg_table_scan(&f->t, cursor, mark_seen, NULL, &slots);
		calls++;
		for (int k = 0; k < 40 && (grow ? next < f->n : churn_end > stable); k++) {
			if (grow)
				insert(f, next++);
			else
				remove_item(f, --churn_end);
		}
	} while (cursor != 0 && calls < 1000000);
	unsigned missed = 0, most = 0;
	for (unsigned i = 0; i < stable; i++) {
		missed += f->items[i].seen == 0;
		if (f->items[i].seen > most)
			most = f->items[i].seen;
	}
	*visits_max = most;
	return missed;
}

TEST(test_scan_while_table_grows_tenfold_returns_every_item_present_throughout)
{
	struct fixture f;
	fixture_filled_to(&f, 100000, 10, 10000);
	unsigned most;
	EXPECT_EQ_UINT(scan_while_changing(&f, 10000, true, &most), 0);
	/* Splits never send the cursor back: nothing is visited twice. */
	EXPECT_EQ_UINT(most, 1);
	fixture_free(&f);
}

TEST(test_scan_while_table_shrinks_twentyfold_returns_every_item_present_throughout)
{
	struct fixture f;
	fixture_filled_to(&f, 100000, 11, 5000);
	unsigned most;
	EXPECT_EQ_UINT(scan_while_changing(&f, 5000, false, &most), 0);
	fixture_free(&f);
}

TEST(test_scan_with_merges_paused_visits_every_item_exactly_once_while_removing)
{
	struct fixture f;
	fixture_filled_to(&f, 100000, 12, 5000);
	seg_table_pause_merges(&f.t);
	unsigned most;
	EXPECT_EQ_UINT(scan_while_changing(&f, 5000, false, &most), 0);
	EXPECT_EQ_UINT(most, 1);
	seg_table_resume_merges(&f.t);
	fixture_free(&f);
}

TEST(test_scan_visits_one_segment_per_call)
{
	struct fixture f;
	fixture_filled(&f, 20000, 13);
	uint64_t cursor = 0, calls = 0;
	unsigned slots, most_slots = 0;
	do {
		cursor = seg_table_scan(&f.t, cursor, mark_seen, NULL, &slots);
		if (slots > most_slots)
			most_slots = slots;
		calls++;
	} while (cursor != 0);
	EXPECT_EQ_UINT(calls, f.t.segments);
	EXPECT_TRUE(most_slots <= 128 * SEG_BUCKET_SLOTS); /* bounded, whatever COUNT */
	fixture_free(&f);
}

/* ---- random, freeing ------------------------------------------------------------ */

TEST(test_random_reaches_every_item_and_is_null_when_empty)
{
	struct fixture f;
	fixture_init(&f, 64, 14);
	uint64_t rng = 1;
	EXPECT_TRUE(seg_table_random(&f.t, splitmix, &rng) == NULL);
	for (unsigned i = 0; i < f.n; i++)
		insert(&f, i);
	for (int i = 0; i < 20000; i++)
		((struct item *)seg_table_random(&f.t, splitmix, &rng))->seen++;
	unsigned never = 0;
	for (unsigned i = 0; i < f.n; i++)
		never += f.items[i].seen == 0;
	EXPECT_EQ_UINT(never, 0);
	for (unsigned i = 0; i < f.n; i++)
		remove_item(&f, i);
	EXPECT_TRUE(seg_table_random(&f.t, splitmix, &rng) == NULL);
	fixture_free(&f);
}

static void count_freed(void *ctx, void *p)
{
	(void)p;
	(*(unsigned *)ctx)++;
}

TEST(test_free_slice_hands_back_every_item_a_few_segments_at_a_time)
{
	struct fixture f;
	fixture_filled(&f, 30000, 15);
	struct seg_table detached;
	seg_table_detach(&f.t, &detached);
	EXPECT_EQ_UINT(seg_table_size(&f.t), 0);
	unsigned freed = 0, slices = 0;
	while (!seg_table_free_slice(&detached, count_freed, &freed, 8))
		slices++;
	EXPECT_EQ_UINT(freed, f.n);
	EXPECT_TRUE(slices > 4);
	fixture_free(&f);
}

/* A KEYS walk pauses merges; a FLUSHALL detaches the table meanwhile; the
 * walk's resume must balance its pause on the new table, or merges stay
 * off for good (issue 12, item 8). */
TEST(test_merges_paused_across_a_detach_resume_on_the_new_table)
{
	struct fixture f;
	fixture_filled(&f, 50000, 16);
	seg_table_pause_merges(&f.t);
	struct seg_table detached;
	seg_table_detach(&f.t, &detached);
	unsigned freed = 0;
	while (!seg_table_free_slice(&detached, count_freed, &freed, 64))
		;
	EXPECT_EQ_UINT(f.t.merges_paused, 1);
	for (unsigned i = 0; i < f.n; i++)
		insert(&f, i);
	seg_table_resume_merges(&f.t);
	EXPECT_EQ_UINT(f.t.merges_paused, 0);
	for (unsigned i = 0; i < f.n - 100; i++)
		remove_item(&f, i);
	for (int i = 0; i < 10000 && seg_table_tick(&f.t, 16); i++)
		;
	EXPECT_TRUE(f.t.segments <= 2); /* merged again */
	EXPECT_TRUE(all_present_exactly(&f, f.n - 100, f.n));
	fixture_free(&f);
}

int main(void)
{
	RUN(test_merges_paused_across_a_detach_resume_on_the_new_table);
	RUN(test_200k_items_grow_with_load_between_half_and_nine_tenths_then_shrink);
	RUN(test_idle_tick_merges_what_paused_removals_left_sparse);
	RUN(test_remove_in_random_order_keeps_every_other_item_findable);
	RUN(test_items_sharing_a_fingerprint_are_told_apart_by_their_keys);
	RUN(test_identical_hashes_are_still_distinct_items);
	RUN(test_holds_finds_items_by_tag_also_past_a_16_bit_directory);
	RUN(test_replace_points_the_slot_at_the_moved_item);
	RUN(test_scan_of_empty_table_ends_at_once);
	RUN(test_scan_while_table_grows_tenfold_returns_every_item_present_throughout);
	RUN(test_scan_while_table_shrinks_twentyfold_returns_every_item_present_throughout);
	RUN(test_scan_with_merges_paused_visits_every_item_exactly_once_while_removing);
	RUN(test_scan_visits_one_segment_per_call);
	RUN(test_random_reaches_every_item_and_is_null_when_empty);
	RUN(test_free_slice_hands_back_every_item_a_few_segments_at_a_time);
	return unit_summary();
}
