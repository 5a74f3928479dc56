/* The kernel backend: one io_uring per shard.
 *
 * Per shard: a SO_REUSEPORT listener with multishot accept; per connection a
 * multishot recv that draws buffers from the shard's provided-buffer ring;
 * replies sent with one send per connection in flight, batched into one
 * io_uring_submit per loop iteration. An idle shard sleeps in
 * io_uring_submit_and_wait_timeout until a completion, its next timer, or an
 * eventfd write from another shard that queued it a message.
 *
 * user_data packs a pointer and a 3-bit tag (objects are 8-byte aligned).
 */
#include <errno.h>
#include <liburing.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

#define RING_ENTRIES 4096
#define RECV_BUFFERS 256          /* power of two: the buffer ring's size */
#define RECV_BUFFER_SIZE (16 * 1024)
#define BUFFER_GROUP 0
#define OUT_BUFFER_KEEP (64 * 1024)   /* an idle output buffer bigger is freed */

enum tag { TAG_ACCEPT = 1, TAG_RECV, TAG_SEND, TAG_EVENT, TAG_CANCEL };

struct conn {
	int fd;
	int ops;                 /* SQEs in flight that name this conn */
	bool send_inflight;
	bool recv_armed;         /* a multishot recv is in flight */
	bool recv_cancelled;     /* ... and asked to end (backpressure) */
	bool closing;            /* shutdown() done; freed when ops reaches 0 */
	struct client *client;
	struct buf sending;      /* frozen while its send is in flight */
};

struct uring_shard {
	struct kernel_shard k;   /* first: the part kernel_shards.c opens */
	struct shard *sh;        /* set by run_shard: kernel_shards.c knows only k */
	struct io_uring ring;
	uint64_t event_value;
	struct io_uring_buf_ring *buf_ring;
	char *buffers;
	bool accepting;
};

static inline uint64_t pack(void *p, enum tag t)
{
	return (uint64_t)(uintptr_t)p | (uint64_t)t;
}

static inline void *unpack_ptr(uint64_t ud)
{
	return (void *)(uintptr_t)(ud & ~7ULL);
}

static struct io_uring_sqe *get_sqe(struct uring_shard *us)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&us->ring);
	while (!sqe) {
		/* The submission queue is full: hand it to the kernel and retry. */
		io_uring_submit(&us->ring);
		sqe = io_uring_get_sqe(&us->ring);
	}
	return sqe;
}

/* ---- set-up ------------------------------------------------------------- */

static int setup_ring(struct io_uring *ring)
{
	struct io_uring_params p = { 0 };
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN;
	int rc = io_uring_queue_init_params(RING_ENTRIES, ring, &p);
	if (rc == -EINVAL) {
		/* Kernels before 6.1 know neither flag; run without them. */
		memset(&p, 0, sizeof(p));
		rc = io_uring_queue_init_params(RING_ENTRIES, ring, &p);
	}
	return rc;
}

/* liburing 2.3 has no io_uring_setup_buf_ring: map and register by hand. */
static int setup_buffers(struct uring_shard *us)
{
	size_t ring_bytes = RECV_BUFFERS * sizeof(struct io_uring_buf);
	void *mem = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	us->buf_ring = mem;
	struct io_uring_buf_reg reg = { .ring_addr = (uint64_t)(uintptr_t)mem,
					.ring_entries = RECV_BUFFERS, .bgid = BUFFER_GROUP };
	int rc = io_uring_register_buf_ring(&us->ring, &reg, 0);
	if (rc < 0)
		return rc;
	io_uring_buf_ring_init(us->buf_ring);
	us->buffers = malloc((size_t)RECV_BUFFERS * RECV_BUFFER_SIZE);
	if (!us->buffers)
		return -ENOMEM;
	for (unsigned i = 0; i < RECV_BUFFERS; i++)
		io_uring_buf_ring_add(us->buf_ring, us->buffers + (size_t)i * RECV_BUFFER_SIZE,
				      RECV_BUFFER_SIZE, (unsigned short)i,
				      io_uring_buf_ring_mask(RECV_BUFFERS), (int)i);
	io_uring_buf_ring_advance(us->buf_ring, RECV_BUFFERS);
	return 0;
}

static void recycle_buffer(struct uring_shard *us, unsigned bid)
{
	io_uring_buf_ring_add(us->buf_ring, us->buffers + (size_t)bid * RECV_BUFFER_SIZE,
			      RECV_BUFFER_SIZE, (unsigned short)bid,
			      io_uring_buf_ring_mask(RECV_BUFFERS), 0);
	io_uring_buf_ring_advance(us->buf_ring, 1);
}

/* ---- submissions -------------------------------------------------------- */

static void arm_accept(struct uring_shard *us)
{
	struct io_uring_sqe *sqe = get_sqe(us);
	io_uring_prep_multishot_accept(sqe, us->k.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, pack(NULL, TAG_ACCEPT));
	us->accepting = true;
}

static void arm_recv(struct uring_shard *us, struct conn *cn)
{
	struct io_uring_sqe *sqe = get_sqe(us);
	io_uring_prep_recv_multishot(sqe, cn->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUFFER_GROUP;
	io_uring_sqe_set_data64(sqe, pack(cn, TAG_RECV));
	cn->ops++;
	cn->recv_armed = true;
	cn->recv_cancelled = false;
}

/* Backpressure: end the multishot recv; what the kernel already took still
 * arrives and waits in the client's query buffer. The cancel counts as an
 * op, so the conn outlives it. */
static void cancel_recv(struct uring_shard *us, struct conn *cn)
{
	struct io_uring_sqe *sqe = get_sqe(us);
	io_uring_prep_cancel64(sqe, pack(cn, TAG_RECV), 0);
	io_uring_sqe_set_data64(sqe, pack(cn, TAG_CANCEL));
	cn->ops++;
	cn->recv_cancelled = true;
}

static void arm_event(struct uring_shard *us)
{
	struct io_uring_sqe *sqe = get_sqe(us);
	io_uring_prep_read(sqe, us->k.event_fd, &us->event_value, sizeof(us->event_value), 0);
	io_uring_sqe_set_data64(sqe, pack(NULL, TAG_EVENT));
}

/* One send copies at most this much: the copy runs on the shard's thread
 * (DEFER_TASKRUN), so a 20 MB KEYS reply in one send would hold up every
 * other client of the shard for its whole copy. */
#define SEND_CHUNK_MAX (256 * 1024)

static void submit_send(struct uring_shard *us, struct conn *cn)
{
	struct io_uring_sqe *sqe = get_sqe(us);
	size_t len = buf_live(&cn->sending);
	io_uring_prep_send(sqe, cn->fd, buf_head(&cn->sending), len < SEND_CHUNK_MAX ? len : SEND_CHUNK_MAX,
			   MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, pack(cn, TAG_SEND));
	cn->send_inflight = true;
	cn->ops++;
}

/* ---- connection life ---------------------------------------------------- */

static void conn_begin_close(struct conn *cn)
{
	if (cn->closing)
		return;
	cn->closing = true;
	/* Ends the multishot recv and any send; their completions free us. */
	shutdown(cn->fd, SHUT_RDWR);
}

static void conn_maybe_free(struct conn *cn)
{
	if (!cn->closing || cn->ops > 0)
		return;
	close(cn->fd);
	if (cn->client)
		client_detach(cn->client);
	buf_free(&cn->sending);
	free(cn);
}

static void on_accept(struct uring_shard *us, struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_MORE))
		us->accepting = false;
	if (cqe->res < 0) {
		if (cqe->res != -EAGAIN && cqe->res != -ECANCELED)
			log_msg(LOG_WARNING, "accept failed: %s", strerror(-cqe->res));
		return;
	}
	int fd = cqe->res;
	struct conn *cn = calloc(1, sizeof(*cn));
	struct client *c = accept_client(us->sh, fd, cn);
	if (!c) {
		free(cn);
		return;
	}
	cn->fd = fd;
	cn->client = c;
	arm_recv(us, cn);
}

static void on_recv(struct uring_shard *us, struct conn *cn, struct io_uring_cqe *cqe)
{
	bool more = cqe->flags & IORING_CQE_F_MORE;
	if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		if (!cn->closing)
			client_feed(cn->client, us->buffers + (size_t)bid * RECV_BUFFER_SIZE,
				    (size_t)cqe->res);
		recycle_buffer(us, bid);
	}
	if (more)
		return;
	cn->ops--;
	cn->recv_armed = false;
	/* Ended with every buffer busy (they are back now), or by the kernel,
	 * or by cancel_recv: listen again unless paused (uring_reading arms
	 * it when the client resumes). */
	if ((cqe->res > 0 || cqe->res == -ENOBUFS || cqe->res == -ECANCELED) && !cn->closing) {
		if (!cn->client->input_paused)
			arm_recv(us, cn);
		return;
	}
	if (cqe->res == 0 && !cn->closing) {
		/* A half-close: answer what was received, then close (the
		 * sink's close does, with no recv armed any more). */
		client_input_ended(cn->client);
		return;
	}
	conn_begin_close(cn);
	conn_maybe_free(cn);
}

/* output_sink.send: c->out becomes the connection's frozen `sending`
 * buffer, unless a send is in flight (its completion marks the client dirty
 * again). */
static bool uring_send_output(void *backend, struct client *c)
{
	struct conn *cn = c->conn;
	if (cn->send_inflight || cn->closing)
		return true;
	struct buf tmp = cn->sending;
	cn->sending = c->out;
	c->out = tmp;
	c->out.start = c->out.len = 0;
	/* The last big reply's buffer is not kept for the next small one:
	 * with one in `sending` too, a client would hold twice its peak. */
	if (c->out.cap > OUT_BUFFER_KEEP)
		buf_free(&c->out);
	c->out_held = buf_live(&cn->sending);
	submit_send(backend, cn);
	return true;
}

/* output_sink.reading */
static void uring_reading(void *backend, struct client *c, bool on)
{
	struct conn *cn = c->conn;
	if (cn->closing || c->input_ended)
		return;
	if (on && !cn->recv_armed)
		arm_recv(backend, cn);
	else if (!on && cn->recv_armed && !cn->recv_cancelled)
		cancel_recv(backend, cn);
}

static void uring_close_output(void *backend, struct client *c)
{
	(void)backend;
	struct conn *cn = c->conn;
	if (cn->send_inflight && !c->output_dropped)
		return; /* its completion marks the client dirty again */
	conn_begin_close(cn); /* ends a send in flight too */
	/* Nothing may be in flight to free it later (input ended: no recv). */
	conn_maybe_free(cn);
}

static void on_send(struct uring_shard *us, struct conn *cn, struct io_uring_cqe *cqe)
{
	cn->ops--;
	cn->send_inflight = false;
	if (cqe->res < 0 || cn->closing) {
		conn_begin_close(cn);
		conn_maybe_free(cn);
		return;
	}
	buf_consume(&cn->sending, (size_t)cqe->res);
	cn->client->out_held = buf_live(&cn->sending);
	if (buf_live(&cn->sending)) {
		submit_send(us, cn);
		return;
	}
	/* Replies that came meanwhile, or a close that waited for this send:
	 * the next shard_flush_output() takes them. Most completions find
	 * neither, and add nothing to the walk. */
	struct client *c = cn->client;
	if (buf_live(&c->out) || c->close_asap || c->input_ended || c->input_paused)
		client_mark_dirty(c);
}

static void on_event(struct uring_shard *us, struct io_uring_cqe *cqe)
{
	(void)cqe;
	arm_event(us);
}

/* Completions handled per loop iteration: a burst (2,000 connections
 * arriving or reset at once) is taken in batches, and replies to the
 * clients already served go out between them. */
#define COMPLETIONS_PER_ITERATION 256

static unsigned process_completions(struct uring_shard *us)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	io_uring_for_each_cqe(&us->ring, head, cqe) {
		if (n == COMPLETIONS_PER_ITERATION)
			break;
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		void *ptr = unpack_ptr(ud);
		switch ((enum tag)(ud & 7)) {
		case TAG_ACCEPT: on_accept(us, cqe); break;
		case TAG_RECV: on_recv(us, ptr, cqe); break;
		case TAG_SEND: on_send(us, ptr, cqe); break;
		case TAG_EVENT: on_event(us, cqe); break;
		case TAG_CANCEL:
			((struct conn *)ptr)->ops--;
			conn_maybe_free(ptr);
			break;
		}
		n++;
	}
	io_uring_cq_advance(&us->ring, n);
	return n;
}

/* ---- the loop ----------------------------------------------------------- */

static void wait_for_work(struct uring_shard *us)
{
	struct shard *sh = us->sh;
	struct io_uring_cqe *cqe;
	if (io_uring_cq_ready(&us->ring) || !shard_prepare_sleep(sh)) {
		/* With DEFER_TASKRUN, arrivals are posted only when we enter the
		 * kernel for events: while sliced work (KEYS, eviction, expiry)
		 * keeps the loop from sleeping, ask for them every iteration, or
		 * other clients would wait for the whole job. */
		if (shard_background_work(sh))
			io_uring_submit_and_get_events(&us->ring);
		else
			io_uring_submit(&us->ring);
		return;
	}
	int ms = shard_next_tick_ms(sh);
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long long)(ms % 1000) * 1000000 };
	io_uring_submit_and_wait_timeout(&us->ring, &cqe, 1, &ts, NULL);
	shard_woke(sh);
}

static int setup_shard_ring(struct uring_shard *us)
{
	int rc = setup_ring(&us->ring);
	if (rc < 0) {
		log_msg(LOG_WARNING, "io_uring is not available here (%s); the kernel backend needs it",
			strerror(-rc));
		return rc;
	}
	if ((rc = setup_buffers(us)) < 0) {
		log_msg(LOG_WARNING, "could not register receive buffers: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

static void kernel_run_shard(struct engine *eng, unsigned id)
{
	struct uring_shard *us = kernel_shard_at(eng, id);
	struct shard *sh = eng->shards[id];
	us->sh = sh;
	if (numa_available() >= 0)
		numa_set_localalloc();
	/* The ring is created by the thread that submits to it: SINGLE_ISSUER
	 * ties it to its creator. */
	if (setup_shard_ring(us) < 0) {
		shard_startup_report(eng, false);
		return;
	}
	shard_thread_begin(sh);
	shard_startup_report(eng, true);
	const struct output_sink sink = {
		.send = uring_send_output, .close = uring_close_output, .reading = uring_reading,
		.backend = us,
	};
	arm_accept(us);
	arm_event(us);
	while (!atomic_load_explicit(&eng->shutdown_requested, memory_order_relaxed)) {
		shard_update_clock(sh);
		process_completions(us);
		shard_drain_rings(sh);
		shard_flush_output(sh, &sink);
		shard_flush_outbox(sh);
		/* A pending slice (expiry, KEYS, eviction) runs in shard_tick:
		 * send this iteration's replies first, not after the slice. */
		if (shard_background_work(sh))
			io_uring_submit(&us->ring);
		shard_tick(sh);
		if (!us->accepting)
			arm_accept(us);
		wait_for_work(us);
	}
}

static void uring_close_conn(void *conn)
{
	struct conn *cn = conn;
	close(cn->fd);
	buf_free(&cn->sending);
	free(cn);
}

static void uring_close_shard(void *shard)
{
	struct uring_shard *us = shard;
	if (us->buf_ring)
		io_uring_queue_exit(&us->ring);
	free(us->buffers);
}

static const struct kernel_shard_kind uring_kind = {
	.size = sizeof(struct uring_shard),
	.close_conn = uring_close_conn,
	.close_shard = uring_close_shard,
};

static int kernel_init(struct engine *eng)
{
	return kernel_shards_open(eng, &uring_kind);
}

bool kernel_io_uring_available(char *why, unsigned whylen)
{
	struct io_uring ring;
	int rc = io_uring_queue_init(2, &ring, 0);
	if (rc < 0) {
		snprintf(why, whylen, "%s", strerror(-rc));
		return false;
	}
	io_uring_queue_exit(&ring);
	return true;
}

const struct dataplane_backend kernel_backend = {
	.name = "kernel",
	.init = kernel_init,
	.run_shard = kernel_run_shard,
	.wake = kernel_shard_wake,
	.fini = kernel_shards_close,
};
