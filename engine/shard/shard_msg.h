/* Messages between shards. A connection's shard (the origin) asks the shard
 * that owns a key (the target) to run a handler; the target writes the reply
 * into the same message and sends it back. The origin allocates and frees
 * every message, from its own pool, so no memory crosses threads for good.
 *
 * Messages are staged per destination and pushed into the single-producer/
 * single-consumer ring of that pair once per loop iteration (shard_flush_outbox).
 * A ring that is full keeps the rest staged for the next iteration: nothing is
 * dropped and per-pair order holds, which is what keeps one connection's
 * commands on one key in order.
 */
#ifndef TESSERA_SHARD_MSG_H
#define TESSERA_SHARD_MSG_H

#include "commands/command.h"
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

/* Copy argv into a message and stage it for `target`. */
void shard_send(struct shard *sh, unsigned target, struct pending *p, unsigned part,
		cmd_handler exec, int argc, const struct arg *argv, int resp);

/* A deferred message (shard_job.h) is answered: back to its origin. */
void shard_reply_message(struct shard *sh, struct shard_msg *m);

/* Run a handler on the shard that owns its keys, under that shard's memory
 * budget (evict.h): a CMD_DENYOOM command the policy cannot make room for
 * gets the OOM error instead; every CMD_WRITE is followed by eviction. */
void shard_execute(struct cmd_ctx *ctx, cmd_handler fn, uint32_t flags);

#endif
