/* Running a handler on the shard that owns its keys, and where its reply
 * goes when the handler cannot give it at once.
 */
#ifndef TESSERA_EXECUTE_H
#define TESSERA_EXECUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "shard/handler.h"
#include "shard/shard_job.h"

/* Run a handler under this shard's memory budget (db/evict.h): a
 * CMD_DENYOOM command the policy cannot make room for gets the OOM error
 * instead; every CMD_WRITE is followed by eviction and publishes the
 * shard's counters before its reply can leave. */
void shard_execute(struct cmd_ctx *ctx, cmd_handler fn, uint32_t flags);

/* From a CMD_SLICED handler: the reply will come from `step`, in slices
 * between poll iterations, and go back to the message or pending that
 * `ctx->out` belongs to. False (out of memory, or no pending or message to
 * defer to): the handler must reply itself. */
bool shard_job_defer(struct cmd_ctx *ctx, job_step_fn step, job_free_fn free_state, void *state);

#endif
