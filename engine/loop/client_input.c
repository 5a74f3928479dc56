/* A connection's input: parse its requests, dispatch each to where it runs
 * (the command table, arity, AUTH, then request/routing.h by the command's
 * route), and carry on when replies that held it back come in.
 */
#include "loop/client_input.h"

#include <stdio.h>

#include "base/config.h"
#include "commands/command_table.h"
#include "loop/client_limits.h"
#include "request/execute.h"
#include "request/pending.h"
#include "request/routing.h"
#include "resp/reply.h"
#include "resp/resp_parse.h"

static void process_query(struct client *c);

/* Arguments a connection's parser keeps room for between commands. */
#define ARGV_KEPT 1024
/* How many requests of one client may be out on other shards (or wait
 * behind one that is): their replies are made before backpressure can see
 * them, so the window is the bound over the size of the client's recent
 * replies (c->reply_size_hint), from PENDING_WINDOW_MIN to
 * PENDING_WINDOW_MAX; a client starts at PENDING_WINDOW_FIRST. Small
 * replies: a deep pipeline runs at full speed; 1 MB replies: a few at a
 * time. */
#define PENDING_WINDOW_FIRST 4
#define PENDING_WINDOW_MIN 2
#define PENDING_WINDOW_MAX 1024

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

static void run_command(struct client *c, struct arg *argv, int argc)
{
	struct shard *sh = c->sh;
	const struct command *cmd = command_lookup(argv[0].p, argv[0].len);
	struct cmd_ctx ctx = {
		.sh = sh, .client = c, .cmd = cmd, .argc = argc, .argv = argv,
		.out = client_reply_buf(c), .resp = c->resp,
	};
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
		route_by_key(&ctx);
		break;
	case ROUTE_MULTI:
		route_split(&ctx);
		break;
	case ROUTE_ALL:
		route_all(&ctx);
		break;
	}
}

/* ---- backpressure ------------------------------------------------------- */

/* A client that does not read its replies has no more of its requests run
 * until they drain: they wait in c->query, and the backend stops reading
 * (output_sink.reading), so unread replies cost about the bound plus one
 * reply instead of growing with the pipeline (Redis lets them grow). */
static unsigned pending_window(const struct client *c, long long bound)
{
	if (!c->reply_size_hint)
		return PENDING_WINDOW_FIRST;
	uint64_t w = (uint64_t)bound / c->reply_size_hint;
	return w < PENDING_WINDOW_MIN ? PENDING_WINDOW_MIN
	       : w > PENDING_WINDOW_MAX ? PENDING_WINDOW_MAX : (unsigned)w;
}

static bool must_pause(const struct client *c)
{
	long long bound = CFG(client_output_backpressure);
	if (bound <= 0)
		return false;
	return c->npending >= pending_window(c, bound) || client_queued_output(c) >= (size_t)bound;
}

void client_resume_input(struct client *c)
{
	if (!c->input_paused || must_pause(c))
		return;
	c->input_paused = false;
	if (!c->blocked && !c->processing && buf_live(&c->query))
		process_query(c);
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
	c->input_paused = false;
	while (pos < len && !c->blocked && !c->close_asap) {
		if (must_pause(c)) {
			c->input_paused = true;
			break;
		}
		size_t used, need;
		const char *err;
		lim.authenticated = c->authenticated;
		enum parse_status st = resp_parse_request(&c->parser, data + pos, len - pos, &lim,
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
		if (st == PARSE_COMMAND) {
			run_command(c, c->parser.argv.v, c->parser.argv.argc);
			client_output_limit_reached(c);
			/* One huge request leaves no huge argv behind. */
			if (c->parser.argv.cap > ARGV_KEPT)
				argv_vec_free(&c->parser.argv);
		}
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
	request_parser_reset(&c->parser);
	client_mark_dirty(c);
	return true;
}

static void process_query(struct client *c)
{
	if (buf_live(&c->query) < c->query_need)
		return;
	size_t used = process_buffer(c, c->query.data + c->query.start, buf_live(&c->query));
	buf_consume(&c->query, used);
	if (c->close_asap) {
		buf_free(&c->query);
		request_parser_reset(&c->parser);
	}
}

void client_input_ended(struct client *c)
{
	c->input_ended = true;
	client_mark_dirty(c); /* the close is decided by shard_flush_output() */
}

void client_serve_ready(struct shard *sh)
{
	while (sh->ready) {
		struct client *c = sh->ready;
		sh->ready = c->next_ready;
		c->on_ready = false;
		if (client_free_if_unused(c) || c->detached)
			continue;
		client_output_limit_reached(c); /* replies from other shards just landed */
		client_mark_dirty(c);
		/* A barrier that lifted lets the commands behind it run. */
		if (!c->blocked && !c->processing && buf_live(&c->query))
			process_query(c);
	}
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
	} else {
		buf_append(&c->query, data, len);
		if (!query_over_limit(c) && !c->blocked)
			process_query(c);
	}
	client_serve_ready(c->sh);
}
