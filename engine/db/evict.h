/* Eviction: each shard keeps its keyspace within its own share of
 * maxmemory (maxmemory / shards), with Redis 7.0's eight policies.
 *
 * A shard's used memory is what its heap holds for the keyspace
 * (shard_heap.h) plus its connections and fixed state. Before a command
 * that may grow memory (CMD_DENYOOM) the shard evicts until it is within
 * budget; if the policy finds nothing to evict (noeviction, or a volatile-*
 * policy with no key that has a TTL) the command is refused with Redis's
 * OOM error. After any write the shard evicts again, so that under an
 * evicting policy a write never leaves the shard over budget.
 *
 * Candidates are sampled (maxmemory-samples random keys, only keys with a
 * TTL for volatile-*) and the best of the sample goes: the longest idle
 * (LRU), the least frequently used (LFU, the decayed counter), the nearest
 * expiry (TTL), or any (random). One sampling round per eviction keeps
 * each step O(samples) whatever the keyspace size.
 */
#ifndef TESSERA_EVICT_H
#define TESSERA_EVICT_H

#include <stdbool.h>
#include <stdint.h>

#include "keyspace/keyspace.h"

struct shard;

#define EVICT_OOM_ERROR "OOM command not allowed when used memory > 'maxmemory'."
/* Per key a write may create: entry header, table slot, allocator rounding. */
#define ENTRY_OVERHEAD_ESTIMATE 96

/* This shard's share of maxmemory in bytes; 0 = no limit. */
uint64_t evict_budget(const struct shard *sh);
/* What the budget is compared with: keyspace heap bytes plus connections
 * and shard state. */
uint64_t evict_used_memory(const struct shard *sh);

/* Evict until within budget, with `extra` bytes to spare (what a write
 * is about to add). True if the shard is there, or still evicting after
 * this call's share of work (the shard goes on at its next iteration);
 * false if the policy can evict nothing more. */
bool evict_make_room(struct shard *sh, uint64_t extra);
/* The shard is over budget and its policy still finds keys to evict: it
 * evicts a slice every iteration and must not sleep. */
bool evict_pending(const struct shard *sh);

/* Among n candidates, the one `policy` (enum MM_*) evicts first: NULL if
 * none qualifies (noeviction; volatile-* and no candidate with a TTL). */
struct entry *evict_choose(const struct shard *sh, long long policy, struct entry *const *cand,
			   unsigned n);

#endif
