/* A hash table that grows one small segment at a time, so no insert ever
 * pays for rehashing the whole table, and whose slots cost 8 bytes each at
 * 80-95% load.
 *
 * Shape (extendible hashing, as in Dragonfly's dashtable, written here from
 * its description):
 *
 *   directory[2^global_depth] --> segment --> buckets of 8 slots (64 bytes)
 *
 * - The top `global_depth` bits of an item's 64-bit hash pick a directory
 *   entry; several entries may share one segment (its `depth` is lower).
 * - A slot is a tagged pointer: the item's address in the low 48 bits and a
 *   16-bit fingerprint (the hash's low bits) in the top 16. A lookup
 *   compares fingerprints and only dereferences items whose fingerprint
 *   matches. The fingerprint also gives the item's home bucket, so a segment
 *   is resized without touching a single item.
 * - Within a segment an item lives in its home bucket or, when that is
 *   full, in one of the next few (linear probing over whole buckets). A
 *   removal moves later items back so that a lookup stops at the first
 *   bucket with a free slot.
 * - A segment that fills up grows by a fifth (any bucket count, not only
 *   powers of two: that is what keeps the load high at every size) until it
 *   reaches SEG_MAX_BUCKETS; then it splits in two by the next hash bit,
 *   which needs each item's hash again (the table's hash callback).
 *   Sparse segments shrink, and merge with their buddy.
 *
 * SCAN cursors are positions in hash order: a call visits one whole
 * segment, the one that holds the cursor's position, and returns the
 * position where that segment ends. Splits and merges keep segments
 * contiguous ranges of hash order, so every item present for a whole scan is
 * visited at least once, and exactly once when merges are paused. Cursors
 * are those positions with their bits reversed, so that they stay small
 * numbers (a table of 2^d segments needs d bits), as Redis's do.
 *
 * Items are opaque (any pointer below 2^48); the table owns only its
 * directory and segments, all allocated from the given shard heap.
 */
#ifndef TESSERA_SEG_TABLE_H
#define TESSERA_SEG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyspace/shard_heap.h"

#define SEG_BUCKET_SLOTS 8
/* 64 buckets of 8 slots: a split moves at most ~460 items. */
#define SEG_MAX_BUCKETS 64

/* The full 64-bit hash of an item (splits need it). */
typedef uint64_t (*seg_hash_fn)(const void *ctx, const void *item);
/* Is `item` the one stored under `key`? Called only on a fingerprint match. */
typedef bool (*seg_match_fn)(const void *item, const void *key, size_t len);
typedef void (*seg_visit_fn)(void *ctx, void *item);

struct segment;

struct seg_table {
	struct segment **dir;     /* 2^global_depth entries; NULL while empty */
	unsigned global_depth;
	uint64_t size;            /* items */
	uint64_t segments;
	uint64_t at_global_depth; /* segments as deep as the directory: 0 lets it halve */
	unsigned merges_paused;   /* see seg_table_pause_merges() */
	uint64_t tick_position;   /* where seg_table_tick() looks next */
	struct shard_heap *heap;
	seg_hash_fn hash;
	const void *hash_ctx;
};

void seg_table_init(struct seg_table *t, struct shard_heap *heap, seg_hash_fn hash,
		    const void *hash_ctx);
/* Free the directory and segments (not the items). */
void seg_table_free(struct seg_table *t);

static inline uint64_t seg_table_size(const struct seg_table *t)
{
	return t->size;
}

void *seg_table_find(const struct seg_table *t, uint64_t h, seg_match_fn match, const void *key,
		     size_t len);
/* Add an item known to be absent. False if out of memory (table unchanged). */
bool seg_table_insert(struct seg_table *t, uint64_t h, void *item);
/* The item stored under hash h at address `old` moved to `item`. */
bool seg_table_replace(struct seg_table *t, uint64_t h, const void *old, void *item);
/* Remove the item at address `item` (hash h). False if it is not there. */
bool seg_table_remove(struct seg_table *t, uint64_t h, const void *item);

/* 32 bits of h that, with the address, find an item again without reading
 * it: seg_table_holds() tells whether that item is still in the table. */
static inline uint32_t seg_table_tag(uint64_t h)
{
	return (uint32_t)((h >> 48) << 16 | (h & 0xFFFF));
}
bool seg_table_holds(const struct seg_table *t, uint32_t tag, const void *item);
/* Hints for a batch of seg_table_holds() calls, so that their cache misses
 * overlap: first the segment's header for each tag, then (once those are
 * in) the home bucket. They read nothing that must be valid. */
void seg_table_prefetch_segment(const struct seg_table *t, uint32_t tag);
void seg_table_prefetch_bucket(const struct seg_table *t, uint32_t tag);

/* Visit every item of the segment at `cursor` (0 starts a scan); returns
 * the next cursor, 0 when the scan is complete. `slots` (if not NULL)
 * receives how many slots the call looked at: the work it did. fn must not
 * insert or remove. */
uint64_t seg_table_scan(const struct seg_table *t, uint64_t cursor, seg_visit_fn fn, void *ctx,
			unsigned *slots);

/* A random item, NULL if empty: segments are picked by their share of the
 * hash space, then a random occupied slot in it. */
void *seg_table_random(const struct seg_table *t, uint64_t (*rand64)(void *), void *rng);

/* While paused (nested), no segments merge: a scan spread over many calls
 * then visits every item exactly once. Inserts still split segments. */
static inline void seg_table_pause_merges(struct seg_table *t) { t->merges_paused++; }
static inline void seg_table_resume_merges(struct seg_table *t) { t->merges_paused--; }

/* Upkeep for an idle table: look at up to `segments` segments and shrink
 * or merge the sparse ones (removals do so as they go, except while merges
 * are paused). Returns true if there may be more to do. */
bool seg_table_tick(struct seg_table *t, unsigned segments);

/* Take the whole table away into *out (the table is empty at once), to be
 * freed later a slice at a time by seg_table_free_slice(). */
void seg_table_detach(struct seg_table *t, struct seg_table *out);
/* Free up to `segments` segments of a table that has been taken away whole,
 * calling free_item on each item; true when everything (directory too) is
 * freed. */
bool seg_table_free_slice(struct seg_table *t, void (*free_item)(void *ctx, void *item),
			  void *ctx, unsigned segments);

/* Slots, and bytes of directory and segments as charged: for tests. */
uint64_t seg_table_slots(const struct seg_table *t);
uint64_t seg_table_bytes(const struct seg_table *t);

#endif
