/* Server commands that are not about keys: COMMAND, INFO, CONFIG, TIME,
 * SHUTDOWN. (DBSIZE, FLUSHALL and KEYS run per shard: cmd_keys.c.) */
#ifndef TESSERA_CMD_SERVER_H
#define TESSERA_CMD_SERVER_H

#include "shard/handler.h"

void cmd_command(struct cmd_ctx *ctx);
void cmd_info(struct cmd_ctx *ctx);
/* The process's resident set size in bytes (used_memory_rss). */
unsigned long long info_rss_bytes(void);
void cmd_config(struct cmd_ctx *ctx);
void cmd_time(struct cmd_ctx *ctx);
void cmd_shutdown(struct cmd_ctx *ctx);

#endif
