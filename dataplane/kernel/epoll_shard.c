/* The kernel backend's fallback where io_uring is refused (some containers
 * answer io_uring_setup with EPERM or ENOSYS): the same shard loop on epoll,
 * with non-blocking sockets, read() into one per-shard buffer and write()
 * of each client's replies once per iteration. Slower per request than
 * io_uring (a system call per read and per write), but it runs anywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../backend.h"
#include "../shard_startup.h"
#include "base/config.h"
#include "base/log.h"
#include "listener.h"
#include "loop/client_input.h"
#include "loop/shard_loop.h"
#include "request/client.h"
#include "shard/shard.h"
#include "shard/shard_msg.h"

#define EVENTS_PER_WAIT 256
#define READ_BUFFER_SIZE (64 * 1024)

struct epoll_conn {
	int fd;
	bool want_write;             /* EPOLLOUT armed: the socket was full */
	struct client *client;
};

struct epoll_shard {
	struct shard *sh;
	int epfd, listen_fd, event_fd;
	char *rbuf;
};

struct epoll_state {
	struct epoll_shard *shards;
};

/* Tags in epoll_event.data.u64: pointers are 8-byte aligned. */
enum { TAG_LISTEN = 1, TAG_EVENT = 2 };

static void conn_close(struct epoll_shard *es, struct epoll_conn *cn)
{
	epoll_ctl(es->epfd, EPOLL_CTL_DEL, cn->fd, NULL);
	close(cn->fd);
	if (cn->client) {
		cn->client->conn = NULL;
		client_detach(cn->client);
	}
	free(cn);
}

static void accept_all(struct epoll_shard *es)
{
	for (;;) {
		int fd = accept4(es->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN: done; other errors: try at the next event */
		struct epoll_conn *cn = calloc(1, sizeof(*cn));
		struct client *c = accept_client(es->sh, fd, cn);
		if (!c) {
			free(cn);
			continue;
		}
		cn->fd = fd;
		cn->client = c;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = cn };
		epoll_ctl(es->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* Returns false if the connection was closed. */
static bool read_all(struct epoll_shard *es, struct epoll_conn *cn)
{
	for (;;) {
		ssize_t n = read(cn->fd, es->rbuf, READ_BUFFER_SIZE);
		if (n > 0) {
			client_feed(cn->client, es->rbuf, (size_t)n);
			if (n < READ_BUFFER_SIZE)
				return true;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		conn_close(es, cn);
		return false;
	}
}

static void write_out(struct epoll_shard *es, struct epoll_conn *cn)
{
	struct client *c = cn->client;
	while (buf_live(&c->out)) {
		ssize_t n = send(cn->fd, buf_head(&c->out), buf_live(&c->out), MSG_NOSIGNAL);
		if (n > 0) {
			STAT_ADD(es->sh->stats.net_output_bytes, (uint64_t)n);
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			if (!cn->want_write) {
				struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = cn };
				epoll_ctl(es->epfd, EPOLL_CTL_MOD, cn->fd, &ev);
				cn->want_write = true;
			}
			return;
		}
		conn_close(es, cn);
		return;
	}
	if (cn->want_write) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = cn };
		epoll_ctl(es->epfd, EPOLL_CTL_MOD, cn->fd, &ev);
		cn->want_write = false;
	}
	if (c->close_asap)
		conn_close(es, cn);
}

static void flush_dirty_clients(struct epoll_shard *es)
{
	struct shard *sh = es->sh;
	for (unsigned i = 0; i < sh->ndirty; i++) {
		struct client *c = sh->dirty[i];
		c->dirty = false;
		if (!c->detached && c->conn)
			write_out(es, c->conn);
	}
	sh->ndirty = 0;
}

static void epoll_run_shard(struct engine *eng, unsigned id)
{
	struct epoll_state *st = eng->dataplane;
	struct epoll_shard *es = &st->shards[id];
	struct shard *sh = es->sh;
	if (numa_available() >= 0)
		numa_set_localalloc();
	es->rbuf = malloc(READ_BUFFER_SIZE);
	es->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!es->rbuf || es->epfd < 0) {
		shard_startup_report(eng, false);
		return;
	}
	struct epoll_event lev = { .events = EPOLLIN, .data.u64 = TAG_LISTEN };
	struct epoll_event eev = { .events = EPOLLIN, .data.u64 = TAG_EVENT };
	epoll_ctl(es->epfd, EPOLL_CTL_ADD, es->listen_fd, &lev);
	epoll_ctl(es->epfd, EPOLL_CTL_ADD, es->event_fd, &eev);
	shard_startup_report(eng, true);
	struct epoll_event events[EVENTS_PER_WAIT];
	int timeout = 0;
	while (!atomic_load_explicit(&eng->shutdown_requested, memory_order_relaxed)) {
		int n = epoll_wait(es->epfd, events, EVENTS_PER_WAIT, timeout);
		shard_woke(sh);
		shard_update_clock(sh);
		for (int i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;
			if (tag == TAG_LISTEN) {
				accept_all(es);
			} else if (tag == TAG_EVENT) {
				uint64_t v;
				ssize_t ignored = read(es->event_fd, &v, sizeof(v));
				(void)ignored;
			} else {
				struct epoll_conn *cn = events[i].data.ptr;
				if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !read_all(es, cn))
					continue;
				if (events[i].events & EPOLLOUT)
					write_out(es, cn);
			}
		}
		shard_drain_rings(sh);
		flush_dirty_clients(es);
		shard_flush_outbox(sh);
		shard_tick(sh);
		timeout = shard_prepare_sleep(sh) ? shard_next_tick_ms(sh) : 0;
	}
}

static void epoll_wake(struct engine *eng, unsigned id)
{
	struct epoll_state *st = eng->dataplane;
	uint64_t one = 1;
	ssize_t ignored = write(st->shards[id].event_fd, &one, sizeof(one));
	(void)ignored;
}

static int epoll_init(struct engine *eng)
{
	struct epoll_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	eng->dataplane = st;
	st->shards = calloc(eng->nshards, sizeof(*st->shards));
	if (!st->shards)
		return -ENOMEM;
	for (unsigned i = 0; i < eng->nshards; i++) {
		struct epoll_shard *es = &st->shards[i];
		char err[256];
		es->sh = eng->shards[i];
		es->epfd = -1;
		es->listen_fd = listener_open(CFG(bind), (int)CFG(port), i == 0, err, sizeof(err));
		if (es->listen_fd < 0) {
			log_msg(LOG_WARNING, "%s", err);
			return es->listen_fd;
		}
		/* accept4 in a loop needs a listener that does not block. */
		fcntl(es->listen_fd, F_SETFL, fcntl(es->listen_fd, F_GETFL) | O_NONBLOCK);
		es->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (es->event_fd < 0)
			return -errno;
	}
	return 0;
}

static void epoll_fini(struct engine *eng)
{
	struct epoll_state *st = eng->dataplane;
	if (!st)
		return;
	for (unsigned i = 0; i < eng->nshards; i++) {
		struct epoll_shard *es = &st->shards[i];
		if (!es->sh)
			break; /* init stopped before this shard */
		for (struct client *c = es->sh->clients; c; c = c->next) {
			struct epoll_conn *cn = c->conn;
			if (cn) {
				close(cn->fd);
				free(cn);
				c->conn = NULL;
			}
		}
		if (es->listen_fd > 0)
			listener_close(es->listen_fd);
		if (es->epfd > 0)
			close(es->epfd);
		if (es->event_fd > 0)
			close(es->event_fd);
		free(es->rbuf);
	}
	free(st->shards);
	free(st);
	eng->dataplane = NULL;
}

const struct dataplane_backend epoll_backend = {
	.name = "kernel (epoll)",
	.init = epoll_init,
	.run_shard = epoll_run_shard,
	.wake = epoll_wake,
	.fini = epoll_fini,
};
