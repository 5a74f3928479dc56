/* INFO [section ...]: Redis 7.0's sections and field names, plus `shards`.
 * Every shard first publishes its figures (a part each, as DBSIZE asks
 * them), so INFO's keys, memory, expired_present and dataplane counters are
 * those at the moment of the command, not of each shard's last tick; then
 * the section texts are written from the published counters (relaxed
 * atomics). Client buffer figures are still those of the last tick (100 ms). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/config.h"
#include "base/version.h"
#include "commands/info.h"
#include "db/db.h"
#include "db/evict.h"
#include "db/expire.h"
#include "db/keyspace_hygiene.h"
#include "request/gather.h"
#include "request/pending.h"
#include "request/routing.h"
#include "resp/error_stats.h"
#include "resp/reply.h"
#include "shard/shard.h"
#include "shard/shard_totals.h"

static void human_bytes(char *out, size_t n, unsigned long long v)
{
	if (v < 1024)
		snprintf(out, n, "%lluB", v);
	else if (v < 1024ULL * 1024)
		snprintf(out, n, "%.2fK", v / 1024.0);
	else if (v < 1024ULL * 1024 * 1024)
		snprintf(out, n, "%.2fM", v / (1024.0 * 1024));
	else
		snprintf(out, n, "%.2fG", v / (1024.0 * 1024 * 1024));
}

unsigned long long info_rss_bytes(void)
{
	unsigned long long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (unsigned long long)sysconf(_SC_PAGESIZE);
}

#define LINE(...) do { int n_ = snprintf(tmp, sizeof(tmp), __VA_ARGS__); \
	buf_append(b, tmp, (size_t)(n_ < (int)sizeof(tmp) ? n_ : (int)sizeof(tmp) - 1)); } while (0)

static void section_server(struct buf *b, struct shard *sh)
{
	char tmp[512];
	struct utsname u;
	uname(&u);
	int64_t up = (sh->now_ms - sh->engine->start_ms) / 1000;
	LINE("# Server\r\nredis_version:%s\r\ntessera_version:%s\r\nredis_mode:standalone\r\n"
	     "os:%s %s %s\r\narch_bits:64\r\nmultiplexing_api:io_uring\r\nprocess_id:%d\r\n"
	     "tcp_port:%lld\r\nserver_time_usec:%lld\r\nuptime_in_seconds:%lld\r\n"
	     "uptime_in_days:%lld\r\nshards:%u\r\n",
	     REDIS_COMPAT_VERSION, TESSERA_VERSION, u.sysname, u.release, u.machine, (int)getpid(),
	     CFG(port), (long long)sh->now_ms * 1000, (long long)up, (long long)up / 86400,
	     sh->nshards);
}

static void section_clients(struct buf *b, const struct shard_totals *t)
{
	char tmp[256];
	LINE("# Clients\r\nconnected_clients:%llu\r\nmaxclients:%lld\r\n"
	     "client_recent_max_input_buffer:%llu\r\nclient_recent_max_output_buffer:%llu\r\n"
	     "blocked_clients:0\r\n",
	     (unsigned long long)t->clients, CFG(maxclients),
	     (unsigned long long)t->client_max_input, (unsigned long long)t->client_max_output);
}

static void section_memory(struct buf *b, struct engine *eng, const struct shard_totals *t)
{
	char tmp[1024], used_h[32], rss_h[32], max_h[32], peak_h[32];
	unsigned long long rss = info_rss_bytes();
	/* used_memory: what the shards' heaps hold for their keyspaces, plus
	 * connections and shard state; the figure eviction budgets against.
	 * The peak is the sum of each shard's own peak. */
	unsigned long long used = t->memory, peak = shard_totals_peak(t);
	human_bytes(used_h, sizeof(used_h), used);
	human_bytes(rss_h, sizeof(rss_h), rss);
	human_bytes(peak_h, sizeof(peak_h), peak);
	human_bytes(max_h, sizeof(max_h), (unsigned long long)CFG(maxmemory));
	LINE("# Memory\r\nused_memory:%llu\r\nused_memory_human:%s\r\nused_memory_rss:%llu\r\n"
	     "used_memory_rss_human:%s\r\nused_memory_peak:%llu\r\nused_memory_peak_human:%s\r\n"
	     "used_memory_dataset:%llu\r\nmaxmemory:%lld\r\nmaxmemory_human:%s\r\n"
	     "maxmemory_policy:%s\r\nmem_fragmentation_ratio:%.2f\r\nmem_allocator:%s\r\n"
	     "mem_clients_slaves:0\r\nmem_clients_normal:%llu\r\n",
	     used, used_h, rss, rss_h, peak, peak_h, (unsigned long long)t->dataset,
	     CFG(maxmemory), max_h, config_policy_name(CFG(maxmemory_policy)),
	     used ? (double)rss / (double)used : 0.0, shard_heap_allocator(),
	     (unsigned long long)t->clients_memory);
	for (unsigned i = 0; i < eng->nshards; i++) {
		struct shard *sh = eng->shards[i];
		LINE("shard%u_memory:used=%llu,budget=%llu,dataset=%llu,evicted_keys=%llu\r\n", i,
		     (unsigned long long)STAT_GET(sh->stats.memory),
		     (unsigned long long)evict_budget(sh),
		     (unsigned long long)STAT_GET(sh->stats.dataset_bytes),
		     (unsigned long long)STAT_GET(sh->stats.evicted_keys));
	}
}

static void section_persistence(struct buf *b)
{
	buf_append_str(b, "# Persistence\r\nloading:0\r\nrdb_changes_since_last_save:0\r\n"
			  "rdb_bgsave_in_progress:0\r\nrdb_last_bgsave_status:ok\r\naof_enabled:0\r\n");
}

static void section_stats(struct buf *b, const struct shard_totals *t)
{
	char tmp[1024];
	LINE("# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
	     "total_net_input_bytes:%llu\r\ntotal_net_output_bytes:%llu\r\n"
	     "rejected_connections:%llu\r\nexpired_keys:%llu\r\nexpired_stale_perc:%.2f\r\n"
	     "expired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:%llu\r\n"
	     "evicted_keys:%llu\r\nevicted_clients:%llu\r\n"
	     "keyspace_hits:%llu\r\nkeyspace_misses:%llu\r\ncross_shard_messages:%llu\r\n"
	     "unexpected_error_replies:0\r\ntotal_error_replies:%llu\r\n"
	     "client_output_buffer_limit_disconnections:%llu\r\n",
	     (unsigned long long)t->connections_received, (unsigned long long)t->commands,
	     (unsigned long long)t->in_bytes, (unsigned long long)t->out_bytes,
	     (unsigned long long)t->rejected, (unsigned long long)t->expired,
	     t->expires ? t->stale_perc_weighted / (double)t->expires : 0.0,
	     (unsigned long long)t->expire_cycle_ms,
	     (unsigned long long)t->evicted, (unsigned long long)t->evicted_clients,
	     (unsigned long long)t->hits, (unsigned long long)t->misses,
	     (unsigned long long)t->messages, (unsigned long long)t->error_replies,
	     (unsigned long long)t->output_limit_disconnections);
}

static void section_replication(struct buf *b)
{
	buf_append_str(b, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
}

static void section_cpu(struct buf *b)
{
	char tmp[256];
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	LINE("# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n",
	     (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
	     (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
}

static void section_keyspace(struct buf *b, const struct shard_totals *t)
{
	char tmp[256];
	buf_append_str(b, "# Keyspace\r\n");
	if (t->keys)
		LINE("db0:keys=%llu,expires=%llu,avg_ttl=%llu\r\n", (unsigned long long)t->keys,
		     (unsigned long long)t->expires,
		     (unsigned long long)(t->expires ? t->avg_ttl_weighted / (double)t->expires : 0));
}

static void section_shards(struct buf *b, struct engine *eng)
{
	char tmp[256];
	LINE("# Shards\r\nshards:%u\r\n", eng->nshards);
	for (unsigned i = 0; i < eng->nshards; i++) {
		struct shard_stats *s = &eng->shards[i]->stats;
		/* ops: commands from this shard's connections plus parts it ran
		 * for other shards' connections. */
		LINE("shard%u:keys=%llu,ops=%llu,connections=%llu,memory=%llu,cross_shard_messages=%llu,"
		     "longest_iteration_us=%llu\r\n",
		     i, (unsigned long long)STAT_GET(s->keys),
		     (unsigned long long)(STAT_GET(s->commands) + STAT_GET(s->remote_executed)),
		     (unsigned long long)STAT_GET(s->connected_clients),
		     (unsigned long long)STAT_GET(s->memory),
		     (unsigned long long)STAT_GET(s->cross_shard_messages),
		     (unsigned long long)STAT_GET(s->longest_iteration_us));
	}
}

static void section_dataplane(struct buf *b, struct shard *sh)
{
	struct engine *eng = sh->engine;
	buf_append_str(b, "# Dataplane\r\n");
	if (eng->dataplane_info)
		eng->dataplane_info(eng, b);
	else
		buf_append_str(b, "dataplane:kernel\r\n");
}

/* Every shard's error codes summed, in code order as Redis lists them. */
struct error_total {
	const char *code;
	uint64_t count;
};

static int by_code(const void *a, const void *b)
{
	return strcmp(((const struct error_total *)a)->code, ((const struct error_total *)b)->code);
}

static void section_errorstats(struct buf *b, struct engine *eng)
{
	static __thread struct error_total totals[ERROR_STATS_CODES];
	unsigned n = 0;
	for (unsigned i = 0; i < eng->nshards; i++) {
		const struct error_stats *s = &eng->shards[i]->errors;
		unsigned ncodes = atomic_load_explicit(&s->ncodes, memory_order_acquire);
		for (unsigned k = 0; k < ncodes; k++) {
			unsigned j = 0;
			while (j < n && strcmp(totals[j].code, s->codes[k].code) != 0)
				j++;
			if (j == n) {
				if (n == ERROR_STATS_CODES)
					continue;
				totals[n++] = (struct error_total){ s->codes[k].code, 0 };
			}
			totals[j].count += atomic_load_explicit(&s->codes[k].count, memory_order_relaxed);
		}
	}
	qsort(totals, n, sizeof(totals[0]), by_code);
	char tmp[128];
	buf_append_str(b, "# Errorstats\r\n");
	for (unsigned j = 0; j < n; j++)
		LINE("errorstat_%s:count=%llu\r\n", totals[j].code, (unsigned long long)totals[j].count);
}

enum { SEC_SERVER, SEC_CLIENTS, SEC_MEMORY, SEC_PERSISTENCE, SEC_STATS, SEC_REPLICATION,
       SEC_CPU, SEC_ERRORSTATS, SEC_KEYSPACE, SEC_HYGIENE, SEC_SHARDS, SEC_DATAPLANE, SEC_COUNT };
static const char *section_names[SEC_COUNT] = {
	"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "errorstats",
	"keyspace", "keyspace_hygiene", "shards", "dataplane",
};

static void wanted_sections(int argc, const struct arg *argv, bool *want)
{
	for (int i = 0; i < SEC_COUNT; i++)
		want[i] = argc == 1;
	for (int a = 1; a < argc; a++) {
		const struct arg *s = &argv[a];
		bool all = arg_is(s, "all") || arg_is(s, "everything") || arg_is(s, "default");
		for (int i = 0; i < SEC_COUNT; i++)
			want[i] |= all || arg_is(s, section_names[i]);
	}
}

/* A shard's figures, now, on its own thread. */
static void publish_figures(struct shard *sh, const bool *want)
{
	db_publish_stats(sh);
	if (want[SEC_HYGIENE])
		STAT_SET(sh->stats.expired_present, expire_count_present(sh, EXPIRE_PRESENT_INFO_MAX));
	if (want[SEC_DATAPLANE] && sh->engine->dataplane_publish)
		sh->engine->dataplane_publish(sh->engine, sh->id);
}

/* The part INFO sends each shard. */
static void publish_part(struct cmd_ctx *ctx)
{
	bool want[SEC_COUNT];
	wanted_sections(ctx->argc, ctx->argv, want);
	publish_figures(ctx->sh, want);
	reply_ok(ctx->out);
}

static void write_info(struct shard *sh, const bool *want, struct buf *out, int resp)
{
	struct shard_totals t;
	struct engine *eng = sh->engine;
	shard_totals_sum(eng, &t);
	struct buf b = { 0 };
	void (*const plain[])(struct buf *) = { [SEC_PERSISTENCE] = section_persistence,
						 [SEC_REPLICATION] = section_replication,
						 [SEC_CPU] = section_cpu };
	for (int i = 0; i < SEC_COUNT; i++) {
		if (!want[i])
			continue;
		if (buf_live(&b))
			buf_append(&b, "\r\n", 2);
		switch (i) {
		case SEC_SERVER: section_server(&b, sh); break;
		case SEC_CLIENTS: section_clients(&b, &t); break;
		case SEC_MEMORY: section_memory(&b, eng, &t); break;
		case SEC_HYGIENE: hygiene_info(eng, &b); break;
		case SEC_STATS: section_stats(&b, &t); break;
		case SEC_KEYSPACE: section_keyspace(&b, &t); break;
		case SEC_SHARDS: section_shards(&b, eng); break;
		case SEC_DATAPLANE: section_dataplane(&b, sh); break;
		case SEC_ERRORSTATS: section_errorstats(&b, eng); break;
		default: plain[i](&b); break;
		}
	}
	reply_verbatim(out, resp, buf_head(&b), buf_live(&b));
	buf_free(&b);
}

static void info_done(struct shard *sh, struct pending *p)
{
	if (!gather_first_error(p, sh->nshards, &p->reply)) {
		int argc;
		struct arg *argv = pending_saved_args(p, &argc);
		bool want[SEC_COUNT];
		wanted_sections(argc, argv, want);
		write_info(sh, want, &p->reply, p->resp);
	}
	pending_finish(sh, p);
}

void cmd_info(struct cmd_ctx *ctx)
{
	struct shard *sh = ctx->sh;
	if (sh->nshards == 1) {
		bool want[SEC_COUNT];
		wanted_sections(ctx->argc, ctx->argv, want);
		publish_figures(sh, want);
		write_info(sh, want, ctx->out, ctx->resp);
		return;
	}
	struct pending *p = route_open(ctx, info_done, false);
	if (!p)
		return;
	pending_save_args(p, ctx->argc, ctx->argv);
	pending_submit_all(sh, p, publish_part, ctx->argc, ctx->argv);
	pending_arm(sh, p);
}
