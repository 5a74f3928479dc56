/* The kernel backend's fallback where io_uring is refused (some containers
 * answer io_uring_setup with EPERM or ENOSYS): the same shard loop on epoll,
 * with non-blocking sockets, read() into one per-shard buffer and write()
 * of each client's replies once per iteration. Slower per request than
 * io_uring (a system call per read and per write), but it runs anywhere.
 */
#include <errno.h>
#include <numa.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../backend.h"
#include "../shard_startup.h"
#include "base/config.h"
#include "base/log.h"
#include "kernel_shards.h"
#include "listener.h"
#include "loop/client_input.h"
#include "loop/client_output.h"
#include "loop/shard_loop.h"
#include "request/client.h"
#include "shard/shard.h"
#include "shard/shard_msg.h"

#define EVENTS_PER_WAIT 256
#define READ_BUFFER_SIZE (64 * 1024)

struct epoll_conn {
	int fd;
	bool want_write;             /* EPOLLOUT armed: the socket was full */
	bool input_ended;            /* read returned 0: EPOLLIN no longer armed */
	bool paused;                 /* backpressure: EPOLLIN off while replies wait */
	struct client *client;
};

struct epoll_shard {
	struct kernel_shard k;       /* first: the part kernel_shards.c opens */
	struct shard *sh;            /* set by run_shard: kernel_shards.c knows only k */
	int epfd;
	char *rbuf;
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

/* A burst of connections is taken a batch per loop iteration (the listener
 * is level-triggered): replies to clients already connected go out between
 * batches instead of after the whole burst. */
#define ACCEPTS_PER_ITERATION 64

static void accept_all(struct epoll_shard *es)
{
	for (int n = 0; n < ACCEPTS_PER_ITERATION; n++) {
		int fd = accept4(es->k.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
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
/* EPOLLIN until the input ended and while not paused, EPOLLOUT while the
 * socket is full. Once neither, only EPOLLHUP/EPOLLERR wake us: the peer's
 * full close. */
static void set_events(struct epoll_shard *es, struct epoll_conn *cn)
{
	uint32_t events = (cn->input_ended || cn->paused ? 0 : EPOLLIN) |
			  (cn->want_write ? EPOLLOUT : 0);
	struct epoll_event ev = { .events = events, .data.ptr = cn };
	epoll_ctl(es->epfd, EPOLL_CTL_MOD, cn->fd, &ev);
}

static bool read_all(struct epoll_shard *es, struct epoll_conn *cn)
{
	for (;;) {
		ssize_t n = read(cn->fd, es->rbuf, READ_BUFFER_SIZE);
		if (n > 0) {
			client_feed(cn->client, es->rbuf, (size_t)n);
			/* Paused: the rest stays in the socket (the output walk
			 * turns EPOLLIN off). */
			if (n < READ_BUFFER_SIZE || cn->client->input_paused)
				return true;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n == 0 && !cn->input_ended) {
			/* A half-close: stop reading, answer what was received,
			 * then close (the sink's close does). */
			cn->input_ended = true;
			set_events(es, cn);
			client_input_ended(cn->client);
			return true;
		}
		conn_close(es, cn);
		return false;
	}
}

static void set_want_write(struct epoll_shard *es, struct epoll_conn *cn, bool want)
{
	if (cn->want_write == want)
		return;
	cn->want_write = want;
	set_events(es, cn);
}

/* output_sink.send: write until the socket is full; EPOLLOUT then marks
 * the client dirty again. */
static bool epoll_send_output(void *backend, struct client *c)
{
	struct epoll_shard *es = backend;
	struct epoll_conn *cn = c->conn;
	while (buf_live(&c->out)) {
		ssize_t n = send(cn->fd, buf_head(&c->out), buf_live(&c->out), MSG_NOSIGNAL);
		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			set_want_write(es, cn, true);
			return true;
		}
		conn_close(es, cn);
		return false;
	}
	set_want_write(es, cn, false);
	return true;
}

static void epoll_close_output(void *backend, struct client *c)
{
	conn_close(backend, c->conn);
}

/* output_sink.reading: level-triggered EPOLLIN comes back with whatever
 * waited in the socket. */
static void epoll_reading(void *backend, struct client *c, bool on)
{
	struct epoll_conn *cn = c->conn;
	if (cn->paused == !on)
		return;
	cn->paused = !on;
	set_events(backend, cn);
}

static void epoll_run_shard(struct engine *eng, unsigned id)
{
	struct epoll_shard *es = kernel_shard_at(eng, id);
	struct shard *sh = eng->shards[id];
	es->sh = sh;
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
	epoll_ctl(es->epfd, EPOLL_CTL_ADD, es->k.listen_fd, &lev);
	epoll_ctl(es->epfd, EPOLL_CTL_ADD, es->k.event_fd, &eev);
	shard_thread_begin(sh);
	shard_startup_report(eng, true);
	const struct output_sink sink = {
		.send = epoll_send_output, .close = epoll_close_output, .reading = epoll_reading,
		.backend = es,
	};
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
				ssize_t ignored = read(es->k.event_fd, &v, sizeof(v));
				(void)ignored;
			} else {
				struct epoll_conn *cn = events[i].data.ptr;
				if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !read_all(es, cn))
					continue;
				if (events[i].events & EPOLLOUT)
					client_mark_dirty(cn->client);
			}
		}
		shard_drain_rings(sh);
		shard_flush_output(sh, &sink);
		shard_flush_outbox(sh);
		shard_tick(sh);
		timeout = shard_prepare_sleep(sh) ? shard_next_tick_ms(sh) : 0;
	}
}

static void epoll_close_conn(void *conn)
{
	struct epoll_conn *cn = conn;
	close(cn->fd);
	free(cn);
}

static void epoll_close_shard(void *shard)
{
	struct epoll_shard *es = shard;
	if (es->epfd > 0)
		close(es->epfd);
	free(es->rbuf);
}

static const struct kernel_shard_kind epoll_kind = {
	.size = sizeof(struct epoll_shard),
	.accept_loop = true,
	.close_conn = epoll_close_conn,
	.close_shard = epoll_close_shard,
};

static int epoll_init(struct engine *eng)
{
	return kernel_shards_open(eng, &epoll_kind);
}

const struct dataplane_backend epoll_backend = {
	.name = "kernel (epoll)",
	.init = epoll_init,
	.run_shard = epoll_run_shard,
	.wake = kernel_shard_wake,
	.fini = kernel_shards_close,
};
