/* One key's entry: the bytes of one allocation and the accessors that
 * read them. The keyspace (keyspace.h) allocates, moves and frees entries;
 * this header is what the rest of the engine needs to read one.
 *
 * One allocation per key holds an 8-byte header, the optional parts, the
 * key bytes and the value bytes, so a small SET costs one malloc and 8
 * bytes of header:
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
 * The header, bit 0 first (as GCC and Clang allocate bit-fields on the
 * little-endian targets we build for):
 *
 *   0       4       8             16              32                56       64
 *   +-------+-------+-------------+---------------+-----------------+--------+
 *   | flags | kind  | lfu_counter | short_val_len | access_s        | short_ |
 *   |       |       |             |               |                 | key_len|
 *   +-------+-------+-------------+---------------+-----------------+--------+
 *
 * - kind is the type and the encoding together: Redis 7.0 has eleven
 *   type/encoding pairs (enum entry_kind), and no bit of the 64 is spare
 *   for separate fields wide enough for five types and their encodings.
 *   Only the string kinds are stored so far; the others are named for the
 *   collection types to come.
 *
 * Outside keyspace.c, entry fields are read through the accessors below
 * (lfu_counter and flags excepted), and lengths and expiry are only ever
 * written by keyspace.c.
 */
#ifndef TESSERA_ENTRY_H
#define TESSERA_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keyspace/entry_slab.h"
#include "keyspace/shard_heap.h"

/* What TYPE replies, in Redis's order. TYPE_STRING is 0, so a zeroed
 * header (kind 0) is a string. */
enum value_type { TYPE_STRING = 0, TYPE_LIST, TYPE_SET, TYPE_ZSET, TYPE_HASH, TYPE_STREAM };

/* A type and its OBJECT ENCODING, as Redis 7.0 pairs them. Strings are
 * "int", "embstr" or "raw" by Redis's rules (keyspace.c chooses). */
enum entry_kind {
	KIND_STRING_RAW = 0,
	KIND_STRING_EMBSTR,
	KIND_STRING_INT,
	KIND_LIST_QUICKLIST,
	KIND_SET_INTSET,
	KIND_SET_HASHTABLE,
	KIND_ZSET_LISTPACK,
	KIND_ZSET_SKIPLIST,
	KIND_HASH_LISTPACK,
	KIND_HASH_HASHTABLE,
	KIND_STREAM,
};
#define KIND_COUNT (KIND_STREAM + 1)
#define ENTRY_KIND_BITS 4

_Static_assert(KIND_COUNT <= 1 << ENTRY_KIND_BITS, "every kind must fit the header's kind field");

struct entry {
	uint8_t flags : 4;        /* ENTRY_* */
	uint8_t kind : ENTRY_KIND_BITS; /* enum entry_kind */
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

static inline enum entry_kind entry_kind(const struct entry *e)
{
	return (enum entry_kind)e->kind;
}

static inline void entry_set_kind(struct entry *e, enum entry_kind kind)
{
	e->kind = (uint8_t)kind;
}

/* A switch with no default, so that -Wswitch names a kind left out. */
static inline enum value_type kind_type(enum entry_kind kind)
{
	switch (kind) {
	case KIND_STRING_RAW:
	case KIND_STRING_EMBSTR:
	case KIND_STRING_INT:
		return TYPE_STRING;
	case KIND_LIST_QUICKLIST:
		return TYPE_LIST;
	case KIND_SET_INTSET:
	case KIND_SET_HASHTABLE:
		return TYPE_SET;
	case KIND_ZSET_LISTPACK:
	case KIND_ZSET_SKIPLIST:
		return TYPE_ZSET;
	case KIND_HASH_LISTPACK:
	case KIND_HASH_HASHTABLE:
		return TYPE_HASH;
	case KIND_STREAM:
		return TYPE_STREAM;
	}
	return TYPE_STRING;
}

/* What OBJECT ENCODING replies for a value of this kind. */
static inline const char *kind_encoding_name(enum entry_kind kind)
{
	switch (kind) {
	case KIND_STRING_RAW:
		return "raw";
	case KIND_STRING_EMBSTR:
		return "embstr";
	case KIND_STRING_INT:
		return "int";
	case KIND_LIST_QUICKLIST:
		return "quicklist";
	case KIND_SET_INTSET:
		return "intset";
	case KIND_SET_HASHTABLE:
	case KIND_HASH_HASHTABLE:
		return "hashtable";
	case KIND_ZSET_LISTPACK:
	case KIND_HASH_LISTPACK:
		return "listpack";
	case KIND_ZSET_SKIPLIST:
		return "skiplist";
	case KIND_STREAM:
		return "stream";
	}
	return "raw";
}

static inline enum value_type entry_type(const struct entry *e)
{
	return kind_type(entry_kind(e));
}

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

/* Value bytes the entry's block has room for (>= entry_val_len); in
 * keyspace.c, beside the code that sizes blocks. */
size_t entry_val_cap(const struct entry *e);

#endif
