/* Keyspace hygiene: how much of the keyspace has a TTL, per shard and in
 * total, and whether the eviction policy can do its job. Redis users meet
 * the failure this guards against as a surprise OOM: a volatile-* policy
 * evicts only keys with a TTL, so a keyspace written without TTLs fills up
 * and every write fails. Here the INFO section `keyspace_hygiene` shows it
 * coming, and a warning (INFO field and a rate-limited log line) fires when
 * the policy is volatile-* and less than 10% of used memory is evictable.
 * The section also shows whether active expiry keeps up: how many keys are
 * past their TTL but not deleted yet (expire_count_present()).
 */
#ifndef TESSERA_KEYSPACE_HYGIENE_H
#define TESSERA_KEYSPACE_HYGIENE_H

#include <stdbool.h>
#include <stdint.h>

#include "resp/buf.h"

struct engine;
struct shard;

#define HYGIENE_EVICTABLE_WARN_PERC 10
#define HYGIENE_LOG_INTERVAL_MS 60000

struct hygiene_figures {
	uint64_t keys_with_ttl, keys_without_ttl;
	uint64_t bytes_with_ttl, bytes_without_ttl;
	uint64_t used_memory;
	uint64_t evictable_bytes;   /* what the policy may evict */
	uint64_t expired_present;   /* past their TTL, not deleted yet */
};

/* One shard's figures (from its published counters), or all shards'. */
void hygiene_of_shard(const struct shard *sh, struct hygiene_figures *f);
void hygiene_of_engine(struct engine *eng, struct hygiene_figures *f);
/* Percent of used memory the policy may evict (100 when nothing is used). */
double hygiene_evictable_perc(const struct hygiene_figures *f);
/* The volatile-* policy has too little to evict. */
bool hygiene_warning(const struct hygiene_figures *f);

/* INFO keyspace_hygiene. */
void hygiene_info(struct engine *eng, struct buf *out);
/* Shard 0 calls this every tick: logs the warning at most once a minute. */
void hygiene_check(struct shard *sh);

#endif
