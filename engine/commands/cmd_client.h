/* CLIENT and its subcommands: the connection's own (ID, GETNAME, SETNAME,
 * SETINFO, INFO, HELP) run on its shard; LIST and KILL reach every shard,
 * since each shard owns its connections. */
#ifndef TESSERA_CMD_CLIENT_H
#define TESSERA_CMD_CLIENT_H

#include "shard/handler.h"

void cmd_client(struct cmd_ctx *ctx);

#endif
