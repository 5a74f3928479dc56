#include "shard/shard_job.h"

#include <stdlib.h>

#include "request/pending.h"
#include "shard/shard.h"
#include "shard/shard_msg.h"

struct shard_job {
	struct shard_job *next;
	job_step_fn step;
	job_free_fn free_state;
	void *state;
	struct buf *out;            /* NULL: background */
	struct shard_msg *msg;      /* answer this message when done, or */
	struct pending *pending;    /* finish this part of our own pending */
};

static struct shard_job *job_new(struct shard *sh, job_step_fn step, job_free_fn free_state,
				 void *state)
{
	struct shard_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->step = step;
	j->free_state = free_state;
	j->state = state;
	/* Appended, so jobs run in the order they came. */
	struct shard_job **tail = &sh->jobs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = j;
	return j;
}

bool shard_job_defer(struct cmd_ctx *ctx, job_step_fn step, job_free_fn free_state, void *state)
{
	if (!ctx->msg && !ctx->pending)
		return false;
	struct shard_job *j = job_new(ctx->sh, step, free_state, state);
	if (!j)
		return false;
	j->out = ctx->out;
	j->msg = ctx->msg;
	j->pending = ctx->pending;
	if (j->pending)
		pending_part_deferred(j->pending);
	ctx->deferred = true;
	return true;
}

bool shard_job_background(struct shard *sh, job_step_fn step, job_free_fn free_state, void *state)
{
	return job_new(sh, step, free_state, state) != NULL;
}

static void job_finish(struct shard *sh, struct shard_job *j)
{
	if (j->msg)
		shard_reply_message(sh, j->msg);
	else if (j->pending)
		pending_part_finished(sh, j->pending);
	if (j->free_state)
		j->free_state(j->state);
	free(j);
}

bool shard_run_jobs(struct shard *sh)
{
	struct shard_job **link = &sh->jobs;
	while (*link) {
		struct shard_job *j = *link;
		if (j->step(sh, j->state, j->out)) {
			*link = j->next;
			job_finish(sh, j);
		} else {
			link = &j->next;
		}
	}
	return sh->jobs != NULL;
}

bool shard_has_jobs(const struct shard *sh)
{
	return sh->jobs != NULL;
}
