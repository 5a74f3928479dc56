/* COMMAND and its subcommands (COUNT, LIST, INFO, DOCS), answered
 * from the command table. */
#ifndef TESSERA_CMD_COMMAND_H
#define TESSERA_CMD_COMMAND_H

#include "shard/handler.h"

void cmd_command(struct cmd_ctx *ctx);

#endif
