/* test_spsc_ring.c - SPSC ring: single-thread edge cases and a two-thread
 * ordering stress test. */
#include "shard/spsc_ring.h"
#include "unit_test.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

/* Sanitizers slow the stress test 5-20x; scale it down so it still ends
 * in seconds.  UNIT_STRESS_ITEMS overrides either default. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define STRESS_DEFAULT 2000000ULL
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define STRESS_DEFAULT 2000000ULL
#endif
#endif
#ifndef STRESS_DEFAULT
#define STRESS_DEFAULT 10000000ULL
#endif

#define ITEM(i) ((void *)(uintptr_t)((i) + 1))

static unsigned long long stress_items(void)
{
	const char *env = getenv("UNIT_STRESS_ITEMS");
	char *end;
	unsigned long long n;

	if (!env || !*env)
		return STRESS_DEFAULT;
	n = strtoull(env, &end, 10);
	return (*end == '\0' && n > 0) ? n : STRESS_DEFAULT;
}

/* xorshift32: cheap, per-thread, reproducible burst sizes. */
static unsigned rnd(unsigned *state)
{
	unsigned x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

TEST(test_bad_capacity)
{
	static const unsigned bad[] = { 0, 1, 3, 6, 100, 1000, UINT_MAX,
					0x80000001u };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_TRUE(spsc_ring_create(bad[i]) == NULL);
		EXPECT_EQ_INT(errno, EINVAL);
	}
	spsc_ring_free(NULL);
}

TEST(test_alignment_and_layout)
{
	struct spsc_ring *r = spsc_ring_create(2);

	REQUIRE_TRUE(r != NULL);
	EXPECT_EQ_UINT((uintptr_t)r % SPSC_RING_CACHE_LINE, 0);
	EXPECT_EQ_UINT((uintptr_t)&r->head - (uintptr_t)&r->tail,
		       SPSC_RING_CACHE_LINE);
	spsc_ring_free(r);
}

TEST(test_empty)
{
	struct spsc_ring *r = spsc_ring_create(8);
	void *out[4] = { 0 };

	REQUIRE_TRUE(r != NULL);
	EXPECT_EQ_UINT(spsc_ring_count(r), 0);
	EXPECT_EQ_UINT(spsc_ring_dequeue_burst(r, out, 4), 0);
	EXPECT_EQ_UINT(spsc_ring_dequeue_burst(r, out, 0), 0);
	EXPECT_EQ_UINT(spsc_ring_enqueue_burst(r, out, 0), 0);
	EXPECT_EQ_UINT(spsc_ring_count(r), 0);
	spsc_ring_free(r);
}

TEST(test_full)
{
	struct spsc_ring *r = spsc_ring_create(8);
	void *in[8], *out[8];

	REQUIRE_TRUE(r != NULL);
	for (unsigned i = 0; i < 8; i++)
		in[i] = ITEM(i);
	EXPECT_EQ_UINT(spsc_ring_enqueue_burst(r, in, 8), 8);
	EXPECT_EQ_UINT(spsc_ring_count(r), 8);
	EXPECT_EQ_UINT(spsc_ring_enqueue_burst(r, in, 1), 0);
	EXPECT_EQ_UINT(spsc_ring_dequeue_burst(r, out, 8), 8);
	EXPECT_EQ_MEM(out, in, sizeof(in));
	EXPECT_EQ_UINT(spsc_ring_count(r), 0);
	/* A slot freed by the consumer is usable again at once. */
	EXPECT_EQ_UINT(spsc_ring_enqueue_burst(r, in, 8), 8);
	EXPECT_EQ_UINT(spsc_ring_dequeue_burst(r, out, 1), 1);
	EXPECT_EQ_UINT(spsc_ring_enqueue_burst(r, in, 8), 1);
	spsc_ring_free(r);
}

TEST(test_partial_bursts)
{
	struct spsc_ring *r = spsc_ring_create(8);
	void *in[10], *out[10] = { 0 };

	REQUIRE_TRUE(r != NULL);
	for (unsigned i = 0; i < 10; i++)
		in[i] = ITEM(i);
	EXPECT_EQ_UINT(spsc_ring_enqueue_burst(r, in, 5), 5);
	EXPECT_EQ_UINT(spsc_ring_enqueue_burst(r, in + 5, 5), 3);
	EXPECT_EQ_UINT(spsc_ring_dequeue_burst(r, out, 3), 3);
	EXPECT_EQ_UINT(spsc_ring_dequeue_burst(r, out + 3, 10), 5);
	EXPECT_EQ_MEM(out, in, 8 * sizeof(void *));
	EXPECT_TRUE(out[8] == NULL);
	spsc_ring_free(r);
}

TEST(test_wrap_around)
{
	struct spsc_ring *r = spsc_ring_create(4);
	unsigned long long next_in = 0, next_out = 0;
	void *buf[3];

	REQUIRE_TRUE(r != NULL);
	/* Bursts of 3 into 4 slots land on every offset and straddle the
	 * end of the array in every possible way. */
	for (int round = 0; round < 1000; round++) {
		for (unsigned i = 0; i < 3; i++)
			buf[i] = ITEM(next_in + i);
		next_in += spsc_ring_enqueue_burst(r, buf, 3);
		unsigned got = spsc_ring_dequeue_burst(r, buf, 2);

		for (unsigned i = 0; i < got; i++)
			EXPECT_TRUE(buf[i] == ITEM(next_out + i));
		next_out += got;
		EXPECT_EQ_UINT(spsc_ring_count(r), next_in - next_out);
	}
	EXPECT_TRUE(next_in > 1000);
	spsc_ring_free(r);
}

/* Start both indices just below UINT_MAX so the free-running counters
 * overflow mid-test; fill level and order must be unaffected. */
TEST(test_index_overflow)
{
	struct spsc_ring *r = spsc_ring_create(8);
	const unsigned start = UINT_MAX - 4;
	void *in[8], *out[8];

	REQUIRE_TRUE(r != NULL);
	atomic_store(&r->tail, start);
	atomic_store(&r->head, start);
	r->head_cache = r->tail_cache = start;
	for (unsigned i = 0; i < 8; i++)
		in[i] = ITEM(i);
	for (int round = 0; round < 4; round++) {
		EXPECT_EQ_UINT(spsc_ring_enqueue_burst(r, in, 8), 8);
		EXPECT_EQ_UINT(spsc_ring_count(r), 8);
		EXPECT_EQ_UINT(spsc_ring_enqueue_burst(r, in, 1), 0);
		EXPECT_EQ_UINT(spsc_ring_dequeue_burst(r, out, 8), 8);
		EXPECT_EQ_MEM(out, in, sizeof(in));
		EXPECT_EQ_UINT(spsc_ring_count(r), 0);
		EXPECT_EQ_UINT(spsc_ring_enqueue_burst(r, in, 3), 3);
		EXPECT_EQ_UINT(spsc_ring_dequeue_burst(r, out, 8), 3);
	}
	EXPECT_TRUE(atomic_load(&r->tail) < start);
	spsc_ring_free(r);
}

#define MAX_BURST 64

struct stress {
	struct spsc_ring *ring;
	unsigned long long items;
	unsigned long long bad;		/* consumer: order violations */
};

static void backoff(void)
{
	sched_yield();
}

static void *stress_producer(void *arg)
{
	struct stress *s = arg;
	unsigned seed = 0x9e3779b9u;
	unsigned long long next = 0;
	void *buf[MAX_BURST];

	while (next < s->items) {
		unsigned n = rnd(&seed) % MAX_BURST + 1, sent = 0;

		if (n > s->items - next)
			n = (unsigned)(s->items - next);
		for (unsigned i = 0; i < n; i++)
			buf[i] = ITEM(next + i);
		/* Keep the burst until all of it is in, so the sequence is
		 * gapless even when the ring takes only part. */
		while (sent < n) {
			unsigned k = spsc_ring_enqueue_burst(s->ring,
							     buf + sent,
							     n - sent);
			sent += k;
			if (!k)
				backoff();
		}
		next += n;
	}
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress *s = arg;
	unsigned seed = 0x2545f491u;
	unsigned long long next = 0;
	void *buf[MAX_BURST];

	while (next < s->items) {
		unsigned n = rnd(&seed) % MAX_BURST + 1;
		unsigned got = spsc_ring_dequeue_burst(s->ring, buf, n);

		if (!got)
			backoff();
		for (unsigned i = 0; i < got; i++) {
			if (buf[i] != ITEM(next + i) && s->bad++ == 0)
				printf("  item %llu: got %p\n", next + i,
				       buf[i]);
		}
		next += got;
	}
	return NULL;
}

TEST(test_two_thread_stress)
{
	struct stress s = { .items = stress_items() };
	pthread_t prod, cons;
	void *extra;

	/* Smaller than MAX_BURST * 2 so both full and empty are frequent. */
	s.ring = spsc_ring_create(64);
	REQUIRE_TRUE(s.ring != NULL);
	REQUIRE_TRUE(pthread_create(&cons, NULL, stress_consumer, &s) == 0);
	REQUIRE_TRUE(pthread_create(&prod, NULL, stress_producer, &s) == 0);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	EXPECT_EQ_UINT(s.bad, 0);
	EXPECT_EQ_UINT(spsc_ring_count(s.ring), 0);
	EXPECT_EQ_UINT(spsc_ring_dequeue_burst(s.ring, &extra, 1), 0);
	spsc_ring_free(s.ring);
}

/* Messages travel out on one ring and come back on another, as shard
 * threads will use them: checks that payload writes made before enqueue
 * are seen after dequeue, in both directions (meaningful under TSan). */
#define POOL 32

struct msg {
	unsigned long long seq;
	unsigned long long echo;
};

struct pingpong {
	struct spsc_ring *out, *back;
	unsigned long long items;
	unsigned long long bad;
};

static void *pingpong_worker(void *arg)
{
	struct pingpong *p = arg;
	unsigned long long seen = 0;
	void *m;

	while (seen < p->items) {
		if (!spsc_ring_dequeue_burst(p->out, &m, 1)) {
			backoff();
			continue;
		}
		struct msg *msg = m;

		if (msg->seq != seen++)
			p->bad++;
		msg->echo = msg->seq * 3;
		while (!spsc_ring_enqueue_burst(p->back, &m, 1))
			backoff();
	}
	return NULL;
}

TEST(test_two_thread_message_handoff)
{
	struct pingpong p = { .items = stress_items() / 10 + 1 };
	struct msg pool[POOL];
	unsigned long long sent = 0, returned = 0, bad_echo = 0;
	void *free_list[POOL];
	unsigned nfree = POOL;
	pthread_t worker;

	p.out = spsc_ring_create(POOL);
	p.back = spsc_ring_create(POOL);
	REQUIRE_TRUE(p.out && p.back);
	for (unsigned i = 0; i < POOL; i++)
		free_list[i] = &pool[i];
	REQUIRE_TRUE(pthread_create(&worker, NULL, pingpong_worker, &p) == 0);
	while (returned < p.items) {
		if (nfree && sent < p.items) {
			struct msg *m = free_list[--nfree];

			m->seq = sent++;
			m->echo = 0;
			while (!spsc_ring_enqueue_burst(p.out,
							(void *const *)&m, 1))
				backoff();
			continue;
		}
		unsigned got = spsc_ring_dequeue_burst(p.back,
						       free_list + nfree,
						       POOL - nfree);
		if (!got)
			backoff();
		for (unsigned i = 0; i < got; i++) {
			struct msg *m = free_list[nfree + i];

			bad_echo += m->echo != m->seq * 3;
		}
		nfree += got;
		returned += got;
	}
	pthread_join(worker, NULL);
	EXPECT_EQ_UINT(p.bad, 0);
	EXPECT_EQ_UINT(bad_echo, 0);
	EXPECT_EQ_UINT(nfree, POOL);
	spsc_ring_free(p.out);
	spsc_ring_free(p.back);
}

int main(void)
{
	RUN(test_bad_capacity);
	RUN(test_alignment_and_layout);
	RUN(test_empty);
	RUN(test_full);
	RUN(test_partial_bursts);
	RUN(test_wrap_around);
	RUN(test_index_overflow);
	RUN(test_two_thread_stress);
	RUN(test_two_thread_message_handoff);
	return unit_summary();
}
