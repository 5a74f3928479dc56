/* One shard's slice of the keyspace: entries in a segmented hash table
 * (seg_table.h) that grows one small segment at a time, so no insert pays
 * for rehashing the whole table.
 *
 * Entry layout: one allocation per key holding an 8-byte header, the
 * optional parts, the key bytes and the value bytes, so a small SET costs
 * one malloc and 8 bytes of header:
 *
 *   +-----------+------------------+-------------+-----+-------------------+
 *   | header 8  | [key_len val_len | [expire_ms] | key | value (up to the  |
 *   |           |  u32 u32]        |  8 bytes]   |     |  block's end)     |
 *   +-----------+------------------+-------------+-----+-------------------+
 *
 * - Lengths live in the header (key <= 255, value <= 65535 bytes) or, with
 *   ENTRY_LONG, in two 32-bit words after it.
 * - expire_ms is there only with ENTRY_HAS_TTL: a key without a TTL pays
 *   nothing for expiry. Giving a key its first TTL moves it to a bigger
 *   block (keyspace_set_expire() returns the new address).
 * - The hash is not stored (the table keeps 16 bits of it beside the
 *   pointer) and neither is the value's capacity (the block's usable size
 *   says it).
 * - Access time: seconds, 24 bits, as Redis's LRU clock (wraps every 194
 *   days); the LFU counter beside it.
 * - Blocks of up to SLAB_MAX_BLOCK bytes come from the keyspace's slab
 *   (8-byte size classes, entry_slab.h), larger ones from the shard heap.
 *
 * Only strings exist so far; `type` leaves room for the others.
 * The keyspace never looks at expiry itself: engine/db/expire.c does, through
 * entry_expire_ms(), so that the expiry policy stays in one file.
 *
 * Outside keyspace.c, entry fields are read through the accessors below
 * (lfu_counter, type, encoding and flags excepted), and lengths and
 * expiry are only ever written by keyspace.c.
 */
#ifndef TESSERA_KEYSPACE_H
#define TESSERA_KEYSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keyspace/entry_slab.h"
#include "keyspace/expiry_queue.h"
#include "keyspace/seg_table.h"
#include "keyspace/shard_heap.h"

enum value_type { TYPE_STRING = 0 };

/* OBJECT ENCODING of a string, chosen the way Redis chooses it. */
enum string_encoding { ENC_RAW = 0, ENC_EMBSTR = 1, ENC_INT = 2 };

struct entry {
	uint8_t flags : 4;        /* ENTRY_* */
	uint8_t type : 2;         /* enum value_type */
	uint8_t encoding : 2;     /* enum string_encoding */
	uint8_t lfu_counter;
	uint16_t short_val_len;   /* without ENTRY_LONG */
	uint32_t access_s : 24;   /* seconds mod 2^24 (entry_set_access_s) */
	uint32_t short_key_len : 8;
	char data[];              /* [lengths] [expire_ms] key value */
};

/* A record for this entry waits in the keyspace's expiry queue. */
#define ENTRY_QUEUED 0x01
/* expire_ms is stored (it may be 0 again after PERSIST). */
#define ENTRY_HAS_TTL 0x02
/* Lengths are two uint32_t after the header, not in it. */
#define ENTRY_LONG 0x04
/* The block comes from the keyspace's entry_slab, not its heap. */
#define ENTRY_SLAB 0x08
#define ENTRY_LONG_LENGTHS_SIZE 8

_Static_assert(sizeof(struct entry) == 8, "entry header size is part of the memory budget");

static inline uint32_t entry_key_len(const struct entry *e)
{
	uint32_t l;
	if (!(e->flags & ENTRY_LONG))
		return e->short_key_len;
	memcpy(&l, e->data, sizeof(l));
	return l;
}

static inline uint32_t entry_val_len(const struct entry *e)
{
	uint32_t l;
	if (!(e->flags & ENTRY_LONG))
		return e->short_val_len;
	memcpy(&l, e->data + sizeof(l), sizeof(l));
	return l;
}

static inline size_t entry_lengths_size(const struct entry *e)
{
	return e->flags & ENTRY_LONG ? ENTRY_LONG_LENGTHS_SIZE : 0;
}

/* The TTL slot: the expiry, and the generation of the key's live expiry
 * record (expiry_queue.h). A time below 2^47 ms (the year 6429) is packed
 * with the generation in bits 47-62 and bit 63 set; a later one (PXAT
 * allows any positive time) is stored as it is, with no generation. */
#define ENTRY_TTL_PACKED (1ull << 63)
#define ENTRY_TTL_TIME_MASK ((1ull << 47) - 1)
#define ENTRY_TTL_GEN_SHIFT 47

static inline uint64_t entry_ttl_slot(const struct entry *e)
{
	uint64_t slot;
	memcpy(&slot, e->data + entry_lengths_size(e), sizeof(slot));
	return slot;
}

/* Absolute Unix time in ms; 0 = no TTL. Set through keyspace_set_expire(). */
static inline int64_t entry_expire_ms(const struct entry *e)
{
	if (!(e->flags & ENTRY_HAS_TTL))
		return 0;
	uint64_t slot = entry_ttl_slot(e);
	return (int64_t)(slot & ENTRY_TTL_PACKED ? slot & ENTRY_TTL_TIME_MASK : slot);
}

/* The generation the key's live expiry record carries; 0 when none is kept
 * (a time past 2^47 ms), and then every record of the key counts as live. */
static inline uint16_t entry_expiry_gen(const struct entry *e)
{
	if (!(e->flags & ENTRY_HAS_TTL))
		return 0;
	uint64_t slot = entry_ttl_slot(e);
	return slot & ENTRY_TTL_PACKED ? (uint16_t)(slot >> ENTRY_TTL_GEN_SHIFT) : 0;
}

static inline const char *entry_key(const struct entry *e)
{
	return e->data + entry_lengths_size(e) + (e->flags & ENTRY_HAS_TTL ? sizeof(int64_t) : 0);
}

static inline char *entry_val(struct entry *e)
{
	return (char *)entry_key(e) + entry_key_len(e);
}

/* The access time is kept as Redis keeps its LRU clock: whole seconds,
 * low 24 bits only (it wraps every 194 days). Idle times are therefore
 * computed modulo 2^24 seconds: an access time ahead of the clock reads as
 * idle for nearly 2^24 s, as in Redis. */
#define ENTRY_ACCESS_MASK 0xFFFFFFu

/* The stored access time: seconds, low 24 bits. */
static inline uint32_t entry_access_s(const struct entry *e)
{
	return e->access_s;
}

static inline void entry_set_access_s(struct entry *e, uint32_t now_s)
{
	e->access_s = now_s & ENTRY_ACCESS_MASK;
}

/* Seconds since the last access at `now_s` (Unix seconds), mod 2^24. */
static inline uint32_t entry_idle_s(const struct entry *e, uint32_t now_s)
{
	return (now_s - entry_access_s(e)) & ENTRY_ACCESS_MASK;
}

/* Bytes the entry's block takes (what it is charged). */
static inline size_t entry_block_size(const struct entry *e)
{
	return e->flags & ENTRY_SLAB ? entry_slab_block_size(e) : shard_heap_block_size(e);
}

/* Value bytes the entry's block has room for (>= entry_val_len). */
size_t entry_val_cap(const struct entry *e);

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

#endif
