#include "request/execute.h"

#include "db/db.h"
#include "db/evict.h"
#include "request/command.h"
#include "request/pending.h"
#include "resp/reply.h"
#include "shard/shard_msg.h"

/* What a write may add: its arguments' bytes and an entry's overhead for
 * each key it may create. Over-counting an overwrite near the limit only
 * refuses it a little early; under-counting would leave the shard over
 * budget after a write returned. */
static uint64_t write_estimate(const struct cmd_ctx *ctx)
{
	uint64_t bytes = 0;
	for (int i = 1; i < ctx->argc; i++)
		bytes += ctx->argv[i].len + ENTRY_OVERHEAD_ESTIMATE;
	return bytes;
}

void shard_execute(struct cmd_ctx *ctx, cmd_handler fn, uint32_t flags)
{
	if ((flags & CMD_DENYOOM) && !evict_make_room(ctx->sh, write_estimate(ctx))) {
		reply_error(ctx->out, EVICT_OOM_ERROR);
		return;
	}
	fn(ctx);
	if (flags & CMD_WRITE) {
		evict_make_room(ctx->sh, 0);
		/* Before the reply can leave: an INFO that follows it on another
		 * connection, served by another shard, counts this write. */
		db_publish_stats(ctx->sh);
	}
}

static void reply_to_message(struct shard *sh, void *msg)
{
	shard_reply_message(sh, msg);
}

static void finish_pending_part(struct shard *sh, void *pending)
{
	pending_part_finished(sh, pending);
}

bool shard_job_defer(struct cmd_ctx *ctx, job_step_fn step, job_free_fn free_state, void *state)
{
	bool started;
	if (ctx->msg)
		started = shard_job_start(ctx->sh, step, free_state, state, ctx->out,
					  reply_to_message, ctx->msg);
	else if (ctx->pending)
		started = shard_job_start(ctx->sh, step, free_state, state, ctx->out,
					  finish_pending_part, ctx->pending);
	else
		return false;
	if (!started)
		return false;
	if (ctx->pending)
		pending_part_deferred(ctx->pending);
	ctx->deferred = true;
	return true;
}
