#include "resp/resp_parse.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

void argv_vec_free(struct argv_vec *a)
{
	free(a->v);
	a->v = NULL;
	a->argc = a->cap = 0;
}

struct arg *argv_copy(struct buf *storage, int argc, const struct arg *argv)
{
	size_t bytes = (size_t)argc * sizeof(struct arg);
	for (int i = 0; i < argc; i++)
		bytes += argv[i].len;
	storage->start = storage->len = 0;
	if (buf_reserve(storage, bytes) < 0)
		return NULL;
	struct arg *v = (struct arg *)storage->data;
	char *dst = storage->data + (size_t)argc * sizeof(struct arg);
	for (int i = 0; i < argc; i++) {
		if (argv[i].len)
			memcpy(dst, argv[i].p, argv[i].len);
		v[i].p = dst;
		v[i].len = argv[i].len;
		dst += argv[i].len;
	}
	storage->len = bytes;
	return v;
}

bool argv_vec_reserve(struct argv_vec *a, int n)
{
	if (n <= a->cap)
		return true;
	int cap = a->cap ? a->cap : 16;
	while (cap < n)
		cap *= 2;
	struct arg *v = realloc(a->v, (size_t)cap * sizeof(*v));
	if (!v)
		return false;
	a->v = v;
	a->cap = cap;
	return true;
}

static bool argv_push(struct argv_vec *a, char *p, size_t len)
{
	if (a->argc == a->cap && !argv_vec_reserve(a, a->argc + 1))
		return false;
	a->v[a->argc].p = p;
	a->v[a->argc].len = len;
	a->argc++;
	return true;
}

bool parse_ll(const char *s, size_t len, long long *out)
{
	if (len == 0 || len > 20)
		return false;
	size_t i = 0;
	bool neg = false;
	if (s[0] == '-') {
		neg = true;
		i = 1;
		if (len == 1)
			return false;
	}
	if (s[i] == '0' && len > i + 1)
		return false;
	if (s[i] == '0' && neg)
		return false; /* "-0" is not canonical */
	unsigned long long v = 0;
	for (; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > 9)
			return false;
		if (v > (ULLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return false;
		*out = (long long)(0ULL - v);
	} else {
		if (v > LLONG_MAX)
			return false;
		*out = (long long)v;
	}
	return true;
}

/* ---- inline commands ---------------------------------------------------- */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

/* Split one inline line into arguments, unescaping quoted ones in place.
 * Returns false for unbalanced quotes (Redis's sdssplitargs rules: a closing
 * quote must be followed by a space or the end of the line). */
bool split_args_inplace(char *p, char *end, struct argv_vec *argv)
{
	for (;;) {
		while (p < end && is_space(*p))
			p++;
		if (p == end)
			return true;
		char *arg = p, *w = p;
		bool in_dq = false, in_sq = false;
		for (;;) {
			if (in_dq) {
				if (p == end)
					return false;
				if (*p == '\\' && p + 3 < end && p[1] == 'x' && is_hex(p[2]) && is_hex(p[3])) {
					*w++ = (char)(hex_val(p[2]) * 16 + hex_val(p[3]));
					p += 4;
				} else if (*p == '\\' && p + 1 < end) {
					char c = p[1];
					switch (c) {
					case 'n': c = '\n'; break;
					case 'r': c = '\r'; break;
					case 't': c = '\t'; break;
					case 'b': c = '\b'; break;
					case 'a': c = '\a'; break;
					default: break;
					}
					*w++ = c;
					p += 2;
				} else if (*p == '"') {
					if (p + 1 < end && !is_space(p[1]))
						return false;
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			} else if (in_sq) {
				if (p == end)
					return false;
				if (*p == '\\' && p + 1 < end && p[1] == '\'') {
					*w++ = '\'';
					p += 2;
				} else if (*p == '\'') {
					if (p + 1 < end && !is_space(p[1]))
						return false;
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			} else {
				/* An unquoted argument ends only at these, as in Redis;
				 * \v and \f are skipped between arguments but kept
				 * inside one, and so is a NUL byte: ending an argument
				 * at a byte that does not start the next one would push
				 * empty arguments forever. */
				if (p == end || *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
					break;
				if (*p == '"') {
					in_dq = true;
					p++;
				} else if (*p == '\'') {
					in_sq = true;
					p++;
				} else {
					*w++ = *p++;
				}
			}
		}
		if (!argv_push(argv, arg, (size_t)(w - arg)))
			return false;
	}
}

static enum parse_status parse_inline(struct request_parser *rp, char *data, size_t len,
				      size_t *consumed, size_t *need, const char **error)
{
	/* The first rp->pos bytes were searched by an earlier call. */
	char *nl = memchr(data + rp->pos, '\n', len - rp->pos);
	if (!nl) {
		if (len > PROTO_INLINE_MAX_SIZE) {
			*error = "too big inline request";
			return PARSE_ERROR;
		}
		rp->pos = len;
		*need = len + 1;
		return PARSE_INCOMPLETE;
	}
	char *end = nl;
	if (end > data && end[-1] == '\r')
		end--;
	*consumed = (size_t)(nl - data) + 1;
	/* Redis's inline parser stops at a NUL (strchr) and waits forever for
	 * a newline it has already received; a clear error is kinder. */
	if (memchr(data, '\0', (size_t)(end - data))) {
		*error = "NUL byte in inline request";
		return PARSE_ERROR;
	}
	if (!split_args_inplace(data, end, &rp->argv)) {
		*error = "unbalanced quotes in request";
		return PARSE_ERROR;
	}
	return rp->argv.argc == 0 ? PARSE_SKIP : PARSE_COMMAND;
}

/* ---- multibulk ---------------------------------------------------------- */

/* Find the CRLF-terminated count line that starts at data[pos] (after the
 * type byte), searching from data[from]. Returns 1 with *line_end at the
 * '\r', 0 if incomplete (*line_end: where a later search may start), or -1 if
 * the line is already too long to be a count. */
static int find_count_line(const char *data, size_t len, size_t pos, size_t from,
			   size_t *line_end)
{
	const char *cr = memchr(data + from, '\r', len - from);
	if (!cr) {
		*line_end = len;
		return len - pos > PROTO_INLINE_MAX_SIZE ? -1 : 0;
	}
	*line_end = (size_t)(cr - data);
	return *line_end + 1 < len ? 1 : 0; /* 0: the '\n' has not arrived */
}

/* The "*<count>\r\n" line: sets rp->count and rp->pos past it. */
static enum parse_status parse_count(struct request_parser *rp, char *data, size_t len,
				     const struct parse_limits *lim, size_t *consumed,
				     size_t *need, const char **error)
{
	size_t line_end;
	int found = find_count_line(data, len, 0, rp->pos ? rp->pos : 1, &line_end);
	if (found < 0) {
		*error = "too big mbulk count string";
		return PARSE_ERROR;
	}
	if (found == 0) {
		rp->pos = line_end;
		*need = len + 1;
		return PARSE_INCOMPLETE;
	}
	long long count;
	if (!parse_ll(data + 1, line_end - 1, &count) || count > INT_MAX) {
		*error = "invalid multibulk length";
		return PARSE_ERROR;
	}
	if (count > 10 && !lim->authenticated) {
		*error = "unauthenticated multibulk length";
		return PARSE_ERROR;
	}
	if (count <= 0) {
		*consumed = line_end + 2;
		return PARSE_SKIP;
	}
	rp->count = count;
	rp->pos = line_end + 2;
	return PARSE_COMMAND; /* a count: go on to the arguments */
}

/* One "$<len>\r\n<bytes>\r\n" at rp->pos, appended to rp->argv. */
static enum parse_status parse_bulk(struct request_parser *rp, char *data, size_t len,
				    const struct parse_limits *lim, size_t *need,
				    const char **error)
{
	size_t pos = rp->pos, line_end;
	if (pos >= len) {
		*need = pos + 1;
		return PARSE_INCOMPLETE;
	}
	int found = find_count_line(data, len, pos, pos, &line_end);
	if (found < 0) {
		*error = "too big bulk count string";
		return PARSE_ERROR;
	}
	if (found == 0) {
		*need = len + 1;
		return PARSE_INCOMPLETE;
	}
	if (data[pos] != '$') {
		static __thread char msg[32];
		memcpy(msg, "expected '$', got ' '", 22);
		msg[19] = data[pos];
		*error = msg;
		return PARSE_ERROR;
	}
	long long blen;
	if (!parse_ll(data + pos + 1, line_end - pos - 1, &blen) || blen < 0 ||
	    blen > lim->max_bulk_len) {
		*error = "invalid bulk length";
		return PARSE_ERROR;
	}
	if (blen > 16384 && !lim->authenticated) {
		*error = "unauthenticated bulk length";
		return PARSE_ERROR;
	}
	pos = line_end + 2;
	if (len - pos < (size_t)blen + 2) {
		*need = pos + (size_t)blen + 2;
		return PARSE_INCOMPLETE;
	}
	struct argv_vec *a = &rp->argv;
	if (a->argc == a->cap && !argv_vec_reserve(a, a->argc + 1)) {
		*error = "out of memory";
		return PARSE_ERROR;
	}
	/* An offset: the bytes may move before the request is complete. */
	a->v[a->argc].off = pos;
	a->v[a->argc].len = (size_t)blen;
	a->argc++;
	rp->pos = pos + (size_t)blen + 2;
	return PARSE_COMMAND;
}

static enum parse_status parse_multibulk(struct request_parser *rp, char *data, size_t len,
					 const struct parse_limits *lim, size_t *consumed,
					 size_t *need, const char **error)
{
	enum parse_status st;
	if (rp->count == 0) {
		st = parse_count(rp, data, len, lim, consumed, need, error);
		if (st != PARSE_COMMAND || rp->count == 0)
			return st;
	}
	while (rp->argv.argc < rp->count) {
		st = parse_bulk(rp, data, len, lim, need, error);
		if (st != PARSE_COMMAND)
			return st;
	}
	struct argv_vec *a = &rp->argv;
	for (int i = 0; i < a->argc; i++)
		a->v[i].p = data + a->v[i].off;
	*consumed = rp->pos;
	return PARSE_COMMAND;
}

enum parse_status resp_parse_request(struct request_parser *rp, char *data, size_t len,
				     const struct parse_limits *lim, size_t *consumed,
				     size_t *need, const char **error)
{
	*consumed = 0;
	*need = 0;
	if (rp->pos > len)
		request_parser_reset(rp); /* not the request it had begun */
	if (rp->count == 0)
		rp->argv.argc = 0;
	if (len == 0) {
		*need = 1;
		return PARSE_INCOMPLETE;
	}
	enum parse_status st = data[0] == '*'
		? parse_multibulk(rp, data, len, lim, consumed, need, error)
		: parse_inline(rp, data, len, consumed, need, error);
	if (st != PARSE_INCOMPLETE) {
		rp->count = 0;
		rp->pos = 0;
	}
	return st;
}

void request_parser_reset(struct request_parser *rp)
{
	rp->argv.argc = 0;
	rp->count = 0;
	rp->pos = 0;
}

void request_parser_free(struct request_parser *rp)
{
	argv_vec_free(&rp->argv);
	request_parser_reset(rp);
}

bool arg_is(const struct arg *a, const char *lower)
{
	size_t n = strlen(lower);
	if (a->len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = a->p[i];
		if (((ch >= 'A' && ch <= 'Z') ? (char)(ch | 0x20) : ch) != lower[i])
			return false;
	}
	return true;
}
