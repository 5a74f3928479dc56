#include "request/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "request/pending.h"
#include "resp/reply.h"
#include "resp/resp_parse.h"
#include "shard/shard_msg.h"

static const char REJECT_TEXT[] = "-ERR max number of clients reached\r\n";

const char *client_reject_text(void)
{
	return REJECT_TEXT;
}

struct client *client_create(struct shard *sh, void *conn, int fd,
			     const char *addr, const char *laddr)
{
	struct engine *eng = sh->engine;
	long long now = atomic_fetch_add(&eng->connected_clients, 1) + 1;
	if (now > CFG(maxclients)) {
		atomic_fetch_sub(&eng->connected_clients, 1);
		STAT_ADD(sh->stats.rejected_connections, 1);
		return NULL;
	}
	struct client *c = calloc(1, sizeof(*c));
	if (!c) {
		atomic_fetch_sub(&eng->connected_clients, 1);
		return NULL;
	}
	c->id = atomic_fetch_add(&eng->next_client_id, 1);
	c->sh = sh;
	c->conn = conn;
	c->fd = fd;
	c->resp = 2;
	c->authenticated = CFG(requirepass)[0] == '\0';
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	snprintf(c->laddr, sizeof(c->laddr), "%s", laddr);
	c->ctime_ms = c->last_ms = sh->now_ms;
	c->last_cmd = "NULL";
	c->next = sh->clients;
	if (sh->clients)
		sh->clients->prev = c;
	sh->clients = c;
	STAT_ADD(sh->stats.connected_clients, 1);
	STAT_ADD(sh->stats.connections_received, 1);
	return c;
}

static void client_free(struct client *c)
{
	struct shard *sh = c->sh;
	while (c->pend_head) {
		struct pending *p = c->pend_head;
		c->pend_head = p->next;
		pending_release(sh, p);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		sh->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	buf_free(&c->query);
	buf_free(&c->out);
	free(c->name);
	free(c->lib_name);
	free(c->lib_ver);
	free(c);
}

void client_detach(struct client *c)
{
	struct shard *sh = c->sh;
	if (c->detached)
		return;
	c->detached = true;
	c->conn = NULL;
	atomic_fetch_sub(&sh->engine->connected_clients, 1);
	STAT_ADD(sh->stats.connected_clients, -1);
	/* Parts still out on other shards point at our pendings: the client
	 * lives until they are back (client_drain_pending frees it then). */
	if (c->inflight == 0)
		client_free(c);
}

void client_kill(struct client *c)
{
	c->close_asap = true;
	buf_free(&c->out);
	client_mark_dirty(c);
}

void client_mark_dirty(struct client *c)
{
	struct shard *sh = c->sh;
	if (c->dirty || c->detached)
		return;
	if (sh->ndirty == sh->dirty_cap) {
		unsigned cap = sh->dirty_cap ? sh->dirty_cap * 2 : 64;
		struct client **d = realloc(sh->dirty, cap * sizeof(*d));
		if (!d)
			return;
		sh->dirty = d;
		sh->dirty_cap = cap;
	}
	sh->dirty[sh->ndirty++] = c;
	c->dirty = true;
}

struct buf *client_reply_buf(struct client *c)
{
	return c->pend_tail ? &c->pend_tail->after : &c->out;
}

void client_push_pending(struct client *c, struct pending *p)
{
	p->next = NULL;
	if (c->pend_tail)
		c->pend_tail->next = p;
	else
		c->pend_head = p;
	c->pend_tail = p;
	if (p->barrier)
		c->blocked = true;
}

static void process_query(struct client *c);

void client_drain_pending(struct client *c)
{
	struct shard *sh = c->sh;
	while (c->pend_head && c->pend_head->complete) {
		struct pending *p = c->pend_head;
		c->pend_head = p->next;
		if (!c->pend_head)
			c->pend_tail = NULL;
		if (p->barrier)
			c->blocked = false;
		if (!c->detached) {
			buf_move(&c->out, &p->reply);
			buf_move(&c->out, &p->after);
		}
		pending_release(sh, p);
	}
	if (c->detached) {
		if (c->inflight == 0 && !c->pend_head)
			client_free(c);
		return;
	}
	client_mark_dirty(c);
	if (!c->blocked && !c->processing && buf_live(&c->query))
		process_query(c);
}

/* ---- running one command ------------------------------------------------ */

static void reply_unknown_command(struct buf *out, const struct arg *argv, int argc)
{
	char args[160];
	size_t n = 0;
	args[0] = '\0';
	for (int i = 1; i < argc && n < 128; i++) {
		int room = 128 - (int)n;
		/* printf's %.*s stops at a NUL byte; so does Redis's message. */
		int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
				 (int)(argv[i].len < (size_t)room ? argv[i].len : (size_t)room),
				 argv[i].p);
		if (w < 0)
			break;
		n += (size_t)w < sizeof(args) - n ? (size_t)w : sizeof(args) - n - 1;
	}
	reply_errorf(out, "ERR unknown command '%.*s', with args beginning with: %s",
		     (int)(argv[0].len < 128 ? argv[0].len : 128), argv[0].p, args);
}

static bool arity_ok(const struct command *cmd, int argc)
{
	if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity)
		return false;
	/* MSET-like commands take whole key/value groups: checked before the
	 * keys are split over shards. */
	if (cmd->route == ROUTE_MULTI && cmd->key_step > 1)
		return (argc - cmd->first_key) % cmd->key_step == 0;
	return true;
}

static int last_key_index(const struct command *cmd, int argc)
{
	return cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
}

/* Split a multi-key command by owning shard. Runs inline when every key is
 * local, which is always the case with one shard. */
static void route_multi(struct shard *sh, struct client *c, const struct command *cmd,
			struct cmd_ctx *ctx)
{
	int first = cmd->first_key, step = cmd->key_step, last = last_key_index(cmd, ctx->argc);
	bool all_local = true;
	for (int i = first; i <= last && all_local; i += step)
		all_local = key_shard(sh, ctx->argv[i].p, ctx->argv[i].len) == sh->id;
	if (all_local) {
		shard_execute(ctx, cmd->handler, cmd->flags);
		return;
	}
	struct pending *p = pending_open(sh, c, cmd, gather_done_fn(cmd->gather), false);
	if (!p) {
		reply_error(ctx->out, "ERR out of memory");
		return;
	}
	pending_submit_split(sh, p, cmd->handler, ctx->argc, ctx->argv, first, step, last);
	pending_arm(sh, p);
}

static void route_all(struct shard *sh, struct client *c, const struct command *cmd,
		      struct cmd_ctx *ctx)
{
	struct pending *p = pending_open(sh, c, cmd, gather_done_fn(cmd->gather), false);
	if (!p) {
		reply_error(ctx->out, "ERR out of memory");
		return;
	}
	for (unsigned t = 0; t < sh->nshards; t++)
		pending_submit(sh, p, t, t, cmd->handler, ctx->argc, ctx->argv);
	pending_arm(sh, p);
}

static void route_key(struct shard *sh, struct client *c, const struct command *cmd,
		      struct cmd_ctx *ctx)
{
	const struct arg *key = &ctx->argv[cmd->first_key];
	unsigned target = key_shard(sh, key->p, key->len);
	if (target == sh->id) {
		shard_execute(ctx, cmd->handler, cmd->flags);
		return;
	}
	struct pending *p = pending_open(sh, c, cmd, gather_copy_done, false);
	if (!p) {
		reply_error(ctx->out, "ERR out of memory");
		return;
	}
	pending_submit(sh, p, 0, target, cmd->handler, ctx->argc, ctx->argv);
	pending_arm(sh, p);
}

static void run_command(struct client *c, struct arg *argv, int argc)
{
	struct shard *sh = c->sh;
	struct cmd_ctx ctx = {
		.sh = sh, .client = c, .argc = argc, .argv = argv,
		.out = client_reply_buf(c), .resp = c->resp,
	};
	const struct command *cmd = command_lookup(argv[0].p, argv[0].len);
	STAT_ADD(sh->stats.commands, 1);
	if (!cmd) {
		reply_unknown_command(ctx.out, argv, argc);
		return;
	}
	c->last_cmd = cmd->name;
	if (!arity_ok(cmd, argc)) {
		reply_errorf(ctx.out, "ERR wrong number of arguments for '%s' command", cmd->name);
		return;
	}
	if (!c->authenticated && !(cmd->flags & CMD_NOAUTH)) {
		reply_error(ctx.out, "NOAUTH Authentication required.");
		return;
	}
	if (sh->nshards == 1 && cmd->route != ROUTE_CUSTOM && !(cmd->flags & CMD_SLICED)) {
		shard_execute(&ctx, cmd->handler, cmd->flags);
		return;
	}
	switch (cmd->route) {
	case ROUTE_LOCAL:
	case ROUTE_CUSTOM:
		shard_execute(&ctx, cmd->handler, cmd->flags);
		break;
	case ROUTE_KEY:
		route_key(sh, c, cmd, &ctx);
		break;
	case ROUTE_MULTI:
		route_multi(sh, c, cmd, &ctx);
		break;
	case ROUTE_ALL:
		route_all(sh, c, cmd, &ctx);
		break;
	}
}

/* ---- parsing ------------------------------------------------------------ */

/* Run every complete command in data[0..len); returns the bytes used. */
static size_t process_buffer(struct client *c, char *data, size_t len)
{
	struct shard *sh = c->sh;
	struct parse_limits lim = {
		.max_bulk_len = CFG(proto_max_bulk_len),
		.authenticated = c->authenticated,
	};
	size_t pos = 0;
	c->query_need = 0;
	c->processing = true;
	while (pos < len && !c->blocked && !c->close_asap) {
		size_t used, need;
		const char *err;
		lim.authenticated = c->authenticated;
		enum parse_status st = resp_parse_request(data + pos, len - pos, &lim, &sh->argv,
							  &used, &need, &err);
		if (st == PARSE_INCOMPLETE) {
			c->query_need = need;
			break;
		}
		if (st == PARSE_ERROR) {
			reply_errorf(client_reply_buf(c), "ERR Protocol error: %s", err);
			c->close_asap = true;
			pos = len;
			break;
		}
		pos += used;
		if (st == PARSE_COMMAND)
			run_command(c, sh->argv.v, sh->argv.argc);
	}
	c->processing = false;
	c->last_ms = sh->now_ms;
	if (buf_live(&c->out) || c->close_asap)
		client_mark_dirty(c);
	return pos;
}

static bool query_over_limit(struct client *c)
{
	if ((long long)buf_live(&c->query) <= CFG(client_query_buffer_limit))
		return false;
	/* Redis closes such a client without a reply. */
	c->close_asap = true;
	buf_free(&c->query);
	client_mark_dirty(c);
	return true;
}

static void process_query(struct client *c)
{
	if (buf_live(&c->query) < c->query_need)
		return;
	size_t used = process_buffer(c, c->query.data + c->query.start, buf_live(&c->query));
	buf_consume(&c->query, used);
	if (c->close_asap)
		buf_free(&c->query);
}

void client_feed(struct client *c, char *data, size_t len)
{
	STAT_ADD(c->sh->stats.net_input_bytes, len);
	if (c->close_asap)
		return;
	if (buf_live(&c->query) == 0 && !c->blocked) {
		/* The common case: parse straight from the receive buffer, and
		 * keep only an incomplete tail. */
		size_t used = process_buffer(c, data, len);
		if (used < len && !c->close_asap) {
			if (c->query_need > len - used)
				buf_reserve(&c->query, c->query_need);
			buf_append(&c->query, data + used, len - used);
			query_over_limit(c);
		}
		return;
	}
	buf_append(&c->query, data, len);
	if (query_over_limit(c) || c->blocked)
		return;
	process_query(c);
}
