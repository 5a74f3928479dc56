/* TCP connections of one shard: the 4-tuple hash, creation, freeing, the
 * send queue, and the timers (retransmission, TIME-WAIT, keepalive,
 * delayed ACK). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net_stack.h"
#include "tcp.h"
#include "tcp_internal.h"

#define TCP_BUCKETS 4096   /* power of two; chains stay short at 10k connections */

int tcp_layer_init(struct tcp_layer *tl, uint16_t listen_port, const struct tcp_upcalls *up,
		   void *up_ctx, uint32_t seed)
{
	memset(tl, 0, sizeof(*tl));
	tl->buckets = calloc(TCP_BUCKETS, sizeof(*tl->buckets));
	if (!tl->buckets)
		return -ENOMEM;
	tl->nbuckets = TCP_BUCKETS;
	tl->listen_port = listen_port;
	tl->up = up;
	tl->up_ctx = up_ctx;
	tl->iss_seed = seed;
	tl->cookie_secret = seed * 0x9E3779B1u ^ 0x5bd1e995u;
	return 0;
}

void tcp_layer_fini(struct net_stack *ns)
{
	struct tcp_layer *tl = &ns->tcp;
	for (unsigned b = 0; tl->buckets && b < tl->nbuckets; b++) {
		while (tl->buckets[b])
			tcp_free(ns, tl->buckets[b]);
	}
	free(tl->buckets);
	tl->buckets = NULL;
}

static unsigned tuple_hash(const struct tcp_layer *tl, uint32_t raddr, uint16_t rport,
			   uint32_t laddr, uint16_t lport)
{
	uint32_t h = raddr * 0x9E3779B1u ^ ((uint32_t)rport << 16 | lport) * 0x85EBCA77u ^ laddr;
	h ^= h >> 15;
	return h & (tl->nbuckets - 1);
}

struct tcb *tcp_lookup(struct net_stack *ns, uint32_t raddr, uint16_t rport, uint32_t laddr,
		       uint16_t lport)
{
	struct tcp_layer *tl = &ns->tcp;
	struct tcb *t = tl->buckets[tuple_hash(tl, raddr, rport, laddr, lport)];
	for (; t; t = t->hash_next)
		if (t->raddr == raddr && t->rport == rport && t->laddr == laddr && t->lport == lport)
			return t;
	return NULL;
}

/* RFC 6528's idea in small: a clock part so a reused 4-tuple gets a fresh
 * ISS, and a keyed hash so an off-path attacker cannot guess it. */
static uint32_t initial_sequence(struct net_stack *ns, uint32_t raddr, uint16_t rport)
{
	uint32_t h = (raddr ^ ns->tcp.iss_seed) * 0x9E3779B1u + rport * 0x85EBCA77u;
	h ^= h >> 13;
	return h + (uint32_t)(ns->now_ms * 250); /* 4 µs ticks, as RFC 793's clock */
}

struct tcb *tcp_create(struct net_stack *ns, const uint8_t *rmac, uint32_t raddr, uint16_t rport,
		       uint32_t laddr, uint16_t lport)
{
	struct tcp_layer *tl = &ns->tcp;
	struct tcb *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ns = ns;
	t->raddr = raddr;
	t->rport = rport;
	t->laddr = laddr;
	t->lport = lport;
	memcpy(t->rmac, rmac, 6);
	t->state = TCP_LISTEN;
	t->snd.iss = initial_sequence(ns, raddr, rport);
	t->snd.una = t->snd.nxt = t->snd.max = t->snd.iss;
	t->snd.mss = TCP_DEFAULT_MSS;
	t->rcv.wnd = TCP_RECEIVE_WINDOW;
	t->rto_ms = TCP_RTO_INITIAL_MS;
	timer_init(&t->rtx_timer, tcp_retransmit_timeout, t);
	timer_init(&t->time_wait_timer, tcp_time_wait_timeout, t);
	timer_init(&t->keepalive_timer, tcp_keepalive_timeout, t);
	timer_init(&t->delack_timer, tcp_delayed_ack_timeout, t);
	t->ts_offset = initial_sequence(ns, raddr ^ 0x5bd1e995u, lport) * 0x9E3779B1u;
	t->ssthresh = TCP_SSTHRESH_INITIAL;
	unsigned b = tuple_hash(tl, raddr, rport, laddr, lport);
	t->hash_next = tl->buckets[b];
	tl->buckets[b] = t;
	tl->stats.connections_open++;
	return t;
}

static void unlink_flush(struct tcp_layer *tl, struct tcb *t)
{
	if (!t->in_flush_list)
		return;
	for (struct tcb **p = &tl->flush_list; *p; p = &(*p)->flush_next) {
		if (*p == t) {
			*p = t->flush_next;
			break;
		}
	}
	t->in_flush_list = false;
}

void tcp_free(struct net_stack *ns, struct tcb *t)
{
	struct tcp_layer *tl = &ns->tcp;
	if (t->upper && tl->up->closed)
		tl->up->closed(tl->up_ctx, t->upper);
	t->upper = NULL;
	timer_cancel(&t->rtx_timer);
	timer_cancel(&t->time_wait_timer);
	timer_cancel(&t->keepalive_timer);
	timer_cancel(&t->delack_timer);
	unlink_flush(tl, t);
	unsigned b = tuple_hash(tl, t->raddr, t->rport, t->laddr, t->lport);
	for (struct tcb **p = &tl->buckets[b]; *p; p = &(*p)->hash_next) {
		if (*p == t) {
			*p = t->hash_next;
			break;
		}
	}
	if (t->state == TCP_TIME_WAIT)
		tl->stats.time_wait--;
	if (t->state == TCP_SYN_RECEIVED)
		tl->stats.syn_received--;
	tl->stats.connections_open--;
	tcp_ooo_clear(t);
	free(t->sndq);
	free(t);
}

void tcp_ooo_clear(struct tcb *t)
{
	while (t->ooo) {
		struct ooo_segment *o = t->ooo;
		t->ooo = o->next;
		free(o);
	}
	t->ooo_bytes = 0;
	t->ooo_count = 0;
}

void tcp_want_flush(struct tcb *t)
{
	struct tcp_layer *tl = &t->ns->tcp;
	if (t->in_flush_list)
		return;
	t->in_flush_list = true;
	t->flush_next = tl->flush_list;
	tl->flush_list = t;
}

/* ---- the send queue ----------------------------------------------------- */

/* Room for `len` more bytes behind the queue: compact first (the head
 * moved on as bytes were acknowledged), grow only if that is not enough. */
static bool sndq_reserve(struct tcb *t, size_t len)
{
	if (t->sndq_cap - t->sndq_head - t->sndq_len >= len)
		return true;
	if (t->sndq_head) {
		memmove(t->sndq, t->sndq + t->sndq_head, t->sndq_len);
		t->sndq_head = 0;
		if (t->sndq_cap - t->sndq_len >= len)
			return true;
	}
	size_t cap = t->sndq_cap ? t->sndq_cap : 4096;
	while (cap - t->sndq_len < len)
		cap *= 2;
	uint8_t *q = realloc(t->sndq, cap);
	if (!q)
		return false;
	t->sndq = q;
	t->sndq_cap = cap;
	return true;
}

size_t tcp_send(struct tcb *t, const void *data, size_t len)
{
	if (len == 0 || t->fin_queued || !(t->state & (TCP_ESTABLISHED | TCP_CLOSE_WAIT)))
		return 0;
	size_t room = TCP_SNDQ_LIMIT > t->sndq_len ? TCP_SNDQ_LIMIT - t->sndq_len : 0;
	if (len > room) {
		len = room;
		t->sndq_full = true;
	}
	if (len == 0 || !sndq_reserve(t, len))
		return 0;
	memcpy(tcp_sndq_data(t) + t->sndq_len, data, len);
	t->sndq_len += len;
	tcp_want_flush(t);
	return len;
}

/* Drop `n` acknowledged bytes from the front of the send queue; a layer
 * above that was refused room hears that there is some. */
void tcp_sndq_consume(struct tcb *t, size_t n)
{
	if (n > t->sndq_len)
		n = t->sndq_len;
	t->sndq_head += n;
	t->sndq_len -= n;
	if (t->sndq_len == 0)
		t->sndq_head = 0;
	struct tcp_layer *tl = &t->ns->tcp;
	if (n && t->sndq_full && t->upper && tl->up->writable) {
		t->sndq_full = false;
		tl->up->writable(tl->up_ctx, t->upper);
	}
}

void tcp_set_receiving(struct tcb *t, bool on)
{
	if (t->rcv.paused == !on)
		return;
	t->rcv.paused = !on;
	if (!on) {
		t->rcv.edge = t->rcv.nxt + t->rcv.wnd;
		t->rcv.open_wnd = t->rcv.wnd;
		return;
	}
	t->rcv.wnd = t->rcv.open_wnd;
	t->ack_now = true;
	tcp_want_flush(t);
}

void tcp_close(struct tcb *t)
{
	t->upper = NULL;
	if (t->fin_queued)
		return;
	if (t->state & (TCP_SYN_RECEIVED | TCP_LISTEN)) {
		tcp_send_reset_for(t);
		tcp_free(t->ns, t);
		return;
	}
	t->fin_queued = true;
	tcp_want_flush(t);
}

void tcp_abort(struct tcb *t)
{
	t->upper = NULL;
	if (t->state & (TCP_SYN_RECEIVED | TCP_ESTABLISHED | TCP_FIN_WAIT_1 | TCP_FIN_WAIT_2 |
			TCP_CLOSE_WAIT))
		tcp_send_reset_for(t);
	tcp_free(t->ns, t);
}

/* ---- timers ------------------------------------------------------------- */

void tcp_retransmit_timeout(struct timer *tm, void *arg)
{
	(void)tm;
	struct tcb *t = arg;
	struct net_stack *ns = t->ns;
	if (t->snd.wnd == 0 && t->sndq_len > 0 && t->state != TCP_SYN_RECEIVED) {
		/* Persist timer: a peer that does not read is not a lost peer;
		 * probe for ever, backing off to the maximum interval. The
		 * probe byte is sent again from snd.una each time. */
		t->snd.nxt = t->snd.una;
		t->window_probe = true;
		ns->tcp.stats.window_probes++;
		tcp_output(t);
		t->rto_ms = t->rto_ms * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : t->rto_ms * 2;
		timer_arm(&ns->timers, &t->rtx_timer, t->rto_ms);
		return;
	}
	unsigned limit = t->state == TCP_SYN_RECEIVED ? TCP_SYNACK_RETRIES : TCP_MAX_RETRIES;
	if (++t->backoff > limit) {
		tcp_free(ns, t);
		return;
	}
	ns->tcp.stats.retransmits++;
	ns->tcp.stats.rto_timeouts++;
	if (t->state != TCP_SYN_RECEIVED)
		tcp_congestion_on_timeout(t);
	/* RFC 6298 5.5-5.6: back off, and restart from the oldest unacked
	 * byte (go-back-N); Karn: no RTT sample from a retransmission. */
	t->rto_ms = t->rto_ms * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : t->rto_ms * 2;
	t->rtt_sampling = false;
	if (t->state == TCP_SYN_RECEIVED) {
		tcp_send_syn_ack(t);
	} else {
		t->snd.nxt = t->snd.una;
		t->fin_sent = false;
		tcp_output(t);
	}
	timer_arm(&ns->timers, &t->rtx_timer, t->rto_ms);
}

void tcp_keepalive_reset(struct tcb *t)
{
	uint64_t idle = t->ns->tcp.keepalive_ms;
	t->keepalive_probes = 0;
	timer_cancel(&t->keepalive_timer);
	if (idle && (t->state & (TCP_ESTABLISHED | TCP_CLOSE_WAIT | TCP_FIN_WAIT_2)))
		timer_arm(&t->ns->timers, &t->keepalive_timer, idle);
}

void tcp_keepalive_timeout(struct timer *tm, void *arg)
{
	(void)tm;
	struct tcb *t = arg;
	struct net_stack *ns = t->ns;
	if (t->keepalive_probes >= TCP_KEEPALIVE_PROBES) {
		ns->tcp.stats.keepalive_drops++;
		tcp_free(ns, t);
		return;
	}
	t->keepalive_probes++;
	ns->tcp.stats.keepalive_probes++;
	tcp_send_keepalive(t);
	timer_arm(&ns->timers, &t->keepalive_timer, TCP_KEEPALIVE_INTERVAL_MS);
}

void tcp_delayed_ack_timeout(struct timer *tm, void *arg)
{
	(void)tm;
	struct tcb *t = arg;
	t->ns->tcp.stats.delayed_acks++;
	tcp_send_ack(t);
}

void tcp_time_wait_timeout(struct timer *tm, void *arg)
{
	(void)tm;
	struct tcb *t = arg;
	tcp_free(t->ns, t);
}
