/* A command handler and the context it runs in. A shard runs handlers for
 * its own connections and, from messages (shard_msg.h), for connections of
 * other shards; what a command is (arity, flags, routing) is described by
 * struct command (request/command.h), whose table lives in commands/.
 */
#ifndef TESSERA_HANDLER_H
#define TESSERA_HANDLER_H

#include <stdbool.h>

#include "resp/buf.h"
#include "resp/resp_parse.h"

struct client;
struct command;
struct pending;
struct shard;
struct shard_msg;

/* Everything a command handler may touch. The handler writes exactly one
 * reply to `out`. `client` is NULL when the command runs on behalf of a
 * connection of another shard: key commands must not need it. */
struct cmd_ctx {
	struct shard *sh;
	struct client *client;
	/* The command as the client named it (its table entry): handlers
	 * that route work on need it, and never look themselves up by name,
	 * which a renamed command would break. NULL in the parts a command
	 * sends to other shards. */
	const struct command *cmd;
	int argc;
	struct arg *argv;
	struct buf *out;
	int resp;             /* 2 or 3: the protocol of the connection */
	/* Where `out` belongs, so that a CMD_SLICED handler can hand its reply
	 * to a job (request/execute.h): a message from another shard, or a
	 * part of this shard's own pending. Both NULL for a plain inline call. */
	struct shard_msg *msg;
	struct pending *pending;
	unsigned part;
	bool deferred;        /* a job owns `out` now and will complete it */
};

typedef void (*cmd_handler)(struct cmd_ctx *ctx);

#endif
