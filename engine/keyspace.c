#include "keyspace.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define INITIAL_BUCKETS 4
/* Shrink only when much emptier than this, so that a table hovering around a
 * power of two does not resize back and forth. */
#define SHRINK_RATIO 8

static inline uint64_t table_size(const struct ht_table *t)
{
	return t->buckets ? t->mask + 1 : 0;
}

static inline bool is_rehashing(const struct keyspace *ks)
{
	return ks->rehash_index >= 0;
}

void keyspace_init(struct keyspace *ks, uint64_t seed)
{
	memset(ks, 0, sizeof(*ks));
	shard_heap_init(&ks->heap);
	expiry_queue_init(&ks->expiring);
	ks->rehash_index = -1;
	ks->seed = seed;
}

uint64_t keyspace_hash(const struct keyspace *ks, const void *key, size_t len)
{
	return XXH3_64bits_withSeed(key, len, ks->seed);
}

static size_t entry_alloc_size(size_t klen, size_t vcap)
{
	return sizeof(struct entry) + klen + vcap;
}

static void free_table(struct keyspace *ks, struct ht_table *t)
{
	shard_heap_free_array(&ks->heap, t->buckets, table_size(t) * sizeof(*t->buckets));
	memset(t, 0, sizeof(*t));
}

static void free_entry(struct keyspace *ks, struct entry *e)
{
	if (e->expire_ms) {
		ks->expires--;
		ks->volatile_bytes -= shard_heap_block_size(e);
	}
	shard_heap_free(&ks->heap, e);
}

void keyspace_clear(struct keyspace *ks)
{
	for (int i = 0; i < 2; i++) {
		struct ht_table *t = &ks->t[i];
		for (uint64_t b = 0; b < table_size(t); b++) {
			struct entry *e = t->buckets[b];
			while (e) {
				struct entry *next = e->next;
				free_entry(ks, e);
				e = next;
			}
		}
		free_table(ks, t);
	}
	ks->rehash_index = -1;
	expiry_queue_free(&ks->expiring, &ks->heap);
}

void keyspace_detach(struct keyspace *ks, struct detached_tables *out)
{
	out->t[0] = ks->t[0];
	out->t[1] = ks->t[1];
	out->bucket = 0;
	memset(ks->t, 0, sizeof(ks->t));
	ks->rehash_index = -1;
	ks->expires = 0;
	ks->volatile_bytes = 0;
	expiry_queue_free(&ks->expiring, &ks->heap); /* its records name those entries */
}

bool keyspace_free_detached(struct keyspace *ks, struct detached_tables *d, unsigned budget)
{
	for (; budget > 0; budget--) {
		uint64_t size0 = table_size(&d->t[0]);
		struct ht_table *t = d->bucket < size0 ? &d->t[0] : &d->t[1];
		uint64_t b = d->bucket < size0 ? d->bucket : d->bucket - size0;
		if (b >= table_size(t))
			break;
		struct entry *e = t->buckets[b];
		while (e) {
			struct entry *next = e->next;
			shard_heap_free(&ks->heap, e);
			e = next;
		}
		d->bucket++;
	}
	if (d->bucket < table_size(&d->t[0]) + table_size(&d->t[1]))
		return false;
	for (int i = 0; i < 2; i++)
		shard_heap_free_array(&ks->heap, d->t[i].buckets, table_size(&d->t[i]) * sizeof(struct entry *));
	memset(d->t, 0, sizeof(d->t));
	return true;
}

void keyspace_free(struct keyspace *ks)
{
	keyspace_clear(ks);
}

/* ---- resizing ----------------------------------------------------------- */

static bool start_resize(struct keyspace *ks, uint64_t size)
{
	struct entry **b = shard_heap_zeroed_array(&ks->heap, size * sizeof(*b));
	if (!b)
		return false;
	if (!ks->t[0].buckets) {
		ks->t[0].buckets = b;
		ks->t[0].mask = size - 1;
		return true;
	}
	ks->t[1].buckets = b;
	ks->t[1].mask = size - 1;
	ks->t[1].used = 0;
	ks->rehash_index = 0;
	return true;
}

static void finish_rehash(struct keyspace *ks)
{
	free_table(ks, &ks->t[0]);
	ks->t[0] = ks->t[1];
	memset(&ks->t[1], 0, sizeof(ks->t[1]));
	ks->rehash_index = -1;
}

bool keyspace_rehash_step(struct keyspace *ks, int n)
{
	if (!is_rehashing(ks))
		return false;
	if (ks->resize_paused)
		return true;
	/* Empty buckets are cheap but not free: cap how many one step may skip. */
	long empty_visits = (long)n * 10;
	struct ht_table *from = &ks->t[0], *to = &ks->t[1];
	while (n > 0 && from->used > 0) {
		uint64_t i = (uint64_t)ks->rehash_index;
		struct entry *e = from->buckets[i];
		if (!e) {
			ks->rehash_index++;
			if (--empty_visits == 0)
				return true;
			continue;
		}
		while (e) {
			struct entry *next = e->next;
			uint64_t j = e->hash & to->mask;
			e->next = to->buckets[j];
			to->buckets[j] = e;
			from->used--;
			to->used++;
			e = next;
		}
		from->buckets[i] = NULL;
		ks->rehash_index++;
		n--;
	}
	if (from->used == 0) {
		finish_rehash(ks);
		return false;
	}
	return true;
}

static void maybe_resize(struct keyspace *ks)
{
	if (is_rehashing(ks)) {
		keyspace_rehash_step(ks, 1);
		return;
	}
	uint64_t size = table_size(&ks->t[0]);
	uint64_t used = ks->t[0].used;
	if (size == 0)
		start_resize(ks, INITIAL_BUCKETS);
	else if (ks->resize_paused)
		return; /* chains grow until the iterators are done */
	else if (used >= size)
		start_resize(ks, size * 2);
	else if (size > INITIAL_BUCKETS && used * SHRINK_RATIO < size) {
		uint64_t want = INITIAL_BUCKETS;
		while (want < used)
			want *= 2;
		start_resize(ks, want);
	}
}

bool keyspace_tick(struct keyspace *ks, int n)
{
	/* Writes start resizes; an idle table must shrink after mass deletes
	 * too, or it keeps 8x the buckets it needs until the next write. */
	if (!is_rehashing(ks))
		maybe_resize(ks);
	return keyspace_rehash_step(ks, n);
}

/* ---- lookup, insert, delete -------------------------------------------- */

static struct entry **find_link(struct keyspace *ks, const void *key, size_t len, uint64_t h)
{
	for (int i = 0; i < 2; i++) {
		struct ht_table *t = &ks->t[i];
		if (!t->buckets)
			break;
		struct entry **link = &t->buckets[h & t->mask];
		for (; *link; link = &(*link)->next) {
			struct entry *e = *link;
			if (e->hash == h && e->key_len == len && memcmp(e->data, key, len) == 0)
				return link;
		}
		if (!is_rehashing(ks))
			break;
	}
	return NULL;
}

struct entry *keyspace_find(struct keyspace *ks, const void *key, size_t len)
{
	struct entry **link = find_link(ks, key, len, keyspace_hash(ks, key, len));
	return link ? *link : NULL;
}

/* The link that points at `target`, and through *table which table holds it. */
static struct entry **link_of(struct keyspace *ks, const struct entry *target, int *table)
{
	for (int i = 0; i < 2; i++) {
		struct ht_table *t = &ks->t[i];
		if (!t->buckets)
			break;
		struct entry **link = &t->buckets[target->hash & t->mask];
		for (; *link; link = &(*link)->next) {
			if (*link == target) {
				if (table)
					*table = i;
				return link;
			}
		}
	}
	return NULL;
}

static enum string_encoding choose_encoding(const void *val, size_t vlen);

struct entry *keyspace_insert(struct keyspace *ks, const void *key, size_t klen,
			      const void *val, size_t vlen, int64_t expire_ms)
{
	maybe_resize(ks);
	struct entry *e = shard_heap_alloc(&ks->heap, entry_alloc_size(klen, vlen));
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->hash = keyspace_hash(ks, key, klen);
	e->key_len = (uint32_t)klen;
	e->val_len = e->val_cap = (uint32_t)vlen;
	e->type = TYPE_STRING;
	e->encoding = (uint8_t)choose_encoding(val, vlen);
	memcpy(e->data, key, klen);
	if (vlen)
		memcpy(e->data + klen, val, vlen);
	struct ht_table *t = is_rehashing(ks) ? &ks->t[1] : &ks->t[0];
	uint64_t b = e->hash & t->mask;
	e->next = t->buckets[b];
	t->buckets[b] = e;
	t->used++;
	if (expire_ms)
		e = keyspace_set_expire(ks, e, expire_ms);
	return e;
}

struct entry *keyspace_resize_value(struct keyspace *ks, struct entry *e, size_t vlen, bool exact)
{
	if (vlen <= e->val_cap && (!exact || vlen == e->val_cap)) {
		e->val_len = (uint32_t)vlen;
		return e;
	}
	size_t cap = vlen;
	if (!exact && cap < (1u << 20))
		cap = cap * 2;
	else if (!exact)
		cap += 1u << 20;
	struct entry **link = link_of(ks, e, NULL);
	size_t old_size = shard_heap_block_size(e);
	struct entry *n = shard_heap_realloc(&ks->heap, e, entry_alloc_size(e->key_len, cap));
	if (!n)
		return NULL;
	*link = n;
	if (n->expire_ms) {
		ks->volatile_bytes += shard_heap_block_size(n) - old_size;
		/* The queued record names the old address. */
		if (n != e && !expiry_queue_push(&ks->expiring, &ks->heap, n,
						 keyspace_entry_tag(ks, n), ks->clock_ms))
			n->flags &= (uint8_t)~ENTRY_QUEUED;
	}
	n->val_cap = (uint32_t)cap;
	n->val_len = (uint32_t)vlen;
	return n;
}

struct entry *keyspace_set_value(struct keyspace *ks, struct entry *e, const void *val, size_t vlen)
{
	/* Keep the old allocation when the new value fits and wastes little. */
	bool fits = vlen <= e->val_cap && e->val_cap - vlen <= 64 + vlen / 4;
	struct entry *n = fits ? e : keyspace_resize_value(ks, e, vlen, true);
	if (!n)
		return NULL;
	n->val_len = (uint32_t)vlen;
	if (vlen)
		memcpy(entry_val(n), val, vlen);
	n->encoding = (uint8_t)choose_encoding(val, vlen);
	return n;
}

void keyspace_delete(struct keyspace *ks, struct entry *e)
{
	int table = 0;
	struct entry **link = link_of(ks, e, &table);
	*link = e->next;
	ks->t[table].used--;
	free_entry(ks, e);
	maybe_resize(ks);
}

int keyspace_table_of(const struct keyspace *ks, const struct entry *e)
{
	for (int i = 0; i < 2; i++) {
		const struct ht_table *t = &ks->t[i];
		if (!t->buckets)
			continue;
		for (const struct entry *p = t->buckets[e->hash & t->mask]; p; p = p->next)
			if (p == e)
				return i;
	}
	return -1;
}

bool keyspace_holds(const struct keyspace *ks, const struct entry *e, uint32_t hash_lo)
{
	for (int i = 0; i < 2; i++) {
		const struct ht_table *t = &ks->t[i];
		if (!t->buckets)
			continue;
		/* Tables stay below 2^32 buckets: the low bits pick the bucket. */
		for (const struct entry *p = t->buckets[hash_lo & t->mask]; p; p = p->next)
			if (p == e)
				return keyspace_entry_tag(ks, p) == hash_lo;
	}
	return false;
}

struct entry *keyspace_set_expire(struct keyspace *ks, struct entry *e, int64_t expire_ms)
{
	if (e->expire_ms && !expire_ms) {
		ks->expires--;
		ks->volatile_bytes -= shard_heap_block_size(e);
	} else if (!e->expire_ms && expire_ms) {
		ks->expires++;
		ks->volatile_bytes += shard_heap_block_size(e);
	}
	/* A queued record fires no later than a TTL that grew; a new or
	 * shorter TTL needs its own. */
	bool queue = expire_ms && (!(e->flags & ENTRY_QUEUED) || expire_ms < e->expire_ms);
	e->expire_ms = expire_ms;
	if (queue) {
		if (expiry_queue_push(&ks->expiring, &ks->heap, e, keyspace_entry_tag(ks, e),
				      ks->clock_ms))
			e->flags |= ENTRY_QUEUED;
		else
			e->flags &= (uint8_t)~ENTRY_QUEUED; /* the table walk finds it */
	}
	return e;
}

/* Redis's rules for OBJECT ENCODING: a canonical integer that fits a long long
 * is "int", other strings up to 44 bytes "embstr", longer ones "raw". */
static enum string_encoding choose_encoding(const void *val, size_t vlen)
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
			return ENC_INT;
	}
	return vlen <= 44 ? ENC_EMBSTR : ENC_RAW;
}

/* ---- scanning ----------------------------------------------------------- */

static uint64_t reverse_bits(uint64_t v)
{
	v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
	v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
	v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
	return __builtin_bswap64(v);
}

/* Add one to the cursor's bits above... counted from the top: the cursor
 * walks bucket indexes in bit-reversed order. */
static uint64_t next_cursor(uint64_t v, uint64_t mask)
{
	v |= ~mask;
	v = reverse_bits(v);
	v++;
	return reverse_bits(v);
}

static void emit_bucket(struct entry *e, keyspace_scan_fn fn, void *ctx)
{
	for (; e; e = e->next)
		fn(ctx, e);
}

/*
 * HOW THE CURSOR SURVIVES RESIZING
 * Buckets are visited in bit-reversed index order: the cursor increments its
 * highest bit first. When the table doubles, bucket b splits into b and
 * b + size, which in reversed order sit next to each other, right where the
 * cursor would continue; when it halves, two buckets merge into one that the
 * cursor has either fully covered or not yet reached. So a key present for the
 * whole scan is returned at least once; it may be returned twice after a shrink.
 * During a rehash both tables are visited: the smaller one's bucket, then every
 * bucket of the larger table that it expands to.
 */
uint64_t keyspace_scan(struct keyspace *ks, uint64_t cursor, keyspace_scan_fn fn, void *ctx)
{
	if (keyspace_size(ks) == 0)
		return 0;
	if (!is_rehashing(ks)) {
		struct ht_table *t = &ks->t[0];
		emit_bucket(t->buckets[cursor & t->mask], fn, ctx);
		return next_cursor(cursor, t->mask);
	}
	struct ht_table *small = &ks->t[0], *large = &ks->t[1];
	if (table_size(small) > table_size(large)) {
		struct ht_table *tmp = small;
		small = large;
		large = tmp;
	}
	uint64_t m0 = small->mask, m1 = large->mask;
	emit_bucket(small->buckets[cursor & m0], fn, ctx);
	do {
		emit_bucket(large->buckets[cursor & m1], fn, ctx);
		cursor = next_cursor(cursor, m1);
	} while (cursor & (m0 ^ m1));
	return cursor;
}

struct entry *keyspace_random(struct keyspace *ks, uint64_t (*rand64)(void *), void *rng)
{
	if (keyspace_size(ks) == 0)
		return NULL;
	struct entry *e = NULL;
	while (!e) {
		struct ht_table *t = &ks->t[0];
		if (is_rehashing(ks) && (rand64(rng) % keyspace_size(ks)) >= ks->t[0].used)
			t = &ks->t[1];
		if (t->used == 0)
			continue;
		e = t->buckets[rand64(rng) & t->mask];
	}
	uint64_t len = 0;
	for (struct entry *p = e; p; p = p->next)
		len++;
	for (uint64_t skip = rand64(rng) % len; skip > 0; skip--)
		e = e->next;
	return e;
}
