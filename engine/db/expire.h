/* Expiry: lazy deletion on access (db.c calls expire_delete) and active
 * deletion of what the keyspace's expiry queue says is due
 * (expiry_queue.h), a slice of bounded time per loop iteration, so that
 * expired keys never pile up whatever the write rate. A slow walk of the table
 * backs the queue up for keys it could not hold (out of memory).
 *
 * The figures INFO reports (expired_stale_perc, avg_ttl) come from a small
 * random sample of keys each tick, averaged over time as Redis does.
 */
#ifndef TESSERA_EXPIRE_H
#define TESSERA_EXPIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyspace/keyspace.h"
#include "shard/shard.h"

/* How long one call may delete due keys before the loop serves clients
 * again. A time bound rather than a count: how many keys come due in an
 * iteration depends on the write rate a second (or an hour) ago, not on
 * the commands running now, so a count tied to today's traffic fell
 * behind whenever yesterday's was heavier. */
#define EXPIRE_SLICE_US 3000

/* Delete an expired key and count it in expired_keys. */
void expire_delete(struct shard *sh, struct entry *e);

/* Delete what the expiry queue says is due, for at most EXPIRE_SLICE_US.
 * Returns true if due records remain (call again without sleeping). */
bool expire_due(struct shard *sh);

/* Keys past their TTL that active expiry has not deleted yet: how far
 * behind it is. Counted exactly from the due records, of which at most
 * `limit` are looked at (each may cost a cache miss or two), so a larger
 * backlog reads as `limit`. A key is expired when its TTL is at or before
 * the shard's clock, as lazy expiry judges it. */
uint64_t expire_count_present(struct shard *sh, size_t limit);
/* The limits: every tick, for INFO on other shards (about 0.4 ms at the
 * limit), and on the shard answering INFO (about 1.5 ms). Only a backlog
 * that large costs that much. */
#define EXPIRE_PRESENT_TICK_MAX 4096
#define EXPIRE_PRESENT_INFO_MAX 16384

/* Milliseconds until the next queued expiry (0 if due now), or -1. */
int64_t expire_next_in_ms(const struct shard *sh);

/* Visit up to `segments` table segments from the shard's expiry cursor, deleting
 * expired keys and queueing keys with a TTL that are not queued. */
uint64_t expire_active_cycle(struct shard *sh, unsigned segments);

/* Sample keys for expired_stale_perc and avg_ttl (once per tick). */
void expire_sample_stats(struct shard *sh);

#endif
