/* spsc_ring.h - lock-free single-producer/single-consumer ring of pointers.
 *
 * Carries messages between two shard threads.  The ring stores pointers
 * only; it never dereferences, copies or frees what they point to.
 * Ownership of a pointed-to object moves from the producer to the consumer
 * when spsc_ring_dequeue_burst() hands it out, and everything the producer
 * wrote to that object before enqueueing it is visible to the consumer.
 *
 * Thread rules:
 *   spsc_ring_create / spsc_ring_free   any thread, with no concurrent use
 *   spsc_ring_enqueue_burst             the one producer thread only
 *   spsc_ring_dequeue_burst             the one consumer thread only
 *   spsc_ring_count                     any thread (approximate)
 * The producer and consumer may be the same thread.
 *
 * Memory ordering: the producer writes slots, then publishes them with one
 * release store of its tail index; the consumer acquire-loads the tail
 * before reading those slots, so it sees them (and the objects behind
 * them) fully written.  Symmetrically, the consumer release-stores its
 * head index after reading slots, and the producer acquire-loads the head
 * before overwriting them, so a slot is never reused while still being
 * read.  Each side reads its own index relaxed: nobody else writes it.
 */
#ifndef TESSERA_SPSC_RING_H
#define TESSERA_SPSC_RING_H

#include <stdatomic.h>

#define SPSC_RING_CACHE_LINE 64

/* Fields are private to spsc_ring.c; the layout is visible only so the
 * unit test can start the indices near UINT_MAX to exercise their wrap.
 *
 * Three cache lines: one written only by the producer, one written only by
 * the consumer, one never written after creation.  Each side keeps a
 * private copy of the other's index and refreshes it only when that copy
 * says the ring looks full (producer) or empty (consumer), so in steady
 * state each side touches the other's line once per refresh, not once per
 * burst. */
struct spsc_ring {
	/* Producer's line. */
	_Alignas(SPSC_RING_CACHE_LINE)
	_Atomic unsigned tail;	/* next slot to fill */
	unsigned head_cache;	/* producer's stale view of head */

	/* Consumer's line. */
	_Alignas(SPSC_RING_CACHE_LINE)
	_Atomic unsigned head;	/* next slot to drain */
	unsigned tail_cache;	/* consumer's stale view of tail */

	/* Read-only after creation. */
	_Alignas(SPSC_RING_CACHE_LINE)
	unsigned mask;		/* capacity - 1 */
	void *slots[];
};

/* Returns a ring holding up to capacity pointers, or NULL with errno set:
 * EINVAL if capacity is not a power of two >= 2, ENOMEM if allocation
 * fails.  Free with spsc_ring_free(). */
struct spsc_ring *spsc_ring_create(unsigned capacity);

/* Frees the ring itself, not the objects still queued in it.
 * NULL is a no-op. */
void spsc_ring_free(struct spsc_ring *r);

/* Producer only.  Copies up to n pointers from objs (caller keeps objs)
 * into the ring in order; returns how many were taken, 0..n.  Partial when
 * the ring is nearly full; 0 when full. */
unsigned spsc_ring_enqueue_burst(struct spsc_ring *r, void *const *objs,
				 unsigned n);

/* Consumer only.  Moves up to n pointers, oldest first, into objs (caller
 * provides room for n); returns how many, 0..n.  0 when empty. */
unsigned spsc_ring_dequeue_burst(struct spsc_ring *r, void **objs,
				 unsigned n);

/* Number of queued pointers, 0..capacity.  Exact when called from the
 * producer or consumer with the other side idle; otherwise a snapshot that
 * may already be stale on return. */
unsigned spsc_ring_count(const struct spsc_ring *r);

#endif /* TESSERA_SPSC_RING_H */
