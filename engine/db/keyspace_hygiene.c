#include "db/keyspace_hygiene.h"

#include <stdio.h>

#include "base/config.h"
#include "base/log.h"
#include "shard/shard.h"

static bool policy_evicts_only_volatile(long long policy)
{
	return policy == MM_VOLATILE_LRU || policy == MM_VOLATILE_LFU ||
	       policy == MM_VOLATILE_RANDOM || policy == MM_VOLATILE_TTL;
}

static void add_shard(const struct shard *sh, struct hygiene_figures *f)
{
	const struct shard_stats *s = &sh->stats;
	uint64_t keys = STAT_GET(s->keys), ttl_keys = STAT_GET(s->expires);
	uint64_t dataset = STAT_GET(s->dataset_bytes), ttl_bytes = STAT_GET(s->volatile_bytes);
	f->keys_with_ttl += ttl_keys;
	f->keys_without_ttl += keys - ttl_keys;
	f->bytes_with_ttl += ttl_bytes;
	/* The bucket arrays count as bytes without a TTL: nothing evicts them. */
	f->bytes_without_ttl += dataset - ttl_bytes;
	f->used_memory += STAT_GET(s->memory);
	f->expired_present += STAT_GET(s->expired_present);
	long long policy = CFG(maxmemory_policy);
	if (policy == MM_NOEVICTION)
		return;
	f->evictable_bytes += policy_evicts_only_volatile(policy) ? ttl_bytes : dataset;
}

void hygiene_of_shard(const struct shard *sh, struct hygiene_figures *f)
{
	*f = (struct hygiene_figures){ 0 };
	add_shard(sh, f);
}

void hygiene_of_engine(struct engine *eng, struct hygiene_figures *f)
{
	*f = (struct hygiene_figures){ 0 };
	for (unsigned i = 0; i < eng->nshards; i++)
		add_shard(eng->shards[i], f);
}

double hygiene_evictable_perc(const struct hygiene_figures *f)
{
	return f->used_memory ? 100.0 * (double)f->evictable_bytes / (double)f->used_memory : 100.0;
}

bool hygiene_warning(const struct hygiene_figures *f)
{
	return policy_evicts_only_volatile(CFG(maxmemory_policy)) &&
	       f->keys_with_ttl + f->keys_without_ttl > 0 &&
	       hygiene_evictable_perc(f) < HYGIENE_EVICTABLE_WARN_PERC;
}

static int warning_text(char *out, size_t n, const struct hygiene_figures *f)
{
	return snprintf(out, n,
			"maxmemory-policy %s can evict only keys with a TTL, and they hold %.1f%% "
			"of used memory (less than %d%%): at maxmemory, writes will fail with OOM. "
			"Set TTLs on these keys or use an allkeys-* policy",
			config_policy_name(CFG(maxmemory_policy)), hygiene_evictable_perc(f),
			HYGIENE_EVICTABLE_WARN_PERC);
}

static void append_figures(struct buf *out, const char *name, const struct hygiene_figures *f)
{
	char line[320];
	int n = snprintf(line, sizeof(line),
			 "%s:keys_with_ttl=%llu,keys_without_ttl=%llu,bytes_with_ttl=%llu,"
			 "bytes_without_ttl=%llu,evictable_perc=%.2f,expired_present=%llu\r\n",
			 name, (unsigned long long)f->keys_with_ttl,
			 (unsigned long long)f->keys_without_ttl, (unsigned long long)f->bytes_with_ttl,
			 (unsigned long long)f->bytes_without_ttl, hygiene_evictable_perc(f),
			 (unsigned long long)f->expired_present);
	buf_append(out, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
}

void hygiene_info(struct engine *eng, struct buf *out)
{
	struct hygiene_figures total, one;
	char name[32], text[400];
	buf_append_str(out, "# Keyspace_hygiene\r\n");
	hygiene_of_engine(eng, &total);
	append_figures(out, "total", &total);
	for (unsigned i = 0; i < eng->nshards; i++) {
		hygiene_of_shard(eng->shards[i], &one);
		snprintf(name, sizeof(name), "shard%u", i);
		append_figures(out, name, &one);
	}
	if (hygiene_warning(&total)) {
		buf_append_str(out, "hygiene_warning:");
		int n = warning_text(text, sizeof(text), &total);
		buf_append(out, text, (size_t)(n < (int)sizeof(text) ? n : (int)sizeof(text) - 1));
		buf_append_str(out, "\r\n");
	} else {
		buf_append_str(out, "hygiene_warning:none\r\n");
	}
}

void hygiene_check(struct shard *sh)
{
	if (sh->hygiene_logged_ms && sh->now_ms - sh->hygiene_logged_ms < HYGIENE_LOG_INTERVAL_MS)
		return;
	struct hygiene_figures f;
	hygiene_of_engine(sh->engine, &f);
	if (!hygiene_warning(&f))
		return;
	char text[400];
	warning_text(text, sizeof(text), &f);
	log_msg(LOG_WARNING, "WARNING %s.", text);
	sh->hygiene_logged_ms = sh->now_ms;
}
