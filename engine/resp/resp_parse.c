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

static enum parse_status parse_inline(char *data, size_t len, struct argv_vec *argv,
				      size_t *consumed, size_t *need, const char **error)
{
	char *nl = memchr(data, '\n', len);
	if (!nl) {
		if (len > PROTO_INLINE_MAX_SIZE) {
			*error = "too big inline request";
			return PARSE_ERROR;
		}
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
	if (!split_args_inplace(data, end, argv)) {
		*error = "unbalanced quotes in request";
		return PARSE_ERROR;
	}
	return argv->argc == 0 ? PARSE_SKIP : PARSE_COMMAND;
}

/* ---- multibulk ---------------------------------------------------------- */

/* Find the CRLF-terminated count line that starts at data[pos] (after the
 * type byte). Returns 1 with *line_end at the '\r', 0 if incomplete, or -1 if
 * the line is already too long to be a count. */
static int find_count_line(const char *data, size_t len, size_t pos, size_t *line_end)
{
	const char *cr = memchr(data + pos, '\r', len - pos);
	if (!cr)
		return len - pos > PROTO_INLINE_MAX_SIZE ? -1 : 0;
	size_t at = (size_t)(cr - data);
	if (at + 1 >= len)
		return 0; /* the '\n' has not arrived */
	*line_end = at;
	return 1;
}

static enum parse_status parse_multibulk(char *data, size_t len,
					 const struct parse_limits *lim,
					 struct argv_vec *argv, size_t *consumed,
					 size_t *need, const char **error)
{
	size_t line_end;
	int found = find_count_line(data, len, 0, &line_end);
	if (found < 0) {
		*error = "too big mbulk count string";
		return PARSE_ERROR;
	}
	if (found == 0) {
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
	size_t pos = line_end + 2;
	if (count <= 0) {
		*consumed = pos;
		return PARSE_SKIP;
	}
	for (long long i = 0; i < count; i++) {
		if (pos >= len) {
			*need = pos + 1;
			return PARSE_INCOMPLETE;
		}
		found = find_count_line(data, len, pos, &line_end);
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
		if (!argv_push(argv, data + pos, (size_t)blen)) {
			*error = "out of memory";
			return PARSE_ERROR;
		}
		pos += (size_t)blen + 2;
	}
	*consumed = pos;
	return PARSE_COMMAND;
}

enum parse_status resp_parse_request(char *data, size_t len,
				     const struct parse_limits *lim,
				     struct argv_vec *argv, size_t *consumed,
				     size_t *need, const char **error)
{
	argv->argc = 0;
	*consumed = 0;
	*need = 0;
	if (len == 0) {
		*need = 1;
		return PARSE_INCOMPLETE;
	}
	if (data[0] == '*')
		return parse_multibulk(data, len, lim, argv, consumed, need, error);
	return parse_inline(data, len, argv, consumed, need, error);
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
