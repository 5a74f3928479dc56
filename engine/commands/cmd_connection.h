/* Connection commands: they act on the connection itself, so they always
 * run on its own shard with ctx->client set. */
#ifndef TESSERA_CMD_CONNECTION_H
#define TESSERA_CMD_CONNECTION_H

#include "shard/handler.h"

void cmd_ping(struct cmd_ctx *ctx);
void cmd_echo(struct cmd_ctx *ctx);
void cmd_quit(struct cmd_ctx *ctx);
void cmd_hello(struct cmd_ctx *ctx);
void cmd_auth(struct cmd_ctx *ctx);
void cmd_select(struct cmd_ctx *ctx);

/* CLIENT SETNAME's rule, shared with HELLO SETNAME: printable, no spaces. */
bool client_name_is_valid(const struct arg *name);

#endif
