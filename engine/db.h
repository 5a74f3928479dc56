/* The keyspace as commands see it: lookups that apply lazy expiry, count
 * keyspace hits and misses, and stamp access times; writes that keep the
 * shard's INFO counters right. Command handlers use these, not keyspace_*
 * directly, so that no command forgets an expired key.
 */
#ifndef TESSERA_DB_H
#define TESSERA_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "keyspace.h"
#include "resp_parse.h"
#include "shard.h"

/* A live key for reading: an expired one is deleted and NULL returned.
 * Counts a keyspace hit or miss and refreshes the access time. */
struct entry *db_lookup_read(struct shard *sh, const struct arg *key);
/* The same without hit/miss counting (for writes and for TYPE/EXISTS/TTL,
 * which Redis does not count either... except where noted in the caller). */
struct entry *db_lookup_write(struct shard *sh, const struct arg *key);

/* Add a key known to be absent (look it up first). NULL if out of memory. */
struct entry *db_add(struct shard *sh, const struct arg *key, const void *val, size_t len);
/* Replace the value of a live key, keeping its TTL; returns the entry, which
 * may have moved (NULL if out of memory). */
struct entry *db_overwrite(struct shard *sh, struct entry *e, const void *val, size_t len);
/* SET semantics: add or overwrite, and clear the TTL. */
struct entry *db_set(struct shard *sh, const struct arg *key, const void *val, size_t len);
void db_delete(struct shard *sh, struct entry *e);
/* Set (absolute ms) or clear (0) a TTL. An expiry at or before now deletes
 * the key and returns true (the caller then replies as for a deleted key). */
bool db_set_expire(struct shard *sh, struct entry *e, int64_t when_ms);

static inline bool db_is_expired(const struct shard *sh, const struct entry *e)
{
	return e->expire_ms != 0 && e->expire_ms <= sh->now_ms;
}

/* Remove every key of this shard; returns how many were removed. */
uint64_t db_flush(struct shard *sh);

/* Keep the INFO counters of this shard in step with its keyspace. */
void db_publish_stats(struct shard *sh);

#endif
