/* The engine: every shard, and the little state they share. Read-only
 * after start-up except the atomics, which any shard's thread may update.
 * Created and torn down by loop/engine_lifecycle.h.
 */
#ifndef TESSERA_ENGINE_H
#define TESSERA_ENGINE_H

#include <stdatomic.h>
#include <stdint.h>

struct buf;
struct shard;

/* Engine-wide state: read-only after start-up except where noted. */
struct engine {
	unsigned nshards;
	struct shard **shards;
	int64_t start_ms;
	_Atomic uint64_t next_client_id;
	_Atomic int64_t connected_clients;   /* for maxclients */
	_Atomic int shutdown_requested;      /* SIGTERM or SHUTDOWN */
	_Atomic int64_t stat_reset_ms;
	/* Start-up: shard threads that are serving, or that could not start. */
	_Atomic unsigned shards_ready, shards_failed;
	_Atomic unsigned purge_generation;   /* MEMORY PURGE: bumped, each shard collects */
	/* Set by the dataplane: wake shard `id` if it sleeps (any thread). */
	void (*wake)(struct engine *eng, unsigned id);
	/* Set by a dataplane that has its own figures: append INFO's
	 * "dataplane" section body (any shard's thread), from figures each
	 * shard publishes on its own thread; INFO has every shard publish
	 * (dataplane_publish) first. */
	void (*dataplane_info)(struct engine *eng, struct buf *out);
	void (*dataplane_publish)(struct engine *eng, unsigned id);
	void *dataplane;
};

#endif
