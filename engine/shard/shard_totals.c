#include "shard/shard_totals.h"

#include <string.h>

#include "shard/shard.h"

void shard_totals_sum(struct engine *eng, struct shard_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < eng->nshards; i++) {
		struct shard_stats *s = &eng->shards[i]->stats;
		t->keys += STAT_GET(s->keys);
		t->expires += STAT_GET(s->expires);
		t->memory += STAT_GET(s->memory);
		t->commands += STAT_GET(s->commands);
		t->connections_received += STAT_GET(s->connections_received);
		t->clients += STAT_GET(s->connected_clients);
		t->hits += STAT_GET(s->keyspace_hits);
		t->misses += STAT_GET(s->keyspace_misses);
		t->expired += STAT_GET(s->expired_keys);
		t->in_bytes += STAT_GET(s->net_input_bytes);
		t->out_bytes += STAT_GET(s->net_output_bytes);
		t->rejected += STAT_GET(s->rejected_connections);
		t->messages += STAT_GET(s->cross_shard_messages);
		t->memory_peak += STAT_GET(s->memory_peak);
		t->dataset += STAT_GET(s->dataset_bytes);
		t->volatile_bytes += STAT_GET(s->volatile_bytes);
		t->evicted += STAT_GET(s->evicted_keys);
		t->expire_cycle_ms += STAT_GET(s->expire_cycle_ms);
		t->clients_memory += STAT_GET(s->clients_memory);
		t->error_replies += atomic_load_explicit(&eng->shards[i]->errors.total,
							 memory_order_relaxed);
		t->evicted_clients += STAT_GET(s->evicted_clients);
		t->output_limit_disconnections += STAT_GET(s->output_limit_disconnections);
		uint64_t out = STAT_GET(s->client_recent_max_output);
		uint64_t in = STAT_GET(s->client_recent_max_input);
		t->client_max_output = out > t->client_max_output ? out : t->client_max_output;
		t->client_max_input = in > t->client_max_input ? in : t->client_max_input;
		double ttl_keys = (double)STAT_GET(s->expires);
		t->stale_perc_weighted += ttl_keys * (double)STAT_GET(s->stale_perc_x100) / 100.0;
		t->avg_ttl_weighted += ttl_keys * (double)STAT_GET(s->avg_ttl_ms);
	}
}

uint64_t shard_totals_peak(const struct shard_totals *t)
{
	return t->memory_peak > t->memory ? t->memory_peak : t->memory;
}
