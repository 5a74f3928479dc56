/* What the two kernel backends (uring_shard.c, epoll_shard.c) share around
 * their loops: per shard a SO_REUSEPORT listener and an eventfd that other
 * threads write to wake it, opened before the shard threads start; and at
 * the end, after the threads stopped, the connections still open, the
 * listeners and the eventfds to close. Each backend keeps its own per-shard
 * struct, which begins with a struct kernel_shard, and says in a struct
 * kernel_shard_kind how it differs. */
#ifndef TESSERA_KERNEL_SHARDS_H
#define TESSERA_KERNEL_SHARDS_H

#include <stdbool.h>
#include <stddef.h>

struct engine;

struct kernel_shard {
	int listen_fd;
	int event_fd;                /* kernel_shard_wake() writes it */
};

struct kernel_shard_kind {
	size_t size;                 /* of the backend's per-shard struct */
	bool accept_loop;            /* it accepts until EAGAIN */
	/* At fini, for a connection still open: close its socket and free it
	 * (the engine frees the client). */
	void (*close_conn)(void *conn);
	/* At fini: free what the shard's thread set up, if it got that far. */
	void (*close_shard)(void *shard);
};

/* For init: eng->dataplane becomes nshards zeroed structs of kind->size
 * bytes, each with its listener and eventfd open. 0 or a negative errno,
 * having logged why; kernel_shards_close() then frees what was opened. */
int kernel_shards_open(struct engine *eng, const struct kernel_shard_kind *kind);
/* The backend's struct for shard `id`. */
void *kernel_shard_at(struct engine *eng, unsigned id);
/* The backends' wake: any thread may call it. */
void kernel_shard_wake(struct engine *eng, unsigned id);
/* The backends' fini. */
void kernel_shards_close(struct engine *eng);

#endif
