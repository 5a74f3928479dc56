#include "shard/shard_msg.h"

#include <stdlib.h>
#include <string.h>

#include "shard/spsc_ring.h"

/* Pooled messages are kept up to this many, and a buffer that grew past
 * MSG_KEEP_BYTES is freed rather than pooled, so that one big MSET does
 * not pin its memory for good. */
#define MSG_POOL_MAX 4096
#define MSG_KEEP_BYTES 4096

static void msg_destroy(struct shard_msg *m)
{
	buf_free(&m->storage);
	buf_free(&m->reply);
	free(m);
}

static struct shard_msg *msg_alloc(struct shard *sh)
{
	struct shard_msg *m = sh->msg_pool;
	if (m) {
		sh->msg_pool = m->next_free;
		sh->msg_pool_count--;
		return m;
	}
	return calloc(1, sizeof(*m));
}

void shard_msg_release(struct shard *sh, struct shard_msg *m)
{
	if (sh->msg_pool_count >= MSG_POOL_MAX) {
		msg_destroy(m);
		return;
	}
	if (m->storage.cap > MSG_KEEP_BYTES)
		buf_free(&m->storage);
	if (m->reply.cap > MSG_KEEP_BYTES)
		buf_free(&m->reply);
	m->storage.start = m->storage.len = 0;
	m->reply.start = m->reply.len = 0;
	m->next_free = sh->msg_pool;
	sh->msg_pool = m;
	sh->msg_pool_count++;
}

void shard_msg_pool_free(struct shard *sh)
{
	while (sh->msg_pool) {
		struct shard_msg *m = sh->msg_pool;
		sh->msg_pool = m->next_free;
		msg_destroy(m);
	}
	sh->msg_pool_count = 0;
}

static void outbox_push(struct shard *sh, unsigned target, struct shard_msg *m)
{
	struct msg_outbox *ob = &sh->outbox[target];
	if (ob->count == ob->cap) {
		unsigned cap = ob->cap ? ob->cap * 2 : 64;
		struct shard_msg **v = realloc(ob->msgs, cap * sizeof(*v));
		if (!v)
			abort(); /* losing a message would hang a client forever */
		ob->msgs = v;
		ob->cap = cap;
	}
	ob->msgs[ob->count++] = m;
	sh->outbox_dirty = true;
}

void shard_send(struct shard *sh, unsigned target, struct pending *p, unsigned part,
		cmd_handler exec, uint32_t cmd_flags, int argc, const struct arg *argv, int resp)
{
	struct shard_msg *m = msg_alloc(sh);
	if (!m)
		abort();
	struct arg *v = argv_copy(&m->storage, argc, argv);
	if (!v)
		abort(); /* losing a message would hang a client forever */
	m->argv = v;
	m->argc = argc;
	m->pending = p;
	m->exec = exec;
	m->cmd_flags = cmd_flags;
	m->origin = (uint16_t)sh->id;
	m->part = (uint16_t)part;
	m->resp = (uint8_t)resp;
	STAT_ADD(sh->stats.cross_shard_messages, 1);
	outbox_push(sh, target, m);
}

void shard_reply_message(struct shard *sh, struct shard_msg *m)
{
	outbox_push(sh, m->origin, m);
}

void shard_flush_outbox(struct shard *sh)
{
	if (!sh->outbox_dirty)
		return;
	sh->outbox_dirty = false;
	struct engine *eng = sh->engine;
	for (unsigned t = 0; t < sh->nshards; t++) {
		struct msg_outbox *ob = &sh->outbox[t];
		if (ob->count == 0)
			continue;
		unsigned sent = spsc_ring_enqueue_burst(sh->ring_out[t], (void *const *)ob->msgs, ob->count);
		if (sent < ob->count) {
			memmove(ob->msgs, ob->msgs + sent, (ob->count - sent) * sizeof(*ob->msgs));
			sh->outbox_dirty = true;
		}
		ob->count -= sent;
		if (sent == 0)
			continue;
		/* Pairs with shard_prepare_sleep: either the receiver sees our
		 * messages before it sleeps, or we see that it sleeps. */
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(&eng->shards[t]->sleeping, memory_order_relaxed))
			eng->wake(eng, t);
	}
}
