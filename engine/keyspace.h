/* One shard's slice of the keyspace: a chained hash table that grows and
 * shrinks by incremental rehashing (a few buckets move on every write and on
 * idle ticks), so no insert pays for a whole-table rehash.
 *
 * Entry layout: one allocation per key holding the header, the key bytes and
 * the value bytes, so a small SET costs one malloc:
 *
 *   +--------------------------+---------------+------------------------+
 *   | struct entry (48 bytes)  | key[key_len]  | value[val_cap]         |
 *   +--------------------------+---------------+------------------------+
 *
 * Only strings exist so far; `type` leaves room for the others.
 * The keyspace never looks at expiry itself: engine/expire.c does, through
 * entry_expire_ms(), so that the expiry policy stays in one file.
 *
 * Outside keyspace.c and expiry_queue.c, entry fields are read through the
 * accessors below (lfu_counter, type, encoding and flags excepted: those
 * stay plain bytes), and key_len, val_len, val_cap and expire_ms are only
 * ever written by keyspace.c; next and hash are keyspace.c's alone. So the
 * header's layout can change here without touching the commands.
 */
#ifndef TESSERA_KEYSPACE_H
#define TESSERA_KEYSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expiry_queue.h"
#include "shard_heap.h"

enum value_type { TYPE_STRING = 0 };

/* OBJECT ENCODING of a string, chosen the way Redis chooses it. */
enum string_encoding { ENC_RAW = 0, ENC_EMBSTR = 1, ENC_INT = 2 };

struct entry {
	struct entry *next;
	int64_t expire_ms;        /* absolute Unix time in ms; 0 = no TTL */
	uint64_t hash;
	uint32_t key_len;
	uint32_t val_len;
	uint32_t val_cap;
	uint32_t access_time;     /* seconds mod 2^24 (entry_set_access_s) */
	uint8_t type;             /* enum value_type */
	uint8_t encoding;         /* enum string_encoding */
	uint8_t lfu_counter;
	uint8_t flags;            /* ENTRY_* */
	char data[];              /* key bytes, then value bytes */
};

/* A record for this entry waits in the keyspace's expiry queue. */
#define ENTRY_QUEUED 0x01

_Static_assert(sizeof(struct entry) == 48, "entry header size is part of the memory budget");

static inline const char *entry_key(const struct entry *e) { return e->data; }
static inline char *entry_val(struct entry *e) { return e->data + e->key_len; }
static inline uint32_t entry_key_len(const struct entry *e) { return e->key_len; }
static inline uint32_t entry_val_len(const struct entry *e) { return e->val_len; }
/* Value bytes the entry holds room for (>= entry_val_len). */
static inline uint32_t entry_val_cap(const struct entry *e) { return e->val_cap; }
/* Absolute Unix time in ms; 0 = no TTL. Set through keyspace_set_expire(). */
static inline int64_t entry_expire_ms(const struct entry *e) { return e->expire_ms; }

/* The access time is kept as Redis keeps its LRU clock: whole seconds,
 * low 24 bits only (it wraps every 194 days). Idle times are therefore
 * computed modulo 2^24 seconds: an access time ahead of the clock reads as
 * idle for nearly 2^24 s, as in Redis. */
#define ENTRY_ACCESS_MASK 0xFFFFFFu

/* The stored access time: seconds, low 24 bits. */
static inline uint32_t entry_access_s(const struct entry *e)
{
	return e->access_time & ENTRY_ACCESS_MASK;
}

static inline void entry_set_access_s(struct entry *e, uint32_t now_s)
{
	e->access_time = now_s & ENTRY_ACCESS_MASK;
}

/* Seconds since the last access at `now_s` (Unix seconds), mod 2^24. */
static inline uint32_t entry_idle_s(const struct entry *e, uint32_t now_s)
{
	return (now_s - entry_access_s(e)) & ENTRY_ACCESS_MASK;
}

struct ht_table {
	struct entry **buckets;
	uint64_t mask;            /* size - 1; size is a power of two, 0 buckets = empty */
	uint64_t used;
};

struct keyspace {
	struct ht_table t[2];     /* t[1] is non-empty only while rehashing */
	int64_t rehash_index;     /* next bucket of t[0] to move; -1 = not rehashing */
	uint64_t expires;         /* keys with a TTL */
	uint64_t volatile_bytes;  /* heap bytes of the entries with a TTL */
	uint64_t seed;
	struct shard_heap heap;   /* entries and tables; see shard_heap.h */
	/* While non-zero, no entry moves between buckets (no resize starts,
	 * no rehash step runs): an iteration spread over many slices (KEYS)
	 * then sees every key exactly once. Inserts still succeed; chains
	 * just grow until it is over. */
	unsigned resize_paused;
	/* Every key with a TTL, in order of expiry (expiry_queue.h): filled
	 * by keyspace_set_expire(), drained by engine/expire.c. */
	struct expiry_queue expiring;
	int64_t clock_ms;         /* the owner's clock, kept current by the shard */
};

/* Bytes the keyspace holds: entries and bucket arrays, as allocated. */
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

/* What an expiry record stores to recognise `e` later (keyspace_holds()):
 * today the low 32 bits of its hash. */
static inline uint32_t keyspace_entry_tag(const struct keyspace *ks, const struct entry *e)
{
	(void)ks;
	return (uint32_t)e->hash;
}

/* Is `e` (whose keyspace_entry_tag() was hash_lo) still an entry of this
 * keyspace? For records that name entries by address: never reads *e
 * unless it is found in the table. */
bool keyspace_holds(const struct keyspace *ks, const struct entry *e, uint32_t hash_lo);

/* Which table holds `e`: 0, 1, or -1 for neither (for checks and tests;
 * walks one chain per table). */
int keyspace_table_of(const struct keyspace *ks, const struct entry *e);

static inline uint64_t keyspace_size(const struct keyspace *ks)
{
	return ks->t[0].used + ks->t[1].used;
}

/* Move up to n buckets of an ongoing rehash. Returns true if more remain. */
bool keyspace_rehash_step(struct keyspace *ks, int n);
/* Periodic upkeep: start a shrink the writes did not, then rehash n buckets. */
bool keyspace_tick(struct keyspace *ks, int n);

/* Reverse-binary cursor scan (see keyspace.c for why it survives resizing).
 * Calls fn for every entry of the bucket(s) at `cursor`, returns the next
 * cursor, 0 when the scan is complete. fn must not insert or delete. */
typedef void (*keyspace_scan_fn)(void *ctx, struct entry *e);
uint64_t keyspace_scan(struct keyspace *ks, uint64_t cursor, keyspace_scan_fn fn, void *ctx);

/* A random entry (fair enough for RANDOMKEY), NULL if empty. */
struct entry *keyspace_random(struct keyspace *ks, uint64_t (*rand64)(void *), void *rng);

/* Remove every key. */
void keyspace_clear(struct keyspace *ks);

/* The keyspace's tables, taken away whole: the keyspace is empty at once
 * and the entries are freed later, a slice at a time, by
 * keyspace_free_detached(). Counts (keys, expires) drop at once; the bytes
 * stay charged to the heap until freed. */
struct detached_tables {
	struct ht_table t[2];
	uint64_t bucket;          /* next bucket to free, across t[0] then t[1] */
};
void keyspace_detach(struct keyspace *ks, struct detached_tables *out);
/* Free up to `budget` buckets' worth; true when all is freed. */
bool keyspace_free_detached(struct keyspace *ks, struct detached_tables *d, unsigned budget);

#endif
