/* Building TCP segments (in IPv4 in Ethernet) and deciding what to send:
 * new data within the peer's window, the FIN after the last byte, and the
 * ACKs owed. Headers are written field by field in network order. */
#include <string.h>

#include "checksum.h"
#include "ipv4.h"
#include "net_stack.h"
#include "tcp.h"
#include "tcp_internal.h"
#include "tcp_seq.h"
#include "wire_format.h"

#define MSS_OPTION_LEN 4

struct segment {
	const uint8_t *rmac;
	uint32_t laddr, raddr;      /* network order */
	uint16_t lport, rport;      /* network order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	bool mss_option;
	int wscale_option;          /* our shift to announce in a SYN, -1 for none */
	const uint8_t *data;
	size_t len;
};

/* Write one frame; false if no buffer could be had. */
static bool emit(struct net_stack *ns, const struct segment *s)
{
	size_t options = (s->mss_option ? MSS_OPTION_LEN : 0) + (s->wscale_option >= 0 ? 4 : 0);
	size_t tcp_len = TCP_HDR_LEN + options;
	size_t frame_len = ETH_HDR_LEN + IPV4_HDR_LEN + tcp_len + s->len;
	void *handle;
	uint8_t *f = net_tx_alloc(ns, frame_len, &handle);
	if (!f)
		return false;
	eth_hdr_fill((struct eth_hdr *)f, s->rmac, ns->cfg.mac, ETH_TYPE_IPV4);
	ipv4_hdr_fill((struct ipv4_hdr *)(f + ETH_HDR_LEN), s->laddr, s->raddr, IP_PROTO_TCP, 0,
		      (uint16_t)(tcp_len + s->len));
	/* TCP (RFC 9293 3.1), field by field */
	uint8_t *th = f + ETH_HDR_LEN + IPV4_HDR_LEN;
	struct tcp_hdr *h = (struct tcp_hdr *)th;
	memcpy(h->sport, &s->lport, 2);
	memcpy(h->dport, &s->rport, 2);
	be32_put(h->seq, s->seq);
	be32_put(h->ack, (s->flags & TCP_ACK) ? s->ack : 0);
	tcp_set_hdr_len(h, (unsigned)tcp_len);
	h->flags = s->flags;
	be16_put(h->window, s->window);
	be16_put(h->checksum, 0);
	be16_put(h->urg_ptr, 0);
	uint8_t *opt = th + TCP_HDR_LEN;
	if (s->mss_option) {
		opt[0] = TCP_OPT_MSS;
		opt[1] = MSS_OPTION_LEN;
		be16_put(opt + 2, TCP_OUR_MSS);
		opt += MSS_OPTION_LEN;
	}
	if (s->wscale_option >= 0) {
		opt[0] = TCP_OPT_NOP; /* keeps the next option aligned */
		opt[1] = TCP_OPT_WSCALE;
		opt[2] = 3;
		opt[3] = (uint8_t)s->wscale_option;
	}
	if (s->len)
		memcpy(th + tcp_len, s->data, s->len);
	uint32_t sum = checksum_pseudo_header(s->laddr, s->raddr, 6, (uint16_t)(tcp_len + s->len));
	be16_put(h->checksum, checksum_finish(checksum_partial(th, tcp_len + s->len, sum)));
	net_tx_send(ns, handle, frame_len);
	ns->tcp.stats.segments_out++;
	return true;
}

static struct segment segment_of(const struct tcb *t, uint32_t seq, uint8_t flags)
{
	/* RFC 7323 2.2: the window in a SYN is never scaled. */
	uint32_t wnd = (flags & TCP_SYN) ? t->rcv.wnd : t->rcv.wnd >> t->rcv.wscale;
	struct segment s = {
		.rmac = t->rmac, .laddr = t->laddr, .raddr = t->raddr,
		.lport = t->lport, .rport = t->rport, .seq = seq, .ack = t->rcv.nxt,
		.flags = flags, .window = (uint16_t)(wnd > 65535 ? 65535 : wnd), .wscale_option = -1,
	};
	return s;
}

void tcp_send_syn_ack(struct tcb *t)
{
	struct segment s = segment_of(t, t->snd.iss, TCP_SYN | TCP_ACK);
	s.mss_option = true;
	if (t->rcv.wscale)
		s.wscale_option = t->rcv.wscale;
	emit(t->ns, &s);
}

void tcp_send_syn_ack_stateless(struct net_stack *ns, const uint8_t *rmac, uint32_t raddr,
				uint32_t laddr, uint16_t rport, uint16_t lport, uint32_t iss,
				uint32_t ack, uint16_t mss)
{
	(void)mss; /* the cookie carries it; we announce our own as usual */
	struct segment s = { .rmac = rmac, .laddr = laddr, .raddr = raddr, .lport = lport,
			     .rport = rport, .seq = iss, .ack = ack, .flags = TCP_SYN | TCP_ACK,
			     .window = 65535, .mss_option = true, .wscale_option = -1 };
	emit(ns, &s);
}

void tcp_send_ack(struct tcb *t)
{
	struct segment s = segment_of(t, t->snd.nxt, TCP_ACK);
	emit(t->ns, &s);
	t->ack_now = false;
}

void tcp_send_keepalive(struct tcb *t)
{
	struct segment s = segment_of(t, t->snd.nxt - 1, TCP_ACK);
	emit(t->ns, &s);
}

void tcp_send_reset_for(struct tcb *t)
{
	struct segment s = segment_of(t, t->snd.nxt, TCP_RST | TCP_ACK);
	emit(t->ns, &s);
	t->ns->tcp.stats.resets_sent++;
}

void tcp_send_reset_reply(struct net_stack *ns, const uint8_t *rmac, uint32_t raddr,
			  uint32_t laddr, uint16_t rport, uint16_t lport, uint32_t seg_seq,
			  uint32_t seg_ack, uint8_t seg_flags, uint32_t seg_len)
{
	/* RFC 9293 3.10.7.1: if the segment had an ACK, <SEQ=SEG.ACK><CTL=RST>;
	 * otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
	struct segment s = { .rmac = rmac, .laddr = laddr, .raddr = raddr, .lport = lport,
			     .rport = rport, .wscale_option = -1 };
	if (seg_flags & TCP_ACK) {
		s.seq = seg_ack;
		s.flags = TCP_RST;
	} else {
		s.seq = 0;
		s.ack = seg_seq + seg_len;
		s.flags = TCP_RST | TCP_ACK;
	}
	emit(ns, &s);
	ns->tcp.stats.resets_sent++;
}

/* Bytes of the send queue already sent (snd.nxt counts the FIN too). */
static size_t bytes_sent(const struct tcb *t)
{
	size_t n = t->snd.nxt - t->snd.una;
	if (t->fin_sent && n > 0)
		n--;
	return n > t->sndq_len ? t->sndq_len : n;
}

void tcp_retransmit_first(struct tcb *t)
{
	size_t n = bytes_sent(t);
	if (n == 0)
		return;
	if (n > t->snd.mss)
		n = t->snd.mss;
	struct segment s = segment_of(t, t->snd.una, TCP_ACK | TCP_PSH);
	s.data = t->sndq;
	s.len = n;
	if (emit(t->ns, &s)) {
		t->ns->tcp.stats.retransmits++;
		t->rtt_sampling = false; /* Karn */
	}
}

static void arm_rtx(struct tcb *t)
{
	if (!timer_armed(&t->rtx_timer))
		timer_arm(&t->ns->timers, &t->rtx_timer, t->rto_ms);
}

void tcp_output(struct tcb *t)
{
	if (!(t->state & (TCP_ESTABLISHED | TCP_CLOSE_WAIT | TCP_FIN_WAIT_1 | TCP_CLOSING |
			  TCP_LAST_ACK))) {
		if (t->ack_now)
			tcp_send_ack(t);
		return;
	}
	bool sent_any = false;
	size_t window = t->snd.wnd;
	if (window == 0 && t->window_probe) {
		/* RFC 9293 3.8.6.1: probe a zero window with one byte; its ACK
		 * brings the window when the peer opens it. */
		window = 1;
		t->window_probe = false;
	}
	for (;;) {
		size_t sent = bytes_sent(t), unsent = t->sndq_len - sent;
		size_t in_flight = t->snd.nxt - t->snd.una;
		if (unsent == 0 || t->fin_sent || in_flight >= window)
			break;
		size_t n = unsent < t->snd.mss ? unsent : t->snd.mss;
		if (n > window - in_flight)
			n = window - in_flight;
		struct segment s = segment_of(t, t->snd.nxt, TCP_ACK | TCP_PSH);
		s.data = t->sndq + sent;
		s.len = n;
		if (!emit(t->ns, &s))
			break;
		if (!t->rtt_sampling) {
			t->rtt_sampling = true;
			t->rtt_seq = t->snd.nxt;
			t->rtt_sent_ms = t->ns->now_ms;
		}
		t->snd.nxt += (uint32_t)n;
		sent_any = true;
		arm_rtx(t);
	}
	if (t->fin_queued && !t->fin_sent && bytes_sent(t) == t->sndq_len) {
		struct segment s = segment_of(t, t->snd.nxt, TCP_ACK | TCP_FIN);
		if (emit(t->ns, &s)) {
			t->snd.nxt++;
			t->fin_sent = true;
			sent_any = true;
			if (t->state == TCP_ESTABLISHED)
				t->state = TCP_FIN_WAIT_1;
			else if (t->state == TCP_CLOSE_WAIT)
				t->state = TCP_LAST_ACK;
			arm_rtx(t);
		}
	}
	if (sent_any)
		t->ack_now = false;
	else if (t->ack_now)
		tcp_send_ack(t);
	/* Data waits behind a zero window: the timer keeps probing it. */
	if (t->snd.wnd == 0 && bytes_sent(t) < t->sndq_len)
		arm_rtx(t);
}

void tcp_flush(struct net_stack *ns)
{
	struct tcp_layer *tl = &ns->tcp;
	while (tl->flush_list) {
		struct tcb *t = tl->flush_list;
		tl->flush_list = t->flush_next;
		t->in_flush_list = false;
		tcp_output(t);
	}
}
