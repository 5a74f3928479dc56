/* test_arp_fanout.c - ARP mappings learned on one shard reach the others
 * (dataplane/dpdk/arp_fanout.h), driven through real stacks and rings with
 * no port: each "shard" is a net_stack with a fake transmit path. */
#include "arp.h"
#include "arp_fanout.h"
#include "net_stack.h"
#include "shard/spsc_ring.h"
#include "unit_test.h"
#include "wire_format.h"

#include <stdlib.h>

#include "net_fake_tx.h"

#define SHARDS 2

/* The hook's ctx is the stack's tx_ctx: the fake tx comes first. */
struct test_shard {
	struct fake_tx tx;
	struct arp_fanout *fanout;
	struct net_stack ns;
};

static struct test_shard shard[SHARDS];
static struct arp_fanout fanout[SHARDS];

static void on_learned(void *ctx, uint32_t ip, const uint8_t *mac)
{
	struct test_shard *s = ctx;

	arp_fanout_note(s->fanout, ip, mac);
}

static void setup(unsigned nshards)
{
	struct net_config cfg = { .ip = ip4(10, 0, 0, 1), .netmask = ip4(255, 255, 255, 0),
				  .gateway = ip4(10, 0, 0, 254) };

	memcpy(cfg.mac, our_mac, 6);
	arp_fanout_free_all(fanout, SHARDS);
	REQUIRE_TRUE(arp_fanout_create_all(fanout, nshards) == 0);
	for (unsigned i = 0; i < nshards; i++) {
		memset(&shard[i].tx, 0, sizeof(shard[i].tx));
		shard[i].fanout = &fanout[i];
		REQUIRE_TRUE(net_stack_init(&shard[i].ns, &cfg, &fake_ops, &shard[i].tx, 0) == 0);
		shard[i].ns.arp_learned = on_learned;
	}
}

/* One loop iteration's exchange, as dpdk_shard.c does it. */
static unsigned exchange(unsigned i)
{
	arp_fanout_flush(&fanout[i]);
	return arp_fanout_drain(&fanout[i], &shard[i].ns.arp, shard[i].ns.now_ms);
}

/* peer_mac's owner, 10.0.0.2, answering our request. */
static size_t reply_frame(uint8_t *f)
{
	uint32_t spa = ip4(10, 0, 0, 2), tpa = ip4(10, 0, 0, 1);

	memset(f, 0, ETH_MIN_FRAME);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x08; f[13] = 0x06;
	f[14] = 0x00; f[15] = 0x01; f[16] = 0x08; f[17] = 0x00; f[18] = 6; f[19] = 4;
	f[20] = 0x00; f[21] = 0x02;                       /* reply */
	memcpy(f + 22, peer_mac, 6);
	memcpy(f + 28, &spa, 4);
	memcpy(f + 32, our_mac, 6);
	memcpy(f + 38, &tpa, 4);
	return ETH_MIN_FRAME;
}

static uint8_t mac_n(unsigned n, uint8_t *mac)
{
	const uint8_t m[6] = { 0x02, 0, 0, 0, (uint8_t)(n >> 8), (uint8_t)n };

	memcpy(mac, m, 6);
	return m[5];
}

TEST(test_reply_landing_on_the_other_shard_completes_the_askers_resolution)
{
	uint8_t f[ETH_MIN_FRAME];
	const uint8_t *mac;

	setup(2);
	/* Shard 0 asks; the reply comes in on shard 1's queue. */
	EXPECT_TRUE(arp_resolve(&shard[0].ns, ip4(10, 0, 0, 2)) == NULL);
	EXPECT_EQ_UINT(shard[0].tx.nsent, 1);
	net_input(&shard[1].ns, f, reply_frame(f));
	EXPECT_EQ_UINT(exchange(1), 0);
	EXPECT_EQ_UINT(fanout[1].sent, 1);
	shard[0].ns.now_ms = 1;
	EXPECT_EQ_UINT(exchange(0), 1);
	mac = arp_resolve(&shard[0].ns, ip4(10, 0, 0, 2));
	REQUIRE_TRUE(mac != NULL);
	EXPECT_EQ_MEM(mac, peer_mac, 6);
	EXPECT_EQ_UINT(shard[0].tx.nsent, 1);             /* no second request */
	EXPECT_EQ_UINT(fanout[0].learned_from_peers, 1);
	EXPECT_EQ_UINT(fanout[1].learned_from_peers, 0);
	EXPECT_EQ_UINT(shard[0].ns.arp.count, 1);
	EXPECT_EQ_UINT(shard[1].ns.arp.count, 1);
	/* Installing is not learning: nothing echoes back to shard 1. */
	EXPECT_EQ_UINT(fanout[0].sent, 0);
	EXPECT_EQ_UINT(exchange(1), 0);
}

TEST(test_same_address_twice_in_one_batch_is_sent_once_with_the_later_mac)
{
	uint8_t mac[6];

	setup(2);
	arp_fanout_note(&fanout[1], ip4(10, 0, 0, 9), peer_mac);
	mac_n(9, mac);
	arp_fanout_note(&fanout[1], ip4(10, 0, 0, 9), mac);
	EXPECT_EQ_UINT(fanout[1].nbatch, 1);
	exchange(1);
	EXPECT_EQ_UINT(fanout[1].sent, 1);
	EXPECT_EQ_UINT(exchange(0), 1);
	REQUIRE_TRUE(arp_lookup(&shard[0].ns.arp, ip4(10, 0, 0, 9), 0) != NULL);
	EXPECT_EQ_MEM(arp_lookup(&shard[0].ns.arp, ip4(10, 0, 0, 9), 0), mac, 6);
}

TEST(test_a_full_batch_is_flushed_and_every_mapping_arrives_intact)
{
	const unsigned n = ARP_FANOUT_BATCH + 1;
	uint8_t mac[6];

	setup(2);
	for (unsigned i = 1; i <= n; i++) {
		mac_n(i, mac);
		arp_fanout_note(&fanout[0], ip4(10, 0, 1, (uint8_t)i), mac);
	}
	EXPECT_EQ_UINT(fanout[0].sent, ARP_FANOUT_BATCH);
	EXPECT_EQ_UINT(fanout[0].nbatch, 1);
	exchange(0);
	EXPECT_EQ_UINT(fanout[0].sent, n);
	/* A drain takes one batch per ring per iteration. */
	EXPECT_EQ_UINT(exchange(1), ARP_FANOUT_BATCH);
	EXPECT_EQ_UINT(exchange(1), 1);
	EXPECT_EQ_UINT(shard[1].ns.arp.count, n);
	for (unsigned i = 1; i <= n; i++) {
		const uint8_t *got = arp_lookup(&shard[1].ns.arp, ip4(10, 0, 1, (uint8_t)i), 0);

		mac_n(i, mac);
		REQUIRE_TRUE(got != NULL);
		EXPECT_EQ_MEM(got, mac, 6);
	}
}

TEST(test_a_full_ring_drops_and_counts_the_rest_and_keeps_pairs_aligned)
{
	const unsigned fits = ARP_FANOUT_RING_SLOTS / 2;
	uint8_t mac[6];

	setup(2);
	for (unsigned i = 0; i < fits + 3; i++) {
		mac_n(i, mac);
		arp_fanout_note(&fanout[0], ip4(10, 1, (uint8_t)(i >> 8), (uint8_t)i), mac);
	}
	exchange(0);
	EXPECT_EQ_UINT(fanout[0].sent, fits);
	EXPECT_EQ_UINT(fanout[0].ring_full, 3);
	unsigned got = 0, k;

	while ((k = exchange(1)) != 0)
		got += k;
	EXPECT_EQ_UINT(got, fits);
	EXPECT_EQ_UINT(fanout[1].learned_from_peers, fits);
	/* After the wrap, a note still decodes whole. */
	mac_n(999, mac);
	arp_fanout_note(&fanout[0], ip4(10, 0, 0, 99), mac);
	exchange(0);
	EXPECT_EQ_UINT(exchange(1), 1);
	REQUIRE_TRUE(arp_lookup(&shard[1].ns.arp, ip4(10, 0, 0, 99), 0) != NULL);
	EXPECT_EQ_MEM(arp_lookup(&shard[1].ns.arp, ip4(10, 0, 0, 99), 0), mac, 6);
}

TEST(test_one_shard_stages_nothing)
{
	setup(1);
	arp_fanout_note(&fanout[0], ip4(10, 0, 0, 2), peer_mac);
	EXPECT_EQ_UINT(fanout[0].nbatch, 0);
	EXPECT_EQ_UINT(exchange(0), 0);
	EXPECT_EQ_UINT(fanout[0].sent, 0);
}

int main(void)
{
	RUN(test_reply_landing_on_the_other_shard_completes_the_askers_resolution);
	RUN(test_same_address_twice_in_one_batch_is_sent_once_with_the_later_mac);
	RUN(test_a_full_batch_is_flushed_and_every_mapping_arrives_intact);
	RUN(test_a_full_ring_drops_and_counts_the_rest_and_keeps_pairs_aligned);
	RUN(test_one_shard_stages_nothing);
	arp_fanout_free_all(fanout, SHARDS);
	return unit_summary();
}
