/* A run of expiry records queued in time order: a FIFO of 4 KB chunks.
 *
 * Keys written with the same TTL come due in the order they were written,
 * so most records can be appended to a run and taken from its front: no
 * sift through a heap of millions of records and their cache misses, and
 * the records due next sit in one contiguous chunk. expiry_queue.c keeps a
 * few runs (one per TTL in use, in practice) beside its heap, which takes
 * whatever fits no run.
 *
 * A run never reorders: the caller appends only records whose `when` is at
 * or after expiry_run_last()'s. Chunks come from the shard heap and go back
 * to it as soon as their last record is taken.
 */
#ifndef TESSERA_EXPIRY_RUN_H
#define TESSERA_EXPIRY_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyspace/shard_heap.h"

struct entry;

struct expiry_record {
	uint32_t when;            /* ms after the queue's base */
	uint32_t hash_lo;         /* keyspace_entry_tag(): catches reuse */
	uint64_t entry_gen;       /* the entry's address; the top 16 bits, the
				   * generation it was queued with */
};

#define EXPIRY_RECORD_ADDR_BITS 48

static inline struct expiry_record expiry_record_make(uint32_t when, uint32_t tag,
						      struct entry *e, uint16_t gen)
{
	return (struct expiry_record){ when, tag,
				       (uint64_t)(uintptr_t)e | (uint64_t)gen << EXPIRY_RECORD_ADDR_BITS };
}

static inline struct entry *expiry_record_entry(const struct expiry_record *r)
{
	return (struct entry *)(uintptr_t)(r->entry_gen & ((1ull << EXPIRY_RECORD_ADDR_BITS) - 1));
}

/* Compared with entry_expiry_gen(): a record of an older generation is
 * stale (its key was queued again since) and is dropped when due. */
static inline uint16_t expiry_record_gen(const struct expiry_record *r)
{
	return (uint16_t)(r->entry_gen >> EXPIRY_RECORD_ADDR_BITS);
}

struct expiry_chunk;

struct expiry_run {
	struct expiry_chunk *head, *tail;
	uint32_t head_i;          /* next record to take from head */
	uint32_t tail_n;          /* records written into tail */
	size_t n;
};

/* Append rec, whose `when` is at or after the last record's. False if out
 * of memory. */
bool expiry_run_push(struct expiry_run *r, struct shard_heap *heap,
		     const struct expiry_record *rec);
/* The first and the last record, NULL if the run is empty. */
const struct expiry_record *expiry_run_first(const struct expiry_run *r);
const struct expiry_record *expiry_run_last(const struct expiry_run *r);
/* Drop the first record (the run must not be empty). */
void expiry_run_pop(struct expiry_run *r, struct shard_heap *heap);
/* Move every time `shift` ms earlier (not below 0): order is kept. */
void expiry_run_rebase(struct expiry_run *r, uint64_t shift);
typedef void expiry_visit_fn(void *ctx, const struct expiry_record *r);
/* Call fn on the records due at `now` (`when` <= now), at most `limit` of
 * them, in order; returns how many. */
size_t expiry_run_visit_due(const struct expiry_run *r, uint32_t now, size_t limit,
			    expiry_visit_fn *fn, void *ctx);
void expiry_run_free(struct expiry_run *r, struct shard_heap *heap);

#endif
