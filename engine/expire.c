#include "expire.h"

#include "db.h"

void expire_delete(struct shard *sh, struct entry *e)
{
	keyspace_delete(&sh->ks, e);
	STAT_ADD(sh->stats.expired_keys, 1);
}

/* keyspace_scan forbids deleting inside its callback, so expired entries are
 * collected first; a slice is small, so a fixed array suffices and any excess
 * waits for the next slice. */
#define EXPIRE_BATCH 256

struct expired_batch {
	struct shard *sh;
	struct entry *found[EXPIRE_BATCH];
	unsigned n;
};

static void collect_expired(void *ctx, struct entry *e)
{
	struct expired_batch *b = ctx;
	if (b->n < EXPIRE_BATCH && db_is_expired(b->sh, e))
		b->found[b->n++] = e;
}

uint64_t expire_active_cycle(struct shard *sh, unsigned buckets)
{
	if (sh->ks.expires == 0)
		return 0;
	uint64_t deleted = 0;
	struct expired_batch batch = { .sh = sh };
	for (unsigned i = 0; i < buckets; i++) {
		sh->expire_cursor = keyspace_scan(&sh->ks, sh->expire_cursor, collect_expired, &batch);
		if (batch.n >= EXPIRE_BATCH / 2 || sh->expire_cursor == 0 || i + 1 == buckets) {
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
