/* tessera-bench's latency histogram (perf/bench/latency_histogram.h):
 * percentiles against a sorted array of the same values, merging, and the
 * edges of the value range. */
#include <stdint.h>
#include <stdlib.h>

#include "latency_histogram.h"
#include "unit_test.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* xorshift64*: reproducible values without libc's rand(). */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* The exact percentile of a sorted array, by the histogram's rule: the
 * value of rank ceil(p% of n), at least 1. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)((p / 100.0) * (double)n);
	if ((double)rank < (p / 100.0) * (double)n)
		rank++;
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

#define N 100000
static uint64_t values[N];

TEST(test_percentiles_are_within_one_128th_above_the_exact_ones)
{
	struct latency_histogram *h = malloc(sizeof(*h));
	REQUIRE_TRUE(h);
	histogram_init(h);
	uint64_t seed = 42;
	for (size_t i = 0; i < N; i++) {
		/* Log-uniform from 1 ns to about 17 s, as latencies spread. */
		unsigned bits = (unsigned)(next_random(&seed) % 35);
		values[i] = next_random(&seed) & ((1ull << bits) - 1);
		histogram_record(h, values[i]);
	}
	qsort(values, N, sizeof(values[0]), cmp_u64);
	const double ps[] = { 0.1, 1, 10, 50, 90, 99, 99.9, 99.99, 99.999, 100 };
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t want = exact_percentile(values, N, ps[i]);
		uint64_t got = histogram_percentile(h, ps[i]);
		EXPECT_TRUE(got >= want);
		EXPECT_TRUE(got - want <= want / 128);
	}
	EXPECT_EQ_UINT(histogram_percentile(h, 100), values[N - 1]);
	EXPECT_EQ_UINT(histogram_percentile(h, 0), values[0]);
	EXPECT_EQ_UINT(h->count, N);
	free(h);
}

TEST(test_values_below_256_are_kept_exactly)
{
	struct latency_histogram *h = malloc(sizeof(*h));
	REQUIRE_TRUE(h);
	histogram_init(h);
	for (uint64_t v = 0; v < 256; v++)
		histogram_record(h, v);
	for (uint64_t v = 0; v < 256; v++)
		EXPECT_EQ_UINT(histogram_percentile(h, 100.0 * (double)(v + 1) / 256.0), v);
	free(h);
}

TEST(test_merged_histograms_answer_as_one_that_saw_every_value)
{
	struct latency_histogram *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)),
				 *all = malloc(sizeof(*all));
	REQUIRE_TRUE(a && b && all);
	histogram_init(a);
	histogram_init(b);
	histogram_init(all);
	uint64_t seed = 7;
	for (size_t i = 0; i < N; i++) {
		uint64_t v = next_random(&seed) % 50000000; /* up to 50 ms */
		histogram_record(i % 3 ? a : b, v);
		histogram_record(all, v);
	}
	histogram_merge(a, b);
	EXPECT_EQ_UINT(a->count, all->count);
	EXPECT_EQ_UINT(a->min, all->min);
	EXPECT_EQ_UINT(a->max, all->max);
	for (double p = 0; p <= 100; p += 0.5)
		EXPECT_EQ_UINT(histogram_percentile(a, p), histogram_percentile(all, p));
	free(a);
	free(b);
	free(all);
}

TEST(test_the_whole_value_range_is_recorded)
{
	struct latency_histogram *h = malloc(sizeof(*h));
	REQUIRE_TRUE(h);
	histogram_init(h);
	EXPECT_EQ_UINT(histogram_percentile(h, 50), 0); /* empty */
	histogram_record(h, 0);
	histogram_record(h, UINT64_MAX);
	EXPECT_EQ_UINT(histogram_percentile(h, 50), 0);
	EXPECT_EQ_UINT(histogram_percentile(h, 100), UINT64_MAX);
	EXPECT_EQ_UINT(h->min, 0);
	EXPECT_EQ_UINT(h->max, UINT64_MAX);
	free(h);
}

int main(void)
{
	RUN(test_percentiles_are_within_one_128th_above_the_exact_ones);
	RUN(test_values_below_256_are_kept_exactly);
	RUN(test_merged_histograms_answer_as_one_that_saw_every_value);
	RUN(test_the_whole_value_range_is_recorded);
	return unit_summary();
}
