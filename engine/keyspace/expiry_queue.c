#include "keyspace/expiry_queue.h"

#include <string.h>

#include "keyspace/keyspace.h"

#define INITIAL_CAP 64

void expiry_queue_init(struct expiry_queue *q)
{
	memset(q, 0, sizeof(*q));
}

static void free_heap_array(struct expiry_queue *q, struct shard_heap *heap)
{
	shard_heap_free_array(heap, q->v, q->cap * sizeof(*q->v));
	q->v = NULL;
	q->cap = 0;
}

void expiry_queue_free(struct expiry_queue *q, struct shard_heap *heap)
{
	free_heap_array(q, heap);
	for (int i = 0; i < EXPIRY_RUNS; i++)
		expiry_run_free(&q->runs[i], heap);
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

/* The heap is 4-ary: half the levels of a binary heap, and a node's
 * children side by side (64 bytes), so a pop from a heap of millions of
 * records takes about half the cache misses. */
#define HEAP_ARITY 4

static size_t heap_parent(size_t i)
{
	return (i - 1) / HEAP_ARITY;
}

static size_t heap_first_child(size_t i)
{
	return HEAP_ARITY * i + 1;
}

static bool heap_push(struct expiry_queue *q, struct shard_heap *heap,
		      const struct expiry_record *rec)
{
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
	q->v[i] = *rec;
	while (i > 0 && q->v[heap_parent(i)].when > q->v[i].when) {
		swap(&q->v[heap_parent(i)], &q->v[i]);
		i = heap_parent(i);
	}
	return true;
}

static void heap_pop(struct expiry_queue *q)
{
	q->v[0] = q->v[--q->n];
	for (size_t i = 0;;) {
		size_t c = heap_first_child(i), m = i;
		/* The grandchildren are 16 records in a row: ask for them while
		 * the children are compared, since the walk goes on in one of
		 * their four cache lines. */
		size_t g = heap_first_child(c);
		for (size_t k = 0; k < HEAP_ARITY && g + k * HEAP_ARITY < q->n; k++)
			__builtin_prefetch(&q->v[g + k * HEAP_ARITY]);
		for (size_t end = c + HEAP_ARITY; c < end && c < q->n; c++)
			if (q->v[c].when < q->v[m].when)
				m = c;
		if (m == i)
			break;
		swap(&q->v[i], &q->v[m]);
		i = m;
	}
}

/* The run `when` may be appended to: the one with the latest last record
 * at or before it (so each TTL in use keeps to its own run), else an empty
 * one; NULL if none (the record goes to the heap). */
static struct expiry_run *run_for(struct expiry_queue *q, uint32_t when)
{
	struct expiry_run *best = NULL, *empty = NULL;
	uint32_t best_last = 0;
	for (int i = 0; i < EXPIRY_RUNS; i++) {
		struct expiry_run *r = &q->runs[i];
		const struct expiry_record *last = expiry_run_last(r);
		if (!last) {
			if (!empty)
				empty = r;
		} else if (last->when <= when && (!best || last->when >= best_last)) {
			best = r;
			best_last = last->when;
		}
	}
	return best ? best : empty;
}

bool expiry_queue_push(struct expiry_queue *q, struct shard_heap *heap, struct entry *e,
		       uint32_t tag, uint16_t gen, int64_t now_ms)
{
	int64_t expire_ms = entry_expire_ms(e);
	/* The base is at or before every time queued. An empty queue moves it
	 * up to now (never back): a base left from long ago would put every
	 * new time at the far end. */
	int64_t base = now_ms > 0 && now_ms < expire_ms ? now_ms : expire_ms - 1;
	if (base == 0)
		base = -1; /* 0 means "not started" */
	if (q->base_ms == 0 || (base > q->base_ms && q->n == 0 && expiry_queue_length(q) == 0))
		q->base_ms = base;
	struct expiry_record rec = expiry_record_make(relative(q, expire_ms), tag, e, gen);
	/* The far end would close a run to every nearer time. */
	struct expiry_run *r = rec.when == UINT32_MAX ? NULL : run_for(q, rec.when);
	return r ? expiry_run_push(r, heap, &rec) : heap_push(q, heap, &rec);
}

size_t expiry_queue_length(const struct expiry_queue *q)
{
	size_t n = q->n;
	for (int i = 0; i < EXPIRY_RUNS; i++)
		n += q->runs[i].n;
	return n;
}

void expiry_queue_shrink(struct expiry_queue *q, struct shard_heap *heap)
{
	if (q->cap <= INITIAL_CAP || q->n > q->cap / 4)
		return;
	if (q->n == 0) {
		free_heap_array(q, heap); /* the runs keep their records */
		return;
	}
	size_t cap = q->cap / 2;
	struct expiry_record *v = shard_heap_resize_array(heap, q->v, q->cap * sizeof(*v), cap * sizeof(*v));
	if (v) {
		q->v = v;
		q->cap = cap;
	}
}

#define FROM_HEAP (-1)

/* The earliest record (NULL if none) and where it is: a run's index, or
 * FROM_HEAP. */
static int earliest(const struct expiry_queue *q, const struct expiry_record **out)
{
	const struct expiry_record *best = q->n ? &q->v[0] : NULL;
	int from = FROM_HEAP;
	for (int i = 0; i < EXPIRY_RUNS; i++) {
		const struct expiry_record *first = expiry_run_first(&q->runs[i]);
		if (first && (!best || first->when < best->when)) {
			best = first;
			from = i;
		}
	}
	*out = best;
	return from;
}

int64_t expiry_queue_next_ms(const struct expiry_queue *q)
{
	const struct expiry_record *first;
	earliest(q, &first);
	return first ? q->base_ms + first->when : INT64_MAX;
}

/* The due records of a heap are the subtree of due nodes under the root:
 * a depth-first walk that stops at each node not due. The stack holds at
 * most HEAP_ARITY - 1 pending siblings per level (32 levels at most). */
static size_t heap_visit_due(const struct expiry_queue *q, uint32_t now, size_t limit,
			     expiry_visit_fn *fn, void *ctx)
{
	size_t stack[HEAP_ARITY * 33], depth = 0, n = 0;
	if (q->n)
		stack[depth++] = 0;
	while (depth && n < limit) {
		size_t i = stack[--depth];
		if (q->v[i].when > now)
			continue;
		fn(ctx, &q->v[i]);
		n++;
		size_t c = heap_first_child(i);
		for (size_t end = c + HEAP_ARITY; c < end && c < q->n; c++)
			stack[depth++] = c;
	}
	return n;
}

size_t expiry_queue_visit_due(const struct expiry_queue *q, int64_t now_ms, size_t limit,
			      expiry_visit_fn *fn, void *ctx)
{
	if (!q->base_ms)
		return 0;
	uint32_t now = relative(q, now_ms);
	size_t n = heap_visit_due(q, now, limit, fn, ctx);
	for (int i = 0; i < EXPIRY_RUNS; i++)
		n += expiry_run_visit_due(&q->runs[i], now, limit - n, fn, ctx);
	return n;
}

/* Keep 32-bit times meaningful: every 24 days move the base up to now.
 * Subtracting the same amount from every record keeps every order. */
static void rebase(struct expiry_queue *q, int64_t now_ms)
{
	/* 64 bits: after a clock jump the shift can pass 2^32 ms, and then
	 * every record is due. */
	uint64_t shift = (uint64_t)(now_ms - q->base_ms);
	for (size_t i = 0; i < q->n; i++)
		q->v[i].when = q->v[i].when > shift ? (uint32_t)(q->v[i].when - shift) : 0;
	for (int i = 0; i < EXPIRY_RUNS; i++)
		expiry_run_rebase(&q->runs[i], shift);
	q->base_ms = now_ms;
}

bool expiry_queue_pop_due(struct expiry_queue *q, struct shard_heap *heap, int64_t now_ms,
			  struct expiry_record *out)
{
	if (q->base_ms && now_ms - q->base_ms > (1ll << 31))
		rebase(q, now_ms);
	const struct expiry_record *first;
	int from = earliest(q, &first);
	if (!first || first->when > relative(q, now_ms))
		return false;
	*out = *first;
	if (from != FROM_HEAP)
		expiry_run_pop(&q->runs[from], heap);
	else
		heap_pop(q);
	return true;
}
