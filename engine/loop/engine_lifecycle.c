#include "loop/engine_lifecycle.h"

#include <stdlib.h>

#include "loop/client_input.h"
#include "request/client.h"
#include "request/pending.h"
#include "shard/shard.h"
#include "shard/shard_job.h"
#include "shard/shard_msg.h"
#include "shard/spsc_ring.h"

/* Ring capacity per ordered pair: enough for a few loop iterations of a busy
 * pipeline; a full ring only delays messages (they stay in the outbox). */
#define RING_CAPACITY 4096

static bool connect_rings(struct engine *eng)
{
	for (unsigned i = 0; i < eng->nshards; i++) {
		for (unsigned j = 0; j < eng->nshards; j++) {
			if (i == j)
				continue;
			struct spsc_ring *r = spsc_ring_create(RING_CAPACITY);
			if (!r)
				return false;
			eng->shards[i]->ring_out[j] = r;
			eng->shards[j]->ring_in[i] = r;
		}
	}
	return true;
}

struct engine *engine_create(unsigned nshards)
{
	struct engine *eng = calloc(1, sizeof(*eng));
	if (!eng)
		return NULL;
	eng->nshards = nshards;
	eng->start_ms = shard_wall_ms();
	eng->next_client_id = 1;
	eng->shards = calloc(nshards, sizeof(*eng->shards));
	if (!eng->shards)
		goto fail;
	for (unsigned i = 0; i < nshards; i++)
		if (!(eng->shards[i] = shard_create(eng, i)))
			goto fail;
	if (!connect_rings(eng))
		goto fail;
	return eng;
fail:
	engine_destroy(eng);
	return NULL;
}

/* Messages still travelling, in a ring or staged in an outbox, go back to
 * the shard that allocated them, unanswered: no shard runs any more. */
static void release_messages_in_flight(struct engine *eng)
{
	void *burst[64];
	const unsigned burst_max = sizeof(burst) / sizeof(burst[0]);
	for (unsigned i = 0; i < eng->nshards; i++) {
		struct shard *sh = eng->shards[i];
		for (unsigned j = 0; j < eng->nshards; j++) {
			unsigned n;
			while (sh->ring_in[j] && (n = spsc_ring_dequeue_burst(sh->ring_in[j], burst, burst_max)) > 0)
				for (unsigned k = 0; k < n; k++)
					shard_msg_release(eng->shards[j], burst[k]);
			struct msg_outbox *ob = &sh->outbox[j];
			for (unsigned k = 0; k < ob->count; k++)
				shard_msg_release(eng->shards[ob->msgs[k]->origin], ob->msgs[k]);
			ob->count = 0;
		}
	}
}

static void free_clients(struct shard *sh)
{
	client_serve_ready(sh);
	while (sh->clients) {
		struct client *c = sh->clients;
		c->inflight = 0; /* the other shards are stopped */
		if (c->detached)
			client_free_if_unused(c); /* it was waiting on a part */
		else
			client_detach(c);
	}
	pending_pool_free(sh);
}

static bool engine_is_whole(const struct engine *eng)
{
	if (!eng->shards)
		return false;
	for (unsigned i = 0; i < eng->nshards; i++)
		if (!eng->shards[i])
			return false;
	return true;
}

/* In passes, while every shard still exists: a job may answer a message
 * of another shard, and a message belongs to the shard that sent it. */
void engine_destroy(struct engine *eng)
{
	if (!eng)
		return;
	/* An engine_create() that failed part-way has no clients, jobs or
	 * messages yet: only its shards to free. */
	if (engine_is_whole(eng)) {
		for (unsigned i = 0; i < eng->nshards; i++)
			while (shard_run_jobs(eng->shards[i]))
				; /* finish sliced work: it owns replies and memory */
		release_messages_in_flight(eng);
		for (unsigned i = 0; i < eng->nshards; i++)
			free_clients(eng->shards[i]);
	}
	if (eng->shards)
		for (unsigned i = 0; i < eng->nshards; i++)
			shard_destroy(eng->shards[i]);
	free(eng->shards);
	free(eng);
}
