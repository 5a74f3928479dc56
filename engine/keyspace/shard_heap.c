#include "keyspace/shard_heap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef TESSERA_MIMALLOC
#include <mimalloc.h>

static void *heap_of(struct shard_heap *h)
{
	if (!h->impl)
		h->impl = mi_heap_new();
	return h->impl;
}

static void *raw_alloc(struct shard_heap *h, size_t n)
{
	mi_heap_t *heap = heap_of(h);
	return heap ? mi_heap_malloc(heap, n) : NULL;
}

static void *raw_realloc(struct shard_heap *h, void *p, size_t n)
{
	mi_heap_t *heap = heap_of(h);
	return heap ? mi_heap_realloc(heap, p, n) : NULL;
}

/* Zeroed memory without writing it when it is fresh from the system: a
 * 128 MB bucket array must not cost a 128 MB memset in one command. */
static void *raw_calloc(struct shard_heap *h, size_t count, size_t size)
{
	mi_heap_t *heap = heap_of(h);
	return heap ? mi_heap_calloc(heap, count, size) : NULL;
}

/* Not const: GCC takes a const pointer argument as a read of a fresh,
 * uninitialized block and warns (-Wmaybe-uninitialized). */
static size_t usable_size(void *p)
{
	return p ? mi_usable_size(p) : 0;
}

static void raw_free(void *p)
{
	mi_free(p);
}

const char *shard_heap_allocator(void)
{
	return "mimalloc";
}

void shard_heap_collect(struct shard_heap *h)
{
	if (h->impl)
		mi_heap_collect(h->impl, true);
}
#else
#include <malloc.h>

static void *raw_alloc(struct shard_heap *h, size_t n)
{
	(void)h;
	return malloc(n);
}

static void *raw_realloc(struct shard_heap *h, void *p, size_t n)
{
	(void)h;
	return realloc(p, n);
}

static void *raw_calloc(struct shard_heap *h, size_t count, size_t size)
{
	(void)h;
	return calloc(count, size);
}

/* Not const: GCC takes a const pointer argument as a read of a fresh,
 * uninitialized block and warns (-Wmaybe-uninitialized). */
static size_t usable_size(void *p)
{
	return p ? malloc_usable_size(p) : 0;
}

static void raw_free(void *p)
{
	free(p);
}

const char *shard_heap_allocator(void)
{
	return "libc";
}

void shard_heap_collect(struct shard_heap *h)
{
	(void)h;
	malloc_trim(0);
}
#endif

size_t shard_heap_block_size(const void *p)
{
	return usable_size((void *)p);
}

void shard_heap_init(struct shard_heap *h)
{
	memset(h, 0, sizeof(*h));
}

static void charge(struct shard_heap *h, size_t n)
{
	h->used += n;
	if (h->used > h->peak)
		h->peak = h->used;
}

void shard_heap_charge(struct shard_heap *h, int64_t bytes)
{
	if (bytes >= 0)
		charge(h, (size_t)bytes);
	else
		h->used -= (uint64_t)-bytes;
}

void *shard_heap_alloc(struct shard_heap *h, size_t n)
{
	void *p = raw_alloc(h, n ? n : 1);
	if (p)
		charge(h, usable_size(p));
	return p;
}

void *shard_heap_calloc(struct shard_heap *h, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	void *p = raw_calloc(h, count ? count : 1, size ? size : 1);
	if (p)
		charge(h, usable_size(p));
	return p;
}

void *shard_heap_realloc(struct shard_heap *h, void *p, size_t n)
{
	size_t old = usable_size(p);
	void *q = raw_realloc(h, p, n ? n : 1);
	if (!q)
		return NULL;
	h->used -= old;
	charge(h, usable_size(q));
	return q;
}

void shard_heap_free(struct shard_heap *h, void *p)
{
	if (!p)
		return;
	h->used -= usable_size(p);
	raw_free(p);
}

static size_t page_rounded(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (bytes + page - 1) / page * page;
}

void *shard_heap_zeroed_array(struct shard_heap *h, size_t bytes)
{
	if (bytes < SHARD_HEAP_MAP_MIN)
		return shard_heap_calloc(h, 1, bytes);
	void *p = mmap(NULL, page_rounded(bytes), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	charge(h, page_rounded(bytes));
	return p;
}

void shard_heap_free_array(struct shard_heap *h, void *p, size_t bytes)
{
	if (!p)
		return;
	if (bytes < SHARD_HEAP_MAP_MIN) {
		shard_heap_free(h, p);
		return;
	}
	h->used -= page_rounded(bytes);
	munmap(p, page_rounded(bytes));
}

void *shard_heap_resize_array(struct shard_heap *h, void *p, size_t old_bytes, size_t new_bytes)
{
	if (!p)
		return shard_heap_zeroed_array(h, new_bytes);
	if (old_bytes < SHARD_HEAP_MAP_MIN && new_bytes < SHARD_HEAP_MAP_MIN)
		return shard_heap_realloc(h, p, new_bytes);
	if (old_bytes >= SHARD_HEAP_MAP_MIN && new_bytes >= SHARD_HEAP_MAP_MIN) {
		void *q = mremap(p, page_rounded(old_bytes), page_rounded(new_bytes), MREMAP_MAYMOVE);
		if (q == MAP_FAILED)
			return NULL;
		h->used -= page_rounded(old_bytes);
		charge(h, page_rounded(new_bytes));
		return q;
	}
	/* Crossing the line between the two kinds: a copy of the smaller. */
	void *q = shard_heap_zeroed_array(h, new_bytes);
	if (!q)
		return NULL;
	memcpy(q, p, old_bytes < new_bytes ? old_bytes : new_bytes);
	shard_heap_free_array(h, p, old_bytes);
	return q;
}
