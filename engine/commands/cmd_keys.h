/* Generic key commands. Each handler runs on the shard owning its key(s) and
 * sees only that shard's keyspace: ROUTE_MULTI commands (DEL, EXISTS...) get
 * this shard's keys, ROUTE_ALL ones (KEYS, DBSIZE, FLUSHALL, RANDOMKEY)
 * answer for this shard alone and the framework combines the parts.
 *
 * SCAN cursors name a shard and a position in its table:
 *
 *     cursor = (table_cursor << SCAN_CURSOR_SHARD_BITS) | shard_index
 *
 * "0" starts at shard 0, table position 0. A shard that finishes its table
 * hands out (0 << 8) | (shard_index + 1), and the last shard hands out 0, so
 * a full iteration visits every shard in order and ends on "0" as in Redis.
 * table_cursor is keyspace_scan's reverse-binary cursor, which stays below
 * the table size, so the shift loses nothing.
 */
#ifndef TESSERA_CMD_KEYS_H
#define TESSERA_CMD_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "shard/handler.h"

#define SCAN_CURSOR_SHARD_BITS 8

static inline unsigned scan_cursor_shard(uint64_t cursor)
{
	return (unsigned)(cursor & ((1u << SCAN_CURSOR_SHARD_BITS) - 1));
}

static inline uint64_t scan_cursor_table(uint64_t cursor)
{
	return cursor >> SCAN_CURSOR_SHARD_BITS;
}

/* Parse a SCAN cursor exactly as Redis does (strtoul base 10: "" is 0, "-1"
 * wraps, no leading space, nothing after the digits). False means the
 * caller must reply "ERR invalid cursor". */
bool scan_parse_cursor(const struct arg *a, uint64_t *cursor);

void cmd_del(struct cmd_ctx *ctx);        /* DEL and UNLINK key...: how many existed */
void cmd_exists(struct cmd_ctx *ctx);     /* EXISTS key...: repeats count again */
void cmd_touch(struct cmd_ctx *ctx);      /* TOUCH key...: refreshes access times */
void cmd_type(struct cmd_ctx *ctx);       /* TYPE key: +string / +none */
void cmd_expire(struct cmd_ctx *ctx);     /* EXPIRE key seconds [NX|XX|GT|LT] */
void cmd_pexpire(struct cmd_ctx *ctx);    /* PEXPIRE key ms [NX|XX|GT|LT] */
void cmd_expireat(struct cmd_ctx *ctx);   /* EXPIREAT key unix-seconds [NX|XX|GT|LT] */
void cmd_pexpireat(struct cmd_ctx *ctx);  /* PEXPIREAT key unix-ms [NX|XX|GT|LT] */
void cmd_ttl(struct cmd_ctx *ctx);        /* TTL key: seconds, -1 no TTL, -2 missing */
void cmd_pttl(struct cmd_ctx *ctx);       /* PTTL key: as TTL in ms */
void cmd_expiretime(struct cmd_ctx *ctx); /* EXPIRETIME key: absolute unix seconds */
void cmd_pexpiretime(struct cmd_ctx *ctx);/* PEXPIRETIME key: absolute unix ms */
void cmd_persist(struct cmd_ctx *ctx);    /* PERSIST key: :1 if a TTL was removed */
void cmd_rename(struct cmd_ctx *ctx);     /* RENAME src dst, both keys on this shard */
void cmd_renamenx(struct cmd_ctx *ctx);   /* RENAMENX src dst, both keys on this shard */
void cmd_keys(struct cmd_ctx *ctx);       /* KEYS pattern: this shard's matching live keys */
void cmd_dbsize(struct cmd_ctx *ctx);     /* DBSIZE: this shard's key count */
void cmd_flushall(struct cmd_ctx *ctx);   /* FLUSHALL and FLUSHDB [ASYNC|SYNC]: empties this shard */
void cmd_randomkey(struct cmd_ctx *ctx);  /* RANDOMKEY: a live key of this shard or null */
void cmd_object(struct cmd_ctx *ctx);     /* OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key, OBJECT HELP */
/* SCAN cursor [MATCH p] [COUNT n] [TYPE t], on the shard the cursor names:
 * argv exactly as the client sent it. Replies [next cursor, keys]. */
void cmd_scan_shard(struct cmd_ctx *ctx);

/* Cross-shard RENAME, source side: argv [name, key]. Deletes a live key and
 * replies [value, expire_ms (0 = none)]; a missing key gets a null array. */
void cmd_internal_take(struct cmd_ctx *ctx);
/* Cross-shard RENAME, destination side: argv [name, key, value, expire_ms,
 * nx]. With nx "1" a live key is left alone (:0); otherwise the key is set,
 * overwriting, with that expiry (0 = none) and :1 replied. */
void cmd_internal_put(struct cmd_ctx *ctx);

#endif
