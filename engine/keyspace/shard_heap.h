/* A shard's heap: every byte of the shard's keyspace comes from here and is
 * charged to it, so that the shard's eviction budget compares against what
 * it really holds (allocator size classes included), not an estimate.
 *
 * Built on a mimalloc heap (mi_heap_new) when mimalloc is available: the
 * shard's blocks then sit in the shard's own pages, and freeing a whole
 * keyspace returns them together. The sanitizer build uses libc malloc so
 * that ASan sees every keyspace allocation; the charge is then
 * malloc_usable_size().
 *
 * Ownership: a mimalloc heap allocates only on the thread that created it,
 * so the heap is created on first use, which is the shard's own thread (the
 * keyspace is touched by no other). Freeing is allowed from any thread (at
 * shutdown the main thread frees what is left).
 */
#ifndef TESSERA_SHARD_HEAP_H
#define TESSERA_SHARD_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct shard_heap {
	void *impl;           /* mi_heap_t *, or NULL until first use / with libc */
	uint64_t used;        /* bytes charged: usable sizes of live blocks */
	uint64_t peak;
};

void shard_heap_init(struct shard_heap *h);
/* NULL if out of memory. Charged by the block's usable size. */
void *shard_heap_alloc(struct shard_heap *h, size_t n);
void *shard_heap_calloc(struct shard_heap *h, size_t count, size_t size);
/* As realloc: on failure NULL and `p` untouched. */
void *shard_heap_realloc(struct shard_heap *h, void *p, size_t n);
void shard_heap_free(struct shard_heap *h, void *p);
/* What a block of `p` is charged (its usable size). */
size_t shard_heap_block_size(const void *p);
/* Zeroed arrays (the expiry queue), freed with their size. Large ones
 * (SHARD_HEAP_MAP_MIN and up) are mapped straight from the system: their
 * pages are zero already and are faulted in as they are first touched (a
 * calloc of 128 MB once cost 216 ms on one command), and they grow by
 * mremap, not by copying. */
#define SHARD_HEAP_MAP_MIN (256 * 1024)
void *shard_heap_zeroed_array(struct shard_heap *h, size_t bytes);
void shard_heap_free_array(struct shard_heap *h, void *p, size_t bytes);
/* Resize such an array (contents kept up to the smaller size; bytes past
 * the old size are unspecified). Large arrays move by mremap, so growing a
 * 16 MB array costs no 16 MB copy on the shard's thread. NULL if out of
 * memory, `p` then untouched. */
void *shard_heap_resize_array(struct shard_heap *h, void *p, size_t old_bytes, size_t new_bytes);

/* Charge (a negative count: uncharge) memory handed out by an allocator
 * built on this heap's account (entry_slab.h). */
void shard_heap_charge(struct shard_heap *h, int64_t bytes);

/* Return free pages to the system (MEMORY PURGE); the owner thread only. */
void shard_heap_collect(struct shard_heap *h);
/* "mimalloc" or "libc", for INFO. */
const char *shard_heap_allocator(void);

#endif
