/* TCP (RFC 9293), passive open only: one instance per shard, connections in
 * a hash of their 4-tuple. A connection goes LISTEN -> SYN-RECEIVED ->
 * ESTABLISHED -> (FIN states) -> CLOSED with in-order delivery; options MSS,
 * window scale and timestamps (RFC 7323: RTT measurement, PAWS) and SACK
 * (RFC 2018: received blocks steer retransmission, sent blocks describe the
 * out-of-order queue); retransmission on an RFC 6298 timer; NewReno
 * congestion control with fast retransmit and recovery (RFC 5681, 6582);
 * delayed ACKs; zero-window probes; RST and SYN checks with rate-limited
 * challenge ACKs (RFC 5961); keepalive. Past TCP_SYN_BACKLOG half-open
 * connections, SYNs are answered with SYN cookies and no state.
 *
 * The layer above (the DPDK glue) sees a connection through tcp_upcalls and
 * writes with tcp_send(); TCP owns its send queue (bytes from snd.una on,
 * kept until acknowledged, at most TCP_SNDQ_LIMIT of them: the layer above
 * keeps the rest and is told when there is room again).
 */
#ifndef TESSERA_TCP_H
#define TESSERA_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timer_wheel.h"

struct net_stack;

/* States as bit flags, so a test reads like the RFC: in_state(t, A | B). */
enum tcp_state {
	TCP_CLOSED = 1 << 0,
	TCP_LISTEN = 1 << 1,
	TCP_SYN_RECEIVED = 1 << 2,
	TCP_ESTABLISHED = 1 << 3,
	TCP_FIN_WAIT_1 = 1 << 4,
	TCP_FIN_WAIT_2 = 1 << 5,
	TCP_CLOSE_WAIT = 1 << 6,
	TCP_CLOSING = 1 << 7,
	TCP_LAST_ACK = 1 << 8,
	TCP_TIME_WAIT = 1 << 9,
};

struct ooo_segment {
	struct ooo_segment *next;
	uint32_t seq;
	uint32_t len;
	uint32_t arrival;        /* order of arrival: SACK reports recent ones first */
	uint8_t data[];
};

/* A range of sequence space [start, end). */
struct seq_range {
	uint32_t start, end;
};

#define TCP_SACK_SCOREBOARD 8    /* SACKed ranges remembered per connection */

struct tcb {
	struct tcb *hash_next;
	struct net_stack *ns;
	/* The 4-tuple and the peer's MAC, network byte order. */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint8_t rmac[6];
	enum tcp_state state;

	struct {
		uint32_t una;       /* oldest unacknowledged sequence number */
		uint32_t nxt;       /* next sequence number to send */
		uint32_t max;       /* one past the highest ever sent: a timeout
				     * rewinds nxt, and ACKs up to max stay valid */
		uint32_t wnd;       /* the peer's window */
		uint32_t max_wnd;   /* the largest it has offered (RFC 5961 5.2) */
		uint32_t wl1, wl2;  /* segment seq/ack of the last window update */
		uint32_t iss;
		uint16_t mss;       /* the peer's MSS option, or 536 */
		uint8_t wscale;     /* the peer's window shift (RFC 7323), 0 if none */
	} snd;
	struct {
		uint32_t nxt;       /* next sequence number expected */
		uint32_t wnd;       /* what we advertise */
		uint32_t irs;
		uint8_t wscale;     /* our window shift, 0 if not negotiated */
		bool paused;        /* tcp_set_receiving(false): the right edge stays */
		uint32_t edge;      /* ... at this sequence number */
		uint32_t open_wnd;  /* the window to offer again when it resumes */
	} rcv;

	/* Bytes from snd.una on, at sndq + sndq_head: acknowledged bytes leave
	 * the front by moving the head (the queue is compacted only when an
	 * append needs the room), unsent ones wait at the back. */
	uint8_t *sndq;
	size_t sndq_head, sndq_len, sndq_cap;
	bool sndq_full;          /* tcp_send refused bytes: call up->writable */
	bool fin_queued;         /* the upper layer closed: FIN after sndq */
	bool fin_sent;
	bool ack_now;            /* an ACK is owed; sent with data or alone */
	/* Delayed ACK (RFC 9293 3.8.6.3): in-order data is acknowledged with
	 * the reply it causes, on every second full segment, or by the timer. */
	uint32_t unacked_bytes;
	struct timer delack_timer;

	/* RFC 7323 timestamps, used when both SYNs carried them. */
	bool ts_ok;
	uint32_t ts_recent;      /* TS.Recent: the TSval we echo */
	uint64_t ts_recent_ms;   /* when TS.Recent was set (PAWS's 24-day rule) */
	uint32_t ts_offset;      /* added to our clock so TSvals do not reveal it */
	uint32_t last_ack_sent;  /* Last.ACK.sent */

	/* RFC 2018 SACK, used when the peer's SYN permitted it: what the peer
	 * holds above snd.una (sorted, disjoint), and how far this recovery
	 * has retransmitted. */
	bool sack_ok;
	struct seq_range sacked[TCP_SACK_SCOREBOARD];
	unsigned nsacked;
	uint32_t high_rxt;
	uint32_t ooo_arrivals;   /* counts out-of-order arrivals (ooo_segment.arrival) */

	/* Congestion control, NewReno (RFC 5681, RFC 6582). */
	uint32_t cwnd, ssthresh;
	uint32_t bytes_acked;    /* towards the next congestion-avoidance step */
	uint32_t recover;        /* snd.nxt when loss was last detected */
	bool in_recovery;
	uint64_t last_send_ms;   /* restart slow start after an idle RTO */

	/* RFC 6298 */
	uint32_t srtt_ms, rttvar_ms, rto_ms;
	bool rtt_sampling;
	uint32_t rtt_seq;
	uint64_t rtt_sent_ms;
	unsigned backoff;
	unsigned dupacks;        /* duplicate ACKs in a row (RFC 5681 3.2) */
	bool window_probe;       /* send one byte into a zero window (3.8.6.1) */
	struct timer rtx_timer;
	struct timer time_wait_timer;
	struct timer keepalive_timer;
	unsigned keepalive_probes;   /* sent since the peer was last heard */

	/* Segments that arrived ahead of rcv.nxt, sorted by seq, at most
	 * rcv.wnd bytes beyond rcv.nxt (RFC 9293 3.10.7.4, seventh step:
	 * segments are kept until the hole before them is filled). */
	struct ooo_segment *ooo;
	size_t ooo_bytes;
	unsigned ooo_count;      /* at most TCP_OOO_MAX_SEGMENTS */

	void *upper;             /* the upper layer's connection (engine client) */
	bool in_flush_list;
	struct tcb *flush_next;
};

struct tcp_upcalls {
	/* A connection reached ESTABLISHED: return the upper layer's handle.
	 * NULL means the upper layer refused it: if it queued bytes and called
	 * tcp_close() they go out before the FIN, otherwise it is reset. */
	void *(*accepted)(void *ctx, struct tcb *t);
	/* In-order bytes arrived. Borrowed for the call, but writable: they sit
	 * in a receive buffer the stack owns (the RESP parser unescapes inline
	 * arguments in place). */
	void (*received)(void *ctx, void *upper, uint8_t *data, size_t len);
	/* tcp_send() refused bytes earlier and acknowledgements made room:
	 * send more. */
	void (*writable)(void *ctx, void *upper);
	/* The connection is gone (reset, closed, timed out): forget `upper`.
	 * The tcb is freed right after. */
	void (*closed)(void *ctx, void *upper);
	/* The peer's FIN arrived (CLOSE-WAIT): it sends nothing more, but
	 * still reads; the layer above sends what it owes, then calls
	 * tcp_close() (RFC 9293 3.10.7.4, eighth step). NULL: the stack calls
	 * `closed` and closes at once. */
	void (*peer_closed)(void *ctx, void *upper);
};

struct tcp_stats {
	uint64_t segments_in, segments_out, retransmits, resets_sent, resets_received;
	uint64_t bad_checksum, out_of_order, connections_open, time_wait;
	uint64_t syn_received;          /* half-open connections now */
	uint64_t syn_cookies_sent, syn_cookies_accepted;
	uint64_t keepalive_probes, keepalive_drops;
	uint64_t window_probes;         /* zero-window probes (persist timer) */
	uint64_t fast_retransmits, sack_retransmits, rto_timeouts;
	uint64_t paws_rejected, delayed_acks;
	uint64_t challenge_acks, challenge_acks_suppressed;
	uint64_t ooo_dropped;           /* out-of-order segments over TCP_OOO_MAX_SEGMENTS */
};

struct tcp_layer {
	uint16_t listen_port;    /* host order */
	const struct tcp_upcalls *up;
	void *up_ctx;
	struct tcb **buckets;
	unsigned nbuckets;
	struct tcb *flush_list;  /* connections with something to send */
	struct tcp_stats stats;
	uint32_t iss_seed;
	uint32_t cookie_secret;
	uint64_t keepalive_ms;       /* idle time before probing; 0 = off */
	/* RFC 5961 7: challenge ACKs per second, for all connections. */
	uint64_t challenge_second;
	unsigned challenge_acks_this_second;
};

int tcp_layer_init(struct tcp_layer *tl, uint16_t listen_port, const struct tcp_upcalls *up,
		   void *up_ctx, uint32_t seed);
void tcp_layer_fini(struct net_stack *ns);

/* IPv4 hands TCP a segment whose IP header was verified; borrowed. */
void tcp_input(struct net_stack *ns, const uint8_t *src_mac, uint32_t saddr, uint32_t daddr,
	       const uint8_t *segment, size_t len);

/* Queue bytes for sending; returns how many were taken: fewer than len when
 * the queue holds TCP_SNDQ_LIMIT (then up->writable says when to go on) or
 * memory ran out. Sending happens in tcp_flush. */
#define TCP_SNDQ_LIMIT (1024 * 1024)
size_t tcp_send(struct tcb *t, const void *data, size_t len);
/* The upper layer is done: FIN once the queue has gone out. */
void tcp_close(struct tcb *t);
/* The upper layer drops the connection and what it queued (RFC 9293
 * 3.10.5 ABORT): a RST, and the tcb is freed at once, with no upcall. For
 * a client that was killed: one that never reads would otherwise hold its
 * queue behind a zero window, probed for ever. */
void tcp_abort(struct tcb *t);
/* Backpressure from the layer above: off, the window's right edge stays
 * where it is, so it closes as bytes arrive (never shrinks, RFC 9293
 * 3.8.6.2.1); on, the whole window opens again and a window update goes
 * out. */
void tcp_set_receiving(struct tcb *t, bool on);
/* Send what every connection has queued and the ACKs owed: once per loop
 * iteration, after input, so an ACK rides with the reply it caused. */
void tcp_flush(struct net_stack *ns);

#endif
