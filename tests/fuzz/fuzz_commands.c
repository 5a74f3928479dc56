/* libFuzzer target: the command layer, through whole engines with no
 * network and no threads (the loop's calls made by hand, as
 * tests/unit/test_client_lifecycle.c makes them), on a clock the input
 * moves.
 *
 * The input is a program: commands (any name of the command table, or a
 * made-up one, with arguments drawn from keys, numbers, option words and
 * raw bytes) and clock steps. It runs twice:
 *
 *   on one shard, a command at a time, each run to completion;
 *   on two shards, the same bytes pipelined, cut into pieces where the
 *   input says (a piece may end inside a request), with keys on both
 *   shards, so cross-shard routing, gathering and ordering all run.
 *
 * Then:
 *   - every output is well-formed RESP, and the two runs gave the same
 *     replies, byte for byte, to every command whose reply does not
 *     depend on the layout or on when active expiry ran (not TIME, INFO,
 *     SCAN, KEYS, RANDOMKEY, CLIENT, HELLO, MEMORY, OBJECT, DBSIZE: they
 *     run, and their replies must parse);
 *   - on each engine DBSIZE equals the number of distinct keys a full SCAN
 *     returns, and both engines hold the same keys with the same values
 *     and TTLs;
 *   - after FLUSHALL every shard's keyspace is empty: no key, no TTL, no
 *     volatile byte, and its heap back to what an empty shard holds;
 *   - no run needs more than a bounded number of loop iterations to
 *     answer, and engine_destroy frees everything (LeakSanitizer).
 *
 * CONFIG SET and CONFIG REWRITE are left out: the configuration is
 * process-wide, and one input must not change the next one's engine. So
 * are COMMAND, COMMAND DOCS and COMMAND INFO with no names: they answer
 * the whole table, which would take most of the time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/config.h"
#include "fuzz_input.h"
#include "commands/command_table.h"
#include "loop/client_input.h"
#include "loop/client_output.h"
#include "loop/engine_lifecycle.h"
#include "loop/shard_loop.h"
#include "request/client.h"
#include "shard/shard.h"
#include "shard/shard_msg.h"

#define MAX_COMMANDS 48
#define MAX_ARGS 7
#define MAX_ROUNDS 20000       /* loop iterations a command may take */
#define CLOCK_START_MS 1700000000000LL

static void report_program(void);

static void check(bool ok, const char *what)
{
	if (!ok) {
		report_program();
		fprintf(stderr, "fuzz_commands: %s\n", what);
		abort(); /* libFuzzer keeps the input that got here */
	}
}

/* Bytes, printable, for a report on stderr. */
static void print_escaped(const char *label, const char *p, size_t len)
{
	fprintf(stderr, "%s: \"", label);
	for (size_t i = 0; i < len && i < 400; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch == '\r')
			fputs("\\r", stderr);
		else if (ch == '\n')
			fputs("\\n", stderr);
		else if (ch < 32 || ch > 126 || ch == '"' || ch == '\\')
			fprintf(stderr, "\\x%02x", ch);
		else
			fputc(ch, stderr);
	}
	fputs(len > 400 ? "\"...\n" : "\"\n", stderr);
}

/* ---- reading the input -------------------------------------------------- */


static const char *const keys[] = { "a", "b", "c", "k:1", "k:2", "{user}1", "{user}2", "counter" };
static const char *const words[] = {
	"", "0", "1", "-1", "2", "3", "10", "100", "-100", "3.5", "-0", "1e3", "0x10", " 1",
	"9223372036854775807", "-9223372036854775808", "9223372036854775808",
	"1.7976931348623157e308", "inf", "-inf", "nan", "abc", "value",
	"EX", "PX", "EXAT", "PXAT", "NX", "XX", "GT", "LT", "GET", "KEEPTTL", "PERSIST",
	"MATCH", "COUNT", "TYPE", "string", "none", "*", "a*", "?", "[a-c]", "k:*", "\\",
	"ASYNC", "SYNC", "REPLACE", "NOSAVE", "NOW", "FORCE", "ABORT",
	"ID", "LIST", "INFO", "SETNAME", "GETNAME", "KILL", "REPLY", "OFF", "ON", "SKIP",
	"NO-EVICT", "SETINFO", "LIB-NAME", "TRACKING", "USER", "ADDR", "SKIPME", "yes", "no",
	"USAGE", "SAMPLES", "STATS", "DOCTOR", "PURGE", "MALLOC-STATS", "ENCODING", "FREQ",
	"IDLETIME", "REFCOUNT", "HELP", "DOCS", "GETKEYS", "LISTFILTERBY", "MODULE", "PATTERN",
	"ACLCAT", "RESETSTAT", "maxmemory", "maxmemory-policy", "timeout", "proto-max-bulk-len",
	"all", "default", "everything", "server", "memory", "keyspace", "AUTH", "default",
	"SETNAME", "get", "set", "del", "mset", "keys",
};

/* An argument: a key, a word, or raw bytes from the input. */
static void draw_arg(struct input *in, const char **s, size_t *len)
{
	uint8_t b = next_byte(in);
	switch (b & 3) {
	case 0:
	case 1:
		*s = words[(b >> 2) % (sizeof(words) / sizeof(words[0]))];
		*len = strlen(*s);
		break;
	case 2:
		*s = keys[(b >> 2) % (sizeof(keys) / sizeof(keys[0]))];
		*len = strlen(*s);
		break;
	default: {
		size_t n = (b >> 2) % 24;
		if (n > in->left)
			n = in->left;
		*s = (const char *)in->p;
		*len = n;
		in->p += n;
		in->left -= n;
		break;
	}
	}
}

/* ---- the program -------------------------------------------------------- */

struct command_text {
	size_t start, len;        /* its RESP bytes in program.wire */
	int64_t clock_ms;         /* the clock it runs at */
	bool comparable;          /* its reply does not depend on the layout */
	bool is_quit;
};

struct program {
	struct buf wire;          /* every command, as RESP multibulk */
	struct command_text cmd[MAX_COMMANDS];
	unsigned n;
};

/* The program being run, for the report of a failed check. */
static const struct program *current;

static void report_program(void)
{
	if (!current)
		return;
	for (unsigned i = 0; i < current->n; i++) {
		char label[48];
		snprintf(label, sizeof(label), "command %u at +%lld ms", i,
			 (long long)(current->cmd[i].clock_ms - CLOCK_START_MS));
		print_escaped(label, buf_head(&current->wire) + current->cmd[i].start,
			      current->cmd[i].len);
	}
}

static bool eq_nocase(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

static bool layout_dependent(const char *name)
{
	static const char *const names[] = {
		"time", "info", "scan", "keys", "randomkey", "client", "hello", "memory",
		"object", "command", "shutdown",
		/* Counts keys that expired and are not reclaimed yet, as Redis's
		 * does: how many depends on when active expiry last ran, and a
		 * key can be born expired (SET ... EXAT in the past). The checks
		 * after the program compare it once every shard is idle. */
		"dbsize",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static void append_bulk(struct buf *b, const char *s, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "$%zu\r\n", len);
	buf_append(b, head, (size_t)n);
	buf_append(b, s, len);
	buf_append(b, "\r\n", 2);
}

/* Draw one command; false if it is one the harness leaves out. */
static bool draw_command(struct input *in, struct program *pg, int64_t clock_ms)
{
	unsigned ncommands = (unsigned)command_count();
	uint8_t b = next_byte(in);
	const char *name;
	size_t name_len;
	const struct command *entry = NULL;
	if (b < 250) {
		entry = command_at((int)(b % ncommands));
		name = entry->name;
		name_len = strlen(name);
	} else {
		draw_arg(in, &name, &name_len); /* anything, mostly unknown */
		entry = command_lookup(name, name_len);
	}
	int argc = 1 + next_byte(in) % MAX_ARGS;
	const char *arg[MAX_ARGS];
	size_t len[MAX_ARGS];
	arg[0] = name;
	len[0] = name_len;
	for (int i = 1; i < argc; i++)
		draw_arg(in, &arg[i], &len[i]);
	if (entry && strcmp(entry->name, "config") == 0 && argc > 1 &&
	    (eq_nocase(arg[1], len[1], "set") || eq_nocase(arg[1], len[1], "rewrite")))
		return false;
	/* The whole command table, in its reply, is a fixed text that unit
	 * tests check: here it would take most of the time. */
	if (entry && strcmp(entry->name, "command") == 0 &&
	    (argc == 1 || (argc == 2 && (eq_nocase(arg[1], len[1], "docs") ||
					 eq_nocase(arg[1], len[1], "info")))))
		return false;

	struct command_text *ct = &pg->cmd[pg->n++];
	ct->start = buf_live(&pg->wire);
	char head[16];
	int n = snprintf(head, sizeof(head), "*%d\r\n", argc);
	buf_append(&pg->wire, head, (size_t)n);
	for (int i = 0; i < argc; i++)
		append_bulk(&pg->wire, arg[i], len[i]);
	ct->len = buf_live(&pg->wire) - ct->start;
	ct->clock_ms = clock_ms;
	ct->comparable = !entry || !layout_dependent(entry->name);
	ct->is_quit = entry && strcmp(entry->name, "quit") == 0;
	return true;
}

/* Byte 0 seeds the piece sizes; then, per step, 1 in 8 moves the clock. */
static void draw_program(struct input *in, struct program *pg)
{
	int64_t clock_ms = CLOCK_START_MS;
	while (in->left && pg->n < MAX_COMMANDS) {
		uint8_t op = next_byte(in);
		if ((op & 7) == 0) {
			clock_ms += (int64_t)next_byte(in) * 97;
			continue;
		}
		if (draw_command(in, pg, clock_ms) && pg->cmd[pg->n - 1].is_quit)
			break;
	}
}

/* ---- replies ------------------------------------------------------------ */

/* The length of the RESP2/RESP3 reply at p, 0 if it is cut short or not
 * well-formed. */
static size_t reply_span(const char *p, size_t len, int depth)
{
	if (len < 3 || depth > 8)
		return 0;
	const char *eol = memchr(p, '\r', len);
	if (!eol || (size_t)(eol - p) + 1 >= len || eol[1] != '\n')
		return 0;
	size_t line = (size_t)(eol - p) + 2;
	char *end;
	long long n;
	switch (p[0]) {
	case '+': case '-': case ':': case '_': case '#': case ',': case '(':
		return line;
	case '$': case '!': case '=':
		n = strtoll(p + 1, &end, 10);
		if (end != eol || n < -1)
			return 0;
		if (n == -1)
			return p[0] == '$' ? line : 0;
		if (len - line < (size_t)n + 2 || p[line + n] != '\r' || p[line + n + 1] != '\n')
			return 0;
		return line + (size_t)n + 2;
	case '*': case '~': case '>': case '%': case '|':
		n = strtoll(p + 1, &end, 10);
		if (end != eol || n < -1 || n > 1000000)
			return 0;
		if (n == -1)
			return p[0] == '*' ? line : 0;
		if (p[0] == '%' || p[0] == '|')
			n *= 2;
		size_t at = line;
		for (long long i = 0; i < n; i++) {
			size_t s = reply_span(p + at, len - at, depth + 1);
			if (!s)
				return 0;
			at += s;
		}
		return at;
	default:
		return 0;
	}
}

/* ---- running a program -------------------------------------------------- */

/* What a connection received, and whether it was closed. */
struct capture {
	struct buf got;
	bool closed;
};

static bool capture_send(void *backend, struct client *c)
{
	struct capture *cap = backend;
	buf_append(&cap->got, buf_head(&c->out), buf_live(&c->out));
	buf_consume(&c->out, buf_live(&c->out));
	return true;
}

static void capture_close(void *backend, struct client *c)
{
	struct capture *cap = backend;
	cap->closed = true;
	c->conn = NULL;
	client_detach(c);
}

static void no_wake(struct engine *eng, unsigned id)
{
	(void)eng;
	(void)id;
}

struct run {
	struct engine *eng;
	struct client *c;
	struct capture cap;
	struct output_sink sink;
	int conn;                 /* the client's conn: any non-NULL address */
	int64_t clock_ms;
};

static void run_open(struct run *r, unsigned nshards)
{
	memset(r, 0, sizeof(*r));
	r->eng = engine_create(nshards);
	check(r->eng != NULL, "engine_create");
	r->eng->wake = no_wake;
	r->eng->start_ms = CLOCK_START_MS;
	for (unsigned i = 0; i < nshards; i++)
		r->eng->shards[i]->rng = 0x9E3779B97F4A7C15ULL * (i + 1); /* reproducible */
	r->sink = (struct output_sink){ .send = capture_send, .close = capture_close, .backend = &r->cap };
	r->clock_ms = CLOCK_START_MS;
	r->c = client_create(r->eng->shards[0], &r->conn, -1, "127.0.0.1:40000", "127.0.0.1:6379");
	check(r->c != NULL, "client_create");
}

static void set_clock(struct shard *sh, int64_t ms)
{
	sh->now_ms = ms;
	sh->ks.clock_ms = ms;
	sh->iteration_start_us = shard_monotonic_us();
}

static bool quiescent(struct run *r)
{
	if (!r->cap.closed && (r->c->inflight || r->c->pend_head || buf_live(&r->c->out) ||
			       (r->c->input_paused && buf_live(&r->c->query))))
		return false;
	for (unsigned i = 0; i < r->eng->nshards; i++) {
		struct shard *sh = r->eng->shards[i];
		if (sh->jobs || sh->ndirty || shard_background_work(sh))
			return false;
	}
	return true;
}

/* Loop iterations, in the order a backend makes them, until everything
 * sent has been answered and sliced work is done. */
static void pump(struct run *r)
{
	for (unsigned round = 0; round < MAX_ROUNDS; round++) {
		for (unsigned i = 0; i < r->eng->nshards; i++) {
			struct shard *sh = r->eng->shards[i];
			set_clock(sh, r->clock_ms);
			shard_drain_rings(sh);
			shard_flush_output(sh, &r->sink);
			shard_flush_outbox(sh);
			shard_tick(sh);
		}
		if (quiescent(r))
			return;
	}
	check(false, "no answer after MAX_ROUNDS loop iterations");
}

/* Feed bytes as a backend would: not while the client's input is paused
 * (it would not read them), and a fresh copy each time. */
static void feed(struct run *r, const char *data, size_t len)
{
	if (r->cap.closed)
		return;
	for (unsigned i = 0; i < r->eng->nshards; i++)
		set_clock(r->eng->shards[i], r->clock_ms);
	char *copy = malloc(len ? len : 1);
	check(copy != NULL, "malloc");
	memcpy(copy, data, len);
	client_feed(r->c, copy, len);
	free(copy);
	pump(r);
	check(r->cap.closed || !r->c->input_paused, "input still paused with its output sent");
}

/* A clock step: the loop runs once at the new time before anything is
 * fed, in both runs alike, so that active expiry has reclaimed the same
 * keys in each when the step's first command runs (DBSIZE counts keys
 * that expired and are not reclaimed yet, as Redis's does). */
static void advance_clock(struct run *r, int64_t ms)
{
	if (ms == r->clock_ms)
		return;
	r->clock_ms = ms;
	pump(r);
}

/* Split captured output into replies; each must be whole. */
static unsigned split_replies(const struct buf *got, size_t *start, size_t *len, unsigned cap)
{
	const char *p = buf_head(got);
	size_t left = buf_live(got), at = 0;
	unsigned n = 0;
	while (at < left) {
		size_t s = reply_span(p + at, left - at, 0);
		check(s != 0, "output is not well-formed RESP");
		check(n < cap, "more replies than expected");
		start[n] = at;
		len[n] = s;
		n++;
		at += s;
	}
	return n;
}

#define MAX_REPLIES (MAX_COMMANDS + 8)

/* One shard, a command at a time: how many replies each command gave. */
static void run_sequential(struct run *r, const struct program *pg, unsigned *replies_of,
			   unsigned *ncommands_run)
{
	const char *wire = buf_head(&pg->wire);
	unsigned i;
	for (i = 0; i < pg->n && !r->cap.closed; i++) {
		size_t before = buf_live(&r->cap.got);
		advance_clock(r, pg->cmd[i].clock_ms);
		feed(r, wire + pg->cmd[i].start, pg->cmd[i].len);
		struct buf tail = { 0 };
		buf_append(&tail, buf_head(&r->cap.got) + before, buf_live(&r->cap.got) - before);
		size_t s[MAX_REPLIES], l[MAX_REPLIES];
		replies_of[i] = split_replies(&tail, s, l, MAX_REPLIES);
		buf_free(&tail);
	}
	*ncommands_run = i;
}

/* Two shards, pipelined: the commands of each clock step fed as one
 * stream, cut into pieces by an LCG seeded from the input: one in four of
 * 1..16 bytes (a request cut anywhere), the others of 64..1023. */
static void run_pipelined(struct run *r, const struct program *pg, uint32_t seed)
{
	const char *wire = buf_head(&pg->wire);
	unsigned i = 0;
	while (i < pg->n && !r->cap.closed) {
		unsigned j = i;
		while (j < pg->n && pg->cmd[j].clock_ms == pg->cmd[i].clock_ms)
			j++;
		advance_clock(r, pg->cmd[i].clock_ms);
		size_t at = pg->cmd[i].start, end = pg->cmd[j - 1].start + pg->cmd[j - 1].len;
		while (at < end && !r->cap.closed) {
			seed = seed * 1103515245u + 12345u;
			size_t piece = (seed >> 30) == 0 ? 1 + (seed >> 16) % 16 : 64 + (seed >> 16) % 960;
			if (piece > end - at)
				piece = end - at;
			feed(r, wire + at, piece);
			at += piece;
		}
		i = j;
	}
}

/* Send one command outside the program and return its reply (the caller
 * frees it). */
static struct buf ask(struct run *r, int argc, const char **argv, const size_t *lens)
{
	struct buf req = { 0 };
	char head[16];
	int n = snprintf(head, sizeof(head), "*%d\r\n", argc);
	buf_append(&req, head, (size_t)n);
	for (int i = 0; i < argc; i++)
		append_bulk(&req, argv[i], lens ? lens[i] : strlen(argv[i]));
	size_t before = buf_live(&r->cap.got);
	feed(r, buf_head(&req), buf_live(&req));
	buf_free(&req);
	struct buf reply = { 0 };
	buf_append(&reply, buf_head(&r->cap.got) + before, buf_live(&r->cap.got) - before);
	check(reply_span(buf_head(&reply), buf_live(&reply), 0) == buf_live(&reply),
	      "a check's reply is not one RESP reply");
	return reply;
}

/* ---- checks after the program ------------------------------------------ */

struct key_list {
	char *key[4096];
	size_t len[4096];
	unsigned n;
};

static int cmp_keys(const void *a, const void *b, void *ctx)
{
	const struct key_list *kl = ctx;
	unsigned i = *(const unsigned *)a, j = *(const unsigned *)b;
	size_t m = kl->len[i] < kl->len[j] ? kl->len[i] : kl->len[j];
	int c = memcmp(kl->key[i], kl->key[j], m);
	return c ? c : (kl->len[i] > kl->len[j]) - (kl->len[i] < kl->len[j]);
}

/* Past the CRLF that ends the line at p (replies are not NUL-terminated). */
static const char *after_line(const char *p, const char *end)
{
	const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
	check(eol != NULL, "a reply line without CRLF");
	return eol + 2;
}

/* Parse "*2\r\n$<cursor>\r\n*N\r\n$..." from SCAN. */
static void scan_page(const char *p, const char *end, struct key_list *kl, char *cursor,
		      size_t cursor_cap)
{
	check(p < end && *p == '*', "SCAN reply is not an array");
	p = after_line(p, end);
	size_t clen = strtoull(p + 1, NULL, 10);
	p = after_line(p, end);
	check(clen < cursor_cap, "SCAN cursor too long");
	memcpy(cursor, p, clen);
	cursor[clen] = 0;
	p += clen + 2;
	long count = strtol(p + 1, NULL, 10);
	p = after_line(p, end);
	for (long i = 0; i < count; i++) {
		size_t len = strtoull(p + 1, NULL, 10);
		p = after_line(p, end);
		check(kl->n < 4096, "too many keys");
		kl->key[kl->n] = malloc(len ? len : 1);
		memcpy(kl->key[kl->n], p, len);
		kl->len[kl->n++] = len;
		p += len + 2;
	}
}

/* Every key a full SCAN returns, sorted and without repeats. */
static void scan_all(struct run *r, struct key_list *kl)
{
	char cursor[32] = "0";
	kl->n = 0;
	for (unsigned pages = 0;; pages++) {
		check(pages < 10000, "SCAN does not end");
		const char *argv[] = { "SCAN", cursor, "COUNT", "1000" };
		struct buf reply = ask(r, 4, argv, NULL);
		scan_page(buf_head(&reply), buf_head(&reply) + buf_live(&reply), kl, cursor,
			  sizeof(cursor));
		buf_free(&reply);
		if (strcmp(cursor, "0") == 0)
			break;
	}
	unsigned order[4096];
	for (unsigned i = 0; i < kl->n; i++)
		order[i] = i;
	qsort_r(order, kl->n, sizeof(order[0]), cmp_keys, kl);
	struct key_list sorted = { .n = 0 };
	for (unsigned i = 0; i < kl->n; i++) {
		unsigned k = order[i];
		if (sorted.n && sorted.len[sorted.n - 1] == kl->len[k] &&
		    memcmp(sorted.key[sorted.n - 1], kl->key[k], kl->len[k]) == 0) {
			free(kl->key[k]);
			continue;
		}
		sorted.key[sorted.n] = kl->key[k];
		sorted.len[sorted.n++] = kl->len[k];
	}
	*kl = sorted;
}

static void free_keys(struct key_list *kl)
{
	for (unsigned i = 0; i < kl->n; i++)
		free(kl->key[i]);
	kl->n = 0;
}

static long long integer_reply(struct run *r, const char *command)
{
	const char *argv[] = { command };
	struct buf reply = ask(r, 1, argv, NULL);
	check(buf_head(&reply)[0] == ':', "expected an integer reply");
	long long n = strtoll(buf_head(&reply) + 1, NULL, 10);
	buf_free(&reply);
	return n;
}

/* Both engines hold the same keys, values and TTLs; DBSIZE agrees with
 * SCAN on each. */
static void check_same_data(struct run *a, struct run *b)
{
	struct key_list ka, kb;
	scan_all(a, &ka);
	scan_all(b, &kb);
	check(integer_reply(a, "DBSIZE") == (long long)ka.n, "DBSIZE differs from SCAN (one shard)");
	check(integer_reply(b, "DBSIZE") == (long long)kb.n, "DBSIZE differs from SCAN (two shards)");
	check(ka.n == kb.n, "the engines hold different numbers of keys");
	/* GET and PTTL of every key, pipelined: the same bytes back from both. */
	struct buf req = { 0 };
	for (unsigned i = 0; i < ka.n; i++) {
		check(ka.len[i] == kb.len[i] && memcmp(ka.key[i], kb.key[i], ka.len[i]) == 0,
		      "the engines hold different keys");
		buf_append_str(&req, "*2\r\n$3\r\nGET\r\n");
		append_bulk(&req, ka.key[i], ka.len[i]);
		buf_append_str(&req, "*2\r\n$4\r\nPTTL\r\n");
		append_bulk(&req, ka.key[i], ka.len[i]);
	}
	size_t before_a = buf_live(&a->cap.got), before_b = buf_live(&b->cap.got);
	feed(a, buf_head(&req), buf_live(&req));
	feed(b, buf_head(&req), buf_live(&req));
	buf_free(&req);
	size_t got_a = buf_live(&a->cap.got) - before_a, got_b = buf_live(&b->cap.got) - before_b;
	check(got_a == got_b && memcmp(buf_head(&a->cap.got) + before_a,
				       buf_head(&b->cap.got) + before_b, got_a) == 0,
	      "a key's value or TTL differs between the engines");
	free_keys(&ka);
	free_keys(&kb);
}

/* After FLUSHALL each shard is as empty as a new one. */
static void check_flushed(struct run *r, const uint64_t *empty_heap)
{
	const char *argv[] = { "FLUSHALL" };
	struct buf reply = ask(r, 1, argv, NULL);
	check(buf_live(&reply) == 5 && memcmp(buf_head(&reply), "+OK\r\n", 5) == 0,
	      "FLUSHALL did not answer +OK");
	buf_free(&reply);
	for (unsigned i = 0; i < r->eng->nshards; i++) {
		struct keyspace *ks = &r->eng->shards[i]->ks;
		check(keyspace_size(ks) == 0 && ks->expires == 0 && ks->volatile_bytes == 0,
		      "a flushed shard still counts keys");
		check(ks->heap.used == empty_heap[i], "a flushed shard's heap is not back to empty");
	}
}

static void run_close(struct run *r)
{
	if (!r->cap.closed)
		client_detach(r->c);
	engine_destroy(r->eng);
	buf_free(&r->cap.got);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[256];
	config_init();
	/* SHUTDOWN and the like log a line each: not thousands a second. */
	if (config_set_runtime("loglevel", 8, "warning", 7, false, err, sizeof(err)) < 0 ||
	    command_table_init(err, sizeof(err)) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct input in = { data + 1, size - 1 };
	struct program pg = { .n = 0 };
	draw_program(&in, &pg);
	current = &pg;

	struct run one, two;
	run_open(&one, 1);
	run_open(&two, 2);
	uint64_t empty_one[1] = { one.eng->shards[0]->ks.heap.used };
	uint64_t empty_two[2] = { two.eng->shards[0]->ks.heap.used,
				  two.eng->shards[1]->ks.heap.used };

	unsigned replies_of[MAX_COMMANDS] = { 0 }, nrun = 0;
	run_sequential(&one, &pg, replies_of, &nrun);
	run_pipelined(&two, &pg, data[0] * 2654435761u);

	size_t sa[MAX_REPLIES], la[MAX_REPLIES], sb[MAX_REPLIES], lb[MAX_REPLIES];
	unsigned na = split_replies(&one.cap.got, sa, la, MAX_REPLIES);
	unsigned nb = split_replies(&two.cap.got, sb, lb, MAX_REPLIES);
	check(na == nb, "the engines gave different numbers of replies");
	check(one.cap.closed == two.cap.closed, "one engine closed the connection, not the other");
	unsigned reply = 0;
	for (unsigned i = 0; i < nrun; i++) {
		for (unsigned k = 0; k < replies_of[i]; k++, reply++) {
			const char *a = buf_head(&one.cap.got) + sa[reply];
			const char *b = buf_head(&two.cap.got) + sb[reply];
			if (!pg.cmd[i].comparable || (la[reply] == lb[reply] && memcmp(a, b, la[reply]) == 0))
				continue;
			print_escaped("command", buf_head(&pg.wire) + pg.cmd[i].start, pg.cmd[i].len);
			print_escaped("one shard", a, la[reply]);
			print_escaped("two shards", b, lb[reply]);
			check(false, "the engines answered a command differently");
		}
	}

	if (!one.cap.closed && !two.cap.closed) {
		/* The checks need every reply, in RESP2, whatever the program
		 * set. */
		const char *reply_on[] = { "CLIENT", "REPLY", "ON" };
		const char *hello[] = { "HELLO", "2" };
		struct buf r[4] = { ask(&one, 3, reply_on, NULL), ask(&two, 3, reply_on, NULL),
				    ask(&one, 2, hello, NULL), ask(&two, 2, hello, NULL) };
		for (int i = 0; i < 4; i++)
			buf_free(&r[i]);
		if (one.c->resp == 2 && two.c->resp == 2) {
			check_same_data(&one, &two);
			check_flushed(&one, empty_one);
			check_flushed(&two, empty_two);
		}
	}
	run_close(&one);
	run_close(&two);
	buf_free(&pg.wire);
	current = NULL;
	return 0;
}
