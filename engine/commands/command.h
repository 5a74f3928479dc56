/* The command table: what each command is, how it is routed between shards,
 * and the function that runs it.
 *
 * Flags (defined once here):
 *   CMD_WRITE     may modify the keyspace
 *   CMD_READONLY  only reads the keyspace
 *   CMD_FAST      O(1) or O(log n): listed as "fast" in COMMAND INFO
 *   CMD_NOAUTH    allowed before AUTH when requirepass is set (AUTH, HELLO, QUIT)
 *   CMD_ADMIN     server administration (CONFIG, SHUTDOWN, FLUSHALL...)
 *   CMD_DENYOOM   may grow memory: refused when over maxmemory
 *   CMD_SLICED    its work on a shard runs in bounded slices between poll
 *                 iterations (KEYS): it always runs through a pending, even
 *                 with one shard, so its reply can come later
 *
 * Routing (enum route) says where a command runs:
 *   ROUTE_LOCAL   on the connection's own shard, with its client (PING, CLIENT..)
 *   ROUTE_KEY     on the shard owning argv[first_key]
 *   ROUTE_MULTI   split by key over the owning shards, replies gathered
 *                 (keys at first_key, first_key+key_step, ...)
 *   ROUTE_ALL     on every shard, replies gathered (DBSIZE, KEYS, FLUSHALL)
 *   ROUTE_CUSTOM  the handler runs on the connection's shard and routes the
 *                 work itself (RENAME, SCAN, MSETNX)
 */
#ifndef TESSERA_COMMAND_H
#define TESSERA_COMMAND_H

#include <stdbool.h>
#include <stdint.h>

#include "resp/buf.h"
#include "resp/resp_parse.h"

struct shard;
struct client;

enum {
	CMD_WRITE = 1u << 0,
	CMD_READONLY = 1u << 1,
	CMD_FAST = 1u << 2,
	CMD_NOAUTH = 1u << 3,
	CMD_ADMIN = 1u << 4,
	CMD_DENYOOM = 1u << 5,
	CMD_SLICED = 1u << 6,    /* may reply from a job, in slices between poll iterations */
};

enum route { ROUTE_LOCAL, ROUTE_KEY, ROUTE_MULTI, ROUTE_ALL, ROUTE_CUSTOM };

/* How the replies of a ROUTE_MULTI or ROUTE_ALL command's parts combine. */
enum gather {
	GATHER_NONE,
	GATHER_SUM,          /* integer replies added (DEL, EXISTS, DBSIZE) */
	GATHER_MGET,         /* array elements put back in key order */
	GATHER_OK,           /* +OK if every part said +OK */
	GATHER_CONCAT_ARRAY, /* array elements concatenated (KEYS) */
	GATHER_RANDOM,       /* one non-null bulk picked (RANDOMKEY) */
};

/* Everything a command handler may touch. The handler writes exactly one
 * reply to `out`. `client` is NULL when the command runs on behalf of a
 * connection of another shard: key commands must not need it. */
struct cmd_ctx {
	struct shard *sh;
	struct client *client;
	int argc;
	struct arg *argv;
	struct buf *out;
	int resp;             /* 2 or 3: the protocol of the connection */
	/* Where `out` belongs, so that a CMD_SLICED handler can hand its reply
	 * to a job (shard_job.h): a message from another shard, or a part of
	 * this shard's own pending. Both NULL for a plain inline call. */
	struct shard_msg *msg;
	struct pending *pending;
	unsigned part;
	bool deferred;        /* a job owns `out` now and will complete it */
};

typedef void (*cmd_handler)(struct cmd_ctx *ctx);

struct command {
	const char *name;     /* lower case */
	int arity;            /* Redis convention: -N means at least N */
	uint32_t flags;
	int first_key, last_key, key_step; /* as COMMAND INFO reports them */
	enum route route;
	enum gather gather;
	cmd_handler handler;
	const char *group;    /* COMMAND DOCS */
	const char *since;
	const char *summary;
};

/* Look a command up by name, any case. NULL if unknown. */
const struct command *command_lookup(const char *name, size_t len);
/* Iterate the table (for COMMAND, COMMAND COUNT). */
const struct command *command_at(int i);
int command_count(void);
void command_table_init(void);

/* Compare an argument with a lower-case literal, ignoring case. */
bool arg_is(const struct arg *a, const char *lower);

#endif
