/* Small keyspace entries in size classes 8 bytes apart.
 *
 * Why not the shard heap: mimalloc's small size classes are 16 bytes apart,
 * so the typical small string (an 8-byte header, a 16-byte key, a 32-byte
 * value: 56 bytes) takes 64, and on average a key loses 8 bytes to rounding
 * where 8-byte classes lose 4. At a few tens of bytes of overhead per key
 * that is the difference between meeting a 32-byte budget and not.
 *
 * Pages of SLAB_PAGE_BYTES are mapped from the system at their own
 * alignment, so a block's page (its header, its size class) is its address
 * rounded down. A page with a free block sits on its class's list; a page
 * whose last block is freed goes back to the system, except the last page
 * of its class (so that one key added and deleted in a loop maps nothing).
 *
 * Accounting is by block, as the shard heap's is: each block's size is
 * charged to the heap when handed out and uncharged when freed, so eviction
 * sees memory drop as soon as a key goes; page headers and free blocks
 * inside pages show up in RSS, as any allocator's fragmentation does.
 * Owner thread only.
 */
#ifndef TESSERA_ENTRY_SLAB_H
#define TESSERA_ENTRY_SLAB_H

#include <stddef.h>
#include <stdint.h>

#include "keyspace/shard_heap.h"

#define SLAB_PAGE_BYTES (64 * 1024)
/* Larger entries come from the shard heap. */
#define SLAB_MAX_BLOCK 256
#define SLAB_CLASSES (SLAB_MAX_BLOCK / 8 + 1)

struct slab_page;

struct entry_slab {
	struct slab_page *with_room[SLAB_CLASSES];
	struct shard_heap *heap;  /* charged for every block */
	uint64_t pages;           /* mapped now */
};

void entry_slab_init(struct entry_slab *s, struct shard_heap *heap);
/* A block of at least n bytes (1 <= n <= SLAB_MAX_BLOCK), 8-byte aligned;
 * NULL if out of memory. */
void *entry_slab_alloc(struct entry_slab *s, size_t n);
void entry_slab_free(struct entry_slab *s, void *p);
/* The size of p's block (its class). */
size_t entry_slab_block_size(const void *p);
/* Unmap the pages kept empty (after the keyspace is cleared). */
void entry_slab_trim(struct entry_slab *s);

#endif
