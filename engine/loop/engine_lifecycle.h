/* Creating and tearing down the engine (shard/engine.h): every shard and
 * the ring of each ordered pair of shards. Called by the dataplane's main
 * thread, before shard threads start and after they stopped.
 */
#ifndef TESSERA_ENGINE_LIFECYCLE_H
#define TESSERA_ENGINE_LIFECYCLE_H

#include "shard/engine.h"

/* NULL if out of memory. */
struct engine *engine_create(unsigned nshards);
/* Finishes sliced work (it owns replies and memory), then frees every
 * message (pooled, in a ring or staged), client, pending and shard. The
 * shard threads must have stopped. NULL is a no-op. */
void engine_destroy(struct engine *eng);

#endif
