/* test_net_arp.c - the ARP cache and RFC 826 packet handling
 * (dataplane/net/arp.h), through net_input() where a frame is involved. */
#include "arp.h"
#include "net_stack.h"
#include "unit_test.h"
#include "wire_format.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "net_fake_tx.h"

static const uint8_t new_peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x22 };

static struct net_stack ns;
static struct fake_tx tx;

static void setup(uint64_t now_ms)
{
	struct net_config cfg = { .ip = ip4(10, 0, 0, 1), .netmask = ip4(255, 255, 255, 0),
				  .gateway = ip4(10, 0, 0, 254) };

	memcpy(cfg.mac, our_mac, 6);
	memset(&tx, 0, sizeof(tx));
	REQUIRE_TRUE(net_stack_init(&ns, &cfg, &fake_ops, &tx, now_ms) == 0);
}

/* An ARP frame as it arrives: padded with zeros to the 60-byte minimum. */
static size_t arp_frame(uint8_t *f, const uint8_t *eth_dst, uint16_t oper, const uint8_t *sha,
			uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	memset(f, 0, ETH_MIN_FRAME);
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, sha, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	f[14] = 0x00; f[15] = 0x01;            /* htype Ethernet */
	f[16] = 0x08; f[17] = 0x00;            /* ptype IPv4 */
	f[18] = 6;
	f[19] = 4;
	f[20] = (uint8_t)(oper >> 8);
	f[21] = (uint8_t)oper;
	memcpy(f + 22, sha, 6);
	memcpy(f + 28, &spa, 4);
	memcpy(f + 32, tha, 6);
	memcpy(f + 38, &tpa, 4);
	return ETH_MIN_FRAME;
}

static const uint8_t zero_mac[6];

/* Who has 10.0.0.1? Tell 10.0.0.2, from peer_mac. */
static size_t who_has(uint8_t *f, uint32_t target)
{
	return arp_frame(f, eth_broadcast, ARP_OP_REQUEST, peer_mac, ip4(10, 0, 0, 2), zero_mac,
			 target);
}

/* ---- the cache ---------------------------------------------------------- */

TEST(test_arp_cache_learn_then_lookup)
{
	static struct arp_cache c;
	const uint8_t *mac;

	arp_cache_init(&c);
	EXPECT_TRUE(arp_lookup(&c, ip4(10, 0, 0, 2), 0) == NULL);
	EXPECT_EQ_INT(arp_learn(&c, ip4(10, 0, 0, 2), peer_mac, 100), 0);
	mac = arp_lookup(&c, ip4(10, 0, 0, 2), 100);
	REQUIRE_TRUE(mac != NULL);
	EXPECT_EQ_MEM(mac, peer_mac, 6);
	EXPECT_EQ_UINT(c.count, 1);
	EXPECT_TRUE(arp_lookup(&c, ip4(10, 0, 0, 3), 100) == NULL);
}

TEST(test_arp_cache_learn_again_updates_mac_and_restarts_ttl)
{
	static struct arp_cache c;

	arp_cache_init(&c);
	arp_learn(&c, ip4(10, 0, 0, 2), peer_mac, 0);
	arp_learn(&c, ip4(10, 0, 0, 2), new_peer_mac, 50000);
	EXPECT_EQ_UINT(c.count, 1);
	REQUIRE_TRUE(arp_lookup(&c, ip4(10, 0, 0, 2), 100000) != NULL);
	EXPECT_EQ_MEM(arp_lookup(&c, ip4(10, 0, 0, 2), 100000), new_peer_mac, 6);
	EXPECT_TRUE(arp_lookup(&c, ip4(10, 0, 0, 2), 50000 + ARP_TTL_MS) == NULL);
}

TEST(test_arp_cache_entry_expires_after_ttl)
{
	static struct arp_cache c;

	arp_cache_init(&c);
	arp_learn(&c, ip4(10, 0, 0, 2), peer_mac, 1000);
	EXPECT_TRUE(arp_lookup(&c, ip4(10, 0, 0, 2), 1000 + ARP_TTL_MS - 1) != NULL);
	EXPECT_TRUE(arp_lookup(&c, ip4(10, 0, 0, 2), 1000 + ARP_TTL_MS) == NULL);
	EXPECT_EQ_UINT(arp_expire(&c, 1000 + ARP_TTL_MS - 1), 0);
	EXPECT_EQ_UINT(c.count, 1);
	EXPECT_EQ_UINT(arp_expire(&c, 1000 + ARP_TTL_MS), 1);
	EXPECT_EQ_UINT(c.count, 0);
}

TEST(test_arp_cache_entry_learned_with_a_clock_ahead_is_live)
{
	static struct arp_cache c;

	/* Another shard's clock may run a few ms ahead of ours. */
	arp_cache_init(&c);
	arp_learn(&c, ip4(10, 0, 0, 2), peer_mac, 5000);
	EXPECT_TRUE(arp_lookup(&c, ip4(10, 0, 0, 2), 4990) != NULL);
	EXPECT_EQ_UINT(arp_expire(&c, 4990), 0);
	EXPECT_EQ_UINT(arp_expire(&c, 5000 + ARP_TTL_MS), 1);
}

TEST(test_arp_cache_rejects_zero_ip_and_group_mac)
{
	static struct arp_cache c;
	const uint8_t multicast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };

	arp_cache_init(&c);
	EXPECT_EQ_INT(arp_learn(&c, 0, peer_mac, 0), -EINVAL);
	EXPECT_EQ_INT(arp_learn(&c, ip4(10, 0, 0, 2), multicast, 0), -EINVAL);
	EXPECT_EQ_INT(arp_learn(&c, ip4(10, 0, 0, 2), eth_broadcast, 0), -EINVAL);
	EXPECT_EQ_UINT(c.count, 0);
}

TEST(test_arp_cache_full_evicts_least_recently_confirmed)
{
	static struct arp_cache c;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0 };

	arp_cache_init(&c);
	for (unsigned i = 0; i < ARP_CACHE_MAX; i++) {
		mac[5] = (uint8_t)i;
		/* 10.1.x.y, learned one millisecond apart: i = 0 oldest. */
		EXPECT_EQ_INT(arp_learn(&c, ip4(10, 1, (uint8_t)(i >> 8), (uint8_t)i), mac, 1000 + i), 0);
	}
	EXPECT_EQ_UINT(c.count, ARP_CACHE_MAX);
	/* Refresh the oldest: now entry 1 is the least recently confirmed. */
	arp_learn(&c, ip4(10, 1, 0, 0), mac, 2000);
	EXPECT_EQ_INT(arp_learn(&c, ip4(10, 2, 0, 0), peer_mac, 2001), 0);
	EXPECT_EQ_UINT(c.count, ARP_CACHE_MAX);
	EXPECT_TRUE(arp_lookup(&c, ip4(10, 1, 0, 1), 2001) == NULL);
	EXPECT_TRUE(arp_lookup(&c, ip4(10, 1, 0, 0), 2001) != NULL);
	EXPECT_TRUE(arp_lookup(&c, ip4(10, 2, 0, 0), 2001) != NULL);
	for (unsigned i = 2; i < ARP_CACHE_MAX; i++)
		EXPECT_TRUE(arp_lookup(&c, ip4(10, 1, (uint8_t)(i >> 8), (uint8_t)i), 2001) != NULL);
}

TEST(test_arp_cache_full_of_live_entries_drops_expired_ones_first)
{
	static struct arp_cache c;

	arp_cache_init(&c);
	for (unsigned i = 0; i < ARP_CACHE_MAX; i++)
		arp_learn(&c, ip4(10, 1, 0, (uint8_t)i), peer_mac, i < 10 ? 0 : ARP_TTL_MS);
	/* Ten expired at 60 s: one insert sweeps them all. */
	arp_learn(&c, ip4(10, 2, 0, 0), peer_mac, ARP_TTL_MS);
	EXPECT_EQ_UINT(c.count, ARP_CACHE_MAX - 10 + 1);
}

/* Random learns and expiries against a plain array: with 75% load, many
 * entries collide and removals shift probe runs, yet every live entry must
 * stay findable and every dead one gone. */
TEST(test_arp_cache_matches_model_under_random_learn_and_expire)
{
	static struct arp_cache c;
	enum { N = 400 };
	static uint64_t learned_at[N];          /* 0 = not in the model */
	uint64_t now = 1;

	arp_cache_init(&c);
	memset(learned_at, 0, sizeof(learned_at));
	srand(826);
	for (int step = 0; step < 20000; step++) {
		unsigned k = (unsigned)rand() % N;
		uint32_t ip = ip4(172, 16, (uint8_t)(k >> 8), (uint8_t)k);
		unsigned live = 0;

		now += (uint64_t)(rand() % 40);
		for (unsigned i = 0; i < N; i++)
			if (learned_at[i] && now - learned_at[i] >= ARP_TTL_MS)
				learned_at[i] = 0;
		for (unsigned i = 0; i < N; i++)
			live += learned_at[i] != 0;
		if (learned_at[k] || live < ARP_CACHE_MAX) {
			/* Never full: eviction is tested above. */
			arp_learn(&c, ip, peer_mac, now);
			learned_at[k] = now;
		}
		if (rand() % 50 == 0)
			arp_expire(&c, now);
		if (step % 97 == 0) {
			for (unsigned i = 0; i < N; i++) {
				uint32_t a = ip4(172, 16, (uint8_t)(i >> 8), (uint8_t)i);

				EXPECT_EQ_INT(arp_lookup(&c, a, now) != NULL, learned_at[i] != 0);
			}
			arp_expire(&c, now);
			live = 0;
			for (unsigned i = 0; i < N; i++)
				live += learned_at[i] != 0;
			EXPECT_EQ_UINT(c.count, live);
		}
	}
}

/* ---- packets -------------------------------------------------------------- */

TEST(test_arp_request_for_our_ip_gets_exact_reply)
{
	uint8_t f[ETH_MIN_FRAME];
	static const uint8_t want[42] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02,   /* to the requester */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01,   /* from us */
		0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
		0x00, 0x02,                           /* reply */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01,   /* sha: our MAC */
		0x0a, 0x00, 0x00, 0x01,               /* spa: 10.0.0.1 */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02,   /* tha: the requester */
		0x0a, 0x00, 0x00, 0x02,               /* tpa: 10.0.0.2 */
	};

	setup(0);
	net_input(&ns, f, who_has(f, ip4(10, 0, 0, 1)));
	REQUIRE_TRUE(tx.nsent == 1);
	EXPECT_EQ_UINT(tx.len[0], 42);
	EXPECT_EQ_MEM(tx.buf[0], want, 42);
	EXPECT_EQ_UINT(ns.stats.arp_requests_answered, 1);
	EXPECT_EQ_UINT(ns.stats.tx_packets, 1);
	EXPECT_EQ_UINT(ns.stats.tx_bytes, 42);
	EXPECT_EQ_UINT(ns.stats.rx_packets, 1);
	EXPECT_EQ_UINT(ns.stats.rx_bytes, 60);
	EXPECT_EQ_UINT(ns.stats.rx_dropped, 0);
}

TEST(test_arp_request_for_our_ip_learns_sender)
{
	uint8_t f[ETH_MIN_FRAME];

	setup(0);
	net_input(&ns, f, who_has(f, ip4(10, 0, 0, 1)));
	REQUIRE_TRUE(arp_lookup(&ns.arp, ip4(10, 0, 0, 2), 0) != NULL);
	EXPECT_EQ_MEM(arp_lookup(&ns.arp, ip4(10, 0, 0, 2), 0), peer_mac, 6);
}

TEST(test_arp_request_for_other_ip_sends_nothing_and_learns_nothing)
{
	uint8_t f[ETH_MIN_FRAME];

	setup(0);
	net_input(&ns, f, who_has(f, ip4(10, 0, 0, 9)));
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(ns.arp.count, 0);
	EXPECT_EQ_UINT(ns.stats.arp_requests_answered, 0);
	EXPECT_EQ_UINT(ns.stats.rx_dropped, 1);
}

TEST(test_arp_request_for_other_ip_updates_known_sender)
{
	uint8_t f[ETH_MIN_FRAME];

	/* RFC 826: the merge step runs before the "am I the target?" test. */
	setup(0);
	arp_learn(&ns.arp, ip4(10, 0, 0, 2), new_peer_mac, 0);
	ns.now_ms = 30000;
	net_input(&ns, f, who_has(f, ip4(10, 0, 0, 9)));
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_MEM(arp_lookup(&ns.arp, ip4(10, 0, 0, 2), 30000), peer_mac, 6);
	/* ... and the TTL restarted. */
	EXPECT_TRUE(arp_lookup(&ns.arp, ip4(10, 0, 0, 2), 30000 + ARP_TTL_MS - 1) != NULL);
	EXPECT_EQ_UINT(ns.stats.rx_dropped, 0);
}

TEST(test_arp_gratuitous_moves_known_address_and_adds_no_unknown_one)
{
	uint8_t f[ETH_MIN_FRAME];
	size_t n;

	setup(0);
	arp_learn(&ns.arp, ip4(10, 0, 0, 2), peer_mac, 0);
	/* 10.0.0.2 moved to new_peer_mac: request with spa == tpa. */
	n = arp_frame(f, eth_broadcast, ARP_OP_REQUEST, new_peer_mac, ip4(10, 0, 0, 2), zero_mac,
		      ip4(10, 0, 0, 2));
	net_input(&ns, f, n);
	EXPECT_EQ_MEM(arp_lookup(&ns.arp, ip4(10, 0, 0, 2), 0), new_peer_mac, 6);
	/* The reply form of gratuitous ARP, from a host we never heard of. */
	n = arp_frame(f, eth_broadcast, ARP_OP_REPLY, new_peer_mac, ip4(10, 0, 0, 7),
		      eth_broadcast, ip4(10, 0, 0, 7));
	net_input(&ns, f, n);
	EXPECT_TRUE(arp_lookup(&ns.arp, ip4(10, 0, 0, 7), 0) == NULL);
	EXPECT_EQ_UINT(ns.arp.count, 1);
	EXPECT_EQ_UINT(tx.nalloc, 0);
}

TEST(test_arp_probe_from_zero_address_is_answered_not_learned)
{
	uint8_t f[ETH_MIN_FRAME];
	size_t n;

	/* RFC 5227 2.1.1: a probe for our address; answering defends it. */
	setup(0);
	n = arp_frame(f, eth_broadcast, ARP_OP_REQUEST, peer_mac, 0, zero_mac, ip4(10, 0, 0, 1));
	net_input(&ns, f, n);
	REQUIRE_TRUE(tx.nsent == 1);
	EXPECT_EQ_MEM(tx.buf[0], peer_mac, 6);
	EXPECT_EQ_UINT(be16_get(tx.buf[0] + 20), ARP_OP_REPLY);
	EXPECT_EQ_MEM(tx.buf[0] + 38, "\0\0\0\0", 4);     /* tpa 0.0.0.0 */
	EXPECT_EQ_UINT(ns.arp.count, 0);
}

TEST(test_arp_claiming_our_ip_is_ignored)
{
	uint8_t f[ETH_MIN_FRAME];
	size_t n;

	/* An address conflict: someone announces 10.0.0.1. */
	setup(0);
	n = arp_frame(f, eth_broadcast, ARP_OP_REQUEST, peer_mac, ip4(10, 0, 0, 1), zero_mac,
		      ip4(10, 0, 0, 1));
	net_input(&ns, f, n);
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(ns.arp.count, 0);
	EXPECT_EQ_UINT(ns.stats.rx_dropped, 1);
}

TEST(test_arp_malformed_packets_are_dropped)
{
	uint8_t good[ETH_MIN_FRAME], f[ETH_MIN_FRAME];
	uint64_t dropped = 0;
	/* {offset, value}: one field spoiled per case. */
	const struct { unsigned off; uint8_t val; } spoil[] = {
		{ 15, 0x06 },   /* htype 6 (IEEE 802) */
		{ 16, 0x86 },   /* ptype 0x86dd */
		{ 18, 8 },      /* hlen */
		{ 19, 16 },     /* plen */
		{ 21, 3 },      /* oper 3 (RARP request) */
		{ 22, 0x01 },   /* sha multicast */
		{ 28, 224 },    /* spa 224.0.0.2: multicast */
		{ 28, 127 },    /* spa 127.0.0.2: loopback */
	};

	setup(0);
	who_has(good, ip4(10, 0, 0, 1));
	for (size_t i = 0; i < sizeof(spoil) / sizeof(spoil[0]); i++) {
		memcpy(f, good, sizeof(f));
		f[spoil[i].off] = spoil[i].val;
		net_input(&ns, f, sizeof(f));
		EXPECT_EQ_UINT(ns.stats.rx_dropped, ++dropped);
	}
	/* Truncated: every length short of Ethernet + 28. */
	for (size_t len = 0; len < ETH_HDR_LEN + ARP_LEN; len++) {
		net_input(&ns, good, len);
		EXPECT_EQ_UINT(ns.stats.rx_dropped, ++dropped);
	}
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(ns.arp.count, 0);
	/* The unpadded 42-byte frame is fine. */
	net_input(&ns, good, ETH_HDR_LEN + ARP_LEN);
	EXPECT_EQ_UINT(tx.nsent, 1);
}

TEST(test_arp_frame_to_another_unicast_mac_is_dropped)
{
	uint8_t f[ETH_MIN_FRAME];

	setup(0);
	who_has(f, ip4(10, 0, 0, 1));
	memcpy(f, new_peer_mac, 6);
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(ns.stats.rx_dropped, 1);
	/* Unicast to us (a Linux host re-checking its entry) is answered. */
	memcpy(f, our_mac, 6);
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(tx.nsent, 1);
}

TEST(test_arp_reply_failure_to_allocate_is_counted)
{
	uint8_t f[ETH_MIN_FRAME];

	setup(0);
	tx.fail = true;
	net_input(&ns, f, who_has(f, ip4(10, 0, 0, 1)));
	EXPECT_EQ_UINT(ns.stats.tx_alloc_failures, 1);
	EXPECT_EQ_UINT(ns.stats.arp_requests_answered, 0);
	EXPECT_EQ_UINT(ns.stats.tx_packets, 0);
}

/* ---- resolving ------------------------------------------------------------ */

TEST(test_arp_resolve_sends_one_request_then_rate_limits)
{
	static const uint8_t want[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   /* broadcast */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
		0x00, 0x01,                           /* request */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01,   /* sha: our MAC */
		0x0a, 0x00, 0x00, 0x01,               /* spa: 10.0.0.1 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* tha: unknown */
		0x0a, 0x00, 0x00, 0xfe,               /* tpa: the gateway */
	};

	setup(5000);
	EXPECT_TRUE(arp_resolve(&ns, ns.cfg.gateway) == NULL);
	REQUIRE_TRUE(tx.nsent == 1);
	EXPECT_EQ_UINT(tx.len[0], 42);
	EXPECT_EQ_MEM(tx.buf[0], want, 42);
	EXPECT_EQ_UINT(ns.stats.arp_requests_sent, 1);
	/* Asked again within the second: no second request. */
	for (uint64_t t = 5000; t < 5000 + ARP_RETRY_MS; t += 100) {
		ns.now_ms = t;
		EXPECT_TRUE(arp_resolve(&ns, ns.cfg.gateway) == NULL);
	}
	EXPECT_EQ_UINT(tx.nsent, 1);
	ns.now_ms = 5000 + ARP_RETRY_MS;
	EXPECT_TRUE(arp_resolve(&ns, ns.cfg.gateway) == NULL);
	EXPECT_EQ_UINT(tx.nsent, 2);
	EXPECT_EQ_UINT(ns.stats.arp_requests_sent, 2);
	/* Another address has its own limit. */
	EXPECT_TRUE(arp_resolve(&ns, ip4(10, 0, 0, 2)) == NULL);
	EXPECT_EQ_UINT(tx.nsent, 3);
	EXPECT_TRUE(arp_resolve(&ns, 0) == NULL);
	EXPECT_EQ_UINT(tx.nsent, 3);
}

TEST(test_arp_reply_completes_resolution)
{
	const uint8_t gw_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };
	uint8_t f[ETH_MIN_FRAME];
	size_t n;

	setup(0);
	EXPECT_TRUE(arp_resolve(&ns, ns.cfg.gateway) == NULL);
	ns.now_ms = 3;
	n = arp_frame(f, our_mac, ARP_OP_REPLY, gw_mac, ns.cfg.gateway, our_mac, ns.cfg.ip);
	net_input(&ns, f, n);
	EXPECT_EQ_UINT(tx.nsent, 1);                   /* a reply is not answered */
	REQUIRE_TRUE(arp_resolve(&ns, ns.cfg.gateway) != NULL);
	EXPECT_EQ_MEM(arp_resolve(&ns, ns.cfg.gateway), gw_mac, 6);
	EXPECT_EQ_UINT(tx.nsent, 1);
	EXPECT_EQ_UINT(ns.arp.count, 1);
}

TEST(test_arp_resolve_refreshes_before_expiry_with_unicast_request)
{
	setup(0);
	arp_learn(&ns.arp, ip4(10, 0, 0, 2), peer_mac, 0);
	ns.now_ms = ARP_TTL_MS - ARP_REFRESH_MS - 1;
	EXPECT_TRUE(arp_resolve(&ns, ip4(10, 0, 0, 2)) != NULL);
	EXPECT_EQ_UINT(tx.nsent, 0);
	/* In the refresh window: the MAC still comes back, and one request
	 * goes to that MAC, not to everyone. */
	ns.now_ms = ARP_TTL_MS - ARP_REFRESH_MS;
	EXPECT_TRUE(arp_resolve(&ns, ip4(10, 0, 0, 2)) != NULL);
	REQUIRE_TRUE(tx.nsent == 1);
	EXPECT_EQ_MEM(tx.buf[0], peer_mac, 6);
	EXPECT_EQ_UINT(be16_get(tx.buf[0] + 20), ARP_OP_REQUEST);
	ns.now_ms += ARP_RETRY_MS - 1;
	EXPECT_TRUE(arp_resolve(&ns, ip4(10, 0, 0, 2)) != NULL);
	EXPECT_EQ_UINT(tx.nsent, 1);
	ns.now_ms += 1;
	EXPECT_TRUE(arp_resolve(&ns, ip4(10, 0, 0, 2)) != NULL);
	EXPECT_EQ_UINT(tx.nsent, 2);
	/* Never answered: expired at the TTL, then resolved from scratch. */
	ns.now_ms = ARP_TTL_MS;
	EXPECT_TRUE(arp_resolve(&ns, ip4(10, 0, 0, 2)) == NULL);
	EXPECT_EQ_UINT(tx.nsent, 3);
	EXPECT_EQ_MEM(tx.buf[2], eth_broadcast, 6);
}

TEST(test_arp_unanswered_request_frees_its_entry)
{
	setup(0);
	arp_resolve(&ns, ip4(10, 0, 0, 3));
	EXPECT_EQ_UINT(ns.arp.count, 1);
	net_tick(&ns, ARP_INCOMPLETE_TTL_MS - 1);
	EXPECT_EQ_UINT(ns.arp.count, 1);
	/* The sweep runs each ARP_SWEEP_MS. */
	net_tick(&ns, ARP_INCOMPLETE_TTL_MS + ARP_SWEEP_MS);
	EXPECT_EQ_UINT(ns.arp.count, 0);
}

TEST(test_arp_net_tick_sweeps_expired_entries)
{
	setup(0);
	arp_learn(&ns.arp, ip4(10, 0, 0, 2), peer_mac, 0);
	arp_learn(&ns.arp, ip4(10, 0, 0, 3), peer_mac, 30000);
	for (uint64_t t = 10; t <= ARP_TTL_MS + ARP_SWEEP_MS; t += 10)
		net_tick(&ns, t);
	EXPECT_EQ_UINT(ns.arp.count, 1);
	EXPECT_TRUE(arp_lookup(&ns.arp, ip4(10, 0, 0, 3), ns.now_ms) != NULL);
	net_stack_fini(&ns);
	EXPECT_TRUE(!timer_armed(&ns.arp_timer));
}

static unsigned hook_calls;
static uint32_t hook_ip;
static uint8_t hook_mac[6];

static void on_learned(void *ctx, uint32_t ip, const uint8_t *mac)
{
	EXPECT_TRUE(ctx == &tx);
	hook_calls++;
	hook_ip = ip;
	memcpy(hook_mac, mac, 6);
}

TEST(test_arp_learned_hook_sees_what_the_shard_learns)
{
	uint8_t f[ETH_MIN_FRAME];
	static struct arp_cache other_shard;

	setup(0);
	hook_calls = 0;
	ns.arp_learned = on_learned;
	net_input(&ns, f, who_has(f, ip4(10, 0, 0, 9)));   /* not for us, unknown */
	EXPECT_EQ_UINT(hook_calls, 0);
	net_input(&ns, f, who_has(f, ip4(10, 0, 0, 1)));
	EXPECT_EQ_UINT(hook_calls, 1);
	EXPECT_EQ_UINT(hook_ip, ip4(10, 0, 0, 2));
	EXPECT_EQ_MEM(hook_mac, peer_mac, 6);
	/* The backend hands it to another shard's cache. */
	arp_cache_init(&other_shard);
	EXPECT_EQ_INT(arp_learn(&other_shard, hook_ip, hook_mac, 0), 0);
	EXPECT_TRUE(arp_lookup(&other_shard, ip4(10, 0, 0, 2), 0) != NULL);
}

TEST(test_arp_reply_landing_on_a_shard_that_did_not_ask_is_learned_and_passed_on)
{
	const uint8_t gw_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };
	uint8_t f[ETH_MIN_FRAME];

	setup(0);
	hook_calls = 0;
	ns.arp_learned = on_learned;
	/* Another shard asked; this one has no entry for the gateway. */
	net_input(&ns, f, arp_frame(f, our_mac, ARP_OP_REPLY, gw_mac, ns.cfg.gateway, our_mac,
				    ns.cfg.ip));
	EXPECT_EQ_UINT(hook_calls, 1);
	EXPECT_EQ_UINT(hook_ip, ns.cfg.gateway);
	EXPECT_EQ_MEM(hook_mac, gw_mac, 6);
	EXPECT_EQ_UINT(ns.arp.count, 1);
	EXPECT_EQ_UINT(tx.nsent, 0);
}

TEST(test_arp_gratuitous_move_of_a_known_address_is_passed_on_with_the_new_mac)
{
	uint8_t f[ETH_MIN_FRAME];

	setup(0);
	arp_learn(&ns.arp, ip4(10, 0, 0, 2), peer_mac, 0);
	hook_calls = 0;
	ns.arp_learned = on_learned;
	net_input(&ns, f, arp_frame(f, eth_broadcast, ARP_OP_REQUEST, new_peer_mac,
				    ip4(10, 0, 0, 2), zero_mac, ip4(10, 0, 0, 2)));
	EXPECT_EQ_UINT(hook_calls, 1);
	EXPECT_EQ_UINT(hook_ip, ip4(10, 0, 0, 2));
	EXPECT_EQ_MEM(hook_mac, new_peer_mac, 6);
}

TEST(test_arp_foreign_mapping_completes_a_pending_resolution_without_a_new_request)
{
	const uint8_t *mac;

	setup(0);
	hook_calls = 0;
	ns.arp_learned = on_learned;
	EXPECT_TRUE(arp_resolve(&ns, ip4(10, 0, 0, 2)) == NULL);   /* INCOMPLETE, one request */
	EXPECT_EQ_UINT(tx.nsent, 1);
	/* The reply landed on another shard, which passed the mapping here. */
	ns.now_ms = 2;
	EXPECT_EQ_INT(arp_learn(&ns.arp, ip4(10, 0, 0, 2), peer_mac, ns.now_ms), 0);
	mac = arp_resolve(&ns, ip4(10, 0, 0, 2));
	REQUIRE_TRUE(mac != NULL);
	EXPECT_EQ_MEM(mac, peer_mac, 6);
	EXPECT_EQ_UINT(tx.nsent, 1);
	EXPECT_EQ_UINT(ns.arp.count, 1);
	/* Installing what another shard learned is not news to pass on. */
	EXPECT_EQ_UINT(hook_calls, 0);
}

TEST(test_arp_foreign_mapping_installs_an_address_this_shard_never_asked_for)
{
	setup(0);
	EXPECT_EQ_INT(arp_learn(&ns.arp, ip4(10, 0, 0, 7), new_peer_mac, 0), 0);
	EXPECT_EQ_UINT(ns.arp.count, 1);
	REQUIRE_TRUE(arp_resolve(&ns, ip4(10, 0, 0, 7)) != NULL);
	EXPECT_EQ_MEM(arp_resolve(&ns, ip4(10, 0, 0, 7)), new_peer_mac, 6);
	EXPECT_EQ_UINT(tx.nsent, 0);
}

TEST(test_arp_announce_broadcasts_gratuitous_request)
{
	setup(0);
	EXPECT_EQ_INT(arp_announce(&ns), 0);
	REQUIRE_TRUE(tx.nsent == 1);
	EXPECT_EQ_MEM(tx.buf[0], eth_broadcast, 6);
	EXPECT_EQ_UINT(be16_get(tx.buf[0] + 20), ARP_OP_REQUEST);
	EXPECT_EQ_MEM(tx.buf[0] + 28, tx.buf[0] + 38, 4);   /* spa == tpa */
	EXPECT_EQ_UINT(ip_addr_get(tx.buf[0] + 38), ns.cfg.ip);
	tx.fail = true;
	EXPECT_EQ_INT(arp_announce(&ns), -ENOBUFS);
}

int main(void)
{
	RUN(test_arp_cache_learn_then_lookup);
	RUN(test_arp_cache_learn_again_updates_mac_and_restarts_ttl);
	RUN(test_arp_cache_entry_expires_after_ttl);
	RUN(test_arp_cache_entry_learned_with_a_clock_ahead_is_live);
	RUN(test_arp_cache_rejects_zero_ip_and_group_mac);
	RUN(test_arp_cache_full_evicts_least_recently_confirmed);
	RUN(test_arp_cache_full_of_live_entries_drops_expired_ones_first);
	RUN(test_arp_cache_matches_model_under_random_learn_and_expire);
	RUN(test_arp_request_for_our_ip_gets_exact_reply);
	RUN(test_arp_request_for_our_ip_learns_sender);
	RUN(test_arp_request_for_other_ip_sends_nothing_and_learns_nothing);
	RUN(test_arp_request_for_other_ip_updates_known_sender);
	RUN(test_arp_gratuitous_moves_known_address_and_adds_no_unknown_one);
	RUN(test_arp_probe_from_zero_address_is_answered_not_learned);
	RUN(test_arp_claiming_our_ip_is_ignored);
	RUN(test_arp_malformed_packets_are_dropped);
	RUN(test_arp_frame_to_another_unicast_mac_is_dropped);
	RUN(test_arp_reply_failure_to_allocate_is_counted);
	RUN(test_arp_resolve_sends_one_request_then_rate_limits);
	RUN(test_arp_reply_completes_resolution);
	RUN(test_arp_resolve_refreshes_before_expiry_with_unicast_request);
	RUN(test_arp_unanswered_request_frees_its_entry);
	RUN(test_arp_net_tick_sweeps_expired_entries);
	RUN(test_arp_learned_hook_sees_what_the_shard_learns);
	RUN(test_arp_reply_landing_on_a_shard_that_did_not_ask_is_learned_and_passed_on);
	RUN(test_arp_gratuitous_move_of_a_known_address_is_passed_on_with_the_new_mac);
	RUN(test_arp_foreign_mapping_completes_a_pending_resolution_without_a_new_request);
	RUN(test_arp_foreign_mapping_installs_an_address_this_shard_never_asked_for);
	RUN(test_arp_announce_broadcasts_gratuitous_request);
	return unit_summary();
}
