#include "commands/cmd_string.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "db/db.h"
#include "resp/reply.h"

/* Redis parses and prints INCRBYFLOAT values through a buffer this big. */
#define LONG_DOUBLE_CHARS (5 * 1024)
#define ERR_OOM "ERR out of memory"

/* Would a string of size + append bytes be too long? Replies if so. Redis
 * caps values at proto-max-bulk-len, the longest a client could send. */
static bool too_long(struct cmd_ctx *ctx, long long size, size_t append)
{
	long long max = CFG(proto_max_bulk_len);
	if ((unsigned long long)append > (unsigned long long)max || size > max - (long long)append) {
		reply_error(ctx->out, ERR_STRING_TOO_LONG);
		return true;
	}
	return false;
}

static void reply_value(struct cmd_ctx *ctx, struct entry *e)
{
	if (e)
		reply_bulk(ctx->out, entry_val(e), entry_val_len(e));
	else
		reply_null(ctx->out, ctx->resp);
}

/* ---- SET and its option grammar ----------------------------------------- */

enum {
	SET_NX = 1 << 0,
	SET_XX = 1 << 1,
	SET_GET = 1 << 2,
	SET_KEEPTTL = 1 << 3,
	SET_PERSIST = 1 << 4,
	SET_EX = 1 << 5,
	SET_PX = 1 << 6,
	SET_EXAT = 1 << 7,
	SET_PXAT = 1 << 8,
};
#define SET_ANY_EXPIRE (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

struct set_opts {
	unsigned flags;
	const struct arg *expire;  /* the EX/PX/EXAT/PXAT argument, or NULL */
};

/* One option of SET (for_set) or GETEX. Each is refused when it conflicts
 * with one seen before, which is why Redis says "syntax error" for both an
 * unknown word and a conflict; repeating the same option is allowed. */
static unsigned option_flag(const struct arg *a, bool has_next, unsigned seen, bool for_set)
{
	static const struct {
		const char *name;
		unsigned flag, conflicts;
		bool set_only, get_only, takes_value;
	} opts[] = {
		{ "nx", SET_NX, SET_XX, true, false, false },
		{ "xx", SET_XX, SET_NX, true, false, false },
		{ "get", SET_GET, 0, true, false, false },
		{ "keepttl", SET_KEEPTTL, SET_PERSIST | SET_ANY_EXPIRE, true, false, false },
		{ "persist", SET_PERSIST, SET_KEEPTTL | SET_ANY_EXPIRE, false, true, false },
		{ "ex", SET_EX, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~SET_EX), false, false, true },
		{ "px", SET_PX, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~SET_PX), false, false, true },
		{ "exat", SET_EXAT, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~SET_EXAT), false, false, true },
		{ "pxat", SET_PXAT, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~SET_PXAT), false, false, true },
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!arg_is(a, opts[i].name))
			continue;
		if ((seen & opts[i].conflicts) || (opts[i].set_only && !for_set) ||
		    (opts[i].get_only && for_set) || (opts[i].takes_value && !has_next))
			return 0;
		return opts[i].flag;
	}
	return 0;
}

/* Parse options from argv[first]. Replies and returns false on error. */
static bool parse_set_opts(struct cmd_ctx *ctx, int first, bool for_set, struct set_opts *o)
{
	o->flags = 0;
	o->expire = NULL;
	for (int j = first; j < ctx->argc; j++) {
		unsigned f = option_flag(&ctx->argv[j], j + 1 < ctx->argc, o->flags, for_set);
		if (!f) {
			reply_error(ctx->out, ERR_SYNTAX);
			return false;
		}
		o->flags |= f;
		if (f & SET_ANY_EXPIRE)
			o->expire = &ctx->argv[++j];
	}
	return true;
}

static void reply_bad_expire(struct cmd_ctx *ctx, const char *cmd)
{
	reply_errorf(ctx->out, "ERR invalid expire time in '%s' command", cmd);
}

/* Turn an EX/PX/EXAT/PXAT argument into an absolute Unix time in ms. The
 * argument must be positive and the result must not overflow, as in Redis.
 * Replies and returns false on error. */
static bool expire_at_ms(struct cmd_ctx *ctx, const struct arg *a, unsigned flags,
			 const char *cmd, int64_t *when)
{
	long long v;
	if (!parse_ll(a->p, a->len, &v)) {
		reply_error(ctx->out, ERR_NOT_INTEGER);
		return false;
	}
	bool seconds = flags & (SET_EX | SET_EXAT);
	if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
		reply_bad_expire(ctx, cmd);
		return false;
	}
	if (seconds)
		v *= 1000;
	if ((flags & (SET_EX | SET_PX)) && __builtin_add_overflow(v, ctx->sh->now_ms, &v)) {
		reply_bad_expire(ctx, cmd);
		return false;
	}
	*when = v;
	return true;
}

enum set_reply { SET_REPLY_OK, SET_REPLY_INT };  /* +OK/null or :1/:0 */

/* The write half of SET, SETNX, SETEX and PSETEX; `when` 0 = no new TTL. */
static void set_generic(struct cmd_ctx *ctx, const struct arg *key, const struct arg *val,
			unsigned flags, int64_t when, enum set_reply kind)
{
	struct shard *sh = ctx->sh;
	struct entry *e;
	if (flags & SET_GET) {
		e = db_lookup_read(sh, key);  /* SET ... GET counts a hit or miss, like GET */
		reply_value(ctx, e);
	} else {
		e = db_lookup_write(sh, key);
	}
	if (((flags & SET_NX) && e) || ((flags & SET_XX) && !e)) {
		if (flags & SET_GET)
			return;
		if (kind == SET_REPLY_INT)
			reply_int(ctx->out, 0);
		else
			reply_null(ctx->out, ctx->resp);
		return;
	}
	/* Redis 7.0's SET keeps a key whose EXAT/PXAT is already past until
	 * something expires it (DBSIZE counts it, expired_keys will too), so
	 * the TTL bypasses db_set_expire, which would delete it at once: a new
	 * key takes it with its insert (db_add keeps it as given), an existing
	 * one from the keyspace directly. */
	if (e) {
		/* A new TTL replaces the old one directly rather than after
		 * clearing it: a TTL that only grows (a session refreshed on every
		 * write) then keeps its queued record instead of adding one. */
		if (!(flags & SET_KEEPTTL) && !when)
			e = db_set_expire(sh, e, 0);  /* clearing never deletes */
		e = db_overwrite(sh, e, val->p, val->len);
		if (e && when)
			e = keyspace_set_expire(&sh->ks, e, when);
	} else {
		e = db_add(sh, key, val->p, val->len, when);
	}
	if (!e) {
		if (!(flags & SET_GET))
			reply_error(ctx->out, ERR_OOM);
		return;
	}
	if (flags & SET_GET)
		return;
	if (kind == SET_REPLY_INT)
		reply_int(ctx->out, 1);
	else
		reply_ok(ctx->out);
}

void cmd_set(struct cmd_ctx *ctx)
{
	struct set_opts o;
	int64_t when = 0;
	if (!parse_set_opts(ctx, 3, true, &o))
		return;
	if (o.expire && !expire_at_ms(ctx, o.expire, o.flags, "set", &when))
		return;
	set_generic(ctx, &ctx->argv[1], &ctx->argv[2], o.flags, when, SET_REPLY_OK);
}

void cmd_setnx(struct cmd_ctx *ctx)
{
	set_generic(ctx, &ctx->argv[1], &ctx->argv[2], SET_NX, 0, SET_REPLY_INT);
}

static void setex_generic(struct cmd_ctx *ctx, unsigned unit, const char *cmd)
{
	int64_t when;
	if (!expire_at_ms(ctx, &ctx->argv[2], unit, cmd, &when))
		return;
	set_generic(ctx, &ctx->argv[1], &ctx->argv[3], unit, when, SET_REPLY_OK);
}

void cmd_setex(struct cmd_ctx *ctx)
{
	setex_generic(ctx, SET_EX, "setex");
}

void cmd_psetex(struct cmd_ctx *ctx)
{
	setex_generic(ctx, SET_PX, "psetex");
}

/* ---- reads and read-modify-delete --------------------------------------- */

void cmd_get(struct cmd_ctx *ctx)
{
	reply_value(ctx, db_lookup_read(ctx->sh, &ctx->argv[1]));
}

void cmd_getset(struct cmd_ctx *ctx)
{
	set_generic(ctx, &ctx->argv[1], &ctx->argv[2], SET_GET, 0, SET_REPLY_OK);
}

void cmd_getdel(struct cmd_ctx *ctx)
{
	struct entry *e = db_lookup_read(ctx->sh, &ctx->argv[1]);
	reply_value(ctx, e);
	if (e)
		db_delete(ctx->sh, e);
}

void cmd_getex(struct cmd_ctx *ctx)
{
	struct set_opts o;
	int64_t when = 0;
	if (!parse_set_opts(ctx, 2, false, &o))
		return;
	/* Redis looks the key up before validating the time: a missing key
	 * answers null even to a bad EX. */
	struct entry *e = db_lookup_read(ctx->sh, &ctx->argv[1]);
	if (!e) {
		reply_null(ctx->out, ctx->resp);
		return;
	}
	if (o.expire && !expire_at_ms(ctx, o.expire, o.flags, "getex", &when))
		return;
	reply_value(ctx, e);
	if (when)
		db_set_expire(ctx->sh, e, when);  /* a past EXAT/PXAT deletes */
	else if (o.flags & SET_PERSIST)
		db_set_expire(ctx->sh, e, 0);
}

void cmd_mget(struct cmd_ctx *ctx)
{
	reply_array(ctx->out, ctx->argc - 1);
	for (int j = 1; j < ctx->argc; j++)
		reply_value(ctx, db_lookup_read(ctx->sh, &ctx->argv[j]));
}

void cmd_strlen(struct cmd_ctx *ctx)
{
	struct entry *e = db_lookup_read(ctx->sh, &ctx->argv[1]);
	reply_int(ctx->out, e ? (long long)entry_val_len(e) : 0);
}

void cmd_getrange(struct cmd_ctx *ctx)
{
	long long start, end;
	if (!parse_ll(ctx->argv[2].p, ctx->argv[2].len, &start) ||
	    !parse_ll(ctx->argv[3].p, ctx->argv[3].len, &end)) {
		reply_error(ctx->out, ERR_NOT_INTEGER);
		return;
	}
	struct entry *e = db_lookup_read(ctx->sh, &ctx->argv[1]);
	long long len = e ? (long long)entry_val_len(e) : 0;
	/* Both ends negative and crossed: empty even when clamping would
	 * make them meet, as Redis has it. */
	if (!e || (start < 0 && end < 0 && start > end)) {
		reply_bulk(ctx->out, "", 0);
		return;
	}
	if (start < 0)
		start = start + len < 0 ? 0 : start + len;
	if (end < 0)
		end = end + len < 0 ? 0 : end + len;
	if (end >= len)
		end = len - 1;
	if (start > end || len == 0)
		reply_bulk(ctx->out, "", 0);
	else
		reply_bulk(ctx->out, entry_val(e) + start, (size_t)(end - start + 1));
}

/* ---- MSET / MSETNX ------------------------------------------------------ */

static bool pairs_ok(struct cmd_ctx *ctx, const char *cmd)
{
	if (ctx->argc % 2 == 0) {
		reply_errorf(ctx->out, "ERR wrong number of arguments for '%s' command", cmd);
		return false;
	}
	return true;
}

/* Set every pair with SET semantics (TTL cleared); false if out of memory. */
static bool set_pairs(struct cmd_ctx *ctx)
{
	bool ok = true;
	for (int j = 1; j + 1 < ctx->argc; j += 2)
		ok &= db_set(ctx->sh, &ctx->argv[j], ctx->argv[j + 1].p, ctx->argv[j + 1].len) != NULL;
	return ok;
}

void cmd_mset(struct cmd_ctx *ctx)
{
	if (!pairs_ok(ctx, "mset"))
		return;
	if (set_pairs(ctx))
		reply_ok(ctx->out);
	else
		reply_error(ctx->out, ERR_OOM);
}

void cmd_msetnx(struct cmd_ctx *ctx)
{
	if (!pairs_ok(ctx, "msetnx"))
		return;
	for (int j = 1; j < ctx->argc; j += 2) {
		if (db_lookup_write(ctx->sh, &ctx->argv[j])) {
			reply_int(ctx->out, 0);
			return;
		}
	}
	if (set_pairs(ctx))
		reply_int(ctx->out, 1);
	else
		reply_error(ctx->out, ERR_OOM);
}

/* ---- counters ----------------------------------------------------------- */

/* Store a new value for key, keeping the TTL of an existing entry. */
static struct entry *store(struct cmd_ctx *ctx, struct entry *e, const char *val, size_t len)
{
	if (e)
		return db_overwrite(ctx->sh, e, val, len);
	return db_add(ctx->sh, &ctx->argv[1], val, len, 0);
}

static void incr_by(struct cmd_ctx *ctx, long long by)
{
	struct entry *e = db_lookup_write(ctx->sh, &ctx->argv[1]);
	long long v = 0;
	if (e && !parse_ll(entry_val(e), entry_val_len(e), &v)) {
		reply_error(ctx->out, ERR_NOT_INTEGER);
		return;
	}
	if (__builtin_add_overflow(v, by, &v)) {
		reply_error(ctx->out, ERR_OVERFLOW);
		return;
	}
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%lld", v);
	if (!store(ctx, e, buf, (size_t)n)) {
		reply_error(ctx->out, ERR_OOM);
		return;
	}
	reply_int(ctx->out, v);
}

/* The increment argument; replies and returns false if not an integer. */
static bool parse_increment(struct cmd_ctx *ctx, long long *by)
{
	if (parse_ll(ctx->argv[2].p, ctx->argv[2].len, by))
		return true;
	reply_error(ctx->out, ERR_NOT_INTEGER);
	return false;
}

void cmd_incr(struct cmd_ctx *ctx)
{
	incr_by(ctx, 1);
}

void cmd_decr(struct cmd_ctx *ctx)
{
	incr_by(ctx, -1);
}

void cmd_incrby(struct cmd_ctx *ctx)
{
	long long by;
	if (parse_increment(ctx, &by))
		incr_by(ctx, by);
}

void cmd_decrby(struct cmd_ctx *ctx)
{
	long long by;
	if (!parse_increment(ctx, &by))
		return;
	if (by == LLONG_MIN) {
		reply_error(ctx->out, "ERR decrement would overflow");
		return;
	}
	incr_by(ctx, -by);
}

/* Redis 7.0 does INCRBYFLOAT in long double: strtold over every byte (an
 * embedded NUL fails), no leading space, no NaN, and no overflow or
 * underflow to 0. */
static bool parse_long_double(const char *p, size_t len, long double *out)
{
	char buf[LONG_DOUBLE_CHARS];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	long double v = strtold(buf, &end);
	if (isspace((unsigned char)buf[0]) || end != buf + len || errno == EINVAL || isnan(v) ||
	    (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)))
		return false;
	*out = v;
	return true;
}

/* Redis's "human" long double format: 17 decimals, trailing zeros and a
 * bare point dropped, "-0" shown as "0". */
static size_t format_long_double(char *buf, size_t size, long double v)
{
	int n = snprintf(buf, size, "%.17Lf", v);
	if (n < 0 || (size_t)n >= size)
		return 0;
	size_t len = (size_t)n;
	if (memchr(buf, '.', len)) {
		while (buf[len - 1] == '0')
			len--;
		if (buf[len - 1] == '.')
			len--;
	}
	if (len == 2 && buf[0] == '-' && buf[1] == '0') {
		buf[0] = '0';
		len = 1;
	}
	return len;
}

void cmd_incrbyfloat(struct cmd_ctx *ctx)
{
	struct entry *e = db_lookup_write(ctx->sh, &ctx->argv[1]);
	long double v = 0, by;
	if ((e && !parse_long_double(entry_val(e), entry_val_len(e), &v)) ||
	    !parse_long_double(ctx->argv[2].p, ctx->argv[2].len, &by)) {
		reply_error(ctx->out, ERR_NOT_FLOAT);
		return;
	}
	v += by;
	if (isnan(v) || isinf(v)) {
		reply_error(ctx->out, "ERR increment would produce NaN or Infinity");
		return;
	}
	char buf[LONG_DOUBLE_CHARS];
	size_t len = format_long_double(buf, sizeof(buf), v);
	e = store(ctx, e, buf, len);
	if (!e) {
		reply_error(ctx->out, ERR_OOM);
		return;
	}
	/* Redis stores the printed float as a plain string, never as "int",
	 * even when it prints as an integer. */
	entry_set_kind(e, len <= 44 ? KIND_STRING_EMBSTR : KIND_STRING_RAW);
	reply_bulk(ctx->out, buf, len);
}

/* ---- in-place edits ----------------------------------------------------- */

/* Give e room for vlen value bytes, keeping its bytes. Slack is left for
 * the next APPEND so that repeated appends stay linear. db.h has no such
 * call, so this goes to the keyspace directly; its memory accounting lives
 * there too. */
static struct entry *grow_value(struct shard *sh, struct entry *e, size_t vlen)
{
	e = keyspace_resize_value(&sh->ks, e, vlen, false);
	if (e) {
		entry_set_kind(e, KIND_STRING_RAW);  /* an edited string is "raw", as in Redis */
		entry_set_access_s(e, (uint32_t)(sh->now_ms / 1000));
	}
	return e;
}

void cmd_append(struct cmd_ctx *ctx)
{
	const struct arg *add = &ctx->argv[2];
	struct entry *e = db_lookup_write(ctx->sh, &ctx->argv[1]);
	if (!e) {
		/* A new key is stored like SET would store it (may be "int"). */
		if (!db_add(ctx->sh, &ctx->argv[1], add->p, add->len, 0))
			reply_error(ctx->out, ERR_OOM);
		else
			reply_int(ctx->out, (long long)add->len);
		return;
	}
	if (too_long(ctx, entry_val_len(e), add->len))
		return;
	size_t old = entry_val_len(e);
	e = grow_value(ctx->sh, e, old + add->len);
	if (!e) {
		reply_error(ctx->out, ERR_OOM);
		return;
	}
	if (add->len)
		memcpy(entry_val(e) + old, add->p, add->len);
	reply_int(ctx->out, (long long)entry_val_len(e));
}

void cmd_setrange(struct cmd_ctx *ctx)
{
	long long offset;
	const struct arg *val = &ctx->argv[3];
	if (!parse_ll(ctx->argv[2].p, ctx->argv[2].len, &offset)) {
		reply_error(ctx->out, ERR_NOT_INTEGER);
		return;
	}
	if (offset < 0) {
		reply_error(ctx->out, "ERR offset is out of range");
		return;
	}
	struct entry *e = db_lookup_write(ctx->sh, &ctx->argv[1]);
	/* Writing nothing changes nothing, not even a missing key. */
	if (val->len == 0) {
		reply_int(ctx->out, e ? (long long)entry_val_len(e) : 0);
		return;
	}
	if (too_long(ctx, offset, val->len))
		return;
	if (!e)
		e = db_add(ctx->sh, &ctx->argv[1], "", 0, 0);
	size_t old = e ? entry_val_len(e) : 0;
	size_t end = (size_t)offset + val->len;
	if (e && end > old)
		e = grow_value(ctx->sh, e, end);
	if (!e) {
		reply_error(ctx->out, ERR_OOM);
		return;
	}
	entry_set_kind(e, KIND_STRING_RAW);
	if ((size_t)offset > old)
		memset(entry_val(e) + old, 0, (size_t)offset - old);
	memcpy(entry_val(e) + offset, val->p, val->len);
	reply_int(ctx->out, (long long)entry_val_len(e));
}
