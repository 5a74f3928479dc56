/* The keys that have a TTL, in order of expiry, as small records: a few
 * runs (expiry_run.h) for records that arrive in time order, which is
 * what keys written with the same TTL do, and a 4-ary min-heap for the
 * rest. Taking the earliest record compares the heads of the runs and the
 * heap's top. This is what lets expiry keep up with any write rate: keys
 * written with a 1-second TTL at full speed are deleted within a loop
 * iteration of their expiry, however many there are.
 *
 * A record names an entry by address and hash and holds the expiry it was
 * queued for. Records are not removed when a key is deleted, persisted or
 * moved: the consumer checks each due record against the table (see
 * keyspace_holds()) and drops the ones that no longer match, so deletes
 * stay O(1). A key carries ENTRY_QUEUED while a record for it is pending;
 * a TTL that only grows needs no new record (the old one fires early and
 * is queued again for the new time). Queuing a key again makes its older
 * records stale: each record carries the generation it was queued with, and
 * only the one matching the entry's (entry_expiry_gen()) is acted on, so a
 * key whose TTL is set over and over keeps one live record, not one per
 * write.
 *
 * Times are kept as 32-bit milliseconds from the queue's base (49 days);
 * a later expiry is queued at the far end and queued again when it comes
 * due. Memory comes from the shard heap: 16 bytes per key with a TTL.
 */
#ifndef TESSERA_EXPIRY_QUEUE_H
#define TESSERA_EXPIRY_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyspace/expiry_run.h"
#include "keyspace/shard_heap.h"

/* Runs in use at once: one per TTL in steady use fits, any more go to the
 * heap. Each pop compares this many heads. */
#define EXPIRY_RUNS 8

struct expiry_queue {
	struct expiry_record *v;  /* 4-ary heap order: v[0] is the earliest */
	size_t n, cap;
	struct expiry_run runs[EXPIRY_RUNS];
	int64_t base_ms;          /* 0 until the first push */
};

void expiry_queue_init(struct expiry_queue *q);
void expiry_queue_free(struct expiry_queue *q, struct shard_heap *heap);
/* Queue e for its expiry (entry_expire_ms()); `tag` is what the record
 * keeps to recognise e later, keyspace_entry_tag(), and `gen` the
 * generation it is queued with (entry_expiry_gen()). False if out of
 * memory. `now_ms` starts the queue's clock on the first push: times are
 * kept from a base at or before every expiry (a TTL is never in the past). */
bool expiry_queue_push(struct expiry_queue *q, struct shard_heap *heap, struct entry *e,
		       uint32_t tag, uint16_t gen, int64_t now_ms);
/* Records queued, in the heap and the runs. */
size_t expiry_queue_length(const struct expiry_queue *q);
/* The earliest queued expiry (absolute ms), INT64_MAX if none. */
int64_t expiry_queue_next_ms(const struct expiry_queue *q);
/* Call fn on the records due at now_ms, at most `limit` of them, in no
 * particular order; returns how many. Costs only what it visits. */
size_t expiry_queue_visit_due(const struct expiry_queue *q, int64_t now_ms, size_t limit,
			      expiry_visit_fn *fn, void *ctx);
/* Give back memory once the queue is mostly empty (after a burst of
 * short TTLs has expired), so used_memory returns to its baseline. */
void expiry_queue_shrink(struct expiry_queue *q, struct shard_heap *heap);
/* Take the earliest record if it is due at now_ms. */
bool expiry_queue_pop_due(struct expiry_queue *q, struct shard_heap *heap, int64_t now_ms,
			  struct expiry_record *out);

#endif
