/* Expiry: lazy deletion on access (db.c calls expire_delete) and active
 * deletion of what the keyspace's expiry queue says is due
 * (expiry_queue.h), a bounded batch per loop iteration, so that expired
 * keys never pile up whatever the write rate. A slow walk of the table
 * backs the queue up for keys it could not hold (out of memory).
 *
 * The figures INFO reports (expired_stale_perc, avg_ttl) come from a small
 * random sample of keys each tick, averaged over time as Redis does.
 */
#ifndef TESSERA_EXPIRE_H
#define TESSERA_EXPIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "keyspace.h"
#include "shard.h"

/* Records one call may take from the queue at least (about 100-300 µs). */
#define EXPIRE_DUE_BUDGET 2000
/* And at most, however many commands ran (a few ms). */
#define EXPIRE_DUE_BUDGET_MAX 65536

/* How many due records this iteration may take: the fixed budget plus two
 * per command run since the last call. A command adds at most one key with
 * a TTL, so expiry outpaces any write rate, even on a saturated core. */
unsigned expire_due_budget(struct shard *sh);

/* Delete an expired key and count it in expired_keys. */
void expire_delete(struct shard *sh, struct entry *e);

/* Delete what the expiry queue says is due, up to `budget` records.
 * Returns true if due records remain (call again without sleeping). */
bool expire_due(struct shard *sh, unsigned budget);

/* Milliseconds until the next queued expiry (0 if due now), or -1. */
int64_t expire_next_in_ms(const struct shard *sh);

/* Visit up to `segments` table segments from the shard's expiry cursor, deleting
 * expired keys and queueing keys with a TTL that are not queued. */
uint64_t expire_active_cycle(struct shard *sh, unsigned segments);

/* Sample keys for expired_stale_perc and avg_ttl (once per tick). */
void expire_sample_stats(struct shard *sh);

#endif
