/* test_net_tcp.c - the TCP state machine (RFC 9293, with RFC 5961's
 * rate-limited challenge ACKs, RFC 6298's timer, delayed ACKs, RFC 7323's
 * timestamps and PAWS, RFC 2018's SACK, and NewReno congestion control:
 * RFC 5681, 6928, 3042, 6582), driven from the wire: crafted segments go in through net_input(), and every
 * frame the stack emits is decoded and matched against what the RFC says
 * it must send, field by field.
 *
 * Why a table: a TCP behaviour is a conversation, "the peer sends this, we
 * must answer that", and the interesting bugs are in the order of events,
 * not in one function. Written as data (in the spirit of packetdrill), each
 * scenario reads as the conversation it checks, one shared runner does the
 * framing, checksums and decoding, and a new case is a few rows, not a new
 * test function.
 *
 * Sequence numbers in the rows are relative, as packetdrill writes them:
 * what we inject counts from the peer's ISN (the SYN is seq 0), what we
 * expect counts from our ISS, which the runner learns from the first
 * SYN-ACK it sees (until then it is 0, so the RST replies of RFC 9293
 * 3.10.7.1, whose <SEQ=0> is absolute, read naturally). The peer's ISN sits
 * 8 bytes below 2^32 so that data crosses the wrap.
 *
 * The runner is strict, like packetdrill: a frame the stack sends that no
 * row expected fails the scenario at the next action (or at its end), and
 * a scenario stops at its first mismatch, since later rows would only
 * report the same divergence again.
 *
 * Options are table vocabulary too. What we inject: TS(tsval, tsecr)
 * (TSval on the peer's clock; TSecr counted from our SYN-ACK's TSval, or
 * TS_LAST(tsval) to echo the latest TSval we sent), .sackok, and
 * SACKS({start, end}, ...) counted from our ISS. What we expect: ECHO(v)
 * (timestamps present, TSecr exactly v) or NO_TS, .sackok_check,
 * .ws_check, SACKS(...) exactly, counted from the peer's ISN, or NO_SACK,
 * SACK_FIRST(n, start, end) / NBLOCKS(n), and LAYOUT(kinds...) for the
 * option kinds in order, NOPs included. Our TSvals are opaque: the runner
 * captures them, fails one that goes back in time, and .ts_newer asks for
 * one that advanced. Bulk data comes from SEND_N(n), a pattern the runner
 * remembers, so OUT_RUN(n, seq, ack, len) checks n segments' payloads
 * exactly; IN_N and OUT_N repeat a row. The fake TX holds TX_FRAMES
 * frames between two actions.
 *
 * A scenario whose `known_bug` is set describes behaviour the RFC requires
 * and the stack does not (yet) have: it is run and counted like any other,
 * so it fails until the stack is fixed, and the runner says why it is
 * expected to.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net_stack.h"
#include "net_test_hosts.h"
#include "tcp.h"
#include "tcp_internal.h"
#include "tcp_seq.h"
#include "unit_test.h"
#include "wire_format.h"


#define LISTEN_PORT 6379
#define PEER_PORT 40000
#define PEER_ISN 0xfffffff8u
#define WIN 65535
#define START_MS 1000000      /* a tick boundary: timer expiries are exact */

/* Flag shorthands, so a row reads like a trace. */
#define SYN TCP_FLAG_SYN
#define ACK TCP_FLAG_ACK
#define FIN TCP_FLAG_FIN
#define RST TCP_FLAG_RST
#define PSH TCP_FLAG_PSH

/* ---- the table's vocabulary ------------------------------------------------ */

enum step_kind {
	END,
	INJECT,          /* the peer sends .seg (then one flush, unless .no_flush),
			  * .count times if .count > 1 */
	FLUSH,           /* the end of a loop iteration: tcp_flush() */
	EXPECT,          /* the next frame we sent is .seg (the next .count
			  * frames if .count > 1; each seq .seg.stream_len on) */
	EXPECT_NOTHING,  /* no frame we sent is waiting to be matched */
	ADVANCE,         /* the clock moves .ms forward, timers run, then a flush */
	STATE,           /* the connection is in .state (TCP_CLOSED: no tcb at all) */
	UP_SEND,         /* the upper layer writes .text, then a flush */
	UP_SEND_N,       /* the upper layer offers .count stream bytes, tcp_send
			  * must take .value of them, then a flush */
	UP_CLOSE,        /* the upper layer calls tcp_close(), then a flush */
	DELIVERED,       /* the upper layer has received exactly .text, in all */
	UPCALLS,         /* accepted and closed were called .accepted, .closed times */
	WRITABLE,        /* writable was called .value times */
	STAT,            /* tcp stats field .stat_name is .value */
	FILL_BACKLOG,    /* .count SYNs from other ports leave half-open connections */
	UP_READING,      /* the upper layer calls tcp_set_receiving(.value), then a flush */
	UP_ABORT,        /* the upper layer calls tcp_abort(), then a flush */
};

/* Whether an option must be in a segment we send. */
enum opt_check { ANY, ABSENT, PRESENT };
#define WS_ABSENT ABSENT
#define WS_PRESENT PRESENT

#define MAX_BLOCKS 4

struct seg {
	uint8_t flags;
	uint32_t seq, ack;          /* relative, see the header comment */
	uint32_t win;               /* inject: as sent; expect: 0 = not checked */
	uint16_t mss;               /* inject: MSS option if non-zero; expect: its value */
	bool has_ws;                /* inject: a window-scale option with shift .ws */
	uint8_t ws;
	enum opt_check ws_check;    /* expect */
	const char *data;           /* payload; NULL = none */
	size_t stream_len;          /* expect: the payload is this many bytes of
				     * what the upper layer wrote, from .seq on */
	bool bad_csum;              /* inject: corrupt the TCP checksum */
	bool no_flush;              /* inject: more arrives in this loop iteration */
	uint32_t seq_stride;        /* inject, IN_N: each repetition this much further on */

	/* RFC 7323 timestamps. Inject (.ts): TSval .tsval on the peer's
	 * clock, absolute; TSecr counted from our first TSval (the SYN-ACK's),
	 * or our latest TSval when .tsecr_last (the peer echoes what it last
	 * heard). Expect (.ts_check): PRESENT also requires TSecr == .tsecr,
	 * the peer's TSval the RFC says we echo (TS.Recent). Our TSvals are
	 * opaque: the runner captures them and fails any that goes back in
	 * time; .ts_newer asks for one above the previous. */
	bool ts, tsecr_last;
	uint32_t tsval, tsecr;
	enum opt_check ts_check;
	bool ts_newer;
	/* RFC 2018. Inject: .sackok sends SACK-permitted, .sack blocks
	 * relative to our ISS (they acknowledge our data). Expect:
	 * .sackok_check; .sack_check asks for exactly the blocks .sack in
	 * that order, relative to the peer's ISN (none: no SACK option). A
	 * {0, 0} block ends the list. */
	bool sackok;
	enum opt_check sackok_check;
	struct seq_range sack[MAX_BLOCKS];
	bool sack_check;
	unsigned nblocks;           /* expect: exactly this many blocks, the
				     * first one .sack[0] unless that is {0, 0} */
	/* Expect: the option kinds in order, NOPs included, 0-terminated. */
	const uint8_t *layout;
};

struct step {
	enum step_kind kind;
	struct seg seg;
	uint64_t ms;
	unsigned state;
	const char *text;
	unsigned accepted, closed;
	const char *stat_name;
	size_t stat_off;
	uint64_t value;
	unsigned count;
};

struct scenario {
	const char *name;
	const struct step *steps;
	uint16_t lport;             /* the port the peer talks to; 0 = LISTEN_PORT */
	uint64_t keepalive_ms;
	bool answers_after_fin;     /* the upper layer has peer_closed: it answers, then closes */
	const char *known_bug;      /* why this fails today; NULL when it should pass */
};

#define IN(fl, s, a, w, ...) \
	{ .kind = INJECT, .seg = { .flags = (fl), .seq = (s), .ack = (a), .win = (w), __VA_ARGS__ } }
#define IN_N(n, fl, s, a, w, ...) \
	{ .kind = INJECT, .count = (n), \
	  .seg = { .flags = (fl), .seq = (s), .ack = (a), .win = (w), __VA_ARGS__ } }
#define OUT(fl, s, a, ...) \
	{ .kind = EXPECT, .seg = { .flags = (fl), .seq = (s), .ack = (a), __VA_ARGS__ } }
#define OUT_N(n, fl, s, a, ...) \
	{ .kind = EXPECT, .count = (n), .seg = { .flags = (fl), .seq = (s), .ack = (a), __VA_ARGS__ } }
/* n data segments of len stream bytes each, from seq on. */
#define OUT_RUN(n, s, a, len, ...) \
	OUT_N(n, ACK | PSH, s, a, .stream_len = (len), __VA_ARGS__)
#define NOTHING { .kind = EXPECT_NOTHING }
#define DO_FLUSH { .kind = FLUSH }
#define ADV(n) { .kind = ADVANCE, .ms = (n) }
#define STATE_IS(s) { .kind = STATE, .state = (s) }
#define SEND(t) { .kind = UP_SEND, .text = (t) }
#define SEND_N(n) { .kind = UP_SEND_N, .count = (n), .value = (n) }
#define SEND_N_TAKES(n, k) { .kind = UP_SEND_N, .count = (n), .value = (k) }
#define CLOSE { .kind = UP_CLOSE }
#define GOT(t) { .kind = DELIVERED, .text = (t) }
#define CALLS(a, c) { .kind = UPCALLS, .accepted = (a), .closed = (c) }
#define WRITABLE_IS(n) { .kind = WRITABLE, .value = (n) }
#define STAT_IS(f, v) \
	{ .kind = STAT, .stat_name = #f, .stat_off = offsetof(struct tcp_stats, f), .value = (v) }
#define BACKLOG(n) { .kind = FILL_BACKLOG, .count = (n) }
#define READING(on) { .kind = UP_READING, .value = (on) }
#define ABORT { .kind = UP_ABORT }
#define STEPS(...) ((const struct step[]){ __VA_ARGS__, { .kind = END } })

/* Options, for IN and OUT rows. */
#define TS(v, e) .ts = true, .tsval = (v), .tsecr = (e)          /* inject */
#define TS_LAST(v) .ts = true, .tsval = (v), .tsecr_last = true  /* inject */
#define ECHO(v) .ts_check = PRESENT, .tsecr = (v)                /* expect */
#define NO_TS .ts_check = ABSENT                                 /* expect */
#define SACKS(...) .sack_check = true, .sack = { __VA_ARGS__ }   /* both */
#define NO_SACK .sack_check = true                               /* expect */
#define SACK_FIRST(n, s, e) .nblocks = (n), .sack = { { (s), (e) } } /* expect */
#define NBLOCKS(n) .nblocks = (n)                                /* expect */
#define LAYOUT(...) .layout = (const uint8_t[]){ __VA_ARGS__, 0 } /* expect */
#define NO_OPTIONS .layout = (const uint8_t[]){ 0 }              /* expect */
/* Option kinds, for LAYOUT. */
#define O_NOP TCP_OPT_NOP
#define O_MSS TCP_OPT_MSS
#define O_WS TCP_OPT_WSCALE
#define O_SACKOK TCP_OPT_SACK_PERMITTED
#define O_SACK TCP_OPT_SACK
#define O_TS TCP_OPT_TIMESTAMPS

/* The passive open every established scenario starts from: the peer's SYN
 * (with an MSS option), our SYN-ACK, the peer's ACK with window `w`. */
#define HANDSHAKE_WITH(mss_, w)						\
	IN(SYN, 0, 0, WIN, .mss = (mss_)),				\
	OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),			\
	IN(ACK, 1, 1, (w)),						\
	STATE_IS(TCP_ESTABLISHED)
#define HANDSHAKE HANDSHAKE_WITH(1460, WIN)
/* The same with SACK permitted (no timestamps, no window scale). */
#define HANDSHAKE_SACK(mss_)						\
	IN(SYN, 0, 0, WIN, .mss = (mss_), .sackok = true),		\
	OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, .sackok_check = PRESENT), \
	IN(ACK, 1, 1, WIN),						\
	STATE_IS(TCP_ESTABLISHED)
/* The same with timestamps: the peer's TSvals are 100, then 101, which
 * becomes TS.Recent. */
#define HANDSHAKE_TS(mss_)						\
	IN(SYN, 0, 0, WIN, .mss = (mss_), TS(100, 0)),			\
	OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, ECHO(100)),		\
	IN(ACK, 1, 1, WIN, TS(101, 0)),					\
	STATE_IS(TCP_ESTABLISHED)

#define X10(s) s s s s s s s s s s
#define X100(s) X10(X10(s))
#define A10 X10("a")
#define A100 X100("a")
#define B10 X10("b")
#define B100 X100("b")
/* Full-sized segments: 1460 bytes, and 1448 with timestamps. */
#define FULL(c) X10(X100(c)) X100(c) X100(c) X100(c) X100(c) X10(c) X10(c) X10(c) X10(c) X10(c) X10(c)
#define FULL_TS(c) X10(X100(c)) X100(c) X100(c) X100(c) X100(c) X10(c) X10(c) X10(c) X10(c) \
	c c c c c c c c

/* ---- the scenarios ----------------------------------------------------------- */

static const struct scenario scenarios[] = {
	/* -- the handshake (RFC 9293 3.5, 3.10.7.2; RFC 7323 2.2) -- */
	{ .name = "syn_gets_syn_ack_with_mss_and_no_wscale_then_ack_establishes", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, .ws_check = WS_ABSENT),
		STATE_IS(TCP_SYN_RECEIVED),
		STAT_IS(syn_received, 1),
		CALLS(0, 0),
		IN(ACK, 1, 1, WIN),
		NOTHING,
		STATE_IS(TCP_ESTABLISHED),
		CALLS(1, 0),
		STAT_IS(syn_received, 0)) },
	{ .name = "syn_with_wscale_gets_syn_ack_with_wscale_and_windows_scale", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460, .has_ws = true, .ws = 7),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, .ws_check = WS_PRESENT),
		IN(ACK, 1, 1, 1),                  /* 1 << 7: room for 128 bytes */
		STATE_IS(TCP_ESTABLISHED),
		SEND(A100 B100),
		/* Only what the scaled window allows, under our own scaled one. */
		OUT(ACK | PSH, 1, 1, .data = A100 B10 B10 "bbbbbbbb",
		    .win = TCP_RECEIVE_WINDOW_SCALED >> TCP_OUR_WSCALE),
		NOTHING) },
	{ .name = "handshake_ack_carrying_data_establishes_and_delivers_it", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		IN(ACK | PSH, 1, 1, WIN, .data = "PING\r\n"),
		NOTHING,                           /* the ACK is delayed */
		STATE_IS(TCP_ESTABLISHED),
		GOT("PING\r\n"),
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 7)) },
	{ .name = "syn_without_mss_option_limits_our_segments_to_536_bytes", .steps = STEPS(
		IN(SYN, 0, 0, WIN),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		IN(ACK, 1, 1, WIN),
		SEND(A100 A100 A100 A100 A100 B100),
		/* RFC 9293 3.7.1: no option means 536. */
		OUT(ACK | PSH, 1, 1, .data = A100 A100 A100 A100 A100 B10 B10 B10 "bbbbbb"),
		OUT(ACK | PSH, 537, 1, .data = B10 B10 B10 B10 B10 B10 "bbbb"),
		NOTHING) },
	{ .name = "syn_with_a_tiny_mss_gets_segments_of_at_least_48_bytes", .steps = STEPS(
		/* MSS 8 with timestamps left 8 - 12 bytes for data: the count
		 * wrapped and one segment took the whole window (found by
		 * tests/fuzz/fuzz_tcp_input). Linux's tcp_min_snd_mss floor. */
		IN(SYN, 0, 0, WIN, .mss = 8, TS(100, 0)),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, ECHO(100)),
		IN(ACK, 1, 1, WIN, TS(101, 0)),
		SEND(A100),
		OUT(ACK | PSH, 1, 1, .data = A10 A10 A10 "aaaaaa", ECHO(101)),
		OUT(ACK | PSH, 37, 1, .data = A10 A10 A10 "aaaaaa", ECHO(101)),
		OUT(ACK | PSH, 73, 1, .data = A10 A10 "aaaaaaaa", ECHO(101)),
		NOTHING) },
	{ .name = "repeated_syn_in_syn_received_gets_the_syn_ack_again", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		STATE_IS(TCP_SYN_RECEIVED),
		STAT_IS(syn_received, 1)) },
	{ .name = "unanswered_syn_ack_is_retransmitted_after_1s_then_2s", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		ADV(TCP_RTO_INITIAL_MS - 10),
		NOTHING,
		ADV(10),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		ADV(2 * TCP_RTO_INITIAL_MS - 10), /* RFC 6298 5.5: backed off */
		NOTHING,
		ADV(10),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		STAT_IS(retransmits, 2),
		IN(ACK, 1, 1, WIN),
		NOTHING,
		STATE_IS(TCP_ESTABLISHED)) },
	{ .name = "handshake_ack_acking_the_wrong_sequence_gets_rst_and_keeps_state", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		IN(ACK, 1, 5, WIN),
		OUT(RST, 5, 0),                    /* <SEQ=SEG.ACK><CTL=RST> */
		STATE_IS(TCP_SYN_RECEIVED),
		CALLS(0, 0)) },

	/* -- receiving (RFC 9293 3.10.7.4, first and seventh steps) -- */
	{ .name = "in_order_data_is_delivered_at_once_and_acked_by_the_delayed_ack_timer", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = "hello", .no_flush = true),
		GOT("hello"),
		NOTHING,
		DO_FLUSH,
		NOTHING,                           /* RFC 9293 3.8.6.3: delayed */
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 6),
		IN(ACK | PSH, 6, 1, WIN, .data = " world"), /* crosses 2^32 */
		NOTHING,
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 12),
		GOT("hello world"),
		STAT_IS(delayed_acks, 2)) },
	{ .name = "reply_carries_the_ack_for_the_request", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = "PING\r\n", .no_flush = true),
		SEND("+PONG\r\n"),
		OUT(ACK | PSH, 1, 7, .data = "+PONG\r\n"),
		IN(ACK, 7, 8, WIN),
		NOTHING,
		ADV(TCP_DELAYED_ACK_MS),           /* nothing was left owed */
		NOTHING,
		STAT_IS(delayed_acks, 0)) },
	{ .name = "duplicate_data_is_reacked_not_redelivered", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = "hello"),
		NOTHING,
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 6),
		IN(ACK | PSH, 1, 1, WIN, .data = "hello"),
		OUT(ACK, 1, 6),                    /* a duplicate: ACKed at once */
		GOT("hello"),
		/* Overlapping the delivered bytes: only the new ones go up, and
		 * as new data their ACK is delayed. */
		IN(ACK | PSH, 4, 1, WIN, .data = "lo wo"),
		NOTHING,
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 9),
		GOT("hello wo")) },
	{ .name = "out_of_order_segment_waits_for_the_hole_then_both_are_delivered", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 6, 1, WIN, .data = "world"),
		OUT(ACK, 1, 1, NO_SACK),           /* a duplicate ACK: ack = rcv.nxt */
		GOT(""),
		STAT_IS(out_of_order, 1),
		IN(ACK | PSH, 1, 1, WIN, .data = "hello"),
		OUT(ACK, 1, 11, NO_SACK),          /* at once; one ACK covers both */
		GOT("helloworld")) },
	{ .name = "segment_beyond_the_window_is_acked_not_delivered", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1 + WIN, 1, WIN, .data = "x"),  /* first byte past it */
		OUT(ACK, 1, 1),
		IN(ACK | PSH, 70000, 1, WIN, .data = "far"),
		OUT(ACK, 1, 1),
		IN(ACK | PSH, WIN, 1, WIN, .data = "y"),      /* last byte inside */
		OUT(ACK, 1, 1),
		GOT(""),
		STAT_IS(out_of_order, 1),
		STATE_IS(TCP_ESTABLISHED)) },
	{ .name = "segment_with_bad_checksum_is_dropped_silently_and_counted", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = "hello", .bad_csum = true),
		NOTHING,
		GOT(""),
		STAT_IS(bad_checksum, 1),
		ADV(TCP_DELAYED_ACK_MS),
		NOTHING,                           /* no delayed ACK is owed either */
		IN(ACK | PSH, 1, 1, WIN, .data = "hello"),
		NOTHING,
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 6),
		GOT("hello")) },

	/* -- RST and SYN in a synchronized state (RFC 5961 3.2, 4.2) -- */
	{ .name = "rst_with_exact_sequence_frees_the_connection", .steps = STEPS(
		HANDSHAKE,
		IN(RST | ACK, 1, 1, WIN),
		NOTHING,
		STATE_IS(TCP_CLOSED),
		CALLS(1, 1),
		STAT_IS(resets_received, 1)) },
	{ .name = "rst_in_window_but_not_exact_gets_challenge_ack", .steps = STEPS(
		HANDSHAKE,
		IN(RST, 100, 0, WIN),
		OUT(ACK, 1, 1),
		STATE_IS(TCP_ESTABLISHED),
		CALLS(1, 0),
		STAT_IS(resets_received, 0)) },
	{ .name = "rst_outside_the_window_is_ignored", .steps = STEPS(
		HANDSHAKE,
		IN(RST, 100000, 0, WIN),
		NOTHING,
		IN(RST, 0, 0, WIN),                /* just before rcv.nxt */
		NOTHING,
		STATE_IS(TCP_ESTABLISHED),
		CALLS(1, 0)) },
	{ .name = "syn_in_established_gets_challenge_ack", .steps = STEPS(
		HANDSHAKE,
		IN(SYN, 500, 0, WIN, .mss = 1460),
		OUT(ACK, 1, 1),
		IN(SYN, 0, 0, WIN, .mss = 1460),   /* the original SYN, repeated */
		OUT(ACK, 1, 1),
		STATE_IS(TCP_ESTABLISHED),
		CALLS(1, 0)) },
	{ .name = "ack_older_than_any_offered_window_is_challenged_and_its_data_dropped", .steps = STEPS(
		HANDSHAKE,
		/* RFC 5961 5.2: SEG.ACK < SND.UNA - MAX.SND.WND (the peer
		 * offered 65535) is a blind injection: challenge ACK, drop. */
		IN(ACK | PSH, 1, 1u - 65535u - 1u, WIN, .data = "evil"),
		OUT(ACK, 1, 1),
		GOT(""),
		STAT_IS(challenge_acks, 1),
		/* Just inside the window of old ACKs: a late duplicate, taken. */
		IN(ACK | PSH, 1, 1u - 65535u, WIN, .data = "good"),
		GOT("good"),
		STATE_IS(TCP_ESTABLISHED)) },
	{ .name = "rst_in_syn_received_with_exact_sequence_drops_the_half_open_connection", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		IN(RST, 1, 0, WIN),
		NOTHING,
		STATE_IS(TCP_CLOSED),
		STAT_IS(syn_received, 0),
		CALLS(0, 0)) },

	/* -- the ACK field (RFC 9293 3.10.7.4, fifth step) -- */
	{ .name = "data_without_the_ack_bit_is_dropped", .steps = STEPS(
		HANDSHAKE,
		IN(PSH, 1, 0, WIN, .data = "hello"),
		NOTHING,
		GOT(""),
		STATE_IS(TCP_ESTABLISHED)) },
	{ .name = "ack_for_data_not_yet_sent_gets_an_ack_and_keeps_state", .steps = STEPS(
		HANDSHAKE,
		IN(ACK, 1, 1000, WIN),
		OUT(ACK, 1, 1),
		STATE_IS(TCP_ESTABLISHED)) },
	{ .name = "ack_for_data_not_yet_sent_drops_the_segment_text", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1000, WIN, .data = "hello"),
		OUT(ACK, 1, 1),
		GOT(""),
		STATE_IS(TCP_ESTABLISHED)) },

	/* -- closing (RFC 9293 3.6) -- */
	{ .name = "peer_fin_in_established_closes_our_side_too_and_its_ack_frees", .steps = STEPS(
		HANDSHAKE,
		IN(FIN | ACK, 1, 1, WIN, .no_flush = true),
		STATE_IS(TCP_CLOSE_WAIT),
		CALLS(1, 1),                       /* the client is dropped at once */
		DO_FLUSH,
		OUT(FIN | ACK, 1, 2),              /* our FIN carries the ACK of theirs */
		STATE_IS(TCP_LAST_ACK),
		IN(ACK, 2, 2, WIN),
		NOTHING,
		STATE_IS(TCP_CLOSED)) },
	{ .name = "peer_fin_with_data_delivers_the_data_before_closing", .steps = STEPS(
		HANDSHAKE,
		IN(FIN | ACK | PSH, 1, 1, WIN, .data = "QUIT\r\n"),
		OUT(FIN | ACK, 1, 8),
		GOT("QUIT\r\n"),
		CALLS(1, 1),
		STATE_IS(TCP_LAST_ACK)) },
	/* RFC 9293 3.10.7.4, eighth step: CLOSE-WAIT still sends. A request
	 * that came with the FIN (a half-close) is answered, then we close. */
	{ .name = "peer_fin_with_data_is_answered_in_close_wait_before_our_fin",
	  .answers_after_fin = true, .steps = STEPS(
		HANDSHAKE,
		IN(FIN | ACK | PSH, 1, 1, WIN, .data = "PING\r\n"),
		OUT(ACK, 1, 8),                    /* data and FIN acked; no FIN of ours */
		GOT("PING\r\n"),
		CALLS(1, 0),                       /* the upper layer is still attached */
		STATE_IS(TCP_CLOSE_WAIT),
		SEND("+PONG\r\n"),
		OUT(ACK | PSH, 1, 8, .stream_len = 7),
		CLOSE,
		OUT(FIN | ACK, 8, 8),
		STATE_IS(TCP_LAST_ACK),
		IN(ACK, 8, 9, WIN),
		NOTHING,
		STATE_IS(TCP_CLOSED)) },
	{ .name = "our_close_goes_fin_wait_1_fin_wait_2_time_wait_then_frees_after_2s", .steps = STEPS(
		HANDSHAKE,
		CLOSE,
		OUT(FIN | ACK, 1, 1),
		STATE_IS(TCP_FIN_WAIT_1),
		IN(ACK, 1, 2, WIN),
		NOTHING,
		STATE_IS(TCP_FIN_WAIT_2),
		IN(FIN | ACK, 1, 2, WIN),
		OUT(ACK, 2, 2),
		STATE_IS(TCP_TIME_WAIT),
		STAT_IS(time_wait, 1),
		ADV(TCP_TIME_WAIT_MS - 10),
		NOTHING,
		STATE_IS(TCP_TIME_WAIT),
		ADV(10),
		NOTHING,
		STATE_IS(TCP_CLOSED),
		STAT_IS(time_wait, 0),
		CALLS(1, 0)) },                    /* it closed: no callback back */
	{ .name = "retransmitted_fin_in_time_wait_is_acked_again", .steps = STEPS(
		HANDSHAKE,
		CLOSE,
		OUT(FIN | ACK, 1, 1),
		IN(FIN | ACK, 1, 2, WIN),          /* acks our FIN and sends its own */
		OUT(ACK, 2, 2),
		STATE_IS(TCP_TIME_WAIT),
		IN(FIN | ACK, 1, 2, WIN),          /* our ACK was lost */
		OUT(ACK, 2, 2),
		STATE_IS(TCP_TIME_WAIT)) },
	{ .name = "simultaneous_close_goes_through_closing_to_time_wait", .steps = STEPS(
		HANDSHAKE,
		CLOSE,
		OUT(FIN | ACK, 1, 1),
		IN(FIN | ACK, 1, 1, WIN),          /* crossed ours: does not ack it */
		OUT(ACK, 2, 2),
		STATE_IS(TCP_CLOSING),
		IN(ACK, 2, 2, WIN),
		NOTHING,
		STATE_IS(TCP_TIME_WAIT),
		ADV(TCP_TIME_WAIT_MS),
		STATE_IS(TCP_CLOSED)) },
	{ .name = "unacked_fin_is_retransmitted", .steps = STEPS(
		HANDSHAKE,
		SEND("bye"),
		OUT(ACK | PSH, 1, 1, .data = "bye"),
		CLOSE,
		OUT(FIN | ACK, 4, 1),
		ADV(TCP_RTO_INITIAL_MS),
		/* Go-back-N: from snd.una, the data and then the FIN again. */
		OUT(ACK | PSH, 1, 1, .data = "bye"),
		OUT(FIN | ACK, 4, 1),
		IN(ACK, 1, 5, WIN),
		NOTHING,
		STATE_IS(TCP_FIN_WAIT_2)) },

	/* -- sending: retransmission (RFC 6298), fast retransmit (RFC 5681 3.2) -- */
	{ .name = "unacked_data_is_resent_after_rto_with_backoff_and_an_ack_stops_it", .steps = STEPS(
		HANDSHAKE,
		/* The handshake was a round trip (RFC 6298 2.2): the RTO is at
		 * its floor, not the initial 1 s. */
		SEND("hello"),
		OUT(ACK | PSH, 1, 1, .data = "hello"),
		ADV(TCP_RTO_MIN_MS - 10),
		NOTHING,
		ADV(10),
		OUT(ACK | PSH, 1, 1, .data = "hello"),
		ADV(2 * TCP_RTO_MIN_MS - 10),
		NOTHING,
		ADV(10),
		OUT(ACK | PSH, 1, 1, .data = "hello"),
		STAT_IS(retransmits, 2),
		IN(ACK, 1, 6, WIN),
		NOTHING,
		ADV(10 * TCP_RTO_INITIAL_MS),
		NOTHING,
		/* A fresh RTT sample (10 ms) replaces the backed-off RTO. */
		SEND("world"),
		OUT(ACK | PSH, 6, 1, .data = "world"),
		ADV(10),
		IN(ACK, 1, 11, WIN),
		SEND("again"),
		OUT(ACK | PSH, 11, 1, .data = "again"),
		ADV(TCP_RTO_MIN_MS - 10),
		NOTHING,
		ADV(10),
		OUT(ACK | PSH, 11, 1, .data = "again")) },
	{ .name = "third_duplicate_ack_fast_retransmits_the_first_unacked_segment", .steps = STEPS(
		HANDSHAKE_WITH(100, WIN),
		SEND(A100 B100),
		OUT(ACK | PSH, 1, 1, .data = A100),
		OUT(ACK | PSH, 101, 1, .data = B100),
		IN(ACK, 1, 1, WIN),
		NOTHING,
		IN(ACK, 1, 1, WIN),
		NOTHING,
		STAT_IS(fast_retransmits, 0),      /* not before the third */
		IN(ACK, 1, 1, WIN),
		OUT(ACK | PSH, 1, 1, .data = A100),
		NOTHING,
		STAT_IS(retransmits, 1),
		STAT_IS(fast_retransmits, 1),
		IN(ACK, 1, 201, WIN),
		NOTHING,
		ADV(10 * TCP_RTO_INITIAL_MS),      /* everything acked: no timer left */
		NOTHING) },

	/* -- the zero window (RFC 9293 3.8.6.1) -- */
	{ .name = "zero_window_holds_data_until_a_probe_and_the_opening_sends_the_rest", .steps = STEPS(
		HANDSHAKE_WITH(1460, 0),
		SEND("abc"),
		NOTHING,
		ADV(TCP_RTO_MIN_MS - 10),
		NOTHING,
		ADV(10),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 2, WIN),                /* took the byte, and opens */
		OUT(ACK | PSH, 2, 1, .data = "bc"),
		IN(ACK, 1, 4, WIN),
		NOTHING) },
	/* Backpressure from the layer above (replies it cannot send): the
	 * right edge of our window stays, so the window closes as bytes come
	 * (RFC 9293 3.8.6.2.1: never shrink it); resuming opens it at once. */
	{ .name = "receiving_paused_keeps_the_right_edge_and_resuming_reopens_the_window",
	  .steps = STEPS(
		HANDSHAKE,
		READING(0),
		NOTHING,
		IN(ACK | PSH, 1, 1, WIN, .data = A100),
		GOT(A100),
		NOTHING,
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 101, .win = TCP_RECEIVE_WINDOW - 100),
		IN(ACK | PSH, 101, 1, WIN, .data = B10),
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 111, .win = TCP_RECEIVE_WINDOW - 110),
		READING(1),
		OUT(ACK, 1, 111, .win = TCP_RECEIVE_WINDOW),
		IN(ACK | PSH, 111, 1, WIN, .data = B10),
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 121, .win = TCP_RECEIVE_WINDOW)) },
	/* The window closes with the ACK of everything in flight while more
	 * waits to be sent (a client that stopped reading): nothing is left to
	 * retransmit, so only the persist timer can find out that the window
	 * opened again, if the peer's window update is lost (issue 12). */
	{ .name = "window_closing_with_the_ack_of_all_in_flight_starts_the_probes", .steps = STEPS(
		HANDSHAKE_WITH(1460, 1460),
		SEND_N(2920),
		OUT_RUN(1, 1, 1, 1460),
		IN(ACK, 1, 1461, 0),               /* all taken, window closed */
		NOTHING,
		ADV(TCP_RTO_INITIAL_MS),
		OUT(ACK | PSH, 1461, 1, .stream_len = 1),
		IN(ACK, 1, 1461, 0),               /* still closed */
		NOTHING,
		ADV(2 * TCP_RTO_INITIAL_MS),
		OUT(ACK | PSH, 1461, 1, .stream_len = 1),
		IN(ACK, 1, 1462, WIN),             /* took it, and opens */
		OUT_RUN(1, 1462, 1, 1459),
		STAT_IS(window_probes, 2),
		NOTHING) },
	{ .name = "abort_behind_a_zero_window_resets_at_once_with_no_upcall", .steps = STEPS(
		/* A killed client that never reads: a FIN would wait behind its
		 * queue, probed for ever (RFC 9293 3.10.5 ABORT). */
		HANDSHAKE_WITH(1460, 0),
		SEND("abc"),
		NOTHING,
		ABORT,
		OUT(RST | ACK, 1, 1),
		STATE_IS(TCP_CLOSED),
		CALLS(1, 0),
		STAT_IS(resets_sent, 1),
		ADV(60000),
		NOTHING) },
	{ .name = "zero_window_probes_go_on_while_the_peer_answers_them", .steps = STEPS(
		HANDSHAKE_WITH(1460, 0),
		SEND("abc"),
		ADV(1000),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 1, 0),                  /* still closed: byte not taken */
		ADV(2000),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 1, 0),
		ADV(4000),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 1, 0),
		ADV(8000),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 1, 0),
		ADV(16000),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 1, 0),
		ADV(32000),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 1, 0),
		ADV(60000),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 1, 0),
		ADV(60000),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 1, 0),
		ADV(60000),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 1, 0),
		ADV(60000),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 1, 0),
		STATE_IS(TCP_ESTABLISHED),
		CALLS(1, 0)) },

	/* -- no connection (RFC 9293 3.10.7.1, 3.10.7.2) -- */
	{ .name = "segments_to_a_closed_port_get_rst_in_the_rfc_forms", .steps = STEPS(
		IN(ACK, 5, 1000, WIN),
		OUT(RST, 1000, 0),                 /* <SEQ=SEG.ACK><CTL=RST> */
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(RST | ACK, 0, 1),              /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN> */
		IN(PSH | FIN, 1, 0, WIN, .data = "hello"),
		OUT(RST | ACK, 0, 7),              /* SEG.LEN counts the FIN */
		IN(RST, 1, 0, WIN),                /* a RST is never answered */
		NOTHING,
		STAT_IS(resets_sent, 3),
		STATE_IS(TCP_CLOSED)),
	  .lport = 7000 },
	{ .name = "syn_ack_to_the_listen_port_gets_rst_and_rst_is_ignored", .steps = STEPS(
		IN(SYN | ACK, 0, 77, WIN, .mss = 1460),
		OUT(RST, 77, 0),                   /* 3.10.7.2: an ACK in LISTEN */
		IN(RST, 0, 0, WIN),
		NOTHING,
		STATE_IS(TCP_CLOSED),
		STAT_IS(connections_open, 0)) },
	{ .name = "ack_to_the_listen_port_without_a_connection_gets_rst", .steps = STEPS(
		IN(ACK, 1, 1000, WIN),
		OUT(RST, 1000, 0),
		STATE_IS(TCP_CLOSED),
		CALLS(0, 0)) },

	/* -- SYN cookies -- */
	{ .name = "full_syn_backlog_answers_with_a_cookie_and_its_ack_establishes", .steps = STEPS(
		BACKLOG(TCP_SYN_BACKLOG),
		STAT_IS(syn_received, TCP_SYN_BACKLOG),
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, .ws_check = WS_ABSENT),
		STATE_IS(TCP_CLOSED),              /* no state kept */
		STAT_IS(syn_cookies_sent, 1),
		IN(ACK, 1, 1, WIN),
		NOTHING,
		STATE_IS(TCP_ESTABLISHED),
		CALLS(1, 0),
		STAT_IS(syn_cookies_accepted, 1),
		IN(ACK | PSH, 1, 1, WIN, .data = "hi"),
		NOTHING,
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 3, NO_TS, NO_SACK),
		GOT("hi")) },
	{ .name = "ack_that_does_not_return_our_cookie_gets_rst", .steps = STEPS(
		BACKLOG(TCP_SYN_BACKLOG),
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		IN(ACK, 1, 2, WIN),
		OUT(RST, 2, 0),
		STATE_IS(TCP_CLOSED),
		CALLS(0, 0),
		STAT_IS(syn_cookies_accepted, 0)) },

	/* -- keepalive (RFC 1122 4.2.3.6) -- */
	{ .name = "idle_connection_gets_keepalives_and_a_silent_peer_is_dropped", .steps = STEPS(
		HANDSHAKE,
		ADV(4990),
		NOTHING,
		ADV(10),
		OUT(ACK, 0, 1),                    /* <SEQ=SND.NXT-1>: must be answered */
		IN(ACK, 1, 1, WIN),
		NOTHING,
		ADV(5000),                         /* the answer restarted the idle clock */
		OUT(ACK, 0, 1),
		ADV(TCP_KEEPALIVE_INTERVAL_MS), OUT(ACK, 0, 1),
		ADV(TCP_KEEPALIVE_INTERVAL_MS), OUT(ACK, 0, 1),
		ADV(TCP_KEEPALIVE_INTERVAL_MS), OUT(ACK, 0, 1),
		ADV(TCP_KEEPALIVE_INTERVAL_MS), OUT(ACK, 0, 1),
		ADV(TCP_KEEPALIVE_INTERVAL_MS), OUT(ACK, 0, 1),
		ADV(TCP_KEEPALIVE_INTERVAL_MS), OUT(ACK, 0, 1),
		ADV(TCP_KEEPALIVE_INTERVAL_MS), OUT(ACK, 0, 1),
		ADV(TCP_KEEPALIVE_INTERVAL_MS), OUT(ACK, 0, 1),
		STAT_IS(keepalive_probes, 1 + TCP_KEEPALIVE_PROBES),
		STATE_IS(TCP_ESTABLISHED),
		ADV(TCP_KEEPALIVE_INTERVAL_MS),
		NOTHING,
		STATE_IS(TCP_CLOSED),
		CALLS(1, 1),
		STAT_IS(keepalive_drops, 1)),
	  .keepalive_ms = 5000 },

	/* -- delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2) -- */
	{ .name = "delayed_ack_goes_out_after_40ms_and_not_before", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = "hello"),
		NOTHING,
		ADV(TCP_DELAYED_ACK_MS - 10),
		NOTHING,
		ADV(10),
		OUT(ACK, 1, 6),
		STAT_IS(delayed_acks, 1),
		ADV(10 * TCP_DELAYED_ACK_MS),
		NOTHING) },
	{ .name = "delayed_ack_timer_counts_from_the_first_unacked_byte", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = "hello"),
		ADV(20),
		NOTHING,
		IN(ACK | PSH, 6, 1, WIN, .data = " world"),
		NOTHING,                           /* one small segment more: still owed */
		ADV(20),
		OUT(ACK, 1, 12),                   /* 40 ms after "hello", not after " world" */
		ADV(TCP_DELAYED_ACK_MS),
		NOTHING,
		GOT("hello world")) },
	{ .name = "second_full_sized_segment_is_acked_at_once", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = FULL("a")),
		NOTHING,
		IN(ACK | PSH, 1461, 1, WIN, .data = FULL("b")),
		OUT(ACK, 1, 2921),
		ADV(TCP_DELAYED_ACK_MS),           /* the timer went with it */
		NOTHING,
		STAT_IS(delayed_acks, 0),
		GOT(FULL("a") FULL("b"))) },
	{ .name = "with_timestamps_a_full_sized_segment_is_mss_less_12", .steps = STEPS(
		HANDSHAKE_TS(1460),
		IN(ACK | PSH, 1, 1, WIN, .data = FULL_TS("a"), TS(102, 0)),
		NOTHING,
		IN(ACK | PSH, 1449, 1, WIN, .data = FULL_TS("b"), TS(103, 0)),
		/* RFC 7323 4.3: the echo is of the earliest unacknowledged
		 * segment (1449 is beyond Last.ACK.sent, R3). */
		OUT(ACK, 1, 2897, ECHO(102)),
		GOT(FULL_TS("a") FULL_TS("b"))) },
	{ .name = "fin_is_acked_at_once_not_delayed", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = "x"),
		NOTHING,
		CLOSE,                             /* we close first: FIN_WAIT_1 ... */
		OUT(FIN | ACK, 1, 2),              /* ... and the FIN carries the ACK */
		IN(ACK, 2, 2, WIN),
		NOTHING,
		STATE_IS(TCP_FIN_WAIT_2),
		IN(FIN | ACK, 2, 2, WIN),
		OUT(ACK, 2, 3),
		STATE_IS(TCP_TIME_WAIT)) },

	/* -- SACK, receiving (RFC 2018 4) -- */
	{ .name = "out_of_order_queue_holds_at_most_512_segments", .steps = STEPS(
		/* 600 one-byte segments, each ahead of a hole: a malloc and a
		 * sorted insert each, unbounded until the window (512 KB with
		 * scaling) was full (seen while writing tests/fuzz/fuzz_tcp_input,
		 * whose queue check now counts segments too). */
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		IN(ACK, 1, 1, WIN),
		IN_N(600, ACK | PSH, 3, 1, WIN, .data = "x", .seq_stride = 2, .no_flush = true),
		DO_FLUSH,
		OUT(ACK, 1, 1),
		STAT_IS(out_of_order, 600),
		STAT_IS(ooo_dropped, 600 - TCP_OOO_MAX_SEGMENTS),
		NOTHING) },
	{ .name = "out_of_order_arrivals_are_acked_at_once_with_sack_blocks_latest_first", .steps = STEPS(
		HANDSHAKE_SACK(1460),
		IN(ACK | PSH, 11, 1, WIN, .data = B10),
		OUT(ACK, 1, 1, SACKS({ 11, 21 }), LAYOUT(O_NOP, O_NOP, O_SACK)),
		/* Two holes: 1-10 and 21-30. */
		IN(ACK | PSH, 31, 1, WIN, .data = X10("d")),
		OUT(ACK, 1, 1, SACKS({ 31, 41 }, { 11, 21 })),
		IN(ACK | PSH, 41, 1, WIN, .data = X10("e")),   /* grows the block */
		OUT(ACK, 1, 1, SACKS({ 31, 51 }, { 11, 21 })),
		STAT_IS(out_of_order, 3),
		GOT(""),
		/* Filling the first hole: ACKed at once, the rest still SACKed. */
		IN(ACK | PSH, 1, 1, WIN, .data = A10),
		OUT(ACK, 1, 21, SACKS({ 31, 51 })),
		GOT(A10 B10),
		/* Filling the last hole: ACKed at once, nothing left to SACK. */
		IN(ACK | PSH, 21, 1, WIN, .data = X10("c")),
		OUT(ACK, 1, 51, NO_SACK, NO_OPTIONS),
		GOT(A10 B10 X10("c") X10("d") X10("e")),
		STAT_IS(delayed_acks, 0)) },
	{ .name = "fin_discards_out_of_order_data_beyond_it", .answers_after_fin = true,
	  .steps = STEPS(
		/* Bytes queued past where the FIN then ends the stream can never
		 * be delivered: they were kept, and SACKed, until the connection
		 * closed (found by tests/fuzz/fuzz_tcp_input). */
		HANDSHAKE_SACK(1460),
		IN(ACK | PSH, 12, 1, WIN, .data = "zz"),
		OUT(ACK, 1, 1, SACKS({ 12, 14 })),
		IN(ACK | PSH | FIN, 1, 1, WIN, .data = A10),
		OUT(ACK, 1, 12, NO_SACK),
		GOT(A10),
		STATE_IS(TCP_CLOSE_WAIT),
		NOTHING) },
	{ .name = "second_fin_past_the_first_is_acked_without_counting_it", .answers_after_fin = true,
	  .steps = STEPS(
		/* A FIN at rcv.nxt after the peer's FIN was counted: rcv.nxt moved
		 * on again, past bytes that never existed, and our ACKs said so
		 * (found by tests/fuzz/fuzz_tcp_input). */
		HANDSHAKE,
		IN(ACK | FIN, 1, 1, WIN),
		OUT(ACK, 1, 2),
		STATE_IS(TCP_CLOSE_WAIT),
		IN(ACK | FIN, 2, 1, WIN),
		OUT(ACK, 1, 2),
		STATE_IS(TCP_CLOSE_WAIT),
		NOTHING) },
	{ .name = "sack_blocks_after_the_first_repeat_the_most_recently_reported", .steps = STEPS(
		HANDSHAKE_SACK(1460),
		IN(ACK | PSH, 11, 1, WIN, .data = B10),
		OUT(ACK, 1, 1, SACKS({ 11, 21 })),
		IN(ACK | PSH, 31, 1, WIN, .data = X10("d")),
		OUT(ACK, 1, 1, SACKS({ 31, 41 }, { 11, 21 })),
		IN(ACK | PSH, 51, 1, WIN, .data = X10("f")),
		/* RFC 2018 4: the first block holds the arrival, the others
		 * repeat the most recently reported first blocks. */
		OUT(ACK, 1, 1, SACKS({ 51, 61 }, { 31, 41 }, { 11, 21 }))) },
	{ .name = "out_of_order_arrival_with_timestamps_carries_ts_and_at_most_3_blocks", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460, .sackok = true, TS(100, 0)),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, ECHO(100), .sackok_check = PRESENT),
		IN(ACK, 1, 1, WIN, TS(101, 0)),
		IN(ACK | PSH, 11, 1, WIN, .data = B10, TS(102, 0)),
		OUT(ACK, 1, 1, ECHO(101), SACKS({ 11, 21 })),  /* 102 is beyond Last.ACK.sent */
		IN(ACK | PSH, 31, 1, WIN, .data = B10, TS(103, 0)),
		OUT(ACK, 1, 1, ECHO(101), SACKS({ 31, 41 }, { 11, 21 })),
		IN(ACK | PSH, 51, 1, WIN, .data = B10, TS(104, 0)),
		OUT(ACK, 1, 1, ECHO(101), SACK_FIRST(3, 51, 61)),
		IN(ACK | PSH, 71, 1, WIN, .data = B10, TS(105, 0)),
		/* Four blocks held, three fit beside the timestamps (RFC 2018 3). */
		OUT(ACK, 1, 1, ECHO(101), SACK_FIRST(3, 71, 81),
		    LAYOUT(O_NOP, O_NOP, O_TS, O_NOP, O_NOP, O_SACK)),
		IN(ACK | PSH, 1, 1, WIN, .data = A10, TS(106, 0)),
		OUT(ACK, 1, 21, ECHO(106), NBLOCKS(3))) },

	/* -- options in the handshake (RFC 7323 3.2, RFC 2018 2) -- */
	{ .name = "syn_with_ts_sackok_and_wscale_gets_all_three_and_ts_in_every_segment", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460, .has_ws = true, .ws = 7, .sackok = true, TS(100, 0)),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, .ws_check = PRESENT, ECHO(100),
		    .sackok_check = PRESENT, LAYOUT(O_MSS, O_SACKOK, O_TS, O_NOP, O_WS)),
		IN(ACK, 1, 1, 1000, TS(101, 0)),
		STATE_IS(TCP_ESTABLISHED),
		SEND("+OK\r\n"),
		OUT(ACK | PSH, 1, 1, .data = "+OK\r\n", ECHO(101), .sackok_check = ABSENT,
		    NO_SACK, LAYOUT(O_NOP, O_NOP, O_TS)),
		IN(ACK | PSH, 1, 6, 1000, .data = "PING\r\n", TS_LAST(102)),
		NOTHING,
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 6, 7, ECHO(102), .ts_newer = true, LAYOUT(O_NOP, O_NOP, O_TS)),
		CLOSE,
		OUT(FIN | ACK, 6, 7, ECHO(102))) },
	{ .name = "retransmitted_syn_ack_keeps_its_options_and_echo", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460, .has_ws = true, .ws = 7, .sackok = true, TS(100, 0)),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, .ws_check = PRESENT, ECHO(100),
		    .sackok_check = PRESENT),
		ADV(TCP_RTO_INITIAL_MS),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, .ws_check = PRESENT, ECHO(100),
		    .sackok_check = PRESENT, .ts_newer = true,
		    LAYOUT(O_MSS, O_SACKOK, O_TS, O_NOP, O_WS)),
		IN(ACK, 1, 1, 1000, TS(101, 0)),
		NOTHING,
		STATE_IS(TCP_ESTABLISHED)) },
	{ .name = "syn_with_sackok_and_wscale_but_no_ts_gets_both_without_ts", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460, .has_ws = true, .ws = 2, .sackok = true),
		/* Without TSopt, SACK-permitted is aligned by two NOPs of its
		 * own, as Linux sends it. */
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, .ws_check = PRESENT, NO_TS,
		    .sackok_check = PRESENT,
		    LAYOUT(O_MSS, O_NOP, O_NOP, O_SACKOK, O_NOP, O_WS)),
		IN(ACK, 1, 1, 1000),
		IN(ACK | PSH, 11, 1, 1000, .data = "x"),
		OUT(ACK, 1, 1, NO_TS, SACKS({ 11, 12 }), LAYOUT(O_NOP, O_NOP, O_SACK))) },
	{ .name = "syn_without_options_gets_none_and_segments_carry_no_ts", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, .ws_check = ABSENT, NO_TS,
		    .sackok_check = ABSENT, LAYOUT(O_MSS)),
		IN(ACK, 1, 1, WIN),
		SEND("+OK\r\n"),
		OUT(ACK | PSH, 1, 1, .data = "+OK\r\n", NO_TS, NO_OPTIONS),
		IN(ACK | PSH, 1, 6, WIN, .data = "PING\r\n"),
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 6, 7, NO_OPTIONS),
		IN(ACK | PSH, 20, 6, WIN, .data = "x"), /* out of order, no SACK */
		OUT(ACK, 6, 7, NO_OPTIONS)) },
	{ .name = "ts_only_in_the_ack_not_the_syn_is_not_used", .steps = STEPS(
		IN(SYN, 0, 0, WIN, .mss = 1460),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS, NO_TS),
		IN(ACK, 1, 1, WIN, TS(101, 0)),
		SEND("x"),
		OUT(ACK | PSH, 1, 1, .data = "x", NO_TS, NO_OPTIONS),
		STAT_IS(paws_rejected, 0)) },

	/* -- timestamps: segment size, echo, PAWS (RFC 7323 3.2, 4.3, 5.3) -- */
	{ .name = "with_timestamps_data_segments_carry_at_most_mss_less_12_bytes", .steps = STEPS(
		HANDSHAKE_TS(1460),
		SEND_N(2000),
		OUT(ACK | PSH, 1, 1, .stream_len = TCP_OUR_MSS - TCP_TS_OPTION_LEN, ECHO(101)),
		OUT(ACK | PSH, 1449, 1, .stream_len = 2000 - 1448, ECHO(101)),
		NOTHING) },
	{ .name = "ts_recent_follows_the_peer_only_for_segments_at_last_ack_sent", .steps = STEPS(
		HANDSHAKE_TS(1460),
		IN(ACK | PSH, 1, 1, WIN, .data = "hello", TS(200, 0)),
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 6, ECHO(200), .ts_newer = true),
		/* Ahead of Last.ACK.sent (out of order): not taken (R3). */
		IN(ACK | PSH, 11, 1, WIN, .data = "xx", TS(300, 0)),
		OUT(ACK, 1, 6, ECHO(200)),
		IN(ACK | PSH, 6, 1, WIN, .data = "world", TS(250, 0)),
		OUT(ACK, 1, 13, ECHO(250)),
		GOT("helloworldxx")) },
	{ .name = "paws_drops_a_segment_with_an_old_tsval_and_acks_it", .steps = STEPS(
		HANDSHAKE_TS(1460),
		IN(ACK | PSH, 1, 1, WIN, .data = "hello", TS(200, 0)),
		NOTHING,
		IN(ACK | PSH, 6, 1, WIN, .data = "world", TS(150, 0)),
		OUT(ACK, 1, 6, ECHO(200)),         /* dropped, and ACKed at once */
		GOT("hello"),
		STAT_IS(paws_rejected, 1),
		IN(ACK | PSH, 6, 1, WIN, .data = "world", TS(201, 0)),
		NOTHING,
		ADV(TCP_DELAYED_ACK_MS),
		OUT(ACK, 1, 11, ECHO(201)),
		GOT("helloworld"),
		STAT_IS(paws_rejected, 1),
		STATE_IS(TCP_ESTABLISHED)) },
	{ .name = "rst_with_an_old_tsval_is_not_paws_checked_and_resets", .steps = STEPS(
		HANDSHAKE_TS(1460),
		IN(RST, 100, 0, WIN, TS(50, 0)),    /* in window, not exact */
		OUT(ACK, 1, 1, ECHO(101)),
		STAT_IS(challenge_acks, 1),
		IN(RST | ACK, 1, 1, WIN, TS(50, 0)), /* exact */
		NOTHING,
		STATE_IS(TCP_CLOSED),
		CALLS(1, 1),
		STAT_IS(resets_received, 1),
		STAT_IS(paws_rejected, 0)) },

	/* -- congestion control (RFC 5681, 6928, 3042, 6582; RFC 6298 5) -- */
	{ .name = "initial_window_is_10_segments_and_slow_start_grows_it_per_ack", .steps = STEPS(
		HANDSHAKE_WITH(100, WIN),
		SEND_N(2000),                      /* 20 segments, window 65535 */
		OUT_RUN(10, 1, 1, 100),
		NOTHING,
		ADV(100),
		NOTHING,
		/* An ACK of two segments: two replace them, one more grows cwnd. */
		IN(ACK, 1, 201, WIN),
		OUT_RUN(3, 1001, 1, 100),
		NOTHING) },
	{ .name = "initial_window_with_timestamps_is_10_segments_of_mss_less_12", .steps = STEPS(
		HANDSHAKE_TS(1460),
		SEND_N(20 * 1448),
		OUT_RUN(10, 1, 1, 1448, ECHO(101)),
		NOTHING) },
	{ .name = "limited_transmit_sends_a_new_segment_on_each_of_the_first_two_dupacks", .steps = STEPS(
		HANDSHAKE_WITH(100, WIN),
		SEND_N(1300),
		OUT_RUN(10, 1, 1, 100),            /* cwnd is full */
		NOTHING,
		IN(ACK, 1, 1, WIN),
		OUT_RUN(1, 1001, 1, 100),          /* RFC 3042 */
		NOTHING,
		IN(ACK, 1, 1, WIN),
		OUT_RUN(1, 1101, 1, 100),
		NOTHING,
		STAT_IS(fast_retransmits, 0),
		IN(ACK, 1, 1, WIN),
		OUT_RUN(1, 1, 1, 100),             /* the third: fast retransmit */
		NOTHING,
		STAT_IS(fast_retransmits, 1),
		/* The full ACK (RFC 6582 3.2 step 3) deflates cwnd to
		 * min(ssthresh = 600, max(flight = 0, MSS) + MSS) = 200: the
		 * last segment goes. */
		IN(ACK, 1, 1201, WIN),
		OUT_RUN(1, 1201, 1, 100),
		NOTHING) },
	{ .name = "partial_ack_without_sack_resends_the_next_hole_at_once", .steps = STEPS(
		HANDSHAKE_WITH(100, WIN),
		SEND_N(600),
		OUT_RUN(6, 1, 1, 100),
		/* Segments 1 and 3 were lost. */
		IN(ACK, 1, 1, WIN),
		IN(ACK, 1, 1, WIN),
		NOTHING,
		IN(ACK, 1, 1, WIN),
		OUT_RUN(1, 1, 1, 100),
		NOTHING,
		IN(ACK, 1, 1, WIN),                /* a fourth: in recovery already */
		NOTHING,
		/* RFC 6582 3.2 step 4: a partial ACK resends the next hole. */
		IN(ACK, 1, 201, WIN),
		OUT_RUN(1, 201, 1, 100),
		NOTHING,
		STAT_IS(fast_retransmits, 2),
		IN(ACK, 1, 601, WIN),
		NOTHING,
		STAT_IS(retransmits, 2),
		ADV(10 * TCP_RTO_INITIAL_MS),
		NOTHING) },
	{ .name = "dupacks_in_recovery_inflate_cwnd_and_let_new_data_out", .steps = STEPS(
		HANDSHAKE_WITH(100, WIN),
		SEND_N(1500),
		OUT_RUN(10, 1, 1, 100),
		IN(ACK, 1, 1, WIN),
		OUT_RUN(1, 1001, 1, 100),
		IN(ACK, 1, 1, WIN),
		OUT_RUN(1, 1101, 1, 100),
		/* ssthresh = 1200 / 2, cwnd = 600 + 3 MSS = 900 < flight 1200 */
		IN(ACK, 1, 1, WIN),
		OUT_RUN(1, 1, 1, 100),
		IN(ACK, 1, 1, WIN),                /* cwnd 1000 */
		IN(ACK, 1, 1, WIN),                /* 1100 */
		IN(ACK, 1, 1, WIN),                /* 1200 */
		NOTHING,
		IN(ACK, 1, 1, WIN),                /* 1300: room for one (RFC 5681 3.2 step 4) */
		OUT_RUN(1, 1201, 1, 100),
		NOTHING,
		STAT_IS(fast_retransmits, 1)) },
	{ .name = "dupacks_with_sack_resend_only_the_lost_segment_never_the_sacked_ones", .steps = STEPS(
		HANDSHAKE_SACK(100),
		SEND_N(500),
		OUT_RUN(5, 1, 1, 100),
		/* Segment 1 was lost; 2, 3, 4 arrive. */
		IN(ACK, 1, 1, WIN, SACKS({ 101, 201 })),
		NOTHING,
		IN(ACK, 1, 1, WIN, SACKS({ 101, 301 })),
		NOTHING,
		IN(ACK, 1, 1, WIN, SACKS({ 101, 401 })),
		OUT_RUN(1, 1, 1, 100),
		NOTHING,
		STAT_IS(fast_retransmits, 1),
		IN(ACK, 1, 1, WIN, SACKS({ 101, 501 })),  /* segment 5 arrives */
		NOTHING,
		IN(ACK, 1, 501, WIN),
		NOTHING,
		STAT_IS(retransmits, 1),
		STAT_IS(sack_retransmits, 0),
		ADV(10 * TCP_RTO_INITIAL_MS),
		NOTHING) },
	{ .name = "sack_of_three_segments_above_a_hole_starts_fast_retransmit_on_the_first_dupack", .steps = STEPS(
		HANDSHAKE_SACK(100),
		SEND_N(500),
		OUT_RUN(5, 1, 1, 100),
		IN(ACK, 1, 1, WIN, SACKS({ 101, 401 })),
		OUT_RUN(1, 1, 1, 100),             /* RFC 6675 IsLost */
		NOTHING,
		STAT_IS(fast_retransmits, 1),
		IN(ACK, 1, 501, WIN),
		NOTHING) },
	{ .name = "sack_recovery_resends_a_second_hole_but_not_the_sacked_segments", .steps = STEPS(
		HANDSHAKE_SACK(100),
		SEND_N(600),
		OUT_RUN(6, 1, 1, 100),
		/* Segments 1 and 3 were lost. */
		IN(ACK, 1, 1, WIN, SACKS({ 101, 201 })),
		IN(ACK, 1, 1, WIN, SACKS({ 301, 401 }, { 101, 201 })),
		IN(ACK, 1, 1, WIN, SACKS({ 301, 501 }, { 101, 201 })),
		OUT_RUN(1, 1, 1, 100),             /* the first hole ... */
		OUT_RUN(1, 201, 1, 100),           /* ... and the second */
		NOTHING,
		IN(ACK, 1, 1, WIN, SACKS({ 301, 601 }, { 101, 201 })),
		NOTHING,
		IN(ACK, 1, 601, WIN),
		NOTHING,
		STAT_IS(retransmits, 2)) },
	{ .name = "after_an_rto_rewind_an_ack_up_to_snd_max_is_accepted", .steps = STEPS(
		HANDSHAKE_WITH(100, WIN),
		SEND_N(300),
		OUT_RUN(3, 1, 1, 100),
		ADV(TCP_RTO_INITIAL_MS),
		OUT_RUN(1, 1, 1, 100),             /* go-back-N with cwnd = 1 MSS */
		NOTHING,
		STAT_IS(rto_timeouts, 1),
		IN(ACK, 1, 302, WIN),              /* beyond snd.max: never sent */
		OUT(ACK, 101, 1),
		IN(ACK, 1, 301, WIN),              /* beyond snd.nxt, within snd.max */
		NOTHING,
		STATE_IS(TCP_ESTABLISHED),
		SEND("x"),
		OUT(ACK | PSH, 301, 1, .data = "x"),
		IN(ACK, 1, 302, WIN),
		NOTHING,
		ADV(10 * TCP_RTO_INITIAL_MS),
		NOTHING) },
	{ .name = "rto_after_fast_recovery_resends_from_snd_una_one_segment", .steps = STEPS(
		HANDSHAKE_SACK(100),
		SEND_N(400),
		OUT_RUN(4, 1, 1, 100),
		IN(ACK, 1, 1, WIN, SACKS({ 101, 401 })),
		OUT_RUN(1, 1, 1, 100),
		NOTHING,
		/* The retransmission is lost too: after the RTO the SACKed
		 * data is not trusted (RFC 2018 8) and cwnd is 1 MSS. */
		ADV(TCP_RTO_INITIAL_MS),
		OUT_RUN(1, 1, 1, 100),
		NOTHING,
		STAT_IS(rto_timeouts, 1),
		IN(ACK, 1, 401, WIN),
		NOTHING) },

	/* -- challenge ACK rate limit (RFC 5961 7) -- */
	{ .name = "challenge_acks_are_limited_to_1000_per_second", .steps = STEPS(
		HANDSHAKE,
		IN_N(TCP_CHALLENGE_ACK_LIMIT + 1, RST, 100, 0, WIN),
		OUT_N(TCP_CHALLENGE_ACK_LIMIT, ACK, 1, 1),
		NOTHING,
		STAT_IS(challenge_acks, TCP_CHALLENGE_ACK_LIMIT),
		STAT_IS(challenge_acks_suppressed, 1),
		IN(SYN, 500, 0, WIN, .mss = 1460), /* SYNs share the budget (4.2) */
		NOTHING,
		STAT_IS(challenge_acks_suppressed, 2),
		STATE_IS(TCP_ESTABLISHED),
		ADV(1000),
		IN(RST, 100, 0, WIN),
		OUT(ACK, 1, 1),
		STAT_IS(challenge_acks, TCP_CHALLENGE_ACK_LIMIT + 1),
		STATE_IS(TCP_ESTABLISHED),
		CALLS(1, 0)) },

	/* -- the send queue limit -- */
	{ .name = "send_queue_takes_at_most_its_limit_and_an_ack_makes_it_writable", .steps = STEPS(
		HANDSHAKE_WITH(100, WIN),
		SEND_N_TAKES(TCP_SNDQ_LIMIT + 100, TCP_SNDQ_LIMIT),
		OUT_RUN(10, 1, 1, 100),
		NOTHING,
		SEND_N_TAKES(1, 0),
		WRITABLE_IS(0),
		IN(ACK, 1, 101, WIN),
		OUT_RUN(2, 1001, 1, 100),
		WRITABLE_IS(1),
		SEND_N(100),                       /* room for what was acked */
		NOTHING,
		IN(ACK, 1, 201, WIN),
		OUT_RUN(2, 1201, 1, 100),
		WRITABLE_IS(1)) },                 /* only once per refusal */
};

/* ---- the upper layer: records what TCP tells it ------------------------------ */

struct upper {
	unsigned accepted, closed, writable;
	char rx[8192];
	size_t rx_len;
	int handle;
};

static struct upper up;

static void *up_accepted(void *ctx, struct tcb *t)
{
	(void)t;
	struct upper *u = ctx;
	u->accepted++;
	return &u->handle;
}

static void up_received(void *ctx, void *upper, uint8_t *data, size_t len)
{
	(void)upper;
	struct upper *u = ctx;
	size_t room = sizeof(u->rx) - u->rx_len;
	size_t n = len < room ? len : room;
	memcpy(u->rx + u->rx_len, data, n);
	u->rx_len += n;
}

static void up_writable(void *ctx, void *upper)
{
	(void)upper;
	struct upper *u = ctx;
	u->writable++;
}

static void up_closed(void *ctx, void *upper)
{
	(void)upper;
	struct upper *u = ctx;
	u->closed++;
}

static const struct tcp_upcalls upcalls = {
	.accepted = up_accepted, .received = up_received, .writable = up_writable,
	.closed = up_closed,
};

/* An upper layer that answers what it received before a FIN (the engine
 * does): peer_closed leaves it attached in CLOSE-WAIT. */
static void up_peer_closed(void *ctx, void *upper)
{
	(void)ctx;
	(void)upper;
}

static const struct tcp_upcalls upcalls_answering_after_fin = {
	.accepted = up_accepted, .received = up_received, .writable = up_writable,
	.closed = up_closed, .peer_closed = up_peer_closed,
};

/* ---- the wire: a fake transmit path that records every frame ----------------- */

/* Like tests/unit/net_fake_tx.h, with room for a whole initial window and
 * for a second's worth of challenge ACKs between two actions. */
#define TX_FRAMES 1024
#define TX_CAP 1600

struct test_tx {
	uint8_t buf[TX_FRAMES][TX_CAP];
	size_t len[TX_FRAMES];
	unsigned nalloc, nsent;
};

static uint8_t *tx_alloc(void *ctx, size_t len, void **handle)
{
	struct test_tx *f = ctx;
	if (f->nalloc == TX_FRAMES || len > TX_CAP)
		return NULL;
	memset(f->buf[f->nalloc], 0xa5, len);     /* unwritten bytes show */
	*handle = f->buf[f->nalloc];
	return f->buf[f->nalloc++];
}

static void tx_send(void *ctx, void *handle, size_t len)
{
	struct test_tx *f = ctx;
	/* Frames are sent in the order they were allocated. */
	if (f->nsent < TX_FRAMES && handle == f->buf[f->nsent])
		f->len[f->nsent++] = len;
}

static const struct net_tx_ops tx_ops = { .alloc = tx_alloc, .send = tx_send };


/* ---- the runner ---------------------------------------------------------------- */

static struct net_stack ns;
static struct test_tx tx;

/* Everything the upper layer wrote, in order: byte k has relative
 * sequence number k + 1. SEND_N offers bytes of a pattern. */
static uint8_t stream[2 * TCP_SNDQ_LIMIT + 65536];

static uint8_t pattern(size_t k)
{
	return (uint8_t)('a' + k % 23);
}

struct run {
	const struct scenario *sc;
	unsigned step, rep;        /* rep: the repetition of a counted step */
	uint16_t lport;
	uint32_t our_iss;          /* 0 until a SYN-ACK is seen */
	unsigned matched;          /* frames of tx already matched by EXPECT */
	bool have_ts;              /* ts_base and last_tsval are set */
	uint32_t ts_base;          /* the TSval of our SYN-ACK */
	uint32_t last_tsval;       /* the latest TSval we sent */
	size_t stream_len;         /* bytes of stream[] taken by tcp_send */
	bool failed;
};

static const char *const kind_names[] = {
	[END] = "END", [INJECT] = "INJECT", [FLUSH] = "FLUSH", [EXPECT] = "EXPECT",
	[EXPECT_NOTHING] = "NOTHING", [ADVANCE] = "ADVANCE", [STATE] = "STATE",
	[UP_SEND] = "SEND", [UP_SEND_N] = "SEND_N", [UP_CLOSE] = "CLOSE",
	[DELIVERED] = "DELIVERED", [UPCALLS] = "UPCALLS", [WRITABLE] = "WRITABLE",
	[STAT] = "STAT", [FILL_BACKLOG] = "BACKLOG", [UP_READING] = "READING", [UP_ABORT] = "ABORT",
};

static bool fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	printf("  %s, step %u (%s", r->sc->name, r->step + 1,
	       kind_names[r->sc->steps[r->step].kind]);
	if (r->sc->steps[r->step].count > 1)
		printf(" #%u", r->rep + 1);
	printf("): ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	r->failed = true;
	return false;
}

static const char *flag_names(uint8_t f, char *buf)
{
	static const struct { uint8_t bit; const char *name; } names[] = {
		{ SYN, "SYN" }, { FIN, "FIN" }, { RST, "RST" }, { PSH, "PSH" }, { ACK, "ACK" },
	};
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (f & names[i].bit) {
			if (buf[0])
				strcat(buf, "|");
			strcat(buf, names[i].name);
		}
	}
	if (!buf[0])
		strcpy(buf, "none");
	return buf;
}

static const char *state_name(unsigned s)
{
	static const char *const names[] = { "CLOSED", "LISTEN", "SYN_RECEIVED", "ESTABLISHED",
		"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s == 1u << i)
			return names[i];
	return "?";
}

/* RFC 1071, written out here so that frames are built and checked without
 * the checksum code under test. Returns the folded sum, not complemented. */
static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The one's-complement sum of the IPv4 pseudo-header and the TCP segment:
 * 0xffff when the segment's checksum is right. */
static uint32_t tcp_sum(const uint8_t *ip, const uint8_t *tcp, size_t tcp_len)
{
	uint8_t pseudo[12];
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IP_PROTO_TCP;
	be16_put(pseudo + 10, (uint16_t)tcp_len);
	return ref_sum(tcp, tcp_len, ref_sum(pseudo, sizeof(pseudo), 0));
}

static struct tcb *connection(const struct run *r)
{
	return tcp_lookup(&ns, ip4(10, 0, 0, 2), htons(PEER_PORT), ip4(10, 0, 0, 1), htons(r->lport));
}

static unsigned count_blocks(const struct seq_range *b)
{
	unsigned n = 0;
	while (n < MAX_BLOCKS && (b[n].start || b[n].end))
		n++;
	return n;
}

/* An Ethernet frame from the peer carrying `s`; returns its length. The
 * absolute values: seq, ack, TSecr, and `sack_base` to add to the blocks. */
static size_t build_frame(uint8_t *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
			  uint32_t tsecr, uint32_t sack_base, const struct seg *s)
{
	unsigned nsack = count_blocks(s->sack);
	size_t opt_len = (s->mss ? 4 : 0) + (s->has_ws ? 4 : 0) + (s->sackok ? 4 : 0) +
			 (s->ts ? 12 : 0) + (nsack ? 4 + 8 * nsack : 0);
	size_t data_len = s->data ? strlen(s->data) : 0;
	size_t tcp_len = TCP_HDR_LEN + opt_len + data_len;
	uint8_t *ip = f + ETH_HDR_LEN, *tcp = ip + IPV4_HDR_LEN, *o = tcp + TCP_HDR_LEN;

	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	be16_put(f + 12, ETH_TYPE_IPV4);
	memset(ip, 0, IPV4_HDR_LEN);
	ip[0] = 0x45;
	be16_put(ip + 2, (uint16_t)(IPV4_HDR_LEN + tcp_len));
	be16_put(ip + 6, IPV4_FLAG_DF);
	ip[8] = 64;
	ip[9] = IP_PROTO_TCP;
	ip_addr_put(ip + 12, ip4(10, 0, 0, 2));
	ip_addr_put(ip + 16, ip4(10, 0, 0, 1));
	be16_put(ip + 10, (uint16_t)~ref_sum(ip, IPV4_HDR_LEN, 0));

	memset(tcp, 0, TCP_HDR_LEN);
	be16_put(tcp, sport);
	be16_put(tcp + 2, dport);
	be32_put(tcp + 4, seq);
	be32_put(tcp + 8, (s->flags & ACK) ? ack : 0);
	tcp[12] = (uint8_t)((TCP_HDR_LEN + opt_len) / 4 << 4);
	tcp[13] = s->flags;
	be16_put(tcp + 14, (uint16_t)s->win);
	if (s->mss) {
		o[0] = TCP_OPT_MSS;
		o[1] = 4;
		be16_put(o + 2, s->mss);
		o += 4;
	}
	if (s->has_ws) {
		o[0] = TCP_OPT_NOP;
		o[1] = TCP_OPT_WSCALE;
		o[2] = 3;
		o[3] = s->ws;
		o += 4;
	}
	if (s->sackok) {
		o[0] = o[1] = TCP_OPT_NOP;
		o[2] = TCP_OPT_SACK_PERMITTED;
		o[3] = 2;
		o += 4;
	}
	if (s->ts) {
		o[0] = o[1] = TCP_OPT_NOP;
		o[2] = TCP_OPT_TIMESTAMPS;
		o[3] = 10;
		be32_put(o + 4, s->tsval);
		be32_put(o + 8, (s->flags & ACK) ? tsecr : 0);
		o += 12;
	}
	if (nsack) {
		o[0] = o[1] = TCP_OPT_NOP;
		o[2] = TCP_OPT_SACK;
		o[3] = (uint8_t)(2 + 8 * nsack);
		o += 4;
		for (unsigned i = 0; i < nsack; i++, o += 8) {
			be32_put(o, sack_base + s->sack[i].start);
			be32_put(o + 4, sack_base + s->sack[i].end);
		}
	}
	if (data_len)
		memcpy(o, s->data, data_len);
	uint16_t csum = (uint16_t)~tcp_sum(ip, tcp, tcp_len);
	be16_put(tcp + 16, s->bad_csum ? csum ^ 0x0100 : csum);
	return ETH_HDR_LEN + IPV4_HDR_LEN + tcp_len;
}

/* Every action starts from a clean slate: output nobody expected is a
 * failure (the stack said something the RFC did not ask for). */
static bool settle(struct run *r)
{
	if (tx.nsent > r->matched) {
		char fl[32];
		const uint8_t *tcp = tx.buf[r->matched] + ETH_HDR_LEN + IPV4_HDR_LEN;
		size_t hlen = (size_t)(tcp[12] >> 4) * 4;
		return fail(r, "unexpected frame before this step: %s seq %+d ack %+d, %zu bytes",
			    flag_names(tcp[13], fl), (int)(be32_get(tcp + 4) - r->our_iss),
			    (int)(be32_get(tcp + 8) - PEER_ISN),
			    tx.len[r->matched] - ETH_HDR_LEN - IPV4_HDR_LEN - hlen);
	}
	tx.nalloc = tx.nsent = 0;
	r->matched = 0;
	return true;
}

static bool inject(struct run *r, const struct seg *s)
{
	uint8_t f[ETH_HDR_LEN + IPV4_HDR_LEN + 60 + 1500];
	uint32_t tsecr = s->tsecr_last ? r->last_tsval : r->ts_base + s->tsecr;
	size_t n = build_frame(f, PEER_PORT, r->lport, PEER_ISN + s->seq + r->rep * s->seq_stride,
			       r->our_iss + s->ack,
			       tsecr, r->our_iss, s);
	net_input(&ns, f, n);
	if (!s->no_flush)
		tcp_flush(&ns);
	return true;
}

/* What a frame we sent says, after checking that it is a well-formed TCP
 * segment from us to the peer with correct checksums. */
struct seen {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win, mss;
	bool ws, sackok, ts;
	uint32_t tsval, tsecr;
	unsigned nsack;
	struct seq_range sack[MAX_BLOCKS];  /* relative to the peer's ISN */
	uint8_t kinds[40];                  /* the options, NOPs included */
	unsigned nkinds;
	const uint8_t *data;
	size_t len;
};

static bool decode_frame(struct run *r, const uint8_t *f, size_t n, struct seen *o)
{
	const uint8_t *ip = f + ETH_HDR_LEN, *tcp = ip + IPV4_HDR_LEN;
	if (n < ETH_HDR_LEN + IPV4_HDR_LEN + TCP_HDR_LEN)
		return fail(r, "frame of %zu bytes is too short", n);
	if (memcmp(f, peer_mac, 6) || memcmp(f + 6, our_mac, 6) || be16_get(f + 12) != ETH_TYPE_IPV4)
		return fail(r, "bad Ethernet header");
	if (ip[0] != 0x45 || be16_get(ip + 2) != n - ETH_HDR_LEN || ip[9] != IP_PROTO_TCP ||
	    ip_addr_get(ip + 12) != ip4(10, 0, 0, 1) || ip_addr_get(ip + 16) != ip4(10, 0, 0, 2) ||
	    ref_sum(ip, IPV4_HDR_LEN, 0) != 0xffff)
		return fail(r, "bad IPv4 header");
	size_t tcp_len = n - ETH_HDR_LEN - IPV4_HDR_LEN, hlen = (size_t)(tcp[12] >> 4) * 4;
	if (be16_get(tcp) != r->lport || be16_get(tcp + 2) != PEER_PORT)
		return fail(r, "ports %u -> %u", be16_get(tcp), be16_get(tcp + 2));
	if (hlen < TCP_HDR_LEN || hlen > tcp_len)
		return fail(r, "TCP header length %zu", hlen);
	if (tcp_sum(ip, tcp, tcp_len) != 0xffff)
		return fail(r, "bad TCP checksum");
	memset(o, 0, sizeof(*o));
	o->flags = tcp[13];
	o->seq = be32_get(tcp + 4) - r->our_iss;
	o->ack = be32_get(tcp + 8) - PEER_ISN;
	o->win = be16_get(tcp + 14);
	for (size_t i = TCP_HDR_LEN; i < hlen;) {
		uint8_t kind = tcp[i];
		if (kind == TCP_OPT_END)
			break;
		o->kinds[o->nkinds++] = kind;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || tcp[i + 1] < 2 || i + tcp[i + 1] > hlen)
			return fail(r, "malformed TCP options");
		uint8_t len = tcp[i + 1];
		const uint8_t *v = tcp + i + 2;
		if (kind == TCP_OPT_MSS && len == 4)
			o->mss = be16_get(v);
		else if (kind == TCP_OPT_WSCALE && len == 3)
			o->ws = true;
		else if (kind == TCP_OPT_SACK_PERMITTED && len == 2)
			o->sackok = true;
		else if (kind == TCP_OPT_TIMESTAMPS && len == 10) {
			o->ts = true;
			o->tsval = be32_get(v);
			o->tsecr = be32_get(v + 4);
		} else if (kind == TCP_OPT_SACK && len >= 10 && (len - 2) % 8 == 0 &&
			   (len - 2) / 8 <= MAX_BLOCKS) {
			for (o->nsack = 0; o->nsack < (unsigned)(len - 2) / 8; o->nsack++, v += 8)
				o->sack[o->nsack] = (struct seq_range){ be32_get(v) - PEER_ISN,
									be32_get(v + 4) - PEER_ISN };
		} else
			return fail(r, "unexpected TCP option kind %u length %u", kind, len);
		i += len;
	}
	o->data = tcp + hlen;
	o->len = tcp_len - hlen;
	return true;
}

static const char *blocks_text(const struct seq_range *b, unsigned n, char *buf)
{
	char *p = buf;
	*p = 0;
	for (unsigned i = 0; i < n; i++)
		p += sprintf(p, "%s{%+d,%+d}", i ? "," : "", (int)b[i].start, (int)b[i].end);
	if (!n)
		strcpy(buf, "none");
	return buf;
}

static bool check_opt(struct run *r, const char *name, enum opt_check want, bool got)
{
	if (want == ABSENT && got)
		return fail(r, "%s option present, expected none", name);
	if (want == PRESENT && !got)
		return fail(r, "%s option missing", name);
	return true;
}

static bool match_options(struct run *r, const struct seg *want, const struct seen *got)
{
	char a[128], b[128];
	if (!check_opt(r, "window-scale", want->ws_check, got->ws) ||
	    !check_opt(r, "SACK-permitted", want->sackok_check, got->sackok) ||
	    !check_opt(r, "timestamps", want->ts_check, got->ts))
		return false;
	if (want->ts_check == PRESENT && got->tsecr != want->tsecr)
		return fail(r, "TSecr %u, expected %u", got->tsecr, want->tsecr);
	if (want->sack_check) {
		unsigned n = count_blocks(want->sack);
		if (got->nsack != n || memcmp(got->sack, want->sack, n * sizeof(want->sack[0])))
			return fail(r, "SACK blocks %s, expected %s",
				    blocks_text(got->sack, got->nsack, a), blocks_text(want->sack, n, b));
	}
	if (want->nblocks) {
		bool first = want->sack[0].start || want->sack[0].end;
		if (got->nsack != want->nblocks ||
		    (first && memcmp(&got->sack[0], &want->sack[0], sizeof(want->sack[0]))))
			return fail(r, "SACK blocks %s, expected %u%s%s",
				    blocks_text(got->sack, got->nsack, a), want->nblocks,
				    first ? " starting " : "", first ? blocks_text(want->sack, 1, b) : "");
	}
	if (want->layout) {
		size_t n = strlen((const char *)want->layout);
		if (got->nkinds != n || memcmp(got->kinds, want->layout, n)) {
			char *p = a;
			for (unsigned i = 0; i < got->nkinds; i++)
				p += sprintf(p, "%s%u", i ? "," : "", got->kinds[i]);
			*p = 0;
			p = b;
			for (size_t i = 0; i < n; i++)
				p += sprintf(p, "%s%u", i ? "," : "", want->layout[i]);
			*p = 0;
			return fail(r, "option kinds [%s], expected [%s]", a, b);
		}
	}
	return true;
}

static bool match_segment(struct run *r, const struct seg *want, const struct seen *got)
{
	char a[32], b[32];
	size_t want_len = want->stream_len ? want->stream_len : want->data ? strlen(want->data) : 0;
	if (got->flags != want->flags)
		return fail(r, "flags %s, expected %s", flag_names(got->flags, a),
			    flag_names(want->flags, b));
	if (got->seq != want->seq)
		return fail(r, "seq %+d, expected %+d", (int)got->seq, (int)want->seq);
	if ((want->flags & ACK) && got->ack != want->ack)
		return fail(r, "ack %+d, expected %+d", (int)got->ack, (int)want->ack);
	if (got->len != want_len)
		return fail(r, "%zu payload bytes, expected %zu", got->len, want_len);
	if (want->stream_len) {
		size_t off = want->seq - 1;
		if (off + want_len > r->stream_len)
			return fail(r, "bytes %zu to %zu were never written", off, off + want_len);
		if (memcmp(got->data, stream + off, want_len))
			return fail(r, "payload is not the stream's bytes from %+d", (int)want->seq);
	} else if (want_len && memcmp(got->data, want->data, want_len)) {
		return fail(r, "payload '%.*s', expected '%s'", (int)got->len,
			    (const char *)got->data, want->data);
	}
	if (want->win && got->win != want->win)
		return fail(r, "window %u, expected %u", got->win, want->win);
	if (want->mss && got->mss != want->mss)
		return fail(r, "MSS option %u, expected %u", got->mss, want->mss);
	return match_options(r, want, got);
}

/* Our TSvals: the SYN-ACK's is the base the peer's TSecrs count from; none
 * may go back in time (RFC 7323 5.4). */
static bool track_tsval(struct run *r, const struct seg *want, const struct seen *got)
{
	if (!got->ts)
		return true;
	if (r->have_ts) {
		if (seq_lt(got->tsval, r->last_tsval))
			return fail(r, "TSval %u went back from %u", got->tsval, r->last_tsval);
		if (want->ts_newer && got->tsval == r->last_tsval)
			return fail(r, "TSval %u did not advance", got->tsval);
	}
	if (got->flags & SYN)
		r->ts_base = got->tsval;
	r->have_ts = true;
	r->last_tsval = got->tsval;
	return true;
}

static bool expect_segment(struct run *r, const struct seg *want)
{
	char fl[32];
	struct seen got;
	if (r->matched >= tx.nsent)
		return fail(r, "nothing sent, expected %s seq %+d ack %+d",
			    flag_names(want->flags, fl), (int)want->seq, (int)want->ack);
	const uint8_t *f = tx.buf[r->matched];
	size_t n = tx.len[r->matched++];
	if ((want->flags & SYN) && n >= ETH_HDR_LEN + IPV4_HDR_LEN + 8) {
		/* Our ISS: the relative numbering starts here. */
		r->our_iss = be32_get(f + ETH_HDR_LEN + IPV4_HDR_LEN + 4) - want->seq;
	}
	return decode_frame(r, f, n, &got) && match_segment(r, want, &got) &&
	       track_tsval(r, want, &got);
}

/* A counted EXPECT: the next frames, each .stream_len further on. */
static bool expect_segments(struct run *r, const struct step *st)
{
	unsigned n = st->count ? st->count : 1;
	for (r->rep = 0; r->rep < n; r->rep++) {
		struct seg want = st->seg;
		want.seq += r->rep * (uint32_t)want.stream_len;
		if (!expect_segment(r, &want))
			return false;
	}
	return true;
}

static bool inject_segments(struct run *r, const struct step *st)
{
	unsigned n = st->count ? st->count : 1;
	for (r->rep = 0; r->rep < n; r->rep++)
		inject(r, &st->seg);
	return true;
}

static bool expect_nothing(struct run *r)
{
	if (tx.nsent > r->matched)
		return settle(r);
	return true;
}

static bool advance(uint64_t ms)
{
	net_tick(&ns, ns.now_ms + ms);
	tcp_flush(&ns);
	return true;
}

static bool check_state(struct run *r, unsigned want)
{
	struct tcb *t = connection(r);
	unsigned got = t ? t->state : TCP_CLOSED;
	if (got != want)
		return fail(r, "state %s, expected %s", state_name(got), state_name(want));
	return true;
}

/* The upper layer offers `n` bytes at stream[r->stream_len] (already
 * there); tcp_send must take `want`. */
static bool offer(struct run *r, size_t n, size_t want)
{
	struct tcb *t = connection(r);
	if (!t)
		return fail(r, "no connection to send on");
	if (r->stream_len + n > sizeof(stream))
		return fail(r, "the test's stream buffer is too small");
	size_t got = tcp_send(t, stream + r->stream_len, n);
	r->stream_len += got;
	if (got != want)
		return fail(r, "tcp_send took %zu of %zu bytes, expected %zu", got, n, want);
	tcp_flush(&ns);
	return true;
}

static bool upper_send(struct run *r, const char *text)
{
	size_t n = strlen(text);
	if (r->stream_len + n <= sizeof(stream))
		memcpy(stream + r->stream_len, text, n);
	return offer(r, n, n);
}

static bool upper_send_n(struct run *r, size_t n, size_t want)
{
	for (size_t k = r->stream_len; k < r->stream_len + n && k < sizeof(stream); k++)
		stream[k] = pattern(k);
	return offer(r, n, want);
}

static bool upper_close(struct run *r)
{
	struct tcb *t = connection(r);
	if (!t)
		return fail(r, "no connection to close");
	tcp_close(t);
	tcp_flush(&ns);
	return true;
}

static bool upper_abort(struct run *r)
{
	struct tcb *t = connection(r);
	if (!t)
		return fail(r, "no connection to abort");
	tcp_abort(t);
	tcp_flush(&ns);
	return true;
}

static bool upper_reading(struct run *r, bool on)
{
	struct tcb *t = connection(r);
	if (!t)
		return fail(r, "no connection to pause or resume");
	tcp_set_receiving(t, on);
	tcp_flush(&ns);
	return true;
}

static bool check_delivered(struct run *r, const char *want)
{
	size_t n = strlen(want);
	if (up.rx_len != n || memcmp(up.rx, want, n))
		return fail(r, "delivered '%.*s', expected '%s'", (int)up.rx_len, up.rx, want);
	return true;
}

static bool check_upcalls(struct run *r, const struct step *st)
{
	if (up.accepted != st->accepted || up.closed != st->closed)
		return fail(r, "accepted %u closed %u, expected %u and %u", up.accepted, up.closed,
			    st->accepted, st->closed);
	return true;
}

static bool check_writable(struct run *r, const struct step *st)
{
	if (up.writable != st->value)
		return fail(r, "writable called %u times, expected %llu", up.writable,
			    (unsigned long long)st->value);
	return true;
}

static bool check_stat(struct run *r, const struct step *st)
{
	uint64_t got;
	memcpy(&got, (const uint8_t *)&ns.tcp.stats + st->stat_off, sizeof(got));
	if (got != st->value)
		return fail(r, "stats.%s = %llu, expected %llu", st->stat_name,
			    (unsigned long long)got, (unsigned long long)st->value);
	return true;
}

/* Half-open connections from other ports, each SYN-ACK checked and
 * dropped: they exist only to fill the backlog. */
static bool fill_backlog(struct run *r, unsigned count)
{
	const struct seg syn = { .flags = SYN, .win = WIN, .mss = 1460 };
	uint8_t f[128];
	for (unsigned i = 0; i < count; i++) {
		size_t n = build_frame(f, (uint16_t)(20000 + i), r->lport, 1000 * i, 0, 0, 0, &syn);
		net_input(&ns, f, n);
		tcp_flush(&ns);
		if (tx.nsent != 1 || tx.buf[0][ETH_HDR_LEN + IPV4_HDR_LEN + 13] != (SYN | ACK))
			return fail(r, "SYN %u of the backlog got no SYN-ACK", i);
		tx.nalloc = tx.nsent = 0;
	}
	return true;
}

static bool run_step(struct run *r, const struct step *st)
{
	switch (st->kind) {
	case INJECT:
		return settle(r) && inject_segments(r, st);
	case FLUSH:
		return settle(r) && (tcp_flush(&ns), true);
	case EXPECT:
		return expect_segments(r, st);
	case EXPECT_NOTHING:
		return expect_nothing(r);
	case ADVANCE:
		return settle(r) && advance(st->ms);
	case STATE:
		return check_state(r, st->state);
	case UP_SEND:
		return settle(r) && upper_send(r, st->text);
	case UP_SEND_N:
		return settle(r) && upper_send_n(r, st->count, st->value);
	case UP_CLOSE:
		return settle(r) && upper_close(r);
	case UP_ABORT:
		return settle(r) && upper_abort(r);
	case DELIVERED:
		return check_delivered(r, st->text);
	case UPCALLS:
		return check_upcalls(r, st);
	case WRITABLE:
		return check_writable(r, st);
	case STAT:
		return check_stat(r, st);
	case FILL_BACKLOG:
		return settle(r) && fill_backlog(r, st->count);
	case UP_READING:
		return settle(r) && upper_reading(r, st->value != 0);
	case END:
		break;
	}
	return true;
}

static bool stack_up(const struct scenario *sc)
{
	struct net_config cfg = { .ip = ip4(10, 0, 0, 1), .netmask = ip4(255, 255, 255, 0) };
	memcpy(cfg.mac, our_mac, 6);
	tx.nalloc = tx.nsent = 0;
	memset(&up, 0, sizeof(up));
	if (net_stack_init(&ns, &cfg, &tx_ops, &tx, START_MS) != 0)
		return false;
	const struct tcp_upcalls *calls = sc->answers_after_fin ? &upcalls_answering_after_fin : &upcalls;
	return tcp_layer_init(&ns.tcp, LISTEN_PORT, calls, &up, 0x5eed) == 0;
}

static void run_scenario(const struct scenario *sc)
{
	struct run r = { .sc = sc, .lport = sc->lport ? sc->lport : LISTEN_PORT };
	if (!stack_up(sc)) {
		printf("  %s: stack set-up failed\n", sc->name);
		r.failed = true;
	} else {
		ns.tcp.keepalive_ms = sc->keepalive_ms;
		for (; sc->steps[r.step].kind != END; r.step++)
			if (!run_step(&r, &sc->steps[r.step]))
				break;
		if (!r.failed)
			settle(&r);    /* the step index now names END */
		if (!r.failed && ns.stats.tx_alloc_failures)
			fail(&r, "%llu frames did not fit the fake TX",
			     (unsigned long long)ns.stats.tx_alloc_failures);
		tcp_layer_fini(&ns);
		net_stack_fini(&ns);
	}
	if (sc->known_bug && r.failed)
		printf("  KNOWN BUG %s: %s\n", sc->name, sc->known_bug);
	else if (sc->known_bug)
		printf("  %s passes now: clear its known_bug\n", sc->name);
	if (r.failed) {
		ut_nfailed++;
		printf("FAIL %s\n", sc->name);
	} else {
		ut_npassed++;
	}
	fflush(stdout);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		run_scenario(&scenarios[i]);
	return unit_summary();
}
