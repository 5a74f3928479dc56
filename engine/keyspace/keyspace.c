#include "keyspace/keyspace.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ---- entry layout ----------------------------------------------------- */

static bool needs_long_lengths(size_t klen, size_t vlen)
{
	return klen > UINT8_MAX || vlen > UINT16_MAX;
}

static size_t header_size(bool long_lengths, bool ttl)
{
	return sizeof(struct entry) + (long_lengths ? ENTRY_LONG_LENGTHS_SIZE : 0) +
	       (ttl ? sizeof(int64_t) : 0);
}

static void set_lengths(struct entry *e, size_t klen, size_t vlen)
{
	if (e->flags & ENTRY_LONG) {
		uint32_t l[2] = { (uint32_t)klen, (uint32_t)vlen };
		memcpy(e->data, l, sizeof(l));
	} else {
		e->short_key_len = (uint8_t)klen;
		e->short_val_len = (uint16_t)vlen;
	}
}

static void set_val_len(struct entry *e, size_t vlen)
{
	set_lengths(e, entry_key_len(e), vlen);
}

static void store_ttl_slot(struct entry *e, int64_t ms, uint16_t gen)
{
	uint64_t slot = (uint64_t)ms;
	if (slot <= ENTRY_TTL_TIME_MASK)
		slot |= ENTRY_TTL_PACKED | (uint64_t)gen << ENTRY_TTL_GEN_SHIFT;
	memcpy(e->data + entry_lengths_size(e), &slot, sizeof(slot));
}

/* A new expiry keeps the generation: the live record stays live (a record
 * that fires before the expiry is queued again). */
static void store_expire(struct entry *e, int64_t ms)
{
	store_ttl_slot(e, ms, entry_expiry_gen(e));
}

/* Value bytes the entry's block has room for, within what its length
 * fields can say. */
size_t entry_val_cap(const struct entry *e)
{
	size_t used = (size_t)(entry_key(e) - (const char *)e) + entry_key_len(e);
	size_t room = entry_block_size(e) - used;
	return !(e->flags & ENTRY_LONG) && room > UINT16_MAX ? UINT16_MAX : room;
}

uint64_t keyspace_hash(const struct keyspace *ks, const void *key, size_t len)
{
	return XXH3_64bits_withSeed(key, len, ks->seed);
}

static uint64_t entry_hash(const struct keyspace *ks, const struct entry *e)
{
	return keyspace_hash(ks, entry_key(e), entry_key_len(e));
}

static uint64_t hash_item(const void *ks, const void *e)
{
	return entry_hash(ks, e);
}

static bool key_matches(const void *item, const void *key, size_t len)
{
	const struct entry *e = item;
	return entry_key_len(e) == len && memcmp(entry_key(e), key, len) == 0;
}

uint32_t keyspace_entry_tag(const struct keyspace *ks, const struct entry *e)
{
	return seg_table_tag(entry_hash(ks, e));
}

/* ---- the keyspace --------------------------------------------------------- */

void keyspace_init(struct keyspace *ks, uint64_t seed)
{
	memset(ks, 0, sizeof(*ks));
	shard_heap_init(&ks->heap);
	expiry_queue_init(&ks->expiring);
	seg_table_init(&ks->table, &ks->heap, hash_item, ks);
	entry_slab_init(&ks->slab, &ks->heap);
	ks->seed = seed;
}

/* A block for an entry of n bytes: from the slab when small (the caller
 * marks it ENTRY_SLAB), else from the heap. */
static struct entry *alloc_block(struct keyspace *ks, size_t n)
{
	return n > SLAB_MAX_BLOCK ? shard_heap_alloc(&ks->heap, n) : entry_slab_alloc(&ks->slab, n);
}

static void free_block(struct keyspace *ks, struct entry *e)
{
	if (e->flags & ENTRY_SLAB)
		entry_slab_free(&ks->slab, e);
	else
		shard_heap_free(&ks->heap, e);
}

static void free_entry(struct keyspace *ks, struct entry *e)
{
	if (entry_expire_ms(e)) {
		ks->expires--;
		ks->volatile_bytes -= entry_block_size(e);
	}
	free_block(ks, e);
}

static void free_item(void *ks, void *e)
{
	free_block(ks, e);
}

void keyspace_clear(struct keyspace *ks)
{
	struct detached_tables d;
	keyspace_detach(ks, &d);
	while (!keyspace_free_detached(ks, &d, UINT32_MAX))
		;
	entry_slab_trim(&ks->slab);
}

void keyspace_detach(struct keyspace *ks, struct detached_tables *out)
{
	seg_table_detach(&ks->table, &out->table);
	ks->expires = 0;
	ks->volatile_bytes = 0;
	expiry_queue_free(&ks->expiring, &ks->heap); /* its records name those entries */
}

bool keyspace_free_detached(struct keyspace *ks, struct detached_tables *d, unsigned budget)
{
	unsigned segments = budget / KEYSPACE_SCAN_SLOTS ? budget / KEYSPACE_SCAN_SLOTS : 1;
	return seg_table_free_slice(&d->table, free_item, ks, segments);
}

void keyspace_free(struct keyspace *ks)
{
	keyspace_clear(ks);
}

bool keyspace_tick(struct keyspace *ks, int n)
{
	return seg_table_tick(&ks->table, (unsigned)n);
}

/* ---- lookup, insert, delete -------------------------------------------- */

struct entry *keyspace_find(struct keyspace *ks, const void *key, size_t len)
{
	return seg_table_find(&ks->table, keyspace_hash(ks, key, len), key_matches, key, len);
}

static enum entry_kind string_kind(const void *val, size_t vlen);

/* A new block laid out for these lengths, with room for `vcap` value
 * bytes, the header filled in; NULL if out of memory. */
static struct entry *new_entry(struct keyspace *ks, const void *key, size_t klen, size_t vlen,
			       size_t vcap, bool long_lengths, bool ttl)
{
	size_t n = header_size(long_lengths, ttl) + klen + vcap;
	struct entry *e = alloc_block(ks, n);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->flags = (uint8_t)((long_lengths ? ENTRY_LONG : 0) | (ttl ? ENTRY_HAS_TTL : 0) |
			     (n > SLAB_MAX_BLOCK ? 0 : ENTRY_SLAB));
	set_lengths(e, klen, vlen);
	if (ttl)
		store_ttl_slot(e, 0, 0);
	memcpy((char *)entry_key(e), key, klen);
	return e;
}

static void count_expire(struct keyspace *ks, struct entry *e, int64_t expire_ms)
{
	if (!expire_ms)
		return;
	ks->expires++;
	ks->volatile_bytes += entry_block_size(e);
	store_expire(e, expire_ms);
	keyspace_queue_expiry(ks, e, keyspace_entry_tag(ks, e));
}

bool keyspace_queue_expiry(struct keyspace *ks, struct entry *e, uint32_t tag)
{
	if (++ks->expiry_gen == 0)
		ks->expiry_gen = 1;
	store_ttl_slot(e, entry_expire_ms(e), ks->expiry_gen);
	if (!expiry_queue_push(&ks->expiring, &ks->heap, e, tag, entry_expiry_gen(e), ks->clock_ms)) {
		e->flags &= (uint8_t)~ENTRY_QUEUED;
		return false;
	}
	e->flags |= ENTRY_QUEUED;
	return true;
}

void keyspace_prefetch_records(const struct keyspace *ks, const struct expiry_record *r,
			       unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		seg_table_prefetch_segment(&ks->table, r[i].hash_lo);
		__builtin_prefetch(expiry_record_entry(&r[i]));
	}
	for (unsigned i = 0; i < n; i++)
		seg_table_prefetch_bucket(&ks->table, r[i].hash_lo);
}

bool keyspace_record_is_live(const struct keyspace *ks, const struct expiry_record *r)
{
	struct entry *e = expiry_record_entry(r);
	if (!keyspace_holds(ks, e, r->hash_lo))
		return false;
	/* A key without a generation (a time past 2^47 ms) takes any record
	 * of its own, including the one queued before its TTL got there. */
	uint16_t gen = entry_expiry_gen(e);
	return gen == 0 || expiry_record_gen(r) == gen;
}

struct entry *keyspace_insert(struct keyspace *ks, const void *key, size_t klen,
			      const void *val, size_t vlen, int64_t expire_ms)
{
	struct entry *e = new_entry(ks, key, klen, vlen, vlen, needs_long_lengths(klen, vlen),
				    expire_ms != 0);
	if (!e)
		return NULL;
	entry_set_kind(e, string_kind(val, vlen));
	if (vlen)
		memcpy(entry_val(e), val, vlen);
	if (!seg_table_insert(&ks->table, keyspace_hash(ks, key, klen), e)) {
		free_block(ks, e);
		return NULL;
	}
	count_expire(ks, e, expire_ms);
	return e;
}

/* Move e to a new block of the given layout with room for `vcap` value
 * bytes, keeping its key, kind, value (up to vcap), TTL and clocks. The
 * table and the expiry queue follow it. NULL if out of memory (e
 * unchanged). */
static struct entry *relocate(struct keyspace *ks, struct entry *e, size_t vcap, bool long_lengths,
			      bool ttl)
{
	size_t klen = entry_key_len(e), vlen = entry_val_len(e);
	if (vlen > vcap)
		vlen = vcap;
	struct entry *n = new_entry(ks, entry_key(e), klen, vlen, vcap, long_lengths, ttl);
	if (!n)
		return NULL;
	n->kind = e->kind;
	n->lfu_counter = e->lfu_counter;
	n->access_s = e->access_s;
	memcpy(entry_val(n), entry_val(e), vlen);
	int64_t expire_ms = entry_expire_ms(e);
	if (expire_ms)
		store_expire(n, expire_ms);
	uint64_t h = entry_hash(ks, n);
	seg_table_replace(&ks->table, h, e, n);
	if (expire_ms) {
		ks->volatile_bytes += entry_block_size(n) - entry_block_size(e);
		/* The queued record names the old address. */
		keyspace_queue_expiry(ks, n, seg_table_tag(h));
	}
	free_block(ks, e);
	return n;
}

struct entry *keyspace_resize_value(struct keyspace *ks, struct entry *e, size_t vlen, bool exact)
{
	size_t klen = entry_key_len(e), room = entry_val_cap(e);
	bool long_lengths = (e->flags & ENTRY_LONG) || needs_long_lengths(klen, vlen);
	/* "Exact" still keeps a block that is only the allocator's rounding
	 * bigger than asked. */
	bool keep = vlen <= room && (!exact || room - vlen <= 16 + vlen / 8);
	if (!keep) {
		size_t cap = vlen;
		if (!exact)
			cap = cap < (1u << 20) ? cap * 2 : cap + (1u << 20);
		e = relocate(ks, e, cap, long_lengths, (e->flags & ENTRY_HAS_TTL) != 0);
		if (!e)
			return NULL;
	}
	set_val_len(e, vlen);
	return e;
}

struct entry *keyspace_set_value(struct keyspace *ks, struct entry *e, const void *val, size_t vlen)
{
	/* Keep the old block when the new value fits and wastes little. */
	size_t room = entry_val_cap(e);
	bool fits = vlen <= room && room - vlen <= 64 + vlen / 4;
	struct entry *n = fits ? e : keyspace_resize_value(ks, e, vlen, true);
	if (!n)
		return NULL;
	set_val_len(n, vlen);
	if (vlen)
		memcpy(entry_val(n), val, vlen);
	entry_set_kind(n, string_kind(val, vlen));
	return n;
}

void keyspace_delete(struct keyspace *ks, struct entry *e)
{
	seg_table_remove(&ks->table, entry_hash(ks, e), e);
	free_entry(ks, e);
}

bool keyspace_holds(const struct keyspace *ks, const struct entry *e, uint32_t tag)
{
	return seg_table_holds(&ks->table, tag, e);
}

struct entry *keyspace_set_expire(struct keyspace *ks, struct entry *e, int64_t expire_ms)
{
	int64_t old = entry_expire_ms(e);
	if (expire_ms && !(e->flags & ENTRY_HAS_TTL)) {
		/* The first TTL of this key: its block grows by the 8 bytes. */
		struct entry *n = relocate(ks, e, entry_val_len(e), (e->flags & ENTRY_LONG) != 0, true);
		if (!n)
			return NULL;
		e = n;
	}
	if (old && !expire_ms) {
		ks->expires--;
		ks->volatile_bytes -= entry_block_size(e);
	} else if (!old && expire_ms) {
		ks->expires++;
		ks->volatile_bytes += entry_block_size(e);
	}
	if (e->flags & ENTRY_HAS_TTL)
		store_expire(e, expire_ms);
	/* A queued record fires no later than a TTL that grew; a new or
	 * shorter TTL needs its own, and so does a TTL set again after PERSIST
	 * (the old record may be due later than it). */
	bool queue = expire_ms && (!(e->flags & ENTRY_QUEUED) || !old || expire_ms < old);
	if (queue)
		keyspace_queue_expiry(ks, e, keyspace_entry_tag(ks, e));
	return e;
}

/* Redis's rules for OBJECT ENCODING: a canonical integer that fits a long long
 * is "int", other strings up to 44 bytes "embstr", longer ones "raw". */
static enum entry_kind string_kind(const void *val, size_t vlen)
{
	const char *s = val;
	if (vlen > 0 && vlen <= 20) {
		size_t i = s[0] == '-' ? 1 : 0;
		bool digits = i < vlen && !(s[i] == '0' && vlen > i + 1) && !(s[i] == '0' && i == 1);
		for (size_t j = i; digits && j < vlen; j++)
			digits = s[j] >= '0' && s[j] <= '9';
		if (digits && (vlen < 19 || (vlen == 19 && s[0] != '-' && memcmp(s, "9223372036854775807", 19) <= 0) ||
			       (vlen == 20 && s[0] == '-' && memcmp(s, "-9223372036854775808", 20) <= 0) ||
			       (vlen == 19 && s[0] == '-')))
			return KIND_STRING_INT;
	}
	return vlen <= 44 ? KIND_STRING_EMBSTR : KIND_STRING_RAW;
}

/* ---- scanning ----------------------------------------------------------- */

struct scan_adapter {
	keyspace_scan_fn fn;
	void *ctx;
};

static void visit_entry(void *arg, void *item)
{
	struct scan_adapter *a = arg;
	a->fn(a->ctx, item);
}

uint64_t keyspace_scan(struct keyspace *ks, uint64_t cursor, keyspace_scan_fn fn, void *ctx,
		       unsigned *slots)
{
	struct scan_adapter a = { fn, ctx };
	return seg_table_scan(&ks->table, cursor, visit_entry, &a, slots);
}

struct entry *keyspace_random(struct keyspace *ks, uint64_t (*rand64)(void *), void *rng)
{
	return seg_table_random(&ks->table, rand64, rng);
}

#ifdef TESSERA_ASSERTS
bool entry_kind_ok(struct entry *e)
{
	/* Only strings are stored so far: the collections will add theirs. */
	if (entry_type(e) != TYPE_STRING)
		return false;
	/* "int" promises a value INCR can read back exactly; "raw" and
	 * "embstr" may hold anything (APPEND makes a raw "abc"). */
	return entry_kind(e) != KIND_STRING_INT ||
	       string_kind(entry_val(e), entry_val_len(e)) == KIND_STRING_INT;
}
#endif
