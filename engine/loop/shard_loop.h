/* What a dataplane backend calls: shard_thread_begin() once, on the
 * shard's own thread before its loop; then, in this order, each iteration:
 *
 *   shard_update_clock()   (shard/shard.h) first: the iteration's clock
 *   ...                    receive, and client_feed() (loop/client_input.h)
 *   shard_drain_rings()    run the messages other shards sent
 *   shard_flush_output()   (loop/client_output.h) send what dirty clients have
 *   shard_flush_outbox()   (shard/shard_msg.h) push staged messages
 *   shard_tick()           last: jobs, expiry, eviction, periodic work
 *
 * then sleeps for at most shard_next_tick_ms() if shard_prepare_sleep()
 * allows it.
 */
#ifndef TESSERA_SHARD_LOOP_H
#define TESSERA_SHARD_LOOP_H

#include "shard/shard.h"

/* The shard's thread-local state: its error replies count in its
 * table (resp/error_stats.h). */
void shard_thread_begin(struct shard *sh);
/* Deliver received messages: run other shards' requests, take in the
 * replies to ours. Returns how many. */
unsigned shard_drain_rings(struct shard *sh);
/* Periodic work: sliced jobs, active expiry, table upkeep, idle-client
 * timeouts. The last engine call of a loop iteration: the time since
 * shard_update_clock() is the iteration's busy time (INFO shards:
 * longest_iteration_us). */
void shard_tick(struct shard *sh);
/* How long the shard may sleep before shard_tick is due, in ms. */
int shard_next_tick_ms(const struct shard *sh);

#endif
