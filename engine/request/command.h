/* What a command is: its arity, flags, keys, how it is routed between
 * shards and the function that runs it. The table of every command lives in
 * commands/command_table.c (lookup: commands/command_table.h).
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

#include "request/gather.h"
#include "shard/handler.h"

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

#endif
