/* How the replies of a command's parts combine into one: the parts of a
 * ROUTE_MULTI command (one per shard that owns some of its keys) or of a
 * ROUTE_ALL command (one per shard). Each kind is a pending's `done`
 * (pending.h), run on the connection's shard once every part is in.
 */
#ifndef TESSERA_GATHER_H
#define TESSERA_GATHER_H

#include <stdbool.h>

#include "request/pending.h"

enum gather {
	GATHER_NONE,
	GATHER_SUM,          /* integer replies added (DEL, EXISTS, DBSIZE) */
	GATHER_MGET,         /* array elements put back in key order */
	GATHER_OK,           /* +OK if every part said +OK */
	GATHER_CONCAT_ARRAY, /* array elements concatenated (KEYS) */
	GATHER_RANDOM,       /* one non-null bulk picked (RANDOMKEY) */
};

/* The `done` of each enum gather. */
pending_done_fn gather_done_fn(enum gather g);
/* One part's reply is the reply (a command run on one other shard). */
void gather_copy_done(struct shard *sh, struct pending *p);
/* Write the first error among parts[0..n) to out; true if there was one. */
bool gather_first_error(struct pending *p, unsigned n, struct buf *out);

#endif
