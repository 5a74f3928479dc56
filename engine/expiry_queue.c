#include "expiry_queue.h"

#include <string.h>

#include "keyspace.h"

#define INITIAL_CAP 64

void expiry_queue_init(struct expiry_queue *q)
{
	memset(q, 0, sizeof(*q));
}

void expiry_queue_free(struct expiry_queue *q, struct shard_heap *heap)
{
	shard_heap_free_array(heap, q->v, q->cap * sizeof(*q->v));
	int64_t base = q->base_ms;
	memset(q, 0, sizeof(*q));
	q->base_ms = base;
}

static uint32_t relative(const struct expiry_queue *q, int64_t ms)
{
	int64_t d = ms - q->base_ms;
	return d <= 0 ? 0 : d >= UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void swap(struct expiry_record *a, struct expiry_record *b)
{
	struct expiry_record t = *a;
	*a = *b;
	*b = t;
}

bool expiry_queue_push(struct expiry_queue *q, struct shard_heap *heap, struct entry *e,
		       uint32_t tag, int64_t now_ms)
{
	int64_t expire_ms = entry_expire_ms(e);
	if (q->base_ms == 0)
		q->base_ms = now_ms > 0 && now_ms < expire_ms ? now_ms : expire_ms - 1;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : INITIAL_CAP;
		struct expiry_record *v =
			shard_heap_resize_array(heap, q->v, q->cap * sizeof(*v), cap * sizeof(*v));
		if (!v)
			return false;
		q->v = v;
		q->cap = cap;
	}
	size_t i = q->n++;
	q->v[i] = (struct expiry_record){ relative(q, expire_ms), tag, e };
	while (i > 0 && q->v[(i - 1) / 2].when > q->v[i].when) {
		swap(&q->v[(i - 1) / 2], &q->v[i]);
		i = (i - 1) / 2;
	}
	return true;
}

void expiry_queue_shrink(struct expiry_queue *q, struct shard_heap *heap)
{
	if (q->cap <= INITIAL_CAP || q->n > q->cap / 4)
		return;
	if (q->n == 0) {
		expiry_queue_free(q, heap);
		return;
	}
	size_t cap = q->cap / 2;
	struct expiry_record *v = shard_heap_resize_array(heap, q->v, q->cap * sizeof(*v), cap * sizeof(*v));
	if (v) {
		q->v = v;
		q->cap = cap;
	}
}

int64_t expiry_queue_next_ms(const struct expiry_queue *q)
{
	return q->n ? q->base_ms + q->v[0].when : INT64_MAX;
}

/* Keep 32-bit times meaningful: every 24 days move the base up to now.
 * Subtracting the same amount from every record keeps the heap order. */
static void rebase(struct expiry_queue *q, int64_t now_ms)
{
	uint32_t shift = (uint32_t)(now_ms - q->base_ms);
	for (size_t i = 0; i < q->n; i++)
		q->v[i].when = q->v[i].when > shift ? q->v[i].when - shift : 0;
	q->base_ms = now_ms;
}

bool expiry_queue_pop_due(struct expiry_queue *q, int64_t now_ms, struct expiry_record *out)
{
	if (q->base_ms && now_ms - q->base_ms > (1ll << 31))
		rebase(q, now_ms);
	if (q->n == 0 || q->v[0].when > relative(q, now_ms))
		return false;
	*out = q->v[0];
	q->v[0] = q->v[--q->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->n && q->v[l].when < q->v[m].when)
			m = l;
		if (r < q->n && q->v[r].when < q->v[m].when)
			m = r;
		if (m == i)
			break;
		swap(&q->v[i], &q->v[m]);
		i = m;
	}
	return true;
}
