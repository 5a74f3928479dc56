#include "keyspace/entry_slab.h"

#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

struct slab_page {
	struct slab_page *prev, *next; /* on with_room[cls] while listed */
	void *free;                    /* freed blocks, each holding the next */
	uint32_t used;                 /* blocks handed out */
	uint32_t fresh;                /* blocks from here on were never handed out */
	uint32_t capacity;
	uint16_t block_size;
	uint8_t cls;
	bool listed;
};

/* Blocks start a cache line in, after the header. */
#define FIRST_BLOCK 64
_Static_assert(sizeof(struct slab_page) <= FIRST_BLOCK, "slab page header fits its line");

static inline struct slab_page *page_of(const void *p)
{
	return (struct slab_page *)((uintptr_t)p & ~(uintptr_t)(SLAB_PAGE_BYTES - 1));
}

void entry_slab_init(struct entry_slab *s, struct shard_heap *heap)
{
	memset(s, 0, sizeof(*s));
	s->heap = heap;
}

/* Map twice the page size and keep the aligned page inside it. */
static struct slab_page *map_page(void)
{
	size_t span = 2 * SLAB_PAGE_BYTES;
	char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	char *start = (char *)(((uintptr_t)m + SLAB_PAGE_BYTES - 1) & ~(uintptr_t)(SLAB_PAGE_BYTES - 1));
	if (start > m)
		munmap(m, (size_t)(start - m));
	char *end = start + SLAB_PAGE_BYTES;
	if (end < m + span)
		munmap(end, (size_t)(m + span - end));
	return (struct slab_page *)start;
}

static void list_add(struct entry_slab *s, struct slab_page *pg)
{
	pg->prev = NULL;
	pg->next = s->with_room[pg->cls];
	if (pg->next)
		pg->next->prev = pg;
	s->with_room[pg->cls] = pg;
	pg->listed = true;
}

static void list_remove(struct entry_slab *s, struct slab_page *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		s->with_room[pg->cls] = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	pg->listed = false;
}

static struct slab_page *new_page(struct entry_slab *s, unsigned cls)
{
	struct slab_page *pg = map_page();
	if (!pg)
		return NULL;
	memset(pg, 0, sizeof(*pg));
	pg->cls = (uint8_t)cls;
	pg->block_size = (uint16_t)(cls * 8);
	pg->capacity = (SLAB_PAGE_BYTES - FIRST_BLOCK) / pg->block_size;
	s->pages++;
	list_add(s, pg);
	return pg;
}

void *entry_slab_alloc(struct entry_slab *s, size_t n)
{
	unsigned cls = (unsigned)((n + 7) / 8);
	if (cls == 0)
		cls = 1;
	struct slab_page *pg = s->with_room[cls];
	if (!pg && !(pg = new_page(s, cls)))
		return NULL;
	void *p;
	if (pg->free) {
		p = pg->free;
		memcpy(&pg->free, p, sizeof(void *));
	} else {
		p = (char *)pg + FIRST_BLOCK + (size_t)pg->fresh++ * pg->block_size;
	}
	if (++pg->used == pg->capacity)
		list_remove(s, pg);
	shard_heap_charge(s->heap, (int64_t)pg->block_size);
	return p;
}

static void unmap_page(struct entry_slab *s, struct slab_page *pg)
{
	if (pg->listed)
		list_remove(s, pg);
	s->pages--;
	munmap(pg, SLAB_PAGE_BYTES);
}

void entry_slab_free(struct entry_slab *s, void *p)
{
	struct slab_page *pg = page_of(p);
	shard_heap_charge(s->heap, -(int64_t)pg->block_size);
	if (--pg->used == 0 && (s->with_room[pg->cls] != pg || pg->next)) {
		unmap_page(s, pg);
		return;
	}
	memcpy(p, &pg->free, sizeof(void *));
	pg->free = p;
	if (!pg->listed)
		list_add(s, pg);
}

size_t entry_slab_block_size(const void *p)
{
	return page_of(p)->block_size;
}

void entry_slab_trim(struct entry_slab *s)
{
	for (unsigned c = 0; c < SLAB_CLASSES; c++) {
		struct slab_page *pg = s->with_room[c], *next;
		for (; pg; pg = next) {
			next = pg->next;
			if (pg->used == 0)
				unmap_page(s, pg);
		}
	}
}
