/* The keyspace as commands see it: lookups that apply lazy expiry, count
 * keyspace hits and misses, and stamp access times; writes that keep the
 * shard's INFO counters right. Command handlers use these, not keyspace_*
 * directly, so that no command forgets an expired key.
 */
#ifndef TESSERA_DB_H
#define TESSERA_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "keyspace/keyspace.h"
#include "resp/resp_parse.h"
#include "shard/shard.h"

/* Lookups return a live key: an expired one is deleted and NULL returned.
 * As Redis's lookupKey* functions:
 *   db_lookup_read     counts a keyspace hit or miss, and touches the key
 *   db_lookup_write    touches the key, counts nothing
 *   db_lookup_notouch  counts a hit or miss, leaves the key's clocks alone
 *                      (EXISTS, TYPE, TTL, OBJECT)
 * "Touch" refreshes the access time (OBJECT IDLETIME, LRU) and, under an LFU
 * policy, the LFU counter. */
struct entry *db_lookup_read(struct shard *sh, const struct arg *key);
struct entry *db_lookup_write(struct shard *sh, const struct arg *key);
struct entry *db_lookup_notouch(struct shard *sh, const struct arg *key);
void db_touch(struct shard *sh, struct entry *e);

/* Redis's LFU counter: starts at LFU_INIT_VAL, grows logarithmically
 * (lfu-log-factor) and decays by one per lfu-decay-time minutes idle. */
#define LFU_INIT_VAL 5
/* The counter as OBJECT FREQ reports it: decayed to now, not stored. */
uint8_t db_lfu_decayed(const struct shard *sh, const struct entry *e);

/* Add a key known to be absent (look it up first), with a TTL of
 * `expire_ms` (absolute ms, 0 = none), set with the insert. The TTL is kept
 * as given even if already past (no db_set_expire() deletion): SET's
 * EXAT/PXAT needs that. NULL if out of memory. */
struct entry *db_add(struct shard *sh, const struct arg *key, const void *val, size_t len,
		     int64_t expire_ms);
/* Replace the value of a live key, keeping its TTL; returns the entry, which
 * may have moved (NULL if out of memory). */
struct entry *db_overwrite(struct shard *sh, struct entry *e, const void *val, size_t len);
/* SET semantics: add or overwrite, and clear the TTL. */
struct entry *db_set(struct shard *sh, const struct arg *key, const void *val, size_t len);
void db_delete(struct shard *sh, struct entry *e);
/* Set (absolute ms) or clear (0) a TTL. Returns the entry, which may have
 * moved (use the returned pointer from then on), or NULL when an expiry at
 * or before now deleted the key (the caller then replies as for a deleted
 * key). Clearing (0) never deletes. */
struct entry *db_set_expire(struct shard *sh, struct entry *e, int64_t when_ms);

static inline bool db_is_expired(const struct shard *sh, const struct entry *e)
{
	int64_t when = entry_expire_ms(e);
	return when != 0 && when <= sh->now_ms;
}

/* Remove every key of this shard; returns how many were removed. */
uint64_t db_flush(struct shard *sh);

/* Keep the INFO counters of this shard in step with its keyspace. */
void db_publish_stats(struct shard *sh);

#endif
