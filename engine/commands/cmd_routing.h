/* Commands whose work can span shards and so run in phases on the
 * connection's shard: RENAME, RENAMENX and MSETNX across shards, and the
 * routing of SCAN (by cursor) and OBJECT (by its key in argv[2]).
 * The per-shard work itself lives in cmd_keys.c and cmd_string.c.
 * Cross-shard RENAME and MSETNX are not atomic: see docs/compatibility.md.
 */
#ifndef TESSERA_CMD_ROUTING_H
#define TESSERA_CMD_ROUTING_H

#include "shard/handler.h"

void cmd_rename_route(struct cmd_ctx *ctx);
void cmd_renamenx_route(struct cmd_ctx *ctx);
void cmd_msetnx_route(struct cmd_ctx *ctx);
void cmd_scan_route(struct cmd_ctx *ctx);
void cmd_object_route(struct cmd_ctx *ctx);

#endif
