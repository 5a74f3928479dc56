/* Building TCP segments (in IPv4 in Ethernet) and deciding what to send:
 * new data within the send window (the smaller of the peer's window and
 * cwnd), the FIN after the last byte, retransmissions, and the ACKs owed.
 * Headers are written field by field in network order. */
#include <string.h>

#include "checksum.h"
#include "ipv4.h"
#include "net_stack.h"
#include "tcp.h"
#include "tcp_internal.h"
#include "tcp_seq.h"
#include "wire_format.h"

#define MSS_OPTION_LEN 4
#define WSCALE_OPTION_LEN 4        /* NOP kind len shift */
#define SACK_PERMITTED_OPTION_LEN 4 /* NOP NOP kind len, or shares TS's NOPs */
#define MAX_SACK_BLOCKS 4
#define TCP_MAX_OPTIONS 40

struct segment {
	const uint8_t *rmac;
	uint32_t laddr, raddr;      /* network order */
	uint16_t lport, rport;      /* network order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	bool mss_option;
	int wscale_option;          /* our shift to announce in a SYN, -1 for none */
	bool sack_permitted_option;
	bool ts_option;
	uint32_t tsval, tsecr;
	unsigned nsack;             /* SACK blocks to report */
	struct seq_range sack[MAX_SACK_BLOCKS];
	const uint8_t *data;
	size_t len;
};

static size_t options_len(const struct segment *s)
{
	size_t n = (s->mss_option ? MSS_OPTION_LEN : 0) + (s->wscale_option >= 0 ? WSCALE_OPTION_LEN : 0);
	if (s->ts_option)
		n += TCP_TS_OPTION_LEN; /* SACK-permitted takes the place of its NOPs */
	else if (s->sack_permitted_option)
		n += SACK_PERMITTED_OPTION_LEN;
	if (s->nsack)
		n += 4 + 8 * s->nsack;
	return n;
}

/* Options in Linux's order and alignment: MSS, SACK-permitted with
 * timestamps, window scale, SACK blocks; every 32-bit field aligned. */
static void write_options(uint8_t *opt, const struct segment *s)
{
	if (s->mss_option) {
		opt[0] = TCP_OPT_MSS;
		opt[1] = MSS_OPTION_LEN;
		be16_put(opt + 2, TCP_OUR_MSS);
		opt += MSS_OPTION_LEN;
	}
	if (s->ts_option || s->sack_permitted_option) {
		/* SACK-permitted fills the two bytes that align TSopt, or is
		 * aligned by two NOPs itself. */
		uint8_t lead[2] = { TCP_OPT_NOP, TCP_OPT_NOP };
		if (s->sack_permitted_option)
			lead[0] = TCP_OPT_SACK_PERMITTED, lead[1] = 2;
		if (s->ts_option) {
			opt[0] = lead[0];
			opt[1] = lead[1];
			opt[2] = TCP_OPT_TIMESTAMPS;
			opt[3] = 10;
			be32_put(opt + 4, s->tsval);
			be32_put(opt + 8, s->tsecr);
			opt += 12;
		} else {
			opt[0] = opt[1] = TCP_OPT_NOP;
			opt[2] = TCP_OPT_SACK_PERMITTED;
			opt[3] = 2;
			opt += 4;
		}
	}
	if (s->wscale_option >= 0) {
		opt[0] = TCP_OPT_NOP;
		opt[1] = TCP_OPT_WSCALE;
		opt[2] = 3;
		opt[3] = (uint8_t)s->wscale_option;
		opt += WSCALE_OPTION_LEN;
	}
	if (s->nsack) {
		opt[0] = opt[1] = TCP_OPT_NOP;
		opt[2] = TCP_OPT_SACK;
		opt[3] = (uint8_t)(2 + 8 * s->nsack);
		opt += 4;
		for (unsigned i = 0; i < s->nsack; i++, opt += 8) {
			be32_put(opt, s->sack[i].start);
			be32_put(opt + 4, s->sack[i].end);
		}
	}
}

/* Write one frame; false if no buffer could be had. */
static bool emit(struct net_stack *ns, const struct segment *s)
{
	size_t tcp_len = TCP_HDR_LEN + options_len(s);
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
	write_options(th + TCP_HDR_LEN, s);
	if (s->len)
		memcpy(th + tcp_len, s->data, s->len);
	uint32_t sum = checksum_pseudo_header(s->laddr, s->raddr, 6, (uint16_t)(tcp_len + s->len));
	if (ns->cfg.tx_csum_offload) /* the port sums the segment (net_config) */
		be16_put(h->checksum, checksum_fold_for_offload(sum));
	else
		be16_put(h->checksum, checksum_finish(checksum_partial(th, tcp_len + s->len, sum)));
	net_tx_send(ns, handle, frame_len);
	ns->tcp.stats.segments_out++;
	return true;
}

uint32_t tcp_ts_now(const struct tcb *t)
{
	return (uint32_t)t->ns->now_ms + t->ts_offset;
}

/* RFC 2018 4: the first block holds the latest arrival and the others
 * follow from the most recent back, so that with more holes than blocks
 * fit, every block is reported more than once. Adjacent queued segments
 * make one block, as recent as its latest segment. */
static void add_sack_blocks(const struct tcb *t, struct segment *s)
{
	unsigned room = t->ts_ok ? 3 : MAX_SACK_BLOCKS;
	struct seq_range blocks[16];
	uint32_t recency[16];
	unsigned n = 0;
	for (const struct ooo_segment *o = t->ooo; o; o = o->next) {
		uint32_t end = o->seq + o->len;
		if (n && seq_geq(blocks[n - 1].end, o->seq)) {
			blocks[n - 1].end = seq_max(blocks[n - 1].end, end);
			recency[n - 1] = o->arrival > recency[n - 1] ? o->arrival : recency[n - 1];
		} else if (n < 16) {
			blocks[n] = (struct seq_range){ o->seq, end };
			recency[n++] = o->arrival;
		}
	}
	while (s->nsack < room && s->nsack < n) {
		unsigned best = 0;
		for (unsigned i = 1; i < n; i++)
			if (recency[i] > recency[best])
				best = i;
		s->sack[s->nsack++] = blocks[best];
		recency[best] = 0; /* taken */
	}
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
	/* RFC 7323 3.2: once negotiated, in every segment but a RST. */
	if (t->ts_ok && !(flags & TCP_RST)) {
		s.ts_option = true;
		s.tsval = tcp_ts_now(t);
		s.tsecr = t->ts_recent;
	}
	if (t->sack_ok && t->ooo && !(flags & (TCP_SYN | TCP_RST)))
		add_sack_blocks(t, &s);
	return s;
}

/* Every segment we send acknowledges rcv.nxt: nothing more is owed. */
static void ack_sent(struct tcb *t)
{
	t->ack_now = false;
	t->unacked_bytes = 0;
	t->last_ack_sent = t->rcv.nxt;
	timer_cancel(&t->delack_timer);
}

static bool emit_for(struct tcb *t, const struct segment *s)
{
	if (!emit(t->ns, s))
		return false;
	if (s->flags & TCP_ACK)
		ack_sent(t);
	return true;
}

void tcp_send_syn_ack(struct tcb *t)
{
	struct segment s = segment_of(t, t->snd.iss, TCP_SYN | TCP_ACK);
	s.mss_option = true;
	s.sack_permitted_option = t->sack_ok;
	if (t->rcv.wscale)
		s.wscale_option = t->rcv.wscale;
	emit_for(t, &s);
}

void tcp_send_syn_ack_stateless(struct net_stack *ns, const uint8_t *rmac, uint32_t raddr,
				uint32_t laddr, uint16_t rport, uint16_t lport, uint32_t iss,
				uint32_t ack, uint16_t mss)
{
	/* The cookie carries the MSS; window scale, SACK and timestamps need
	 * state, so a cookie connection goes without them. */
	(void)mss;
	struct segment s = { .rmac = rmac, .laddr = laddr, .raddr = raddr, .lport = lport,
			     .rport = rport, .seq = iss, .ack = ack, .flags = TCP_SYN | TCP_ACK,
			     .window = 65535, .mss_option = true, .wscale_option = -1 };
	emit(ns, &s);
}

void tcp_send_ack(struct tcb *t)
{
	struct segment s = segment_of(t, t->snd.nxt, TCP_ACK);
	emit_for(t, &s);
}

void tcp_send_keepalive(struct tcb *t)
{
	struct segment s = segment_of(t, t->snd.nxt - 1, TCP_ACK);
	emit_for(t, &s);
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

bool tcp_retransmit_hole(struct tcb *t, uint32_t from)
{
	if (seq_lt(from, t->snd.una))
		from = t->snd.una;
	/* Step over what the peer holds (the scoreboard is sorted). */
	uint32_t limit = t->snd.nxt;
	for (unsigned i = 0; i < t->nsacked; i++) {
		if (seq_leq(t->sacked[i].start, from) && seq_lt(from, t->sacked[i].end))
			from = t->sacked[i].end;
		else if (seq_gt(t->sacked[i].start, from)) {
			limit = t->sacked[i].start;
			break;
		}
	}
	/* Past snd.una, a hole is only known below the highest SACKed byte. */
	if (from != t->snd.una &&
	    (t->nsacked == 0 || !seq_lt(from, t->sacked[t->nsacked - 1].end)))
		return false;
	size_t offset = from - t->snd.una, sent = bytes_sent(t);
	if (offset >= sent)
		return false;
	size_t n = sent - offset;
	if (n > tcp_effective_mss(t))
		n = tcp_effective_mss(t);
	if (n > limit - from)
		n = limit - from;
	struct segment s = segment_of(t, from, TCP_ACK | TCP_PSH);
	s.data = tcp_sndq_data(t) + offset;
	s.len = n;
	if (!emit_for(t, &s))
		return false;
	t->ns->tcp.stats.retransmits++;
	t->rtt_sampling = false; /* Karn */
	t->high_rxt = seq_max(t->high_rxt, from + (uint32_t)n);
	return true;
}

static void arm_rtx(struct tcb *t)
{
	if (!timer_armed(&t->rtx_timer))
		timer_arm(&t->ns->timers, &t->rtx_timer, t->rto_ms);
}

/* RFC 5681 4.1: after an idle period longer than the RTO the ACK clock is
 * gone; start again from no more than the initial window. */
static void restart_after_idle(struct tcb *t)
{
	uint32_t iw = TCP_INITIAL_WINDOW_SEGMENTS * tcp_effective_mss(t);
	if (t->snd.nxt == t->snd.una && t->cwnd > iw &&
	    t->ns->now_ms - t->last_send_ms > t->rto_ms)
		t->cwnd = iw;
}

/* New data from the send queue, as much as the send window allows. */
static bool send_new_data(struct tcb *t)
{
	bool sent_any = false;
	size_t window = tcp_send_window(t);
	if (t->snd.wnd == 0 && t->window_probe) {
		/* RFC 9293 3.8.6.1: probe a zero window with one byte; its ACK
		 * brings the window when the peer opens it. */
		window = 1;
		t->window_probe = false;
	}
	restart_after_idle(t);
	for (;;) {
		size_t sent = bytes_sent(t), unsent = t->sndq_len - sent;
		size_t in_flight = t->snd.nxt - t->snd.una;
		if (unsent == 0 || t->fin_sent || in_flight >= window)
			break;
		struct segment s = segment_of(t, t->snd.nxt, TCP_ACK | TCP_PSH);
		/* SACK blocks share the option space with the payload. */
		size_t room = tcp_effective_mss(t) - (s.nsack ? 4 + 8 * s.nsack : 0);
		size_t n = unsent < room ? unsent : room;
		if (n > window - in_flight)
			n = window - in_flight;
		s.data = tcp_sndq_data(t) + sent;
		s.len = n;
		if (!emit_for(t, &s))
			break;
		if (!t->rtt_sampling && !t->ts_ok) {
			t->rtt_sampling = true;
			t->rtt_seq = t->snd.nxt;
			t->rtt_sent_ms = t->ns->now_ms;
		}
		t->snd.nxt += (uint32_t)n;
		t->snd.max = seq_max(t->snd.max, t->snd.nxt);
		t->last_send_ms = t->ns->now_ms;
		sent_any = true;
		arm_rtx(t);
	}
	return sent_any;
}

static bool send_fin(struct tcb *t)
{
	if (!t->fin_queued || t->fin_sent || bytes_sent(t) != t->sndq_len)
		return false;
	struct segment s = segment_of(t, t->snd.nxt, TCP_ACK | TCP_FIN);
	if (!emit_for(t, &s))
		return false;
	t->snd.nxt++;
	t->snd.max = seq_max(t->snd.max, t->snd.nxt);
	t->fin_sent = true;
	if (t->state == TCP_ESTABLISHED)
		t->state = TCP_FIN_WAIT_1;
	else if (t->state == TCP_CLOSE_WAIT)
		t->state = TCP_LAST_ACK;
	arm_rtx(t);
	return true;
}

void tcp_output(struct tcb *t)
{
	if (t->state & (TCP_ESTABLISHED | TCP_CLOSE_WAIT | TCP_FIN_WAIT_1 | TCP_CLOSING |
			TCP_LAST_ACK)) {
		send_new_data(t);
		send_fin(t);
		/* Data waits behind a zero window: the timer keeps probing it. */
		if (t->snd.wnd == 0 && bytes_sent(t) < t->sndq_len)
			arm_rtx(t);
	}
	if (t->ack_now)
		tcp_send_ack(t); /* nothing went out to carry it */
	else if (t->unacked_bytes && !timer_armed(&t->delack_timer))
		timer_arm(&t->ns->timers, &t->delack_timer, TCP_DELAYED_ACK_MS);
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
