/* One shard: everything a core owns. Request-path functions take
 * `struct shard *sh` first. A shard never touches another shard's keyspace;
 * it sends a struct shard_msg over the ring for that ordered pair of shards.
 *
 * This is state only: what a shard does with it each loop iteration lives in
 * loop/shard_loop.h, which calls every layer; the layers below it (db/,
 * request/, commands/) read and update the fields they own.
 *
 * Threading: every field is owned by the shard's thread except `stats`
 * (written by the owner, read by any thread with relaxed atomics, for INFO)
 * and `sleeping` (the wake-up handshake, see shard_prepare_sleep()).
 */
#ifndef TESSERA_SHARD_H
#define TESSERA_SHARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "keyspace/keyspace.h"
#include "resp/buf.h"
#include "resp/error_stats.h"
#include "resp/resp_parse.h"
#include "shard/engine.h"

struct shard_msg;
struct spsc_ring;
struct client;
struct pending;
struct shard_job;

/* Counters other threads read for INFO. Single writer: bump with STAT_ADD. */
struct shard_stats {
	_Atomic uint64_t commands;
	_Atomic uint64_t connections_received;
	_Atomic uint64_t connected_clients;
	_Atomic uint64_t keys;
	_Atomic uint64_t expires;
	_Atomic uint64_t memory;           /* keyspace, connections, shard state */
	_Atomic uint64_t memory_peak;
	_Atomic uint64_t dataset_bytes;    /* the keyspace's heap */
	_Atomic uint64_t volatile_bytes;   /* of which entries with a TTL */
	_Atomic uint64_t keyspace_hits;
	_Atomic uint64_t keyspace_misses;
	_Atomic uint64_t expired_keys;
	_Atomic uint64_t evicted_keys;
	_Atomic uint64_t net_input_bytes;
	_Atomic uint64_t net_output_bytes;
	_Atomic uint64_t rejected_connections;
	_Atomic uint64_t cross_shard_messages;  /* sent by this shard */
	_Atomic uint64_t remote_executed;       /* parts run here for other shards */
	_Atomic int64_t avg_ttl_ms;
	_Atomic uint64_t stale_perc_x100;       /* expired_stale_perc * 100 */
	_Atomic uint64_t expire_cycle_ms;       /* CPU time in active expiry */
	_Atomic uint64_t expired_present;       /* expire_count_present() at the last tick */
	_Atomic uint64_t longest_iteration_us;  /* busiest loop iteration since RESETSTAT */
	_Atomic uint64_t clients_memory;        /* client_memory_bytes() summed, at the last tick */
	_Atomic uint64_t client_recent_max_output;
	_Atomic uint64_t client_recent_max_input;
	_Atomic uint64_t evicted_clients;       /* closed by maxmemory-clients */
	_Atomic uint64_t output_limit_disconnections; /* by client-output-buffer-limit */
};

#define STAT_ADD(field, n) \
	atomic_store_explicit(&(field), atomic_load_explicit(&(field), memory_order_relaxed) + (n), \
			      memory_order_relaxed)
#define STAT_SET(field, v) atomic_store_explicit(&(field), (v), memory_order_relaxed)
#define STAT_GET(field) atomic_load_explicit(&(field), memory_order_relaxed)

/* Messages waiting to be pushed into the ring towards one shard. */
struct msg_outbox {
	struct shard_msg **msgs;
	unsigned count, cap;
};

struct shard {
	_Alignas(64) unsigned id;
	unsigned nshards;
	struct engine *engine;

	struct keyspace ks;
	struct argv_vec split_argv;  /* scratch argv for one shard's part of a command */
	int64_t now_ms;              /* cached per loop iteration */
	uint64_t iteration_start_us; /* shard_monotonic_us() at shard_update_clock */
	uint64_t rng;

	struct spsc_ring **ring_out; /* [j]: this shard -> j (NULL for j == id) */
	struct spsc_ring **ring_in;  /* [j]: j -> this shard */
	struct msg_outbox *outbox;   /* [j]: staged for ring_out[j] */
	bool outbox_dirty;
	struct shard_msg *msg_pool;  /* free messages (singly linked) */
	unsigned msg_pool_count;
	struct pending *pending_pool;

	struct client *clients;      /* all connections of this shard */
	struct client **dirty;       /* clients with new output this iteration */
	unsigned ndirty, dirty_cap;
	/* Clients whose pendings completed since the loop last looked: their
	 * output is ready, a barrier may have lifted, a detached one may be
	 * freed (request/pending.h; served by loop/client_input.h). */
	struct client *ready;

	uint64_t overhead_bytes;     /* shard_state_bytes() + client bytes, as of the last tick */
	struct error_stats errors;   /* this thread's error replies (resp/error_stats.h) */
	struct {                     /* the largest client buffers, this second and the last */
		int64_t second;
		uint64_t output[2], input[2];
	} client_peaks;
	uint64_t expire_cursor;      /* active expiry's position in the table */
	uint64_t evict_cursor;       /* volatile-* eviction's scan position */
	int64_t hygiene_logged_ms;   /* shard 0: the last keyspace_hygiene warning */
	unsigned purge_seen;         /* the engine's purge_generation last acted on */
	struct shard_job *jobs;      /* sliced work in progress (shard_job.h) */
	bool evicting;               /* over budget, more to evict (evict.h) */
	bool expiring;               /* due keys left after this iteration's batch */
	double stale_perc;           /* expire_sample_stats' running average */
	uint64_t expire_cycle_us;
	int64_t last_timeout_check_ms;

	_Alignas(64) struct shard_stats stats;
	_Alignas(64) _Atomic int sleeping;
};

/* A shard's state, with no client and no job; NULL if out of memory.
 * Its rings are connected by the engine (loop/engine_lifecycle.c). */
struct shard *shard_create(struct engine *eng, unsigned id);
/* Frees what shard_create() made and the messages pooled since; the clients,
 * pendings and jobs must be gone already. NULL is a no-op. */
void shard_destroy(struct shard *sh);

/* Called by the shard's own thread first in every loop iteration: it also
 * starts timing the iteration, which shard_tick() ends. */
void shard_update_clock(struct shard *sh);
/* CLOCK_REALTIME in ms (the clock TTLs are kept in). */
int64_t shard_wall_ms(void);
/* CLOCK_MONOTONIC in µs, for timing work. */
uint64_t shard_monotonic_us(void);
/* Before sleeping: announce it; returns false if work arrived meanwhile. */
bool shard_prepare_sleep(struct shard *sh);
/* Sliced work is pending (jobs, eviction, expiry): the backend must keep
 * taking new requests between slices. */
bool shard_background_work(const struct shard *sh);
void shard_woke(struct shard *sh);

uint64_t shard_rand(struct shard *sh);
/* Bytes of the shard's own state and pools (connections not counted:
 * request/client.h counts those). */
uint64_t shard_state_bytes(const struct shard *sh);

/* The shard that owns a key. */
unsigned key_shard(const struct shard *sh, const char *key, size_t len);

#endif
