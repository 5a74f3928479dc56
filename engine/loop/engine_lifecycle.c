#include "loop/engine_lifecycle.h"

#include <stdlib.h>

#include "loop/client_input.h"
#include "request/client.h"
#include "request/pending.h"
#include "shard/shard.h"
#include "shard/shard_job.h"
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

static void shard_teardown(struct shard *sh)
{
	while (shard_run_jobs(sh))
		; /* finish sliced work: it owns replies and memory */
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
	shard_destroy(sh);
}

void engine_destroy(struct engine *eng)
{
	if (!eng)
		return;
	if (eng->shards)
		for (unsigned i = 0; i < eng->nshards; i++)
			if (eng->shards[i])
				shard_teardown(eng->shards[i]);
	free(eng->shards);
	free(eng);
}
