/* Latencies (or any non-negative counts, in nanoseconds here) kept as a
 * log-linear histogram, after HdrHistogram: every power of two is split
 * into HISTOGRAM_SUB_BUCKETS equal steps, so a value is known to within
 * 1/128 of itself (below 128 exactly), from 1 ns to 2^64 ns, in a fixed
 * array. Recording is an index computation and an increment; histograms of
 * different threads merge by adding counts, so percentiles over the whole
 * run are exact to that precision, not averages of per-thread percentiles.
 *
 * tessera-bench's own (Debian packages no C HdrHistogram). Not
 * thread-safe: one per thread, merged when the run ends or each second.
 */
#ifndef TESSERA_LATENCY_HISTOGRAM_H
#define TESSERA_LATENCY_HISTOGRAM_H

#include <stdint.h>

#define HISTOGRAM_SUB_BUCKET_BITS 7
#define HISTOGRAM_SUB_BUCKETS (1u << HISTOGRAM_SUB_BUCKET_BITS)
/* Values below 128 have a slot each; then 57 powers of two of 128 slots. */
#define HISTOGRAM_SLOTS ((64 - HISTOGRAM_SUB_BUCKET_BITS + 1) * HISTOGRAM_SUB_BUCKETS)

struct latency_histogram {
	uint64_t count;           /* values recorded */
	uint64_t min, max;        /* exact; min is UINT64_MAX while empty */
	uint64_t slots[HISTOGRAM_SLOTS];
};

void histogram_init(struct latency_histogram *h);
void histogram_record(struct latency_histogram *h, uint64_t value);
/* Add every value of `from` to `into`. */
void histogram_merge(struct latency_histogram *into, const struct latency_histogram *from);
/* The value at percentile p (0 to 100): the smallest recorded value that at
 * least p% of the values do not exceed, as the top of its slot (so never
 * below the true one, and at most 1/128 above it), and never above max.
 * 0 for an empty histogram. */
uint64_t histogram_percentile(const struct latency_histogram *h, double p);

#endif
