/* test_net_tcp.c - the TCP state machine (RFC 9293, with RFC 5961's
 * challenge ACKs, RFC 6298's timer and RFC 5681's fast retransmit), driven
 * from the wire: crafted segments go in through net_input(), and every
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
#include "tcp.h"
#include "tcp_internal.h"
#include "unit_test.h"
#include "wire_format.h"

#include "net_fake_tx.h"

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
	INJECT,          /* the peer sends .seg (then one flush, unless .no_flush) */
	FLUSH,           /* the end of a loop iteration: tcp_flush() */
	EXPECT,          /* the next frame we sent is .seg */
	EXPECT_NOTHING,  /* no frame we sent is waiting to be matched */
	ADVANCE,         /* the clock moves .ms forward, timers run, then a flush */
	STATE,           /* the connection is in .state (TCP_CLOSED: no tcb at all) */
	UP_SEND,         /* the upper layer writes .text, then a flush */
	UP_CLOSE,        /* the upper layer calls tcp_close(), then a flush */
	DELIVERED,       /* the upper layer has received exactly .text, in all */
	UPCALLS,         /* accepted and closed were called .accepted, .closed times */
	STAT,            /* tcp stats field .stat_name is .value */
	FILL_BACKLOG,    /* .count SYNs from other ports leave half-open connections */
};

enum ws_check { WS_ANY, WS_ABSENT, WS_PRESENT };

struct seg {
	uint8_t flags;
	uint32_t seq, ack;          /* relative, see the header comment */
	uint32_t win;               /* inject: as sent; expect: 0 = not checked */
	uint16_t mss;               /* inject: MSS option if non-zero; expect: its value */
	bool has_ws;                /* inject: a window-scale option with shift .ws */
	uint8_t ws;
	enum ws_check ws_check;     /* expect */
	const char *data;           /* payload; NULL = none */
	bool bad_csum;              /* inject: corrupt the TCP checksum */
	bool no_flush;              /* inject: more arrives in this loop iteration */
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
	const char *known_bug;      /* why this fails today; NULL when it should pass */
};

#define IN(fl, s, a, w, ...) \
	{ .kind = INJECT, .seg = { .flags = (fl), .seq = (s), .ack = (a), .win = (w), __VA_ARGS__ } }
#define OUT(fl, s, a, ...) \
	{ .kind = EXPECT, .seg = { .flags = (fl), .seq = (s), .ack = (a), __VA_ARGS__ } }
#define NOTHING { .kind = EXPECT_NOTHING }
#define DO_FLUSH { .kind = FLUSH }
#define ADV(n) { .kind = ADVANCE, .ms = (n) }
#define STATE_IS(s) { .kind = STATE, .state = (s) }
#define SEND(t) { .kind = UP_SEND, .text = (t) }
#define CLOSE { .kind = UP_CLOSE }
#define GOT(t) { .kind = DELIVERED, .text = (t) }
#define CALLS(a, c) { .kind = UPCALLS, .accepted = (a), .closed = (c) }
#define STAT_IS(f, v) \
	{ .kind = STAT, .stat_name = #f, .stat_off = offsetof(struct tcp_stats, f), .value = (v) }
#define BACKLOG(n) { .kind = FILL_BACKLOG, .count = (n) }
#define STEPS(...) ((const struct step[]){ __VA_ARGS__, { .kind = END } })

/* The passive open every established scenario starts from: the peer's SYN
 * (with an MSS option), our SYN-ACK, the peer's ACK with window `w`. */
#define HANDSHAKE_WITH(mss_, w)						\
	IN(SYN, 0, 0, WIN, .mss = (mss_)),				\
	OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),			\
	IN(ACK, 1, 1, (w)),						\
	STATE_IS(TCP_ESTABLISHED)
#define HANDSHAKE HANDSHAKE_WITH(1460, WIN)

#define A10 "aaaaaaaaaa"
#define A100 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10
#define B10 "bbbbbbbbbb"
#define B100 B10 B10 B10 B10 B10 B10 B10 B10 B10 B10

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
		OUT(ACK, 1, 7),
		STATE_IS(TCP_ESTABLISHED),
		GOT("PING\r\n")) },
	{ .name = "syn_without_mss_option_limits_our_segments_to_536_bytes", .steps = STEPS(
		IN(SYN, 0, 0, WIN),
		OUT(SYN | ACK, 0, 1, .mss = TCP_OUR_MSS),
		IN(ACK, 1, 1, WIN),
		SEND(A100 A100 A100 A100 A100 B100),
		/* RFC 9293 3.7.1: no option means 536. */
		OUT(ACK | PSH, 1, 1, .data = A100 A100 A100 A100 A100 B10 B10 B10 "bbbbbb"),
		OUT(ACK | PSH, 537, 1, .data = B10 B10 B10 B10 B10 B10 "bbbb"),
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
	{ .name = "in_order_data_is_delivered_and_acked_on_flush", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = "hello", .no_flush = true),
		GOT("hello"),
		NOTHING,                           /* the ACK waits for the flush */
		DO_FLUSH,
		OUT(ACK, 1, 6),
		IN(ACK | PSH, 6, 1, WIN, .data = " world"), /* crosses 2^32 */
		OUT(ACK, 1, 12),
		GOT("hello world")) },
	{ .name = "reply_carries_the_ack_for_the_request", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = "PING\r\n", .no_flush = true),
		SEND("+PONG\r\n"),
		OUT(ACK | PSH, 1, 7, .data = "+PONG\r\n"),
		IN(ACK, 7, 8, WIN),
		NOTHING) },
	{ .name = "duplicate_data_is_reacked_not_redelivered", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1, WIN, .data = "hello"),
		OUT(ACK, 1, 6),
		IN(ACK | PSH, 1, 1, WIN, .data = "hello"),
		OUT(ACK, 1, 6),
		GOT("hello"),
		/* Overlapping the delivered bytes: only the new ones go up. */
		IN(ACK | PSH, 4, 1, WIN, .data = "lo wo"),
		OUT(ACK, 1, 9),
		GOT("hello wo")) },
	{ .name = "out_of_order_segment_waits_for_the_hole_then_both_are_delivered", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 6, 1, WIN, .data = "world"),
		OUT(ACK, 1, 1),                    /* a duplicate ACK: ack = rcv.nxt */
		GOT(""),
		STAT_IS(out_of_order, 1),
		IN(ACK | PSH, 1, 1, WIN, .data = "hello"),
		OUT(ACK, 1, 11),                   /* one ACK covers both */
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
		IN(ACK | PSH, 1, 1, WIN, .data = "hello"),
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
		STATE_IS(TCP_ESTABLISHED)),
	  .known_bug = "RFC 9293 3.10.7.4 fifth step: SEG.ACK > SND.NXT must be answered "
		       "with an ACK; process_ack() sets ack_now but never calls "
		       "tcp_want_flush(), so no ACK goes out" },
	{ .name = "ack_for_data_not_yet_sent_drops_the_segment_text", .steps = STEPS(
		HANDSHAKE,
		IN(ACK | PSH, 1, 1000, WIN, .data = "hello"),
		OUT(ACK, 1, 1),
		GOT(""),
		STATE_IS(TCP_ESTABLISHED)),
	  .known_bug = "RFC 9293 3.10.7.4 fifth step: for SEG.ACK > SND.NXT 'send an ACK, "
		       "drop the segment, and return'; process_ack() returns true and "
		       "tcp_input() goes on to deliver the text and process a FIN" },

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
		SEND("hello"),
		OUT(ACK | PSH, 1, 1, .data = "hello"),
		ADV(TCP_RTO_INITIAL_MS - 10),
		NOTHING,
		ADV(10),
		OUT(ACK | PSH, 1, 1, .data = "hello"),
		ADV(2 * TCP_RTO_INITIAL_MS - 10),
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
		IN(ACK, 1, 1, WIN),
		OUT(ACK | PSH, 1, 1, .data = A100),
		STAT_IS(retransmits, 1),
		IN(ACK, 1, 201, WIN),
		NOTHING,
		ADV(10 * TCP_RTO_INITIAL_MS),      /* everything acked: no timer left */
		NOTHING) },

	/* -- the zero window (RFC 9293 3.8.6.1) -- */
	{ .name = "zero_window_holds_data_until_a_probe_and_the_opening_sends_the_rest", .steps = STEPS(
		HANDSHAKE_WITH(1460, 0),
		SEND("abc"),
		NOTHING,
		ADV(TCP_RTO_INITIAL_MS - 10),
		NOTHING,
		ADV(10),
		OUT(ACK | PSH, 1, 1, .data = "a"),
		IN(ACK, 1, 2, WIN),                /* took the byte, and opens */
		OUT(ACK | PSH, 2, 1, .data = "bc"),
		IN(ACK, 1, 4, WIN),
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
		CALLS(1, 0)),
	  .known_bug = "RFC 9293 3.8.6.1 (RFC 1122 4.2.2.17): while the peer ACKs the "
		       "probes the connection must stay open and keep probing; here a "
		       "probe that is answered but not acked is then treated as a lost "
		       "segment: the next timeout takes the retransmission path (snd.wnd "
		       "is 0 and una != nxt), sends nothing, and counts toward "
		       "TCP_MAX_RETRIES, so probes come every other timeout and the "
		       "connection is freed after 8 such timeouts" },

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
		OUT(ACK, 1, 3),
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
};

/* ---- the upper layer: records what TCP tells it ------------------------------ */

struct upper {
	unsigned accepted, closed;
	char rx[4096];
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

static void up_closed(void *ctx, void *upper)
{
	(void)upper;
	struct upper *u = ctx;
	u->closed++;
}

static const struct tcp_upcalls upcalls = {
	.accepted = up_accepted, .received = up_received, .closed = up_closed,
};

/* ---- the runner ---------------------------------------------------------------- */

static struct net_stack ns;
static struct fake_tx tx;

struct run {
	const struct scenario *sc;
	unsigned step;
	uint16_t lport;
	uint32_t our_iss;          /* 0 until a SYN-ACK is seen */
	unsigned matched;          /* frames of tx already matched by EXPECT */
	bool failed;
};

static const char *const kind_names[] = {
	[END] = "END", [INJECT] = "INJECT", [FLUSH] = "FLUSH", [EXPECT] = "EXPECT",
	[EXPECT_NOTHING] = "NOTHING", [ADVANCE] = "ADVANCE", [STATE] = "STATE",
	[UP_SEND] = "SEND", [UP_CLOSE] = "CLOSE", [DELIVERED] = "DELIVERED",
	[UPCALLS] = "UPCALLS", [STAT] = "STAT", [FILL_BACKLOG] = "BACKLOG",
};

static bool fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	printf("  %s, step %u (%s): ", r->sc->name, r->step + 1,
	       kind_names[r->sc->steps[r->step].kind]);
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

/* An Ethernet frame from the peer carrying `s`; returns its length. */
static size_t build_frame(uint8_t *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
			  const struct seg *s)
{
	size_t opt_len = (s->mss ? 4 : 0) + (s->has_ws ? 4 : 0);
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
		return fail(r, "unexpected frame before this step: %s seq %+d ack %+d",
			    flag_names(tcp[13], fl), (int)(be32_get(tcp + 4) - r->our_iss),
			    (int)(be32_get(tcp + 8) - PEER_ISN));
	}
	tx.nalloc = tx.nsent = 0;
	r->matched = 0;
	return true;
}

static bool inject(struct run *r, const struct seg *s)
{
	uint8_t f[ETH_HDR_LEN + IPV4_HDR_LEN + 60 + 1500];
	size_t n = build_frame(f, PEER_PORT, r->lport, PEER_ISN + s->seq, r->our_iss + s->ack, s);
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
	bool ws;
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
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || tcp[i + 1] < 2 || i + tcp[i + 1] > hlen)
			return fail(r, "malformed TCP options");
		if (kind == TCP_OPT_MSS && tcp[i + 1] == 4)
			o->mss = be16_get(tcp + i + 2);
		if (kind == TCP_OPT_WSCALE && tcp[i + 1] == 3)
			o->ws = true;
		i += tcp[i + 1];
	}
	o->data = tcp + hlen;
	o->len = tcp_len - hlen;
	return true;
}

static bool match_segment(struct run *r, const struct seg *want, const struct seen *got)
{
	char a[32], b[32];
	size_t want_len = want->data ? strlen(want->data) : 0;
	if (got->flags != want->flags)
		return fail(r, "flags %s, expected %s", flag_names(got->flags, a),
			    flag_names(want->flags, b));
	if (got->seq != want->seq)
		return fail(r, "seq %+d, expected %+d", (int)got->seq, (int)want->seq);
	if ((want->flags & ACK) && got->ack != want->ack)
		return fail(r, "ack %+d, expected %+d", (int)got->ack, (int)want->ack);
	if (got->len != want_len)
		return fail(r, "%zu payload bytes, expected %zu", got->len, want_len);
	if (want_len && memcmp(got->data, want->data, want_len))
		return fail(r, "payload '%.*s', expected '%s'", (int)got->len,
			    (const char *)got->data, want->data);
	if (want->win && got->win != want->win)
		return fail(r, "window %u, expected %u", got->win, want->win);
	if (want->mss && got->mss != want->mss)
		return fail(r, "MSS option %u, expected %u", got->mss, want->mss);
	if (want->ws_check == WS_ABSENT && got->ws)
		return fail(r, "window-scale option present, expected none");
	if (want->ws_check == WS_PRESENT && !got->ws)
		return fail(r, "window-scale option missing");
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
	return decode_frame(r, f, n, &got) && match_segment(r, want, &got);
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

static bool upper_send(struct run *r, const char *text)
{
	struct tcb *t = connection(r);
	if (!t)
		return fail(r, "no connection to send on");
	size_t n = strlen(text);
	if (tcp_send(t, text, n) != n)
		return fail(r, "tcp_send took less than %zu bytes", n);
	tcp_flush(&ns);
	return true;
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
		size_t n = build_frame(f, (uint16_t)(20000 + i), r->lport, 1000 * i, 0, &syn);
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
		return settle(r) && inject(r, &st->seg);
	case FLUSH:
		return settle(r) && (tcp_flush(&ns), true);
	case EXPECT:
		return expect_segment(r, &st->seg);
	case EXPECT_NOTHING:
		return expect_nothing(r);
	case ADVANCE:
		return settle(r) && advance(st->ms);
	case STATE:
		return check_state(r, st->state);
	case UP_SEND:
		return settle(r) && upper_send(r, st->text);
	case UP_CLOSE:
		return settle(r) && upper_close(r);
	case DELIVERED:
		return check_delivered(r, st->text);
	case UPCALLS:
		return check_upcalls(r, st);
	case STAT:
		return check_stat(r, st);
	case FILL_BACKLOG:
		return settle(r) && fill_backlog(r, st->count);
	case END:
		break;
	}
	return true;
}

static bool stack_up(void)
{
	struct net_config cfg = { .ip = ip4(10, 0, 0, 1), .netmask = ip4(255, 255, 255, 0) };
	memcpy(cfg.mac, our_mac, 6);
	memset(&tx, 0, sizeof(tx));
	memset(&up, 0, sizeof(up));
	if (net_stack_init(&ns, &cfg, &fake_ops, &tx, START_MS) != 0)
		return false;
	return tcp_layer_init(&ns.tcp, LISTEN_PORT, &upcalls, &up, 0x5eed) == 0;
}

static void run_scenario(const struct scenario *sc)
{
	struct run r = { .sc = sc, .lport = sc->lport ? sc->lport : LISTEN_PORT };
	if (!stack_up()) {
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
