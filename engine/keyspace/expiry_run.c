#include "keyspace/expiry_run.h"

#include <string.h>

/* 4 KB with the link: one page-sized block per 255 records. */
#define CHUNK_RECORDS 255

struct expiry_chunk {
	struct expiry_chunk *next;
	struct expiry_record rec[CHUNK_RECORDS];
};

bool expiry_run_push(struct expiry_run *r, struct shard_heap *heap,
		     const struct expiry_record *rec)
{
	if (!r->tail || r->tail_n == CHUNK_RECORDS) {
		struct expiry_chunk *c = shard_heap_alloc(heap, sizeof(*c));
		if (!c)
			return false;
		c->next = NULL;
		if (r->tail)
			r->tail->next = c;
		else
			r->head = c;
		r->tail = c;
		r->tail_n = 0;
	}
	r->tail->rec[r->tail_n++] = *rec;
	r->n++;
	return true;
}

const struct expiry_record *expiry_run_first(const struct expiry_run *r)
{
	return r->n ? &r->head->rec[r->head_i] : NULL;
}

const struct expiry_record *expiry_run_last(const struct expiry_run *r)
{
	return r->n ? &r->tail->rec[r->tail_n - 1] : NULL;
}

void expiry_run_pop(struct expiry_run *r, struct shard_heap *heap)
{
	r->n--;
	bool head_done = ++r->head_i == (r->head == r->tail ? r->tail_n : CHUNK_RECORDS);
	if (!head_done)
		return;
	struct expiry_chunk *c = r->head;
	r->head = c->next;
	r->head_i = 0;
	if (!r->head) {
		r->tail = NULL;
		r->tail_n = 0;
	}
	shard_heap_free(heap, c);
}

void expiry_run_rebase(struct expiry_run *r, uint64_t shift)
{
	uint32_t from = r->head_i;
	for (struct expiry_chunk *c = r->head; c; c = c->next, from = 0) {
		uint32_t to = c == r->tail ? r->tail_n : CHUNK_RECORDS;
		for (uint32_t i = from; i < to; i++)
			c->rec[i].when = c->rec[i].when > shift ? (uint32_t)(c->rec[i].when - shift) : 0;
	}
}

void expiry_run_free(struct expiry_run *r, struct shard_heap *heap)
{
	for (struct expiry_chunk *c = r->head, *next; c; c = next) {
		next = c->next;
		shard_heap_free(heap, c);
	}
	memset(r, 0, sizeof(*r));
}
size_t expiry_run_visit_due(const struct expiry_run *r, uint32_t now, size_t limit,
			    expiry_visit_fn *fn, void *ctx)
{
	size_t n = 0;
	uint32_t from = r->head_i;
	for (struct expiry_chunk *c = r->head; c; c = c->next, from = 0) {
		uint32_t to = c == r->tail ? r->tail_n : CHUNK_RECORDS;
		for (uint32_t i = from; i < to; i++) {
			if (c->rec[i].when > now || n == limit)
				return n;
			fn(ctx, &c->rec[i]);
			n++;
		}
	}
	return n;
}
