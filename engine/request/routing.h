/* Where a command runs when the keyspace is split over shards: on the
 * connection's shard when its keys are there, else on their owners, with
 * the replies gathered back in request order (pending.h). Used by the
 * dispatcher (loop/client_input.c) for each enum route, and by handlers
 * that route their own work (ROUTE_CUSTOM).
 */
#ifndef TESSERA_ROUTING_H
#define TESSERA_ROUTING_H

#include "request/command.h"
#include "request/pending.h"

/* Each takes the command from ctx->cmd (the entry the client named, which a
 * renamed command keeps), never from a lookup by name. */

/* Run `exec` on shard `target` for the client in ctx and reply with what it
 * replies: inline when local, else through a pending (under the command's
 * flags). */
void route_to_shard(struct cmd_ctx *ctx, unsigned target, cmd_handler exec);
/* A pending for ctx's client and command (pending.h), or NULL after
 * replying the out-of-memory error: what a handler that routes its own
 * work opens first. */
struct pending *route_open(struct cmd_ctx *ctx, pending_done_fn done, bool barrier);
/* ROUTE_KEY: on the shard that owns argv[first_key]. */
void route_by_key(struct cmd_ctx *ctx);
/* ROUTE_MULTI: split by owning shard and gathered; inline when every key is
 * local, which is always the case with one shard. */
void route_split(struct cmd_ctx *ctx);
/* ROUTE_ALL: on every shard, gathered. */
void route_all(struct cmd_ctx *ctx);

#endif
