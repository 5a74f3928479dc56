#include "resp/resp_frame.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "resp/resp_parse.h"

#define MAX_DEPTH 64

/* The line after the type byte: returns its length up to CR, or -1. */
static long line_len(const char *p, size_t len)
{
	const char *cr = memchr(p, '\r', len);
	if (!cr || (size_t)(cr - p) + 1 >= len || cr[1] != '\n')
		return -1;
	return cr - p;
}

int resp_aggregate_header(const char *p, size_t len, long long *count, size_t *header_len)
{
	if (len < 1 || !memchr("*%~>|", p[0], 5))
		return 0;
	long n = line_len(p + 1, len - 1);
	if (n < 0)
		return 0;
	long long c;
	if (!parse_ll(p + 1, (size_t)n, &c))
		return 0;
	*header_len = (size_t)n + 3;
	bool pairs = p[0] == '%' || p[0] == '|';
	if (pairs && c > LLONG_MAX / 2)
		return 0;
	if (c < 0) {
		*count = 0;
		return -1;
	}
	*count = pairs ? c * 2 : c;
	return 1;
}

static size_t frame_len(const char *p, size_t len, int depth)
{
	if (len < 3 || depth > MAX_DEPTH)
		return 0;
	long n = line_len(p + 1, len - 1);
	if (n < 0)
		return 0;
	size_t head = (size_t)n + 3;
	long long c;
	switch (p[0]) {
	case '+': case '-': case ':': case '_': case ',': case '#': case '(':
		return head;
	case '$': case '=': case '!':
		if (!parse_ll(p + 1, (size_t)n, &c))
			return 0;
		if (c < 0)
			return head;
		if (len - head < (size_t)c + 2)
			return 0;
		return head + (size_t)c + 2;
	case '*': case '%': case '~': case '>': case '|': {
		int kind = resp_aggregate_header(p, len, &c, &head);
		if (kind == 0)
			return 0;
		size_t pos = head;
		for (long long i = 0; i < c; i++) {
			size_t el = frame_len(p + pos, len - pos, depth + 1);
			if (el == 0)
				return 0;
			pos += el;
		}
		if (p[0] == '|') {
			/* An attribute precedes the value it describes. */
			size_t el = frame_len(p + pos, len - pos, depth + 1);
			return el ? pos + el : 0;
		}
		return pos;
	}
	default:
		return 0;
	}
}

size_t resp_frame_len(const char *p, size_t len)
{
	return frame_len(p, len, 0);
}
