/* Limits on what a shard's connections hold, and the figures INFO reports
 * about them:
 *   client-output-buffer-limit, normal class: a client whose unsent replies
 *     pass the hard limit, or stay over the soft one for its seconds, is
 *     closed (its replies dropped), as Redis does. The pubsub and replica
 *     classes are stored for when pub/sub and replicas exist.
 *   maxmemory-clients: while this shard's connections hold more than its
 *     share of the limit (split per shard, as maxmemory is), the biggest of
 *     them are closed, as Redis 7.0's client eviction does.
 * Backpressure (client-output-backpressure, loop/client_input.c) keeps most
 * clients far below either.
 */
#ifndef TESSERA_CLIENT_LIMITS_H
#define TESSERA_CLIENT_LIMITS_H

#include <stdbool.h>

#include "request/client.h"

/* After each command: true if the client just passed its hard output limit
 * and is now closing. */
bool client_output_limit_reached(struct client *c);
/* Every tick: the soft limits, maxmemory-clients, and the survey INFO reads
 * (clients' memory, recent peaks); sets sh->overhead_bytes, which the
 * keyspace's budget counts. */
void client_limits_tick(struct shard *sh);

#endif
