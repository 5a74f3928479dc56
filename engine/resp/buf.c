#include "resp/buf.h"

#include <errno.h>
#include <stdlib.h>

int buf_reserve(struct buf *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return 0;
	if (b->start > 0 && b->start >= b->len / 2) {
		buf_compact(b);
		if (b->cap - b->len >= extra)
			return 0;
	}
	size_t want = b->len + extra;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap = cap < (1u << 20) ? cap * 2 : cap + cap / 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->start = b->len = b->cap = 0;
}

void buf_compact(struct buf *b)
{
	if (b->start == 0)
		return;
	memmove(b->data, b->data + b->start, b->len - b->start);
	b->len -= b->start;
	b->start = 0;
}

void buf_move(struct buf *dst, struct buf *src)
{
	if (buf_live(dst) == 0) {
		/* Steal the allocation instead of copying (a 20 MB KEYS reply
		 * would otherwise be copied on the shard's thread). */
		struct buf tmp = *dst;
		*dst = *src;
		*src = tmp;
		src->start = src->len = 0;
		return;
	}
	buf_append(dst, buf_head(src), buf_live(src));
	src->start = src->len = 0;
}
