#include "shard/shard.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "shard/shard_msg.h"
#include "shard/slot.h"
#include "shard/spsc_ring.h"

int64_t shard_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t shard_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void shard_update_clock(struct shard *sh)
{
	sh->iteration_start_us = shard_monotonic_us();
	sh->now_ms = shard_wall_ms();
	sh->ks.clock_ms = sh->now_ms;
}

uint64_t shard_rand(struct shard *sh)
{
	/* xorshift64*: RANDOMKEY and sampling need speed, not quality. */
	uint64_t x = sh->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	sh->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

unsigned key_shard(const struct shard *sh, const char *key, size_t len)
{
	if (sh->nshards == 1)
		return 0;
	return slot_shard(key_slot(key, len), sh->nshards);
}

/* Seeds from the kernel: the table's hash seed must not be guessable, or
 * a client could write keys that all land in one segment's home bucket
 * (the wall clock at start, which INFO shows, was). The clock is the
 * fallback only when the kernel has no entropy yet, early at boot. */
static uint64_t random_seed(unsigned id)
{
	uint64_t seed;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	return 0x9E3779B97F4A7C15ULL * (id + 1) ^ (uint64_t)shard_wall_ms();
}

struct shard *shard_create(struct engine *eng, unsigned id)
{
	struct shard *sh = aligned_alloc(64, (sizeof(*sh) + 63) / 64 * 64);
	if (!sh)
		return NULL;
	memset(sh, 0, sizeof(*sh));
	sh->id = id;
	sh->nshards = eng->nshards;
	sh->engine = eng;
	/* Separate seeds: RANDOMKEY's answers say something of the rng's. */
	sh->rng = random_seed(id) | 1;
	keyspace_init(&sh->ks, random_seed(id));
	sh->ring_out = calloc(eng->nshards, sizeof(*sh->ring_out));
	sh->ring_in = calloc(eng->nshards, sizeof(*sh->ring_in));
	sh->outbox = calloc(eng->nshards, sizeof(*sh->outbox));
	if (!sh->ring_out || !sh->ring_in || !sh->outbox) {
		shard_destroy(sh);
		return NULL;
	}
	shard_update_clock(sh);
	sh->overhead_bytes = shard_state_bytes(sh);
	return sh;
}

void shard_destroy(struct shard *sh)
{
	if (!sh)
		return;
	keyspace_free(&sh->ks);
	argv_vec_free(&sh->split_argv);
	if (sh->ring_out)
		for (unsigned j = 0; j < sh->nshards; j++)
			spsc_ring_free(sh->ring_out[j]);
	if (sh->outbox)
		for (unsigned j = 0; j < sh->nshards; j++)
			free(sh->outbox[j].msgs);
	shard_msg_pool_free(sh);
	free(sh->ring_out);
	free(sh->ring_in);
	free(sh->outbox);
	free(sh->dirty);
	free(sh);
}

bool shard_prepare_sleep(struct shard *sh)
{
	/* A job's next slice, or replies a job just finished, are work now. */
	if (sh->outbox_dirty || sh->ndirty || sh->ready || sh->jobs || sh->evicting || sh->expiring)
		return false;
	atomic_store_explicit(&sh->sleeping, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	for (unsigned j = 0; j < sh->nshards; j++) {
		if (sh->ring_in[j] && spsc_ring_count(sh->ring_in[j]) > 0) {
			atomic_store_explicit(&sh->sleeping, 0, memory_order_relaxed);
			return false;
		}
	}
	return true;
}

bool shard_background_work(const struct shard *sh)
{
	return sh->jobs || sh->evicting || sh->expiring;
}

void shard_woke(struct shard *sh)
{
	atomic_store_explicit(&sh->sleeping, 0, memory_order_relaxed);
}

uint64_t shard_state_bytes(const struct shard *sh)
{
	return sizeof(*sh) + (uint64_t)sh->split_argv.cap * sizeof(struct arg) +
	       (uint64_t)sh->msg_pool_count * sizeof(struct shard_msg);
}
