/* String commands. Each handler runs on the shard owning its key(s) and
 * writes exactly one reply; multi-key commands (MGET, MSET) receive only this
 * shard's keys and the framework stitches the parts together.
 */
#ifndef TESSERA_CMD_STRING_H
#define TESSERA_CMD_STRING_H

#include "shard/handler.h"

void cmd_get(struct cmd_ctx *ctx);         /* GET key */
void cmd_set(struct cmd_ctx *ctx);         /* SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT n|KEEPTTL] */
void cmd_setnx(struct cmd_ctx *ctx);       /* SETNX key value -> :1 set, :0 not */
void cmd_setex(struct cmd_ctx *ctx);       /* SETEX key seconds value */
void cmd_psetex(struct cmd_ctx *ctx);      /* PSETEX key milliseconds value */
void cmd_getset(struct cmd_ctx *ctx);      /* GETSET key value: old value, TTL cleared */
void cmd_getdel(struct cmd_ctx *ctx);      /* GETDEL key */
void cmd_getex(struct cmd_ctx *ctx);       /* GETEX key [EX|PX|EXAT|PXAT n|PERSIST] */
void cmd_mget(struct cmd_ctx *ctx);        /* MGET key...: array of bulks/nulls in argv order */
void cmd_mset(struct cmd_ctx *ctx);        /* MSET key value ... */
void cmd_msetnx(struct cmd_ctx *ctx);      /* MSETNX key value ...: all keys on this shard */
void cmd_incr(struct cmd_ctx *ctx);        /* INCR key */
void cmd_decr(struct cmd_ctx *ctx);        /* DECR key */
void cmd_incrby(struct cmd_ctx *ctx);      /* INCRBY key increment */
void cmd_decrby(struct cmd_ctx *ctx);      /* DECRBY key decrement */
void cmd_incrbyfloat(struct cmd_ctx *ctx); /* INCRBYFLOAT key increment (long double, as Redis) */
void cmd_append(struct cmd_ctx *ctx);      /* APPEND key value -> new length */
void cmd_strlen(struct cmd_ctx *ctx);      /* STRLEN key */
void cmd_getrange(struct cmd_ctx *ctx);    /* GETRANGE key start end (SUBSTR too) */
void cmd_setrange(struct cmd_ctx *ctx);    /* SETRANGE key offset value -> new length */

#endif
