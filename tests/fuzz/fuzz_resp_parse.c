/* libFuzzer target: the request parser (engine/resp/resp_parse.h) against
 * any bytes, as a client could send them.
 *
 * The input is parsed twice: whole, and as a connection receives it, in
 * pieces cut where the input's first 8 bytes say, going on with a request
 * cut short only once `need` bytes are there, each time from a fresh copy
 * (as loop/client_input.c does, whose buffer moves as it grows). Both must see the
 * same commands and end the same way (incomplete, or the same error), the
 * parser must take no more than it was given, and an incomplete request
 * must need more than it has. Inputs stay below PROTO_INLINE_MAX_SIZE
 * (-max_len): past it, Redis's own limits depend on how bytes arrive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resp/resp_parse.h"

/* What the parser saw: every command's arguments, length-prefixed, then
 * how it ended. */
struct transcript {
	struct buf seen;
	enum parse_status end;
	const char *error;
};

static void check(bool ok)
{
	if (!ok)
		abort(); /* libFuzzer keeps the input that got here */
}

static void note_command(struct transcript *t, const struct argv_vec *av)
{
	uint32_t argc = (uint32_t)av->argc;
	buf_append(&t->seen, &argc, sizeof(argc));
	for (int i = 0; i < av->argc; i++) {
		uint64_t len = av->v[i].len;
		buf_append(&t->seen, &len, sizeof(len));
		buf_append(&t->seen, av->v[i].p, av->v[i].len);
	}
}

/* Parse every complete request at the front of data[0..len); returns the
 * bytes used, and stops at an incomplete request (its need in *need) or an
 * error (recorded in t). */
static size_t parse_front(char *data, size_t len, const struct parse_limits *lim,
			  struct request_parser *rp, struct transcript *t, size_t *need)
{
	size_t pos = 0;
	*need = 0;
	while (pos < len) {
		size_t used = 0, want = 0;
		const char *err = NULL;
		enum parse_status st = resp_parse_request(rp, data + pos, len - pos, lim, &used, &want,
							  &err);
		if (st == PARSE_INCOMPLETE) {
			check(want > len - pos);
			*need = want;
			t->end = st;
			return pos;
		}
		if (st == PARSE_ERROR) {
			check(err != NULL);
			t->end = st;
			t->error = err;
			return len;
		}
		check(used > 0 && used <= len - pos);
		if (st == PARSE_COMMAND)
			note_command(t, &rp->argv);
		pos += used;
	}
	t->end = PARSE_SKIP; /* everything used */
	return pos;
}

static void parse_whole(const uint8_t *in, size_t len, const struct parse_limits *lim,
			struct request_parser *rp, struct transcript *t)
{
	char *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
	memcpy(copy, in, len);
	size_t need;
	request_parser_reset(rp);
	parse_front(copy, len, lim, rp, t, &need);
	free(copy);
}

static void parse_in_pieces(const uint8_t *in, size_t len, uint64_t cuts,
			    const struct parse_limits *lim, struct request_parser *rp,
			    struct transcript *t)
{
	request_parser_reset(rp);
	struct buf pending = { 0 };
	size_t at = 0, need = 0;
	t->end = PARSE_SKIP;
	while (at < len && t->end != PARSE_ERROR) {
		size_t piece = 1 + (size_t)(cuts % 97);
		cuts = cuts * 6364136223846793005ULL + 1442695040888963407ULL;
		if (piece > len - at)
			piece = len - at;
		buf_append(&pending, in + at, piece);
		at += piece;
		if (buf_live(&pending) < need)
			continue;
		/* A copy of exactly what is pending, so an overread is caught. */
		size_t n = buf_live(&pending);
		char *copy = malloc(n);
		memcpy(copy, buf_head(&pending), n);
		size_t used = parse_front(copy, n, lim, rp, t, &need);
		free(copy);
		buf_consume(&pending, used);
	}
	if (t->end != PARSE_ERROR)
		t->end = buf_live(&pending) > 0 ? PARSE_INCOMPLETE : PARSE_SKIP;
	buf_free(&pending);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t cuts = 0;
	if (size >= sizeof(cuts)) {
		memcpy(&cuts, data, sizeof(cuts));
		data += sizeof(cuts);
		size -= sizeof(cuts);
	}
	if (size >= PROTO_INLINE_MAX_SIZE)
		return 0;
	struct parse_limits lim = { .max_bulk_len = 512LL << 20, .authenticated = !(cuts & 1) };
	struct request_parser rp = { 0 };
	struct transcript whole = { 0 }, pieces = { 0 };
	parse_whole(data, size, &lim, &rp, &whole);
	parse_in_pieces(data, size, cuts >> 1, &lim, &rp, &pieces);
	check(buf_live(&whole.seen) == buf_live(&pieces.seen));
	check(memcmp(buf_head(&whole.seen), buf_head(&pieces.seen), buf_live(&whole.seen)) == 0);
	check(whole.end == pieces.end);
	check(whole.end != PARSE_ERROR || strcmp(whole.error, pieces.error) == 0);
	buf_free(&whole.seen);
	buf_free(&pieces.seen);
	request_parser_free(&rp);
	return 0;
}
