/* A growable byte buffer: the unit in which requests arrive and replies leave.
 *
 * Ownership: a struct buf owns `data` (malloc'd). buf_free() releases it and
 * leaves an empty buffer; buf_free on an empty buffer is a no-op.
 * Bytes [start, len) are live; buf_consume() advances `start` so that a partial
 * send or a parsed request costs no memmove until buf_compact().
 */
#ifndef TESSERA_BUF_H
#define TESSERA_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *data;
	size_t start;
	size_t len;
	size_t cap;
};

/* Make room for `extra` more bytes after len; returns 0 or -ENOMEM. */
int buf_reserve(struct buf *b, size_t extra);
void buf_free(struct buf *b);
/* Drop consumed bytes at the front when that makes room cheaply. */
void buf_compact(struct buf *b);

static inline size_t buf_live(const struct buf *b) { return b->len - b->start; }
/* An empty buffer may have no allocation: its head is then "", never NULL. */
static inline const char *buf_head(const struct buf *b) { return b->data ? b->data + b->start : ""; }

static inline void buf_consume(struct buf *b, size_t n)
{
	b->start += n;
	if (b->start == b->len)
		b->start = b->len = 0;
}

static inline void buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return; /* p may be NULL: an empty buffer's data */
	if (b->cap - b->len < n && buf_reserve(b, n) < 0)
		return; /* out of memory: the reply is truncated, the shard lives */
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void buf_append_str(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/* Move all live bytes of `src` to the end of `dst`; src becomes empty. */
void buf_move(struct buf *dst, struct buf *src);

#endif
