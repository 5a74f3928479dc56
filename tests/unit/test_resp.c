/* test_resp.c - the RESP codec: request parser (multibulk and inline, limits,
 * protocol errors), frame measuring for every RESP2/RESP3 type, and the reply
 * encoders in both protocol versions. */
#include "resp/buf.h"
#include "resp/error_stats.h"
#include "resp/reply.h"
#include "resp/resp_frame.h"
#include "resp/resp_parse.h"
#include "unit_test.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Under ASan the bytes of a frame that have "not arrived yet" are poisoned,
 * so a parser that peeks past `len` crashes instead of answering right by
 * luck. Without ASan the checks still run, only less strictly. */
#if defined(__SANITIZE_ADDRESS__)
#define UT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UT_ASAN 1
#endif
#endif
#ifdef UT_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define S(lit) lit, sizeof(lit) - 1

/* ---- helpers ------------------------------------------------------------ */

/* A private heap copy of some bytes, of which only a prefix is readable. */
struct window {
	char *p;
	size_t n;
};

static struct window window_new(const void *src, size_t n)
{
	struct window w = { malloc(n ? n : 1), n };

	if (n)
		memcpy(w.p, src, n);
	return w;
}

/* Make exactly the first k bytes readable and return the start. */
static char *window_show(struct window *w, size_t k)
{
	UNPOISON(w->p, w->n);
	POISON(w->p + k, w->n - k);
	return w->p;
}

static void window_free(struct window *w)
{
	UNPOISON(w->p, w->n);
	free(w->p);
	w->p = NULL;
}

static const struct parse_limits AUTHED = { 512LL * 1024 * 1024, true };
static const struct parse_limits UNAUTHED = { 512LL * 1024 * 1024, false };

/* One parser for the whole file, as a connection reuses one for every
 * command. */
static struct request_parser g_parser;
#define g_argv (g_parser.argv)

struct parsed {
	enum parse_status st;
	size_t consumed;
	size_t need;
	const char *error;
};

/* Go on with the request the last call left incomplete, as a connection
 * does when more bytes arrive (data may have moved meanwhile). */
static struct parsed parse_on(char *data, size_t len, const struct parse_limits *lim)
{
	struct parsed r = { .error = NULL };

	r.st = resp_parse_request(&g_parser, data, len, lim, &r.consumed, &r.need, &r.error);
	return r;
}

/* Parse a request from its first byte. */
static struct parsed parse(char *data, size_t len, const struct parse_limits *lim)
{
	request_parser_reset(&g_parser);
	return parse_on(data, len, lim);
}

/* Parse a literal from a private, exactly sized copy. */
static struct parsed parse_copy(const char *s, size_t len, const struct parse_limits *lim)
{
	struct window w = window_new(s, len);
	struct parsed r = parse(window_show(&w, len), len, lim);

	window_free(&w);
	return r;
}

static bool error_is(struct parsed r, const char *text)
{
	if (r.st == PARSE_ERROR && r.error && strcmp(r.error, text) == 0)
		return true;
	printf("    status %d, error \"%s\", wanted \"%s\"\n", r.st,
	       r.error ? r.error : "(null)", text);
	return false;
}

struct want {
	const char *p;
	size_t len;
};

#define W(lit) { lit, sizeof(lit) - 1 }

/* g_argv equals the wanted arguments, each pointing into [base, base+len). */
static bool args_are(const struct want *w, int n, const char *base, size_t len)
{
	bool ok = g_argv.argc == n;

	if (!ok)
		printf("    argc %d, wanted %d\n", g_argv.argc, n);
	for (int i = 0; ok && i < n; i++) {
		const struct arg *a = &g_argv.v[i];
		if (a->len != w[i].len || memcmp(a->p, w[i].p, a->len) != 0) {
			printf("    argv[%d] differs\n", i);
			ut_hexdump("got", a->p, a->len);
			ut_hexdump("want", w[i].p, w[i].len);
			ok = false;
		} else if (a->p < base || a->p + a->len > base + len) {
			printf("    argv[%d] does not borrow from the input\n", i);
			ok = false;
		}
	}
	return ok;
}

/* Feed a request one byte at a time, each time from a fresh copy (the bytes
 * move, as a connection's buffer does when it grows): every proper prefix
 * must be PARSE_INCOMPLETE with a `need` that promises progress without
 * asking for bytes past the frame (a client that sends one command and waits
 * would otherwise hang), and the whole frame must give `st` with these
 * arguments, consuming exactly all of it. */
static bool request_split_ok(const char *bytes, size_t n, const struct parse_limits *lim,
			     enum parse_status st, const struct want *w, int nw)
{
	struct window win = window_new(bytes, n);
	bool ok = true;

	request_parser_reset(&g_parser);
	for (size_t k = 0; k < n && ok; k++) {
		struct window moved = window_new(bytes, n);
		struct parsed r = parse_on(window_show(&moved, k), k, lim);
		window_free(&moved);
		if (r.st != PARSE_INCOMPLETE || r.need <= k || r.need > n) {
			printf("    prefix of %zu/%zu bytes: status %d need %zu\n", k, n, r.st,
			       r.need);
			ok = false;
		}
	}
	/* The whole frame, going on from the prefixes, then from scratch (in a
	 * fresh copy: inline arguments are unescaped in place). */
	for (int scratch = 0; ok && scratch < 2; scratch++) {
		window_free(&win);
		win = window_new(bytes, n);
		char *p = window_show(&win, n);
		struct parsed r = scratch ? parse(p, n, lim) : parse_on(p, n, lim);
		if (r.st != st || r.consumed != n) {
			printf("    whole frame%s: status %d consumed %zu of %zu, error %s\n",
			       scratch ? " from scratch" : "", r.st, r.consumed, n,
			       r.error ? r.error : "(none)");
			ok = false;
		} else {
			ok = args_are(w, nw, p, n);
		}
	}
	window_free(&win);
	return ok;
}

/* Every proper prefix of a reply measures 0, the whole measures n, and
 * bytes after it (the next reply) do not change that. */
static bool frame_split_ok(const char *bytes, size_t n)
{
	struct window win = window_new(bytes, n);
	bool ok = true;

	for (size_t k = 0; k < n && ok; k++) {
		size_t got = resp_frame_len(window_show(&win, k), k);
		if (got != 0) {
			printf("    prefix of %zu/%zu bytes measured %zu\n", k, n, got);
			ok = false;
		}
	}
	if (ok) {
		size_t got = resp_frame_len(window_show(&win, n), n);
		if (got != n) {
			printf("    whole frame of %zu bytes measured %zu\n", n, got);
			ok = false;
		}
	}
	window_free(&win);
	if (ok) {
		char *more = malloc(n + 5);
		memcpy(more, bytes, n);
		memcpy(more + n, "+OK\r\n", 5);
		size_t got = resp_frame_len(more, n + 5);
		if (got != n) {
			printf("    frame of %zu bytes followed by another measured %zu\n", n, got);
			ok = false;
		}
		free(more);
	}
	return ok;
}

/* ---- parse_ll ----------------------------------------------------------- */

TEST(test_parse_ll_accepts_canonical_decimals_up_to_both_extremes)
{
	long long v = 12345;

	EXPECT_TRUE(parse_ll(S("0"), &v));
	EXPECT_EQ_INT(v, 0);
	EXPECT_TRUE(parse_ll(S("7"), &v));
	EXPECT_EQ_INT(v, 7);
	EXPECT_TRUE(parse_ll(S("-1"), &v));
	EXPECT_EQ_INT(v, -1);
	EXPECT_TRUE(parse_ll(S("1000"), &v));
	EXPECT_EQ_INT(v, 1000);
	EXPECT_TRUE(parse_ll(S("9223372036854775807"), &v));
	EXPECT_EQ_INT(v, LLONG_MAX);
	EXPECT_TRUE(parse_ll(S("-9223372036854775808"), &v));
	EXPECT_TRUE(v == LLONG_MIN);
	EXPECT_TRUE(parse_ll(S("-9223372036854775807"), &v));
	EXPECT_EQ_INT(v, -LLONG_MAX);
}

TEST(test_parse_ll_rejects_overflow_and_non_canonical_forms)
{
	static const char *const bad[] = {
		"", "-", "9223372036854775808", "-9223372036854775809",
		"18446744073709551615", "18446744073709551616", "99999999999999999999",
		"-99999999999999999999", "123456789012345678901", "-0", "01", "00", "-01",
		"+1", " 1", "1 ", "1\r", "12a", "a", "1.0", "--1", "0x10", "1-",
	};
	long long v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_ll(bad[i], strlen(bad[i]), &v)) {
			printf("    accepted \"%s\"\n", bad[i]);
			EXPECT_TRUE(!"parse_ll accepted a bad number");
		}
	}
}

TEST(test_parse_ll_reads_only_len_bytes)
{
	struct window w = window_new("123", 3);
	long long v = 0;

	EXPECT_TRUE(parse_ll(window_show(&w, 2), 2, &v));
	EXPECT_EQ_INT(v, 12);
	EXPECT_TRUE(parse_ll(window_show(&w, 1), 1, &v));
	EXPECT_EQ_INT(v, 1);
	window_free(&w);
	/* A terminator-less "-" is one byte long: nothing after it may be read. */
	w = window_new("-", 1);
	EXPECT_TRUE(!parse_ll(window_show(&w, 1), 1, &v));
	window_free(&w);
}

/* ---- multibulk requests ------------------------------------------------- */

TEST(test_multibulk_set_parses_and_borrows_argument_bytes)
{
	char req[] = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
	static const struct want w[] = { W("SET"), W("key"), W("value") };
	struct parsed r = parse(req, sizeof(req) - 1, &AUTHED);

	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
	EXPECT_EQ_UINT(r.consumed, sizeof(req) - 1);
	EXPECT_TRUE(args_are(w, 3, req, sizeof(req) - 1));
	REQUIRE_TRUE(g_argv.argc == 3);
	EXPECT_TRUE(g_argv.v[0].p == req + 8);
	EXPECT_TRUE(g_argv.v[2].p == req + 26);
}

TEST(test_multibulk_split_at_every_byte_parses_once_complete)
{
	static const struct want ping[] = { W("PING") };
	static const struct want set_empty[] = { W("SET"), W("key"), W("") };
	static const struct want binary[] = { W("ECHO"), W("\r\n\0\r\n") };
	static const struct want crlf_only[] = { W("ECHO"), W("\r\n") };

	EXPECT_TRUE(request_split_ok(S("*1\r\n$4\r\nPING\r\n"), &AUTHED, PARSE_COMMAND, ping, 1));
	EXPECT_TRUE(request_split_ok(S("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\n"), &AUTHED,
				     PARSE_COMMAND, set_empty, 3));
	/* Bulk bodies are measured, never scanned for CRLF. */
	EXPECT_TRUE(request_split_ok(S("*2\r\n$4\r\nECHO\r\n$5\r\n\r\n\0\r\n\r\n"), &AUTHED,
				     PARSE_COMMAND, binary, 2));
	EXPECT_TRUE(request_split_ok(S("*2\r\n$4\r\nECHO\r\n$2\r\n\r\n\r\n"), &UNAUTHED,
				     PARSE_COMMAND, crlf_only, 2));
	EXPECT_TRUE(request_split_ok(S("*0\r\n"), &AUTHED, PARSE_SKIP, NULL, 0));
	EXPECT_TRUE(request_split_ok(S("*-1\r\n"), &AUTHED, PARSE_SKIP, NULL, 0));
}

TEST(test_multibulk_with_many_arguments_grows_argv_and_resets_argc)
{
	struct buf b = { 0 };
	char tmp[32];

	buf_append_str(&b, "*100\r\n");
	for (int i = 0; i < 100; i++) {
		int n = snprintf(tmp, sizeof(tmp), "%d", i);
		int h = snprintf(tmp + 16, 16, "$%d\r\n", n);
		buf_append(&b, tmp + 16, (size_t)h);
		buf_append(&b, tmp, (size_t)n);
		buf_append(&b, "\r\n", 2);
	}
	struct parsed r = parse(b.data, b.len, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
	EXPECT_EQ_UINT(r.consumed, b.len);
	REQUIRE_TRUE(g_argv.argc == 100);
	for (int i = 0; i < 100; i++) {
		int n = snprintf(tmp, sizeof(tmp), "%d", i);
		EXPECT_EQ_UINT(g_argv.v[i].len, (size_t)n);
		EXPECT_EQ_MEM(g_argv.v[i].p, tmp, (size_t)n);
	}
	/* The next command starts from an empty argv, not after the 100. */
	r = parse_copy(S("*1\r\n$4\r\nPING\r\n"), &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
	EXPECT_EQ_INT(g_argv.argc, 1);
	buf_free(&b);
}

TEST(test_multibulk_ten_arguments_allowed_before_auth)
{
	static const struct want w[] = {
		W("a"), W("b"), W("c"), W("d"), W("e"), W("f"), W("g"), W("h"), W("i"), W("j"),
	};
	const char req[] = "*10\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"
			   "$1\r\nf\r\n$1\r\ng\r\n$1\r\nh\r\n$1\r\ni\r\n$1\r\nj\r\n";

	EXPECT_TRUE(request_split_ok(req, sizeof(req) - 1, &UNAUTHED, PARSE_COMMAND, w, 10));
}

/* A bulk bigger than PROTO_INLINE_MAX_SIZE, with no CR in it, for the need
 * hint and to show a long body is not mistaken for a long count line. */
#define BIG 70000

static char *big_request(const char *head, const char *tail, size_t *len, size_t *body_at)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *p = malloc(hl + BIG + 2 + tl);

	memcpy(p, head, hl);
	for (size_t i = 0; i < BIG; i++)
		p[hl + i] = (char)('a' + i % 26);
	memcpy(p + hl + BIG, "\r\n", 2);
	memcpy(p + hl + BIG + 2, tail, tl);
	*len = hl + BIG + 2 + tl;
	*body_at = hl;
	return p;
}

TEST(test_need_covers_the_whole_frame_while_a_big_last_bulk_arrives)
{
	size_t n, body_at;
	char *req = big_request("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$70000\r\n", "", &n, &body_at);
	struct window w = window_new(req, n);
	size_t wrong = 0;

	for (size_t k = body_at; k < n; k++) {
		struct parsed r = parse(window_show(&w, k), k, &AUTHED);
		if (r.st != PARSE_INCOMPLETE || r.need != n)
			wrong++;
	}
	EXPECT_EQ_UINT(wrong, 0);
	struct parsed r = parse(window_show(&w, n), n, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
	EXPECT_EQ_UINT(r.consumed, n);
	REQUIRE_TRUE(g_argv.argc == 3);
	EXPECT_EQ_UINT(g_argv.v[2].len, BIG);
	EXPECT_EQ_MEM(g_argv.v[2].p, req + body_at, BIG);
	window_free(&w);
	free(req);
}

TEST(test_need_is_the_end_of_a_big_bulk_that_is_not_last)
{
	size_t n, body_at;
	char *req = big_request("*3\r\n$3\r\nSET\r\n$70000\r\n", "$1\r\nv\r\n", &n, &body_at);
	struct window w = window_new(req, n);
	size_t body_end = body_at + BIG + 2, wrong = 0;

	for (size_t k = body_at; k < body_end; k++) {
		struct parsed r = parse(window_show(&w, k), k, &AUTHED);
		if (r.st != PARSE_INCOMPLETE || r.need != body_end)
			wrong++;
	}
	EXPECT_EQ_UINT(wrong, 0);
	window_free(&w);

	/* And byte by byte over the whole frame, the general contract. */
	const struct want a[3] = { W("SET"), { req + body_at, BIG }, W("v") };
	EXPECT_TRUE(request_split_ok(req, n, &AUTHED, PARSE_COMMAND, a, 3));
	free(req);
}

TEST(test_pipelined_requests_parse_back_to_back)
{
	char stream[] = "*1\r\n$4\r\nPING\r\n"
			"SET a b\r\n"
			"*0\r\n"
			"\r\n"
			"*2\r\n$4\r\nECHO\r\n$3\r\nx\ny\r\n"
			"GET \"q q\"\n"
			"*-1\r\n"
			"*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n";
	static const struct {
		enum parse_status st;
		size_t consumed;
		int argc;
		struct want a[3];
	} want[] = {
		{ PARSE_COMMAND, 14, 1, { W("PING") } },
		{ PARSE_COMMAND, 9, 3, { W("SET"), W("a"), W("b") } },
		{ PARSE_SKIP, 4, 0, { { NULL, 0 } } },
		{ PARSE_SKIP, 2, 0, { { NULL, 0 } } },
		{ PARSE_COMMAND, 23, 2, { W("ECHO"), W("x\ny") } },
		{ PARSE_COMMAND, 10, 2, { W("GET"), W("q q") } },
		{ PARSE_SKIP, 5, 0, { { NULL, 0 } } },
		{ PARSE_COMMAND, 27, 3, { W("DEL"), W("a"), W("b") } },
	};
	size_t pos = 0, len = sizeof(stream) - 1;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct parsed r = parse(stream + pos, len - pos, &AUTHED);
		EXPECT_EQ_INT(r.st, want[i].st);
		EXPECT_EQ_UINT(r.consumed, want[i].consumed);
		EXPECT_TRUE(args_are(want[i].a, want[i].argc, stream + pos, len - pos));
		REQUIRE_TRUE(r.consumed > 0);
		pos += r.consumed;
	}
	EXPECT_EQ_UINT(pos, len);
	struct parsed r = parse(stream + pos, 0, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	EXPECT_EQ_UINT(r.need, 1);
}

/* A compact transcript of what a parse produced, to compare whole runs. */
static void transcript_add(struct buf *t, struct parsed r)
{
	char tag = r.st == PARSE_COMMAND ? 'C' : r.st == PARSE_SKIP ? 'S' : 'E';

	buf_append(t, &tag, 1);
	for (int i = 0; r.st == PARSE_COMMAND && i < g_argv.argc; i++) {
		char len[24];
		int n = snprintf(len, sizeof(len), "[%zu]", g_argv.v[i].len);
		buf_append(t, len, (size_t)n);
		buf_append(t, g_argv.v[i].p, g_argv.v[i].len);
	}
}

/* Parse `avail` of the stream's bytes as a server would: one command at a
 * time until the parser wants more. Returns false on a parse error or a
 * need outside (bytes buffered, end of stream]. */
static bool drain(struct window *w, size_t *pos, size_t avail, struct buf *t)
{
	for (;;) {
		struct parsed r = parse_on(window_show(w, avail) + *pos, avail - *pos, &AUTHED);
		if (r.st == PARSE_INCOMPLETE)
			return *pos == w->n ||
			       (r.need > avail - *pos && r.need <= w->n - *pos);
		if (r.st == PARSE_ERROR)
			return false;
		transcript_add(t, r);
		*pos += r.consumed;
	}
}

/* A request cut short goes on from where it stopped: the headers of the
 * arguments already parsed are not read again (here they are spoiled before
 * the rest arrives, and a parser that started over would call them invalid),
 * so a request of A arguments arriving in N reads costs O(bytes), not
 * O(A x N). The bytes move between reads, as a growing buffer's do. */
/* Error replies count by their first word; codes a client could make up
 * stop being tracked at ERROR_STATS_CODES, but still count in the total. */
TEST(test_error_replies_count_by_code_up_to_the_code_limit)
{
	static struct error_stats stats;
	struct buf out = { 0 };
	char msg[64];

	error_stats_bind(&stats);
	reply_error(&out, "ERR syntax error");
	reply_errorf(&out, "WRONGPASS invalid username-password pair or user is disabled.");
	reply_error(&out, "ERR again");
	reply_error(&out, "NOCODE\r\n");
	EXPECT_EQ_UINT(atomic_load(&stats.total), 4);
	REQUIRE_TRUE(atomic_load(&stats.ncodes) == 3);
	EXPECT_TRUE(strcmp(stats.codes[0].code, "ERR") == 0);
	EXPECT_EQ_UINT(atomic_load(&stats.codes[0].count), 2);
	EXPECT_TRUE(strcmp(stats.codes[1].code, "WRONGPASS") == 0);
	EXPECT_TRUE(strcmp(stats.codes[2].code, "NOCODE") == 0);
	for (int i = 0; i < 2 * ERROR_STATS_CODES; i++) {
		snprintf(msg, sizeof(msg), "CODE%d text", i);
		reply_error(&out, msg);
	}
	EXPECT_EQ_UINT(atomic_load(&stats.ncodes), ERROR_STATS_CODES);
	EXPECT_EQ_UINT(atomic_load(&stats.total), 4 + 2 * ERROR_STATS_CODES);
	error_stats_reset(&stats);
	EXPECT_EQ_UINT(atomic_load(&stats.ncodes), 0);
	EXPECT_EQ_UINT(atomic_load(&stats.total), 0);
	error_stats_bind(NULL);
	reply_error(&out, "ERR not counted");
	EXPECT_EQ_UINT(atomic_load(&stats.total), 0);
	buf_free(&out);
}

TEST(test_a_request_cut_short_is_not_parsed_again_from_its_start)
{
	enum { ARGS = 1000 };
	struct buf req = { 0 };
	char item[32];
	int n = snprintf(item, sizeof(item), "*%d\r\n$6\r\nEXISTS\r\n", ARGS + 1);
	buf_append(&req, item, (size_t)n);
	for (int i = 0; i < ARGS; i++) {
		int klen = snprintf(item + 16, sizeof(item) - 16, "key:%d", i);
		n = snprintf(item, 16, "$%d\r\n", klen);
		buf_append(&req, item, (size_t)n);
		buf_append(&req, item + 16, (size_t)klen);
		buf_append(&req, "\r\n", 2);
	}
	size_t half = req.len / 2;
	struct window w = window_new(req.data, half);
	request_parser_reset(&g_parser);
	struct parsed r = parse_on(window_show(&w, half), half, &AUTHED);
	window_free(&w);
	REQUIRE_TRUE(r.st == PARSE_INCOMPLETE);
	int parsed_before = g_argv.argc;
	EXPECT_TRUE(parsed_before > ARGS / 3);
	REQUIRE_TRUE(g_parser.pos > 0 && g_parser.pos <= half);
	for (size_t i = 1; i < g_parser.pos; i++) /* up to the argument it waits for */
		if (req.data[i] == '$')
			req.data[i] = '?';
	w = window_new(req.data, req.len);
	r = parse_on(window_show(&w, req.len), req.len, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
	EXPECT_EQ_UINT(r.consumed, req.len);
	REQUIRE_TRUE(g_argv.argc == ARGS + 1);
	EXPECT_EQ_MEM(g_argv.v[0].p, "EXISTS", 6);
	EXPECT_TRUE(g_argv.v[0].p == w.p + 11);
	EXPECT_EQ_MEM(g_argv.v[ARGS].p, "key:999", 7);
	window_free(&w);
	/* The same spoiled bytes from scratch are the error it avoided. */
	w = window_new(req.data, req.len);
	EXPECT_TRUE(parse(window_show(&w, req.len), req.len, &AUTHED).st == PARSE_ERROR);
	window_free(&w);
	buf_free(&req);
}

TEST(test_pipeline_split_into_two_reads_at_every_byte_gives_the_same_commands)
{
	static const char stream[] = "*2\r\n$3\r\nGET\r\n$3\r\nk\r\n\r\n"
				     "PING\r\n"
				     "\n"
				     "SET 'a b' \"\\x41\\n\"\r\n"
				     "*0\r\n"
				     "*1\r\n$4\r\nPING\r\n";
	const size_t n = sizeof(stream) - 1;
	struct buf expect = { 0 };
	struct window w = window_new(stream, n);
	size_t pos = 0;

	request_parser_reset(&g_parser);
	REQUIRE_TRUE(drain(&w, &pos, n, &expect) && pos == n);
	window_free(&w);
	static const char want[] = "C[3]GET[3]k\r\nC[4]PINGSC[3]SET[3]a b[2]A\nSC[4]PING";
	EXPECT_EQ_UINT(expect.len, sizeof(want) - 1);
	if (expect.len == sizeof(want) - 1)
		EXPECT_EQ_MEM(expect.data, want, sizeof(want) - 1);
	for (size_t k = 0; k <= n; k++) {
		struct buf got = { 0 };
		bool ok;
		w = window_new(stream, n);
		pos = 0;
		request_parser_reset(&g_parser);
		ok = drain(&w, &pos, k, &got) && drain(&w, &pos, n, &got) && pos == n;
		if (!ok || got.len != expect.len || memcmp(got.data, expect.data, got.len) != 0) {
			printf("    first read of %zu bytes\n", k);
			EXPECT_TRUE(!"two-read parse differs from one-read parse");
		}
		window_free(&w);
		buf_free(&got);
	}
	buf_free(&expect);
}

/* ---- multibulk limits and protocol errors ------------------------------- */

TEST(test_multibulk_count_above_int_max_or_malformed_is_invalid_multibulk_length)
{
	static const char *const bad[] = {
		"*2147483648\r\n", "*9223372036854775807\r\n", "*9223372036854775808\r\n",
		"*\r\n", "*abc\r\n", "*1x\r\n", "*+1\r\n", "*01\r\n", "* 1\r\n", "*1 \r\n",
		"*-0\r\n", "*1\n$1\r\na\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!error_is(parse_copy(bad[i], strlen(bad[i]), &AUTHED),
			      "invalid multibulk length")) {
			printf("    for \"%s\"\n", bad[i]);
			EXPECT_TRUE(!"wrong result");
		}
	}
	/* INT_MAX itself is allowed: the parser waits for the arguments. */
	struct parsed r = parse_copy(S("*2147483647\r\n"), &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	EXPECT_EQ_UINT(r.need, 14);
}

TEST(test_multibulk_count_above_ten_before_auth_is_unauthenticated_multibulk_length)
{
	/* Redis 7.0's own text for this case, checked after the INT_MAX one. */
	EXPECT_TRUE(error_is(parse_copy(S("*11\r\n"), &UNAUTHED),
			     "unauthenticated multibulk length"));
	EXPECT_TRUE(error_is(parse_copy(S("*2147483647\r\n"), &UNAUTHED),
			     "unauthenticated multibulk length"));
	EXPECT_TRUE(error_is(parse_copy(S("*2147483648\r\n"), &UNAUTHED),
			     "invalid multibulk length"));
	struct parsed r = parse_copy(S("*10\r\n"), &UNAUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	r = parse_copy(S("*11\r\n"), &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
}

TEST(test_zero_or_negative_multibulk_count_is_skipped)
{
	struct parsed r = parse_copy(S("*0\r\n"), &AUTHED);

	EXPECT_EQ_INT(r.st, PARSE_SKIP);
	EXPECT_EQ_UINT(r.consumed, 4);
	r = parse_copy(S("*-1\r\n"), &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_SKIP);
	EXPECT_EQ_UINT(r.consumed, 5);
	r = parse_copy(S("*-5\r\nPING\r\n"), &UNAUTHED);
	EXPECT_EQ_INT(r.st, PARSE_SKIP);
	EXPECT_EQ_UINT(r.consumed, 5);
}

TEST(test_bulk_length_above_max_bulk_len_is_invalid_bulk_length)
{
	const struct parse_limits small = { 1000, true };
	const struct parse_limits small_unauthed = { 100, false };

	EXPECT_TRUE(error_is(parse_copy(S("*1\r\n$1001\r\n"), &small), "invalid bulk length"));
	EXPECT_TRUE(error_is(parse_copy(S("*1\r\n$9223372036854775807\r\n"), &small),
			     "invalid bulk length"));
	EXPECT_TRUE(error_is(parse_copy(S("*1\r\n$101\r\n"), &small_unauthed),
			     "invalid bulk length"));
	struct parsed r = parse_copy(S("*1\r\n$1000\r\n"), &small);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	EXPECT_EQ_UINT(r.need, 11 + 1000 + 2);
	/* The limit is on each bulk, checked before any of its body arrives. */
	EXPECT_TRUE(error_is(parse_copy(S("*2\r\n$1\r\na\r\n$1001\r\n"), &small),
			     "invalid bulk length"));
}

TEST(test_bulk_above_16384_before_auth_is_unauthenticated_bulk_length)
{
	EXPECT_TRUE(error_is(parse_copy(S("*1\r\n$16385\r\n"), &UNAUTHED),
			     "unauthenticated bulk length"));
	/* A bulk that is bad anyway reads as such first, as in Redis. */
	EXPECT_TRUE(error_is(parse_copy(S("*1\r\n$-1\r\n"), &UNAUTHED), "invalid bulk length"));
	struct parsed r = parse_copy(S("*1\r\n$16384\r\n"), &UNAUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	EXPECT_EQ_UINT(r.need, 4 + 8 + 16384 + 2);
	r = parse_copy(S("*1\r\n$16385\r\n"), &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	EXPECT_EQ_UINT(r.need, 4 + 8 + 16385 + 2);
}

TEST(test_negative_or_malformed_bulk_length_is_invalid_bulk_length)
{
	static const char *const bad[] = {
		"*1\r\n$-1\r\n", "*1\r\n$-5\r\n", "*1\r\n$-0\r\n", "*1\r\n$\r\n", "*1\r\n$abc\r\n",
		"*1\r\n$01\r\n", "*1\r\n$+1\r\n", "*1\r\n$ 1\r\n", "*1\r\n$99999999999999999999\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!error_is(parse_copy(bad[i], strlen(bad[i]), &AUTHED), "invalid bulk length")) {
			printf("    for \"%s\"\n", bad[i]);
			EXPECT_TRUE(!"wrong result");
		}
	}
}

TEST(test_argument_without_dollar_names_the_byte_found)
{
	EXPECT_TRUE(error_is(parse_copy(S("*1\r\nx3\r\nabc\r\n"), &AUTHED),
			     "expected '$', got 'x'"));
	EXPECT_TRUE(error_is(parse_copy(S("*2\r\n$1\r\na\r\n+b\r\n"), &AUTHED),
			     "expected '$', got '+'"));
	EXPECT_TRUE(error_is(parse_copy(S("*1\r\n:1\r\n"), &UNAUTHED), "expected '$', got ':'"));
	/* The byte is only judged once its line is complete, as Redis does. */
	struct parsed r = parse_copy(S("*1\r\nx3"), &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
}

static char *filled(char first, char fill, size_t n)
{
	char *p = malloc(n);

	memset(p, fill, n);
	p[0] = first;
	return p;
}

TEST(test_count_line_longer_than_64k_without_cr_is_too_big_mbulk_count_string)
{
	const size_t max = PROTO_INLINE_MAX_SIZE;
	char *p = filled('*', '1', max + 1);

	EXPECT_TRUE(error_is(parse_copy(p, max + 1, &AUTHED), "too big mbulk count string"));
	struct parsed r = parse_copy(p, max, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	EXPECT_EQ_UINT(r.need, max + 1);
	free(p);
}

TEST(test_bulk_count_line_longer_than_64k_without_cr_is_too_big_bulk_count_string)
{
	const size_t max = PROTO_INLINE_MAX_SIZE;
	char *p = filled('*', '1', 4 + max + 1);

	memcpy(p, "*1\r\n$", 5);
	EXPECT_TRUE(error_is(parse_copy(p, 4 + max + 1, &AUTHED), "too big bulk count string"));
	struct parsed r = parse_copy(p, 4 + max, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	EXPECT_EQ_UINT(r.need, 4 + max + 1);
	free(p);
}

TEST(test_protocol_error_text_is_per_call_not_stale)
{
	struct parsed a = parse_copy(S("*1\r\nx3\r\nabc\r\n"), &AUTHED);

	EXPECT_TRUE(error_is(a, "expected '$', got 'x'"));
	struct parsed b = parse_copy(S("*1\r\ny3\r\nabc\r\n"), &AUTHED);
	EXPECT_TRUE(error_is(b, "expected '$', got 'y'"));
}

/* ---- inline requests ---------------------------------------------------- */

TEST(test_inline_split_at_every_byte_parses_once_complete)
{
	static const struct want ping[] = { W("PING") };
	static const struct want set[] = { W("SET"), W("k"), W("v") };
	static const struct want quoted[] = { W("SET"), W("a b"), W("c d") };

	EXPECT_TRUE(request_split_ok(S("PING\r\n"), &AUTHED, PARSE_COMMAND, ping, 1));
	EXPECT_TRUE(request_split_ok(S("SET k v\n"), &UNAUTHED, PARSE_COMMAND, set, 3));
	EXPECT_TRUE(request_split_ok(S("SET \"a b\" 'c d'\r\n"), &AUTHED, PARSE_COMMAND,
				     quoted, 3));
	EXPECT_TRUE(request_split_ok(S("\r\n"), &AUTHED, PARSE_SKIP, NULL, 0));
	EXPECT_TRUE(request_split_ok(S("\n"), &AUTHED, PARSE_SKIP, NULL, 0));
	EXPECT_TRUE(request_split_ok(S(" \t \r\n"), &AUTHED, PARSE_SKIP, NULL, 0));
}

TEST(test_inline_crlf_and_lf_give_the_same_arguments)
{
	static const struct want w[] = { W("GET"), W("k") };
	char crlf[] = "GET k\r\n", lf[] = "GET k\n", crcrlf[] = "GET k\r\r\n";
	char spaced[] = "  GET \t k  \r\n";
	struct parsed r;

	r = parse(crlf, 7, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
	EXPECT_EQ_UINT(r.consumed, 7);
	EXPECT_TRUE(args_are(w, 2, crlf, 7));
	r = parse(lf, 6, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
	EXPECT_EQ_UINT(r.consumed, 6);
	EXPECT_TRUE(args_are(w, 2, lf, 6));
	/* Only one CR is part of the line end; another is a separator. */
	r = parse(crcrlf, 8, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
	EXPECT_EQ_UINT(r.consumed, 8);
	EXPECT_TRUE(args_are(w, 2, crcrlf, 8));
	r = parse(spaced, sizeof(spaced) - 1, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
	EXPECT_TRUE(args_are(w, 2, spaced, sizeof(spaced) - 1));
}

TEST(test_inline_without_newline_is_incomplete)
{
	struct parsed r = parse_copy(S("GET k"), &AUTHED);

	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	EXPECT_EQ_UINT(r.need, 6);
	r = parse_copy(S("GET k\r"), &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	EXPECT_EQ_UINT(r.need, 7);
}

/* Parse one inline line and compare its arguments. */
static bool inline_gives(const char *line, size_t n, const struct want *w, int nw)
{
	struct window win = window_new(line, n);
	char *p = window_show(&win, n);
	struct parsed r = parse(p, n, &AUTHED);
	bool ok = r.st == PARSE_COMMAND && r.consumed == n;

	if (!ok)
		printf("    status %d consumed %zu of %zu\n", r.st, r.consumed, n);
	ok = ok && args_are(w, nw, p, n);
	window_free(&win);
	return ok;
}

TEST(test_inline_double_quotes_unescape_in_place)
{
	static const struct want hex[] = { W("ECHO"), W("AJJ\xff\x00z") };
	static const struct want esc[] = { W("ECHO"), W("a\nb\r\t\b\a\\\"q") };
	static const struct want not_hex[] = { W("ECHO"), W("xZZ"), W("x4") };
	static const struct want unknown[] = { W("ECHO"), W("q") };
	static const struct want joined[] = { W("ab c") };
	static const struct want empty[] = { W("GET"), W("") };
	static const struct want sq_in_dq[] = { W("a'b") };

	EXPECT_TRUE(inline_gives(S("ECHO \"\\x41\\x4a\\x4A\\xFf\\x00z\"\r\n"), hex, 2));
	EXPECT_TRUE(inline_gives(S("ECHO \"a\\nb\\r\\t\\b\\a\\\\\\\"q\"\r\n"), esc, 2));
	EXPECT_TRUE(inline_gives(S("ECHO \"\\xZZ\" \"\\x4\"\n"), not_hex, 3));
	EXPECT_TRUE(inline_gives(S("ECHO \"\\q\"\n"), unknown, 2));
	EXPECT_TRUE(inline_gives(S("a\"b c\"\n"), joined, 1));
	EXPECT_TRUE(inline_gives(S("GET \"\"\r\n"), empty, 2));
	EXPECT_TRUE(inline_gives(S("\"a'b\"\n"), sq_in_dq, 1));
}

TEST(test_inline_single_quotes_take_bytes_literally_except_escaped_quote)
{
	static const struct want lit[] = { W("ECHO"), W("a\\nb") };
	static const struct want quote[] = { W("ECHO"), W("a'b") };
	static const struct want dq[] = { W("a\"b"), W("") };

	EXPECT_TRUE(inline_gives(S("ECHO 'a\\nb'\r\n"), lit, 2));
	EXPECT_TRUE(inline_gives(S("ECHO 'a\\'b'\r\n"), quote, 2));
	EXPECT_TRUE(inline_gives(S("'a\"b' ''\n"), dq, 2));
}

TEST(test_inline_unbalanced_quotes_are_a_protocol_error)
{
	static const char *const bad[] = {
		"GET \"abc\r\n", "GET 'abc\r\n", "GET \"abc\"def\r\n", "GET 'abc'def\r\n",
		"GET \"abc\\\"\r\n", "GET \"abc\\\r\n", "GET 'abc\\'\n", "\"\n", "'\n",
		"GET \"a\"\"b\"\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct parsed r = parse_copy(bad[i], strlen(bad[i]), &AUTHED);
		if (!error_is(r, "unbalanced quotes in request")) {
			printf("    for \"%s\"\n", bad[i]);
			EXPECT_TRUE(!"wrong result");
		}
	}
}

TEST(test_inline_vertical_tab_and_form_feed_do_not_split_an_unquoted_argument)
{
	/* Redis (sdssplitargs) ends an unquoted argument only at space, tab,
	 * CR, LF or NUL: "ECHO a\vb" echoes the 3 bytes "a\vb" there. Leading
	 * blanks, \v and \f included, are still skipped. */
	static const struct want vt[] = { W("ECHO"), W("a\vb") };
	static const struct want ff[] = { W("ECHO"), W("a\fb") };
	static const struct want lead[] = { W("ECHO"), W("x") };

	EXPECT_TRUE(inline_gives(S("ECHO a\vb\r\n"), vt, 2));
	EXPECT_TRUE(inline_gives(S("ECHO a\fb\r\n"), ff, 2));
	EXPECT_TRUE(inline_gives(S("\v\fECHO x\r\n"), lead, 2));
}

TEST(test_inline_longer_than_64k_without_newline_is_too_big_inline_request)
{
	const size_t max = PROTO_INLINE_MAX_SIZE;
	char *p = filled('a', 'a', max + 2);

	EXPECT_TRUE(error_is(parse_copy(p, max + 1, &AUTHED), "too big inline request"));
	struct parsed r = parse_copy(p, max, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_INCOMPLETE);
	EXPECT_EQ_UINT(r.need, max + 1);
	/* The limit is on waiting for a newline, not on a line that has one. */
	p[max + 1] = '\n';
	r = parse_copy(p, max + 2, &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
	EXPECT_EQ_UINT(r.consumed, max + 2);
	EXPECT_EQ_INT(g_argv.argc, 1);
	free(p);
}

TEST(test_split_args_splits_config_lines)
{
	char line[] = "  save  \"900 1\" '300' 10  ";
	static const struct want w[] = { W("save"), W("900 1"), W("300"), W("10") };
	struct argv_vec av = { 0 };

	EXPECT_TRUE(split_args_inplace(line, line + sizeof(line) - 1, &av));
	REQUIRE_TRUE(av.argc == 4);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ_UINT(av.v[i].len, w[i].len);
		EXPECT_EQ_MEM(av.v[i].p, w[i].p, w[i].len);
	}
	char bad[] = "save \"900";
	av.argc = 0;
	EXPECT_TRUE(!split_args_inplace(bad, bad + sizeof(bad) - 1, &av));
	argv_vec_free(&av);
	EXPECT_TRUE(av.v == NULL && av.argc == 0 && av.cap == 0);
}

/* A NUL byte used to end an unquoted argument without starting the next
 * one: the splitter pushed empty arguments forever (issue 12, item 1). */
TEST(test_split_args_keeps_a_nul_byte_inside_an_unquoted_argument)
{
	char line[] = "PI\0NG x";
	struct argv_vec av = { 0 };

	EXPECT_TRUE(split_args_inplace(line, line + sizeof(line) - 1, &av));
	REQUIRE_TRUE(av.argc == 2);
	EXPECT_EQ_UINT(av.v[0].len, 5);
	EXPECT_EQ_MEM(av.v[0].p, "PI\0NG", 5);
	char only_nul[] = "\0";
	av.argc = 0;
	EXPECT_TRUE(split_args_inplace(only_nul, only_nul + 1, &av));
	EXPECT_EQ_INT(av.argc, 1);
	argv_vec_free(&av);
}

TEST(test_inline_request_with_a_nul_byte_is_a_protocol_error)
{
	static const char *const lines[] = { "PI\0NG\r\nPING\r\n", "\0\r\n", "GET k\0\n" };
	static const size_t lens[] = { 12, 3, 7 };
	for (int i = 0; i < 3; i++) {
		struct parsed r = parse_copy(lines[i], lens[i], &AUTHED);
		EXPECT_EQ_INT(r.st, PARSE_ERROR);
		EXPECT_TRUE(r.error && strcmp(r.error, "NUL byte in inline request") == 0);
	}
	/* Inside a multibulk bulk, NUL is data like any other byte. */
	struct parsed r = parse_copy(S("*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\n"), &AUTHED);
	EXPECT_EQ_INT(r.st, PARSE_COMMAND);
}

TEST(test_split_args_never_reads_past_end)
{
	/* The bytes after `end` would complete "\x4A" and close the quote: a
	 * splitter peeking past end would accept the line. */
	struct window w = window_new("\"\\x4A\"", 6);
	struct argv_vec av = { 0 };
	char *p = window_show(&w, 4);

	EXPECT_TRUE(!split_args_inplace(p, p + 4, &av));
	window_free(&w);
	w = window_new("'ab'x", 5);
	p = window_show(&w, 4);
	av.argc = 0;
	EXPECT_TRUE(split_args_inplace(p, p + 4, &av));
	EXPECT_EQ_INT(av.argc, 1);
	window_free(&w);
	argv_vec_free(&av);
}

/* ---- reply encoders, each measured back ---------------------------------- */

static bool encoded_as(struct buf *b, const char *want, size_t n)
{
	bool ok = b->len == n && memcmp(b->data, want, n) == 0;

	if (!ok) {
		printf("    encoded %zu bytes, wanted %zu\n", b->len, n);
		ut_hexdump("got", b->data, b->len);
		ut_hexdump("want", want, n);
	}
	ok = ok && frame_split_ok(b->data, b->len);
	buf_free(b);
	return ok;
}

/* Run `stmt` (which writes to &b) into a fresh buffer, then compare with a
 * literal and measure the result byte by byte. */
#define EXPECT_ENCODES(stmt, lit) do {					\
	struct buf b = { 0 };						\
	stmt;								\
	EXPECT_TRUE(encoded_as(&b, lit, sizeof(lit) - 1));		\
} while (0)

TEST(test_scalar_replies_encode_and_measure)
{
	EXPECT_ENCODES(reply_simple(&b, "PONG"), "+PONG\r\n");
	EXPECT_ENCODES(reply_simple(&b, ""), "+\r\n");
	EXPECT_ENCODES(reply_ok(&b), "+OK\r\n");
	EXPECT_ENCODES(reply_error(&b, "ERR x"), "-ERR x\r\n");
	EXPECT_ENCODES(reply_error(&b, ""), "-\r\n");
	EXPECT_ENCODES(reply_errorf(&b, "ERR %s %d", "a", 5), "-ERR a 5\r\n");
	EXPECT_ENCODES(reply_int(&b, 0), ":0\r\n");
	EXPECT_ENCODES(reply_int(&b, -1), ":-1\r\n");
	EXPECT_ENCODES(reply_int(&b, 1234567890), ":1234567890\r\n");
	EXPECT_ENCODES(reply_int(&b, LLONG_MAX), ":9223372036854775807\r\n");
	EXPECT_ENCODES(reply_int(&b, LLONG_MIN), ":-9223372036854775808\r\n");
	EXPECT_ENCODES(reply_bulk(&b, "", 0), "$0\r\n\r\n");
	EXPECT_ENCODES(reply_bulk(&b, "a\r\nb\0", 5), "$5\r\na\r\nb\0\r\n");
	EXPECT_ENCODES(reply_bulk_str(&b, "hello"), "$5\r\nhello\r\n");
	EXPECT_ENCODES(reply_bulk_int(&b, 0), "$1\r\n0\r\n");
	EXPECT_ENCODES(reply_bulk_int(&b, -42), "$3\r\n-42\r\n");
	EXPECT_ENCODES(reply_bulk_int(&b, LLONG_MIN), "$20\r\n-9223372036854775808\r\n");
}

TEST(test_null_and_bool_replies_differ_by_protocol)
{
	EXPECT_ENCODES(reply_null(&b, 2), "$-1\r\n");
	EXPECT_ENCODES(reply_null(&b, 3), "_\r\n");
	EXPECT_ENCODES(reply_null_array(&b, 2), "*-1\r\n");
	EXPECT_ENCODES(reply_null_array(&b, 3), "_\r\n");
	EXPECT_ENCODES(reply_bool(&b, 2, 1), ":1\r\n");
	EXPECT_ENCODES(reply_bool(&b, 2, 0), ":0\r\n");
	EXPECT_ENCODES(reply_bool(&b, 3, 1), "#t\r\n");
	EXPECT_ENCODES(reply_bool(&b, 3, 0), "#f\r\n");
	EXPECT_ENCODES(reply_bool(&b, 3, 7), "#t\r\n");
}

TEST(test_aggregate_replies_differ_by_protocol)
{
	EXPECT_ENCODES(reply_array(&b, 0), "*0\r\n");
	EXPECT_ENCODES((reply_array(&b, 2), reply_int(&b, 1), reply_null(&b, 2)),
		       "*2\r\n:1\r\n$-1\r\n");
	EXPECT_ENCODES((reply_map(&b, 2, 1), reply_bulk_str(&b, "k"), reply_int(&b, 1)),
		       "*2\r\n$1\r\nk\r\n:1\r\n");
	EXPECT_ENCODES((reply_map(&b, 3, 1), reply_bulk_str(&b, "k"), reply_int(&b, 1)),
		       "%1\r\n$1\r\nk\r\n:1\r\n");
	EXPECT_ENCODES(reply_map(&b, 3, 0), "%0\r\n");
	EXPECT_ENCODES(reply_map(&b, 2, 0), "*0\r\n");
	EXPECT_ENCODES((reply_set(&b, 2, 2), reply_bulk_str(&b, "a"), reply_bulk_str(&b, "b")),
		       "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
	EXPECT_ENCODES((reply_set(&b, 3, 2), reply_bulk_str(&b, "a"), reply_bulk_str(&b, "b")),
		       "~2\r\n$1\r\na\r\n$1\r\nb\r\n");
	/* A map of maps, in RESP3, holding a null and a bool. */
	EXPECT_ENCODES((reply_map(&b, 3, 1), reply_simple(&b, "m"), reply_map(&b, 3, 2),
			reply_bulk_str(&b, "n"), reply_null(&b, 3), reply_bulk_str(&b, "t"),
			reply_bool(&b, 3, 1)),
		       "%1\r\n+m\r\n%2\r\n$1\r\nn\r\n_\r\n$1\r\nt\r\n#t\r\n");
}

TEST(test_verbatim_is_bulk_in_resp2_and_txt_in_resp3)
{
	EXPECT_ENCODES(reply_verbatim(&b, 2, "hi\r\n", 4), "$4\r\nhi\r\n\r\n");
	EXPECT_ENCODES(reply_verbatim(&b, 3, "hi\r\n", 4), "=8\r\ntxt:hi\r\n\r\n");
	EXPECT_ENCODES(reply_verbatim(&b, 3, "", 0), "=4\r\ntxt:\r\n");
}

/* Redis trims CR/LF at the end of an error text, then turns the inner ones
 * into spaces (addReplyErrorFormat). */
TEST(test_error_text_trailing_cr_lf_dropped_inner_ones_become_spaces)
{
	EXPECT_ENCODES(reply_error(&b, "ERR bad\r\nthing\n"), "-ERR bad  thing\r\n");
	EXPECT_ENCODES(reply_error(&b, "\r"), "-\r\n");
	EXPECT_ENCODES(reply_errorf(&b, "ERR unknown command '%s'", "a\r\nb"),
		       "-ERR unknown command 'a  b'\r\n");
}

TEST(test_long_formatted_error_stays_one_line)
{
	char arg[2000];
	struct buf b = { 0 };

	memset(arg, '\n', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	reply_errorf(&b, "ERR %s", arg);
	REQUIRE_TRUE(b.len >= 3);
	EXPECT_EQ_UINT(resp_frame_len(b.data, b.len), b.len);
	EXPECT_TRUE(memchr(b.data, '\n', b.len - 1) == NULL);
	EXPECT_TRUE(memchr(b.data, '\r', b.len - 2) == NULL);
	buf_free(&b);
}

TEST(test_big_bulk_reply_encodes_and_measures_at_every_split)
{
	const size_t n = 100000;
	char *body = malloc(n);
	struct buf b = { 0 };

	/* CR and LF inside the body must not confuse the measure. */
	for (size_t i = 0; i < n; i++)
		body[i] = "\r\nab"[i % 4];
	reply_bulk(&b, body, n);
	REQUIRE_TRUE(b.len == 9 + n + 2);
	EXPECT_EQ_MEM(b.data, "$100000\r\n", 9);
	EXPECT_EQ_MEM(b.data + 9, body, n);
	EXPECT_EQ_MEM(b.data + 9 + n, "\r\n", 2);
	EXPECT_TRUE(frame_split_ok(b.data, b.len));
	buf_free(&b);
	free(body);
}

TEST(test_replies_append_after_live_bytes_of_a_consumed_buffer)
{
	struct buf b = { 0 };
	char big[600];

	memset(big, 'z', sizeof(big));
	buf_append(&b, "+skip\r\n+keep\r\n", 14);
	buf_consume(&b, 7);
	/* Big enough that the buffer must make room, possibly by compacting. */
	reply_bulk(&b, big, sizeof(big));
	reply_simple(&b, "end");
	REQUIRE_TRUE(buf_live(&b) == 7 + 6 + sizeof(big) + 2 + 6);
	EXPECT_EQ_MEM(buf_head(&b), "+keep\r\n$600\r\n", 13);
	EXPECT_EQ_MEM(buf_head(&b) + 13 + sizeof(big), "\r\n+end\r\n", 8);
	buf_free(&b);
}

TEST(test_sequence_of_replies_cuts_back_into_the_same_frames)
{
	struct buf b = { 0 };
	size_t ends[16], n = 0;

#define MARK() (ends[n++] = b.len)
	reply_ok(&b), MARK();
	reply_int(&b, -7), MARK();
	reply_null(&b, 3), MARK();
	reply_null_array(&b, 2), MARK();
	reply_bulk(&b, "\r\n", 2), MARK();
	reply_array(&b, 2), reply_bulk_int(&b, 5), reply_error(&b, "E\n"), MARK();
	reply_verbatim(&b, 3, "v", 1), MARK();
	reply_set(&b, 3, 0), MARK();
	reply_bool(&b, 3, 0), MARK();
#undef MARK
	size_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = resp_frame_len(b.data + pos, b.len - pos);
		EXPECT_EQ_UINT(pos + len, ends[i]);
		if (len == 0)
			break;
		pos += len;
	}
	EXPECT_EQ_UINT(pos, b.len);
	buf_free(&b);
}

/* ---- frame measuring: hand-written RESP3 ------------------------------- */

TEST(test_every_resp3_scalar_type_measures_at_every_split)
{
	static const struct {
		const char *p;
		size_t n;
	} frames[] = {
		{ S("+OK\r\n") }, { S("-ERR x\r\n") }, { S(":-12\r\n") }, { S("$-1\r\n") },
		{ S("$0\r\n\r\n") }, { S("$3\r\n\r\n\r\r\n") }, { S("_\r\n") }, { S(",3.14\r\n") },
		{ S(",-inf\r\n") }, { S("#t\r\n") }, { S("(3492890328409238509324850943850943825024385\r\n") },
		{ S("!21\r\nSYNTAX invalid syntax\r\n") }, { S("=15\r\ntxt:Some string\r\n") },
		{ S("*-1\r\n") }, { S("*0\r\n") }, { S("%0\r\n") }, { S("~0\r\n") }, { S(">0\r\n") },
	};

	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		if (!frame_split_ok(frames[i].p, frames[i].n)) {
			printf("    frame %zu\n", i);
			EXPECT_TRUE(!"bad measure");
		}
	}
}

TEST(test_nested_aggregates_measure_at_every_split)
{
	static const char nested[] =
		"*3\r\n"
		"%2\r\n" "+a\r\n" ":1\r\n" "$1\r\nb\r\n" "~2\r\n" ",1.5\r\n" "#f\r\n"
		">2\r\n" "(12345678901234567890\r\n" "!5\r\nERR x\r\n"
		"*2\r\n" "_\r\n" "*-1\r\n";

	EXPECT_TRUE(frame_split_ok(nested, sizeof(nested) - 1));
}

TEST(test_attribute_is_measured_with_the_value_it_describes)
{
	static const char top[] =
		"|1\r\n" "+key-popularity\r\n"
		"%2\r\n" "$1\r\na\r\n" ",0.1923\r\n" "$1\r\nb\r\n" ",0.0012\r\n"
		"*2\r\n" ":2039123\r\n" ":9543892\r\n";
	/* Inside an aggregate an attribute does not count as an element. */
	static const char inner[] = "*2\r\n" "|1\r\n+ttl\r\n:3600\r\n" "$1\r\nx\r\n" ":2\r\n";

	EXPECT_TRUE(frame_split_ok(top, sizeof(top) - 1));
	EXPECT_TRUE(frame_split_ok(inner, sizeof(inner) - 1));
	/* The attribute alone is not a whole frame. */
	EXPECT_EQ_UINT(resp_frame_len(S("|1\r\n+ttl\r\n:3600\r\n")), 0);
}

TEST(test_large_array_measures_at_every_split)
{
	struct buf b = { 0 };

	reply_array(&b, 1000);
	for (int i = 0; i < 1000; i++) {
		if (i % 3 == 0)
			reply_int(&b, i);
		else if (i % 3 == 1)
			reply_bulk_int(&b, -i);
		else
			reply_null(&b, 3);
	}
	EXPECT_TRUE(frame_split_ok(b.data, b.len));
	buf_free(&b);
}

static char *nested_arrays(int depth, size_t *len)
{
	char *p = malloc((size_t)depth * 4 + 4);

	for (int i = 0; i < depth; i++)
		memcpy(p + i * 4, "*1\r\n", 4);
	memcpy(p + depth * 4, ":1\r\n", 4);
	*len = (size_t)depth * 4 + 4;
	return p;
}

TEST(test_nesting_beyond_64_levels_is_malformed)
{
	size_t n;
	char *p = nested_arrays(64, &n);

	EXPECT_EQ_UINT(resp_frame_len(p, n), n);
	free(p);
	p = nested_arrays(65, &n);
	EXPECT_EQ_UINT(resp_frame_len(p, n), 0);
	free(p);
	/* Deep nesting of a hostile size must not blow the stack either. */
	p = nested_arrays(100000, &n);
	EXPECT_EQ_UINT(resp_frame_len(p, n), 0);
	free(p);
}

TEST(test_malformed_frames_measure_zero)
{
	static const struct {
		const char *p;
		size_t n;
	} bad[] = {
		{ S("?x\r\n") }, { S("OK\r\n") }, { S("\0OK\r\n") }, { S("+OK\rX\n") },
		{ S("+OK\n") }, { S("$abc\r\n") }, { S("$\r\n\r\n") }, { S("$01\r\nx\r\n") },
		{ S("*x\r\n") }, { S("*1\r\n?\r\n") }, { S("*2\r\n:1\r\n") }, { S("%1\r\n+k\r\n") },
		{ S("*+1\r\n:1\r\n") }, { S("") }, { S("+") }, { S("+\r") },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t got = resp_frame_len(bad[i].p, bad[i].n);
		if (got != 0) {
			printf("    case %zu measured %zu\n", i, got);
			EXPECT_TRUE(!"malformed frame measured");
		}
	}
}

TEST(test_aggregate_header_counts_elements)
{
	long long c = 99;
	size_t h = 99;

	EXPECT_EQ_INT(resp_aggregate_header(S("*3\r\n"), &c, &h), 1);
	EXPECT_EQ_INT(c, 3);
	EXPECT_EQ_UINT(h, 4);
	EXPECT_EQ_INT(resp_aggregate_header(S("%2\r\n+a\r\n"), &c, &h), 1);
	EXPECT_EQ_INT(c, 4);
	EXPECT_EQ_UINT(h, 4);
	EXPECT_EQ_INT(resp_aggregate_header(S("|1\r\n"), &c, &h), 1);
	EXPECT_EQ_INT(c, 2);
	EXPECT_EQ_INT(resp_aggregate_header(S("~0\r\n"), &c, &h), 1);
	EXPECT_EQ_INT(c, 0);
	EXPECT_EQ_INT(resp_aggregate_header(S(">12\r\n"), &c, &h), 1);
	EXPECT_EQ_INT(c, 12);
	EXPECT_EQ_UINT(h, 5);
	c = 99;
	EXPECT_EQ_INT(resp_aggregate_header(S("*-1\r\n"), &c, &h), -1);
	EXPECT_EQ_INT(c, 0);
	EXPECT_EQ_UINT(h, 5);
}

TEST(test_aggregate_header_rejects_non_aggregates_and_partial_lines)
{
	long long c;
	size_t h;

	EXPECT_EQ_INT(resp_aggregate_header(S("$3\r\n"), &c, &h), 0);
	EXPECT_EQ_INT(resp_aggregate_header(S("+OK\r\n"), &c, &h), 0);
	EXPECT_EQ_INT(resp_aggregate_header(S("*3\r"), &c, &h), 0);
	EXPECT_EQ_INT(resp_aggregate_header(S("*3"), &c, &h), 0);
	EXPECT_EQ_INT(resp_aggregate_header(S("*x\r\n"), &c, &h), 0);
	EXPECT_EQ_INT(resp_aggregate_header(S(""), &c, &h), 0);
}

TEST(test_aggregate_header_rejects_a_nul_type_byte)
{
	long long c = 0;
	size_t h = 0;

	/* NUL is no RESP type; strchr() on the type list would match its
	 * terminator. */
	EXPECT_EQ_INT(resp_aggregate_header(S("\0" "3\r\n"), &c, &h), 0);
}

TEST(test_map_count_too_big_to_double_is_not_a_whole_frame)
{
	long long c = 0;
	size_t h = 0;

	/* 2^62 pairs are 2^63 elements, more than a long long holds: doubling
	 * must not wrap to a negative count that reads as an empty map. */
	EXPECT_EQ_UINT(resp_frame_len(S("%4611686018427387904\r\n")), 0);
	EXPECT_EQ_UINT(resp_frame_len(S("|9223372036854775807\r\n+x\r\n")), 0);
	int kind = resp_aggregate_header(S("%4611686018427387904\r\n"), &c, &h);
	EXPECT_TRUE(kind != 1 || c >= 0);
}

int main(void)
{
	RUN(test_split_args_keeps_a_nul_byte_inside_an_unquoted_argument);
	RUN(test_inline_request_with_a_nul_byte_is_a_protocol_error);
	RUN(test_parse_ll_accepts_canonical_decimals_up_to_both_extremes);
	RUN(test_parse_ll_rejects_overflow_and_non_canonical_forms);
	RUN(test_parse_ll_reads_only_len_bytes);
	RUN(test_multibulk_set_parses_and_borrows_argument_bytes);
	RUN(test_multibulk_split_at_every_byte_parses_once_complete);
	RUN(test_multibulk_with_many_arguments_grows_argv_and_resets_argc);
	RUN(test_multibulk_ten_arguments_allowed_before_auth);
	RUN(test_need_covers_the_whole_frame_while_a_big_last_bulk_arrives);
	RUN(test_need_is_the_end_of_a_big_bulk_that_is_not_last);
	RUN(test_pipelined_requests_parse_back_to_back);
	RUN(test_error_replies_count_by_code_up_to_the_code_limit);
	RUN(test_a_request_cut_short_is_not_parsed_again_from_its_start);
	RUN(test_pipeline_split_into_two_reads_at_every_byte_gives_the_same_commands);
	RUN(test_multibulk_count_above_int_max_or_malformed_is_invalid_multibulk_length);
	RUN(test_multibulk_count_above_ten_before_auth_is_unauthenticated_multibulk_length);
	RUN(test_zero_or_negative_multibulk_count_is_skipped);
	RUN(test_bulk_length_above_max_bulk_len_is_invalid_bulk_length);
	RUN(test_bulk_above_16384_before_auth_is_unauthenticated_bulk_length);
	RUN(test_negative_or_malformed_bulk_length_is_invalid_bulk_length);
	RUN(test_argument_without_dollar_names_the_byte_found);
	RUN(test_count_line_longer_than_64k_without_cr_is_too_big_mbulk_count_string);
	RUN(test_bulk_count_line_longer_than_64k_without_cr_is_too_big_bulk_count_string);
	RUN(test_protocol_error_text_is_per_call_not_stale);
	RUN(test_inline_split_at_every_byte_parses_once_complete);
	RUN(test_inline_crlf_and_lf_give_the_same_arguments);
	RUN(test_inline_without_newline_is_incomplete);
	RUN(test_inline_double_quotes_unescape_in_place);
	RUN(test_inline_single_quotes_take_bytes_literally_except_escaped_quote);
	RUN(test_inline_unbalanced_quotes_are_a_protocol_error);
	RUN(test_inline_vertical_tab_and_form_feed_do_not_split_an_unquoted_argument);
	RUN(test_inline_longer_than_64k_without_newline_is_too_big_inline_request);
	RUN(test_split_args_splits_config_lines);
	RUN(test_split_args_never_reads_past_end);
	RUN(test_scalar_replies_encode_and_measure);
	RUN(test_null_and_bool_replies_differ_by_protocol);
	RUN(test_aggregate_replies_differ_by_protocol);
	RUN(test_verbatim_is_bulk_in_resp2_and_txt_in_resp3);
	RUN(test_error_text_trailing_cr_lf_dropped_inner_ones_become_spaces);
	RUN(test_long_formatted_error_stays_one_line);
	RUN(test_big_bulk_reply_encodes_and_measures_at_every_split);
	RUN(test_replies_append_after_live_bytes_of_a_consumed_buffer);
	RUN(test_sequence_of_replies_cuts_back_into_the_same_frames);
	RUN(test_every_resp3_scalar_type_measures_at_every_split);
	RUN(test_nested_aggregates_measure_at_every_split);
	RUN(test_attribute_is_measured_with_the_value_it_describes);
	RUN(test_large_array_measures_at_every_split);
	RUN(test_nesting_beyond_64_levels_is_malformed);
	RUN(test_malformed_frames_measure_zero);
	RUN(test_aggregate_header_counts_elements);
	RUN(test_aggregate_header_rejects_non_aggregates_and_partial_lines);
	RUN(test_aggregate_header_rejects_a_nul_type_byte);
	RUN(test_map_count_too_big_to_double_is_not_a_whole_frame);
	request_parser_free(&g_parser);
	return unit_summary();
}
