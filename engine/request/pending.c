#include "request/pending.h"

#include <stdlib.h>
#include <string.h>

#include "base/invariant.h"
#include "request/client.h"
#include "request/command.h"
#include "request/execute.h"
#include "shard/shard_msg.h"

/* Pooled pendings keep their buffers; one that grew past this is trimmed so
 * that a single huge gather does not pin memory forever. */
#define POOL_KEEP_BYTES (64 * 1024)
#define POOL_MAX 1024

static void trim(struct buf *b)
{
	if (b->cap > POOL_KEEP_BYTES)
		buf_free(b);
	b->start = b->len = 0;
}

static struct pending *pending_alloc(struct shard *sh)
{
	struct pending *p = sh->pending_pool;
	if (p) {
		sh->pending_pool = p->next;
		p->next = NULL;
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->parts = calloc(sh->nshards, sizeof(*p->parts));
	if (!p->parts) {
		free(p);
		return NULL;
	}
	return p;
}

/* Every buffer a pending owns, through `fn` (trim, or free at teardown). */
static void each_buffer(struct shard *sh, struct pending *p, void (*fn)(struct buf *))
{
	fn(&p->reply);
	fn(&p->after);
	fn(&p->scratch);
	fn(&p->args);
	for (unsigned i = 0; i < sh->nshards; i++)
		fn(&p->parts[i]);
}

void pending_release(struct shard *sh, struct pending *p)
{
	each_buffer(sh, p, trim);
	struct buf *parts = p->parts;
	struct buf keep[4] = { p->reply, p->after, p->scratch, p->args };
	memset(p, 0, sizeof(*p));
	p->parts = parts;
	p->reply = keep[0];
	p->after = keep[1];
	p->scratch = keep[2];
	p->args = keep[3];
	p->next = sh->pending_pool;
	sh->pending_pool = p;
}

void pending_pool_free(struct shard *sh)
{
	while (sh->pending_pool) {
		struct pending *p = sh->pending_pool;
		sh->pending_pool = p->next;
		each_buffer(sh, p, buf_free);
		free(p->parts);
		free(p);
	}
}

struct pending *pending_open(struct shard *sh, struct client *c, const struct command *cmd,
			     pending_done_fn done, bool barrier)
{
	struct pending *p = pending_alloc(sh);
	if (!p)
		return NULL;
	p->client = c;
	p->cmd = cmd;
	p->done = done;
	p->barrier = barrier;
	p->resp = c->resp;
	if (c->pend_tail) {
		/* Replies go behind the new pending now: the old one's `after`
		 * is final (client_queued_output counts it). */
		c->frozen_after_bytes += buf_live(&c->pend_tail->after);
		c->pend_tail->next = p;
	} else
		c->pend_head = p;
	c->pend_tail = p;
	c->npending++;
	if (barrier)
		c->blocked = true;
	return p;
}

void pending_submit(struct shard *sh, struct pending *p, unsigned part, unsigned target,
		    cmd_handler exec, int argc, const struct arg *argv)
{
	p->parts[part].start = p->parts[part].len = 0;
	if (target == sh->id) {
		struct cmd_ctx ctx = {
			.sh = sh, .client = NULL, .argc = argc, .argv = (struct arg *)argv,
			.out = &p->parts[part], .resp = p->resp, .pending = p, .part = part,
		};
		shard_execute(&ctx, exec, p->cmd ? p->cmd->flags : 0);
		return;
	}
	p->waiting++;
	p->client->inflight++;
	shard_send(sh, target, p, part, exec, p->cmd ? p->cmd->flags : 0, argc, argv, p->resp);
}

void pending_submit_all(struct shard *sh, struct pending *p, cmd_handler exec, int argc,
			const struct arg *argv)
{
	for (unsigned t = 0; t < sh->nshards; t++)
		pending_submit(sh, p, t, t, exec, argc, argv);
}

void pending_part_deferred(struct pending *p)
{
	p->waiting++;
	p->client->inflight++;
}

void pending_part_finished(struct shard *sh, struct pending *p)
{
	ASSERT(p->waiting > 0 && !p->complete);
	p->client->inflight--;
	if (--p->waiting == 0)
		p->done(sh, p);
}

void pending_arm(struct shard *sh, struct pending *p)
{
	if (p->waiting == 0)
		p->done(sh, p);
}

void pending_part_done(struct shard *sh, struct pending *p, unsigned part, struct buf *reply)
{
	ASSERT(p->waiting > 0 && !p->complete);
	struct buf tmp = p->parts[part];
	p->parts[part] = *reply;
	*reply = tmp;
	reply->start = reply->len = 0;
	p->client->inflight--;
	if (--p->waiting == 0)
		p->done(sh, p);
}

/* The replies complete at the head of the FIFO leave, in request order. */
static void deliver_completed(struct shard *sh, struct client *c)
{
	while (c->pend_head && c->pend_head->complete) {
		struct pending *p = c->pend_head;
		if (p->next)
			c->frozen_after_bytes -= buf_live(&p->after);
		c->pend_head = p->next;
		if (!c->pend_head)
			c->pend_tail = NULL;
		c->npending--;
		if (p->barrier)
			c->blocked = false;
		/* Sizes the client's window of pendings (loop/client_input.c). */
		size_t size = buf_live(&p->reply), hint = c->reply_size_hint;
		c->reply_size_hint = size > hint - hint / 8 ? size : hint - hint / 8;
		if (!c->detached) {
			buf_move(&c->out, &p->reply);
			buf_move(&c->out, &p->after);
		}
		pending_release(sh, p);
	}
}

void pending_finish(struct shard *sh, struct pending *p)
{
	struct client *c = p->client;
	ASSERT(!p->complete); /* a pending completes once: its reply leaves once */
	ASSERT(p->waiting == 0);
	p->complete = true;
	deliver_completed(sh, c);
	if (!c->on_ready) {
		c->on_ready = true;
		c->next_ready = sh->ready;
		sh->ready = c;
	}
}

void pending_submit_split(struct shard *sh, struct pending *p, cmd_handler exec,
			  int argc, const struct arg *argv, int first, int step, int last)
{
	(void)argc;
	int nkeys = (last - first) / step + 1;
	p->scratch.start = p->scratch.len = 0;
	if (buf_reserve(&p->scratch, (size_t)nkeys * sizeof(uint16_t)) < 0)
		return;
	uint16_t *owner = (uint16_t *)p->scratch.data;
	for (int k = 0; k < nkeys; k++) {
		const struct arg *key = &argv[first + k * step];
		owner[k] = (uint16_t)key_shard(sh, key->p, key->len);
	}
	p->scratch.len = (size_t)nkeys * sizeof(uint16_t);
	if (!argv_vec_reserve(&sh->split_argv, 1 + nkeys * step))
		return;
	struct arg *sub = sh->split_argv.v;
	sub[0] = argv[0];
	for (unsigned t = 0; t < sh->nshards; t++) {
		int n = 1;
		for (int k = 0; k < nkeys; k++) {
			if (owner[k] != t)
				continue;
			for (int j = 0; j < step; j++)
				sub[n++] = argv[first + k * step + j];
		}
		if (n > 1)
			pending_submit(sh, p, t, t, exec, n, sub);
	}
}

void pending_save_args(struct pending *p, int argc, const struct arg *argv)
{
	p->nargs = argv_copy(&p->args, argc, argv) ? argc : 0;
}

struct arg *pending_saved_args(struct pending *p, int *argc)
{
	*argc = p->nargs;
	return (struct arg *)p->args.data;
}
