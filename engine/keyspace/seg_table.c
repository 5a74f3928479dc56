#include "keyspace/seg_table.h"

#include <string.h>

/* An item may sit at most this many buckets past its home bucket. */
#define PROBE_LIMIT 16
#define FP_BITS 16
#define ADDR_MASK ((1ULL << 48) - 1)

struct segment {
	uint32_t nbuckets;
	uint32_t used;
	uint8_t depth;            /* hash bits every item here shares (local depth) */
	uint8_t pad[7];
	uint64_t slot[];          /* nbuckets * SEG_BUCKET_SLOTS tagged pointers; 0 = free */
};

/* ---- slots and positions ------------------------------------------------ */

static inline uint16_t fingerprint(uint64_t h) { return (uint16_t)h; }
static inline uint16_t slot_fp(uint64_t s) { return (uint16_t)(s >> 48); }
static inline void *slot_item(uint64_t s) { return (void *)(uintptr_t)(s & ADDR_MASK); }

static inline uint64_t tagged(const void *item, uint16_t fp)
{
	return (uint64_t)fp << 48 | (uint64_t)(uintptr_t)item;
}

static inline uint64_t capacity(const struct segment *s)
{
	return (uint64_t)s->nbuckets * SEG_BUCKET_SLOTS;
}

/* The fingerprint's high bits scaled to the bucket count: a home that does
 * not depend on the bucket count being a power of two, and that needs no
 * more than the slot to compute. */
static inline uint32_t home_bucket(const struct segment *s, uint16_t fp)
{
	return (uint32_t)(((uint32_t)fp * s->nbuckets) >> FP_BITS);
}

static inline uint32_t probe_limit(const struct segment *s)
{
	return s->nbuckets < PROBE_LIMIT ? s->nbuckets : PROBE_LIMIT;
}

static inline uint32_t bucket_after(const struct segment *s, uint32_t b, uint32_t steps)
{
	uint32_t n = b + steps;
	return n >= s->nbuckets ? n - s->nbuckets : n;
}

/* Buckets from a to b going forward (wrapping). */
static inline uint32_t distance(const struct segment *s, uint32_t a, uint32_t b)
{
	return b >= a ? b - a : b + s->nbuckets - a;
}

static inline uint64_t dir_size(const struct seg_table *t)
{
	return t->dir ? 1ULL << t->global_depth : 0;
}

static inline uint64_t dir_index(const struct seg_table *t, uint64_t h)
{
	return t->global_depth ? h >> (64 - t->global_depth) : 0;
}

/* The first directory entry of the run that points at the segment found
 * at index i, and the run's length. */
static inline uint64_t run_start(const struct seg_table *t, const struct segment *s, uint64_t i)
{
	unsigned spare = t->global_depth - s->depth;
	return i >> spare << spare;
}

static inline uint64_t run_length(const struct seg_table *t, const struct segment *s)
{
	return 1ULL << (t->global_depth - s->depth);
}

/* ---- segments ----------------------------------------------------------- */

/* Buckets for n items at about 80% load: a grown or split segment starts
 * there and may fill to 95% before it must change again (slots are 8 bytes
 * each: the load is most of a small key's overhead). */
static uint32_t buckets_for(uint64_t n)
{
	uint64_t b = (n * 5 + 31) / 32;
	return b ? (uint32_t)b : 1;
}

static bool crowded(const struct segment *s)
{
	return (uint64_t)(s->used + 1) * 20 > capacity(s) * 19;
}

static bool sparse(const struct segment *s)
{
	return s->nbuckets > 1 && (uint64_t)s->used * 8 < capacity(s) * 3 &&
	       buckets_for(s->used) * 4 < s->nbuckets * 3;
}

static void count_depth(struct seg_table *t, const struct segment *s, int delta)
{
	t->segments += (uint64_t)delta;
	if (s->depth == t->global_depth)
		t->at_global_depth += (uint64_t)delta;
}

/* A new, empty segment of at least `nbuckets`; it takes every bucket its
 * block has room for, so allocator rounding becomes capacity. */
static struct segment *new_segment(struct seg_table *t, uint32_t nbuckets, uint8_t depth)
{
	size_t bucket_bytes = SEG_BUCKET_SLOTS * sizeof(uint64_t);
	struct segment *s = shard_heap_alloc(t->heap, sizeof(*s) + nbuckets * bucket_bytes);
	if (!s)
		return NULL;
	size_t room = shard_heap_block_size(s) - sizeof(*s);
	memset(s, 0, sizeof(*s) + room / bucket_bytes * bucket_bytes);
	s->nbuckets = (uint32_t)(room / bucket_bytes);
	s->depth = depth;
	return s;
}

static void free_segment(struct seg_table *t, struct segment *s)
{
	count_depth(t, s, -1);
	shard_heap_free(t->heap, s);
}

/* Put a slot value in the first free slot from its home bucket on. */
static bool place(struct segment *s, uint64_t v)
{
	uint32_t home = home_bucket(s, slot_fp(v)), limit = probe_limit(s);
	for (uint32_t step = 0; step < limit; step++) {
		uint64_t *b = &s->slot[(size_t)bucket_after(s, home, step) * SEG_BUCKET_SLOTS];
		for (int i = 0; i < SEG_BUCKET_SLOTS; i++) {
			if (!b[i]) {
				b[i] = v;
				s->used++;
				return true;
			}
		}
	}
	return false;
}

/* Place every item of `from` into `to`; false if one found no slot. */
static bool place_all(struct segment *to, const struct segment *from)
{
	for (uint64_t i = 0; i < capacity(from); i++)
		if (from->slot[i] && !place(to, from->slot[i]))
			return false;
	return true;
}

static void point_run(struct seg_table *t, uint64_t start, uint64_t len, struct segment *s)
{
	for (uint64_t i = 0; i < len; i++)
		t->dir[start + i] = s;
}

/* A copy of `from` with at least `nbuckets`, more if some item finds no
 * slot within its probe limit (a cluster of close fingerprints). NULL if
 * out of memory. */
static struct segment *rebuilt(struct seg_table *t, const struct segment *from, uint32_t nbuckets,
			       uint8_t depth)
{
	for (;;) {
		struct segment *s = new_segment(t, nbuckets, depth);
		if (!s || place_all(s, from))
			return s;
		nbuckets = s->nbuckets + s->nbuckets / 4 + 1;
		shard_heap_free(t->heap, s);
	}
}

/* Rebuild the segment at directory index i with room for `nbuckets`. */
static bool resize_segment(struct seg_table *t, uint64_t i, uint32_t nbuckets)
{
	struct segment *old = t->dir[i];
	struct segment *s = rebuilt(t, old, nbuckets, old->depth);
	if (!s)
		return false;
	if (nbuckets < old->nbuckets && s->nbuckets >= old->nbuckets) {
		shard_heap_free(t->heap, s); /* a shrink that did not shrink */
		return false;
	}
	point_run(t, run_start(t, old, i), run_length(t, old), s);
	count_depth(t, s, +1);
	free_segment(t, old);
	return true;
}

/* Place v in *s, growing *s if it has no slot for it. */
static bool place_growing(struct seg_table *t, struct segment **s, uint64_t v)
{
	while (!place(*s, v)) {
		struct segment *g = rebuilt(t, *s, (*s)->nbuckets + (*s)->nbuckets / 4 + 1, (*s)->depth);
		if (!g)
			return false;
		shard_heap_free(t->heap, *s);
		*s = g;
	}
	return true;
}

static bool double_directory(struct seg_table *t)
{
	uint64_t n = dir_size(t);
	struct segment **d = shard_heap_alloc(t->heap, 2 * n * sizeof(*d));
	if (!d)
		return false;
	for (uint64_t i = 0; i < 2 * n; i++)
		d[i] = t->dir[i >> 1];
	shard_heap_free(t->heap, t->dir);
	t->dir = d;
	t->global_depth++;
	t->at_global_depth = 0;
	return true;
}

/* No segment uses the directory's last bit any more: halve it. */
static void maybe_halve_directory(struct seg_table *t)
{
	if (t->at_global_depth > 0 || t->global_depth == 0)
		return;
	uint64_t n = dir_size(t) / 2;
	struct segment **d = shard_heap_alloc(t->heap, n * sizeof(*d));
	if (!d)
		return;
	for (uint64_t i = 0; i < n; i++)
		d[i] = t->dir[2 * i];
	shard_heap_free(t->heap, t->dir);
	t->dir = d;
	t->global_depth--;
	for (uint64_t i = 0; i < n; i++)
		t->at_global_depth += t->dir[i]->depth == t->global_depth;
}

/* Split the segment at directory index i by hash bit `depth` (counted from
 * the top). The only step that reads items: their hashes are not stored. */
static bool split_segment(struct seg_table *t, uint64_t i)
{
	struct segment *old = t->dir[i];
	if (old->depth >= 64)
		return false;
	if (old->depth == t->global_depth) {
		if (!double_directory(t))
			return false;
		i = i * 2;
	}
	unsigned bit = 63 - old->depth;
	uint64_t upper[SEG_MAX_BUCKETS * SEG_BUCKET_SLOTS * 2 / 64 + 1] = { 0 };
	uint64_t ones = 0, cap = capacity(old);
	bool track = cap <= sizeof(upper) * 8;
	for (uint64_t k = 0; k < cap && track; k++) {
		if (old->slot[k] && (t->hash(t->hash_ctx, slot_item(old->slot[k])) >> bit & 1)) {
			upper[k / 64] |= 1ULL << (k % 64);
			ones++;
		}
	}
	struct segment *half[2] = {
		new_segment(t, buckets_for(old->used - ones), old->depth + 1),
		new_segment(t, buckets_for(ones), old->depth + 1),
	};
	bool ok = half[0] && half[1];
	for (uint64_t k = 0; k < cap && ok; k++) {
		if (!old->slot[k])
			continue;
		int side = track ? (int)(upper[k / 64] >> (k % 64) & 1)
				 : (int)(t->hash(t->hash_ctx, slot_item(old->slot[k])) >> bit & 1);
		ok = place_growing(t, &half[side], old->slot[k]);
	}
	if (!ok) {
		shard_heap_free(t->heap, half[0]);
		shard_heap_free(t->heap, half[1]);
		return false;
	}
	uint64_t start = run_start(t, old, i), len = run_length(t, old);
	point_run(t, start, len / 2, half[0]);
	point_run(t, start + len / 2, len / 2, half[1]);
	count_depth(t, half[0], +1);
	count_depth(t, half[1], +1);
	free_segment(t, old);
	return true;
}

/* The segment at i is crowded: grow it, or split it once it is as big as
 * segments get. */
static bool make_room(struct seg_table *t, uint64_t i)
{
	struct segment *s = t->dir[i];
	if (s->nbuckets >= SEG_MAX_BUCKETS)
		return split_segment(t, i);
	uint32_t grown = s->nbuckets + s->nbuckets / 5;
	if (grown <= s->nbuckets)
		grown = s->nbuckets + 1;
	if (grown > SEG_MAX_BUCKETS)
		grown = SEG_MAX_BUCKETS;
	return resize_segment(t, i, grown);
}

/* Merge the segment at i with its buddy (the other half of the range they
 * split from) when both are small; else shrink it if it is sparse. */
static void compact(struct seg_table *t, uint64_t i)
{
	struct segment *s = t->dir[i];
	if (s->depth > 0 && !t->merges_paused) {
		uint64_t start = run_start(t, s, i), len = run_length(t, s);
		uint64_t buddy_start = start ^ len;
		struct segment *b = t->dir[buddy_start];
		if (b->depth == s->depth &&
		    (uint64_t)s->used + b->used <= SEG_MAX_BUCKETS * SEG_BUCKET_SLOTS * 45 / 100) {
			struct segment *m = new_segment(t, buckets_for(s->used + b->used), s->depth - 1);
			/* A merge that fits only in an oversized segment (clustered
			 * fingerprints) would leave a sparse segment that every later
			 * removal tries, and fails, to shrink: skip it. */
			if (m && place_all(m, s) && place_all(m, b)) {
				point_run(t, start < buddy_start ? start : buddy_start, 2 * len, m);
				count_depth(t, m, +1);
				free_segment(t, s);
				free_segment(t, b);
				maybe_halve_directory(t);
				return;
			}
			shard_heap_free(t->heap, m);
		}
	}
	if (sparse(s))
		resize_segment(t, i, buckets_for(s->used));
}

/* ---- the table ---------------------------------------------------------- */

void seg_table_init(struct seg_table *t, struct shard_heap *heap, seg_hash_fn hash,
		    const void *hash_ctx)
{
	memset(t, 0, sizeof(*t));
	t->heap = heap;
	t->hash = hash;
	t->hash_ctx = hash_ctx;
}

static void free_segments(struct seg_table *t, void (*free_item)(void *, void *), void *ctx,
			  uint64_t budget)
{
	uint64_t n = dir_size(t);
	while (t->tick_position < n && budget > 0) {
		struct segment *s = t->dir[t->tick_position];
		if (free_item)
			for (uint64_t k = 0; k < capacity(s); k++)
				if (s->slot[k])
					free_item(ctx, slot_item(s->slot[k]));
		t->tick_position += run_length(t, s);
		free_segment(t, s);
		budget--;
	}
}

void seg_table_free(struct seg_table *t)
{
	t->tick_position = 0;
	free_segments(t, NULL, NULL, UINT64_MAX);
	shard_heap_free(t->heap, t->dir);
	seg_table_init(t, t->heap, t->hash, t->hash_ctx);
}

void seg_table_detach(struct seg_table *t, struct seg_table *out)
{
	/* A pause belongs to whoever walks the live table (a KEYS job that
	 * spans a FLUSHALL), not to the items taken away: it stays, so that
	 * its resume balances it. */
	unsigned paused = t->merges_paused;
	*out = *t;
	out->tick_position = 0;
	out->merges_paused = 0;
	seg_table_init(t, t->heap, t->hash, t->hash_ctx);
	t->merges_paused = paused;
}

bool seg_table_free_slice(struct seg_table *t, void (*free_item)(void *ctx, void *item),
			  void *ctx, unsigned segments)
{
	free_segments(t, free_item, ctx, segments);
	if (t->tick_position < dir_size(t))
		return false;
	shard_heap_free(t->heap, t->dir);
	t->dir = NULL;
	t->size = 0;
	return true;
}

void *seg_table_find(const struct seg_table *t, uint64_t h, seg_match_fn match, const void *key,
		     size_t len)
{
	if (!t->dir)
		return NULL;
	const struct segment *s = t->dir[dir_index(t, h)];
	uint16_t fp = fingerprint(h);
	uint32_t home = home_bucket(s, fp), limit = probe_limit(s);
	for (uint32_t step = 0; step < limit; step++) {
		const uint64_t *b = &s->slot[(size_t)bucket_after(s, home, step) * SEG_BUCKET_SLOTS];
		bool full = true;
		for (int i = 0; i < SEG_BUCKET_SLOTS; i++) {
			if (!b[i])
				full = false;
			else if (slot_fp(b[i]) == fp && match(slot_item(b[i]), key, len))
				return slot_item(b[i]);
		}
		/* Removals keep every item within the full run after its home. */
		if (!full)
			return NULL;
	}
	return NULL;
}

bool seg_table_insert(struct seg_table *t, uint64_t h, void *item)
{
	if (!t->dir) {
		t->dir = shard_heap_alloc(t->heap, sizeof(*t->dir));
		if (!t->dir)
			return false;
		t->dir[0] = new_segment(t, 1, 0);
		if (!t->dir[0]) {
			shard_heap_free(t->heap, t->dir);
			t->dir = NULL;
			return false;
		}
		count_depth(t, t->dir[0], +1);
	}
	uint64_t v = tagged(item, fingerprint(h));
	for (;;) {
		uint64_t i = dir_index(t, h);
		struct segment *s = t->dir[i];
		if (!crowded(s) && place(s, v)) {
			t->size++;
			return true;
		}
		if (!make_room(t, i))
			return false;
	}
}

/* The slot holding exactly `item`, or NULL. */
static uint64_t *slot_of(const struct seg_table *t, uint64_t i, uint16_t fp, const void *item,
			 uint32_t *bucket)
{
	struct segment *s = t->dir[i];
	uint64_t want = tagged(item, fp);
	uint32_t home = home_bucket(s, fp), limit = probe_limit(s);
	for (uint32_t step = 0; step < limit; step++) {
		uint32_t bi = bucket_after(s, home, step);
		uint64_t *b = &s->slot[(size_t)bi * SEG_BUCKET_SLOTS];
		bool full = true;
		for (int k = 0; k < SEG_BUCKET_SLOTS; k++) {
			if (b[k] == want) {
				*bucket = bi;
				return &b[k];
			}
			full &= b[k] != 0;
		}
		if (!full)
			return NULL;
	}
	return NULL;
}

bool seg_table_replace(struct seg_table *t, uint64_t h, const void *old, void *item)
{
	uint32_t bucket;
	uint64_t *slot = t->dir ? slot_of(t, dir_index(t, h), fingerprint(h), old, &bucket) : NULL;
	if (!slot)
		return false;
	*slot = tagged(item, fingerprint(h));
	return true;
}

/* A slot of bucket `hole` was emptied: bring back the nearest later item
 * whose probe run passed through it, and repeat for the slot that item
 * left, so that lookups may stop at the first bucket with a free slot. */
static void close_hole(struct segment *s, uint32_t hole, uint64_t *hole_slot)
{
	uint32_t limit = probe_limit(s);
	for (uint32_t step = 1; step < limit; step++) {
		uint32_t c = bucket_after(s, hole, step);
		uint64_t *b = &s->slot[(size_t)c * SEG_BUCKET_SLOTS];
		bool full = true;
		for (int k = 0; k < SEG_BUCKET_SLOTS; k++) {
			if (!b[k]) {
				full = false;
				continue;
			}
			uint32_t home = home_bucket(s, slot_fp(b[k]));
			if (distance(s, home, hole) < distance(s, home, c)) {
				*hole_slot = b[k];
				b[k] = 0;
				hole = c;
				hole_slot = &b[k];
				step = 0;
				break;
			}
		}
		if (step != 0 && !full)
			return;
	}
}

bool seg_table_remove(struct seg_table *t, uint64_t h, const void *item)
{
	if (!t->dir)
		return false;
	uint64_t i = dir_index(t, h);
	uint32_t bucket;
	uint64_t *slot = slot_of(t, i, fingerprint(h), item, &bucket);
	if (!slot)
		return false;
	struct segment *s = t->dir[i];
	*slot = 0;
	s->used--;
	t->size--;
	close_hole(s, bucket, slot);
	if (sparse(s) || (s->depth > 0 && s->used < SEG_MAX_BUCKETS * SEG_BUCKET_SLOTS / 4))
		compact(t, i);
	return true;
}

/* The tag keeps the hash's top 16 bits: enough to find the segment while
 * the directory has at most 2^16 entries, a few candidates past that. */
static uint64_t first_candidate(const struct seg_table *t, uint32_t tag)
{
	uint16_t top = (uint16_t)(tag >> 16);
	return t->global_depth <= 16 ? dir_index(t, (uint64_t)top << 48)
				     : (uint64_t)top << (t->global_depth - 16);
}

bool seg_table_holds(const struct seg_table *t, uint32_t tag, const void *item)
{
	if (!t->dir)
		return false;
	uint16_t fp = (uint16_t)tag;
	uint64_t first = first_candidate(t, tag);
	uint64_t count = t->global_depth <= 16 ? 1 : 1ULL << (t->global_depth - 16);
	uint32_t bucket;
	for (uint64_t i = first; i < first + count; i++) {
		if (i > first && t->dir[i] == t->dir[i - 1])
			continue;
		if (slot_of(t, i, fp, item, &bucket))
			return true;
	}
	return false;
}

void seg_table_prefetch_segment(const struct seg_table *t, uint32_t tag)
{
	if (t->dir)
		__builtin_prefetch(t->dir[first_candidate(t, tag)]);
}

void seg_table_prefetch_bucket(const struct seg_table *t, uint32_t tag)
{
	if (!t->dir)
		return;
	const struct segment *s = t->dir[first_candidate(t, tag)];
	__builtin_prefetch(&s->slot[(size_t)home_bucket(s, (uint16_t)tag) * SEG_BUCKET_SLOTS]);
}

static uint64_t reverse_bits(uint64_t v)
{
	v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
	v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
	v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
	return __builtin_bswap64(v);
}

uint64_t seg_table_scan(const struct seg_table *t, uint64_t cursor, seg_visit_fn fn, void *ctx,
			unsigned *slots)
{
	if (slots)
		*slots = 0;
	if (!t->dir || t->size == 0)
		return 0;
	uint64_t position = reverse_bits(cursor);
	const struct segment *s = t->dir[dir_index(t, position)];
	for (uint64_t k = 0; k < capacity(s); k++)
		if (s->slot[k])
			fn(ctx, slot_item(s->slot[k]));
	if (slots)
		*slots = (unsigned)capacity(s);
	if (s->depth == 0)
		return 0;
	/* The end of this segment's range of hash order; 0 past the last. */
	unsigned shift = 64 - s->depth;
	return reverse_bits(((position >> shift) + 1) << shift);
}

void *seg_table_random(const struct seg_table *t, uint64_t (*rand64)(void *), void *rng)
{
	if (!t->dir || t->size == 0)
		return NULL;
	for (int tries = 0;; tries++) {
		const struct segment *s = t->dir[rand64(rng) & (dir_size(t) - 1)];
		if (s->used == 0)
			continue;
		uint64_t cap = capacity(s), k = rand64(rng) % cap;
		if (tries >= 16) /* sparse: take the next occupied slot */
			while (!s->slot[k])
				k = k + 1 == cap ? 0 : k + 1;
		if (s->slot[k])
			return slot_item(s->slot[k]);
	}
}

bool seg_table_tick(struct seg_table *t, unsigned segments)
{
	uint64_t n = dir_size(t);
	if (n == 0)
		return false;
	for (; segments > 0; segments--) {
		if (t->tick_position >= dir_size(t))
			t->tick_position = 0;
		uint64_t i = t->tick_position;
		struct segment *s = t->dir[i];
		t->tick_position = run_start(t, s, i) + run_length(t, s);
		if (sparse(s) || (s->depth > 0 && s->used < SEG_MAX_BUCKETS * SEG_BUCKET_SLOTS / 4))
			compact(t, i);
	}
	return true;
}

uint64_t seg_table_slots(const struct seg_table *t)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < dir_size(t); i += run_length(t, t->dir[i]))
		n += capacity(t->dir[i]);
	return n;
}

uint64_t seg_table_bytes(const struct seg_table *t)
{
	uint64_t n = t->dir ? shard_heap_block_size(t->dir) : 0;
	for (uint64_t i = 0; i < dir_size(t); i += run_length(t, t->dir[i]))
		n += shard_heap_block_size(t->dir[i]);
	return n;
}
