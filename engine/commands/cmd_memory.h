/* MEMORY USAGE, STATS, DOCTOR, PURGE, MALLOC-STATS, HELP: what the shards'
 * heaps hold, in the figures eviction and keyspace hygiene use. */
#ifndef TESSERA_CMD_MEMORY_H
#define TESSERA_CMD_MEMORY_H

#include "shard/handler.h"

/* MEMORY USAGE runs on the key's shard; the rest where the client is. */
void cmd_memory_route(struct cmd_ctx *ctx);

#endif
