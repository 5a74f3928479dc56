/* TCP input, following RFC 9293 3.10.7 "SEGMENT ARRIVES" step by step. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "net_stack.h"
#include "tcp.h"
#include "tcp_internal.h"
#include "tcp_seq.h"
#include "wire_format.h"

struct tcp_segment {
	uint16_t sport, dport;      /* network order */
	uint32_t seq, ack;
	uint8_t flags;
	uint32_t wnd;
	uint16_t mss;               /* 0 if no option */
	int wscale;                 /* -1 if no option */
	bool sack_permitted;
	bool has_ts;
	uint32_t tsval, tsecr;
	unsigned nsack;
	struct seq_range sack[4];
	const uint8_t *data;
	uint32_t len;               /* payload bytes */
};

static void parse_options(const uint8_t *opt, size_t len, struct tcp_segment *s)
{
	size_t i = 0;
	while (i < len) {
		uint8_t kind = opt[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			break;
		if (kind == TCP_OPT_MSS && opt[i + 1] == 4)
			s->mss = be16_get(opt + i + 2);
		if (kind == TCP_OPT_WSCALE && opt[i + 1] == 3)
			s->wscale = opt[i + 2];
		if (kind == TCP_OPT_SACK_PERMITTED && opt[i + 1] == 2)
			s->sack_permitted = true;
		if (kind == TCP_OPT_TIMESTAMPS && opt[i + 1] == 10) {
			s->has_ts = true;
			s->tsval = be32_get(opt + i + 2);
			s->tsecr = be32_get(opt + i + 6);
		}
		if (kind == TCP_OPT_SACK && (opt[i + 1] - 2) % 8 == 0) {
			const uint8_t *b = opt + i + 2;
			for (unsigned n = (opt[i + 1] - 2) / 8; n-- && s->nsack < 4; b += 8)
				s->sack[s->nsack++] = (struct seq_range){ be32_get(b), be32_get(b + 4) };
		}
		i += opt[i + 1];
	}
}

static bool parse(const uint8_t *seg, size_t len, struct tcp_segment *s)
{
	if (len < 20)
		return false;
	size_t doff = (size_t)(seg[12] >> 4) * 4;
	if (doff < 20 || doff > len)
		return false;
	memset(s, 0, sizeof(*s));
	s->wscale = -1;
	memcpy(&s->sport, seg, 2);
	memcpy(&s->dport, seg + 2, 2);
	s->seq = be32_get(seg + 4);
	s->ack = be32_get(seg + 8);
	s->flags = seg[13];
	s->wnd = be16_get(seg + 14);
	parse_options(seg + 20, doff - 20, s);
	s->data = seg + doff;
	s->len = (uint32_t)(len - doff);
	return true;
}

/* RFC 5961 7: challenge ACKs are rate-limited across all connections, so
 * a blind attacker cannot turn them into a flood (or an oracle). */
static void challenge_ack(struct tcb *t)
{
	struct tcp_layer *tl = &t->ns->tcp;
	uint64_t second = t->ns->now_ms / 1000;
	if (second != tl->challenge_second) {
		tl->challenge_second = second;
		tl->challenge_acks_this_second = 0;
	}
	if (tl->challenge_acks_this_second >= TCP_CHALLENGE_ACK_LIMIT) {
		tl->stats.challenge_acks_suppressed++;
		return;
	}
	tl->challenge_acks_this_second++;
	tl->stats.challenge_acks++;
	t->ack_now = true;
	tcp_want_flush(t);
}

/* RFC 7323 5.3 R1 (PAWS): a segment whose timestamp is older than
 * TS.Recent is an old duplicate from a wrapped sequence space. */
static bool paws_rejects(struct tcb *t, const struct tcp_segment *s)
{
	if (!t->ts_ok || !s->has_ts || (s->flags & TCP_RST))
		return false;
	if (t->ns->now_ms - t->ts_recent_ms > TCP_PAWS_IDLE_MS) {
		t->ts_recent = s->tsval; /* too old to judge by (5.5) */
		t->ts_recent_ms = t->ns->now_ms;
		return false;
	}
	return seq_lt(s->tsval, t->ts_recent);
}

/* R3: remember the newest timestamp of a segment that covers what we
 * last acknowledged. */
static void update_ts_recent(struct tcb *t, const struct tcp_segment *s)
{
	if (t->ts_ok && s->has_ts && seq_geq(s->tsval, t->ts_recent) &&
	    seq_leq(s->seq, t->last_ack_sent)) {
		t->ts_recent = s->tsval;
		t->ts_recent_ms = t->ns->now_ms;
	}
}

/* 3.10.7.4 first: is any of the segment inside the receive window? */
static bool acceptable(const struct tcb *t, const struct tcp_segment *s)
{
	uint32_t seg_len = s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);
	uint32_t nxt = t->rcv.nxt, end = t->rcv.nxt + t->rcv.wnd;
	if (seg_len == 0 && t->rcv.wnd == 0)
		return s->seq == nxt;
	if (seg_len == 0)
		return seq_leq(nxt, s->seq) && seq_lt(s->seq, end);
	if (t->rcv.wnd == 0)
		return false;
	return (seq_leq(nxt, s->seq) && seq_lt(s->seq, end)) ||
	       (seq_leq(nxt, s->seq + seg_len - 1) && seq_lt(s->seq + seg_len - 1, end));
}

/* The handshake's last ACK arrived (or a SYN cookie came back): the
 * connection is ESTABLISHED and the layer above is told. Returns false if
 * the layer above refused it and it is gone. */
static bool establish(struct net_stack *ns, struct tcb *t, const struct tcp_segment *s)
{
	t->state = TCP_ESTABLISHED;
	t->snd.una = s->ack;
	t->snd.wnd = t->snd.max_wnd = s->wnd;
	t->snd.wl1 = s->seq;
	t->snd.wl2 = s->ack;
	tcp_congestion_init(t);
	t->upper = ns->tcp.up->accepted(ns->tcp.up_ctx, t);
	if (!t->upper && !t->fin_queued) {
		tcp_send_reset_for(t);
		tcp_free(ns, t);
		return false;
	}
	return true;
}

/* An ACK for no connection may return one of our SYN cookies: then the
 * connection is made here, established at once. */
static struct tcb *cookie_connection(struct net_stack *ns, const uint8_t *mac, uint32_t saddr,
				     uint32_t daddr, const struct tcp_segment *s)
{
	if ((s->flags & (TCP_SYN | TCP_RST | TCP_ACK)) != TCP_ACK)
		return NULL;
	uint16_t mss = syn_cookie_check(&ns->tcp, saddr, daddr, s->sport, s->dport, s->ack - 1,
					ns->now_ms);
	if (!mss)
		return NULL;
	struct tcb *t = tcp_create(ns, mac, saddr, s->sport, daddr, s->dport);
	if (!t)
		return NULL;
	t->snd.iss = s->ack - 1;
	t->snd.nxt = t->snd.max = s->ack;
	t->snd.mss = mss;
	t->rcv.irs = s->seq - 1;
	t->rcv.nxt = s->seq;
	ns->tcp.stats.syn_cookies_accepted++;
	return establish(ns, t, s) ? t : NULL;
}

static void listen_input(struct net_stack *ns, const uint8_t *mac, uint32_t saddr,
			 uint32_t daddr, const struct tcp_segment *s)
{
	/* 3.10.7.2: first check for an RST, second for an ACK, third a SYN. */
	if (s->flags & TCP_RST)
		return;
	if (s->flags & TCP_ACK) {
		tcp_send_reset_reply(ns, mac, saddr, daddr, s->sport, s->dport, s->seq, s->ack,
				     s->flags, s->len);
		return;
	}
	if (!(s->flags & TCP_SYN))
		return;
	uint16_t mss = s->mss ? (s->mss < TCP_OUR_MSS ? s->mss : TCP_OUR_MSS) : TCP_DEFAULT_MSS;
	if (mss < TCP_MIN_PEER_MSS)
		mss = TCP_MIN_PEER_MSS;
	if (ns->tcp.stats.syn_received >= TCP_SYN_BACKLOG) {
		/* A SYN flood, or a burst: answer without keeping state. */
		uint32_t cookie = syn_cookie_make(&ns->tcp, saddr, daddr, s->sport, s->dport, mss,
						  ns->now_ms);
		tcp_send_syn_ack_stateless(ns, mac, saddr, daddr, s->sport, s->dport, cookie,
					   s->seq + 1, mss);
		ns->tcp.stats.syn_cookies_sent++;
		return;
	}
	struct tcb *t = tcp_create(ns, mac, saddr, s->sport, daddr, s->dport);
	if (!t)
		return;
	t->rcv.irs = s->seq;
	t->rcv.nxt = s->seq + 1;
	t->snd.wnd = t->snd.max_wnd = s->wnd;
	t->snd.wl1 = s->seq;
	t->snd.mss = mss;
	if (s->wscale >= 0) {
		/* RFC 7323 2.2: both sides scale only if both SYNs carry it. */
		t->snd.wscale = (uint8_t)(s->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : s->wscale);
		t->rcv.wscale = TCP_OUR_WSCALE;
		t->rcv.wnd = TCP_RECEIVE_WINDOW_SCALED;
	}
	if (s->has_ts) {
		/* RFC 7323 3.2: timestamps in every segment from now on. */
		t->ts_ok = true;
		t->ts_recent = s->tsval;
		t->ts_recent_ms = ns->now_ms;
	}
	t->sack_ok = s->sack_permitted;
	t->state = TCP_SYN_RECEIVED;
	ns->tcp.stats.syn_received++;
	tcp_send_syn_ack(t);
	t->snd.nxt = t->snd.max = t->snd.iss + 1;
	t->rtt_sampling = true; /* timed until its ACK, unless it is resent (Karn) */
	t->rtt_seq = t->snd.iss;
	t->rtt_sent_ms = ns->now_ms;
	timer_arm(&ns->timers, &t->rtx_timer, t->rto_ms);
}

/* RFC 6298 2.2-2.3: fold one round-trip sample into SRTT and RTTVAR. */
static void rtt_sample(struct tcb *t, uint32_t r)
{
	if (t->srtt_ms == 0) {
		t->srtt_ms = r ? r : 1;
		t->rttvar_ms = r / 2;
	} else {
		uint32_t diff = t->srtt_ms > r ? t->srtt_ms - r : r - t->srtt_ms;
		t->rttvar_ms = (3 * t->rttvar_ms + diff) / 4;
		t->srtt_ms = (7 * t->srtt_ms + r) / 8;
	}
	uint32_t rto = t->srtt_ms + (4 * t->rttvar_ms > 1 ? 4 * t->rttvar_ms : 1);
	t->rto_ms = rto < TCP_RTO_MIN_MS ? TCP_RTO_MIN_MS : rto > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : rto;
}

/* New data was acknowledged: a sample from the echoed timestamp (RFC 7323
 * 4.1, valid even across retransmissions), or from the one timed segment. */
static void update_rtt(struct tcb *t, const struct tcp_segment *s)
{
	if (t->ts_ok && s->has_ts && s->tsecr) {
		rtt_sample(t, tcp_ts_now(t) - s->tsecr);
		return;
	}
	if (!t->rtt_sampling || seq_lt(s->ack, t->rtt_seq + 1))
		return;
	t->rtt_sampling = false;
	rtt_sample(t, (uint32_t)(t->ns->now_ms - t->rtt_sent_ms));
}

static void enter_time_wait(struct tcb *t)
{
	t->state = TCP_TIME_WAIT;
	t->ns->tcp.stats.time_wait++;
	timer_cancel(&t->rtx_timer);
	timer_arm(&t->ns->timers, &t->time_wait_timer, TCP_TIME_WAIT_MS);
}

enum ack_verdict { ACK_GO_ON, ACK_DROP_SEGMENT, ACK_CONNECTION_GONE };

/* Step 5: the ACK field. */
static enum ack_verdict process_ack(struct tcb *t, const struct tcp_segment *seg)
{
	struct net_stack *ns = t->ns;
	/* RFC 7323 2.3: the window of a segment without SYN is scaled. */
	struct tcp_segment scaled = *seg;
	scaled.wnd = seg->wnd << t->snd.wscale;
	const struct tcp_segment *s = &scaled;
	if (t->state == TCP_SYN_RECEIVED) {
		if (!(seq_lt(t->snd.una, s->ack) && seq_leq(s->ack, t->snd.nxt))) {
			tcp_send_reset_reply(ns, t->rmac, t->raddr, t->laddr, s->sport, s->dport,
					     s->seq, s->ack, s->flags, s->len);
			return ACK_DROP_SEGMENT;
		}
		ns->tcp.stats.syn_received--;
		/* The handshake is the first round trip (RFC 6298 2.2): without
		 * it a new connection's first loss would wait the initial 1 s. */
		update_rtt(t, s);
		t->backoff = 0;
		timer_cancel(&t->rtx_timer);
		return establish(ns, t, s) ? ACK_GO_ON : ACK_CONNECTION_GONE;
	}
	if (seq_gt(s->ack, t->snd.max)) {
		/* Acknowledges something never sent: ACK, drop, return. */
		t->ack_now = true;
		tcp_want_flush(t);
		return ACK_DROP_SEGMENT;
	}
	if (seq_lt(s->ack, t->snd.una - t->snd.max_wnd)) {
		/* RFC 5961 5.2: older than any window we were offered: a blind
		 * injection, not a late duplicate. */
		challenge_ack(t);
		return ACK_DROP_SEGMENT;
	}
	if (t->sack_ok && s->nsack)
		tcp_sack_update(t, s->sack, s->nsack);
	/* A duplicate ACK repeats the window (RFC 5681 2) or, with SACK,
	 * reports more data held (RFC 6675 2: Linux peers grow their window
	 * with every ACK). A zero window answers a window probe; it says
	 * nothing of loss. */
	bool same_window = s->wnd == t->snd.wnd || (t->sack_ok && s->nsack);
	if (s->ack == t->snd.una && s->len == 0 && same_window && s->wnd != 0 &&
	    t->snd.una != t->snd.nxt && !(s->flags & (TCP_SYN | TCP_FIN))) {
		/* RFC 5681 3.2: duplicate ACKs say segments arrive after a
		 * lost one: the third starts fast retransmit and recovery. */
		tcp_congestion_on_dupack(t);
	}
	if (seq_lt(t->snd.una, s->ack)) {
		t->dupacks = 0;
		uint32_t acked = s->ack - t->snd.una;
		/* The FIN's sequence number follows the last queued byte (also
		 * when a timeout rewound snd.nxt before the FIN went again). */
		bool fin_acked = t->fin_queued && s->ack == t->snd.una + (uint32_t)t->sndq_len + 1;
		update_rtt(t, s);
		t->snd.una = s->ack;
		if (seq_lt(t->snd.nxt, t->snd.una))
			t->snd.nxt = t->snd.una; /* after a rewind, the peer had more */
		if (fin_acked)
			t->fin_sent = true;
		tcp_sndq_consume(t, acked - (fin_acked ? 1 : 0));
		t->backoff = 0;
		timer_cancel(&t->rtx_timer);
		tcp_congestion_on_ack(t, acked);
		if (t->snd.una != t->snd.nxt)
			timer_arm(&ns->timers, &t->rtx_timer, t->rto_ms);
		if (fin_acked) {
			if (t->state == TCP_FIN_WAIT_1)
				t->state = TCP_FIN_WAIT_2;
			else if (t->state == TCP_CLOSING)
				enter_time_wait(t);
			else if (t->state == TCP_LAST_ACK) {
				tcp_free(ns, t);
				return ACK_CONNECTION_GONE;
			}
		}
		tcp_want_flush(t);
	}
	/* Window update (3.10.7.4, fifth step): only from a newer segment. */
	if (seq_lt(t->snd.wl1, s->seq) || (t->snd.wl1 == s->seq && seq_leq(t->snd.wl2, s->ack))) {
		if (s->wnd > t->snd.wnd)
			tcp_want_flush(t);
		t->snd.wnd = s->wnd;
		t->snd.max_wnd = t->snd.wnd > t->snd.max_wnd ? t->snd.wnd : t->snd.max_wnd;
		t->snd.wl1 = s->seq;
		t->snd.wl2 = s->ack;
	}
	return ACK_GO_ON;
}

/* Keep a segment that arrived ahead of rcv.nxt (copied: the frame goes
 * back to the NIC). Overlaps with queued segments are kept as sent; the
 * delivery loop skips bytes already delivered. */
static void ooo_insert(struct tcb *t, const struct tcp_segment *s)
{
	if (t->ooo_bytes + s->len > t->rcv.wnd)
		return; /* beyond what we advertised: the peer will resend */
	if (t->ooo_count >= TCP_OOO_MAX_SEGMENTS) {
		t->ns->tcp.stats.ooo_dropped++;
		return;
	}
	struct ooo_segment **p = &t->ooo;
	while (*p && seq_lt((*p)->seq, s->seq))
		p = &(*p)->next;
	if (*p && (*p)->seq == s->seq && (*p)->len >= s->len)
		return; /* a duplicate */
	struct ooo_segment *o = malloc(sizeof(*o) + s->len);
	if (!o)
		return;
	o->seq = s->seq;
	o->len = s->len;
	o->arrival = ++t->ooo_arrivals;
	memcpy(o->data, s->data, s->len);
	o->next = *p;
	*p = o;
	t->ooo_bytes += s->len;
	t->ooo_count++;
}

static void deliver(struct tcb *t, uint8_t *data, uint32_t len)
{
	struct net_stack *ns = t->ns;
	t->rcv.nxt += len;
	if (t->rcv.paused)
		t->rcv.wnd = t->rcv.edge - t->rcv.nxt;
	if (t->upper)
		ns->tcp.up->received(ns->tcp.up_ctx, t->upper, data, len);
}

/* After rcv.nxt advanced: deliver queued segments that now continue it. */
static void ooo_drain(struct tcb *t)
{
	while (t->ooo && seq_leq(t->ooo->seq, t->rcv.nxt)) {
		struct ooo_segment *o = t->ooo;
		t->ooo = o->next;
		t->ooo_bytes -= o->len;
		t->ooo_count--;
		uint32_t skip = t->rcv.nxt - o->seq;
		if (skip < o->len)
			deliver(t, o->data + skip, o->len - skip);
		free(o);
	}
}

/* Delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2): in-order data is
 * acknowledged at least every second full-sized segment, and within
 * TCP_DELAYED_ACK_MS; usually sooner, riding on the reply it caused. */
static void ack_later(struct tcb *t, uint32_t len)
{
	uint32_t full = TCP_OUR_MSS - (t->ts_ok ? TCP_TS_OPTION_LEN : 0);
	t->unacked_bytes += len;
	if (t->unacked_bytes >= 2 * full)
		t->ack_now = true;
	/* The flush sends the reply with the ACK, or arms the timer. */
	tcp_want_flush(t);
}

/* Step 7: segment text. In-order data goes up at once; data ahead of a hole
 * waits in the out-of-order queue. Out-of-order arrivals and the segment
 * that fills a hole are acknowledged at once, so a hole shows as duplicate
 * ACKs the peer fast-retransmits on (RFC 5681 4.2). */
static void process_text(struct tcb *t, const struct tcp_segment *s)
{
	struct net_stack *ns = t->ns;
	if (s->len == 0 || !(t->state & (TCP_ESTABLISHED | TCP_FIN_WAIT_1 | TCP_FIN_WAIT_2)))
		return;
	if (seq_gt(s->seq, t->rcv.nxt)) {
		ns->tcp.stats.out_of_order++;
		ooo_insert(t, s);
		t->ack_now = true;
		tcp_want_flush(t);
		return;
	}
	uint32_t skip = t->rcv.nxt - s->seq; /* already received */
	if (skip >= s->len) {
		t->ack_now = true; /* a retransmission: our ACK was lost */
		tcp_want_flush(t);
		return;
	}
	bool filling_hole = t->ooo != NULL;
	/* The frame is the receive path's own buffer (see tcp_upcalls). */
	deliver(t, (uint8_t *)(uintptr_t)(s->data + skip), s->len - skip);
	ooo_drain(t);
	if (filling_hole) {
		t->ack_now = true;
		tcp_want_flush(t);
	} else {
		ack_later(t, s->len - skip);
	}
}

/* Step 8: FIN. Returns false if the connection is gone. */
static bool process_fin(struct tcb *t, const struct tcp_segment *s)
{
	if (!(s->flags & TCP_FIN) || s->seq + s->len != t->rcv.nxt)
		return true;
	if (t->state & (TCP_CLOSE_WAIT | TCP_CLOSING | TCP_LAST_ACK | TCP_TIME_WAIT)) {
		/* The peer's FIN was counted already: this one is past the end
		 * of its stream. Acknowledge and stay (3.10.7.4, eighth step);
		 * TIME-WAIT starts its 2 MSL again. */
		t->ack_now = true;
		tcp_want_flush(t);
		if (t->state == TCP_TIME_WAIT) {
			timer_cancel(&t->time_wait_timer);
			timer_arm(&t->ns->timers, &t->time_wait_timer, TCP_TIME_WAIT_MS);
		}
		return true;
	}
	t->rcv.nxt++;
	/* The stream ends here: bytes the peer queued beyond it can never be
	 * delivered, and must not be SACKed. */
	tcp_ooo_clear(t);
	t->ack_now = true;
	tcp_want_flush(t);
	switch (t->state) {
	case TCP_ESTABLISHED:
		t->state = TCP_CLOSE_WAIT;
		/* The peer will send nothing more. The layer above answers what it
		 * received and closes; one that cannot is dropped now. */
		if (t->upper && t->ns->tcp.up->peer_closed) {
			t->ns->tcp.up->peer_closed(t->ns->tcp.up_ctx, t->upper);
			break;
		}
		if (t->upper) {
			void *up = t->upper;
			t->upper = NULL;
			t->ns->tcp.up->closed(t->ns->tcp.up_ctx, up);
		}
		tcp_close(t);
		break;
	case TCP_FIN_WAIT_1:
		t->state = TCP_CLOSING;
		break;
	case TCP_FIN_WAIT_2:
		enter_time_wait(t);
		break;
	default:
		break;
	}
	return true;
}

void tcp_input(struct net_stack *ns, const uint8_t *src_mac, uint32_t saddr, uint32_t daddr,
	       const uint8_t *segment, size_t len)
{
	struct tcp_layer *tl = &ns->tcp;
	struct tcp_segment s;
	if (!tl->buckets) {
		ns->stats.rx_dropped++; /* no TCP on this stack (unit tests of lower layers) */
		return;
	}
	tl->stats.segments_in++;
	if (!parse(segment, len, &s)) {
		ns->stats.rx_dropped++;
		return;
	}
	uint32_t sum = checksum_pseudo_header(saddr, daddr, 6, (uint16_t)len);
	if (checksum_finish(checksum_partial(segment, len, sum)) != 0) {
		tl->stats.bad_checksum++;
		ns->stats.rx_bad_checksum++;
		return;
	}
	struct tcb *t = tcp_lookup(ns, saddr, s.sport, daddr, s.dport);
	bool to_listener = ntohs(s.dport) == tl->listen_port;
	if (!t && to_listener && (t = cookie_connection(ns, src_mac, saddr, daddr, &s)) != NULL) {
		/* Established from a cookie: go on with the segment's data. */
		tcp_keepalive_reset(t);
		process_text(t, &s);
		process_fin(t, &s);
		return;
	}
	if (!t) {
		if (to_listener)
			listen_input(ns, src_mac, saddr, daddr, &s);
		else if (!(s.flags & TCP_RST))
			tcp_send_reset_reply(ns, src_mac, saddr, daddr, s.sport, s.dport, s.seq,
					     s.ack, s.flags, s.len + !!(s.flags & (TCP_SYN | TCP_FIN)));
		return;
	}
	if (t->state == TCP_SYN_RECEIVED && (s.flags & TCP_SYN) && !(s.flags & TCP_ACK) &&
	    s.seq == t->rcv.irs) {
		tcp_send_syn_ack(t); /* our SYN-ACK was lost: the peer repeats its SYN */
		return;
	}
	/* First: sequence number, after PAWS. */
	bool paws = paws_rejects(t, &s);
	if (paws)
		tl->stats.paws_rejected++;
	if (paws || !acceptable(t, &s)) {
		if (!(s.flags & TCP_RST)) {
			t->ack_now = true;
			tcp_want_flush(t);
		}
		return;
	}
	/* Second: RST. RFC 5961 3.2: only an exact match resets; anything else
	 * in the window gets a challenge ACK. */
	if (s.flags & TCP_RST) {
		if (s.seq == t->rcv.nxt) {
			tl->stats.resets_received++;
			tcp_free(ns, t);
		} else {
			challenge_ack(t);
		}
		return;
	}
	update_ts_recent(t, &s);
	/* Fourth: a SYN in a synchronized state gets a challenge ACK
	 * (RFC 5961 4.2). */
	if (s.flags & TCP_SYN) {
		challenge_ack(t);
		return;
	}
	/* Fifth: the ACK field; a segment without one is dropped. */
	if (!(s.flags & TCP_ACK))
		return;
	if (process_ack(t, &s) != ACK_GO_ON)
		return;
	tcp_keepalive_reset(t); /* after the ACK step: it may have just established */
	if (t->state == TCP_TIME_WAIT && !(s.flags & TCP_FIN))
		return;
	process_text(t, &s);
	process_fin(t, &s);
}
