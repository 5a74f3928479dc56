/* Jobs: work a shard does in bounded slices between poll iterations, so
 * that nothing (KEYS over millions of keys, freeing a flushed keyspace)
 * holds up the other clients of the shard.
 *
 * A job either writes a reply (a CMD_SLICED handler hands its reply buffer
 * to the job through request/execute.h's shard_job_defer(), and the job's
 * `done` callback sends the reply on) or runs in the background with no
 * reply (freeing memory). Each poll iteration,
 * shard_run_jobs() gives every job one slice: a step function that does a
 * bounded amount of work (about JOB_SLICE_WORK units, e.g. table slots)
 * and says whether it is done.
 */
#ifndef TESSERA_SHARD_JOB_H
#define TESSERA_SHARD_JOB_H

#include <stdbool.h>

#include "resp/buf.h"

struct shard;

/* Work units (table slots, entries) one slice may do: about 50-100 µs. */
#define JOB_SLICE_WORK 1000

/* One slice of the job. `out` is the reply buffer (NULL for a background
 * job); return true when done, the reply complete. */
typedef bool (*job_step_fn)(struct shard *sh, void *state, struct buf *out);
/* Frees the job's state, once it is done. */
typedef void (*job_free_fn)(void *state);

/* Runs once the job is done, its reply complete in `out`. */
typedef void (*job_done_fn)(struct shard *sh, void *done_arg);

/* A job that writes a reply into `out` (borrowed until `done` runs).
 * False if out of memory: nothing was started. */
bool shard_job_start(struct shard *sh, job_step_fn step, job_free_fn free_state, void *state,
		     struct buf *out, job_done_fn done, void *done_arg);
/* Work with no reply. False if out of memory (then do it now). */
bool shard_job_background(struct shard *sh, job_step_fn step, job_free_fn free_state, void *state);

/* Give every job one slice; true if any job remains. */
bool shard_run_jobs(struct shard *sh);
bool shard_has_jobs(const struct shard *sh);

#endif
