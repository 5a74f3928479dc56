#include "tcp_clients.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "loop/client_input.h"
#include "loop/client_output.h"
#include "request/client.h"
#include "shard/shard.h"

static void format_addr(char *out, size_t n, uint32_t addr, uint16_t port)
{
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	snprintf(out, n, "%s:%u", ip, ntohs(port));
}

static void *on_accepted(void *ctx, struct tcb *t)
{
	struct shard *sh = ctx;
	char addr[64], laddr[64];
	format_addr(addr, sizeof(addr), t->raddr, t->rport);
	format_addr(laddr, sizeof(laddr), t->laddr, t->lport);
	struct client *c = client_create(sh, t, -1, addr, laddr);
	if (!c) {
		const char *msg = client_reject_text();
		tcp_send(t, msg, strlen(msg));
		tcp_close(t);
	}
	return c;
}

static void on_received(void *ctx, void *upper, uint8_t *data, size_t len)
{
	(void)ctx;
	client_feed(upper, (char *)data, len);
}

/* The send queue had been full and has room again: the rest of the reply
 * still waits in the client's output buffer. */
static void on_writable(void *ctx, void *upper)
{
	(void)ctx;
	client_mark_dirty(upper);
}

static void on_closed(void *ctx, void *upper)
{
	(void)ctx;
	struct client *c = upper;
	c->conn = NULL;
	client_detach(c);
}

/* A FIN: answer what was received, then close (the output sink does). */
static void on_peer_closed(void *ctx, void *upper)
{
	(void)ctx;
	client_input_ended(upper);
}

const struct tcp_upcalls tcp_client_upcalls = {
	.accepted = on_accepted, .received = on_received, .writable = on_writable,
	.closed = on_closed, .peer_closed = on_peer_closed,
};

/* output_sink.send: as much as the connection's send queue takes; the
 * `writable` upcall marks the client dirty again when it has room. */
static bool tcp_send_output(void *backend, struct client *c)
{
	(void)backend;
	buf_consume(&c->out, tcp_send(c->conn, buf_head(&c->out), buf_live(&c->out)));
	return true;
}

/* output_sink.close. A killed client (CLIENT KILL, an output limit,
 * maxmemory-clients, the idle timeout) whose replies still wait in the
 * send queue may never read them: a FIN would wait behind them, and the
 * zero window be probed for ever. Reset it; one with nothing queued gets
 * its FIN as usual. */
static void tcp_close_output(void *backend, struct client *c)
{
	(void)backend;
	struct tcb *t = c->conn;
	c->conn = NULL;
	if (c->output_dropped && t->sndq_len > 0)
		tcp_abort(t);
	else
		tcp_close(t);
	client_detach(c);
}

/* output_sink.reading: the peer's window closes while replies wait. */
static void tcp_reading(void *backend, struct client *c, bool on)
{
	(void)backend;
	tcp_set_receiving(c->conn, on);
}

static const struct output_sink tcp_sink = {
	.send = tcp_send_output, .close = tcp_close_output, .reading = tcp_reading,
};

void tcp_clients_flush(struct shard *sh)
{
	shard_flush_output(sh, &tcp_sink);
}
