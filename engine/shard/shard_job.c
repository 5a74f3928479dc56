#include "shard/shard_job.h"

#include <stdlib.h>

#include "shard/shard.h"

struct shard_job {
	struct shard_job *next;
	job_step_fn step;
	job_free_fn free_state;
	void *state;
	struct buf *out;            /* NULL: background */
	job_done_fn done;           /* NULL: background */
	void *done_arg;
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

bool shard_job_start(struct shard *sh, job_step_fn step, job_free_fn free_state, void *state,
		     struct buf *out, job_done_fn done, void *done_arg)
{
	struct shard_job *j = job_new(sh, step, free_state, state);
	if (!j)
		return false;
	j->out = out;
	j->done = done;
	j->done_arg = done_arg;
	return true;
}

bool shard_job_background(struct shard *sh, job_step_fn step, job_free_fn free_state, void *state)
{
	return job_new(sh, step, free_state, state) != NULL;
}

static void job_finish(struct shard *sh, struct shard_job *j)
{
	if (j->done)
		j->done(sh, j->done_arg);
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
