#include "commands/command_table.h"
#include "commands/cmd_server.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "base/config.h"
#include "base/log.h"
#include "request/client.h"
#include "request/pending.h"
#include "request/routing.h"
#include "resp/reply.h"

/* ---- CONFIG ------------------------------------------------------------- */

static void config_get(struct cmd_ctx *ctx)
{
	if (ctx->argc < 3) {
		reply_error(ctx->out, "ERR wrong number of arguments for 'config|get' command");
		return;
	}
	unsigned char seen[config_option_count()];
	memset(seen, 0, sizeof(seen));
	struct buf pairs = { 0 };
	int n = 0;
	for (int i = 2; i < ctx->argc; i++)
		n += config_get_matching(ctx->argv[i].p, ctx->argv[i].len, &pairs, seen);
	reply_map(ctx->out, ctx->resp, n);
	buf_append(ctx->out, buf_head(&pairs), buf_live(&pairs));
	buf_free(&pairs);
}

static void config_set(struct cmd_ctx *ctx)
{
	if (ctx->argc < 4 || ctx->argc % 2 != 0) {
		reply_error(ctx->out, "ERR wrong number of arguments for 'config|set' command");
		return;
	}
	char err[1024];
	for (int i = 2; i < ctx->argc; i += 2) {
		for (int j = 2; j < i; j += 2) {
			const struct arg *a = &ctx->argv[i], *b = &ctx->argv[j];
			if (a->len == b->len && !strncasecmp(a->p, b->p, a->len)) {
				reply_errorf(ctx->out, "ERR CONFIG SET failed (possibly related to "
					     "argument '%.*s') - duplicate parameter", (int)a->len, a->p);
				return;
			}
		}
		if (config_set_runtime(ctx->argv[i].p, ctx->argv[i].len, ctx->argv[i + 1].p,
				       ctx->argv[i + 1].len, true, err, sizeof(err)) < 0) {
			reply_error(ctx->out, err);
			return;
		}
	}
	for (int i = 2; i < ctx->argc; i += 2)
		config_set_runtime(ctx->argv[i].p, ctx->argv[i].len, ctx->argv[i + 1].p,
				   ctx->argv[i + 1].len, false, err, sizeof(err));
	reply_ok(ctx->out);
}

/* Each shard resets its own counters: they have a single writer. */
static void stats_reset_shard(struct cmd_ctx *ctx)
{
	struct shard_stats *s = &ctx->sh->stats;
	STAT_SET(s->commands, 0);
	STAT_SET(s->connections_received, 0);
	STAT_SET(s->keyspace_hits, 0);
	STAT_SET(s->keyspace_misses, 0);
	STAT_SET(s->expired_keys, 0);
	STAT_SET(s->net_input_bytes, 0);
	STAT_SET(s->net_output_bytes, 0);
	STAT_SET(s->rejected_connections, 0);
	STAT_SET(s->cross_shard_messages, 0);
	STAT_SET(s->remote_executed, 0);
	STAT_SET(s->longest_iteration_us, 0);
	STAT_SET(s->evicted_clients, 0);
	STAT_SET(s->output_limit_disconnections, 0);
	error_stats_reset(&ctx->sh->errors);
	reply_ok(ctx->out);
}

static void config_resetstat(struct cmd_ctx *ctx)
{
	struct shard *sh = ctx->sh;
	struct pending *p = route_open(ctx, gather_done_fn(GATHER_OK), false);
	if (!p)
		return;
	pending_submit_all(sh, p, stats_reset_shard, ctx->argc, ctx->argv);
	pending_arm(sh, p);
}

void cmd_config(struct cmd_ctx *ctx)
{
	const struct arg *sub = &ctx->argv[1];
	if (arg_is(sub, "get")) {
		config_get(ctx);
	} else if (arg_is(sub, "set")) {
		config_set(ctx);
	} else if (arg_is(sub, "resetstat") && ctx->argc == 2) {
		config_resetstat(ctx);
	} else if (arg_is(sub, "help") && ctx->argc == 2) {
		static const char *lines[] = {
			"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
			"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
			"RESETSTAT", "    Reset statistics reported by the INFO command.",
			"HELP", "    Print this help.",
		};
		int n = (int)(sizeof(lines) / sizeof(lines[0]));
		reply_array(ctx->out, n);
		for (int i = 0; i < n; i++)
			reply_simple(ctx->out, lines[i]);
	} else if (arg_is(sub, "resetstat")) {
		reply_error(ctx->out, "ERR wrong number of arguments for 'config|resetstat' command");
	} else {
		reply_errorf(ctx->out, "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
			     (int)(sub->len < 128 ? sub->len : 128), sub->p);
	}
}

/* ---- TIME, SHUTDOWN ----------------------------------------------------- */

void cmd_time(struct cmd_ctx *ctx)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	reply_array(ctx->out, 2);
	reply_bulk_int(ctx->out, (long long)tv.tv_sec);
	reply_bulk_int(ctx->out, (long long)tv.tv_usec);
}

void cmd_shutdown(struct cmd_ctx *ctx)
{
	bool save = false;
	for (int i = 1; i < ctx->argc; i++) {
		const struct arg *a = &ctx->argv[i];
		if (arg_is(a, "save"))
			save = true;
		else if (!arg_is(a, "nosave") && !arg_is(a, "now") && !arg_is(a, "force")) {
			reply_error(ctx->out, ERR_SYNTAX);
			return;
		}
	}
	if (!ctx->client->authenticated) {
		reply_error(ctx->out, "NOAUTH Authentication required.");
		return;
	}
	if (save) {
		/* Snapshots arrive with the persistence work (persist/); until then
		 * a save that cannot happen must not look like it did. */
		log_msg(LOG_WARNING, "SHUTDOWN SAVE refused: snapshots are not implemented yet");
		reply_error(ctx->out, "ERR Errors trying to SHUTDOWN. Check logs.");
		return;
	}
	log_msg(LOG_NOTICE, "User requested shutdown...");
	atomic_store(&ctx->sh->engine->shutdown_requested, 1);
	for (unsigned i = 0; i < ctx->sh->nshards; i++)
		ctx->sh->engine->wake(ctx->sh->engine, i);
	/* Like Redis: no reply, the connection just closes. */
	ctx->client->close_asap = true;
}
