/* Messages between shards. A connection's shard (the origin) asks the shard
 * that owns a key (the target) to run a handler; the target writes the reply
 * into the same message and sends it back. The origin allocates and frees
 * every message, from its own pool, so no memory crosses threads for good.
 *
 * Messages are staged per destination and pushed into the single-producer/
 * single-consumer ring of that pair once per loop iteration (shard_flush_outbox).
 * A ring that is full keeps the rest staged for the next iteration: nothing is
 * dropped and per-pair order holds, which is what keeps one connection's
 * commands on one key in order. The target runs a message's handler when the
 * loop drains its rings (loop/shard_loop.c).
 */
#ifndef TESSERA_SHARD_MSG_H
#define TESSERA_SHARD_MSG_H

#include "shard/handler.h"
#include "resp/buf.h"
#include "shard/shard.h"

struct shard_msg {
	struct shard_msg *next_free;
	struct pending *pending;   /* origin's gather; never touched by the target */
	cmd_handler exec;
	uint32_t cmd_flags;        /* CMD_* of the command: the target's memory guard */
	uint16_t origin;
	uint16_t part;
	uint8_t resp;
	int argc;
	struct arg *argv;          /* into storage */
	struct buf storage;        /* argv array and argument bytes, owned */
	struct buf reply;          /* written by the target, owned */
};

/* Copy argv into a message and stage it for `target`. `cmd_flags` (CMD_*)
 * travel with it: the target applies its memory budget by them. */
void shard_send(struct shard *sh, unsigned target, struct pending *p, unsigned part,
		cmd_handler exec, uint32_t cmd_flags, int argc, const struct arg *argv, int resp);

/* A message the target has run (or whose deferred reply a job finished):
 * back to its origin. */
void shard_reply_message(struct shard *sh, struct shard_msg *m);

/* Push staged messages; wakes receivers that sleep. */
void shard_flush_outbox(struct shard *sh);

/* The origin is done with an answered message: back to its pool. */
void shard_msg_release(struct shard *sh, struct shard_msg *m);
/* Free every pooled message (at engine teardown). */
void shard_msg_pool_free(struct shard *sh);

#endif
