/* One shard's slice of the keyspace: entries in a segmented hash table
 * (seg_table.h) that grows one small segment at a time, so no insert pays
 * for rehashing the whole table.
 *
 * What one entry holds, and how it is laid out, is entry.h.
 *
 * The keyspace never looks at expiry itself: engine/db/expire.c does, through
 * entry_expire_ms(), so that the expiry policy stays in one file.
 */
#ifndef TESSERA_KEYSPACE_H
#define TESSERA_KEYSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyspace/entry.h"
#include "keyspace/entry_slab.h"
#include "keyspace/expiry_queue.h"
#include "keyspace/seg_table.h"
#include "keyspace/shard_heap.h"

struct keyspace {
	struct seg_table table;
	uint64_t expires;         /* keys with a TTL */
	uint64_t volatile_bytes;  /* heap bytes of the entries with a TTL */
	uint64_t seed;
	struct shard_heap heap;   /* entries and the table; see shard_heap.h */
	struct entry_slab slab;   /* small entries, charged to `heap` */
	/* Every key with a TTL, in order of expiry (expiry_queue.h): filled
	 * by keyspace_set_expire(), drained by engine/db/expire.c. */
	struct expiry_queue expiring;
	int64_t clock_ms;         /* the owner's clock, kept current by the shard */
	uint16_t expiry_gen;      /* the last generation handed out (never 0) */
};

/* Bytes the keyspace holds: entries and the table, as allocated. */
static inline uint64_t keyspace_memory(const struct keyspace *ks)
{
	return ks->heap.used;
}

void keyspace_init(struct keyspace *ks, uint64_t seed);
/* Free every entry and the tables. */
void keyspace_free(struct keyspace *ks);

uint64_t keyspace_hash(const struct keyspace *ks, const void *key, size_t len);

/* Find a key, expired or not. */
struct entry *keyspace_find(struct keyspace *ks, const void *key, size_t len);

/* Insert a new string key (the caller knows it is absent) with a TTL of
 * `expire_ms` (absolute ms, 0 = none; stored as given, even if already
 * past). Returns the entry, or NULL if out of memory. */
struct entry *keyspace_insert(struct keyspace *ks, const void *key, size_t klen,
			      const void *val, size_t vlen, int64_t expire_ms);

/* Give `e` room for a value of `vlen` bytes, moving it if it must grow.
 * Returns the (possibly new) entry or NULL if out of memory (e unchanged).
 * `exact` false leaves slack for appends. Value bytes are preserved up to
 * min(old len, vlen). */
struct entry *keyspace_resize_value(struct keyspace *ks, struct entry *e, size_t vlen,
				    bool exact);

/* Set the value of an existing entry; may move it. */
struct entry *keyspace_set_value(struct keyspace *ks, struct entry *e,
				 const void *val, size_t vlen);

/* Unlink and free one entry. */
void keyspace_delete(struct keyspace *ks, struct entry *e);

/* Set or clear (0) the TTL, keeping the `expires` count right and the
 * key in the expiry queue. Returns the entry, which may have moved (adding
 * a TTL to a key may grow it): use the returned pointer from then on. */
struct entry *keyspace_set_expire(struct keyspace *ks, struct entry *e, int64_t expire_ms);

/* Queue a record for e's expiry under a new generation, making e's older
 * records stale. Sets ENTRY_QUEUED, or clears it if out of memory (the
 * expiry walk of the table then finds e). `tag` is keyspace_entry_tag(). */
bool keyspace_queue_expiry(struct keyspace *ks, struct entry *e, uint32_t tag);

/* Is record r the live one of a key in this keyspace: its entry is still
 * here (keyspace_holds()) and it carries the entry's generation? */
bool keyspace_record_is_live(const struct keyspace *ks, const struct expiry_record *r);

/* Start loading what checking these records will read (the table's
 * segments and buckets, the entries), so that the misses overlap. */
void keyspace_prefetch_records(const struct keyspace *ks, const struct expiry_record *r,
			       unsigned n);

/* What an expiry record stores to recognise `e` later (keyspace_holds()):
 * 32 bits of its hash (seg_table_tag()). */
uint32_t keyspace_entry_tag(const struct keyspace *ks, const struct entry *e);

/* Is `e` (whose keyspace_entry_tag() was `tag`) still an entry of this
 * keyspace? For records that name entries by address: never reads *e
 * unless it is found in the table. */
bool keyspace_holds(const struct keyspace *ks, const struct entry *e, uint32_t tag);

static inline uint64_t keyspace_size(const struct keyspace *ks)
{
	return seg_table_size(&ks->table);
}

/* Periodic upkeep: shrink or merge up to n sparse segments. */
bool keyspace_tick(struct keyspace *ks, int n);

/* While paused (nested), no two segments merge, so a walk spread over many
 * slices (KEYS) sees every key exactly once. Inserts still succeed. */
static inline void keyspace_pause_merges(struct keyspace *ks) { seg_table_pause_merges(&ks->table); }
static inline void keyspace_resume_merges(struct keyspace *ks) { seg_table_resume_merges(&ks->table); }

/* Cursor scan, one table segment per call (see seg_table.h for why a
 * cursor survives growth and shrink). Calls fn for every entry of the
 * segment at `cursor`, returns the next cursor, 0 when the scan is complete.
 * `slots` (if not NULL) gets the work done: slots looked at, at most about
 * KEYSPACE_SCAN_SLOTS. fn must not insert or delete. */
#define KEYSPACE_SCAN_SLOTS (SEG_MAX_BUCKETS * SEG_BUCKET_SLOTS)
typedef void (*keyspace_scan_fn)(void *ctx, struct entry *e);
uint64_t keyspace_scan(struct keyspace *ks, uint64_t cursor, keyspace_scan_fn fn, void *ctx,
		       unsigned *slots);

/* A random entry (fair enough for RANDOMKEY), NULL if empty. */
struct entry *keyspace_random(struct keyspace *ks, uint64_t (*rand64)(void *), void *rng);

/* Remove every key. */
void keyspace_clear(struct keyspace *ks);

/* The keyspace's tables, taken away whole: the keyspace is empty at once
 * and the entries are freed later, a slice at a time, by
 * keyspace_free_detached(). Counts (keys, expires) drop at once; the bytes
 * stay charged to the heap until freed. */
struct detached_tables {
	struct seg_table table;
};
void keyspace_detach(struct keyspace *ks, struct detached_tables *out);
/* Free up to `budget` table slots' worth; true when all is freed. */
bool keyspace_free_detached(struct keyspace *ks, struct detached_tables *d, unsigned budget);

/* For ASSERT only (base/invariant.h; defined in checked builds): the
 * entry's kind matches its value. */
bool entry_kind_ok(struct entry *e);

#endif
