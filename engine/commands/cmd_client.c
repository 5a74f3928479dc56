/* CLIENT: the connection's own subcommands run here; LIST and KILL reach
 * every shard, since each shard owns its connections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_client.h"
#include "commands/cmd_connection.h"
#include "commands/command_table.h"
#include "request/client.h"
#include "request/pending.h"
#include "request/routing.h"
#include "resp/reply.h"
#include "resp/resp_frame.h"

static char *dup_arg(const struct arg *a)
{
	char *s = malloc(a->len + 1);
	if (s) {
		memcpy(s, a->p, a->len);
		s[a->len] = '\0';
	}
	return s;
}

static void reply_subcommand_arity(struct cmd_ctx *ctx, const char *sub)
{
	reply_errorf(ctx->out, "ERR wrong number of arguments for 'client|%s' command", sub);
}

static void append_client_line(struct buf *out, const struct shard *sh, const struct client *c)
{
	char line[1024];
	int n = snprintf(line, sizeof(line),
		"id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=0 sub=0 "
		"psub=0 ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 rbs=%zu rbp=0 "
		"obl=0 oll=0 omem=%zu tot-mem=%zu events=r cmd=%s user=default redir=-1 resp=%d "
		"lib-name=%s lib-ver=%s shard=%u\n",
		(unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
		(long long)((sh->now_ms - c->ctime_ms) / 1000), (long long)((sh->now_ms - c->last_ms) / 1000),
		c->no_evict ? "e" : "N",
		buf_live(&c->query), c->query.cap - c->query.len, c->query.cap,
		client_output_bytes(c), client_memory_bytes(c), c->last_cmd, c->resp,
		c->lib_name ? c->lib_name : "", c->lib_ver ? c->lib_ver : "", sh->id);
	buf_append(out, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
}

/* ---- filters shared by LIST and KILL ------------------------------------ */

struct client_filter {
	unsigned long long ids[64];
	int nids;
	const struct arg *addr, *laddr, *user;
	bool skipme;
	bool type_other;   /* TYPE replica|master|pubsub: we have none of those */
	bool legacy;       /* CLIENT KILL ip:port */
	unsigned long long caller;
};

static bool arg_eq_str(const struct arg *a, const char *s)
{
	return a->len == strlen(s) && memcmp(a->p, s, a->len) == 0;
}

static bool filter_matches(const struct client_filter *f, const struct client *c)
{
	if (f->type_other)
		return false;
	if (f->nids) {
		bool any = false;
		for (int i = 0; i < f->nids; i++)
			any |= f->ids[i] == c->id;
		if (!any)
			return false;
	}
	if (f->addr && !arg_eq_str(f->addr, c->addr))
		return false;
	if (f->laddr && !arg_eq_str(f->laddr, c->laddr))
		return false;
	if (f->user && !arg_is(f->user, "default"))
		return false;
	if (f->skipme && c->id == f->caller)
		return false;
	return true;
}

/* argv: [caller-id, "client", "kill"|"list", filters...]. Returns false and
 * replies with the error when the filters do not parse. */
static bool parse_filter(struct cmd_ctx *ctx, struct client_filter *f, bool kill)
{
	memset(f, 0, sizeof(*f));
	long long caller;
	parse_ll(ctx->argv[0].p, ctx->argv[0].len, &caller);
	f->caller = (unsigned long long)caller;
	f->skipme = kill;
	int i = 3;
	if (kill && ctx->argc == 4) {
		f->legacy = true;
		f->addr = &ctx->argv[3];
		f->skipme = false;
		return true;
	}
	for (; i < ctx->argc; i += 2) {
		const struct arg *opt = &ctx->argv[i];
		if (i + 1 >= ctx->argc) {
			reply_error(ctx->out, ERR_SYNTAX);
			return false;
		}
		const struct arg *val = &ctx->argv[i + 1];
		long long id;
		if (arg_is(opt, "id")) {
			/* LIST takes several ids after ID; KILL one per ID. */
			int j = i + 1;
			do {
				if (!parse_ll(ctx->argv[j].p, ctx->argv[j].len, &id) || id <= 0) {
					reply_error(ctx->out, kill ? "ERR client-id should be greater than 0"
								   : "ERR Invalid client ID");
					return false;
				}
				if (f->nids < 64)
					f->ids[f->nids++] = (unsigned long long)id;
				j++;
			} while (!kill && j < ctx->argc);
			i = j - 2;
		} else if (arg_is(opt, "type")) {
			if (arg_is(val, "normal"))
				continue;
			if (arg_is(val, "master") || arg_is(val, "replica") || arg_is(val, "slave") ||
			    arg_is(val, "pubsub")) {
				f->type_other = true;
				continue;
			}
			reply_errorf(ctx->out, "ERR Unknown client type '%.*s'", (int)val->len, val->p);
			return false;
		} else if (kill && arg_is(opt, "addr")) {
			f->addr = val;
		} else if (kill && arg_is(opt, "laddr")) {
			f->laddr = val;
		} else if (kill && arg_is(opt, "user")) {
			f->user = val;
		} else if (kill && arg_is(opt, "skipme")) {
			if (arg_is(val, "yes"))
				f->skipme = true;
			else if (arg_is(val, "no"))
				f->skipme = false;
			else {
				reply_error(ctx->out, ERR_SYNTAX);
				return false;
			}
		} else {
			reply_error(ctx->out, ERR_SYNTAX);
			return false;
		}
	}
	return true;
}

/* Shard-local parts: each shard answers for its own connections. */
static void client_list_shard(struct cmd_ctx *ctx)
{
	struct client_filter f;
	if (!parse_filter(ctx, &f, false))
		return;
	struct buf lines = { 0 };
	for (struct client *c = ctx->sh->clients; c; c = c->next)
		if (!c->detached && filter_matches(&f, c))
			append_client_line(&lines, ctx->sh, c);
	reply_bulk(ctx->out, buf_head(&lines), buf_live(&lines));
	buf_free(&lines);
}

static void client_kill_shard(struct cmd_ctx *ctx)
{
	struct client_filter f;
	if (!parse_filter(ctx, &f, true))
		return;
	long long killed = 0;
	for (struct client *c = ctx->sh->clients; c; c = c->next) {
		if (c->detached || c->close_asap || !filter_matches(&f, c))
			continue;
		if (c->id == f.caller)
			c->close_asap = true; /* the reply still reaches it first */
		else
			client_kill(c);
		killed++;
	}
	reply_int(ctx->out, killed);
}

static void client_list_done(struct shard *sh, struct pending *p)
{
	if (!gather_first_error(p, sh->nshards, &p->reply)) {
		struct buf all = { 0 };
		for (unsigned t = 0; t < sh->nshards; t++) {
			struct buf *b = &p->parts[t];
			const char *nl = memchr(buf_head(b), '\n', buf_live(b));
			if (!nl)
				continue;
			size_t head = (size_t)(nl - buf_head(b)) + 1;
			buf_append(&all, buf_head(b) + head, buf_live(b) - head - 2);
		}
		reply_verbatim(&p->reply, p->resp, buf_head(&all), buf_live(&all));
		buf_free(&all);
	}
	pending_finish(sh, p);
}

static void client_kill_done(struct shard *sh, struct pending *p)
{
	if (!gather_first_error(p, sh->nshards, &p->reply)) {
		long long total = 0, v;
		for (unsigned t = 0; t < sh->nshards; t++) {
			struct buf *b = &p->parts[t];
			if (buf_live(b) > 3 && parse_ll(buf_head(b) + 1, buf_live(b) - 3, &v))
				total += v;
		}
		if (p->phase == 1) /* the legacy form */
			total ? reply_ok(&p->reply) : reply_error(&p->reply, "ERR No such client");
		else
			reply_int(&p->reply, total);
	}
	pending_finish(sh, p);
}

static void client_broadcast(struct cmd_ctx *ctx, cmd_handler exec, pending_done_fn done, int phase)
{
	struct shard *sh = ctx->sh;
	struct pending *p = route_open(ctx, done, false);
	if (!p)
		return;
	p->phase = phase;
	char id[24];
	int n = snprintf(id, sizeof(id), "%llu", (unsigned long long)ctx->client->id);
	struct arg argv[ctx->argc + 1];
	argv[0] = (struct arg){ .p = id, .len = (size_t)n };
	memcpy(argv + 1, ctx->argv, (size_t)ctx->argc * sizeof(struct arg));
	pending_submit_all(sh, p, exec, ctx->argc + 1, argv);
	pending_arm(sh, p);
}

/* ---- CLIENT ------------------------------------------------------------- */

static void client_setinfo(struct cmd_ctx *ctx)
{
	if (ctx->argc != 4) {
		reply_subcommand_arity(ctx, "setinfo");
		return;
	}
	const struct arg *attr = &ctx->argv[2], *val = &ctx->argv[3];
	char **slot;
	if (arg_is(attr, "lib-name"))
		slot = &ctx->client->lib_name;
	else if (arg_is(attr, "lib-ver"))
		slot = &ctx->client->lib_ver;
	else {
		reply_errorf(ctx->out, "ERR Unrecognized option '%.*s'", (int)attr->len, attr->p);
		return;
	}
	if (!client_name_is_valid(val)) {
		reply_errorf(ctx->out, "ERR %.*s cannot contain spaces, newlines or special characters.",
			     (int)attr->len, attr->p);
		return;
	}
	free(*slot);
	*slot = dup_arg(val);
	reply_ok(ctx->out);
}

static void client_setname(struct cmd_ctx *ctx)
{
	if (ctx->argc != 3) {
		reply_subcommand_arity(ctx, "setname");
		return;
	}
	const struct arg *name = &ctx->argv[2];
	if (!client_name_is_valid(name)) {
		reply_error(ctx->out, "ERR Client names cannot contain spaces, newlines or special characters.");
		return;
	}
	free(ctx->client->name);
	ctx->client->name = name->len ? dup_arg(name) : NULL;
	reply_ok(ctx->out);
}

static void client_list_or_kill(struct cmd_ctx *ctx, bool kill)
{
	struct client_filter f;
	char id[24];
	int n = snprintf(id, sizeof(id), "%llu", (unsigned long long)ctx->client->id);
	struct arg argv[ctx->argc + 1];
	argv[0] = (struct arg){ .p = id, .len = (size_t)n };
	memcpy(argv + 1, ctx->argv, (size_t)ctx->argc * sizeof(struct arg));
	/* Validate here so that a bad filter answers once, not once per shard. */
	struct cmd_ctx check = *ctx;
	check.argv = argv;
	check.argc = ctx->argc + 1;
	if (!parse_filter(&check, &f, kill))
		return;
	if (kill)
		client_broadcast(ctx, client_kill_shard, client_kill_done, f.legacy ? 1 : 0);
	else
		client_broadcast(ctx, client_list_shard, client_list_done, 0);
}

void cmd_client(struct cmd_ctx *ctx)
{
	const struct arg *sub = &ctx->argv[1];
	struct client *c = ctx->client;
	static const char *const no_args[] = { "id", "getname", "info", "help" };
	if (arg_is(sub, "no-evict") && ctx->argc != 3) {
		reply_subcommand_arity(ctx, "no-evict");
		return;
	}
	for (unsigned i = 0; i < sizeof(no_args) / sizeof(no_args[0]); i++) {
		if (arg_is(sub, no_args[i]) && ctx->argc != 2) {
			reply_subcommand_arity(ctx, no_args[i]);
			return;
		}
	}
	if (arg_is(sub, "kill") && ctx->argc < 3) {
		reply_subcommand_arity(ctx, "kill");
		return;
	}
	if (arg_is(sub, "id") && ctx->argc == 2) {
		reply_int(ctx->out, (long long)c->id);
	} else if (arg_is(sub, "getname") && ctx->argc == 2) {
		if (c->name)
			reply_bulk_str(ctx->out, c->name);
		else
			reply_null(ctx->out, ctx->resp);
	} else if (arg_is(sub, "setname")) {
		client_setname(ctx);
	} else if (arg_is(sub, "setinfo")) {
		client_setinfo(ctx);
	} else if (arg_is(sub, "list")) {
		client_list_or_kill(ctx, false);
	} else if (arg_is(sub, "kill") && ctx->argc >= 3) {
		client_list_or_kill(ctx, true);
	} else if (arg_is(sub, "no-evict")) {
		/* maxmemory-clients never closes this connection. */
		if (arg_is(&ctx->argv[2], "on") || arg_is(&ctx->argv[2], "off")) {
			c->no_evict = arg_is(&ctx->argv[2], "on");
			reply_ok(ctx->out);
		} else {
			reply_error(ctx->out, "ERR syntax error");
		}
	} else if (arg_is(sub, "info") && ctx->argc == 2) {
		struct buf line = { 0 };
		append_client_line(&line, ctx->sh, c);
		reply_verbatim(ctx->out, ctx->resp, buf_head(&line), buf_live(&line));
		buf_free(&line);
	} else if (arg_is(sub, "help") && ctx->argc == 2) {
		static const char *lines[] = {
			"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"ID", "    Return the ID of the current connection.",
			"GETNAME", "    Return the name of the current connection.",
			"SETNAME <name>", "    Assign the name <name> to the current connection.",
			"SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client library name or version.",
			"LIST [TYPE normal] [ID <id> [<id> ...]]", "    Return information about client connections.",
			"KILL <ip:port> | <option> <value> [<option> <value> [...]]",
			"    Kill connections. Options: ID, ADDR, LADDR, USER, TYPE, SKIPME.",
			"INFO", "    Return information about the current client connection.",
			"NO-EVICT (ON|OFF)", "    maxmemory-clients does not close this connection when ON.",
			"HELP", "    Print this help.",
		};
		int n = (int)(sizeof(lines) / sizeof(lines[0]));
		reply_array(ctx->out, n);
		for (int i = 0; i < n; i++)
			reply_simple(ctx->out, lines[i]);
	} else {
		reply_errorf(ctx->out, "ERR unknown subcommand '%.*s'. Try CLIENT HELP.",
			     (int)(sub->len < 128 ? sub->len : 128), sub->p);
	}
}
