/* test_net_tcp_seq.c - wrap-safe TCP sequence comparisons
 * (dataplane/net/tcp_seq.h, RFC 9293 3.4). */
#include "tcp_seq.h"
#include "unit_test.h"

TEST(test_seq_compare_without_wrap)
{
	EXPECT_TRUE(seq_lt(1, 2));
	EXPECT_TRUE(!seq_lt(2, 2));
	EXPECT_TRUE(seq_leq(2, 2));
	EXPECT_TRUE(seq_gt(3, 2));
	EXPECT_TRUE(!seq_gt(2, 2));
	EXPECT_TRUE(seq_geq(2, 2));
	EXPECT_TRUE(!seq_geq(1, 2));
}

TEST(test_seq_compare_across_the_wrap)
{
	/* 0x10 comes 0x20 after 0xfffffff0. */
	EXPECT_TRUE(seq_lt(0xfffffff0u, 0x10));
	EXPECT_TRUE(seq_leq(0xfffffff0u, 0x10));
	EXPECT_TRUE(seq_gt(0x10, 0xfffffff0u));
	EXPECT_TRUE(seq_geq(0x10, 0xfffffff0u));
	EXPECT_TRUE(!seq_lt(0x10, 0xfffffff0u));
	EXPECT_TRUE(seq_lt(0xffffffffu, 0));
	EXPECT_TRUE(seq_gt(0, 0xffffffffu));
	EXPECT_EQ_UINT(seq_max(0xfffffff0u, 0x10), 0x10);
	EXPECT_EQ_UINT(seq_min(0xfffffff0u, 0x10), 0xfffffff0u);
}

TEST(test_seq_compare_up_to_half_the_space)
{
	/* Just under 2^31 apart: still ordered; the sign flips at 2^31. */
	EXPECT_TRUE(seq_lt(0, 0x7fffffffu));
	EXPECT_TRUE(seq_gt(0x7fffffffu, 0));
	EXPECT_TRUE(seq_lt(0x80000000u, 0xffffffffu));
	EXPECT_TRUE(seq_lt(0xc0000000u, 0x3fffffffu));   /* across the wrap */
	for (uint32_t base = 0; base < 0xf0000000u; base += 0x0fffff01u) {
		EXPECT_TRUE(seq_lt(base, base + 1));
		EXPECT_TRUE(seq_lt(base, base + 0x7fffffffu));
		EXPECT_TRUE(seq_gt(base + 0x7fffffffu, base));
		EXPECT_TRUE(!seq_lt(base, base));
	}
}

TEST(test_seq_between_is_half_open_window)
{
	/* RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND, window across the wrap. */
	uint32_t nxt = 0xffffff00u, end = nxt + 0x200;    /* end = 0x100 */

	EXPECT_TRUE(seq_between(nxt, nxt, end));
	EXPECT_TRUE(seq_between(0xffffffffu, nxt, end));
	EXPECT_TRUE(seq_between(0, nxt, end));
	EXPECT_TRUE(seq_between(0xff, nxt, end));
	EXPECT_TRUE(!seq_between(0x100, nxt, end));
	EXPECT_TRUE(!seq_between(nxt - 1, nxt, end));
	/* An empty window holds nothing, not even its edge. */
	EXPECT_TRUE(!seq_between(nxt, nxt, nxt));
	/* A window of 2^31 and more still works (it is not a signed compare). */
	EXPECT_TRUE(seq_between(0x90000000u, 0, 0xa0000000u));
	EXPECT_TRUE(!seq_between(0xb0000000u, 0, 0xa0000000u));
}

int main(void)
{
	RUN(test_seq_compare_without_wrap);
	RUN(test_seq_compare_across_the_wrap);
	RUN(test_seq_compare_up_to_half_the_space);
	RUN(test_seq_between_is_half_open_window);
	return unit_summary();
}
