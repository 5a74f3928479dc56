/* spsc_ring.c - lock-free SPSC pointer ring, C11 atomics.
 *
 * Indices are free-running unsigned counters, masked only when indexing a
 * slot.  Wrap-around of the counters themselves is harmless: unsigned
 * arithmetic is modulo 2^N, so tail - head is the true fill level as long
 * as that level never exceeds 2^N - 1, and capacity is a power of two no
 * larger than 2^(N-1).  Because capacity divides 2^N, masking stays
 * consistent across the wrap.  Free-running indices also mean "full" and
 * "empty" are distinguishable without sacrificing a slot.
 */
#include "shard/spsc_ring.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define LINE SPSC_RING_CACHE_LINE

struct spsc_ring *spsc_ring_create(unsigned capacity)
{
	struct spsc_ring *r;
	size_t size;

	if (capacity < 2 || (capacity & (capacity - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	/* Overflow only matters where size_t is 32 bits; the builtins keep
	 * the check honest there without a tautology warning on 64-bit. */
	if (__builtin_mul_overflow((size_t)capacity, sizeof(void *), &size) ||
	    __builtin_add_overflow(size, sizeof(*r) + LINE - 1, &size)) {
		errno = ENOMEM;
		return NULL;
	}
	/* aligned_alloc requires size to be a multiple of the alignment. */
	size &= ~(size_t)(LINE - 1);
	r = aligned_alloc(LINE, size);
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	atomic_init(&r->tail, 0);
	atomic_init(&r->head, 0);
	r->head_cache = 0;
	r->tail_cache = 0;
	r->mask = capacity - 1;
	return r;
}

void spsc_ring_free(struct spsc_ring *r)
{
	free(r);
}

unsigned spsc_ring_enqueue_burst(struct spsc_ring *r, void *const *objs,
				 unsigned n)
{
	unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned capacity = r->mask + 1;
	unsigned room = capacity - (tail - r->head_cache);

	if (room < n) {
		/* Pairs with the consumer's release of head: the slots it
		 * freed are no longer being read. */
		r->head_cache = atomic_load_explicit(&r->head,
						     memory_order_acquire);
		room = capacity - (tail - r->head_cache);
		if (room < n)
			n = room;
	}
	for (unsigned i = 0; i < n; i++)
		r->slots[(tail + i) & r->mask] = objs[i];
	if (n)
		atomic_store_explicit(&r->tail, tail + n,
				      memory_order_release);
	return n;
}

unsigned spsc_ring_dequeue_burst(struct spsc_ring *r, void **objs,
				 unsigned n)
{
	unsigned head = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned avail = r->tail_cache - head;

	if (avail < n) {
		/* Pairs with the producer's release of tail: slots up to
		 * the new tail are fully written. */
		r->tail_cache = atomic_load_explicit(&r->tail,
						     memory_order_acquire);
		avail = r->tail_cache - head;
		if (avail < n)
			n = avail;
	}
	for (unsigned i = 0; i < n; i++)
		objs[i] = r->slots[(head + i) & r->mask];
	if (n)
		atomic_store_explicit(&r->head, head + n,
				      memory_order_release);
	return n;
}

unsigned spsc_ring_count(const struct spsc_ring *r)
{
	/* Head first: tail only grows and the consumer never passes the
	 * producer, so a tail read after head is never behind it.  Both
	 * may move between the loads, hence the clamp. */
	unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);
	unsigned tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	unsigned used = tail - head;

	return used > r->mask + 1 ? r->mask + 1 : used;
}
