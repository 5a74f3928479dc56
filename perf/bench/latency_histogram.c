#include "latency_histogram.h"

#include <math.h>
#include <string.h>

/* Slot of a value: below 128 the value itself; above, the power of two it
 * falls in picks a row of 128 slots, and its top 8 bits (the leading 1 and
 * the 7 after it) the slot within the row. */
static unsigned slot_of(uint64_t v)
{
	if (v < HISTOGRAM_SUB_BUCKETS)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - HISTOGRAM_SUB_BUCKET_BITS;
	unsigned row = shift + 1;
	return row * HISTOGRAM_SUB_BUCKETS + (unsigned)((v >> shift) - HISTOGRAM_SUB_BUCKETS);
}

/* The largest value that lands in slot s. */
static uint64_t slot_top(unsigned s)
{
	if (s < HISTOGRAM_SUB_BUCKETS)
		return s;
	unsigned row = s / HISTOGRAM_SUB_BUCKETS, shift = row - 1;
	uint64_t lead = HISTOGRAM_SUB_BUCKETS + s % HISTOGRAM_SUB_BUCKETS;
	return (lead << shift) + ((1ull << shift) - 1);
}

void histogram_init(struct latency_histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void histogram_record(struct latency_histogram *h, uint64_t value)
{
	h->slots[slot_of(value)]++;
	h->count++;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

void histogram_merge(struct latency_histogram *into, const struct latency_histogram *from)
{
	for (unsigned s = 0; s < HISTOGRAM_SLOTS; s++)
		into->slots[s] += from->slots[s];
	into->count += from->count;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t histogram_percentile(const struct latency_histogram *h, double p)
{
	if (h->count == 0)
		return 0;
	if (p <= 0)
		return h->min;
	/* The rank of the value wanted, 1-based: ceil(p% of count). */
	double exact = p >= 100 ? (double)h->count : ceil(p / 100.0 * (double)h->count);
	uint64_t rank = exact < 1 ? 1 : (uint64_t)exact;
	uint64_t seen = 0;
	for (unsigned s = 0; s < HISTOGRAM_SLOTS; s++) {
		seen += h->slots[s];
		if (seen >= rank) {
			uint64_t top = slot_top(s);
			return top < h->max ? top : h->max;
		}
	}
	return h->max;
}
