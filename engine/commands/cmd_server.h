/* Server commands that are not about keys: CONFIG, TIME, SHUTDOWN.
 * (COMMAND: cmd_command.h; INFO: info.h; DBSIZE, FLUSHALL and KEYS run per
 * shard: cmd_keys.h.) */
#ifndef TESSERA_CMD_SERVER_H
#define TESSERA_CMD_SERVER_H

#include "shard/handler.h"

void cmd_config(struct cmd_ctx *ctx);
void cmd_time(struct cmd_ctx *ctx);
void cmd_shutdown(struct cmd_ctx *ctx);

#endif
