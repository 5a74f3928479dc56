#include "resp/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "resp/error_stats.h"

/* Write `prefix`, the decimal `v` and CRLF without snprintf: this runs for
 * every integer reply and every bulk header. */
static void append_prefixed_ll(struct buf *out, char prefix, long long v)
{
	char tmp[24];
	char *end = tmp + sizeof(tmp);
	char *p = end;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	*--p = '\n';
	*--p = '\r';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	*--p = prefix;
	buf_append(out, p, (size_t)(end - p));
}

void reply_simple(struct buf *out, const char *s)
{
	size_t n = strlen(s);
	if (buf_reserve(out, n + 3) < 0)
		return;
	out->data[out->len++] = '+';
	memcpy(out->data + out->len, s, n);
	out->len += n;
	out->data[out->len++] = '\r';
	out->data[out->len++] = '\n';
}

void reply_ok(struct buf *out)
{
	buf_append(out, "+OK\r\n", 5);
}

void reply_error(struct buf *out, const char *msg)
{
	buf_append(out, "-", 1);
	/* An error line must stay one line whatever text it quotes: as Redis
	 * does, trailing CR/LF are dropped and inner ones become spaces. */
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\r' || msg[n - 1] == '\n'))
		n--;
	error_stats_count(msg, n);
	for (const char *p = msg; p < msg + n; p++) {
		char ch = (*p == '\r' || *p == '\n') ? ' ' : *p;
		buf_append(out, &ch, 1);
	}
	buf_append(out, "\r\n", 2);
}

void reply_errorf(struct buf *out, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_error(out, msg);
}

void reply_int(struct buf *out, long long v)
{
	append_prefixed_ll(out, ':', v);
}

void reply_bulk(struct buf *out, const void *p, size_t len)
{
	if (buf_reserve(out, len + 32) < 0)
		return;
	append_prefixed_ll(out, '$', (long long)len);
	if (len)
		memcpy(out->data + out->len, p, len);
	out->len += len;
	out->data[out->len++] = '\r';
	out->data[out->len++] = '\n';
}

void reply_bulk_str(struct buf *out, const char *s)
{
	reply_bulk(out, s, strlen(s));
}

void reply_bulk_int(struct buf *out, long long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%lld", v);
	reply_bulk(out, tmp, (size_t)n);
}

void reply_null(struct buf *out, int resp)
{
	if (resp >= 3)
		buf_append(out, "_\r\n", 3);
	else
		buf_append(out, "$-1\r\n", 5);
}

void reply_null_array(struct buf *out, int resp)
{
	if (resp >= 3)
		buf_append(out, "_\r\n", 3);
	else
		buf_append(out, "*-1\r\n", 5);
}

void reply_array(struct buf *out, long long n)
{
	append_prefixed_ll(out, '*', n);
}

void reply_map(struct buf *out, int resp, long long pairs)
{
	if (resp >= 3)
		append_prefixed_ll(out, '%', pairs);
	else
		append_prefixed_ll(out, '*', pairs * 2);
}

void reply_set(struct buf *out, int resp, long long n)
{
	append_prefixed_ll(out, resp >= 3 ? '~' : '*', n);
}

void reply_verbatim(struct buf *out, int resp, const char *p, size_t len)
{
	if (resp < 3) {
		reply_bulk(out, p, len);
		return;
	}
	append_prefixed_ll(out, '=', (long long)len + 4);
	buf_append(out, "txt:", 4);
	buf_append(out, p, len);
	buf_append(out, "\r\n", 2);
}

void reply_double(struct buf *out, int resp, double v)
{
	char tmp[40];
	int n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	if (resp < 3) {
		reply_bulk(out, tmp, (size_t)n);
		return;
	}
	buf_append(out, ",", 1);
	buf_append(out, tmp, (size_t)n);
	buf_append(out, "\r\n", 2);
}

void reply_bool(struct buf *out, int resp, int v)
{
	if (resp >= 3)
		buf_append(out, v ? "#t\r\n" : "#f\r\n", 4);
	else
		buf_append(out, v ? ":1\r\n" : ":0\r\n", 4);
}
