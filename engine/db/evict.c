#include "db/evict.h"

#include "base/config.h"
#include "db/db.h"
#include "shard/shard.h"

/* One call evicts at most this many keys (about 100-200 µs): a CONFIG SET
 * that cuts maxmemory in half must not stall the shard; the shard goes on
 * at every iteration until it is within budget. */
#define EVICT_MAX_PER_CALL 1000
#define SAMPLE_MAX 64               /* maxmemory-samples' upper bound */
/* volatile-*: random picks tried per wanted sample before scanning. */
#define VOLATILE_TRIES_PER_SAMPLE 8
#define VOLATILE_SCAN_SEGMENTS 4

uint64_t evict_budget(const struct shard *sh)
{
	long long max = CFG(maxmemory);
	return max > 0 ? (uint64_t)max / sh->nshards : 0;
}

uint64_t evict_used_memory(const struct shard *sh)
{
	return keyspace_memory(&sh->ks) + sh->overhead_bytes;
}

static bool policy_is_volatile(long long policy)
{
	return policy == MM_VOLATILE_LRU || policy == MM_VOLATILE_LFU ||
	       policy == MM_VOLATILE_RANDOM || policy == MM_VOLATILE_TTL;
}

/* Higher means evict sooner. */
static uint64_t eviction_score(const struct shard *sh, long long policy, const struct entry *e)
{
	uint32_t now_s = (uint32_t)(sh->now_ms / 1000);
	switch (policy) {
	case MM_VOLATILE_LRU:
	case MM_ALLKEYS_LRU:
		return entry_idle_s(e, now_s);
	case MM_VOLATILE_LFU:
	case MM_ALLKEYS_LFU:
		return 255 - db_lfu_decayed(sh, e);
	case MM_VOLATILE_TTL:
		return UINT64_MAX - (uint64_t)entry_expire_ms(e);
	default:
		return 0; /* random: the sample is random already */
	}
}

struct entry *evict_choose(const struct shard *sh, long long policy, struct entry *const *cand,
			   unsigned n)
{
	if (policy == MM_NOEVICTION)
		return NULL;
	bool need_ttl = policy_is_volatile(policy);
	struct entry *best = NULL;
	uint64_t best_score = 0;
	for (unsigned i = 0; i < n; i++) {
		if (need_ttl && !entry_expire_ms(cand[i]))
			continue;
		uint64_t score = eviction_score(sh, policy, cand[i]);
		if (!best || score > best_score) {
			best = cand[i];
			best_score = score;
		}
	}
	return best;
}

static uint64_t shard_rand_fn(void *sh)
{
	return shard_rand(sh);
}

struct ttl_scan {
	struct entry **cand;
	unsigned n, want;
};

static void collect_with_ttl(void *ctx, struct entry *e)
{
	struct ttl_scan *s = ctx;
	if (entry_expire_ms(e) && s->n < s->want)
		s->cand[s->n++] = e;
}

/* Keys with a TTL may be few among many: random picks first, then a
 * bounded walk of the table from where the last one stopped. */
static unsigned sample_volatile(struct shard *sh, struct entry **cand, unsigned want)
{
	unsigned n = 0;
	for (unsigned i = 0; i < want * VOLATILE_TRIES_PER_SAMPLE && n < want; i++) {
		struct entry *e = keyspace_random(&sh->ks, shard_rand_fn, sh);
		if (e && entry_expire_ms(e))
			cand[n++] = e;
	}
	struct ttl_scan scan = { cand, n, want };
	for (unsigned s = 0; scan.n == 0 && s < VOLATILE_SCAN_SEGMENTS; s++)
		sh->evict_cursor = keyspace_scan(&sh->ks, sh->evict_cursor, collect_with_ttl, &scan, NULL);
	return scan.n;
}

static unsigned sample_any(struct shard *sh, struct entry **cand, unsigned want)
{
	unsigned n = 0;
	while (n < want) {
		struct entry *e = keyspace_random(&sh->ks, shard_rand_fn, sh);
		if (!e)
			break;
		cand[n++] = e;
	}
	return n;
}

static struct entry *pick_victim(struct shard *sh, long long policy)
{
	if (policy == MM_NOEVICTION || keyspace_size(&sh->ks) == 0)
		return NULL;
	if (policy_is_volatile(policy) && sh->ks.expires == 0)
		return NULL;
	struct entry *cand[SAMPLE_MAX];
	unsigned want = (unsigned)CFG(maxmemory_samples);
	if (want > SAMPLE_MAX)
		want = SAMPLE_MAX;
	if (policy == MM_ALLKEYS_RANDOM || policy == MM_VOLATILE_RANDOM)
		want = 1;
	unsigned n = policy_is_volatile(policy) ? sample_volatile(sh, cand, want)
						: sample_any(sh, cand, want);
	return evict_choose(sh, policy, cand, n);
}

bool evict_make_room(struct shard *sh, uint64_t extra)
{
	sh->evicting = false;
	uint64_t budget = evict_budget(sh);
	if (budget == 0)
		return true;
	if (extra >= budget)
		return false;
	long long policy = CFG(maxmemory_policy);
	for (unsigned i = 0; evict_used_memory(sh) > budget - extra; i++) {
		if (i == EVICT_MAX_PER_CALL) {
			sh->evicting = true;
			return true;
		}
		struct entry *victim = pick_victim(sh, policy);
		if (!victim)
			return false;
		db_delete(sh, victim);
		STAT_ADD(sh->stats.evicted_keys, 1);
	}
	return true;
}

bool evict_pending(const struct shard *sh)
{
	return sh->evicting;
}
