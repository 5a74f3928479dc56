/* One loop iteration's engine work, the part every dataplane backend
 * calls in the order shard_loop.h gives: the ring messages of other shards
 * (after the backend fed its clients what it received), then the tick:
 * sliced jobs, active expiry, eviction, table upkeep, periodic work.
 * It sits above every other layer because it calls them all.
 */
#include "loop/shard_loop.h"

#include "base/config.h"
#include "db/db.h"
#include "db/evict.h"
#include "db/expire.h"
#include "db/keyspace_hygiene.h"
#include "loop/client_input.h"
#include "loop/client_limits.h"
#include "request/client.h"
#include "request/execute.h"
#include "request/pending.h"
#include "resp/error_stats.h"
#include "shard/shard_job.h"
#include "shard/shard_msg.h"
#include "shard/spsc_ring.h"

#define DRAIN_BURST 64
/* shard_tick's period: active expiry slices and idle-client checks. */
#define TICK_MS 100
/* The table walk only backs up the expiry queue (keys it could not hold). */
#define EXPIRE_SEGMENTS_PER_TICK 1
/* Sparse table segments looked at (and shrunk or merged) per iteration. */
#define KEYSPACE_TICK_SEGMENTS 4

/* ---- messages from other shards ---------------------------------------- */

static void handle_message(struct shard *sh, struct shard_msg *m)
{
	if (m->origin == sh->id) {
		/* Our request, answered. */
		pending_part_done(sh, m->pending, m->part, &m->reply);
		shard_msg_release(sh, m);
		return;
	}
	struct cmd_ctx ctx = {
		.sh = sh, .client = NULL, .argc = m->argc, .argv = m->argv,
		.out = &m->reply, .resp = m->resp, .msg = m,
	};
	shard_execute(&ctx, m->exec, m->cmd_flags);
	STAT_ADD(sh->stats.remote_executed, 1);
	if (!ctx.deferred)
		shard_reply_message(sh, m);
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
	client_serve_ready(sh);
	return total;
}

/* ---- periodic work ------------------------------------------------------ */

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
	client_limits_tick(sh);
	evict_make_room(sh, 0); /* after CONFIG SET maxmemory: starts the slices */
	unsigned purge = atomic_load(&sh->engine->purge_generation);
	if (purge != sh->purge_seen) {
		sh->purge_seen = purge;
		shard_heap_collect(&sh->ks.heap);
	}
}

void shard_thread_begin(struct shard *sh)
{
	error_stats_bind(&sh->errors);
}

void shard_tick(struct shard *sh)
{
	bool periodic = sh->now_ms >= next_tick_at(sh);
	shard_run_jobs(sh);
	client_serve_ready(sh); /* clients whose sliced replies just finished */
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
