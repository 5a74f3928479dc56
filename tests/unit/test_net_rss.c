/* Toeplitz hash and flow ownership (dataplane/net/rss.c). */
#include <arpa/inet.h>
#include <string.h>

#include "rss.h"
#include "unit_test.h"

/* The key and vectors of Microsoft's "Verifying the RSS Hash Calculation"
 * (IPv4 with TCP ports): input is source address, destination address,
 * source port, destination port. */
static const uint8_t ms_key[RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static uint32_t hash_tuple(const uint8_t *key, const char *src, unsigned sport, const char *dst,
			   unsigned dport)
{
	uint8_t in[12];
	inet_pton(AF_INET, src, in);
	inet_pton(AF_INET, dst, in + 4);
	in[8] = (uint8_t)(sport >> 8);
	in[9] = (uint8_t)sport;
	in[10] = (uint8_t)(dport >> 8);
	in[11] = (uint8_t)dport;
	return rss_toeplitz(key, in, sizeof(in));
}

TEST(test_toeplitz_matches_the_published_ipv4_tcp_vectors)
{
	EXPECT_EQ_UINT(hash_tuple(ms_key, "66.9.149.187", 2794, "161.142.100.80", 1766), 0x51ccc178u);
	EXPECT_EQ_UINT(hash_tuple(ms_key, "199.92.111.2", 14230, "65.69.140.83", 4739), 0xc626b0eau);
	EXPECT_EQ_UINT(hash_tuple(ms_key, "24.19.198.95", 12898, "12.22.207.184", 38024), 0x5c2b394au);
	EXPECT_EQ_UINT(hash_tuple(ms_key, "38.27.205.30", 48228, "209.142.163.6", 2217), 0xafc7327fu);
	EXPECT_EQ_UINT(hash_tuple(ms_key, "153.39.163.191", 44251, "202.188.127.2", 1303), 0x10e828a2u);
}

TEST(test_symmetric_key_hashes_both_directions_of_a_flow_alike)
{
	struct rss_config rss;
	rss_config_default(&rss, 2);
	for (unsigned port = 1000; port < 1100; port++)
		EXPECT_EQ_UINT(hash_tuple(rss.key, "198.18.0.2", port, "198.18.0.1", 6379),
			       hash_tuple(rss.key, "198.18.0.1", 6379, "198.18.0.2", port));
}

static size_t tcp_frame(uint8_t *f, const char *src, unsigned sport, const char *dst, unsigned dport)
{
	memset(f, 0, 60);
	f[12] = 0x08;
	f[13] = 0x00;
	f[14] = 0x45;
	f[14 + 9] = 6;
	inet_pton(AF_INET, src, f + 14 + 12);
	inet_pton(AF_INET, dst, f + 14 + 16);
	f[34] = (uint8_t)(sport >> 8);
	f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	return 60;
}

TEST(test_frame_owner_spreads_flows_over_every_shard_and_ignores_non_tcp)
{
	struct rss_config rss;
	rss_config_default(&rss, 2);
	uint8_t f[60];
	unsigned seen[2] = { 0, 0 };
	for (unsigned port = 40000; port < 40200; port++) {
		int owner = rss_frame_owner(&rss, f, tcp_frame(f, "198.18.0.2", port, "198.18.0.1", 6379));
		EXPECT_TRUE(owner == 0 || owner == 1);
		if (owner == 0 || owner == 1)
			seen[owner]++;
	}
	EXPECT_TRUE(seen[0] > 50 && seen[1] > 50);
	tcp_frame(f, "198.18.0.2", 1, "198.18.0.1", 2);
	f[14 + 9] = 1; /* ICMP */
	EXPECT_EQ_INT(rss_frame_owner(&rss, f, 60), -1);
	EXPECT_EQ_INT(rss_frame_owner(&rss, f, 20), -1);
}

int main(void)
{
	RUN(test_toeplitz_matches_the_published_ipv4_tcp_vectors);
	RUN(test_symmetric_key_hashes_both_directions_of_a_flow_alike);
	RUN(test_frame_owner_spreads_flows_over_every_shard_and_ignores_non_tcp);
	return unit_summary();
}
