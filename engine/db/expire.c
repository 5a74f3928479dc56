#include "db/expire.h"

#include "db/db.h"

#define STATS_SAMPLE 20

void expire_delete(struct shard *sh, struct entry *e)
{
	keyspace_delete(&sh->ks, e);
	STAT_ADD(sh->stats.expired_keys, 1);
}

/* One due record: delete its key if it expired, queue it again if its TTL
 * grew since, drop it if the key is gone, no longer has a TTL, or was
 * queued again since (the record is stale). */
static bool handle_due(struct shard *sh, const struct expiry_record *r)
{
	struct keyspace *ks = &sh->ks;
	if (!keyspace_record_is_live(ks, r))
		return false;
	struct entry *e = expiry_record_entry(r);
	if (!entry_expire_ms(e)) {
		e->flags &= (uint8_t)~ENTRY_QUEUED;
		return false;
	}
	if (db_is_expired(sh, e)) {
		expire_delete(sh, e);
		return true;
	}
	keyspace_queue_expiry(ks, e, r->hash_lo);
	return false;
}

/* Due records taken from the queue at once, so that the cache misses of
 * checking them (table segment and bucket, entry) overlap instead of
 * coming one after another. */
#define EXPIRE_DUE_BATCH 16
/* Batches between looks at the clock, so that reading it stays a small
 * part of the work (tens of ns against tens of µs). */
#define EXPIRE_CLOCK_EVERY 8

bool expire_due(struct shard *sh)
{
	struct expiry_queue *q = &sh->ks.expiring;
	if (expiry_queue_next_ms(q) > sh->now_ms)
		return false;
	uint64_t start = shard_monotonic_us();
	struct expiry_record due[EXPIRE_DUE_BATCH];
	for (unsigned batches = 1;; batches++) {
		unsigned n = 0;
		while (n < EXPIRE_DUE_BATCH && expiry_queue_pop_due(q, &sh->ks.heap, sh->now_ms, &due[n]))
			n++;
		keyspace_prefetch_records(&sh->ks, due, n);
		for (unsigned i = 0; i < n; i++)
			handle_due(sh, &due[i]);
		if (n < EXPIRE_DUE_BATCH)
			break;
		if (batches % EXPIRE_CLOCK_EVERY == 0 &&
		    shard_monotonic_us() - start >= EXPIRE_SLICE_US)
			break;
	}
	expiry_queue_shrink(q, &sh->ks.heap);
	sh->expire_cycle_us += shard_monotonic_us() - start;
	return expiry_queue_next_ms(q) <= sh->now_ms;
}

struct present_count {
	struct shard *sh;
	uint64_t n;
};

static void count_if_present(void *ctx, const struct expiry_record *r)
{
	struct present_count *c = ctx;
	c->n += keyspace_record_is_live(&c->sh->ks, r) && db_is_expired(c->sh, expiry_record_entry(r));
}

uint64_t expire_count_present(struct shard *sh, size_t limit)
{
	struct present_count c = { .sh = sh };
	expiry_queue_visit_due(&sh->ks.expiring, sh->now_ms, limit, count_if_present, &c);
	return c.n;
}

int64_t expire_next_in_ms(const struct shard *sh)
{
	int64_t next = expiry_queue_next_ms(&sh->ks.expiring);
	if (next == INT64_MAX)
		return -1;
	return next > sh->now_ms ? next - sh->now_ms : 0;
}

/* keyspace_scan forbids deleting inside its callback, so expired entries are
 * collected first; a slice is small, so a fixed array suffices and any excess
 * waits for the next slice. */
#define EXPIRE_BATCH 1024

struct expired_batch {
	struct shard *sh;
	struct entry *found[EXPIRE_BATCH];
	unsigned n;
};

static void collect_expired(void *ctx, struct entry *e)
{
	struct expired_batch *b = ctx;
	if (!entry_expire_ms(e))
		return;
	if (b->n < EXPIRE_BATCH && db_is_expired(b->sh, e)) {
		b->found[b->n++] = e;
	} else if (!(e->flags & ENTRY_QUEUED)) {
		struct keyspace *ks = &b->sh->ks;
		keyspace_queue_expiry(ks, e, keyspace_entry_tag(ks, e));
	}
}

uint64_t expire_active_cycle(struct shard *sh, unsigned segments)
{
	if (sh->ks.expires == 0)
		return 0;
	uint64_t deleted = 0;
	struct expired_batch batch = { .sh = sh };
	for (unsigned i = 0; i < segments; i++) {
		sh->expire_cursor = keyspace_scan(&sh->ks, sh->expire_cursor, collect_expired, &batch, NULL);
		if (batch.n >= EXPIRE_BATCH / 2 || sh->expire_cursor == 0 || i + 1 == segments) {
			for (unsigned j = 0; j < batch.n; j++)
				expire_delete(sh, batch.found[j]);
			deleted += batch.n;
			batch.n = 0;
		}
		if (sh->expire_cursor == 0)
			break;
	}
	return deleted;
}

static uint64_t rand_fn(void *sh)
{
	return shard_rand(sh);
}

void expire_sample_stats(struct shard *sh)
{
	if (sh->ks.expires == 0) {
		sh->stale_perc = 0;
		STAT_SET(sh->stats.avg_ttl_ms, 0);
		return;
	}
	unsigned with_ttl = 0, stale = 0;
	/* A double: TTLs reach 2^63 ms (PEXPIREAT 9223372036854775807), and
	 * two of them overflow an int64 sum (found by fuzz_commands). */
	double ttl_sum = 0;
	for (unsigned i = 0; i < STATS_SAMPLE * 4 && with_ttl < STATS_SAMPLE; i++) {
		struct entry *e = keyspace_random(&sh->ks, rand_fn, sh);
		if (!e || !entry_expire_ms(e))
			continue;
		with_ttl++;
		if (db_is_expired(sh, e))
			stale++;
		else
			ttl_sum += (double)(entry_expire_ms(e) - sh->now_ms);
	}
	if (with_ttl == 0)
		return;
	/* Averaged over ticks, as Redis does: one sample is too noisy. */
	double perc = 100.0 * stale / with_ttl;
	sh->stale_perc = sh->stale_perc * 0.95 + perc * 0.05;
	if (with_ttl > stale) {
		double mean = ttl_sum / (with_ttl - stale);
		int64_t avg = mean >= (double)INT64_MAX ? INT64_MAX : (int64_t)mean;
		int64_t old = (int64_t)STAT_GET(sh->stats.avg_ttl_ms);
		STAT_SET(sh->stats.avg_ttl_ms, old ? old / 2 + avg / 2 : avg);
	}
	STAT_SET(sh->stats.stale_perc_x100, (uint64_t)(sh->stale_perc * 100));
	STAT_SET(sh->stats.expire_cycle_ms, sh->expire_cycle_us / 1000);
}
