/* A reply that is not ready yet: a command whose work runs on other shards.
 *
 * Each connection keeps its pendings in a FIFO in request order. Replies of
 * commands that completed at once go to the `after` buffer of the newest
 * pending (or straight to the output when there is none), so when the head
 * pending completes, its reply and everything after it leave in request order.
 *
 * A pending gathers one reply per part (`parts[part]`, part = a shard index
 * for split commands). When the last part is in, `done` runs on the origin
 * shard: it writes `reply`, or submits a next phase (RENAME across shards:
 * take the value, then put it).
 * A `barrier` pending stops the connection from starting later commands
 * until it completes: used by multi-phase commands whose effects later
 * commands must see.
 */
#ifndef TESSERA_PENDING_H
#define TESSERA_PENDING_H

#include <stdbool.h>

#include "shard/handler.h"
#include "resp/buf.h"
#include "shard/shard.h"

struct command;
struct pending;
typedef void (*pending_done_fn)(struct shard *sh, struct pending *p);

struct pending {
	struct pending *next;
	struct client *client;
	pending_done_fn done;
	const struct command *cmd;
	int waiting;               /* parts still out on other shards */
	int phase;                 /* for multi-phase commands */
	int resp;
	bool complete;
	bool barrier;
	struct buf reply;
	struct buf after;
	struct buf scratch;        /* command-specific state (MGET's key order) */
	struct buf args;           /* a private copy of arguments a later phase needs */
	int nargs;
	long long gathered;        /* elements collected in scratch (SCAN) */
	struct buf *parts;         /* [nshards] */
};

/* Append a pending to the client's FIFO. NULL if out of memory. */
struct pending *pending_open(struct shard *sh, struct client *c, const struct command *cmd,
			     pending_done_fn done, bool barrier);
/* Run `exec` with argv on shard `target` into parts[part]: at once when the
 * target is this shard, else by message. argv is copied when needed. */
void pending_submit(struct shard *sh, struct pending *p, unsigned part, unsigned target,
		    cmd_handler exec, int argc, const struct arg *argv);
/* Submit argv split by the owner of each key (keys at first, first+step, ...
 * last; `step` arguments travel with each key): part t goes to shard t. The
 * owner of each key, in order, is appended to p->scratch as uint16_t. */
void pending_submit_split(struct shard *sh, struct pending *p, cmd_handler exec,
			  int argc, const struct arg *argv, int first, int step, int last);
/* Run `exec` with argv on every shard: part t on shard t. */
void pending_submit_all(struct shard *sh, struct pending *p, cmd_handler exec, int argc,
			const struct arg *argv);
/* After submitting: completes now if every part ran locally. */
void pending_arm(struct shard *sh, struct pending *p);
/* A part's reply came back (takes the buffer's contents). */
void pending_part_done(struct shard *sh, struct pending *p, unsigned part, struct buf *reply);
/* A part this shard runs itself went to a job (shard/shard_job.h): wait
 * for it; and the job is done, its reply in parts[part]. */
void pending_part_deferred(struct pending *p);
void pending_part_finished(struct shard *sh, struct pending *p);
/* `done` callbacks call this once p->reply holds the final reply. The
 * replies now complete at the head of the client's FIFO move to its output,
 * and the client goes on the shard's ready list (sh->ready), where the loop
 * picks it up: to send, to parse what a barrier held back, or to free a
 * detached client. Nothing here calls back into the client's input. */
void pending_finish(struct shard *sh, struct pending *p);
/* Back to the shard's pool (the client's FIFO no longer holds it). */
void pending_release(struct shard *sh, struct pending *p);
/* Free every pooled pending (at engine teardown). */
void pending_pool_free(struct shard *sh);

/* Keep a private copy of argv in p->args for a later phase, and read it back
 * (the returned array lives in p->args until the pending is released). */
void pending_save_args(struct pending *p, int argc, const struct arg *argv);
struct arg *pending_saved_args(struct pending *p, int *argc);

#endif
