/* The engine's figures: every shard's published counters (shard_stats)
 * summed, as INFO and MEMORY report them. Each shard publishes its own
 * counters; any shard may read them all. The caller publishes its own
 * shard's first (db_publish_stats) if it wants them current.
 */
#ifndef TESSERA_SHARD_TOTALS_H
#define TESSERA_SHARD_TOTALS_H

#include <stdint.h>

struct engine;

struct shard_totals {
	uint64_t keys, expires, memory, commands, connections_received, clients;
	uint64_t hits, misses, expired, in_bytes, out_bytes, rejected, messages;
	uint64_t memory_peak, dataset, volatile_bytes, evicted;
	uint64_t expire_cycle_ms;
	uint64_t clients_memory, evicted_clients, output_limit_disconnections, error_replies;
	uint64_t client_max_output, client_max_input;   /* the largest of the shards' */
	double stale_perc_weighted, avg_ttl_weighted;   /* by keys with a TTL */
};

void shard_totals_sum(struct engine *eng, struct shard_totals *t);
/* The sum of the shards' peaks, but never below what is used now. */
uint64_t shard_totals_peak(const struct shard_totals *t);

#endif
