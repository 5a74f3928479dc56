/* test_keyspace.c - the shard keyspace: growth and shrink, the compact
 * entry layout, moving entries, memory and expires accounting, string
 * encodings, entry kinds (type and encoding together), the SCAN guarantee
 * under resizing, RANDOMKEY and clearing.
 * The table on its own (fingerprints, splits, merges) is test_seg_table.c. */
#include "keyspace/keyspace.h"
#include "unit_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static uint64_t splitmix(void *state)
{
	uint64_t *s = state, z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Keys are "k:<id>" so that a scanned entry says which id it is. */
static size_t key_of(char *buf, unsigned id)
{
	return (size_t)snprintf(buf, 24, "k:%u", id);
}

/* Values vary in length with the id, so that entries differ in size. */
static size_t val_of(char *buf, unsigned id)
{
	return (size_t)snprintf(buf, 48, "value-%u-%.*s", id, (int)(id % 17), "abcdefghijklmnopq");
}

static unsigned id_of(const struct entry *e)
{
	char tmp[24];
	size_t n = entry_key_len(e) < sizeof(tmp) - 1 ? entry_key_len(e) : sizeof(tmp) - 1;

	memcpy(tmp, entry_key(e), n);
	tmp[n] = '\0';
	return (unsigned)strtoul(tmp + 2, NULL, 10);
}

/* The table itself (directory and segments), as the heap charges it. */
static uint64_t table_bytes(const struct keyspace *ks)
{
	return seg_table_bytes(&ks->table);
}

static uint64_t table_slots(const struct keyspace *ks)
{
	return seg_table_slots(&ks->table);
}

/* The test's own tally of entry bytes (usable sizes, as the shard heap
 * charges them), to check keyspace_memory() against. */
static uint64_t g_entry_bytes;

static struct entry *put(struct keyspace *ks, unsigned id)
{
	char k[24], v[48];
	size_t kl = key_of(k, id), vl = val_of(v, id);
	struct entry *e = keyspace_insert(ks, k, kl, v, vl, 0);

	if (e)
		g_entry_bytes += entry_block_size(e);
	return e;
}

static struct entry *get(struct keyspace *ks, unsigned id)
{
	char k[24];
	size_t kl = key_of(k, id);

	return keyspace_find(ks, k, kl);
}

static void drop(struct keyspace *ks, struct entry *e)
{
	g_entry_bytes -= entry_block_size(e);
	keyspace_delete(ks, e);
}

static bool drop_id(struct keyspace *ks, unsigned id)
{
	struct entry *e = get(ks, id);

	if (!e)
		return false;
	drop(ks, e);
	return true;
}

/* get(id) is the entry for id with the value put() gave it. */
static bool holds(struct keyspace *ks, unsigned id)
{
	char k[24], v[48];
	size_t kl = key_of(k, id), vl = val_of(v, id);
	struct entry *e = keyspace_find(ks, k, kl);

	return e && entry_key_len(e) == kl && memcmp(entry_key(e), k, kl) == 0 && entry_val_len(e) == vl &&
	       memcmp(entry_val(e), v, vl) == 0 && entry_type(e) == TYPE_STRING;
}

/* What OBJECT ENCODING says of the entry. */
static const char *encoding_of(const struct entry *e)
{
	return kind_encoding_name(entry_kind(e));
}

/* An entry that moved or changed size: replace its old charge `*charged`
 * in the tally by its new one. */
static void retally(size_t *charged, const struct entry *m)
{
	g_entry_bytes += entry_block_size(m) - *charged;
	*charged = entry_block_size(m);
}

static bool memory_adds_up(const struct keyspace *ks)
{
	if (keyspace_memory(ks) == table_bytes(ks) + g_entry_bytes)
		return true;
	printf("    memory %llu, table %llu + entries %llu\n", (unsigned long long)keyspace_memory(ks),
	       (unsigned long long)table_bytes(ks), (unsigned long long)g_entry_bytes);
	return false;
}

/* ---- growth and shrink -------------------------------------------------- */

#define BIG_N 100000u
#define BATCH 5000u

TEST(test_100k_keys_grow_then_shrink_with_size_and_lookups_right_at_every_batch)
{
	struct keyspace ks;
	unsigned missing = 0, ghosts = 0;

	g_entry_bytes = 0;
	keyspace_init(&ks, 42);
	EXPECT_EQ_UINT(keyspace_size(&ks), 0);
	EXPECT_TRUE(get(&ks, 0) == NULL);
	for (unsigned i = 0; i < BIG_N; i++) {
		REQUIRE_TRUE(put(&ks, i) != NULL);
		if ((i + 1) % BATCH)
			continue;
		EXPECT_EQ_UINT(keyspace_size(&ks), i + 1);
		for (unsigned j = 0; j <= i; j++)
			missing += !holds(&ks, j);
		for (unsigned j = i + 1; j < i + 1 + 200; j++)
			ghosts += get(&ks, j) != NULL;
		EXPECT_TRUE(memory_adds_up(&ks));
	}
	EXPECT_EQ_UINT(missing, 0);
	EXPECT_EQ_UINT(ghosts, 0);

	/* Slots cost 8 bytes each: at least 60% of them are in use. */
	EXPECT_TRUE(table_slots(&ks) * 6 <= BIG_N * 10);
	uint64_t peak_bytes = table_bytes(&ks);

	/* Delete in a scattered order (7919 is coprime with 100000). */
	unsigned deleted = 0;
	for (unsigned i = 0; i < BIG_N - 100; i++, deleted++) {
		REQUIRE_TRUE(drop_id(&ks, (unsigned)((uint64_t)i * 7919 % BIG_N)));
		if ((i + 1) % BATCH)
			continue;
		EXPECT_EQ_UINT(keyspace_size(&ks), BIG_N - (i + 1));
		for (unsigned j = 0; j < BIG_N; j++) {
			/* Ids deleted so far are exactly j*7919 % N for j <= i. */
			bool gone = (uint64_t)j * 17679 % BIG_N <= i; /* 17679 = 7919^-1 mod N */
			if (gone)
				ghosts += get(&ks, j) != NULL;
			else
				missing += !holds(&ks, j);
		}
		EXPECT_TRUE(memory_adds_up(&ks));
	}
	EXPECT_EQ_UINT(missing, 0);
	EXPECT_EQ_UINT(ghosts, 0);

	/* Removals shrank and merged segments as they went. */
	REQUIRE_TRUE(drop_id(&ks, (unsigned)((uint64_t)deleted * 7919 % BIG_N)));
	deleted++;
	EXPECT_EQ_UINT(keyspace_size(&ks), 99);
	EXPECT_TRUE(table_bytes(&ks) * 100 < peak_bytes);
	for (unsigned i = deleted; i < BIG_N; i++)
		REQUIRE_TRUE(drop_id(&ks, (unsigned)((uint64_t)i * 7919 % BIG_N)));
	EXPECT_EQ_UINT(keyspace_size(&ks), 0);
	EXPECT_EQ_UINT(g_entry_bytes, 0);
	EXPECT_EQ_UINT(keyspace_memory(&ks), table_bytes(&ks));
	EXPECT_TRUE(get(&ks, 0) == NULL);
	keyspace_free(&ks);
	EXPECT_EQ_UINT(keyspace_memory(&ks), 0);
}

TEST(test_keys_are_binary_and_compared_by_length_and_bytes)
{
	struct keyspace ks;
	static const struct {
		const char *k;
		size_t n;
	} keys[] = { { "", 0 }, { "a", 1 }, { "a\0", 2 }, { "\0a", 2 }, { "ab", 2 }, { "\r\n", 2 } };
	struct entry *e[6];

	keyspace_init(&ks, 3);
	for (int i = 0; i < 6; i++) {
		char v = (char)('0' + i);
		e[i] = keyspace_insert(&ks, keys[i].k, keys[i].n, &v, 1, 0);
		REQUIRE_TRUE(e[i] != NULL);
	}
	for (int i = 0; i < 6; i++) {
		EXPECT_TRUE(keyspace_find(&ks, keys[i].k, keys[i].n) == e[i]);
		EXPECT_EQ_UINT(entry_key_len(e[i]), keys[i].n);
		EXPECT_EQ_UINT(entry_val_len(e[i]), 1);
		EXPECT_EQ_INT(entry_val(e[i])[0], '0' + i);
		EXPECT_EQ_INT(entry_expire_ms(e[i]), 0);
	}
	EXPECT_TRUE(keyspace_find(&ks, "b", 1) == NULL);
	EXPECT_TRUE(keyspace_find(&ks, "a\0\0", 3) == NULL);
	keyspace_free(&ks);
}

TEST(test_hash_depends_on_seed)
{
	struct keyspace a, b;

	keyspace_init(&a, 1);
	keyspace_init(&b, 2);
	EXPECT_TRUE(keyspace_hash(&a, "key", 3) == keyspace_hash(&a, "key", 3));
	EXPECT_TRUE(keyspace_hash(&a, "key", 3) != keyspace_hash(&b, "key", 3));
	EXPECT_TRUE(keyspace_hash(&a, "key", 3) != keyspace_hash(&a, "kez", 3));
}

/* ---- moving entries ----------------------------------------------------- */

/* Grow every value so that each entry is reallocated, and check after each
 * move that the table finds it and every other key. */
static void grow_every_value(struct keyspace *ks, unsigned n, unsigned *lost, unsigned *bad)
{
	for (unsigned i = 0; i < n; i++) {
		struct entry *e = get(ks, i);
		if (!e) {
			(*lost)++;
			continue;
		}
		char old[48];
		size_t ol = entry_val_len(e);
		memcpy(old, entry_val(e), ol);
		size_t old_block = entry_block_size(e);
		struct entry *m = keyspace_resize_value(ks, e, 2000, false);
		if (!m) {
			(*bad)++;
			continue;
		}
		g_entry_bytes += entry_block_size(m) - old_block;
		*bad += entry_val_len(m) != 2000 || entry_val_cap(m) < 4000 ||
			memcmp(entry_val(m), old, ol) != 0;
		memset(entry_val(m) + ol, 'x', 2000 - ol);
		*lost += get(ks, i) != m;
		for (unsigned j = 0; j < n; j++)
			*lost += get(ks, j) == NULL;
	}
}

TEST(test_resize_value_moves_entries_the_table_still_finds)
{
	struct keyspace ks;
	unsigned next = 0, lost = 0, bad = 0;

	g_entry_bytes = 0;
	keyspace_init(&ks, 11);
	for (; next < 3000; next++)
		REQUIRE_TRUE(put(&ks, next) != NULL);
	grow_every_value(&ks, 300, &lost, &bad);
	EXPECT_EQ_UINT(lost, 0);
	EXPECT_EQ_UINT(bad, 0);
	EXPECT_TRUE(memory_adds_up(&ks));
	for (unsigned i = 0; i < next; i++)
		REQUIRE_TRUE(drop_id(&ks, i));
	EXPECT_EQ_UINT(g_entry_bytes, 0);
	EXPECT_EQ_UINT(keyspace_memory(&ks), table_bytes(&ks));
	keyspace_free(&ks);
}

/* A capacity of at least `want`, and no more than allocator rounding over. */
static bool cap_about(const struct entry *e, size_t want)
{
	size_t cap = entry_val_cap(e);
	return cap >= want && cap <= want + want / 4 + 64;
}

TEST(test_resize_value_capacity_rules)
{
	struct keyspace ks;
	struct entry *e, *m;

	g_entry_bytes = 0;
	keyspace_init(&ks, 5);
	e = keyspace_insert(&ks, "key", 3, "0123456789", 10, 0);
	REQUIRE_TRUE(e != NULL);
	size_t charged = 0;
	retally(&charged, e);
	EXPECT_TRUE(cap_about(e, 10));
	size_t cap = entry_val_cap(e);

	/* Shorter, not exact: stays put, keeps its capacity. */
	m = keyspace_resize_value(&ks, e, 4, false);
	EXPECT_TRUE(m == e);
	EXPECT_EQ_UINT(entry_val_len(m), 4);
	EXPECT_EQ_UINT(entry_val_cap(m), cap);
	/* Exact, within the allocator's rounding: stays put. */
	m = keyspace_resize_value(&ks, m, 10, true);
	EXPECT_TRUE(m == e);
	EXPECT_EQ_UINT(entry_val_len(m), 10);
	EXPECT_TRUE(memory_adds_up(&ks));
	/* Much shorter, exact: shrinks to fit, keeping the leading bytes. */
	m = keyspace_resize_value(&ks, m, 300, true);
	REQUIRE_TRUE(m != NULL);
	m = keyspace_resize_value(&ks, m, 6, true);
	REQUIRE_TRUE(m != NULL);
	retally(&charged, m);
	EXPECT_TRUE(cap_about(m, 6));
	EXPECT_EQ_UINT(entry_val_len(m), 6);
	EXPECT_EQ_MEM(entry_val(m), "012345", 6);
	EXPECT_TRUE(keyspace_find(&ks, "key", 3) == m);
	EXPECT_TRUE(memory_adds_up(&ks));
	/* Longer, not exact: doubles below 1 MiB... */
	m = keyspace_resize_value(&ks, m, 100, false);
	REQUIRE_TRUE(m != NULL);
	retally(&charged, m);
	EXPECT_TRUE(cap_about(m, 200));
	EXPECT_EQ_MEM(entry_val(m), "012345", 6);
	EXPECT_TRUE(memory_adds_up(&ks));
	/* ...and adds 1 MiB above it, switching to 32-bit lengths. */
	EXPECT_TRUE(!(m->flags & ENTRY_LONG));
	m = keyspace_resize_value(&ks, m, 1u << 20, false);
	REQUIRE_TRUE(m != NULL);
	retally(&charged, m);
	EXPECT_TRUE(m->flags & ENTRY_LONG);
	EXPECT_TRUE(cap_about(m, 2u << 20));
	EXPECT_EQ_UINT(entry_val_len(m), 1u << 20);
	EXPECT_EQ_UINT(entry_key_len(m), 3);
	EXPECT_EQ_MEM(entry_key(m), "key", 3);
	EXPECT_EQ_MEM(entry_val(m), "012345", 6);
	EXPECT_TRUE(keyspace_find(&ks, "key", 3) == m);
	EXPECT_TRUE(memory_adds_up(&ks));
	drop(&ks, m);
	EXPECT_EQ_UINT(keyspace_memory(&ks), table_bytes(&ks));
	keyspace_free(&ks);
}

TEST(test_set_value_reuses_or_moves_and_reencodes)
{
	struct keyspace ks;
	char big[70000];
	struct entry *e, *m;

	memset(big, 'b', sizeof(big));
	g_entry_bytes = 0;
	keyspace_init(&ks, 9);
	for (unsigned i = 0; i < 50; i++)
		put(&ks, i);
	e = keyspace_insert(&ks, "s", 1, big, 100, 0);
	REQUIRE_TRUE(e != NULL);
	size_t charged = 0;
	retally(&charged, e);
	EXPECT_EQ_INT(entry_kind(e), KIND_STRING_RAW);
	size_t cap = entry_val_cap(e);

	/* Fits with little waste: same allocation. */
	m = keyspace_set_value(&ks, e, big, 90);
	EXPECT_TRUE(m == e);
	EXPECT_EQ_UINT(entry_val_cap(m), cap);
	EXPECT_EQ_UINT(entry_val_len(m), 90);
	/* Would waste 95 of 100 bytes: shrinks to fit. */
	m = keyspace_set_value(&ks, m, "12345", 5);
	REQUIRE_TRUE(m != NULL);
	retally(&charged, m);
	EXPECT_TRUE(cap_about(m, 5));
	EXPECT_EQ_UINT(entry_val_len(m), 5);
	EXPECT_EQ_MEM(entry_val(m), "12345", 5);
	EXPECT_EQ_INT(entry_kind(m), KIND_STRING_INT);
	EXPECT_TRUE(keyspace_find(&ks, "s", 1) == m);
	EXPECT_TRUE(memory_adds_up(&ks));
	/* Larger than 16-bit lengths: grows to the new length, long header. */
	m = keyspace_set_value(&ks, m, big, sizeof(big));
	REQUIRE_TRUE(m != NULL);
	retally(&charged, m);
	EXPECT_TRUE(cap_about(m, sizeof(big)));
	EXPECT_EQ_UINT(entry_val_len(m), sizeof(big));
	EXPECT_EQ_MEM(entry_val(m), big, sizeof(big));
	EXPECT_EQ_INT(entry_kind(m), KIND_STRING_RAW);
	EXPECT_TRUE(keyspace_find(&ks, "s", 1) == m);
	/* Empty. */
	m = keyspace_set_value(&ks, m, "", 0);
	REQUIRE_TRUE(m != NULL);
	retally(&charged, m);
	EXPECT_EQ_UINT(entry_val_len(m), 0);
	EXPECT_TRUE(cap_about(m, 0));
	EXPECT_EQ_INT(entry_kind(m), KIND_STRING_EMBSTR);
	EXPECT_TRUE(keyspace_find(&ks, "s", 1) == m);
	EXPECT_TRUE(memory_adds_up(&ks));
	unsigned missing = 0;
	for (unsigned i = 0; i < 50; i++)
		missing += !holds(&ks, i);
	EXPECT_EQ_UINT(missing, 0);
	keyspace_free(&ks);
}

/* ---- the compact header --------------------------------------------------- */

TEST(test_small_string_costs_8_header_bytes_and_a_ttl_8_more)
{
	struct keyspace ks;
	char key[16], val[32];

	memset(key, 'k', sizeof(key));
	memset(val, 'v', sizeof(val));
	keyspace_init(&ks, 15);
	ks.clock_ms = 1000;
	struct entry *e = keyspace_insert(&ks, key, sizeof(key), val, sizeof(val), 0);
	REQUIRE_TRUE(e != NULL);
	/* The small string: 16-byte key, 32-byte value, after an
	 * 8-byte header, in a slab block of exactly that size. */
	EXPECT_EQ_UINT(entry_key(e) - (const char *)e, 8);
	EXPECT_EQ_UINT(entry_block_size(e), 8 + 16 + 32);
	EXPECT_EQ_UINT(keyspace_memory(&ks), seg_table_bytes(&ks.table) + 56);
	EXPECT_TRUE(!(e->flags & (ENTRY_LONG | ENTRY_HAS_TTL)));
	/* A first TTL moves the key into a block 8 bytes bigger. */
	struct entry *t = keyspace_set_expire(&ks, e, 5000);
	REQUIRE_TRUE(t != NULL);
	EXPECT_EQ_UINT(entry_key(t) - (const char *)t, 16);
	EXPECT_EQ_UINT(entry_block_size(t), 8 + 8 + 16 + 32);
	EXPECT_EQ_INT(entry_expire_ms(t), 5000);
	EXPECT_EQ_MEM(entry_key(t), key, sizeof(key));
	EXPECT_EQ_MEM(entry_val(t), val, sizeof(val));
	EXPECT_TRUE(keyspace_find(&ks, key, sizeof(key)) == t);
	EXPECT_TRUE(keyspace_holds(&ks, t, keyspace_entry_tag(&ks, t)));
	/* PERSIST keeps the block (and its room for a TTL). */
	struct entry *p = keyspace_set_expire(&ks, t, 0);
	EXPECT_TRUE(p == t);
	EXPECT_EQ_INT(entry_expire_ms(p), 0);
	EXPECT_EQ_UINT(ks.expires, 0);
	keyspace_free(&ks);
}

TEST(test_long_keys_and_values_use_32_bit_lengths)
{
	struct keyspace ks;
	static char key[300], val[70000];

	memset(key, 'k', sizeof(key));
	memset(val, 'v', sizeof(val));
	keyspace_init(&ks, 16);
	struct entry *a = keyspace_insert(&ks, key, 255, "x", 1, 0);
	struct entry *b = keyspace_insert(&ks, key, 256, "x", 1, 77);
	struct entry *c = keyspace_insert(&ks, "c", 1, val, 65535, 0);
	struct entry *d = keyspace_insert(&ks, "d", 1, val, 65536, 0);
	REQUIRE_TRUE(a && b && c && d);
	EXPECT_TRUE(!(a->flags & ENTRY_LONG) && (b->flags & ENTRY_LONG));
	EXPECT_TRUE(!(c->flags & ENTRY_LONG) && (d->flags & ENTRY_LONG));
	EXPECT_EQ_UINT(entry_key_len(b), 256);
	EXPECT_EQ_INT(entry_expire_ms(b), 77);
	EXPECT_EQ_UINT(entry_val_len(c), 65535);
	EXPECT_EQ_UINT(entry_val_len(d), 65536);
	EXPECT_TRUE(keyspace_find(&ks, key, 255) == a && keyspace_find(&ks, key, 256) == b);
	EXPECT_TRUE(keyspace_find(&ks, "d", 1) == d);
	EXPECT_EQ_MEM(entry_val(d) + 65530, "vvvvvv", 6);
	keyspace_free(&ks);
}

/* ---- expires ------------------------------------------------------------ */

TEST(test_expires_counts_keys_with_a_ttl)
{
	struct keyspace ks;
	struct entry *e;

	g_entry_bytes = 0;
	keyspace_init(&ks, 13);
	for (unsigned i = 0; i < 1000; i++)
		put(&ks, i);
	for (unsigned i = 0; i < 1000; i += 4)
		keyspace_set_expire(&ks, get(&ks, i), 1000000 + i);
	EXPECT_EQ_UINT(ks.expires, 250);
	/* A new TTL on a key that had one is not a new key with a TTL. */
	keyspace_set_expire(&ks, get(&ks, 0), 5);
	EXPECT_EQ_UINT(ks.expires, 250);
	EXPECT_EQ_INT(entry_expire_ms(get(&ks, 0)), 5);
	/* Clearing one that has none changes nothing. */
	keyspace_set_expire(&ks, get(&ks, 1), 0);
	EXPECT_EQ_UINT(ks.expires, 250);
	keyspace_set_expire(&ks, get(&ks, 4), 0);
	EXPECT_EQ_UINT(ks.expires, 249);
	EXPECT_EQ_INT(entry_expire_ms(get(&ks, 4)), 0);
	/* Moving an entry keeps its TTL. */
	e = keyspace_resize_value(&ks, get(&ks, 8), 5000, true);
	REQUIRE_TRUE(e != NULL);
	EXPECT_EQ_INT(entry_expire_ms(e), 1000008);
	EXPECT_EQ_UINT(ks.expires, 249);
	/* Deleting keys with and without a TTL. */
	drop(&ks, get(&ks, 1));
	EXPECT_EQ_UINT(ks.expires, 249);
	drop(&ks, get(&ks, 12));
	EXPECT_EQ_UINT(ks.expires, 248);
	keyspace_clear(&ks);
	EXPECT_EQ_UINT(ks.expires, 0);
	keyspace_free(&ks);
}

TEST(test_insert_with_a_ttl_is_counted_and_queued_as_set_expire_would)
{
	struct keyspace ks;

	keyspace_init(&ks, 14);
	ks.clock_ms = 1000;
	struct entry *a = keyspace_insert(&ks, "a", 1, "v", 1, 5000);
	REQUIRE_TRUE(a != NULL);
	EXPECT_EQ_INT(entry_expire_ms(a), 5000);
	EXPECT_EQ_UINT(ks.expires, 1);
	EXPECT_EQ_UINT(ks.volatile_bytes, entry_block_size(a));
	EXPECT_EQ_UINT(expiry_queue_length(&ks.expiring), 1);
	EXPECT_TRUE(a->flags & ENTRY_QUEUED);
	EXPECT_EQ_INT(expiry_queue_next_ms(&ks.expiring), 5000);
	/* 0 is no TTL. */
	struct entry *b = keyspace_insert(&ks, "b", 1, "v", 1, 0);
	REQUIRE_TRUE(b != NULL);
	EXPECT_EQ_INT(entry_expire_ms(b), 0);
	EXPECT_EQ_UINT(ks.expires, 1);
	EXPECT_TRUE(!(b->flags & ENTRY_QUEUED));
	/* A TTL already past is kept as given: the keyspace never expires. */
	struct entry *c = keyspace_insert(&ks, "c", 1, "v", 1, 10);
	REQUIRE_TRUE(c != NULL);
	EXPECT_EQ_INT(entry_expire_ms(c), 10);
	EXPECT_EQ_UINT(ks.expires, 2);
	EXPECT_TRUE(keyspace_find(&ks, "c", 1) == c);
	EXPECT_EQ_UINT(keyspace_size(&ks), 3);
	keyspace_free(&ks);
}

/* ---- encodings ---------------------------------------------------------- */

TEST(test_encoding_boundaries_match_redis)
{
	static const struct {
		const char *v;
		const char *enc;  /* OBJECT ENCODING */
	} cases[] = {
		{ "123", "int" }, { "0", "int" }, { "-1", "int" }, { "0123", "embstr" },
		{ "-0", "embstr" }, { "00", "embstr" }, { "-01", "embstr" }, { "+1", "embstr" },
		{ " 1", "embstr" }, { "1 ", "embstr" }, { "", "embstr" }, { "-", "embstr" },
		{ "12a", "embstr" }, { "1e3", "embstr" }, { "1.5", "embstr" },
		{ "9223372036854775807", "int" }, { "9223372036854775808", "embstr" },
		{ "9300000000000000000", "embstr" }, { "1111111111111111111", "int" },
		{ "-9223372036854775808", "int" }, { "-9223372036854775809", "embstr" },
		{ "-9223372036854775807", "int" }, { "-999999999999999999", "int" },
		{ "99999999999999999999", "embstr" }, { "10000000000000000000", "embstr" },
		{ "-99999999999999999999", "embstr" }, { "123456789012345678901", "embstr" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "embstr" },  /* 44 */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "raw" },    /* 45 */
		{ "1111111111111111111111111111111111111111111111111", "raw" },
	};
	struct keyspace ks;

	keyspace_init(&ks, 17);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char k[24];
		size_t kl = key_of(k, (unsigned)i);
		struct entry *e = keyspace_insert(&ks, k, kl, cases[i].v, strlen(cases[i].v), 0);
		REQUIRE_TRUE(e != NULL);
		if (strcmp(encoding_of(e), cases[i].enc) != 0) {
			printf("    \"%s\": encoding %s, wanted %s\n", cases[i].v, encoding_of(e),
			       cases[i].enc);
			EXPECT_TRUE(!"wrong encoding on insert");
		}
		/* Setting the value chooses again, from a different one. */
		e = keyspace_set_value(&ks, e, "x", 1);
		REQUIRE_TRUE(e != NULL && entry_kind(e) == KIND_STRING_EMBSTR);
		e = keyspace_set_value(&ks, e, cases[i].v, strlen(cases[i].v));
		REQUIRE_TRUE(e != NULL);
		if (strcmp(encoding_of(e), cases[i].enc) != 0) {
			printf("    \"%s\": encoding %s, wanted %s\n", cases[i].v, encoding_of(e),
			       cases[i].enc);
			EXPECT_TRUE(!"wrong encoding on set");
		}
	}
	keyspace_free(&ks);
}

/* Independent oracle: "int" exactly when the bytes are the decimal that
 * printf gives for some long long. */
static bool canonical_ll(const char *s, size_t n)
{
	char buf[32], back[32];
	char *end;

	if (n == 0 || n > 24)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno || *end)
		return false;
	snprintf(back, sizeof(back), "%lld", v);
	return strcmp(back, buf) == 0;
}

TEST(test_encoding_is_int_exactly_for_canonical_long_longs)
{
	static const char alphabet[] = "-0123456789000999+ a";
	static const char *const edges[] = {
		"9223372036854775807", "-9223372036854775808", "922337203685477580", "-922337203685477580",
	};
	struct keyspace ks;
	uint64_t rng = 99;
	unsigned wrong = 0;

	keyspace_init(&ks, 19);
	struct entry *e = keyspace_insert(&ks, "k", 1, "", 0, 0);
	REQUIRE_TRUE(e != NULL);
	for (int i = 0; i < 40000; i++) {
		char v[32];
		size_t n;
		if (i % 4 == 0) {
			/* Near the limits: a prefix of an edge with random last digits. */
			const char *edge = edges[splitmix(&rng) % 4];
			n = strlen(edge);
			memcpy(v, edge, n);
			for (size_t d = n - 1 - splitmix(&rng) % 3; d < n; d++)
				v[d] = (char)('0' + splitmix(&rng) % 10);
			if (splitmix(&rng) % 4 == 0)
				v[n++] = (char)('0' + splitmix(&rng) % 10);
		} else {
			n = 1 + splitmix(&rng) % 22;
			for (size_t d = 0; d < n; d++)
				v[d] = alphabet[splitmix(&rng) % (sizeof(alphabet) - 1)];
		}
		e = keyspace_set_value(&ks, e, v, n);
		REQUIRE_TRUE(e != NULL);
		const char *want = canonical_ll(v, n) ? "int" : n <= 44 ? "embstr" : "raw";
		if (strcmp(encoding_of(e), want) != 0 && wrong++ < 5)
			printf("    \"%.*s\": encoding %s, wanted %s\n", (int)n, v, encoding_of(e), want);
	}
	EXPECT_EQ_UINT(wrong, 0);
	keyspace_free(&ks);
}

/* ---- kinds -------------------------------------------------------------- */

TEST(test_every_kind_has_its_redis_type_and_encoding_name)
{
	/* In enum order, so that the table provably names every kind. */
	static const struct {
		enum entry_kind kind;
		enum value_type type;
		const char *encoding;
	} kinds[] = {
		{ KIND_STRING_RAW, TYPE_STRING, "raw" },
		{ KIND_STRING_EMBSTR, TYPE_STRING, "embstr" },
		{ KIND_STRING_INT, TYPE_STRING, "int" },
		{ KIND_LIST_QUICKLIST, TYPE_LIST, "quicklist" },
		{ KIND_SET_INTSET, TYPE_SET, "intset" },
		{ KIND_SET_HASHTABLE, TYPE_SET, "hashtable" },
		{ KIND_ZSET_LISTPACK, TYPE_ZSET, "listpack" },
		{ KIND_ZSET_SKIPLIST, TYPE_ZSET, "skiplist" },
		{ KIND_HASH_LISTPACK, TYPE_HASH, "listpack" },
		{ KIND_HASH_HASHTABLE, TYPE_HASH, "hashtable" },
		{ KIND_STREAM, TYPE_STREAM, "stream" },
	};
	_Static_assert(sizeof(kinds) / sizeof(kinds[0]) == KIND_COUNT, "a kind is missing here");
	struct keyspace ks;

	keyspace_init(&ks, 23);
	struct entry *e = keyspace_insert(&ks, "key", 3, "value", 5, 0);
	REQUIRE_TRUE(e != NULL);
	e->lfu_counter = 0xA5;
	unsigned flags = e->flags;
	for (size_t i = 0; i < KIND_COUNT; i++) {
		EXPECT_EQ_INT(kinds[i].kind, i);
		EXPECT_EQ_INT(kind_type(kinds[i].kind), kinds[i].type);
		if (strcmp(kind_encoding_name(kinds[i].kind), kinds[i].encoding) != 0) {
			printf("    kind %zu: encoding %s, wanted %s\n", i,
			       kind_encoding_name(kinds[i].kind), kinds[i].encoding);
			EXPECT_TRUE(!"wrong encoding name");
		}
		/* The header's field holds the kind, and only the kind. */
		entry_set_kind(e, kinds[i].kind);
		EXPECT_EQ_INT(entry_kind(e), kinds[i].kind);
		EXPECT_EQ_INT(entry_type(e), kinds[i].type);
		EXPECT_EQ_UINT(e->flags, flags);
		EXPECT_EQ_UINT(e->lfu_counter, 0xA5);
		EXPECT_TRUE(entry_key_len(e) == 3 && entry_val_len(e) == 5);
		EXPECT_EQ_MEM(entry_val(e), "value", 5);
	}
	keyspace_free(&ks);
}

/* new_entry() zeroes the header before it sets the kind. */
TEST(test_a_zeroed_header_is_a_raw_string)
{
	struct entry e;

	memset(&e, 0, sizeof(e));
	EXPECT_EQ_INT(entry_kind(&e), KIND_STRING_RAW);
	EXPECT_EQ_INT(entry_type(&e), TYPE_STRING);
}

/* Moving an entry copies its kind rather than choosing it again from the
 * value: an APPENDed "abc" is raw, INCRBYFLOAT's "10" is embstr. */
TEST(test_a_string_keeps_its_kind_when_its_entry_moves)
{
	static const struct {
		const char *v;
		enum entry_kind kind;
	} cases[] = {
		{ "12345", KIND_STRING_INT },
		{ "hello", KIND_STRING_EMBSTR },
		{ "abc", KIND_STRING_RAW },
		{ "10", KIND_STRING_EMBSTR },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", KIND_STRING_RAW },
	};
	struct keyspace ks;

	keyspace_init(&ks, 29);
	ks.clock_ms = 1000;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char k[24];
		size_t kl = key_of(k, i), vl = strlen(cases[i].v);
		struct entry *e = keyspace_insert(&ks, k, kl, cases[i].v, vl, 0);
		REQUIRE_TRUE(e != NULL);
		entry_set_kind(e, cases[i].kind);
		/* A first TTL moves the entry to a block with room for it. */
		struct entry *m = keyspace_set_expire(&ks, e, 5000);
		REQUIRE_TRUE(m != NULL);
		EXPECT_TRUE(m != e);
		EXPECT_EQ_INT(entry_kind(m), cases[i].kind);
		/* Past 16-bit lengths: a long header, from the heap not the slab. */
		m = keyspace_resize_value(&ks, m, 70000, true);
		REQUIRE_TRUE(m != NULL && (m->flags & ENTRY_LONG));
		EXPECT_EQ_INT(entry_kind(m), cases[i].kind);
		/* And back down to a block that fits the value again. */
		m = keyspace_resize_value(&ks, m, vl, true);
		REQUIRE_TRUE(m != NULL);
		EXPECT_EQ_INT(entry_kind(m), cases[i].kind);
		EXPECT_EQ_MEM(entry_val(m), cases[i].v, vl);
		m = keyspace_set_expire(&ks, m, 0);
		REQUIRE_TRUE(m != NULL);
		EXPECT_EQ_INT(entry_kind(m), cases[i].kind);
		EXPECT_EQ_INT(entry_type(m), TYPE_STRING);
		EXPECT_TRUE(keyspace_find(&ks, k, kl) == m);
	}
	keyspace_free(&ks);
}

/* ---- SCAN --------------------------------------------------------------- */

struct scan_ctx {
	struct keyspace *ks;
	unsigned *seen;    /* per id */
	unsigned nids;
	unsigned ghosts;   /* entries reported that the table does not hold */
};

static void count_entry(void *arg, struct entry *e)
{
	struct scan_ctx *c = arg;
	unsigned id = id_of(e);

	if (keyspace_find(c->ks, entry_key(e), entry_key_len(e)) != e)
		c->ghosts++;
	if (id < c->nids)
		c->seen[id]++;
}

static void scan_ctx_init(struct scan_ctx *c, struct keyspace *ks, unsigned nids)
{
	c->ks = ks;
	c->seen = calloc(nids, sizeof(unsigned));
	c->nids = nids;
	c->ghosts = 0;
}

/* Ids in [lo, hi) with keep(id) that the scan never reported. */
static unsigned unseen(const struct scan_ctx *c, unsigned lo, unsigned hi, bool (*keep)(unsigned))
{
	unsigned n = 0;

	for (unsigned i = lo; i < hi; i++)
		if ((!keep || keep(i)) && c->seen[i] == 0)
			n++;
	return n;
}

TEST(test_scan_of_empty_keyspace_ends_at_once)
{
	struct keyspace ks;
	struct scan_ctx c;

	keyspace_init(&ks, 1);
	scan_ctx_init(&c, &ks, 1);
	EXPECT_EQ_UINT(keyspace_scan(&ks, 0, count_entry, &c, NULL), 0);
	EXPECT_EQ_UINT(c.seen[0], 0);
	free(c.seen);
}

TEST(test_scan_of_settled_table_returns_every_key_exactly_once)
{
	struct keyspace ks;
	struct scan_ctx c;
	uint64_t cursor = 0;
	unsigned calls = 0, dup = 0;

	g_entry_bytes = 0;
	keyspace_init(&ks, 21);
	for (unsigned i = 0; i < 3000; i++)
		put(&ks, i);
	scan_ctx_init(&c, &ks, 3000);
	do {
		cursor = keyspace_scan(&ks, cursor, count_entry, &c, NULL);
		calls++;
	} while (cursor != 0 && calls < 1000000);
	EXPECT_EQ_UINT(calls, ks.table.segments); /* one segment per call */
	EXPECT_EQ_UINT(unseen(&c, 0, 3000, NULL), 0);
	for (unsigned i = 0; i < 3000; i++)
		dup += c.seen[i] > 1;
	EXPECT_EQ_UINT(dup, 0);
	EXPECT_EQ_UINT(c.ghosts, 0);
	free(c.seen);
	keyspace_free(&ks);
}

/* Run one full scan of `ks`, calling `between` after every step. Returns the
 * number of steps, or 0 if the scan did not end within a sane bound. */
static unsigned full_scan(struct keyspace *ks, struct scan_ctx *c,
			  void (*between)(struct keyspace *, void *), void *arg)
{
	uint64_t cursor = 0;
	unsigned calls = 0;

	do {
		cursor = keyspace_scan(ks, cursor, count_entry, c, NULL);
		if (++calls > 5000000)
			return 0;
		between(ks, arg);
	} while (cursor != 0);
	return calls;
}

struct grow_plan {
	unsigned next;       /* next id to insert */
	unsigned last;       /* stop inserting at this id */
	unsigned per_step;
	uint64_t rng;
	uint64_t max_buckets; /* largest table seen between scan steps */
};

static void grow_between(struct keyspace *ks, void *arg)
{
	struct grow_plan *g = arg;

	for (unsigned i = 0; i < g->per_step && g->next < g->last; i++)
		put(ks, g->next++);
	/* Idle ticks compact segments too, by varying amounts. */
	if (splitmix(&g->rng) % 3 == 0)
		keyspace_tick(ks, (int)(splitmix(&g->rng) % 4));
	if (table_slots(ks) > g->max_buckets)
		g->max_buckets = table_slots(ks);
}

TEST(test_scan_while_table_grows_returns_every_key_present_throughout)
{
	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct keyspace ks;
		struct scan_ctx c;
		struct grow_plan g = { 0, 60000, 1500 + (unsigned)seed * 500, seed, 0 };

		g_entry_bytes = 0;
		keyspace_init(&ks, seed);
		for (; g.next < 2000 * seed; g.next++)
			put(&ks, g.next);
		unsigned stable = g.next;
		uint64_t start_buckets = table_slots(&ks);
		scan_ctx_init(&c, &ks, g.last);
		EXPECT_TRUE(full_scan(&ks, &c, grow_between, &g) > 0);
		/* The table grew many times over under the scan. */
		EXPECT_TRUE(g.max_buckets >= start_buckets * 4);
		EXPECT_EQ_UINT(unseen(&c, 0, stable, NULL), 0);
		EXPECT_EQ_UINT(c.ghosts, 0);
		free(c.seen);
		keyspace_free(&ks);
	}
}

struct shrink_plan {
	unsigned *victims;   /* ids to delete, popped from the end */
	unsigned nvictims;
	unsigned per_step;
	uint64_t rng;
	uint64_t min_buckets; /* smallest table seen between scan steps */
};

static void shrink_between(struct keyspace *ks, void *arg)
{
	struct shrink_plan *s = arg;

	for (unsigned i = 0; i < s->per_step && s->nvictims > 0; i++)
		drop_id(ks, s->victims[--s->nvictims]);
	if (splitmix(&s->rng) % 3 == 0)
		keyspace_tick(ks, (int)(splitmix(&s->rng) % 4));
	if (table_slots(ks) < s->min_buckets)
		s->min_buckets = table_slots(ks);
}

static bool every_50th(unsigned id)
{
	return id % 50 == 0;
}

TEST(test_scan_while_table_shrinks_returns_every_key_present_throughout)
{
	const unsigned n = 20000;

	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct keyspace ks;
		struct scan_ctx c;
		struct shrink_plan s = { malloc(n * sizeof(unsigned)), 0, 0, seed, UINT64_MAX };

		g_entry_bytes = 0;
		keyspace_init(&ks, seed * 31);
		for (unsigned i = 0; i < n; i++)
			put(&ks, i);
		uint64_t start_buckets = table_slots(&ks);
		/* Every 50th key stays; the rest go in a seed-shuffled order. */
		for (unsigned i = 0; i < n; i++)
			if (!every_50th(i))
				s.victims[s.nvictims++] = i;
		for (unsigned i = s.nvictims - 1; i > 0; i--) {
			unsigned j = (unsigned)(splitmix(&s.rng) % (i + 1)), t = s.victims[i];
			s.victims[i] = s.victims[j];
			s.victims[j] = t;
		}
		s.per_step = 1000 + (unsigned)seed * 200;
		scan_ctx_init(&c, &ks, n);
		EXPECT_TRUE(full_scan(&ks, &c, shrink_between, &s) > 0);
		/* The scan ran through a shrink to 1/8 or less. */
		EXPECT_TRUE(s.min_buckets * 8 <= start_buckets);
		EXPECT_EQ_UINT(unseen(&c, 0, n, every_50th), 0);
		EXPECT_EQ_UINT(c.ghosts, 0);
		free(s.victims);
		free(c.seen);
		keyspace_free(&ks);
	}
}

struct churn_plan {
	struct grow_plan grow;
	unsigned steps;
	unsigned turn;       /* grow for this many steps, then delete */
	uint64_t min_after_peak;
};

static void churn_between(struct keyspace *ks, void *arg)
{
	struct churn_plan *p = arg;

	if (p->steps++ < p->turn) {
		grow_between(ks, &p->grow);
		return;
	}
	/* Delete what the grow phase added, newest first: ids 0..999 stay. */
	for (unsigned i = 0; i < 6000 && p->grow.next > 1000; i++)
		drop_id(ks, --p->grow.next);
	if (splitmix(&p->grow.rng) % 3 == 0)
		keyspace_tick(ks, (int)(splitmix(&p->grow.rng) % 4));
	if (table_slots(ks) < p->min_after_peak)
		p->min_after_peak = table_slots(ks);
}

TEST(test_scan_while_table_grows_then_shrinks_returns_every_key_present_throughout)
{
	const unsigned last = 30000;

	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct keyspace ks;
		struct scan_ctx c;
		struct churn_plan p = {
			{ 1000, last, 2000, seed, 0 }, 0, 4 + (unsigned)seed, UINT64_MAX,
		};

		g_entry_bytes = 0;
		keyspace_init(&ks, seed * 101);
		for (unsigned i = 0; i < 1000; i++)
			put(&ks, i);
		uint64_t start_buckets = table_slots(&ks);
		scan_ctx_init(&c, &ks, last);
		EXPECT_TRUE(full_scan(&ks, &c, churn_between, &p) > p.turn);
		EXPECT_TRUE(p.grow.max_buckets >= start_buckets * 8);
		EXPECT_TRUE(p.min_after_peak * 4 <= p.grow.max_buckets);
		EXPECT_EQ_UINT(unseen(&c, 0, 1000, NULL), 0);
		EXPECT_EQ_UINT(c.ghosts, 0);
		free(c.seen);
		keyspace_free(&ks);
	}
}

/* ---- RANDOMKEY and clear ------------------------------------------------ */

TEST(test_random_returns_existing_entries_and_null_when_empty)
{
	struct keyspace ks;
	uint64_t rng = 5;
	unsigned next = 0, wrong = 0;

	g_entry_bytes = 0;
	keyspace_init(&ks, 29);
	EXPECT_TRUE(keyspace_random(&ks, splitmix, &rng) == NULL);
	put(&ks, next++);
	for (int i = 0; i < 100; i++)
		wrong += keyspace_random(&ks, splitmix, &rng) != get(&ks, 0);
	EXPECT_EQ_UINT(wrong, 0);
	drop_id(&ks, 0);
	EXPECT_TRUE(keyspace_random(&ks, splitmix, &rng) == NULL);

	/* One segment, then many. */
	for (int round = 0; round < 2; round++) {
		for (unsigned last = round ? 20000 : 200; next < last; next++)
			put(&ks, next);
		for (int i = 0; i < 5000; i++) {
			struct entry *e = keyspace_random(&ks, splitmix, &rng);
			wrong += !e || keyspace_find(&ks, entry_key(e), entry_key_len(e)) != e;
		}
		EXPECT_EQ_UINT(wrong, 0);
	}
	keyspace_free(&ks);
}

TEST(test_random_reaches_every_key)
{
	struct keyspace ks;
	uint64_t rng = 77;
	unsigned hits[10] = { 0 }, never = 0;

	g_entry_bytes = 0;
	keyspace_init(&ks, 31);
	for (unsigned i = 0; i < 10; i++)
		put(&ks, i);
	for (int i = 0; i < 2000; i++) {
		struct entry *e = keyspace_random(&ks, splitmix, &rng);
		REQUIRE_TRUE(e != NULL);
		hits[id_of(e)]++;
	}
	for (int i = 0; i < 10; i++)
		never += hits[i] == 0;
	EXPECT_EQ_UINT(never, 0);
	keyspace_free(&ks);
}

static void count_calls(void *arg, struct entry *e)
{
	(void)e;
	(*(unsigned *)arg)++;
}

TEST(test_clear_empties_everything_and_the_keyspace_is_reusable)
{
	struct keyspace ks;
	unsigned next = 0, calls = 0;
	uint64_t rng = 1;

	g_entry_bytes = 0;
	keyspace_init(&ks, 37);
	for (; next < 5000; next++)
		REQUIRE_TRUE(put(&ks, next) != NULL);
	for (unsigned i = 0; i < next; i += 10)
		keyspace_set_expire(&ks, get(&ks, i), 123);
	EXPECT_TRUE(ks.expires > 0);
	keyspace_clear(&ks);
	EXPECT_EQ_UINT(keyspace_size(&ks), 0);
	EXPECT_EQ_UINT(keyspace_memory(&ks), 0);
	EXPECT_EQ_UINT(ks.expires, 0);
	EXPECT_EQ_UINT(table_slots(&ks), 0);
	EXPECT_TRUE(get(&ks, 0) == NULL);
	EXPECT_TRUE(get(&ks, next - 1) == NULL);
	EXPECT_EQ_UINT(keyspace_scan(&ks, 0, count_calls, &calls, NULL), 0);
	EXPECT_EQ_UINT(calls, 0);
	EXPECT_TRUE(keyspace_random(&ks, splitmix, &rng) == NULL);

	g_entry_bytes = 0;
	for (unsigned i = 0; i < 10; i++)
		REQUIRE_TRUE(put(&ks, i) != NULL);
	unsigned missing = 0;
	for (unsigned i = 0; i < 10; i++)
		missing += !holds(&ks, i);
	EXPECT_EQ_UINT(missing, 0);
	EXPECT_EQ_UINT(keyspace_size(&ks), 10);
	EXPECT_TRUE(memory_adds_up(&ks));
	keyspace_clear(&ks);
	keyspace_clear(&ks); /* twice is harmless */
	EXPECT_EQ_UINT(keyspace_memory(&ks), 0);
	keyspace_free(&ks);
}

int main(void)
{
	RUN(test_100k_keys_grow_then_shrink_with_size_and_lookups_right_at_every_batch);
	RUN(test_keys_are_binary_and_compared_by_length_and_bytes);
	RUN(test_hash_depends_on_seed);
	RUN(test_resize_value_moves_entries_the_table_still_finds);
	RUN(test_resize_value_capacity_rules);
	RUN(test_set_value_reuses_or_moves_and_reencodes);
	RUN(test_small_string_costs_8_header_bytes_and_a_ttl_8_more);
	RUN(test_long_keys_and_values_use_32_bit_lengths);
	RUN(test_expires_counts_keys_with_a_ttl);
	RUN(test_insert_with_a_ttl_is_counted_and_queued_as_set_expire_would);
	RUN(test_encoding_boundaries_match_redis);
	RUN(test_encoding_is_int_exactly_for_canonical_long_longs);
	RUN(test_every_kind_has_its_redis_type_and_encoding_name);
	RUN(test_a_zeroed_header_is_a_raw_string);
	RUN(test_a_string_keeps_its_kind_when_its_entry_moves);
	RUN(test_scan_of_empty_keyspace_ends_at_once);
	RUN(test_scan_of_settled_table_returns_every_key_exactly_once);
	RUN(test_scan_while_table_grows_returns_every_key_present_throughout);
	RUN(test_scan_while_table_shrinks_returns_every_key_present_throughout);
	RUN(test_scan_while_table_grows_then_shrinks_returns_every_key_present_throughout);
	RUN(test_random_returns_existing_entries_and_null_when_empty);
	RUN(test_random_reaches_every_key);
	RUN(test_clear_empties_everything_and_the_keyspace_is_reusable);
	return unit_summary();
}
