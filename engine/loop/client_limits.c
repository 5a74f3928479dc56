#include "loop/client_limits.h"

#include "base/config.h"
#include "base/log.h"

/* Clients smaller than this are never evicted (Redis's smallest bucket):
 * closing them would free little and hurt many. */
#define EVICT_MIN_CLIENT_BYTES (32 * 1024)

static void close_over_limit(struct client *c, const char *why)
{
	log_msg(LOG_WARNING, "Client id=%llu addr=%s closed for overcoming of %s.",
		(unsigned long long)c->id, c->addr, why);
	client_kill(c);
}

bool client_output_limit_reached(struct client *c)
{
	long long hard = CFG(obuf_limits[CLIENT_CLASS_NORMAL].hard);
	if (hard <= 0 || c->close_asap || client_output_bytes(c) <= (size_t)hard)
		return false;
	STAT_ADD(c->sh->stats.output_limit_disconnections, 1);
	close_over_limit(c, "output buffer limits");
	return true;
}

static void check_soft_limit(struct client *c, long long soft, long long seconds, int64_t now_ms)
{
	if (soft <= 0 || client_output_bytes(c) <= (size_t)soft) {
		c->over_soft_since_ms = 0;
		return;
	}
	if (!c->over_soft_since_ms)
		c->over_soft_since_ms = now_ms;
	if (now_ms - c->over_soft_since_ms >= seconds * 1000) {
		STAT_ADD(c->sh->stats.output_limit_disconnections, 1);
		close_over_limit(c, "output buffer limits");
	}
}

/* The biggest client this shard may evict, or NULL. */
static struct client *biggest_evictable(struct shard *sh, uint64_t *bytes)
{
	struct client *best = NULL;
	*bytes = 0;
	for (struct client *c = sh->clients; c; c = c->next) {
		if (c->no_evict || c->close_asap || c->detached)
			continue;
		uint64_t b = client_memory_bytes(c);
		if (b >= EVICT_MIN_CLIENT_BYTES && b > *bytes) {
			best = c;
			*bytes = b;
		}
	}
	return best;
}

static uint64_t evict_clients(struct shard *sh, uint64_t memory)
{
	long long limit = config_maxmemory_clients();
	if (limit <= 0)
		return memory;
	uint64_t share = (uint64_t)limit / sh->nshards;
	uint64_t bytes;
	struct client *c;
	while (memory > share && (c = biggest_evictable(sh, &bytes)) != NULL) {
		STAT_ADD(sh->stats.evicted_clients, 1);
		close_over_limit(c, "maxmemory-clients");
		memory -= bytes;
	}
	return memory;
}

/* "Recent" as Redis means it for client_recent_max_*: over the last
 * seconds; here this second and the one before. */
static void note_peaks(struct shard *sh, const struct clients_survey *s)
{
	int64_t second = sh->now_ms / 1000;
	if (second != sh->client_peaks.second) {
		bool next = second == sh->client_peaks.second + 1;
		sh->client_peaks.output[1] = next ? sh->client_peaks.output[0] : 0;
		sh->client_peaks.input[1] = next ? sh->client_peaks.input[0] : 0;
		sh->client_peaks.output[0] = sh->client_peaks.input[0] = 0;
		sh->client_peaks.second = second;
	}
	if (s->max_output > sh->client_peaks.output[0])
		sh->client_peaks.output[0] = s->max_output;
	if (s->max_input > sh->client_peaks.input[0])
		sh->client_peaks.input[0] = s->max_input;
	uint64_t out = sh->client_peaks.output[0], in = sh->client_peaks.input[0];
	STAT_SET(sh->stats.client_recent_max_output,
		 out > sh->client_peaks.output[1] ? out : sh->client_peaks.output[1]);
	STAT_SET(sh->stats.client_recent_max_input,
		 in > sh->client_peaks.input[1] ? in : sh->client_peaks.input[1]);
}

void client_limits_tick(struct shard *sh)
{
	const struct obuf_limit *normal = &config.obuf_limits[CLIENT_CLASS_NORMAL];
	long long soft = atomic_load_explicit(&normal->soft, memory_order_relaxed);
	long long seconds = atomic_load_explicit(&normal->soft_seconds, memory_order_relaxed);
	/* Replies from other shards land between commands: the hard limit
	 * is checked here too. */
	for (struct client *c = sh->clients; c; c = c->next)
		if (!c->close_asap && !c->detached && !client_output_limit_reached(c))
			check_soft_limit(c, soft, seconds, sh->now_ms);
	struct clients_survey s;
	clients_survey(sh, &s);
	note_peaks(sh, &s);
	uint64_t memory = evict_clients(sh, s.memory);
	STAT_SET(sh->stats.clients_memory, memory);
	/* The keyspace's budget counts what connections hold steadily: the
	 * replies in flight would make it jitter from tick to tick. */
	sh->overhead_bytes = shard_state_bytes(sh) + (s.held < memory ? s.held : memory);
}
