/* TCP connections of a userspace stack (dataplane/net/) as engine clients:
 * the upcalls that create, feed and detach a client, and the step that moves
 * the engine's replies into TCP send queues. Shared by the DPDK backend and
 * the stack benchmark (perf/stack_bench.c). */
#ifndef TESSERA_TCP_CLIENTS_H
#define TESSERA_TCP_CLIENTS_H

#include "tcp.h"

struct shard;

/* For tcp_layer_init(): their context is the shard (struct shard *). */
extern const struct tcp_upcalls tcp_client_upcalls;

/* Replies (or a close) the engine produced since the last call go into each
 * connection's send queue; call once per loop iteration before tcp_flush. */
void tcp_clients_flush(struct shard *sh);

#endif
