/* Expiry: lazy deletion on access (db.c calls expire_delete) and an active
 * pass that walks the table a slice at a time from shard_tick, so that keys
 * nobody reads again are reclaimed too. The engine issue that follows
 * replaces the pass with one that provably keeps up with the write rate;
 * this interface is what it must keep.
 */
#ifndef TESSERA_EXPIRE_H
#define TESSERA_EXPIRE_H

#include <stdint.h>

#include "keyspace.h"
#include "shard.h"

/* Delete an expired key and count it in expired_keys. */
void expire_delete(struct shard *sh, struct entry *e);

/* Visit up to `buckets` buckets from the shard's expiry cursor, deleting
 * expired keys. Returns how many keys it deleted. */
uint64_t expire_active_cycle(struct shard *sh, unsigned buckets);

#endif
