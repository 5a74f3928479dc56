/* test_net_checksum.c - RFC 1071 checksum, RFC 1624 update, IPv4
 * pseudo-header (dataplane/net/checksum.h). */
#include "checksum.h"
#include "unit_test.h"

#include <stdint.h>
#include <stdlib.h>

/* Word-at-a-time reference, straight from RFC 1071 4.1 (big-endian words,
 * host arithmetic), to cross-check the fast version. */
static uint16_t checksum_reference(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The header Wikipedia's "IPv4 header checksum" article works through:
 * 192.168.0.1 -> 192.168.0.199, UDP, checksum 0xb861. */
static const uint8_t ipv4_example[20] = {
	0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
};

TEST(test_checksum_rfc1071_example)
{
	/* RFC 1071 3: these bytes sum to 0xddf2 (one's complement); the
	 * checksum is its complement. */
	const uint8_t b[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	EXPECT_EQ_UINT(checksum(b, sizeof(b)), 0x220d);
	EXPECT_EQ_UINT(checksum_reference(b, sizeof(b)), 0x220d);
}

TEST(test_checksum_of_real_ipv4_header_with_field_zeroed)
{
	uint8_t h[20];

	memcpy(h, ipv4_example, sizeof(h));
	h[10] = h[11] = 0;
	EXPECT_EQ_UINT(checksum(h, sizeof(h)), 0xb861);
}

TEST(test_checksum_verifies_correct_header_to_zero)
{
	uint8_t h[20];

	/* Summed with its checksum field, a correct header sums to 0xffff,
	 * so checksum_finish() gives 0. */
	EXPECT_EQ_UINT(checksum(ipv4_example, sizeof(ipv4_example)), 0);
	memcpy(h, ipv4_example, sizeof(h));
	h[15] ^= 0x01;
	EXPECT_TRUE(checksum(h, sizeof(h)) != 0);
}

TEST(test_checksum_odd_lengths_pad_with_a_zero_byte)
{
	const uint8_t one[1] = { 0x01 };
	const uint8_t three[3] = { 0x01, 0x02, 0x03 };

	EXPECT_EQ_UINT(checksum(one, 1), 0xfeff);          /* ~0x0100 */
	EXPECT_EQ_UINT(checksum(three, 3), 0xfbfd);        /* ~(0x0102 + 0x0300) */
}

TEST(test_checksum_of_zeros_and_of_nothing_is_ffff)
{
	uint8_t zeros[64] = { 0 };

	EXPECT_EQ_UINT(checksum(NULL, 0), 0xffff);
	for (size_t n = 0; n <= sizeof(zeros); n++)
		EXPECT_EQ_UINT(checksum(zeros, n), 0xffff);
}

TEST(test_checksum_of_all_ones_is_zero)
{
	uint8_t ones[40];

	memset(ones, 0xff, sizeof(ones));
	EXPECT_EQ_UINT(checksum(ones, sizeof(ones)), 0);
}

TEST(test_checksum_matches_reference_at_every_length_and_alignment)
{
	uint8_t buf[300 + 8];

	srand(1071);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len++)
			EXPECT_EQ_UINT(checksum(buf + off, len), checksum_reference(buf + off, len));
}

TEST(test_checksum_carries_survive_large_inputs)
{
	/* 64 KiB of 0xff..fe words pushes many carries through the 64-bit
	 * accumulator's top half. */
	static uint8_t big[65536 + 1];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (i & 1) ? 0xfe : 0xff;
	EXPECT_EQ_UINT(checksum(big, sizeof(big)), checksum_reference(big, sizeof(big)));
	EXPECT_EQ_UINT(checksum(big, sizeof(big) - 1), checksum_reference(big, sizeof(big) - 1));
}

TEST(test_checksum_partial_chunks_equal_one_pass)
{
	uint8_t buf[101];
	uint32_t sum;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	/* Even-length chunks, the last one odd. */
	for (size_t cut = 0; cut <= sizeof(buf); cut += 2) {
		sum = checksum_partial(buf, cut, 0);
		sum = checksum_partial(buf + cut, sizeof(buf) - cut, sum);
		EXPECT_EQ_UINT(checksum_finish(sum), checksum(buf, sizeof(buf)));
	}
	/* A running sum is folded: feeding it back never overflows. */
	EXPECT_TRUE(checksum_partial(buf, sizeof(buf), 0xffffffffu) <= 0xffff);
}

TEST(test_checksum_pseudo_header_udp_vector)
{
	/* 192.168.1.10:40000 -> 192.168.1.20:53, "hello, world!" (odd length);
	 * 0x7e93 computed independently (Python, RFC 768 layout). */
	uint8_t udp[21] = {
		0x9c, 0x40, 0x00, 0x35, 0x00, 0x15, 0x00, 0x00, 'h', 'e', 'l', 'l',
		'o', ',', ' ', 'w', 'o', 'r', 'l', 'd', '!',
	};
	const uint8_t src[4] = { 192, 168, 1, 10 }, dst[4] = { 192, 168, 1, 20 };
	uint32_t saddr, daddr, sum;

	memcpy(&saddr, src, 4);
	memcpy(&daddr, dst, 4);
	sum = checksum_pseudo_header(saddr, daddr, 17, sizeof(udp));
	EXPECT_EQ_UINT(checksum_finish(checksum_partial(udp, sizeof(udp), sum)), 0x7e93);
	/* The receiver's check: with the field filled in, the total is 0. */
	udp[6] = 0x7e;
	udp[7] = 0x93;
	sum = checksum_pseudo_header(saddr, daddr, 17, sizeof(udp));
	EXPECT_EQ_UINT(checksum_finish(checksum_partial(udp, sizeof(udp), sum)), 0);
	/* The pseudo-header is covered: another destination fails. */
	sum = checksum_pseudo_header(saddr, saddr, 17, sizeof(udp));
	EXPECT_TRUE(checksum_finish(checksum_partial(udp, sizeof(udp), sum)) != 0);
}

TEST(test_checksum_offload_seed_lets_the_port_finish_the_same_checksum)
{
	/* What a port with TCP checksum offload does: sum the segment as it
	 * stands, the field holding our seed, and complement. The result must
	 * be the checksum software would have written. */
	uint8_t udp[21] = {
		0x9c, 0x40, 0x00, 0x35, 0x00, 0x15, 0x00, 0x00, 'h', 'e', 'l', 'l',
		'o', ',', ' ', 'w', 'o', 'r', 'l', 'd', '!',
	};
	const uint8_t src[4] = { 192, 168, 1, 10 }, dst[4] = { 192, 168, 1, 20 };
	uint32_t saddr, daddr;

	memcpy(&saddr, src, 4);
	memcpy(&daddr, dst, 4);
	uint16_t seed = checksum_fold_for_offload(checksum_pseudo_header(saddr, daddr, 17, sizeof(udp)));
	udp[6] = (uint8_t)(seed >> 8);
	udp[7] = (uint8_t)seed;
	EXPECT_EQ_UINT(checksum(udp, sizeof(udp)), 0x7e93);
}

TEST(test_checksum_update16_rfc1624_example)
{
	/* RFC 1624 4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives HC' =
	 * 0x0000 by eqn. 3 (eqn. 2 would give 0xFFFF). */
	EXPECT_EQ_UINT(checksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	/* An echo request turned reply: type 8 -> 0 in the first word. */
	EXPECT_EQ_UINT(checksum_update16(0x2cf6, 0x0800, 0x0000), 0x34f6);
}

TEST(test_checksum_update_matches_full_recompute)
{
	uint8_t h[20];
	uint16_t csum, old_word;
	uint32_t old_addr;

	memcpy(h, ipv4_example, sizeof(h));
	/* Decrement TTL (the word ttl|protocol), as a router would. */
	old_word = (uint16_t)(h[8] << 8 | h[9]);
	h[8]--;
	csum = checksum_update16(0xb861, old_word, (uint16_t)(h[8] << 8 | h[9]));
	h[10] = h[11] = 0;
	EXPECT_EQ_UINT(csum, checksum(h, sizeof(h)));
	/* Rewrite the destination address (NAT). */
	h[10] = (uint8_t)(csum >> 8);
	h[11] = (uint8_t)csum;
	old_addr = (uint32_t)h[16] << 24 | (uint32_t)h[17] << 16 | (uint32_t)h[18] << 8 | h[19];
	h[16] = 10;
	h[17] = 1;
	h[18] = 2;
	h[19] = 3;
	csum = checksum_update32(csum, old_addr, 0x0a010203);
	h[10] = h[11] = 0;
	EXPECT_EQ_UINT(csum, checksum(h, sizeof(h)));
}

int main(void)
{
	RUN(test_checksum_rfc1071_example);
	RUN(test_checksum_of_real_ipv4_header_with_field_zeroed);
	RUN(test_checksum_offload_seed_lets_the_port_finish_the_same_checksum);
	RUN(test_checksum_verifies_correct_header_to_zero);
	RUN(test_checksum_odd_lengths_pad_with_a_zero_byte);
	RUN(test_checksum_of_zeros_and_of_nothing_is_ffff);
	RUN(test_checksum_of_all_ones_is_zero);
	RUN(test_checksum_matches_reference_at_every_length_and_alignment);
	RUN(test_checksum_carries_survive_large_inputs);
	RUN(test_checksum_partial_chunks_equal_one_pass);
	RUN(test_checksum_pseudo_header_udp_vector);
	RUN(test_checksum_update16_rfc1624_example);
	RUN(test_checksum_update_matches_full_recompute);
	return unit_summary();
}
