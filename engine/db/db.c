#include "db/db.h"

#include "base/config.h"
#include "base/invariant.h"
#include "db/expire.h"
#include "shard/shard_job.h"

#include <stdlib.h>

/* A shard reads and writes only the keys it owns: another shard's key is
 * reached by a message (shard/shard_msg.h), never looked up here. */
static void assert_owned(const struct shard *sh, const struct arg *key)
{
	ASSERT(key_shard(sh, key->p, key->len) == sh->id);
}

static struct entry *lookup_live(struct shard *sh, const struct arg *key)
{
	assert_owned(sh, key);
	struct entry *e = keyspace_find(&sh->ks, key->p, key->len);
	if (!e)
		return NULL;
	ASSERT(entry_kind_ok(e));
	if (db_is_expired(sh, e)) {
		expire_delete(sh, e);
		return NULL;
	}
	return e;
}

static uint32_t now_s(const struct shard *sh)
{
	return (uint32_t)(sh->now_ms / 1000);
}

uint8_t db_lfu_decayed(const struct shard *sh, const struct entry *e)
{
	long long period = CFG(lfu_decay_time);
	uint32_t idle_min = entry_idle_s(e, now_s(sh)) / 60;
	if (period <= 0 || idle_min == 0)
		return e->lfu_counter;
	long long decay = idle_min / period;
	return decay >= e->lfu_counter ? 0 : (uint8_t)(e->lfu_counter - decay);
}

static uint8_t lfu_log_incr(struct shard *sh, uint8_t counter)
{
	if (counter == 255)
		return counter;
	double base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
	double p = 1.0 / (base * (double)CFG(lfu_log_factor) + 1);
	double r = (double)(shard_rand(sh) >> 11) / (double)(1ULL << 53);
	return r < p ? counter + 1 : counter;
}

void db_touch(struct shard *sh, struct entry *e)
{
	if (config_policy_is_lfu())
		e->lfu_counter = lfu_log_incr(sh, db_lfu_decayed(sh, e));
	entry_set_access_s(e, now_s(sh));
}

struct entry *db_lookup_read(struct shard *sh, const struct arg *key)
{
	struct entry *e = db_lookup_notouch(sh, key);
	if (e)
		db_touch(sh, e);
	return e;
}

struct entry *db_lookup_write(struct shard *sh, const struct arg *key)
{
	struct entry *e = lookup_live(sh, key);
	if (e)
		db_touch(sh, e);
	return e;
}

struct entry *db_lookup_notouch(struct shard *sh, const struct arg *key)
{
	struct entry *e = lookup_live(sh, key);
	if (e)
		STAT_ADD(sh->stats.keyspace_hits, 1);
	else
		STAT_ADD(sh->stats.keyspace_misses, 1);
	return e;
}

struct entry *db_add(struct shard *sh, const struct arg *key, const void *val, size_t len,
		     int64_t expire_ms)
{
	assert_owned(sh, key);
	struct entry *e = keyspace_insert(&sh->ks, key->p, key->len, val, len, expire_ms);
	if (e) {
		entry_set_access_s(e, now_s(sh));
		e->lfu_counter = LFU_INIT_VAL;
	}
	return e;
}

struct entry *db_overwrite(struct shard *sh, struct entry *e, const void *val, size_t len)
{
	e = keyspace_set_value(&sh->ks, e, val, len);
	if (e)
		entry_set_access_s(e, now_s(sh));
	return e;
}

struct entry *db_set(struct shard *sh, const struct arg *key, const void *val, size_t len)
{
	struct entry *e = lookup_live(sh, key);
	if (!e)
		return db_add(sh, key, val, len, 0);
	e = keyspace_set_expire(&sh->ks, e, 0);
	return db_overwrite(sh, e, val, len);
}

void db_delete(struct shard *sh, struct entry *e)
{
	keyspace_delete(&sh->ks, e);
}

struct entry *db_set_expire(struct shard *sh, struct entry *e, int64_t when_ms)
{
	if (when_ms != 0 && when_ms <= sh->now_ms) {
		/* Redis deletes at once rather than keeping a key that is already
		 * expired; it does not count as an expiry in the stats. */
		keyspace_delete(&sh->ks, e);
		return NULL;
	}
	return keyspace_set_expire(&sh->ks, e, when_ms);
}

static bool free_detached_slice(struct shard *sh, void *state, struct buf *out)
{
	(void)out;
	return keyspace_free_detached(&sh->ks, state, JOB_SLICE_WORK);
}

uint64_t db_flush(struct shard *sh)
{
	uint64_t n = keyspace_size(&sh->ks);
	sh->expire_cursor = 0;
	sh->evict_cursor = 0;
	/* The keyspace is empty at once; its memory is freed a slice at a
	 * time, so a flush of millions of keys stalls no client. */
	struct detached_tables *d = malloc(sizeof(*d));
	if (!d || !shard_job_background(sh, free_detached_slice, free, d)) {
		free(d);
		keyspace_clear(&sh->ks);
		return n;
	}
	keyspace_detach(&sh->ks, d);
	return n;
}

void db_publish_stats(struct shard *sh)
{
	STAT_SET(sh->stats.keys, keyspace_size(&sh->ks));
	STAT_SET(sh->stats.expires, sh->ks.expires);
	uint64_t used = keyspace_memory(&sh->ks) + sh->overhead_bytes;
	STAT_SET(sh->stats.memory, used);
	if (used > STAT_GET(sh->stats.memory_peak))
		STAT_SET(sh->stats.memory_peak, used);
	STAT_SET(sh->stats.dataset_bytes, keyspace_memory(&sh->ks));
	STAT_SET(sh->stats.volatile_bytes, sh->ks.volatile_bytes);
}
