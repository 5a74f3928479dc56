/* A fake transmit path for the dataplane/net unit tests, and the two
 * hosts of net_test_hosts.h: alloc hands out static buffers, send records
 * them in order.
 * Header-only, included once per test program. */
#ifndef TESSERA_NET_FAKE_TX_H
#define TESSERA_NET_FAKE_TX_H

#include <stdbool.h>
#include <string.h>

#include "net_stack.h"
#include "net_test_hosts.h"

/* ---- a fake transmit path: alloc hands out static buffers, send records --- */

#define FAKE_FRAMES 8
#define FAKE_CAP 2048

struct fake_tx {
	uint8_t buf[FAKE_FRAMES][FAKE_CAP];
	size_t len[FAKE_FRAMES];
	unsigned nalloc, nsent;
	bool fail;
};

static inline uint8_t *fake_alloc(void *ctx, size_t len, void **handle)
{
	struct fake_tx *f = ctx;

	if (f->fail || f->nalloc == FAKE_FRAMES || len > FAKE_CAP)
		return NULL;
	memset(f->buf[f->nalloc], 0xa5, FAKE_CAP);     /* unwritten bytes show */
	*handle = f->buf[f->nalloc];
	return f->buf[f->nalloc++];
}

static inline void fake_send(void *ctx, void *handle, size_t len)
{
	struct fake_tx *f = ctx;

	/* Frames are sent in the order they were allocated. */
	if (handle == f->buf[f->nsent] && f->nsent < FAKE_FRAMES)
		f->len[f->nsent++] = len;
}

static const struct net_tx_ops fake_ops = { .alloc = fake_alloc, .send = fake_send };

#endif
