#include "shard/shard.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/config.h"
#include "db/db.h"
#include "db/evict.h"
#include "db/expire.h"
#include "db/keyspace_hygiene.h"
#include "request/client.h"
#include "request/pending.h"
#include "resp/reply.h"
#include "shard/shard_job.h"
#include "shard/shard_msg.h"
#include "shard/slot.h"
#include "shard/spsc_ring.h"

/* Ring capacity per ordered pair: enough for a few loop iterations of a busy
 * pipeline; a full ring only delays messages (they stay in the outbox). */
#define RING_CAPACITY 4096
#define DRAIN_BURST 64
#define MSG_POOL_MAX 4096
#define MSG_KEEP_BYTES 4096
/* shard_tick's period: active expiry slices and idle-client checks. */
#define TICK_MS 100
/* The table walk only backs up the expiry queue (keys it could not hold). */
#define EXPIRE_SEGMENTS_PER_TICK 1
/* Sparse table segments looked at (and shrunk or merged) per iteration. */
#define KEYSPACE_TICK_SEGMENTS 4

static int64_t wall_ms(void)
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
	sh->now_ms = wall_ms();
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
	return 0x9E3779B97F4A7C15ULL * (id + 1) ^ (uint64_t)wall_ms();
}

static struct shard *shard_create(struct engine *eng, unsigned id)
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
	shard_update_clock(sh);
	sh->overhead_bytes = shard_overhead_bytes(sh);
	if (!sh->ring_out || !sh->ring_in || !sh->outbox)
		return NULL;
	return sh;
}

struct engine *engine_create(unsigned nshards)
{
	struct engine *eng = calloc(1, sizeof(*eng));
	if (!eng)
		return NULL;
	eng->nshards = nshards;
	eng->start_ms = wall_ms();
	eng->next_client_id = 1;
	eng->shards = calloc(nshards, sizeof(*eng->shards));
	if (!eng->shards)
		return NULL;
	for (unsigned i = 0; i < nshards; i++)
		if (!(eng->shards[i] = shard_create(eng, i)))
			return NULL;
	for (unsigned i = 0; i < nshards; i++) {
		for (unsigned j = 0; j < nshards; j++) {
			if (i == j)
				continue;
			struct spsc_ring *r = spsc_ring_create(RING_CAPACITY);
			if (!r)
				return NULL;
			eng->shards[i]->ring_out[j] = r;
			eng->shards[j]->ring_in[i] = r;
		}
	}
	return eng;
}

static void msg_destroy(struct shard_msg *m)
{
	buf_free(&m->storage);
	buf_free(&m->reply);
	free(m);
}

void engine_destroy(struct engine *eng)
{
	if (!eng)
		return;
	for (unsigned i = 0; i < eng->nshards; i++) {
		struct shard *sh = eng->shards[i];
		if (!sh)
			continue;
		while (shard_run_jobs(sh))
			; /* finish sliced work: it owns replies and memory */
		while (sh->clients) {
			struct client *c = sh->clients;
			c->inflight = 0;
			client_detach(c);
		}
		keyspace_free(&sh->ks);
		argv_vec_free(&sh->argv);
		argv_vec_free(&sh->split_argv);
		for (unsigned j = 0; j < eng->nshards; j++) {
			spsc_ring_free(sh->ring_out[j]);
			free(sh->outbox[j].msgs);
		}
		while (sh->msg_pool) {
			struct shard_msg *m = sh->msg_pool;
			sh->msg_pool = m->next_free;
			msg_destroy(m);
		}
		while (sh->pending_pool) {
			struct pending *p = sh->pending_pool;
			sh->pending_pool = p->next;
			buf_free(&p->reply);
			buf_free(&p->after);
			buf_free(&p->scratch);
			buf_free(&p->args);
			for (unsigned j = 0; j < eng->nshards; j++)
				buf_free(&p->parts[j]);
			free(p->parts);
			free(p);
		}
		free(sh->ring_out);
		free(sh->ring_in);
		free(sh->outbox);
		free(sh->dirty);
		free(sh);
	}
	free(eng->shards);
	free(eng);
}

/* ---- messages ----------------------------------------------------------- */

static struct shard_msg *msg_alloc(struct shard *sh)
{
	struct shard_msg *m = sh->msg_pool;
	if (m) {
		sh->msg_pool = m->next_free;
		sh->msg_pool_count--;
		return m;
	}
	return calloc(1, sizeof(*m));
}

static void msg_release(struct shard *sh, struct shard_msg *m)
{
	if (sh->msg_pool_count >= MSG_POOL_MAX) {
		msg_destroy(m);
		return;
	}
	if (m->storage.cap > MSG_KEEP_BYTES)
		buf_free(&m->storage);
	if (m->reply.cap > MSG_KEEP_BYTES)
		buf_free(&m->reply);
	m->storage.start = m->storage.len = 0;
	m->reply.start = m->reply.len = 0;
	m->next_free = sh->msg_pool;
	sh->msg_pool = m;
	sh->msg_pool_count++;
}

static void outbox_push(struct shard *sh, unsigned target, struct shard_msg *m)
{
	struct msg_outbox *ob = &sh->outbox[target];
	if (ob->count == ob->cap) {
		unsigned cap = ob->cap ? ob->cap * 2 : 64;
		struct shard_msg **v = realloc(ob->msgs, cap * sizeof(*v));
		if (!v)
			abort(); /* losing a message would hang a client forever */
		ob->msgs = v;
		ob->cap = cap;
	}
	ob->msgs[ob->count++] = m;
	sh->outbox_dirty = true;
}

void shard_send(struct shard *sh, unsigned target, struct pending *p, unsigned part,
		cmd_handler exec, int argc, const struct arg *argv, int resp)
{
	struct shard_msg *m = msg_alloc(sh);
	if (!m)
		abort();
	struct arg *v = argv_copy(&m->storage, argc, argv);
	if (!v)
		abort(); /* losing a message would hang a client forever */
	m->argv = v;
	m->argc = argc;
	m->pending = p;
	m->exec = exec;
	m->cmd_flags = p && p->cmd ? p->cmd->flags : 0;
	m->origin = (uint16_t)sh->id;
	m->part = (uint16_t)part;
	m->resp = (uint8_t)resp;
	STAT_ADD(sh->stats.cross_shard_messages, 1);
	outbox_push(sh, target, m);
}

void shard_reply_message(struct shard *sh, struct shard_msg *m)
{
	outbox_push(sh, m->origin, m);
}

/* What a write may add: its arguments' bytes and an entry's overhead for
 * each key it may create. Over-counting an overwrite near the limit only
 * refuses it a little early; under-counting would leave the shard over
 * budget after a write returned. */
static uint64_t write_estimate(const struct cmd_ctx *ctx)
{
	uint64_t bytes = 0;
	for (int i = 1; i < ctx->argc; i++)
		bytes += ctx->argv[i].len + ENTRY_OVERHEAD_ESTIMATE;
	return bytes;
}

void shard_execute(struct cmd_ctx *ctx, cmd_handler fn, uint32_t flags)
{
	if ((flags & CMD_DENYOOM) && !evict_make_room(ctx->sh, write_estimate(ctx))) {
		reply_error(ctx->out, EVICT_OOM_ERROR);
		return;
	}
	fn(ctx);
	if (flags & CMD_WRITE) {
		evict_make_room(ctx->sh, 0);
		/* Before the reply can leave: an INFO that follows it on another
		 * connection, served by another shard, counts this write. */
		db_publish_stats(ctx->sh);
	}
}

static void handle_message(struct shard *sh, struct shard_msg *m)
{
	if (m->origin == sh->id) {
		/* Our request, answered. */
		pending_part_done(sh, m->pending, m->part, &m->reply);
		msg_release(sh, m);
		return;
	}
	struct cmd_ctx ctx = {
		.sh = sh, .client = NULL, .argc = m->argc, .argv = m->argv,
		.out = &m->reply, .resp = m->resp, .msg = m,
	};
	shard_execute(&ctx, m->exec, m->cmd_flags);
	STAT_ADD(sh->stats.remote_executed, 1);
	if (!ctx.deferred)
		outbox_push(sh, m->origin, m);
}

unsigned shard_drain_rings(struct shard *sh)
{
	unsigned total = 0;
	void *burst[DRAIN_BURST];
	for (unsigned j = 0; j < sh->nshards; j++) {
		struct spsc_ring *r = sh->ring_in[j];
		if (!r)
			continue;
		unsigned n;
		do {
			n = spsc_ring_dequeue_burst(r, burst, DRAIN_BURST);
			for (unsigned i = 0; i < n; i++)
				handle_message(sh, burst[i]);
			total += n;
		} while (n == DRAIN_BURST);
	}
	return total;
}

void shard_flush_outbox(struct shard *sh)
{
	if (!sh->outbox_dirty)
		return;
	sh->outbox_dirty = false;
	struct engine *eng = sh->engine;
	for (unsigned t = 0; t < sh->nshards; t++) {
		struct msg_outbox *ob = &sh->outbox[t];
		if (ob->count == 0)
			continue;
		unsigned sent = spsc_ring_enqueue_burst(sh->ring_out[t], (void *const *)ob->msgs, ob->count);
		if (sent < ob->count) {
			memmove(ob->msgs, ob->msgs + sent, (ob->count - sent) * sizeof(*ob->msgs));
			sh->outbox_dirty = true;
		}
		ob->count -= sent;
		if (sent == 0)
			continue;
		/* Pairs with shard_prepare_sleep: either the receiver sees our
		 * messages before it sleeps, or we see that it sleeps. */
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&eng->shards[t]->sleeping, memory_order_relaxed))
			eng->wake(eng, t);
	}
}

bool shard_prepare_sleep(struct shard *sh)
{
	/* A job's next slice, or replies a job just finished, are work now. */
	if (sh->outbox_dirty || sh->ndirty || sh->jobs || sh->evicting || sh->expiring)
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

/* ---- periodic work ------------------------------------------------------ */

uint64_t shard_overhead_bytes(const struct shard *sh)
{
	uint64_t bytes = sizeof(*sh) + (uint64_t)sh->argv.cap * sizeof(struct arg) +
			 (uint64_t)sh->msg_pool_count * sizeof(struct shard_msg);
	for (const struct client *c = sh->clients; c; c = c->next)
		bytes += sizeof(*c) + c->query.cap + c->out.cap;
	return bytes;
}

static int64_t next_tick_at(const struct shard *sh)
{
	return sh->last_timeout_check_ms + TICK_MS;
}

int shard_next_tick_ms(const struct shard *sh)
{
	int64_t wait = next_tick_at(sh) - sh->now_ms;
	if (sh->jobs || sh->evicting || sh->expiring)
		return 0;
	/* Wake for the next key to expire, not the next tick. */
	int64_t expiry = expire_next_in_ms(sh);
	if (expiry >= 0 && expiry < wait)
		wait = expiry;
	return wait < 0 ? 0 : (int)wait;
}

static void close_idle_clients(struct shard *sh)
{
	long long timeout = CFG(timeout);
	if (timeout <= 0)
		return;
	for (struct client *c = sh->clients; c; c = c->next) {
		if (!c->close_asap && !c->blocked && !c->pend_head &&
		    sh->now_ms - c->last_ms > timeout * 1000)
			client_kill(c);
	}
}

/* The longest a client could have waited on this shard's own work, from
 * the start of the iteration to the end of its periodic work (stalls like
 * preemption count; time asleep waiting for input does not). */
static void note_iteration_time(struct shard *sh)
{
	uint64_t busy = shard_monotonic_us() - sh->iteration_start_us;
	if (busy > STAT_GET(sh->stats.longest_iteration_us))
		STAT_SET(sh->stats.longest_iteration_us, busy);
}

/* Every TICK_MS: the slow table walk, sampling and upkeep. */
static void periodic_work(struct shard *sh)
{
	sh->last_timeout_check_ms = sh->now_ms;
	expire_active_cycle(sh, EXPIRE_SEGMENTS_PER_TICK);
	expire_sample_stats(sh);
	close_idle_clients(sh);
	sh->overhead_bytes = shard_overhead_bytes(sh);
	evict_make_room(sh, 0); /* after CONFIG SET maxmemory: starts the slices */
	unsigned purge = atomic_load(&sh->engine->purge_generation);
	if (purge != sh->purge_seen) {
		sh->purge_seen = purge;
		shard_heap_collect(&sh->ks.heap);
	}
}

void shard_tick(struct shard *sh)
{
	bool periodic = sh->now_ms >= next_tick_at(sh);
	shard_run_jobs(sh);
	/* Counted before this iteration's expiry, when the backlog is largest. */
	if (periodic)
		STAT_SET(sh->stats.expired_present,
			 expire_count_present(sh, EXPIRE_PRESENT_TICK_MAX));
	sh->expiring = expire_due(sh);
	if (sh->evicting)
		evict_make_room(sh, 0); /* a lowered maxmemory: a slice per iteration */
	keyspace_tick(&sh->ks, KEYSPACE_TICK_SEGMENTS);
	if (periodic)
		periodic_work(sh);
	db_publish_stats(sh);
	if (periodic && sh->id == 0)
		hygiene_check(sh); /* reads the figures just published */
	note_iteration_time(sh);
}
