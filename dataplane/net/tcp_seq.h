/* TCP sequence number arithmetic (RFC 9293 3.4): sequence numbers live in
 * a 32-bit space that wraps, so "a before b" means b - a, taken modulo
 * 2^32, is below 2^31: the signed 32-bit difference is negative. The
 * comparison is meaningful while the two numbers are less than 2^31
 * apart, which the window limits (at most 2^30 with scaling, RFC 7323
 * 2.3) guarantee.
 *
 *   seq_lt(0xfffffff0, 0x10) is true: 0x10 - 0xfffffff0 = 0x20.
 *
 * The conversion of a uint32_t above INT32_MAX to int32_t is
 * implementation-defined in ISO C; GCC and Clang define it as modulo 2^32,
 * which is what is meant here.
 */
#ifndef TESSERA_NET_TCP_SEQ_H
#define TESSERA_NET_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* lo <= s < hi, in the window that starts at lo: the RFC's
 * "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND" is seq_between(seg_seq, rcv_nxt,
 * rcv_nxt + rcv_wnd). An empty window (lo == hi) contains nothing.
 * Unsigned offsets from lo make this exact for any window below 2^32. */
static inline bool seq_between(uint32_t s, uint32_t lo, uint32_t hi)
{
	return s - lo < hi - lo;
}

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? b : a;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

#endif
