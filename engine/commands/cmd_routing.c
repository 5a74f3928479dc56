#include "commands/command_table.h"
#include "commands/cmd_routing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_keys.h"
#include "commands/cmd_string.h"
#include "db/db.h"
#include "request/pending.h"
#include "request/routing.h"
#include "resp/reply.h"
#include "resp/resp_frame.h"

/* How many of the keys at argv[1], argv[3], ... exist: [name, key] for
 * RENAMENX, [name, key, value, key, value...] for MSETNX. Looks them up as
 * writes, as those commands do in Redis: no keyspace hits or misses. */
static void count_existing_keys(struct cmd_ctx *ctx)
{
	long long n = 0;
	for (int i = 1; i < ctx->argc; i += 2)
		n += db_lookup_write(ctx->sh, &ctx->argv[i]) != NULL;
	reply_int(ctx->out, n);
}

/* The parts of a two-shard rename. */
enum { PART_SRC = 0, PART_DST = 1 };
enum { RENAME_CHECK, RENAME_TAKE, RENAME_PUT };

static bool part_is(const struct pending *p, unsigned part, const char *prefix)
{
	const struct buf *b = &p->parts[part];
	size_t n = strlen(prefix);
	return buf_live(b) >= n && memcmp(buf_head(b), prefix, n) == 0;
}

/* Saved args: [cmd, src, dst]. */
static void rename_submit_take(struct shard *sh, struct pending *p)
{
	int argc;
	struct arg *a = pending_saved_args(p, &argc);
	struct arg take[2] = { ARG_LITERAL("__take"), a[1] };
	p->phase = RENAME_TAKE;
	pending_submit(sh, p, PART_SRC, key_shard(sh, a[1].p, a[1].len), cmd_internal_take, 2, take);
}

/* Turn TAKE's reply [value, expire_ms] into PUT's arguments. */
static bool rename_submit_put(struct shard *sh, struct pending *p)
{
	int argc;
	struct arg *a = pending_saved_args(p, &argc);
	struct buf *b = &p->parts[PART_SRC];
	long long n;
	size_t head;
	if (resp_aggregate_header(buf_head(b), buf_live(b), &n, &head) != 1 || n != 2)
		return false;
	const char *val = buf_head(b) + head;
	size_t vlen_field = resp_frame_len(val, buf_live(b) - head);
	char *nl = memchr(val, '\n', vlen_field);
	if (val[0] != '$' || !nl)
		return false;
	struct arg value = { .p = nl + 1, .len = vlen_field - (size_t)(nl + 1 - val) - 2 };
	const char *exp = val + vlen_field;
	char *exp_end = memchr(exp, '\r', buf_live(b) - head - vlen_field);
	if (exp[0] != ':' || !exp_end)
		return false;
	struct arg put[5] = {
		ARG_LITERAL("__put"), a[2], value,
		{ .p = (char *)exp + 1, .len = (size_t)(exp_end - exp - 1) }, ARG_LITERAL("0"),
	};
	p->phase = RENAME_PUT;
	/* PUT copies its arguments (message or inline run) before TAKE's reply
	 * buffer is reused. */
	pending_submit(sh, p, PART_DST, key_shard(sh, a[2].p, a[2].len), cmd_internal_put, 5, put);
	return true;
}

/* RENAME and RENAMENX differ in their `done`, not in a name: a command may
 * be renamed. */
static void rename_phase_done(struct shard *sh, struct pending *p, bool nx)
{
	switch (p->phase) {
	case RENAME_CHECK:
		if (part_is(p, PART_SRC, ":0")) {
			reply_error(&p->reply, "ERR no such key");
			break;
		}
		if (part_is(p, PART_DST, ":1")) {
			reply_int(&p->reply, 0);
			break;
		}
		rename_submit_take(sh, p);
		pending_arm(sh, p);
		return;
	case RENAME_TAKE:
		if (!part_is(p, PART_SRC, "*2")) {
			reply_error(&p->reply, "ERR no such key");
			break;
		}
		if (!rename_submit_put(sh, p)) {
			reply_error(&p->reply, "ERR internal error moving the key");
			break;
		}
		pending_arm(sh, p);
		return;
	case RENAME_PUT:
		if (nx)
			reply_int(&p->reply, 1);
		else
			reply_ok(&p->reply);
		break;
	}
	pending_finish(sh, p);
}

static void rename_done(struct shard *sh, struct pending *p)
{
	rename_phase_done(sh, p, false);
}

static void renamenx_done(struct shard *sh, struct pending *p)
{
	rename_phase_done(sh, p, true);
}

static void rename_generic(struct cmd_ctx *ctx, bool nx)
{
	struct shard *sh = ctx->sh;
	const struct arg *src = &ctx->argv[1], *dst = &ctx->argv[2];
	unsigned s1 = key_shard(sh, src->p, src->len), s2 = key_shard(sh, dst->p, dst->len);
	if (s1 == s2) {
		route_to_shard(ctx, s1, nx ? cmd_renamenx : cmd_rename);
		return;
	}
	/* A barrier: later commands of this connection must see the key moved. */
	struct pending *p = route_open(ctx, nx ? renamenx_done : rename_done, true);
	if (!p)
		return;
	pending_save_args(p, 3, ctx->argv);
	if (!nx) {
		rename_submit_take(sh, p);
	} else {
		/* RENAMENX must fail without touching the source when the
		 * destination exists, so it asks both shards first. */
		struct arg ex_src[2] = { ARG_LITERAL("exists"), *src }, ex_dst[2] = { ARG_LITERAL("exists"), *dst };
		p->phase = RENAME_CHECK;
		pending_submit(sh, p, PART_SRC, s1, count_existing_keys, 2, ex_src);
		pending_submit(sh, p, PART_DST, s2, count_existing_keys, 2, ex_dst);
	}
	pending_arm(sh, p);
}

void cmd_rename_route(struct cmd_ctx *ctx)
{
	rename_generic(ctx, false);
}

void cmd_renamenx_route(struct cmd_ctx *ctx)
{
	rename_generic(ctx, true);
}

/* ---- MSETNX ------------------------------------------------------------- */

enum { MSETNX_CHECK, MSETNX_SET };


static void msetnx_done(struct shard *sh, struct pending *p)
{
	if (p->phase == MSETNX_CHECK) {
		long long existing = 0;
		for (unsigned t = 0; t < sh->nshards; t++) {
			struct buf *b = &p->parts[t];
			if (buf_live(b) > 1 && buf_head(b)[0] == ':' && buf_head(b)[1] != '0')
				existing++;
		}
		if (existing) {
			reply_int(&p->reply, 0);
			pending_finish(sh, p);
			return;
		}
		int argc;
		struct arg *a = pending_saved_args(p, &argc);
		struct arg mset_name = ARG_LITERAL("mset");
		struct arg name = a[0];
		a[0] = mset_name;
		p->phase = MSETNX_SET;
		for (unsigned t = 0; t < sh->nshards; t++)
			p->parts[t].start = p->parts[t].len = 0;
		pending_submit_split(sh, p, cmd_mset, argc, a, 1, 2, argc - 2);
		a[0] = name;
		pending_arm(sh, p);
		return;
	}
	reply_int(&p->reply, 1);
	pending_finish(sh, p);
}

void cmd_msetnx_route(struct cmd_ctx *ctx)
{
	struct shard *sh = ctx->sh;
	if (ctx->argc % 2 == 0) {
		reply_errorf(ctx->out, "ERR wrong number of arguments for '%s' command", ctx->cmd->name);
		return;
	}
	unsigned first = key_shard(sh, ctx->argv[1].p, ctx->argv[1].len);
	bool one_shard = true;
	for (int i = 3; i < ctx->argc && one_shard; i += 2)
		one_shard = key_shard(sh, ctx->argv[i].p, ctx->argv[i].len) == first;
	if (one_shard) {
		route_to_shard(ctx, first, cmd_msetnx);
		return;
	}
	struct pending *p = route_open(ctx, msetnx_done, true);
	if (!p)
		return;
	pending_save_args(p, ctx->argc, ctx->argv);
	/* Phase one asks every owner how many of its keys exist. */
	int argc;
	struct arg *a = pending_saved_args(p, &argc);
	p->phase = MSETNX_CHECK;
	pending_submit_split(sh, p, count_existing_keys, argc, a, 1, 2, argc - 2);
	pending_arm(sh, p);
}

/* ---- SCAN and OBJECT ---------------------------------------------------- */


/* SCAN over several shards: one shard's table per step, and while a call has
 * collected fewer keys than COUNT it goes on to the next shard, so that a
 * small keyspace is scanned in one call and cursor 0 means "done", as a
 * client expects from Redis. p->phase is the shard scanned last; the keys
 * collected so far wait in p->scratch. */
static long long scan_count(const struct arg *argv, int argc)
{
	long long count = 10;
	for (int i = 2; i + 1 < argc; i++)
		if (arg_is(&argv[i], "count"))
			parse_ll(argv[i + 1].p, argv[i + 1].len, &count);
	return count;
}

static void scan_submit(struct shard *sh, struct pending *p, uint64_t cursor)
{
	int argc;
	struct arg *a = pending_saved_args(p, &argc);
	char text[24];
	int n = snprintf(text, sizeof(text), "%llu", (unsigned long long)cursor);
	struct arg saved = a[1];
	a[1] = (struct arg){ .p = text, .len = (size_t)n };
	p->phase = (int)scan_cursor_shard(cursor) % (int)sh->nshards;
	pending_submit(sh, p, 0, (unsigned)p->phase, cmd_scan_shard, argc, a);
	a[1] = saved;
}

/* Split a shard's reply [cursor, [keys...]]; false if it is not one. */
static bool scan_reply_parts(struct buf *b, uint64_t *cursor, long long *nkeys, size_t *keys_at)
{
	long long n;
	size_t head;
	const char *p = buf_head(b);
	size_t len = buf_live(b);
	if (resp_aggregate_header(p, len, &n, &head) != 1 || n != 2)
		return false;
	size_t cur_len = resp_frame_len(p + head, len - head);
	const char *nl = memchr(p + head, '\n', cur_len);
	if (!cur_len || !nl)
		return false;
	struct arg text = { .p = (char *)nl + 1,
			    .len = cur_len - (size_t)(nl + 1 - (p + head)) - 2 };
	if (!scan_parse_cursor(&text, cursor))
		return false;
	size_t at = head + cur_len, keys_head;
	if (resp_aggregate_header(p + at, len - at, nkeys, &keys_head) != 1)
		return false;
	*keys_at = at + keys_head;
	return true;
}

static void scan_done(struct shard *sh, struct pending *p)
{
	struct buf *b = &p->parts[0];
	uint64_t cursor;
	long long n;
	size_t keys_at;
	if (buf_live(b) && buf_head(b)[0] == '-') {
		buf_move(&p->reply, b);
		pending_finish(sh, p);
		return;
	}
	if (!scan_reply_parts(b, &cursor, &n, &keys_at)) {
		reply_error(&p->reply, "ERR internal error gathering SCAN");
		pending_finish(sh, p);
		return;
	}
	buf_append(&p->scratch, buf_head(b) + keys_at, buf_live(b) - keys_at);
	p->gathered += n;
	int argc;
	struct arg *a = pending_saved_args(p, &argc);
	bool next_shard = cursor != 0 && (int)scan_cursor_shard(cursor) != p->phase;
	if (next_shard && p->gathered < scan_count(a, argc)) {
		scan_submit(sh, p, cursor);
		pending_arm(sh, p);
		return;
	}
	char text[24];
	int len = snprintf(text, sizeof(text), "%llu", (unsigned long long)cursor);
	reply_array(&p->reply, 2);
	reply_bulk(&p->reply, text, (size_t)len);
	reply_array(&p->reply, p->gathered);
	buf_move(&p->reply, &p->scratch);
	pending_finish(sh, p);
}

void cmd_scan_route(struct cmd_ctx *ctx)
{
	struct shard *sh = ctx->sh;
	uint64_t cursor;
	if (!scan_parse_cursor(&ctx->argv[1], &cursor)) {
		reply_error(ctx->out, "ERR invalid cursor");
		return;
	}
	if (sh->nshards == 1) {
		cmd_scan_shard(ctx);
		return;
	}
	struct pending *p = route_open(ctx, scan_done, false);
	if (!p)
		return;
	pending_save_args(p, ctx->argc, ctx->argv);
	scan_submit(sh, p, cursor);
	pending_arm(sh, p);
}

void cmd_object_route(struct cmd_ctx *ctx)
{
	if (ctx->argc < 3) {
		cmd_object(ctx);
		return;
	}
	const struct arg *key = &ctx->argv[2];
	route_to_shard(ctx, key_shard(ctx->sh, key->p, key->len),
		       cmd_object);
}
