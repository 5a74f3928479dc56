/* test_evict.c - eviction: each maxmemory-policy's choice among candidates
 * (evict_choose), the LFU counter's decay and logarithmic growth
 * (db_lfu_decayed, db_touch), and evict_make_room on a one-shard keyspace
 * squeezed under a small maxmemory.
 *
 * The shard is built by hand: a zeroed struct shard with a keyspace, one
 * shard, a fixed clock and a fixed RNG seed, so every run draws the same
 * samples. Configuration goes through config_set_runtime, as CONFIG SET. */
#include "base/config.h"
#include "db/db.h"
#include "db/evict.h"
#include "keyspace/keyspace.h"
#include "request/command.h"
#include "request/execute.h"
#include "shard/shard.h"
#include "shard/shard_msg.h"
#include "unit_test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

/* A whole minute, so that "idle N minutes" is exact in LFU arithmetic. */
#define NOW_MS (28333334LL * 60000)
#define NOW_S ((uint32_t)(NOW_MS / 1000))
#define MIN_S 60u
#define VALUE_LEN 272

static bool set_cfg(const char *name, const char *value)
{
	char err[256] = "";
	int rc = config_set_runtime(name, strlen(name), value, strlen(value), false, err,
				    sizeof(err));
	if (rc != 0)
		printf("  config_set_runtime(%s, %s): %s\n", name, value, err);
	return rc == 0;
}

static bool set_cfg_ll(const char *name, long long v)
{
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "%lld", v);
	return set_cfg(name, tmp);
}

/* Back to the defaults every test assumes unless it says otherwise. */
static void reset_cfg(void)
{
	set_cfg("maxmemory", "0");
	set_cfg("maxmemory-policy", "noeviction");
	set_cfg("maxmemory-samples", "5");
	set_cfg("lfu-log-factor", "10");
	set_cfg("lfu-decay-time", "1");
}

static struct shard *shard_new(uint64_t seed)
{
	struct shard *sh = aligned_alloc(64, (sizeof(*sh) + 63) / 64 * 64);
	if (!sh)
		abort();
	memset(sh, 0, sizeof(*sh));
	sh->nshards = 1;
	sh->now_ms = NOW_MS;
	sh->rng = seed;
	keyspace_init(&sh->ks, seed);
	return sh;
}

static void shard_del(struct shard *sh)
{
	keyspace_free(&sh->ks);
	free(sh);
}

static char value_bytes[VALUE_LEN];

/* A string key "<prefix><id>" with a 272-byte value. */
static struct entry *add_key(struct shard *sh, const char *prefix, unsigned id)
{
	char key[32];
	int n = snprintf(key, sizeof(key), "%s%u", prefix, id);
	struct entry *e = keyspace_insert(&sh->ks, key, (size_t)n, value_bytes, VALUE_LEN, 0);
	if (e) {
		entry_set_access_s(e, NOW_S);
		e->lfu_counter = LFU_INIT_VAL;
	}
	return e;
}

static struct entry *find_key(struct shard *sh, const char *prefix, unsigned id)
{
	char key[32];
	int n = snprintf(key, sizeof(key), "%s%u", prefix, id);
	return keyspace_find(&sh->ks, key, (size_t)n);
}

/* A candidate with the fields the policies look at. */
static struct entry *cand(struct shard *sh, unsigned id, uint32_t idle_s, uint8_t counter,
			  int64_t expire_ms)
{
	struct entry *e = add_key(sh, "c:", id);
	if (!e)
		abort();
	entry_set_access_s(e, NOW_S - idle_s);
	e->lfu_counter = counter;
	return keyspace_set_expire(&sh->ks, e, expire_ms);
}

static const long long all_policies[] = {
	MM_VOLATILE_LRU, MM_VOLATILE_LFU, MM_VOLATILE_RANDOM, MM_VOLATILE_TTL,
	MM_ALLKEYS_LRU, MM_ALLKEYS_LFU, MM_ALLKEYS_RANDOM, MM_NOEVICTION,
};
static const long long volatile_policies[] = {
	MM_VOLATILE_LRU, MM_VOLATILE_LFU, MM_VOLATILE_RANDOM, MM_VOLATILE_TTL,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* evict_choose must not depend on the order of the sample: try the
 * candidates in every rotation and in reverse. */
static bool choice_is(const struct shard *sh, long long policy, struct entry **c, unsigned n,
		      const struct entry *want)
{
	struct entry *tmp[16];
	for (unsigned rot = 0; rot < n; rot++) {
		for (unsigned i = 0; i < n; i++)
			tmp[i] = c[(i + rot) % n];
		if (evict_choose(sh, policy, tmp, n) != want)
			return false;
		for (unsigned i = 0; i < n; i++)
			tmp[i] = c[(n - 1 - i + rot) % n];
		if (evict_choose(sh, policy, tmp, n) != want)
			return false;
	}
	return true;
}

/* ---- evict_choose: one policy at a time ---------------------------------- */

TEST(test_allkeys_lru_chooses_the_longest_idle_key)
{
	reset_cfg();
	struct shard *sh = shard_new(1);
	struct entry *c[4] = {
		cand(sh, 0, 10, 5, 0),
		cand(sh, 1, 500, 5, NOW_MS + 1000),
		cand(sh, 2, 100, 5, 0),
		cand(sh, 3, 0, 5, NOW_MS + 5000),
	};
	EXPECT_TRUE(choice_is(sh, MM_ALLKEYS_LRU, c, 4, c[1]));
	/* The longest idle wins whether or not it has a TTL. */
	c[1] = keyspace_set_expire(&sh->ks, c[1], 0);
	EXPECT_TRUE(choice_is(sh, MM_ALLKEYS_LRU, c, 4, c[1]));
	shard_del(sh);
}

/* The access time keeps the low 24 bits of the clock in seconds, as Redis's
 * LRU clock does, and idle times are counted modulo 2^24 s. */
TEST(test_access_time_keeps_24_bits_and_idle_time_wraps_with_it)
{
	reset_cfg();
	struct shard *sh = shard_new(9);
	struct entry *e = cand(sh, 0, 0, 5, 0);
	EXPECT_EQ_UINT(entry_access_s(e), NOW_S & 0xFFFFFF);
	EXPECT_EQ_UINT(entry_idle_s(e, NOW_S), 0);
	EXPECT_EQ_UINT(entry_idle_s(e, NOW_S + 75), 75);
	uint32_t wrap_s = (NOW_S | 0xFFFFFF) + 1;             /* low 24 bits 0 */
	entry_set_access_s(e, wrap_s - 10);
	EXPECT_EQ_UINT(entry_access_s(e), 0xFFFFFF - 9);
	EXPECT_EQ_UINT(entry_idle_s(e, wrap_s + 5), 15);       /* across the wrap */
	EXPECT_EQ_UINT(entry_idle_s(e, wrap_s - 10 + (1u << 24)), 0);
	EXPECT_EQ_UINT(entry_idle_s(e, wrap_s - 11), 0xFFFFFF); /* ahead of the clock */
	/* LRU across the wrap: the key last used before it is the idler. */
	struct entry *c[2] = { cand(sh, 1, 0, 5, 0), cand(sh, 2, 0, 5, 0) };
	entry_set_access_s(c[0], wrap_s + 20);                 /* idle 10 s */
	entry_set_access_s(c[1], wrap_s - 100);                /* idle 130 s */
	sh->now_ms = (int64_t)(wrap_s + 30) * 1000;
	EXPECT_TRUE(choice_is(sh, MM_ALLKEYS_LRU, c, 2, c[1]));
	entry_set_access_s(c[1], wrap_s + 29);                 /* idle 1 s */
	EXPECT_TRUE(choice_is(sh, MM_ALLKEYS_LRU, c, 2, c[0]));
	shard_del(sh);
}

TEST(test_volatile_lru_chooses_the_longest_idle_key_among_keys_with_a_ttl)
{
	reset_cfg();
	struct shard *sh = shard_new(2);
	struct entry *c[5] = {
		cand(sh, 0, 9000, 5, 0),                 /* idlest, but no TTL */
		cand(sh, 1, 300, 5, NOW_MS + 60000),
		cand(sh, 2, 700, 5, NOW_MS + 90000),     /* idlest with a TTL */
		cand(sh, 3, 5000, 5, 0),
		cand(sh, 4, 20, 5, NOW_MS + 1000),
	};
	EXPECT_TRUE(choice_is(sh, MM_VOLATILE_LRU, c, 5, c[2]));
	EXPECT_TRUE(choice_is(sh, MM_ALLKEYS_LRU, c, 5, c[0]));
	shard_del(sh);
}

TEST(test_allkeys_lfu_chooses_the_lowest_decayed_counter)
{
	reset_cfg();
	REQUIRE_TRUE(set_cfg("lfu-decay-time", "1"));
	struct shard *sh = shard_new(3);
	/* c0: counter 100 but idle 90 minutes: decays to 10.
	 * c1: fresh 20; c2: fresh 15; c3: counter 40 idle 20 minutes: 20. */
	struct entry *c[4] = {
		cand(sh, 0, 90 * MIN_S, 100, 0),
		cand(sh, 1, 0, 20, 0),
		cand(sh, 2, 0, 15, NOW_MS + 1000),
		cand(sh, 3, 20 * MIN_S, 40, 0),
	};
	EXPECT_EQ_INT(db_lfu_decayed(sh, c[0]), 10);
	EXPECT_EQ_INT(db_lfu_decayed(sh, c[3]), 20);
	EXPECT_TRUE(choice_is(sh, MM_ALLKEYS_LFU, c, 4, c[0]));

	/* Without decay the high counter is kept and the fresh 15 goes. */
	REQUIRE_TRUE(set_cfg("lfu-decay-time", "0"));
	EXPECT_TRUE(choice_is(sh, MM_ALLKEYS_LFU, c, 4, c[2]));
	/* A slower decay (10 minutes a step): c0 decays to 91, c3 to 38. */
	REQUIRE_TRUE(set_cfg("lfu-decay-time", "10"));
	EXPECT_TRUE(choice_is(sh, MM_ALLKEYS_LFU, c, 4, c[2]));
	shard_del(sh);
	reset_cfg();
}

TEST(test_volatile_lfu_chooses_the_lowest_decayed_counter_among_keys_with_a_ttl)
{
	reset_cfg();
	struct shard *sh = shard_new(4);
	struct entry *c[4] = {
		cand(sh, 0, 0, 1, 0),                          /* lowest, no TTL */
		cand(sh, 1, 200 * MIN_S, 250, NOW_MS + 1000),  /* decays to 50 */
		cand(sh, 2, 0, 60, NOW_MS + 1000),
		cand(sh, 3, 0, 55, NOW_MS + 1000),
	};
	EXPECT_TRUE(choice_is(sh, MM_VOLATILE_LFU, c, 4, c[1]));
	EXPECT_TRUE(choice_is(sh, MM_ALLKEYS_LFU, c, 4, c[0]));
	REQUIRE_TRUE(set_cfg("lfu-decay-time", "0"));
	EXPECT_TRUE(choice_is(sh, MM_VOLATILE_LFU, c, 4, c[3]));
	shard_del(sh);
	reset_cfg();
}

TEST(test_volatile_ttl_chooses_the_nearest_expiry)
{
	reset_cfg();
	struct shard *sh = shard_new(5);
	struct entry *c[5] = {
		cand(sh, 0, 0, 5, NOW_MS + 5000),
		cand(sh, 1, 0, 5, 0),                     /* no TTL: never chosen */
		cand(sh, 2, 0, 5, NOW_MS + 1000),         /* nearest */
		cand(sh, 3, 9000, 5, NOW_MS + 90000),     /* idlest, far expiry */
		cand(sh, 4, 0, 5, NOW_MS + 1001),
	};
	EXPECT_TRUE(choice_is(sh, MM_VOLATILE_TTL, c, 5, c[2]));
	c[2] = keyspace_set_expire(&sh->ks, c[2], 0);
	EXPECT_TRUE(choice_is(sh, MM_VOLATILE_TTL, c, 5, c[4]));
	shard_del(sh);
}

static bool in_set(struct entry *e, struct entry **c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (c[i] == e)
			return true;
	return false;
}

TEST(test_allkeys_random_chooses_one_of_the_candidates)
{
	reset_cfg();
	struct shard *sh = shard_new(6);
	struct entry *c[4] = {
		cand(sh, 0, 0, 5, 0),
		cand(sh, 1, 30, 5, NOW_MS + 1000),
		cand(sh, 2, 60, 9, 0),
		cand(sh, 3, 90, 1, 0),
	};
	for (unsigned n = 1; n <= 4; n++) {
		struct entry *e = evict_choose(sh, MM_ALLKEYS_RANDOM, c, n);
		EXPECT_TRUE(e != NULL);
		EXPECT_TRUE(in_set(e, c, n));
	}
	shard_del(sh);
}

TEST(test_volatile_random_chooses_only_a_candidate_with_a_ttl)
{
	reset_cfg();
	struct shard *sh = shard_new(7);
	struct entry *c[5] = {
		cand(sh, 0, 0, 5, 0),
		cand(sh, 1, 0, 5, 0),
		cand(sh, 2, 0, 5, NOW_MS + 1000),
		cand(sh, 3, 0, 5, 0),
		cand(sh, 4, 0, 5, 0),
	};
	EXPECT_TRUE(choice_is(sh, MM_VOLATILE_RANDOM, c, 5, c[2]));
	c[4] = keyspace_set_expire(&sh->ks, c[4], NOW_MS + 2000);
	for (unsigned n = 1; n <= 5; n++) {
		struct entry *e = evict_choose(sh, MM_VOLATILE_RANDOM, c, n);
		if (n < 3) {
			EXPECT_TRUE(e == NULL);
		} else {
			EXPECT_TRUE(e == c[2] || e == c[4]);
			EXPECT_TRUE(in_set(e, c, n));
		}
	}
	shard_del(sh);
}

TEST(test_noeviction_chooses_nothing)
{
	reset_cfg();
	struct shard *sh = shard_new(8);
	struct entry *c[3] = {
		cand(sh, 0, 9000, 0, NOW_MS + 1),
		cand(sh, 1, 0, 5, 0),
		cand(sh, 2, 0, 255, NOW_MS + 1000),
	};
	for (unsigned n = 0; n <= 3; n++)
		EXPECT_TRUE(evict_choose(sh, MM_NOEVICTION, c, n) == NULL);
	shard_del(sh);
}

TEST(test_volatile_policies_choose_nothing_without_a_ttl_candidate)
{
	reset_cfg();
	struct shard *sh = shard_new(9);
	struct entry *c[3] = {
		cand(sh, 0, 9000, 0, 0),
		cand(sh, 1, 0, 5, 0),
		cand(sh, 2, 60 * MIN_S, 255, 0),
	};
	for (unsigned i = 0; i < NELEM(volatile_policies); i++) {
		EXPECT_TRUE(evict_choose(sh, volatile_policies[i], c, 3) == NULL);
		EXPECT_TRUE(evict_choose(sh, volatile_policies[i], c, 0) == NULL);
	}
	/* ...while every allkeys-* policy chooses one. */
	EXPECT_TRUE(evict_choose(sh, MM_ALLKEYS_LRU, c, 3) == c[0]);
	EXPECT_TRUE(evict_choose(sh, MM_ALLKEYS_LFU, c, 3) == c[0]);
	EXPECT_TRUE(in_set(evict_choose(sh, MM_ALLKEYS_RANDOM, c, 3), c, 3));
	shard_del(sh);
}

TEST(test_no_candidates_means_no_choice_for_any_policy)
{
	reset_cfg();
	struct shard *sh = shard_new(10);
	for (unsigned i = 0; i < NELEM(all_policies); i++)
		EXPECT_TRUE(evict_choose(sh, all_policies[i], NULL, 0) == NULL);
	shard_del(sh);
}

/* ---- LFU counter maths --------------------------------------------------- */

static uint8_t decayed(struct shard *sh, struct entry *e, uint8_t counter, uint32_t idle_min,
		       long long decay_time)
{
	set_cfg_ll("lfu-decay-time", decay_time);
	e->lfu_counter = counter;
	entry_set_access_s(e, NOW_S - idle_min * MIN_S);
	return db_lfu_decayed(sh, e);
}

TEST(test_lfu_counter_decays_one_step_per_decay_time_minutes_idle)
{
	reset_cfg();
	struct shard *sh = shard_new(11);
	struct entry *e = cand(sh, 0, 0, 5, 0);
	EXPECT_EQ_INT(decayed(sh, e, 100, 0, 1), 100);
	EXPECT_EQ_INT(decayed(sh, e, 100, 1, 1), 99);
	EXPECT_EQ_INT(decayed(sh, e, 100, 10, 1), 90);
	EXPECT_EQ_INT(decayed(sh, e, 100, 99, 1), 1);
	EXPECT_EQ_INT(decayed(sh, e, 100, 100, 1), 0);
	EXPECT_EQ_INT(decayed(sh, e, 100, 1000, 1), 0);     /* floors at 0 */
	EXPECT_EQ_INT(decayed(sh, e, 255, 1000000, 1), 0);
	/* Whole periods only: 10 minutes at 3 a step is 3 steps. */
	EXPECT_EQ_INT(decayed(sh, e, 100, 10, 3), 97);
	EXPECT_EQ_INT(decayed(sh, e, 100, 2, 3), 100);
	EXPECT_EQ_INT(decayed(sh, e, 100, 3, 3), 99);
	EXPECT_EQ_INT(decayed(sh, e, 100, 19, 20), 100);
	EXPECT_EQ_INT(decayed(sh, e, 100, 20, 20), 99);
	EXPECT_EQ_INT(decayed(sh, e, 5, 60, 10), 0);
	EXPECT_EQ_INT(decayed(sh, e, 5, 59, 10), 0);        /* 5 steps of 5 */
	EXPECT_EQ_INT(decayed(sh, e, 6, 59, 10), 1);
	/* Less than a minute idle within the same minute: no decay. */
	e->lfu_counter = 100;
	entry_set_access_s(e, NOW_S);
	sh->now_ms = NOW_MS + 59999;
	set_cfg("lfu-decay-time", "1");
	EXPECT_EQ_INT(db_lfu_decayed(sh, e), 100);
	sh->now_ms = NOW_MS + 60000;
	EXPECT_EQ_INT(db_lfu_decayed(sh, e), 99);
	/* Minutes idle are counted modulo 2^24 s, as the access time is kept:
	 * 90 s before the stored 24 bits wrap to 30 s after is 2 minutes. */
	uint32_t wrap_s = (NOW_S | ENTRY_ACCESS_MASK) + 1;
	entry_set_access_s(e, wrap_s - 90);
	sh->now_ms = (int64_t)(wrap_s + 30) * 1000;
	EXPECT_EQ_INT(db_lfu_decayed(sh, e), 98);
	sh->now_ms = NOW_MS;
	/* So an access time ahead of the clock reads as idle for nearly 2^24 s
	 * (194 days), as Redis's LRU clock has it: it decays fully. */
	entry_set_access_s(e, NOW_S + 3600);
	EXPECT_EQ_INT(db_lfu_decayed(sh, e), 0);
	/* The stored counter is not changed by reading it decayed. */
	EXPECT_EQ_INT(decayed(sh, e, 100, 10, 1), 90);
	EXPECT_EQ_INT(e->lfu_counter, 100);
	shard_del(sh);
	reset_cfg();
}

TEST(test_lfu_decay_time_zero_never_decays)
{
	reset_cfg();
	struct shard *sh = shard_new(12);
	struct entry *e = cand(sh, 0, 0, 5, 0);
	EXPECT_EQ_INT(decayed(sh, e, 100, 0, 0), 100);
	EXPECT_EQ_INT(decayed(sh, e, 100, 1000, 0), 100);
	EXPECT_EQ_INT(decayed(sh, e, 1, 1000000, 0), 1);
	EXPECT_EQ_INT(decayed(sh, e, 255, 1000000, 0), 255);
	shard_del(sh);
	reset_cfg();
}

/* Touch a fresh key n times under an LFU policy; returns its counter. */
static unsigned touch_n(struct shard *sh, struct entry *e, unsigned start, unsigned long n)
{
	e->lfu_counter = (uint8_t)start;
	entry_set_access_s(e, NOW_S);
	for (unsigned long i = 0; i < n; i++)
		db_touch(sh, e);
	return e->lfu_counter;
}

/* The bounds below come from the exact distribution of the counter (a
 * Markov chain: +1 with p = 1 / ((counter - 5) * factor + 1)), computed
 * offline: each range holds the counter except with probability < 1e-9.
 * The means match Redis's redis.conf table for factor 10 (100 hits ~ 10,
 * 1000 ~ 18, 100K ~ 142, 1M ~ 255): 9.7, 19.4, 146.7, 255. */
TEST(test_lfu_log_increment_follows_redis_curve_for_factor_10)
{
	reset_cfg();
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "allkeys-lfu"));
	REQUIRE_TRUE(set_cfg("lfu-log-factor", "10"));
	struct shard *sh = shard_new(0x5eed0001);
	struct entry *e = cand(sh, 0, 0, 5, 0);
	unsigned c100 = touch_n(sh, e, LFU_INIT_VAL, 100);
	unsigned c1k = touch_n(sh, e, LFU_INIT_VAL, 1000);
	unsigned c100k = touch_n(sh, e, LFU_INIT_VAL, 100000);
	unsigned c1m = touch_n(sh, e, LFU_INIT_VAL, 1000000);
	printf("  factor 10 from %d: 100 -> %u, 1000 -> %u, 100K -> %u, 1M -> %u\n",
	       LFU_INIT_VAL, c100, c1k, c100k, c1m);
	EXPECT_TRUE(c100 >= 6 && c100 <= 19);
	EXPECT_TRUE(c1k >= 10 && c1k <= 35);
	EXPECT_TRUE(c100k >= 109 && c100k <= 191);
	EXPECT_EQ_INT(c1m, 255);
	shard_del(sh);
	reset_cfg();
}

TEST(test_lfu_log_increment_grows_more_slowly_as_the_counter_rises)
{
	reset_cfg();
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "volatile-lfu"));
	REQUIRE_TRUE(set_cfg("lfu-log-factor", "10"));
	struct shard *sh = shard_new(0x5eed0002);
	struct entry *e = cand(sh, 0, 0, 5, NOW_MS + 1000);
	/* 100K touches: from 5 the counter gains at least 104 (ends in
	 * [109, 191]); from 150 it gains at most 100 (ends in [150, 250]). */
	unsigned gain_low = touch_n(sh, e, 5, 100000) - 5;
	unsigned gain_high = touch_n(sh, e, 150, 100000) - 150;
	printf("  100K touches: from 5 +%u, from 150 +%u\n", gain_low, gain_high);
	EXPECT_TRUE(gain_low >= 104);
	EXPECT_TRUE(gain_high <= 100);
	EXPECT_TRUE(gain_high < gain_low);
	/* Other factors keep Redis's ordering: a bigger factor, a slower
	 * counter (factor 1: 1000 hits in [29, 74]; factor 100: [6, 20]). */
	REQUIRE_TRUE(set_cfg("lfu-log-factor", "1"));
	unsigned f1 = touch_n(sh, e, 5, 1000);
	REQUIRE_TRUE(set_cfg("lfu-log-factor", "100"));
	unsigned f100 = touch_n(sh, e, 5, 1000);
	EXPECT_TRUE(f1 >= 29 && f1 <= 74);
	EXPECT_TRUE(f100 >= 6 && f100 <= 20);
	shard_del(sh);
	reset_cfg();
}

TEST(test_lfu_counter_saturates_at_255)
{
	reset_cfg();
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "allkeys-lfu"));
	struct shard *sh = shard_new(0x5eed0003);
	struct entry *e = cand(sh, 0, 0, 5, 0);
	/* Factor 0: every touch increments (p = 1), exactly. */
	REQUIRE_TRUE(set_cfg("lfu-log-factor", "0"));
	EXPECT_EQ_INT(touch_n(sh, e, 5, 1), 6);
	EXPECT_EQ_INT(touch_n(sh, e, 5, 249), 254);
	EXPECT_EQ_INT(touch_n(sh, e, 5, 250), 255);
	EXPECT_EQ_INT(touch_n(sh, e, 5, 10000), 255);
	EXPECT_EQ_INT(touch_n(sh, e, 0, 3), 3);          /* below LFU_INIT_VAL: p = 1 */
	REQUIRE_TRUE(set_cfg("lfu-log-factor", "10"));
	EXPECT_EQ_INT(touch_n(sh, e, 255, 100000), 255);
	EXPECT_EQ_INT(touch_n(sh, e, 5, 3000000), 255);
	/* Below LFU_INIT_VAL every touch increments whatever the factor. */
	EXPECT_EQ_INT(touch_n(sh, e, 0, 5), 5);
	shard_del(sh);
	reset_cfg();
}

TEST(test_touch_decays_before_incrementing_under_lfu_and_leaves_counter_otherwise)
{
	reset_cfg();
	struct shard *sh = shard_new(0x5eed0004);
	struct entry *e = cand(sh, 0, 0, 5, 0);
	/* Not an LFU policy: the counter stays, the access time moves. */
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "allkeys-lru"));
	e->lfu_counter = 77;
	entry_set_access_s(e, NOW_S - 3600);
	db_touch(sh, e);
	EXPECT_EQ_INT(e->lfu_counter, 77);
	EXPECT_EQ_UINT(entry_access_s(e), NOW_S & ENTRY_ACCESS_MASK);
	EXPECT_EQ_UINT(entry_idle_s(e, NOW_S), 0);
	/* LFU, factor 0 (+1 for sure), decay 1: 77 idle 60 minutes -> 17 + 1. */
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "allkeys-lfu"));
	REQUIRE_TRUE(set_cfg("lfu-log-factor", "0"));
	entry_set_access_s(e, NOW_S - 60 * MIN_S);
	db_touch(sh, e);
	EXPECT_EQ_INT(e->lfu_counter, 18);
	EXPECT_EQ_UINT(entry_access_s(e), NOW_S & ENTRY_ACCESS_MASK);
	shard_del(sh);
	reset_cfg();
}

/* ---- evict_make_room end to end ------------------------------------------ */

static unsigned count_prefix_present(struct shard *sh, const char *prefix, unsigned n)
{
	unsigned c = 0;
	for (unsigned i = 0; i < n; i++)
		c += find_key(sh, prefix, i) != NULL;
	return c;
}

TEST(test_budget_is_maxmemory_divided_by_shards_and_used_is_heap_plus_overhead)
{
	reset_cfg();
	struct shard *sh = shard_new(20);
	EXPECT_EQ_UINT(evict_budget(sh), 0);
	REQUIRE_TRUE(set_cfg("maxmemory", "64mb"));
	EXPECT_EQ_UINT(evict_budget(sh), 64ull << 20);
	sh->nshards = 2;
	EXPECT_EQ_UINT(evict_budget(sh), 32ull << 20);
	sh->nshards = 3;
	EXPECT_EQ_UINT(evict_budget(sh), (64ull << 20) / 3);
	sh->nshards = 1;
	add_key(sh, "k:", 1);
	sh->overhead_bytes = 12345;
	EXPECT_EQ_UINT(evict_used_memory(sh), keyspace_memory(&sh->ks) + 12345);
	EXPECT_TRUE(keyspace_memory(&sh->ks) >= sizeof(struct entry) + 3 + VALUE_LEN);
	shard_del(sh);
	reset_cfg();
}

TEST(test_make_room_without_maxmemory_evicts_nothing)
{
	reset_cfg();
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "allkeys-random"));
	struct shard *sh = shard_new(21);
	for (unsigned i = 0; i < 500; i++)
		REQUIRE_TRUE(add_key(sh, "k:", i));
	EXPECT_TRUE(evict_make_room(sh, 0));
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), 500);
	EXPECT_EQ_UINT(STAT_GET(sh->stats.evicted_keys), 0);
	shard_del(sh);
	reset_cfg();
}

TEST(test_noeviction_make_room_fails_and_deletes_nothing)
{
	reset_cfg();
	struct shard *sh = shard_new(22);
	for (unsigned i = 0; i < 400; i++) {
		struct entry *e = add_key(sh, "k:", i);
		REQUIRE_TRUE(e);
		if (i % 2)
			keyspace_set_expire(&sh->ks, e, NOW_MS + 1000 + i);
	}
	uint64_t used = evict_used_memory(sh);
	REQUIRE_TRUE(set_cfg_ll("maxmemory", (long long)used / 2));
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "noeviction"));
	EXPECT_TRUE(!evict_make_room(sh, 0));
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), 400);
	EXPECT_EQ_UINT(evict_used_memory(sh), used);
	EXPECT_EQ_UINT(STAT_GET(sh->stats.evicted_keys), 0);
	/* At the budget exactly, there is room. */
	REQUIRE_TRUE(set_cfg_ll("maxmemory", (long long)used));
	EXPECT_TRUE(evict_make_room(sh, 0));
	shard_del(sh);
	reset_cfg();
}

TEST(test_volatile_ttl_make_room_evicts_only_ttl_keys_nearest_first_then_fails)
{
	reset_cfg();
	/* 64 samples: the best of each sample is then the nearest expiry or
	 * very close to it, so "nearest first" can be checked sharply. */
	REQUIRE_TRUE(set_cfg("maxmemory-samples", "64"));
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "volatile-ttl"));
	struct shard *sh = shard_new(23);
	const unsigned n = 200;
	for (unsigned i = 0; i < n; i++) {
		REQUIRE_TRUE(add_key(sh, "p:", i));          /* persistent */
		struct entry *e = add_key(sh, "t:", i);       /* expires in i+1 s */
		REQUIRE_TRUE(e);
		keyspace_set_expire(&sh->ks, e, NOW_MS + 1000 * (int64_t)(i + 1));
	}
	REQUIRE_TRUE(sh->ks.expires == n);
	uint64_t entry_bytes = sh->ks.volatile_bytes / n;
	uint64_t used = evict_used_memory(sh);
	/* Room for all but about half of the TTL keys. */
	REQUIRE_TRUE(set_cfg_ll("maxmemory", (long long)(used - entry_bytes * n / 2)));
	EXPECT_TRUE(evict_make_room(sh, 0));
	EXPECT_TRUE(evict_used_memory(sh) <= evict_budget(sh));
	EXPECT_EQ_UINT(count_prefix_present(sh, "p:", n), n);
	unsigned ttl_left = count_prefix_present(sh, "t:", n);
	EXPECT_EQ_UINT(ttl_left, sh->ks.expires);
	EXPECT_EQ_UINT(STAT_GET(sh->stats.evicted_keys), n - ttl_left);
	EXPECT_TRUE(ttl_left >= n / 2 - 2 && ttl_left <= n / 2);
	/* Nearest first: the 20 nearest expiries are gone, the farthest
	 * quarter is all there. (Sampling is approximate at the boundary: a
	 * few of the nearest half may outlive keys just beyond it.) */
	EXPECT_EQ_UINT(count_prefix_present(sh, "t:", 20), 0);
	unsigned far = 0;
	for (unsigned i = 3 * n / 4; i < n; i++)
		far += find_key(sh, "t:", i) != NULL;
	EXPECT_EQ_UINT(far, n / 4);

	/* A budget below what the persistent keys hold: every TTL key goes,
	 * then the policy has nothing left and make_room fails. */
	REQUIRE_TRUE(set_cfg("maxmemory", "1"));
	bool room = true;
	for (int i = 0; i < 3 && room; i++)
		room = evict_make_room(sh, 0);
	EXPECT_TRUE(!room);
	EXPECT_EQ_UINT(sh->ks.expires, 0);
	EXPECT_EQ_UINT(count_prefix_present(sh, "t:", n), 0);
	EXPECT_EQ_UINT(count_prefix_present(sh, "p:", n), n);
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), n);
	EXPECT_EQ_UINT(STAT_GET(sh->stats.evicted_keys), n);
	/* And it keeps failing without deleting anything. */
	EXPECT_TRUE(!evict_make_room(sh, 0));
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), n);
	shard_del(sh);
	reset_cfg();
}

TEST(test_volatile_lfu_with_no_ttl_keys_fails_and_deletes_nothing)
{
	reset_cfg();
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "volatile-lfu"));
	struct shard *sh = shard_new(24);
	for (unsigned i = 0; i < 300; i++)
		REQUIRE_TRUE(add_key(sh, "k:", i));
	REQUIRE_TRUE(set_cfg_ll("maxmemory", (long long)evict_used_memory(sh) / 2));
	EXPECT_TRUE(!evict_make_room(sh, 0));
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), 300);
	/* One TTL key: it goes, then the policy is stuck again. */
	keyspace_set_expire(&sh->ks, find_key(sh, "k:", 7), NOW_MS + 5000);
	EXPECT_TRUE(!evict_make_room(sh, 0));
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), 299);
	EXPECT_TRUE(find_key(sh, "k:", 7) == NULL);
	EXPECT_EQ_UINT(STAT_GET(sh->stats.evicted_keys), 1);
	shard_del(sh);
	reset_cfg();
}

TEST(test_allkeys_lru_make_room_evicts_the_idlest_keys)
{
	reset_cfg();
	REQUIRE_TRUE(set_cfg("maxmemory-samples", "64"));
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "allkeys-lru"));
	struct shard *sh = shard_new(25);
	const unsigned n = 400;
	for (unsigned i = 0; i < n; i++) {
		struct entry *e = add_key(sh, "k:", i);
		REQUIRE_TRUE(e);
		entry_set_access_s(e, NOW_S - (n - i) * 10);   /* k:0 the idlest */
		if (i % 3 == 0)
			keyspace_set_expire(&sh->ks, e, NOW_MS + 3600000);
	}
	uint64_t used = evict_used_memory(sh), entries = 0;
	for (unsigned i = 0; i < n; i++)
		entries += entry_block_size(find_key(sh, "k:", i));
	/* Half the entries' bytes: about half the keys (those with a TTL are
	 * 8 bytes bigger; the table shrinks a little as keys go). */
	REQUIRE_TRUE(set_cfg_ll("maxmemory", (long long)(used - entries / 2)));
	EXPECT_TRUE(evict_make_room(sh, 0));
	EXPECT_TRUE(evict_used_memory(sh) <= evict_budget(sh));
	unsigned left = (unsigned)keyspace_size(&sh->ks);
	EXPECT_TRUE(left >= n / 2 - 8 && left <= n / 2 + 8);
	EXPECT_EQ_UINT(STAT_GET(sh->stats.evicted_keys), n - left);
	/* TTLs do not matter; idleness does: the 40 idlest are gone, the
	 * freshest quarter is intact. */
	EXPECT_EQ_UINT(count_prefix_present(sh, "k:", 40), 0);
	unsigned fresh = 0;
	for (unsigned i = 3 * n / 4; i < n; i++)
		fresh += find_key(sh, "k:", i) != NULL;
	EXPECT_EQ_UINT(fresh, n / 4);
	shard_del(sh);
	reset_cfg();
}

TEST(test_allkeys_lfu_make_room_evicts_the_least_frequently_used)
{
	reset_cfg();
	REQUIRE_TRUE(set_cfg("maxmemory-samples", "64"));
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "allkeys-lfu"));
	struct shard *sh = shard_new(26);
	const unsigned n = 300;
	/* Hot keys h:* at counter 200 but idle 190 minutes (decay to 10);
	 * warm keys w:* fresh at 20; cold keys c:* fresh at 12. Evicting half
	 * of the keys takes every decayed "hot" key, then cold ones, and keeps
	 * every warm one. */
	for (unsigned i = 0; i < n / 3; i++) {
		struct entry *h = add_key(sh, "h:", i), *w = add_key(sh, "w:", i),
			     *c = add_key(sh, "c:", i);
		REQUIRE_TRUE(h && w && c);
		h->lfu_counter = 200;
		entry_set_access_s(h, NOW_S - 190 * MIN_S);
		w->lfu_counter = 20;
		c->lfu_counter = 12;
	}
	uint64_t used = evict_used_memory(sh);
	uint64_t entry_bytes = entry_block_size(find_key(sh, "w:", 0));
	REQUIRE_TRUE(set_cfg_ll("maxmemory", (long long)(used - entry_bytes * (n / 2))));
	EXPECT_TRUE(evict_make_room(sh, 0));
	EXPECT_TRUE(evict_used_memory(sh) <= evict_budget(sh));
	unsigned hot = count_prefix_present(sh, "h:", n / 3);
	unsigned cold = count_prefix_present(sh, "c:", n / 3);
	unsigned warm = count_prefix_present(sh, "w:", n / 3);
	EXPECT_EQ_UINT(hot, 0);
	EXPECT_EQ_UINT(warm, n / 3);
	EXPECT_TRUE(cold >= n / 3 - n / 6 - 2 && cold <= n / 3 - n / 6);
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), hot + cold + warm);
	EXPECT_EQ_UINT(STAT_GET(sh->stats.evicted_keys), n - (hot + cold + warm));
	shard_del(sh);
	reset_cfg();
}

TEST(test_allkeys_random_make_room_reaches_budget_and_counts_evictions)
{
	reset_cfg();
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "allkeys-random"));
	struct shard *sh = shard_new(27);
	for (unsigned i = 0; i < 2000; i++)
		REQUIRE_TRUE(add_key(sh, "k:", i));
	uint64_t used = evict_used_memory(sh);
	REQUIRE_TRUE(set_cfg_ll("maxmemory", (long long)(used * 3 / 4)));
	EXPECT_TRUE(evict_make_room(sh, 0));
	EXPECT_TRUE(evict_used_memory(sh) <= evict_budget(sh));
	uint64_t left = keyspace_size(&sh->ks);
	EXPECT_TRUE(left > 1000 && left < 2000);
	EXPECT_EQ_UINT(STAT_GET(sh->stats.evicted_keys), 2000 - left);
	/* Within budget already: a second call evicts nothing. */
	EXPECT_TRUE(evict_make_room(sh, 0));
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), left);
	shard_del(sh);
	reset_cfg();
}

TEST(test_make_room_evicts_at_most_1000_keys_per_call_and_resumes)
{
	reset_cfg();
	REQUIRE_TRUE(set_cfg("maxmemory-policy", "allkeys-random"));
	struct shard *sh = shard_new(28);
	for (unsigned i = 0; i < 2500; i++)
		REQUIRE_TRUE(add_key(sh, "k:", i));
	REQUIRE_TRUE(set_cfg("maxmemory", "1"));
	/* Still over budget after a call's share: reported as room (more
	 * follows on the next call or tick). */
	EXPECT_TRUE(evict_make_room(sh, 0));
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), 1500);
	EXPECT_TRUE(evict_make_room(sh, 0));
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), 500);
	/* The bucket array alone exceeds 1 byte: once the keys are gone
	 * nothing can be evicted. */
	EXPECT_TRUE(!evict_make_room(sh, 0));
	EXPECT_EQ_UINT(keyspace_size(&sh->ks), 0);
	EXPECT_EQ_UINT(STAT_GET(sh->stats.evicted_keys), 2500);
	shard_del(sh);
	reset_cfg();
}

/* The handler a SET would be: add the key argv[1] with the value argv[2]. */
static void put_handler(struct cmd_ctx *ctx)
{
	if (keyspace_insert(&ctx->sh->ks, ctx->argv[1].p, ctx->argv[1].len, ctx->argv[2].p,
			    ctx->argv[2].len, 0))
		buf_append_str(ctx->out, "+OK\r\n");
}

TEST(test_a_write_that_would_cross_the_budget_is_refused_so_none_ends_over_it)
{
	reset_cfg();
	struct shard *sh = shard_new(31);
	for (unsigned i = 0; i < 100; i++)
		REQUIRE_TRUE(add_key(sh, "k:", i));
	/* Room for about ten more keys under noeviction. */
	REQUIRE_TRUE(set_cfg_ll("maxmemory", (long long)evict_used_memory(sh) + 10 * 400));
	unsigned accepted = 0, refused = 0, over = 0;
	for (unsigned i = 0; i < 40; i++) {
		char key[32];
		int n = snprintf(key, sizeof(key), "new:%u", i);
		struct arg argv[3] = { ARG_LITERAL("set"), { .p = key, .len = (size_t)n },
				       { .p = value_bytes, .len = VALUE_LEN } };
		struct buf out = { 0 };
		struct cmd_ctx ctx = { .sh = sh, .argc = 3, .argv = argv, .out = &out, .resp = 2 };
		shard_execute(&ctx, put_handler, CMD_WRITE | CMD_DENYOOM);
		if (buf_live(&out) && buf_head(&out)[0] == '-') {
			EXPECT_TRUE(memcmp(buf_head(&out), "-" EVICT_OOM_ERROR "\r\n", buf_live(&out)) == 0);
			refused++;
		} else {
			accepted++;
		}
		/* Whatever the outcome, the shard is within its budget. */
		over += evict_used_memory(sh) > evict_budget(sh);
		buf_free(&out);
	}
	/* Room for about ten; how many exactly depends on the allocator's
	 * size classes (mimalloc, or libc under the sanitizers). */
	EXPECT_TRUE(accepted >= 3 && accepted <= 12);
	EXPECT_EQ_UINT(refused, 40 - accepted);
	EXPECT_EQ_UINT(over, 0);
	shard_del(sh);
	reset_cfg();
}

int main(void)
{
	config_init();
	memset(value_bytes, 'v', sizeof(value_bytes));

	RUN(test_allkeys_lru_chooses_the_longest_idle_key);
	RUN(test_access_time_keeps_24_bits_and_idle_time_wraps_with_it);
	RUN(test_volatile_lru_chooses_the_longest_idle_key_among_keys_with_a_ttl);
	RUN(test_allkeys_lfu_chooses_the_lowest_decayed_counter);
	RUN(test_volatile_lfu_chooses_the_lowest_decayed_counter_among_keys_with_a_ttl);
	RUN(test_volatile_ttl_chooses_the_nearest_expiry);
	RUN(test_allkeys_random_chooses_one_of_the_candidates);
	RUN(test_volatile_random_chooses_only_a_candidate_with_a_ttl);
	RUN(test_noeviction_chooses_nothing);
	RUN(test_volatile_policies_choose_nothing_without_a_ttl_candidate);
	RUN(test_no_candidates_means_no_choice_for_any_policy);

	RUN(test_lfu_counter_decays_one_step_per_decay_time_minutes_idle);
	RUN(test_lfu_decay_time_zero_never_decays);
	RUN(test_lfu_log_increment_follows_redis_curve_for_factor_10);
	RUN(test_lfu_log_increment_grows_more_slowly_as_the_counter_rises);
	RUN(test_lfu_counter_saturates_at_255);
	RUN(test_touch_decays_before_incrementing_under_lfu_and_leaves_counter_otherwise);

	RUN(test_budget_is_maxmemory_divided_by_shards_and_used_is_heap_plus_overhead);
	RUN(test_make_room_without_maxmemory_evicts_nothing);
	RUN(test_noeviction_make_room_fails_and_deletes_nothing);
	RUN(test_volatile_ttl_make_room_evicts_only_ttl_keys_nearest_first_then_fails);
	RUN(test_volatile_lfu_with_no_ttl_keys_fails_and_deletes_nothing);
	RUN(test_allkeys_lru_make_room_evicts_the_idlest_keys);
	RUN(test_allkeys_lfu_make_room_evicts_the_least_frequently_used);
	RUN(test_allkeys_random_make_room_reaches_budget_and_counts_evictions);
	RUN(test_make_room_evicts_at_most_1000_keys_per_call_and_resumes);
	RUN(test_a_write_that_would_cross_the_budget_is_refused_so_none_ends_over_it);
	return unit_summary();
}
