#include "kernel_shards.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/config.h"
#include "base/log.h"
#include "listener.h"
#include "request/client.h"
#include "shard/shard.h"

/* eng->dataplane of a kernel backend. */
struct kernel_shards {
	const struct kernel_shard_kind *kind;
	char *shards;                /* nshards structs of kind->size bytes */
};

static int open_shard(struct kernel_shard *k, unsigned id, bool accept_loop)
{
	char err[256];
	k->listen_fd = listener_open(CFG(bind), (int)CFG(port), id == 0, err, sizeof(err));
	if (k->listen_fd < 0) {
		log_msg(LOG_WARNING, "%s", err);
		return k->listen_fd;
	}
	/* accept4 in a loop needs a listener that does not block. */
	if (accept_loop)
		fcntl(k->listen_fd, F_SETFL, fcntl(k->listen_fd, F_GETFL) | O_NONBLOCK);
	k->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return k->event_fd < 0 ? -errno : 0;
}

int kernel_shards_open(struct engine *eng, const struct kernel_shard_kind *kind)
{
	struct kernel_shards *ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	eng->dataplane = ks;
	ks->kind = kind;
	ks->shards = calloc(eng->nshards, kind->size);
	if (!ks->shards)
		return -ENOMEM;
	for (unsigned i = 0; i < eng->nshards; i++) {
		int rc = open_shard(kernel_shard_at(eng, i), i, kind->accept_loop);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void *kernel_shard_at(struct engine *eng, unsigned id)
{
	struct kernel_shards *ks = eng->dataplane;
	return ks->shards + (size_t)id * ks->kind->size;
}

void kernel_shard_wake(struct engine *eng, unsigned id)
{
	struct kernel_shard *k = kernel_shard_at(eng, id);
	uint64_t one = 1;
	ssize_t ignored = write(k->event_fd, &one, sizeof(one));
	(void)ignored;
}

/* Connections still open at shutdown: close them; the engine frees clients. */
static void close_connections(struct shard *sh, void (*close_conn)(void *conn))
{
	for (struct client *c = sh->clients; c; c = c->next) {
		if (!c->conn)
			continue;
		close_conn(c->conn);
		c->conn = NULL;
	}
}

void kernel_shards_close(struct engine *eng)
{
	struct kernel_shards *ks = eng->dataplane;
	if (!ks)
		return;
	for (unsigned i = 0; ks->shards && i < eng->nshards; i++) {
		struct kernel_shard *k = kernel_shard_at(eng, i);
		close_connections(eng->shards[i], ks->kind->close_conn);
		/* A zero fd: init stopped before this shard. */
		if (k->listen_fd > 0)
			listener_close(k->listen_fd);
		ks->kind->close_shard(k);
		if (k->event_fd > 0)
			close(k->event_fd);
	}
	free(ks->shards);
	free(ks);
	eng->dataplane = NULL;
}
