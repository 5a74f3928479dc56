/* test_entry_slab.c - small entries in 8-byte size classes: block sizes,
 * charging the shard heap by block, pages given back as they empty. */
#include "keyspace/entry_slab.h"
#include "unit_test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PER_PAGE_56 ((SLAB_PAGE_BYTES - 64) / 56)

TEST(test_blocks_are_rounded_to_8_bytes_and_charged_by_block)
{
	struct shard_heap heap;
	struct entry_slab s;
	shard_heap_init(&heap);
	entry_slab_init(&s, &heap);
	void *p[SLAB_MAX_BLOCK + 1];
	uint64_t charged = 0;
	bool ok = true;
	for (size_t n = 1; n <= SLAB_MAX_BLOCK; n++) {
		p[n] = entry_slab_alloc(&s, n);
		REQUIRE_TRUE(p[n] != NULL);
		size_t want = (n + 7) / 8 * 8;
		ok = ok && entry_slab_block_size(p[n]) == want && ((uintptr_t)p[n] & 7) == 0;
		memset(p[n], 0xA5, want); /* the whole block is the caller's */
		charged += want;
	}
	EXPECT_TRUE(ok);
	EXPECT_EQ_UINT(heap.used, charged);
	for (size_t n = 1; n <= SLAB_MAX_BLOCK; n++)
		entry_slab_free(&s, p[n]);
	EXPECT_EQ_UINT(heap.used, 0);
	/* Each class keeps its last page until trimmed. */
	EXPECT_EQ_UINT(s.pages, SLAB_MAX_BLOCK / 8);
	entry_slab_trim(&s);
	EXPECT_EQ_UINT(s.pages, 0);
}

TEST(test_pages_fill_then_empty_pages_go_back)
{
	struct shard_heap heap;
	struct entry_slab s;
	shard_heap_init(&heap);
	entry_slab_init(&s, &heap);
	const unsigned n = 10 * PER_PAGE_56 + 7;
	void **p = calloc(n, sizeof(*p));
	for (unsigned i = 0; i < n; i++) {
		p[i] = entry_slab_alloc(&s, 56);
		REQUIRE_TRUE(p[i] != NULL);
		memcpy(p[i], &i, sizeof(i));
	}
	EXPECT_EQ_UINT(s.pages, 11);
	EXPECT_EQ_UINT(heap.used, (uint64_t)n * 56);
	/* Every block kept its own bytes: no two overlap. */
	unsigned bad = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned v;
		memcpy(&v, p[i], sizeof(v));
		bad += v != i;
	}
	EXPECT_EQ_UINT(bad, 0);
	/* Free every other block: no page empties; the holes are reused. */
	for (unsigned i = 0; i < n; i += 2)
		entry_slab_free(&s, p[i]);
	EXPECT_EQ_UINT(s.pages, 11);
	for (unsigned i = 0; i < n; i += 2)
		p[i] = entry_slab_alloc(&s, 50);
	EXPECT_EQ_UINT(s.pages, 11);
	for (unsigned i = 0; i < n; i++)
		entry_slab_free(&s, p[i]);
	EXPECT_EQ_UINT(s.pages, 1);
	EXPECT_EQ_UINT(heap.used, 0);
	entry_slab_trim(&s);
	EXPECT_EQ_UINT(s.pages, 0);
	free(p);
}

TEST(test_one_block_added_and_freed_in_a_loop_keeps_one_page)
{
	struct shard_heap heap;
	struct entry_slab s;
	shard_heap_init(&heap);
	entry_slab_init(&s, &heap);
	void *first = entry_slab_alloc(&s, 40);
	entry_slab_free(&s, first);
	bool same = true;
	for (int i = 0; i < 1000; i++) {
		void *q = entry_slab_alloc(&s, 40);
		same = same && q == first;
		entry_slab_free(&s, q);
	}
	EXPECT_TRUE(same);
	EXPECT_EQ_UINT(s.pages, 1);
	entry_slab_trim(&s);
}

int main(void)
{
	RUN(test_blocks_are_rounded_to_8_bytes_and_charged_by_block);
	RUN(test_pages_fill_then_empty_pages_go_back);
	RUN(test_one_block_added_and_freed_in_a_loop_keeps_one_page);
	return unit_summary();
}
