/* test_slot.c - CRC16/XMODEM, hash tags and slot->shard mapping. */
#include "shard/slot.h"
#include "unit_test.h"

#include <stdlib.h>

/* Bit-at-a-time reference, to cross-check the table-driven version. */
static uint16_t crc16_bitwise(const unsigned char *p, size_t len)
{
	uint16_t crc = 0;

	while (len--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int i = 0; i < 8; i++)
			crc = (crc & 0x8000) ? (uint16_t)(crc << 1) ^ 0x1021
					     : (uint16_t)(crc << 1);
	}
	return crc;
}

TEST(test_crc16_check_value)
{
	EXPECT_EQ_UINT(crc16_xmodem("123456789", 9), 0x31C3);
	EXPECT_EQ_UINT(crc16_xmodem("", 0), 0);
	EXPECT_EQ_UINT(crc16_xmodem(NULL, 0), 0);
}

TEST(test_crc16_matches_bitwise)
{
	unsigned char buf[257];

	srand(1234);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	for (size_t len = 0; len <= sizeof(buf); len++)
		EXPECT_EQ_UINT(crc16_xmodem(buf, len), crc16_bitwise(buf, len));
	for (unsigned b = 0; b < 256; b++) {
		unsigned char c = (unsigned char)b;
		EXPECT_EQ_UINT(crc16_xmodem(&c, 1), crc16_bitwise(&c, 1));
	}
}

#define S(lit) lit, sizeof(lit) - 1
#define EXPECT_SAME_SLOT(k1, k2) \
	EXPECT_EQ_UINT(key_slot(S(k1)), key_slot(S(k2)))
#define EXPECT_WHOLE_KEY(k) \
	EXPECT_EQ_UINT(key_slot(S(k)), crc16_xmodem(S(k)) & (SLOT_COUNT - 1))

TEST(test_hash_tag_rules)
{
	EXPECT_SAME_SLOT("{user1000}.following", "user1000");
	EXPECT_SAME_SLOT("{user1000}.followers", "user1000");
	EXPECT_SAME_SLOT("foo{bar}{zap}", "bar");
	EXPECT_SAME_SLOT("foo{{bar}}zap", "{bar");
	EXPECT_SAME_SLOT("x{a}y", "a");
	EXPECT_SAME_SLOT("a}b{c}", "c");
	EXPECT_SAME_SLOT("{\0}", "\0");
	EXPECT_WHOLE_KEY("foo{}{bar}");
	EXPECT_WHOLE_KEY("{}");
	EXPECT_WHOLE_KEY("{}a");
	EXPECT_WHOLE_KEY("{");
	EXPECT_WHOLE_KEY("}");
	EXPECT_WHOLE_KEY("}{");
	EXPECT_WHOLE_KEY("a{b");
	EXPECT_SAME_SLOT("{{}}", "{");
	EXPECT_WHOLE_KEY("abc{");
	EXPECT_EQ_UINT(key_slot(NULL, 0), 0);
	/* The tag ends at the first '}' even if the length is cut before
	 * a later one: only bytes inside [0, len) may be looked at. */
	EXPECT_WHOLE_KEY("ab{c");
	EXPECT_EQ_UINT(key_slot("ab{c}", 4), key_slot(S("ab{c")));
}

struct slot_case {
	const char *key;
	size_t len;
	unsigned slot;
};

/* Obtained from redis-server 7.0.15 (cluster-enabled) via
 * CLUSTER KEYSLOT; keys sent as raw RESP bulk strings. */
static const struct slot_case redis_slots[] = {
	{ "", 0, 0 },
	{ "a", 1, 15495 },
	{ "foo", 3, 12182 },
	{ "bar", 3, 5061 },
	{ "hello", 5, 866 },
	{ "123456789", 9, 12739 },
	{ "key:1", 5, 6657 },
	{ "user:1000", 9, 1649 },
	{ "{user1000}.following", 20, 3443 },
	{ "{user1000}.followers", 20, 3443 },
	{ "foo{}{bar}", 10, 8363 },
	{ "foo{{bar}}zap", 13, 4015 },
	{ "foo{bar}{zap}", 13, 5061 },
	{ "{}", 2, 15257 },
	{ "{", 1, 4092 },
	{ "}", 1, 12090 },
	{ "}{", 2, 12793 },
	{ "{a}", 3, 15495 },
	{ "x{a}y", 5, 15495 },
	{ "{}a", 3, 10875 },
	{ "a{b", 3, 13340 },
	{ "a}b{c}", 6, 7365 },
	{ "{{}}", 4, 4092 },
	{ "\x00", 1, 0 },
	{ "\x00\x01\x02\xff", 4, 4002 },
	{ "\xff\xfe{\x00}", 5, 0 },
	{ "mykey", 5, 14687 },
	{ "somekey", 7, 11058 },
	{ "Hello World", 11, 6442 },
	{ "\xce\xba\xce\xbb\xce\xb5\xce\xb9\xce\xb4\xce\xaf", 12, 6059 },
	{ "tab\x09here", 8, 13964 },
	{ "{\x00}", 3, 0 },
	{ "a{\x0a}b", 5, 8522 },
	{ "{bar", 4, 4015 },
	{ "bar}", 4, 6624 },
	{ "{{bar}", 6, 4015 },
	{ "\x0d\x0a", 2, 5910 },
	{ "slot:16383", 10, 8222 },
	{ "{user1000}", 10, 3443 },
	{ "user1000", 8, 3443 },
};

TEST(test_key_slot_matches_redis)
{
	size_t n = sizeof(redis_slots) / sizeof(redis_slots[0]);

	EXPECT_TRUE(n >= 30);
	for (size_t i = 0; i < n; i++) {
		const struct slot_case *c = &redis_slots[i];
		unsigned got = key_slot(c->key, c->len);

		if (got != c->slot)
			printf("  case %zu (len %zu)\n", i, c->len);
		EXPECT_EQ_UINT(got, c->slot);
	}
}

/* Long keys, too big for a literal table: a run of one byte plus a
 * suffix.  Slots also from CLUSTER KEYSLOT. */
TEST(test_key_slot_long_keys)
{
	char buf[1024];

	memset(buf, 'x', 1000);
	EXPECT_EQ_UINT(key_slot(buf, 1000), 3195);
	memset(buf, 'y', 300);
	memcpy(buf + 300, "{tag}", 5);
	EXPECT_EQ_UINT(key_slot(buf, 305), 8338);
	EXPECT_EQ_UINT(key_slot(buf, 305), key_slot(S("tag")));
}

TEST(test_slot_shard_boundaries)
{
	EXPECT_EQ_UINT(slot_shard(0, 1), 0);
	EXPECT_EQ_UINT(slot_shard(SLOT_COUNT - 1, 1), 0);

	EXPECT_EQ_UINT(slot_shard(0, 2), 0);
	EXPECT_EQ_UINT(slot_shard(8191, 2), 0);
	EXPECT_EQ_UINT(slot_shard(8192, 2), 1);
	EXPECT_EQ_UINT(slot_shard(SLOT_COUNT - 1, 2), 1);

	/* 16384 / 3 = 5461.33: shard 1 starts at ceil(5461.33) = 5462,
	 * shard 2 at ceil(10922.67) = 10923. */
	EXPECT_EQ_UINT(slot_shard(0, 3), 0);
	EXPECT_EQ_UINT(slot_shard(5461, 3), 0);
	EXPECT_EQ_UINT(slot_shard(5462, 3), 1);
	EXPECT_EQ_UINT(slot_shard(10922, 3), 1);
	EXPECT_EQ_UINT(slot_shard(10923, 3), 2);
	EXPECT_EQ_UINT(slot_shard(SLOT_COUNT - 1, 3), 2);

	EXPECT_EQ_UINT(slot_shard(0, 16), 0);
	EXPECT_EQ_UINT(slot_shard(1023, 16), 0);
	EXPECT_EQ_UINT(slot_shard(1024, 16), 1);
	EXPECT_EQ_UINT(slot_shard(15359, 16), 14);
	EXPECT_EQ_UINT(slot_shard(15360, 16), 15);
	EXPECT_EQ_UINT(slot_shard(SLOT_COUNT - 1, 16), 15);
}

/* Every shard gets a contiguous, non-empty range and ranges differ in
 * size by at most one slot. */
TEST(test_slot_shard_partition)
{
	static const unsigned counts[] = { 1, 2, 3, 5, 7, 16, 64, 128 };

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned ns = counts[c], prev = 0, size = 0;
		unsigned min = SLOT_COUNT, max = 0;

		for (unsigned s = 0; s < SLOT_COUNT; s++) {
			unsigned sh = slot_shard((uint16_t)s, ns);

			EXPECT_TRUE(sh == prev || sh == prev + 1);
			if (sh != prev) {
				min = size < min ? size : min;
				max = size > max ? size : max;
				size = 0;
			}
			prev = sh;
			size++;
		}
		min = size < min ? size : min;
		max = size > max ? size : max;
		EXPECT_EQ_UINT(prev, ns - 1);
		EXPECT_TRUE(max - min <= 1);
	}
}

int main(void)
{
	RUN(test_crc16_check_value);
	RUN(test_crc16_matches_bitwise);
	RUN(test_hash_tag_rules);
	RUN(test_key_slot_matches_redis);
	RUN(test_key_slot_long_keys);
	RUN(test_slot_shard_boundaries);
	RUN(test_slot_shard_partition);
	return unit_summary();
}
