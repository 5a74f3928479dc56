#include "commands/cmd_keys.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/glob.h"
#include "db/db.h"
#include "request/execute.h"
#include "resp/reply.h"
#include "shard/shard_job.h"

#define ERR_OOM "ERR out of memory"

static const char *type_name(const struct entry *e)
{
	if (!e)
		return "none";
	switch (entry_type(e)) {
	case TYPE_STRING:
		return "string";
	case TYPE_LIST:
		return "list";
	case TYPE_SET:
		return "set";
	case TYPE_ZSET:
		return "zset";
	case TYPE_HASH:
		return "hash";
	case TYPE_STREAM:
		return "stream";
	}
	return "none";
}

/* ---- existence ---------------------------------------------------------- */

void cmd_del(struct cmd_ctx *ctx)
{
	long long n = 0;
	for (int j = 1; j < ctx->argc; j++) {
		struct entry *e = db_lookup_write(ctx->sh, &ctx->argv[j]);
		if (e) {
			db_delete(ctx->sh, e);
			n++;
		}
	}
	reply_int(ctx->out, n);
}

void cmd_exists(struct cmd_ctx *ctx)
{
	long long n = 0;
	for (int j = 1; j < ctx->argc; j++)
		n += db_lookup_notouch(ctx->sh, &ctx->argv[j]) != NULL;
	reply_int(ctx->out, n);
}

void cmd_touch(struct cmd_ctx *ctx)
{
	long long n = 0;
	for (int j = 1; j < ctx->argc; j++)
		n += db_lookup_read(ctx->sh, &ctx->argv[j]) != NULL;
	reply_int(ctx->out, n);
}

void cmd_type(struct cmd_ctx *ctx)
{
	reply_simple(ctx->out, type_name(db_lookup_notouch(ctx->sh, &ctx->argv[1])));
}

/* ---- EXPIRE family ------------------------------------------------------ */

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

static void reply_unsupported_option(struct cmd_ctx *ctx, const struct arg *opt)
{
	/* Redis prints the option with %s: it ends at an embedded NUL. */
	const char *nul = memchr(opt->p, '\0', opt->len);
	size_t len = nul ? (size_t)(nul - opt->p) : opt->len;
	static const char prefix[] = "ERR Unsupported option ";
	char *msg = malloc(sizeof(prefix) + len);
	if (!msg) {
		reply_error(ctx->out, ERR_OOM);
		return;
	}
	memcpy(msg, prefix, sizeof(prefix) - 1);
	memcpy(msg + sizeof(prefix) - 1, opt->p, len);
	msg[sizeof(prefix) - 1 + len] = '\0';
	reply_error(ctx->out, msg);
	free(msg);
}

/* Options from argv[3]. An unknown word is reported as soon as it is seen;
 * conflicts only once all are read. Replies and returns false on error. */
static bool parse_expire_flags(struct cmd_ctx *ctx, int *flags)
{
	static const struct { const char *name; int flag; } opts[] = {
		{ "nx", EXP_NX }, { "xx", EXP_XX }, { "gt", EXP_GT }, { "lt", EXP_LT },
	};
	*flags = 0;
	for (int j = 3; j < ctx->argc; j++) {
		int f = 0;
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]) && !f; i++)
			if (arg_is(&ctx->argv[j], opts[i].name))
				f = opts[i].flag;
		if (!f) {
			reply_unsupported_option(ctx, &ctx->argv[j]);
			return false;
		}
		*flags |= f;
	}
	if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
		reply_error(ctx->out, "ERR NX and XX, GT or LT options at the same time are not compatible");
		return false;
	}
	if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
		reply_error(ctx->out, "ERR GT and LT options at the same time are not compatible");
		return false;
	}
	return true;
}

/* Does the NX/XX/GT/LT condition allow replacing `cur` (0 = no TTL) by
 * `when`? A key without a TTL counts as expiring never: GT always fails
 * on it and LT always passes. */
static bool expire_condition_holds(int flags, int64_t cur, int64_t when)
{
	if ((flags & EXP_NX) && cur)
		return false;
	if ((flags & EXP_XX) && !cur)
		return false;
	if ((flags & EXP_GT) && (!cur || when <= cur))
		return false;
	if ((flags & EXP_LT) && cur && when >= cur)
		return false;
	return true;
}

/* Relative or absolute (base 0) time in seconds or ms. Negative times are
 * allowed (they delete the key); only an overflow is an error. */
static void expire_generic(struct cmd_ctx *ctx, int64_t base, bool seconds, const char *cmd)
{
	int flags;
	long long when;
	if (!parse_expire_flags(ctx, &flags))
		return;
	if (!parse_ll(ctx->argv[2].p, ctx->argv[2].len, &when)) {
		reply_error(ctx->out, ERR_NOT_INTEGER);
		return;
	}
	if ((seconds && (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)) ||
	    (seconds ? when * 1000 : when) > LLONG_MAX - base) {
		reply_errorf(ctx->out, "ERR invalid expire time in '%s' command", cmd);
		return;
	}
	when = (seconds ? when * 1000 : when) + base;
	struct entry *e = db_lookup_write(ctx->sh, &ctx->argv[1]);
	if (!e || !expire_condition_holds(flags, entry_expire_ms(e), when)) {
		reply_int(ctx->out, 0);
		return;
	}
	/* A time already past deletes the key; db_set_expire would read an
	 * exact 0 as "no TTL", so the past is handled here. */
	if (when <= ctx->sh->now_ms)
		db_delete(ctx->sh, e);
	else
		db_set_expire(ctx->sh, e, when);
	reply_int(ctx->out, 1);
}

void cmd_expire(struct cmd_ctx *ctx)
{
	expire_generic(ctx, ctx->sh->now_ms, true, "expire");
}

void cmd_pexpire(struct cmd_ctx *ctx)
{
	expire_generic(ctx, ctx->sh->now_ms, false, "pexpire");
}

void cmd_expireat(struct cmd_ctx *ctx)
{
	expire_generic(ctx, 0, true, "expireat");
}

void cmd_pexpireat(struct cmd_ctx *ctx)
{
	expire_generic(ctx, 0, false, "pexpireat");
}

static void ttl_generic(struct cmd_ctx *ctx, bool ms, bool absolute)
{
	struct entry *e = db_lookup_notouch(ctx->sh, &ctx->argv[1]);
	if (!e) {
		reply_int(ctx->out, -2);
		return;
	}
	if (!entry_expire_ms(e)) {
		reply_int(ctx->out, -1);
		return;
	}
	int64_t t = absolute ? entry_expire_ms(e) : entry_expire_ms(e) - ctx->sh->now_ms;
	if (t < 0)
		t = 0;
	/* Seconds round to nearest; unsigned so that PEXPIREAT LLONG_MAX
	 * rounds the way Redis's arithmetic ends up doing. */
	reply_int(ctx->out, ms ? t : (long long)(((uint64_t)t + 500) / 1000));
}

void cmd_ttl(struct cmd_ctx *ctx)
{
	ttl_generic(ctx, false, false);
}

void cmd_pttl(struct cmd_ctx *ctx)
{
	ttl_generic(ctx, true, false);
}

void cmd_expiretime(struct cmd_ctx *ctx)
{
	ttl_generic(ctx, false, true);
}

void cmd_pexpiretime(struct cmd_ctx *ctx)
{
	ttl_generic(ctx, true, true);
}

void cmd_persist(struct cmd_ctx *ctx)
{
	struct entry *e = db_lookup_write(ctx->sh, &ctx->argv[1]);
	if (!e || !entry_expire_ms(e)) {
		reply_int(ctx->out, 0);
		return;
	}
	db_set_expire(ctx->sh, e, 0);
	reply_int(ctx->out, 1);
}

/* ---- RENAME (both keys on this shard) ----------------------------------- */

static void rename_generic(struct cmd_ctx *ctx, bool nx)
{
	struct shard *sh = ctx->sh;
	const struct arg *src = &ctx->argv[1], *dst = &ctx->argv[2];
	struct entry *e = db_lookup_write(sh, src);
	if (!e) {
		reply_error(ctx->out, ERR_NO_SUCH_KEY);
		return;
	}
	if (src->len == dst->len && memcmp(src->p, dst->p, src->len) == 0) {
		if (nx)
			reply_int(ctx->out, 0);
		else
			reply_ok(ctx->out);
		return;
	}
	struct entry *old = db_lookup_write(sh, dst);
	if (old && nx) {
		reply_int(ctx->out, 0);
		return;
	}
	if (old)
		db_delete(sh, old);
	/* Redis moves the value object itself: encoding, access time and TTL
	 * go with it. Entries never move when others are added, so e stays. */
	struct entry *n = db_add(sh, dst, entry_val(e), entry_val_len(e), 0);
	if (!n) {
		reply_error(ctx->out, ERR_OOM);
		return;
	}
	entry_set_kind(n, entry_kind(e));
	entry_set_access_s(n, entry_access_s(e));
	n->lfu_counter = e->lfu_counter;
	if (entry_expire_ms(e))
		db_set_expire(sh, n, entry_expire_ms(e));
	db_delete(sh, e);
	if (nx)
		reply_int(ctx->out, 1);
	else
		reply_ok(ctx->out);
}

void cmd_rename(struct cmd_ctx *ctx)
{
	rename_generic(ctx, false);
}

void cmd_renamenx(struct cmd_ctx *ctx)
{
	rename_generic(ctx, true);
}

void cmd_internal_take(struct cmd_ctx *ctx)
{
	struct entry *e = db_lookup_write(ctx->sh, &ctx->argv[1]);
	if (!e) {
		reply_null_array(ctx->out, ctx->resp);
		return;
	}
	reply_array(ctx->out, 2);
	reply_bulk(ctx->out, entry_val(e), entry_val_len(e));
	reply_int(ctx->out, entry_expire_ms(e));
	db_delete(ctx->sh, e);
}

void cmd_internal_put(struct cmd_ctx *ctx)
{
	long long expire_ms;
	if (ctx->argc != 5 || !parse_ll(ctx->argv[3].p, ctx->argv[3].len, &expire_ms) ||
	    expire_ms < 0) {
		reply_error(ctx->out, ERR_SYNTAX);
		return;
	}
	if (arg_is(&ctx->argv[4], "1") && db_lookup_write(ctx->sh, &ctx->argv[1])) {
		reply_int(ctx->out, 0);
		return;
	}
	struct entry *e = db_set(ctx->sh, &ctx->argv[1], ctx->argv[2].p, ctx->argv[2].len);
	if (!e) {
		reply_error(ctx->out, ERR_OOM);
		return;
	}
	if (expire_ms)
		db_set_expire(ctx->sh, e, expire_ms);
	reply_int(ctx->out, 1);
}

/* ---- whole-shard commands ----------------------------------------------- */

/* Entries gathered by a keyspace_scan callback, which may not delete. */
struct entry_list {
	struct entry **v;
	size_t n, cap;
	bool oom;
};

static void list_push(struct entry_list *l, struct entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct entry **v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->oom = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = e;
}

/* KEYS and SCAN skip the matcher for exactly "*", as Redis does: that is
 * what makes "*" match the empty key. */
static bool is_match_all(const struct arg *pat)
{
	return pat->len == 1 && pat->p[0] == '*';
}

/* KEYS runs as a job (shard_job.h): a slice of the table per poll
 * iteration, so that KEYS * over millions of keys delays other clients by
 * one slice, not by the whole walk. Matches are copied out as reply bulks
 * as they are found; resizing is paused meanwhile, so every key present
 * for the whole walk is returned exactly once. */
struct keys_walk {
	struct shard *sh;
	struct buf pattern;       /* owned copy: the command's arguments go away */
	bool all;
	bool paused;              /* holds keyspace_pause_merges() */
	uint64_t cursor;
	long long count;
	struct buf bulks;         /* "$len\r\nkey\r\n" for each match */
};

static void keys_visit(void *arg, struct entry *e)
{
	struct keys_walk *w = arg;
	if (db_is_expired(w->sh, e))
		return;  /* Redis's KEYS skips expired keys without deleting them */
	if (w->all || glob_match(buf_head(&w->pattern), buf_live(&w->pattern), entry_key(e),
				 entry_key_len(e), false)) {
		reply_bulk(&w->bulks, entry_key(e), entry_key_len(e));
		w->count++;
	}
}

/* Room kept in front of the bulks for the array header, so that the reply
 * is handed over whole instead of copied after it (20 MB for 1M keys). */
#define KEYS_HEADER_ROOM 24

static void finish_keys_reply(struct keys_walk *w, struct buf *out)
{
	struct buf head = { 0 };
	reply_array(&head, w->count);
	size_t h = buf_live(&head);
	if (w->bulks.data && w->bulks.start == KEYS_HEADER_ROOM && h <= KEYS_HEADER_ROOM) {
		w->bulks.start -= h;
		memcpy(w->bulks.data + w->bulks.start, buf_head(&head), h);
		buf_move(out, &w->bulks);
	} else {
		buf_append(out, buf_head(&head), h);
		buf_append(out, buf_head(&w->bulks), buf_live(&w->bulks));
	}
	buf_free(&head);
}

static bool keys_slice(struct shard *sh, void *state, struct buf *out)
{
	struct keys_walk *w = state;
	for (unsigned work = 0; work < JOB_SLICE_WORK;) {
		unsigned slots;
		w->cursor = keyspace_scan(&sh->ks, w->cursor, keys_visit, w, &slots);
		work += slots + 1;
		if (w->cursor == 0) {
			finish_keys_reply(w, out);
			return true;
		}
	}
	return false;
}

static void keys_walk_free(void *state)
{
	struct keys_walk *w = state;
	if (w->paused)
		keyspace_resume_merges(&w->sh->ks);
	buf_free(&w->pattern);
	buf_free(&w->bulks);
	free(w);
}

void cmd_keys(struct cmd_ctx *ctx)
{
	struct keys_walk *w = calloc(1, sizeof(*w));
	if (!w) {
		reply_error(ctx->out, ERR_OOM);
		return;
	}
	w->sh = ctx->sh;
	w->all = is_match_all(&ctx->argv[1]);
	buf_append(&w->pattern, ctx->argv[1].p, ctx->argv[1].len);
	static const char room[KEYS_HEADER_ROOM];
	buf_append(&w->bulks, room, sizeof(room));
	w->bulks.start = sizeof(room);
	keyspace_pause_merges(&ctx->sh->ks);
	w->paused = true;
	if (keys_slice(ctx->sh, w, ctx->out)) {
		keys_walk_free(w); /* small enough for one slice */
		return;
	}
	if (!shard_job_defer(ctx, keys_slice, keys_walk_free, w)) {
		while (!keys_slice(ctx->sh, w, ctx->out))
			;
		keys_walk_free(w);
	}
}

void cmd_dbsize(struct cmd_ctx *ctx)
{
	reply_int(ctx->out, (long long)keyspace_size(&ctx->sh->ks));
}

void cmd_flushall(struct cmd_ctx *ctx)
{
	/* ASYNC and SYNC differ only in who frees the memory; here it is freed
	 * at once either way. */
	if (ctx->argc > 2 ||
	    (ctx->argc == 2 && !arg_is(&ctx->argv[1], "async") && !arg_is(&ctx->argv[1], "sync"))) {
		reply_error(ctx->out, ERR_SYNTAX);
		return;
	}
	db_flush(ctx->sh);
	reply_ok(ctx->out);
}

/* Delete e if it has expired, counting it as an expiry; true if it did.
 * The lookup goes through db so that the expired_keys stat stays right;
 * the key bytes are e's own, not read again once it is freed. */
static bool expire_if_needed(struct shard *sh, struct entry *e)
{
	if (!db_is_expired(sh, e))
		return false;
	struct arg key = { .p = (char *)entry_key(e), .len = entry_key_len(e) };
	db_lookup_write(sh, &key);
	return true;
}

static uint64_t shard_rand_cb(void *sh)
{
	return shard_rand(sh);
}

/* Each expired pick is deleted, so the tries make progress; the bound only
 * keeps a shard full of expired keys from stalling. */
#define RANDOMKEY_TRIES 100

void cmd_randomkey(struct cmd_ctx *ctx)
{
	for (int i = 0; i < RANDOMKEY_TRIES; i++) {
		struct entry *e = keyspace_random(&ctx->sh->ks, shard_rand_cb, ctx->sh);
		if (!e)
			break;
		if (!expire_if_needed(ctx->sh, e)) {
			reply_bulk(ctx->out, entry_key(e), entry_key_len(e));
			return;
		}
	}
	reply_null(ctx->out, ctx->resp);
}

/* ---- OBJECT ------------------------------------------------------------- */

static const char *const object_help[] = {
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
};

/* Redis shares one object among all keys holding 0..9999 and reports
 * INT_MAX references for it, except under an LRU or LFU maxmemory policy
 * (a shared object cannot carry per-key access data). Redis decides when
 * the value is written; the current settings stand in for that moment. */
static bool shares_integers(void)
{
	long long p = CFG(maxmemory_policy);
	bool lru_or_lfu = p == MM_VOLATILE_LRU || p == MM_VOLATILE_LFU ||
			  p == MM_ALLKEYS_LRU || p == MM_ALLKEYS_LFU;
	return CFG(maxmemory) == 0 || !lru_or_lfu;
}

static long long refcount(struct entry *e)
{
	long long v;
	if (entry_kind(e) == KIND_STRING_INT && shares_integers() &&
	    parse_ll(entry_val(e), entry_val_len(e), &v) && v >= 0 && v < 10000)
		return INT_MAX;
	return 1;
}

static long long idle_seconds(const struct cmd_ctx *ctx, const struct entry *e)
{
	return entry_idle_s(e, (uint32_t)(ctx->sh->now_ms / 1000));
}

static void object_key_info(struct cmd_ctx *ctx, const char *sub)
{
	struct entry *e = db_lookup_notouch(ctx->sh, &ctx->argv[2]);
	if (!e) {
		reply_null(ctx->out, ctx->resp);
	} else if (strcmp(sub, "encoding") == 0) {
		reply_bulk_str(ctx->out, kind_encoding_name(entry_kind(e)));
	} else if (strcmp(sub, "refcount") == 0) {
		reply_int(ctx->out, refcount(e));
	} else if (strcmp(sub, "idletime") == 0) {
		if (config_policy_is_lfu())
			reply_error(ctx->out, "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
		else
			reply_int(ctx->out, idle_seconds(ctx, e));
	} else if (!config_policy_is_lfu()) {
		reply_error(ctx->out, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
	} else {
		reply_int(ctx->out, db_lfu_decayed(ctx->sh, e));
	}
}

void cmd_object(struct cmd_ctx *ctx)
{
	static const char *const with_key[] = { "encoding", "freq", "idletime", "refcount" };
	const struct arg *sub = &ctx->argv[1];
	if (arg_is(sub, "help")) {
		if (ctx->argc != 2) {
			reply_error(ctx->out, "ERR wrong number of arguments for 'object|help' command");
			return;
		}
		size_t n = sizeof(object_help) / sizeof(object_help[0]);
		reply_array(ctx->out, (long long)n);
		for (size_t i = 0; i < n; i++)
			reply_simple(ctx->out, object_help[i]);
		return;
	}
	for (size_t i = 0; i < sizeof(with_key) / sizeof(with_key[0]); i++) {
		if (!arg_is(sub, with_key[i]))
			continue;
		if (ctx->argc != 3)
			reply_errorf(ctx->out, "ERR wrong number of arguments for 'object|%s' command", with_key[i]);
		else
			object_key_info(ctx, with_key[i]);
		return;
	}
	/* Redis quotes at most 128 bytes of the name, and stops at a NUL. */
	const char *nul = memchr(sub->p, '\0', sub->len);
	size_t len = nul ? (size_t)(nul - sub->p) : sub->len;
	reply_errorf(ctx->out, "ERR unknown subcommand '%.*s'. Try OBJECT HELP.",
		     (int)(len < 128 ? len : 128), sub->p);
}

/* ---- SCAN --------------------------------------------------------------- */

bool scan_parse_cursor(const struct arg *a, uint64_t *cursor)
{
	/* strtoul needs a terminated string; Redis's strings end in a NUL, so
	 * an embedded NUL ends the number there too. */
	char small[64];
	char *buf = a->len < sizeof(small) ? small : malloc(a->len + 1);
	if (!buf)
		return false;
	memcpy(buf, a->p, a->len);
	buf[a->len] = '\0';
	char *end;
	errno = 0;
	unsigned long v = strtoul(buf, &end, 10);
	bool ok = !isspace((unsigned char)buf[0]) && *end == '\0' && errno != ERANGE;
	if (buf != small)
		free(buf);
	*cursor = v;
	return ok;
}

struct scan_opts {
	long long count;
	const struct arg *pat;   /* NULL: no MATCH, or MATCH "*" */
	const struct arg *type;  /* NULL: no TYPE */
};

/* Options from argv[2], in any order, later ones winning. Replies and
 * returns false on error. */
static bool parse_scan_opts(struct cmd_ctx *ctx, struct scan_opts *o)
{
	o->count = 10;
	o->pat = o->type = NULL;
	for (int i = 2; i < ctx->argc; i += 2) {
		if (i + 1 >= ctx->argc) {
			reply_error(ctx->out, ERR_SYNTAX);
			return false;
		}
		const struct arg *opt = &ctx->argv[i], *val = &ctx->argv[i + 1];
		if (arg_is(opt, "count")) {
			if (!parse_ll(val->p, val->len, &o->count)) {
				reply_error(ctx->out, ERR_NOT_INTEGER);
				return false;
			}
			if (o->count < 1) {
				reply_error(ctx->out, ERR_SYNTAX);
				return false;
			}
		} else if (arg_is(opt, "match")) {
			o->pat = is_match_all(val) ? NULL : val;
		} else if (arg_is(opt, "type")) {
			o->type = val;
		} else {
			reply_error(ctx->out, ERR_SYNTAX);
			return false;
		}
	}
	return true;
}

/* Redis stops after COUNT*10 empty-ish steps; we count table slots looked
 * at and cap one call at about ten job slices' worth, so that SCAN COUNT
 * 100000 cannot stall the shard: it returns fewer keys and a cursor to go
 * on. A call visits whole table segments, so even COUNT 1 may return a few
 * hundred keys (COUNT is a hint, as in Redis). */
#define SCAN_MAX_STEPS 10000

/* The cursor a client gets back: the rest of this table, or the start of
 * the next shard, or 0 once the last shard is done. */
static uint64_t scan_next_cursor(const struct shard *sh, uint64_t table_cursor)
{
	if (table_cursor)
		return (table_cursor << SCAN_CURSOR_SHARD_BITS) | sh->id;
	return sh->id + 1 < sh->nshards ? sh->id + 1 : 0;
}

static void scan_visit(void *arg, struct entry *e)
{
	list_push(arg, e);
}

/* Does e pass SCAN's filters? Mirrors Redis's order: pattern, then TYPE
 * (whose lookup counts a hit or miss and deletes an expired key, which then
 * has type "none"), then expiry. *expired tells the caller to delete e. */
static bool scan_keep(struct cmd_ctx *ctx, const struct scan_opts *o, struct entry *e,
		      bool *expired)
{
	*expired = false;
	if (o->pat && !glob_match(o->pat->p, o->pat->len, entry_key(e), entry_key_len(e), false))
		return false;
	bool dead = db_is_expired(ctx->sh, e);
	*expired = dead;
	if (o->type) {
		if (dead)
			STAT_ADD(ctx->sh->stats.keyspace_misses, 1);
		else
			STAT_ADD(ctx->sh->stats.keyspace_hits, 1);
		if (!arg_is(o->type, dead ? "none" : type_name(e)))
			return false;
		/* Redis has deleted the key in the TYPE lookup, so its expiry check
		 * finds nothing: SCAN TYPE none returns expired keys. */
		return true;
	}
	return !dead;
}

void cmd_scan_shard(struct cmd_ctx *ctx)
{
	struct shard *sh = ctx->sh;
	uint64_t cursor;
	struct scan_opts o;
	if (!scan_parse_cursor(&ctx->argv[1], &cursor)) {
		reply_error(ctx->out, "ERR invalid cursor");
		return;
	}
	if (!parse_scan_opts(ctx, &o))
		return;

	struct entry_list seen = { 0 };
	uint64_t tc = scan_cursor_table(cursor);
	long long budget = o.count > SCAN_MAX_STEPS / 10 ? SCAN_MAX_STEPS : o.count * 10;
	unsigned slots;
	do {
		tc = keyspace_scan(&sh->ks, tc, scan_visit, &seen, &slots);
		budget -= slots + 1;
	} while (tc && budget > 0 && (long long)seen.n < o.count);
	if (seen.oom) {
		free(seen.v);
		reply_error(ctx->out, ERR_OOM);
		return;
	}

	struct entry_list dead = { 0 };
	size_t kept = 0;
	for (size_t i = 0; i < seen.n; i++) {
		bool expired;
		struct entry *e = seen.v[i];
		if (scan_keep(ctx, &o, e, &expired))
			seen.v[kept++] = e;  /* kept <= i: compacting in place is safe */
		if (expired)
			list_push(&dead, e);
	}
	reply_array(ctx->out, 2);
	reply_bulk_int(ctx->out, (long long)scan_next_cursor(sh, tc));
	reply_array(ctx->out, (long long)kept);
	for (size_t i = 0; i < kept; i++)
		reply_bulk(ctx->out, entry_key(seen.v[i]), entry_key_len(seen.v[i]));
	/* Deleting only now keeps every gathered pointer valid for the reply. A
	 * failed push just leaves the key to lazy or active expiry. */
	for (size_t i = 0; i < dead.n; i++)
		expire_if_needed(sh, dead.v[i]);
	free(dead.v);
	free(seen.v);
}
