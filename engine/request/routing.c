#include "request/routing.h"

#include "request/client.h"
#include "request/execute.h"
#include "request/gather.h"
#include "request/pending.h"
#include "resp/reply.h"

struct pending *route_open(struct cmd_ctx *ctx, pending_done_fn done, bool barrier)
{
	struct pending *p = pending_open(ctx->sh, ctx->client, ctx->cmd, done, barrier);
	if (!p)
		reply_error(ctx->out, "ERR out of memory");
	return p;
}

void route_to_shard(struct cmd_ctx *ctx, unsigned target, cmd_handler exec)
{
	struct shard *sh = ctx->sh;
	if (target == sh->id) {
		shard_execute(ctx, exec, ctx->cmd->flags);
		return;
	}
	struct pending *p = route_open(ctx, gather_copy_done, false);
	if (!p)
		return;
	pending_submit(sh, p, 0, target, exec, ctx->argc, ctx->argv);
	pending_arm(sh, p);
}

void route_by_key(struct cmd_ctx *ctx)
{
	const struct command *cmd = ctx->cmd;
	const struct arg *key = &ctx->argv[cmd->first_key];
	route_to_shard(ctx, key_shard(ctx->sh, key->p, key->len), cmd->handler);
}

static int last_key_index(const struct command *cmd, int argc)
{
	return cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
}

void route_split(struct cmd_ctx *ctx)
{
	const struct command *cmd = ctx->cmd;
	struct shard *sh = ctx->sh;
	int first = cmd->first_key, step = cmd->key_step, last = last_key_index(cmd, ctx->argc);
	bool all_local = true;
	for (int i = first; i <= last && all_local; i += step)
		all_local = key_shard(sh, ctx->argv[i].p, ctx->argv[i].len) == sh->id;
	if (all_local) {
		shard_execute(ctx, cmd->handler, cmd->flags);
		return;
	}
	struct pending *p = route_open(ctx, gather_done_fn(cmd->gather), false);
	if (!p)
		return;
	pending_submit_split(sh, p, cmd->handler, ctx->argc, ctx->argv, first, step, last);
	pending_arm(sh, p);
}

void route_all(struct cmd_ctx *ctx)
{
	const struct command *cmd = ctx->cmd;
	struct shard *sh = ctx->sh;
	struct pending *p = route_open(ctx, gather_done_fn(cmd->gather), false);
	if (!p)
		return;
	pending_submit_all(sh, p, cmd->handler, ctx->argc, ctx->argv);
	pending_arm(sh, p);
}
