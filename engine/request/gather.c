/* How the replies of a split or broadcast command's parts become one reply.
 * Each function is the `done` of a pending whose parts are indexed by shard;
 * parts that were not used are empty buffers. The first error of any part
 * wins, as it would have on a single server. */
#include <string.h>

#include "request/gather.h"
#include "resp/reply.h"
#include "resp/resp_frame.h"
#include "resp/resp_parse.h"

bool gather_first_error(struct pending *p, unsigned n, struct buf *out)
{
	for (unsigned i = 0; i < n; i++) {
		struct buf *b = &p->parts[i];
		if (buf_live(b) && buf_head(b)[0] == '-') {
			buf_append(out, buf_head(b), buf_live(b));
			return true;
		}
	}
	return false;
}

void gather_copy_done(struct shard *sh, struct pending *p)
{
	buf_move(&p->reply, &p->parts[0]);
	pending_finish(sh, p);
}

static void sum_done(struct shard *sh, struct pending *p)
{
	if (!gather_first_error(p, sh->nshards, &p->reply)) {
		long long sum = 0;
		for (unsigned i = 0; i < sh->nshards; i++) {
			struct buf *b = &p->parts[i];
			long long v;
			if (buf_live(b) > 3 && buf_head(b)[0] == ':' &&
			    parse_ll(buf_head(b) + 1, buf_live(b) - 3, &v))
				sum += v;
		}
		reply_int(&p->reply, sum);
	}
	pending_finish(sh, p);
}

static void ok_done(struct shard *sh, struct pending *p)
{
	if (!gather_first_error(p, sh->nshards, &p->reply))
		reply_ok(&p->reply);
	pending_finish(sh, p);
}

/* Skip a part's aggregate header; returns the offset of its first element. */
static size_t elements_start(struct buf *b, long long *count)
{
	size_t head = 0;
	*count = 0;
	if (buf_live(b) == 0 || resp_aggregate_header(buf_head(b), buf_live(b), count, &head) != 1)
		return buf_live(b);
	return head;
}

static void concat_done(struct shard *sh, struct pending *p)
{
	if (!gather_first_error(p, sh->nshards, &p->reply)) {
		long long total = 0, n;
		for (unsigned i = 0; i < sh->nshards; i++) {
			elements_start(&p->parts[i], &n);
			total += n;
		}
		reply_array(&p->reply, total);
		for (unsigned i = 0; i < sh->nshards; i++) {
			struct buf *b = &p->parts[i];
			size_t at = elements_start(b, &n);
			buf_append(&p->reply, buf_head(b) + at, buf_live(b) - at);
		}
	}
	pending_finish(sh, p);
}

/* MGET: p->scratch holds one uint16_t shard id per key in request order;
 * each shard's array holds its keys' values in that same relative order. */
static void mget_done(struct shard *sh, struct pending *p)
{
	if (!gather_first_error(p, sh->nshards, &p->reply)) {
		size_t nkeys = buf_live(&p->scratch) / sizeof(uint16_t);
		const uint16_t *owner = (const uint16_t *)buf_head(&p->scratch);
		size_t cursor[sh->nshards];
		long long n;
		for (unsigned i = 0; i < sh->nshards; i++)
			cursor[i] = elements_start(&p->parts[i], &n);
		reply_array(&p->reply, (long long)nkeys);
		for (size_t k = 0; k < nkeys; k++) {
			struct buf *b = &p->parts[owner[k]];
			size_t el = resp_frame_len(buf_head(b) + cursor[owner[k]],
						   buf_live(b) - cursor[owner[k]]);
			buf_append(&p->reply, buf_head(b) + cursor[owner[k]], el);
			cursor[owner[k]] += el;
		}
	}
	pending_finish(sh, p);
}

static void random_done(struct shard *sh, struct pending *p)
{
	unsigned found[sh->nshards], n = 0;
	for (unsigned i = 0; i < sh->nshards; i++) {
		struct buf *b = &p->parts[i];
		if (buf_live(b) && buf_head(b)[0] == '$' && buf_head(b)[1] != '-')
			found[n++] = i;
	}
	if (n == 0)
		reply_null(&p->reply, p->resp);
	else
		buf_move(&p->reply, &p->parts[found[shard_rand(sh) % n]]);
	pending_finish(sh, p);
}

pending_done_fn gather_done_fn(enum gather g)
{
	switch (g) {
	case GATHER_SUM: return sum_done;
	case GATHER_MGET: return mget_done;
	case GATHER_OK: return ok_done;
	case GATHER_CONCAT_ARRAY: return concat_done;
	case GATHER_RANDOM: return random_done;
	case GATHER_NONE: break;
	}
	return gather_copy_done;
}
