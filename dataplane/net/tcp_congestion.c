/* How much a connection may have in flight, and what to resend after a
 * loss: NewReno congestion control (RFC 5681 slow start, congestion
 * avoidance, fast retransmit and recovery, with RFC 6582's partial-ACK
 * rule) and the SACK scoreboard (RFC 2018) that keeps recovery from
 * resending what the peer already holds. Byte counting (RFC 3465, L = 1
 * SMSS) grows the window by what was acknowledged, not per ACK, so a peer's
 * delayed ACKs do not slow slow start down. */
#include "net_stack.h"
#include "tcp.h"
#include "tcp_internal.h"
#include "tcp_seq.h"

static uint32_t flight_size(const struct tcb *t)
{
	return t->snd.nxt - t->snd.una;
}

/* RFC 5681 (4): half of what is in flight, at least two segments. */
static uint32_t halved_flight(const struct tcb *t)
{
	uint32_t half = flight_size(t) / 2, floor = 2 * tcp_effective_mss(t);
	return half > floor ? half : floor;
}

void tcp_congestion_init(struct tcb *t)
{
	t->cwnd = TCP_INITIAL_WINDOW_SEGMENTS * tcp_effective_mss(t);
	t->ssthresh = TCP_SSTHRESH_INITIAL;
	/* RFC 6582's recover is "the highest sequence number transmitted";
	 * here it is one past it, so "ACK covers recover" reads una >= recover. */
	t->recover = t->snd.una;
	t->in_recovery = false;
	t->bytes_acked = 0;
}

uint32_t tcp_send_window(const struct tcb *t)
{
	uint32_t cwnd = t->cwnd;
	if (!t->in_recovery && t->dupacks <= 2)
		cwnd += t->dupacks * tcp_effective_mss(t); /* limited transmit */
	return t->snd.wnd < cwnd ? t->snd.wnd : cwnd;
}

static void grow(struct tcb *t, uint32_t acked)
{
	uint32_t mss = tcp_effective_mss(t);
	if (t->cwnd < t->ssthresh) {
		t->cwnd += acked < mss ? acked : mss;
	} else {
		/* About one segment per round trip (RFC 5681 3.1). */
		t->bytes_acked += acked;
		if (t->bytes_acked >= t->cwnd) {
			t->bytes_acked -= t->cwnd;
			t->cwnd += mss;
		}
	}
	if (t->cwnd > TCP_CWND_MAX)
		t->cwnd = TCP_CWND_MAX;
}

/* RFC 6675 IsLost(snd.una): the peer holds at least DupThresh segments
 * above the first unacknowledged byte. */
static bool sack_says_first_lost(const struct tcb *t)
{
	uint32_t held = 0;
	for (unsigned i = 0; i < t->nsacked; i++)
		held += t->sacked[i].end - t->sacked[i].start;
	return held >= 3 * tcp_effective_mss(t);
}

/* In SACK recovery, each ACK may fill up to two more holes the scoreboard
 * shows, instead of one hole per round trip as plain NewReno does. */
static void retransmit_next_holes(struct tcb *t)
{
	for (int i = 0; i < 2 && tcp_retransmit_hole(t, t->high_rxt); i++)
		t->ns->tcp.stats.sack_retransmits++;
}

void tcp_congestion_on_ack(struct tcb *t, uint32_t acked)
{
	uint32_t mss = tcp_effective_mss(t);
	tcp_sack_trim(t);
	if (!t->in_recovery) {
		grow(t, acked);
		return;
	}
	if (seq_geq(t->snd.una, t->recover)) {
		/* Full acknowledgment (RFC 6582 3.2 step 3): deflate. */
		uint32_t flight = flight_size(t);
		uint32_t deflated = (flight > mss ? flight : mss) + mss;
		t->cwnd = t->ssthresh < deflated ? t->ssthresh : deflated;
		t->in_recovery = false;
		return;
	}
	/* Partial acknowledgment (step 4): the next hole was lost too; resend
	 * it now (unless SACK recovery already did), and deflate by what was
	 * acknowledged. */
	if (t->sack_ok)
		retransmit_next_holes(t);
	else if (tcp_retransmit_hole(t, t->snd.una))
		t->ns->tcp.stats.fast_retransmits++;
	t->cwnd = t->cwnd > acked ? t->cwnd - acked : mss;
	if (acked >= mss)
		t->cwnd += mss;
	if (t->cwnd < mss)
		t->cwnd = mss;
}

static void enter_recovery(struct tcb *t)
{
	t->ssthresh = halved_flight(t);
	t->recover = t->snd.max;
	t->in_recovery = true;
	t->high_rxt = t->snd.una;
	if (tcp_retransmit_hole(t, t->snd.una))
		t->ns->tcp.stats.fast_retransmits++;
	t->cwnd = t->ssthresh + 3 * tcp_effective_mss(t);
	if (t->sack_ok)
		retransmit_next_holes(t);
}

void tcp_congestion_on_dupack(struct tcb *t)
{
	if (t->in_recovery) {
		/* Each duplicate ACK says a segment left the network (step 2). */
		t->cwnd += tcp_effective_mss(t);
		if (t->sack_ok)
			retransmit_next_holes(t);
		tcp_want_flush(t);
		return;
	}
	t->dupacks++;
	/* The third duplicate (or SACK showing as much) means a loss, unless
	 * it only echoes segments from before the last recovery (RFC 6582 3.2
	 * step 1). */
	bool lost = t->dupacks >= 3 || (t->sack_ok && sack_says_first_lost(t));
	if (lost && seq_geq(t->snd.una, t->recover)) {
		enter_recovery(t);
		return;
	}
	/* Limited transmit (RFC 3042): the first two duplicates may each
	 * send a new segment, keeping the ACK clock going in small windows. */
	if (t->dupacks <= 2)
		tcp_want_flush(t);
}

void tcp_congestion_on_timeout(struct tcb *t)
{
	/* RFC 5681 (4) on the first timeout; later ones find a one-segment
	 * flight and must not shrink ssthresh to nothing. */
	if (t->backoff <= 1)
		t->ssthresh = halved_flight(t);
	t->cwnd = tcp_effective_mss(t); /* the loss window */
	t->dupacks = 0;
	t->bytes_acked = 0;
	t->in_recovery = false;
	t->recover = t->snd.max;
	/* RFC 2018 8: after a timeout the peer may have reneged on what it
	 * SACKed; resend everything from snd.una. */
	t->nsacked = 0;
}

/* ---- the SACK scoreboard ------------------------------------------------ */

static void scoreboard_remove(struct tcb *t, unsigned i)
{
	for (unsigned j = i + 1; j < t->nsacked; j++)
		t->sacked[j - 1] = t->sacked[j];
	t->nsacked--;
}

/* Insert [start, end) keeping the ranges sorted and disjoint. */
static void scoreboard_add(struct tcb *t, uint32_t start, uint32_t end)
{
	unsigned i = 0;
	while (i < t->nsacked && seq_lt(t->sacked[i].end, start))
		i++;
	/* Merge every range that touches [start, end). */
	while (i < t->nsacked && seq_leq(t->sacked[i].start, end)) {
		start = seq_min(start, t->sacked[i].start);
		end = seq_max(end, t->sacked[i].end);
		scoreboard_remove(t, i);
	}
	if (t->nsacked == TCP_SACK_SCOREBOARD) {
		if (i == t->nsacked)
			return; /* full: forget the highest range (this one) */
		t->nsacked--;
	}
	for (unsigned j = t->nsacked; j > i; j--)
		t->sacked[j] = t->sacked[j - 1];
	t->sacked[i] = (struct seq_range){ start, end };
	t->nsacked++;
}

void tcp_sack_update(struct tcb *t, const struct seq_range *blocks, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t start = blocks[i].start, end = blocks[i].end;
		/* Only blocks about data in flight; a D-SACK (below snd.una)
		 * reports a duplicate and says nothing about holes. */
		if (!seq_lt(start, end) || !seq_gt(end, t->snd.una) || seq_gt(end, t->snd.max))
			continue;
		scoreboard_add(t, seq_max(start, t->snd.una), end);
	}
}

void tcp_sack_trim(struct tcb *t)
{
	while (t->nsacked && seq_leq(t->sacked[0].end, t->snd.una))
		scoreboard_remove(t, 0);
	if (t->nsacked && seq_lt(t->sacked[0].start, t->snd.una))
		t->sacked[0].start = t->snd.una;
}
