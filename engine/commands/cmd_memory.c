#include "commands/command_table.h"
#include "commands/cmd_memory.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "commands/info.h"
#include "db/db.h"
#include "db/evict.h"
#include "db/keyspace_hygiene.h"
#include "request/pending.h"
#include "request/routing.h"
#include "resp/reply.h"
#include "shard/shard.h"
#include "shard/shard_totals.h"

static const char *const memory_help[] = {
	"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Plain advice drawn from the memory figures.",
	"MALLOC-STATS",
	"    The allocator and each shard's heap figures.",
	"PURGE",
	"    Ask every shard's heap to return unused pages to the system.",
	"STATS",
	"    The memory figures, as name/value pairs.",
	"USAGE <key> [SAMPLES <count>]",
	"    Bytes used by <key>, its value and its slot in the table.",
	"HELP",
	"    Print this help.",
};

/* ---- USAGE -------------------------------------------------------------- */

static void memory_usage(struct cmd_ctx *ctx)
{
	/* SAMPLES is accepted for Redis's sake: strings need no sampling. */
	for (int i = 3; i < ctx->argc; i += 2) {
		char *end;
		long long samples;
		if (!arg_is(&ctx->argv[i], "samples") || i + 1 >= ctx->argc) {
			reply_error(ctx->out, "ERR syntax error");
			return;
		}
		char tmp[32];
		const struct arg *v = &ctx->argv[i + 1];
		size_t n = v->len < sizeof(tmp) - 1 ? v->len : sizeof(tmp) - 1;
		memcpy(tmp, v->p, n);
		tmp[n] = '\0';
		samples = strtoll(tmp, &end, 10);
		if (n == 0 || *end || v->len >= sizeof(tmp) - 1) {
			reply_error(ctx->out, "ERR value is not an integer or out of range");
			return;
		}
		if (samples < 0) {
			reply_error(ctx->out, "ERR syntax error");
			return;
		}
	}
	struct entry *e = db_lookup_notouch(ctx->sh, &ctx->argv[2]);
	if (!e) {
		reply_null(ctx->out, ctx->resp);
		return;
	}
	reply_int(ctx->out, (long long)(entry_block_size(e) + sizeof(struct entry *)));
}

/* ---- STATS -------------------------------------------------------------- */

struct memory_figures {
	uint64_t used, peak, dataset, keys, evicted;
	unsigned long long rss;
	struct hygiene_figures hygiene;
};

static void gather(struct shard *sh, struct memory_figures *m)
{
	struct shard_totals t;
	db_publish_stats(sh);
	shard_totals_sum(sh->engine, &t);
	*m = (struct memory_figures){ .used = t.memory, .peak = shard_totals_peak(&t),
				      .dataset = t.dataset, .keys = t.keys, .evicted = t.evicted,
				      .rss = info_rss_bytes() };
	hygiene_of_engine(sh->engine, &m->hygiene);
}

static double percent(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void pair_int(struct buf *out, const char *name, long long v)
{
	reply_bulk_str(out, name);
	reply_int(out, v);
}

static void pair_double(struct buf *out, int resp, const char *name, double v)
{
	reply_bulk_str(out, name);
	reply_double(out, resp, v);
}

static void memory_stats(struct cmd_ctx *ctx)
{
	struct memory_figures m;
	struct engine *eng = ctx->sh->engine;
	gather(ctx->sh, &m);
	reply_map(ctx->out, ctx->resp, 17 + 2 * (long long)eng->nshards);
	pair_int(ctx->out, "peak.allocated", (long long)m.peak);
	pair_int(ctx->out, "total.allocated", (long long)m.used);
	pair_int(ctx->out, "overhead.total", (long long)(m.used - m.dataset));
	pair_int(ctx->out, "keys.count", (long long)m.keys);
	pair_int(ctx->out, "keys.bytes-per-key", m.keys ? (long long)(m.dataset / m.keys) : 0);
	pair_int(ctx->out, "dataset.bytes", (long long)m.dataset);
	pair_double(ctx->out, ctx->resp, "dataset.percentage", percent(m.dataset, m.used));
	pair_double(ctx->out, ctx->resp, "peak.percentage", percent(m.used, m.peak));
	pair_double(ctx->out, ctx->resp, "fragmentation", m.used ? (double)m.rss / (double)m.used : 0);
	pair_int(ctx->out, "fragmentation.bytes", (long long)m.rss - (long long)m.used);
	pair_int(ctx->out, "keys.with-ttl", (long long)m.hygiene.keys_with_ttl);
	pair_int(ctx->out, "keys.without-ttl", (long long)m.hygiene.keys_without_ttl);
	pair_int(ctx->out, "dataset.bytes-with-ttl", (long long)m.hygiene.bytes_with_ttl);
	pair_int(ctx->out, "dataset.bytes-without-ttl", (long long)m.hygiene.bytes_without_ttl);
	pair_double(ctx->out, ctx->resp, "evictable.percentage", hygiene_evictable_perc(&m.hygiene));
	pair_int(ctx->out, "evicted.keys", (long long)m.evicted);
	pair_int(ctx->out, "shards", eng->nshards);
	for (unsigned i = 0; i < eng->nshards; i++) {
		char name[48];
		struct shard *sh = eng->shards[i];
		snprintf(name, sizeof(name), "shard.%u.used", i);
		pair_int(ctx->out, name, (long long)STAT_GET(sh->stats.memory));
		snprintf(name, sizeof(name), "shard.%u.budget", i);
		pair_int(ctx->out, name, (long long)evict_budget(sh));
	}
}

/* ---- DOCTOR ------------------------------------------------------------- */

#define DOCTOR_MIN_BYTES (5u << 20)   /* below this, nothing is worth saying */

static void advise(struct buf *b, unsigned *count, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void advise(struct buf *b, unsigned *count, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	char head[16];
	int h = snprintf(head, sizeof(head), "%u. ", ++*count);
	buf_append(b, head, (size_t)h);
	buf_append(b, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
	buf_append(b, "\n", 1);
}

/* The shard holding the most and the least data. */
static void shard_spread(struct engine *eng, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (unsigned i = 0; i < eng->nshards; i++) {
		uint64_t d = STAT_GET(eng->shards[i]->stats.dataset_bytes);
		*lo = d < *lo ? d : *lo;
		*hi = d > *hi ? d : *hi;
	}
}

static void diagnose(struct shard *sh, const struct memory_figures *m, struct buf *b)
{
	struct engine *eng = sh->engine;
	unsigned count = 0;
	long long max = CFG(maxmemory), policy = CFG(maxmemory_policy);
	if (hygiene_warning(&m->hygiene))
		advise(b, &count, "Eviction cannot help: maxmemory-policy is %s, which evicts only keys "
		       "with a TTL, and those hold %.1f%% of used memory. Once maxmemory is reached "
		       "writes fail with OOM. Give these keys TTLs, or choose an allkeys-* policy.",
		       config_policy_name(policy), hygiene_evictable_perc(&m->hygiene));
	if (max == 0)
		advise(b, &count, "No maxmemory is set: the dataset (%llu bytes) can grow until the "
		       "machine runs out of memory. Set maxmemory; each of the %u shards gets an "
		       "equal share as its eviction budget.", (unsigned long long)m->dataset,
		       eng->nshards);
	else if (policy == MM_NOEVICTION && (double)m->used > 0.9 * (double)max)
		advise(b, &count, "Used memory is %.0f%% of maxmemory and the policy is noeviction: "
		       "writes will soon be refused with OOM. Raise maxmemory, delete keys, or "
		       "choose an evicting policy.", percent(m->used, (uint64_t)max));
	if (m->evicted)
		advise(b, &count, "%llu keys were evicted: the data does not fit in maxmemory. If "
		       "those keys matter, raise maxmemory; if not, this is the policy at work.",
		       (unsigned long long)m->evicted);
	double frag = (double)m->rss / (double)m->used;
	if (frag > 1.5 && m->rss - m->used > (100u << 20))
		advise(b, &count, "The process holds %.2f times the memory its data uses (%llu bytes "
		       "more): memory freed by deletes has not gone back to the system. MEMORY PURGE "
		       "asks every shard's heap to return it.", frag,
		       (unsigned long long)(m->rss - m->used));
	uint64_t lo, hi;
	shard_spread(eng, &lo, &hi);
	if (eng->nshards > 1 && hi > (8u << 20) && hi > 2 * lo)
		advise(b, &count, "Shards are unbalanced: the fullest holds %llu bytes, the emptiest "
		       "%llu. A few very large keys or a hot hash tag concentrate data on one shard, "
		       "and each shard evicts within its own share of maxmemory.",
		       (unsigned long long)hi, (unsigned long long)lo);
	if (count == 0)
		buf_append_str(b, "No memory problems found: eviction can do its job, memory is "
				  "returned to the system, and the shards are balanced.\n");
}

static void memory_doctor(struct cmd_ctx *ctx)
{
	struct memory_figures m;
	struct buf b = { 0 };
	gather(ctx->sh, &m);
	if (m.used < DOCTOR_MIN_BYTES) {
		char line[200];
		int n = snprintf(line, sizeof(line), "This instance holds little data (%llu bytes): "
				 "there is nothing to diagnose yet.\n", (unsigned long long)m.used);
		buf_append(&b, line, (size_t)n);
	} else {
		diagnose(ctx->sh, &m, &b);
	}
	reply_verbatim(ctx->out, ctx->resp, buf_head(&b), buf_live(&b));
	buf_free(&b);
}

/* ---- the rest ----------------------------------------------------------- */

static void memory_malloc_stats(struct cmd_ctx *ctx)
{
	struct engine *eng = ctx->sh->engine;
	struct buf b = { 0 };
	char line[160];
	int n = snprintf(line, sizeof(line), "allocator: %s (one heap per shard)\n",
			 shard_heap_allocator());
	buf_append(&b, line, (size_t)n);
	for (unsigned i = 0; i < eng->nshards; i++) {
		struct shard_stats *s = &eng->shards[i]->stats;
		n = snprintf(line, sizeof(line), "shard %u: dataset %llu bytes, used %llu, peak %llu\n",
			     i, (unsigned long long)STAT_GET(s->dataset_bytes),
			     (unsigned long long)STAT_GET(s->memory),
			     (unsigned long long)STAT_GET(s->memory_peak));
		buf_append(&b, line, (size_t)n);
	}
	reply_verbatim(ctx->out, ctx->resp, buf_head(&b), buf_live(&b));
	buf_free(&b);
}

static void memory_purge(struct cmd_ctx *ctx)
{
	/* Each shard collects its own heap at its next tick (a heap is only
	 * touched by its thread). */
	atomic_fetch_add(&ctx->sh->engine->purge_generation, 1);
	reply_ok(ctx->out);
}

static bool subcommand_arity(struct cmd_ctx *ctx, const char *name, int argc)
{
	if (ctx->argc == argc)
		return true;
	reply_errorf(ctx->out, "ERR wrong number of arguments for 'memory|%s' command", name);
	return false;
}

void cmd_memory_route(struct cmd_ctx *ctx)
{
	const struct arg *sub = &ctx->argv[1];
	if (arg_is(sub, "usage")) {
		if (ctx->argc < 3) {
			reply_error(ctx->out, "ERR wrong number of arguments for 'memory|usage' command");
			return;
		}
		const struct arg *key = &ctx->argv[2];
		route_to_shard(ctx, key_shard(ctx->sh, key->p, key->len),
			       memory_usage);
	} else if (arg_is(sub, "stats")) {
		if (subcommand_arity(ctx, "stats", 2))
			memory_stats(ctx);
	} else if (arg_is(sub, "doctor")) {
		if (subcommand_arity(ctx, "doctor", 2))
			memory_doctor(ctx);
	} else if (arg_is(sub, "malloc-stats")) {
		if (subcommand_arity(ctx, "malloc-stats", 2))
			memory_malloc_stats(ctx);
	} else if (arg_is(sub, "purge")) {
		if (subcommand_arity(ctx, "purge", 2))
			memory_purge(ctx);
	} else if (arg_is(sub, "help")) {
		if (!subcommand_arity(ctx, "help", 2))
			return;
		size_t n = sizeof(memory_help) / sizeof(memory_help[0]);
		reply_array(ctx->out, (long long)n);
		for (size_t i = 0; i < n; i++)
			reply_simple(ctx->out, memory_help[i]);
	} else {
		const char *nul = memchr(sub->p, '\0', sub->len);
		size_t len = nul ? (size_t)(nul - sub->p) : sub->len;
		reply_errorf(ctx->out, "ERR unknown subcommand '%.*s'. Try MEMORY HELP.",
			     (int)(len < 128 ? len : 128), sub->p);
	}
}
