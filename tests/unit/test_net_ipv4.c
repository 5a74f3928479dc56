/* test_net_ipv4.c - Ethernet input, IPv4 (RFC 791, RFC 1122 3.2.1) and
 * ICMP echo (RFC 792) through net_input(), and the wire-format helpers. */
#include "checksum.h"
#include "ipv4.h"
#include "net_stack.h"
#include "unit_test.h"
#include "wire_format.h"

#include <errno.h>
#include <stdbool.h>

#include "net_fake_tx.h"

static struct net_stack ns;
static struct fake_tx tx;

static void setup(void)
{
	struct net_config cfg = { .ip = ip4(10, 0, 0, 1), .netmask = ip4(255, 255, 255, 0),
				  .gateway = ip4(10, 0, 0, 254) };

	memcpy(cfg.mac, our_mac, 6);
	memset(&tx, 0, sizeof(tx));
	REQUIRE_TRUE(net_stack_init(&ns, &cfg, &fake_ops, &tx, 0) == 0);
}

/* Straight from RFC 1071 4.1, for fixing up frames a test has changed:
 * independent of the code under test. */
static uint16_t ref_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Offsets into a frame. */
#define IP 14
#define ICMP 34

static void fix_ip_checksum(uint8_t *f)
{
	size_t hlen = (size_t)(f[IP] & 0x0f) * 4;

	f[IP + 10] = f[IP + 11] = 0;
	be16_put(f + IP + 10, ref_checksum(f + IP, hlen));
}

/* `ping -c1 -s 56 10.0.0.1` from 10.0.0.2: id 0x1234, seq 1, data
 * 0x10..0x47; IP id 0xabcd, DF, TTL 64. Checksums computed independently
 * (Python, RFC 1071): IP 0x7ad9, ICMP 0x2cf6. */
static const uint8_t echo_request[98] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0xab, 0xcd, 0x40, 0x00, 0x40, 0x01,
	0x7a, 0xd9, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01, 0x08, 0x00,
	0x2c, 0xf6, 0x12, 0x34, 0x00, 0x01, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21,
	0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d,
	0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
	0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45,
	0x46, 0x47,
};

/* The reply, also computed independently: IP id 0, DF, TTL 64, addresses
 * swapped, IP checksum 0x26a7; ICMP type 0, checksum 0x34f6. */
static const uint8_t echo_reply[98] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01,
	0x26, 0xa7, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00,
	0x34, 0xf6, 0x12, 0x34, 0x00, 0x01, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21,
	0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d,
	0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
	0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45,
	0x46, 0x47,
};

/* An echo request with `data_len` bytes of data, checksums filled in. */
static size_t build_echo(uint8_t *f, size_t data_len)
{
	size_t icmp_len = 8 + data_len;

	memcpy(f, echo_request, ICMP + 8);
	be16_put(f + IP + 2, (uint16_t)(20 + icmp_len));
	for (size_t i = 0; i < data_len; i++)
		f[ICMP + 8 + i] = (uint8_t)(0x61 + i % 26);
	f[ICMP + 2] = f[ICMP + 3] = 0;
	be16_put(f + ICMP + 2, ref_checksum(f + ICMP, icmp_len));
	fix_ip_checksum(f);
	return ICMP + icmp_len;
}

/* The stats that say "dropped for this reason", for "nothing else moved". */
static uint64_t drop_total(void)
{
	return ns.stats.rx_dropped + ns.stats.rx_bad_checksum + ns.stats.rx_fragments +
	       ns.stats.rx_ip_options;
}

/* ---- echo ----------------------------------------------------------------- */

TEST(test_icmp_echo_request_gets_exact_echo_reply)
{
	const uint8_t *r;

	setup();
	net_input(&ns, echo_request, sizeof(echo_request));
	REQUIRE_TRUE(tx.nsent == 1);
	EXPECT_EQ_UINT(tx.len[0], sizeof(echo_reply));
	EXPECT_EQ_MEM(tx.buf[0], echo_reply, sizeof(echo_reply));
	/* Field by field, for a readable failure. */
	r = tx.buf[0];
	EXPECT_EQ_MEM(r, peer_mac, 6);                  /* back to the sender's MAC */
	EXPECT_EQ_MEM(r + 6, our_mac, 6);
	EXPECT_EQ_UINT(be16_get(r + 12), ETH_TYPE_IPV4);
	EXPECT_EQ_UINT(r[IP], 0x45);
	EXPECT_EQ_UINT(r[IP + 1], 0);
	EXPECT_EQ_UINT(be16_get(r + IP + 2), 84);
	EXPECT_EQ_UINT(be16_get(r + IP + 6), IPV4_FLAG_DF);
	EXPECT_EQ_UINT(r[IP + 8], 64);
	EXPECT_EQ_UINT(r[IP + 9], IP_PROTO_ICMP);
	EXPECT_EQ_UINT(ip_addr_get(r + IP + 12), ip4(10, 0, 0, 1));
	EXPECT_EQ_UINT(ip_addr_get(r + IP + 16), ip4(10, 0, 0, 2));
	EXPECT_EQ_UINT(ref_checksum(r + IP, 20), 0);    /* both checksums verify */
	EXPECT_EQ_UINT(r[ICMP], ICMP_ECHO_REPLY);
	EXPECT_EQ_UINT(r[ICMP + 1], 0);
	EXPECT_EQ_UINT(ref_checksum(r + ICMP, 64), 0);
	EXPECT_EQ_UINT(be16_get(r + ICMP + 4), 0x1234);
	EXPECT_EQ_UINT(be16_get(r + ICMP + 6), 1);
	EXPECT_EQ_MEM(r + ICMP + 8, echo_request + ICMP + 8, 56);
}

TEST(test_icmp_echo_reply_updates_counters)
{
	setup();
	net_input(&ns, echo_request, sizeof(echo_request));
	net_input(&ns, echo_request, sizeof(echo_request));
	EXPECT_EQ_UINT(ns.stats.rx_packets, 2);
	EXPECT_EQ_UINT(ns.stats.rx_bytes, 2 * sizeof(echo_request));
	EXPECT_EQ_UINT(ns.stats.tx_packets, 2);
	EXPECT_EQ_UINT(ns.stats.tx_bytes, 2 * sizeof(echo_reply));
	EXPECT_EQ_UINT(ns.stats.icmp_echo_replies, 2);
	EXPECT_EQ_UINT(drop_total(), 0);
}

TEST(test_icmp_echo_with_odd_and_empty_data)
{
	uint8_t f[200];
	size_t lens[] = { 0, 1, 57, 101 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = build_echo(f, lens[i]);

		setup();
		net_input(&ns, f, n);
		REQUIRE_TRUE(tx.nsent == 1);
		EXPECT_EQ_UINT(tx.len[0], n);
		EXPECT_EQ_UINT(ref_checksum(tx.buf[0] + IP, 20), 0);
		EXPECT_EQ_UINT(ref_checksum(tx.buf[0] + ICMP, 8 + lens[i]), 0);
		EXPECT_EQ_MEM(tx.buf[0] + ICMP + 4, f + ICMP + 4, 4 + lens[i]);
	}
}

TEST(test_icmp_echo_in_padded_minimum_frame_uses_ip_total_length)
{
	uint8_t f[ETH_MIN_FRAME];
	size_t n = build_echo(f, 4);             /* 46 bytes of 60 */

	/* Padding is usually zeros, but nothing says so: make it loud. */
	memset(f + n, 0xee, sizeof(f) - n);
	setup();
	net_input(&ns, f, sizeof(f));
	REQUIRE_TRUE(tx.nsent == 1);
	EXPECT_EQ_UINT(tx.len[0], n);            /* the padding is not echoed */
	EXPECT_EQ_UINT(be16_get(tx.buf[0] + IP + 2), 32);
	EXPECT_EQ_UINT(ref_checksum(tx.buf[0] + ICMP, 12), 0);
	EXPECT_EQ_UINT(drop_total(), 0);
}

TEST(test_icmp_echo_reply_keeps_dscp_and_clears_ecn)
{
	uint8_t f[sizeof(echo_request)];

	memcpy(f, echo_request, sizeof(f));
	f[IP + 1] = 0xb8 | 0x02;                 /* EF, ECT(0) */
	fix_ip_checksum(f);
	setup();
	net_input(&ns, f, sizeof(f));
	REQUIRE_TRUE(tx.nsent == 1);
	EXPECT_EQ_UINT(tx.buf[0][IP + 1], 0xb8);
	EXPECT_EQ_UINT(ref_checksum(tx.buf[0] + IP, 20), 0);
}

TEST(test_icmp_echo_reply_failure_to_allocate_is_counted)
{
	setup();
	tx.fail = true;
	net_input(&ns, echo_request, sizeof(echo_request));
	EXPECT_EQ_UINT(ns.stats.tx_alloc_failures, 1);
	EXPECT_EQ_UINT(ns.stats.icmp_echo_replies, 0);
	EXPECT_EQ_UINT(ns.stats.tx_packets, 0);
}

/* ---- what is dropped, and counted where --------------------------------------- */

TEST(test_ipv4_bad_header_checksum_is_dropped_as_bad_checksum)
{
	uint8_t f[sizeof(echo_request)];

	memcpy(f, echo_request, sizeof(f));
	f[IP + 11] ^= 0x01;
	setup();
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(ns.stats.rx_bad_checksum, 1);
	EXPECT_EQ_UINT(drop_total(), 1);
	/* A flipped bit elsewhere in the header, checksum left alone. */
	memcpy(f, echo_request, sizeof(f));
	f[IP + 8] = 63;
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(ns.stats.rx_bad_checksum, 2);
	EXPECT_EQ_UINT(tx.nalloc, 0);
}

TEST(test_icmp_bad_checksum_is_dropped_as_bad_checksum)
{
	uint8_t f[sizeof(echo_request)];

	memcpy(f, echo_request, sizeof(f));
	f[sizeof(f) - 1] ^= 0x80;                /* last data byte */
	setup();
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(ns.stats.rx_bad_checksum, 1);
	EXPECT_EQ_UINT(drop_total(), 1);
}

TEST(test_ipv4_fragments_are_dropped_as_fragments)
{
	uint8_t f[sizeof(echo_request)];
	const uint16_t frag[] = {
		IPV4_FLAG_MF,                    /* first fragment */
		IPV4_FLAG_MF | 185,              /* middle: offset 1480 bytes */
		185,                             /* last */
		IPV4_FLAG_DF | 1,                /* nonsense, but an offset */
	};

	setup();
	for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
		memcpy(f, echo_request, sizeof(f));
		be16_put(f + IP + 6, frag[i]);
		fix_ip_checksum(f);
		net_input(&ns, f, sizeof(f));
		EXPECT_EQ_UINT(ns.stats.rx_fragments, i + 1);
	}
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(drop_total(), 4);
	/* DF alone, or no flags at all, is a whole datagram. */
	memcpy(f, echo_request, sizeof(f));
	be16_put(f + IP + 6, 0);
	fix_ip_checksum(f);
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(tx.nsent, 1);
}

TEST(test_ipv4_options_are_dropped_as_options)
{
	uint8_t f[sizeof(echo_request) + 4];

	/* IHL 6: four bytes of options (NOP NOP NOP EOL) before the ICMP. */
	memcpy(f, echo_request, ICMP);
	f[ICMP] = f[ICMP + 1] = f[ICMP + 2] = 1;
	f[ICMP + 3] = 0;
	memcpy(f + ICMP + 4, echo_request + ICMP, sizeof(echo_request) - ICMP);
	f[IP] = 0x46;
	be16_put(f + IP + 2, 88);
	fix_ip_checksum(f);
	setup();
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(ns.stats.rx_ip_options, 1);
	EXPECT_EQ_UINT(drop_total(), 1);
}

TEST(test_ipv4_to_another_ip_is_dropped)
{
	uint8_t f[sizeof(echo_request)];
	const uint32_t others[] = { ip4(10, 0, 0, 3), ip4(10, 0, 0, 255), ip4(255, 255, 255, 255),
				    ip4(224, 0, 0, 1), 0 };

	setup();
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		memcpy(f, echo_request, sizeof(f));
		ip_addr_put(f + IP + 16, others[i]);
		fix_ip_checksum(f);
		net_input(&ns, f, sizeof(f));
		EXPECT_EQ_UINT(ns.stats.rx_dropped, i + 1);
	}
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(drop_total(), 5);
}

TEST(test_ipv4_from_a_non_unicast_source_is_dropped)
{
	uint8_t f[sizeof(echo_request)];
	/* RFC 1122 3.2.1.3: no reply to these. */
	const uint32_t bad[] = { 0, ip4(255, 255, 255, 255), ip4(10, 0, 0, 255), ip4(224, 0, 0, 5),
				 ip4(127, 0, 0, 1) };

	setup();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(f, echo_request, sizeof(f));
		ip_addr_put(f + IP + 12, bad[i]);
		fix_ip_checksum(f);
		net_input(&ns, f, sizeof(f));
		EXPECT_EQ_UINT(ns.stats.rx_dropped, i + 1);
	}
	EXPECT_EQ_UINT(tx.nalloc, 0);
	/* A source off our subnet is fine: the reply goes to the MAC the
	 * request came from (the router's). */
	memcpy(f, echo_request, sizeof(f));
	ip_addr_put(f + IP + 12, ip4(192, 0, 2, 7));
	fix_ip_checksum(f);
	f[ICMP + 2] = f[ICMP + 3] = 0;
	be16_put(f + ICMP + 2, ref_checksum(f + ICMP, 64));
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(tx.nsent, 1);
	EXPECT_EQ_UINT(ip_addr_get(tx.buf[0] + IP + 16), ip4(192, 0, 2, 7));
}

TEST(test_ipv4_in_frame_to_another_mac_or_broadcast_is_dropped)
{
	uint8_t f[sizeof(echo_request)];
	const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x09 };
	const uint8_t multicast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };

	setup();
	memcpy(f, echo_request, sizeof(f));
	memcpy(f, other, 6);
	net_input(&ns, f, sizeof(f));
	memcpy(f, eth_broadcast, 6);             /* RFC 1122 3.3.6 */
	net_input(&ns, f, sizeof(f));
	memcpy(f, multicast, 6);
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(ns.stats.rx_dropped, 3);
	/* A group source MAC is never a real sender. */
	memcpy(f, echo_request, sizeof(f));
	memcpy(f + 6, multicast, 6);
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(ns.stats.rx_dropped, 4);
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(drop_total(), 4);
}

TEST(test_ethernet_unsupported_types_are_dropped)
{
	uint8_t f[sizeof(echo_request)];
	const uint16_t types[] = { 0x86dd /* IPv6 */, 0x8100 /* VLAN */, 0x88cc /* LLDP */,
				   0x0054 /* an 802.3 length */ };

	setup();
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memcpy(f, echo_request, sizeof(f));
		be16_put(f + 12, types[i]);
		net_input(&ns, f, sizeof(f));
	}
	EXPECT_EQ_UINT(ns.stats.rx_dropped, 4);
	EXPECT_EQ_UINT(tx.nalloc, 0);
}

TEST(test_ipv4_truncated_frames_at_every_length_are_dropped)
{
	setup();
	/* Ethernet, IP header and ICMP cut short: the IP total length says
	 * more than arrived. */
	for (size_t len = 0; len < sizeof(echo_request); len++)
		net_input(&ns, echo_request, len);
	EXPECT_EQ_UINT(tx.nalloc, 0);
	EXPECT_EQ_UINT(ns.stats.rx_dropped, sizeof(echo_request));
	EXPECT_EQ_UINT(drop_total(), sizeof(echo_request));
	EXPECT_EQ_UINT(ns.stats.rx_packets, sizeof(echo_request));
}

TEST(test_ipv4_malformed_headers_are_dropped)
{
	uint8_t f[sizeof(echo_request)];

	setup();
	/* Version 6 under the IPv4 EtherType. */
	memcpy(f, echo_request, sizeof(f));
	f[IP] = 0x65;
	fix_ip_checksum(f);
	net_input(&ns, f, sizeof(f));
	/* IHL 4: shorter than the fixed header. */
	memcpy(f, echo_request, sizeof(f));
	f[IP] = 0x44;
	net_input(&ns, f, sizeof(f));
	/* Total length shorter than the header. */
	memcpy(f, echo_request, sizeof(f));
	be16_put(f + IP + 2, 19);
	fix_ip_checksum(f);
	net_input(&ns, f, sizeof(f));
	/* Total length beyond the frame. */
	memcpy(f, echo_request, sizeof(f));
	be16_put(f + IP + 2, 85);
	fix_ip_checksum(f);
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(ns.stats.rx_dropped, 4);
	EXPECT_EQ_UINT(drop_total(), 4);
	EXPECT_EQ_UINT(tx.nalloc, 0);
}

TEST(test_ipv4_tcp_and_other_protocols_are_counted_as_dropped)
{
	uint8_t f[sizeof(echo_request)];
	const uint8_t protos[] = { IP_PROTO_TCP, 17 /* UDP */, 2 /* IGMP */, 41 /* IPv6 */ };

	setup();
	for (size_t i = 0; i < sizeof(protos); i++) {
		memcpy(f, echo_request, sizeof(f));
		f[IP + 9] = protos[i];
		fix_ip_checksum(f);
		net_input(&ns, f, sizeof(f));
		EXPECT_EQ_UINT(ns.stats.rx_dropped, i + 1);
	}
	EXPECT_EQ_UINT(tx.nalloc, 0);
}

TEST(test_icmp_other_messages_are_dropped)
{
	uint8_t f[sizeof(echo_request)];
	/* echo reply, destination unreachable, redirect, timestamp, an echo
	 * request with a non-zero code */
	const uint8_t type_code[][2] = { { 0, 0 }, { 3, 3 }, { 5, 1 }, { 13, 0 }, { 8, 1 } };
	size_t n = sizeof(type_code) / sizeof(type_code[0]);

	setup();
	for (size_t i = 0; i < n; i++) {
		memcpy(f, echo_request, sizeof(f));
		f[ICMP] = type_code[i][0];
		f[ICMP + 1] = type_code[i][1];
		f[ICMP + 2] = f[ICMP + 3] = 0;
		be16_put(f + ICMP + 2, ref_checksum(f + ICMP, 64));
		net_input(&ns, f, sizeof(f));
	}
	/* Shorter than an echo header (total length 27: 7 ICMP bytes). */
	memcpy(f, echo_request, sizeof(f));
	be16_put(f + IP + 2, 27);
	fix_ip_checksum(f);
	net_input(&ns, f, sizeof(f));
	EXPECT_EQ_UINT(ns.stats.rx_dropped, n + 1);
	EXPECT_EQ_UINT(drop_total(), n + 1);
	EXPECT_EQ_UINT(tx.nalloc, 0);
}

/* ---- helpers ---------------------------------------------------------------- */

TEST(test_ipv4_next_hop_is_on_link_or_the_gateway)
{
	struct net_config cfg = { .ip = ip4(10, 0, 0, 1), .netmask = ip4(255, 255, 255, 0),
				  .gateway = ip4(10, 0, 0, 254) };

	EXPECT_EQ_UINT(ipv4_next_hop(&cfg, ip4(10, 0, 0, 77)), ip4(10, 0, 0, 77));
	EXPECT_EQ_UINT(ipv4_next_hop(&cfg, ip4(10, 0, 1, 77)), ip4(10, 0, 0, 254));
	cfg.gateway = 0;
	EXPECT_EQ_UINT(ipv4_next_hop(&cfg, ip4(8, 8, 8, 8)), 0);
}

TEST(test_ipv4_is_unicast_peer_per_rfc1122)
{
	struct net_config cfg = { .ip = ip4(10, 0, 0, 1), .netmask = ip4(255, 255, 255, 0) };

	EXPECT_TRUE(ipv4_is_unicast_peer(&cfg, ip4(10, 0, 0, 2)));
	EXPECT_TRUE(ipv4_is_unicast_peer(&cfg, ip4(10, 0, 1, 255)));  /* not our subnet's */
	EXPECT_TRUE(!ipv4_is_unicast_peer(&cfg, ip4(10, 0, 0, 255)));
	EXPECT_TRUE(!ipv4_is_unicast_peer(&cfg, ip4(239, 1, 2, 3)));
	EXPECT_TRUE(!ipv4_is_unicast_peer(&cfg, ip4(127, 0, 0, 1)));
	EXPECT_TRUE(!ipv4_is_unicast_peer(&cfg, 0));
	EXPECT_TRUE(!ipv4_is_unicast_peer(&cfg, ip4(255, 255, 255, 255)));
	/* RFC 3021: a /31 has no broadcast address. */
	cfg.ip = ip4(192, 0, 2, 0);
	cfg.netmask = ip4(255, 255, 255, 254);
	EXPECT_TRUE(ipv4_is_unicast_peer(&cfg, ip4(192, 0, 2, 1)));
}

TEST(test_ipv4_hdr_fill_writes_a_valid_header)
{
	uint8_t b[20];
	struct ipv4_hdr *h = (struct ipv4_hdr *)b;

	ipv4_hdr_fill(h, ip4(192, 168, 0, 1), ip4(192, 168, 0, 199), 17, 0, 95);
	EXPECT_EQ_UINT(ipv4_version(h), 4);
	EXPECT_EQ_UINT(ipv4_hdr_len(h), 20);
	EXPECT_EQ_UINT(ipv4_total_len(h), 115);
	EXPECT_TRUE(!ipv4_is_fragment(h));
	EXPECT_EQ_UINT(ref_checksum(b, 20), 0);
	EXPECT_EQ_UINT(checksum(b, 20), 0);
}

TEST(test_wire_format_fields_convert_one_at_a_time)
{
	/* A SYN to port 6379 with a 24-byte header (the MSS option). */
	const uint8_t seg[20] = {
		0xc3, 0x50, 0x18, 0xeb, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00,
		0x60, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
	};
	const struct tcp_hdr *t = (const struct tcp_hdr *)seg;
	struct tcp_hdr w;
	uint8_t b4[4];

	EXPECT_EQ_UINT(be16_get(t->sport), 50000);
	EXPECT_EQ_UINT(be16_get(t->dport), 6379);
	EXPECT_EQ_UINT(be32_get(t->seq), 0x12345678);
	EXPECT_EQ_UINT(tcp_hdr_len(t), 24);
	EXPECT_EQ_UINT(t->flags, TCP_FLAG_SYN);
	EXPECT_EQ_UINT(be16_get(t->window), 64240);
	memset(&w, 0, sizeof(w));
	tcp_set_hdr_len(&w, 40);
	EXPECT_EQ_UINT(w.doff, 0xa0);
	be32_put(b4, 0xdeadbeef);
	EXPECT_EQ_MEM(b4, "\xde\xad\xbe\xef", 4);
	EXPECT_TRUE(eth_is_group(eth_broadcast));
	EXPECT_TRUE(!eth_is_group(our_mac));
}

TEST(test_net_stack_init_rejects_bad_config)
{
	static struct net_stack s;
	struct net_config cfg = { .ip = ip4(10, 0, 0, 1) };
	const struct net_tx_ops no_send = { .alloc = fake_alloc };

	memcpy(cfg.mac, our_mac, 6);
	EXPECT_EQ_INT(net_stack_init(&s, &cfg, NULL, NULL, 0), -EINVAL);
	EXPECT_EQ_INT(net_stack_init(&s, &cfg, &no_send, NULL, 0), -EINVAL);
	cfg.mac[0] = 0x01;
	EXPECT_EQ_INT(net_stack_init(&s, &cfg, &fake_ops, NULL, 0), -EINVAL);
	cfg.mac[0] = 0x02;
	EXPECT_EQ_INT(net_stack_init(&s, &cfg, &fake_ops, NULL, 0), 0);
	net_stack_fini(&s);
}

int main(void)
{
	RUN(test_icmp_echo_request_gets_exact_echo_reply);
	RUN(test_icmp_echo_reply_updates_counters);
	RUN(test_icmp_echo_with_odd_and_empty_data);
	RUN(test_icmp_echo_in_padded_minimum_frame_uses_ip_total_length);
	RUN(test_icmp_echo_reply_keeps_dscp_and_clears_ecn);
	RUN(test_icmp_echo_reply_failure_to_allocate_is_counted);
	RUN(test_ipv4_bad_header_checksum_is_dropped_as_bad_checksum);
	RUN(test_icmp_bad_checksum_is_dropped_as_bad_checksum);
	RUN(test_ipv4_fragments_are_dropped_as_fragments);
	RUN(test_ipv4_options_are_dropped_as_options);
	RUN(test_ipv4_to_another_ip_is_dropped);
	RUN(test_ipv4_from_a_non_unicast_source_is_dropped);
	RUN(test_ipv4_in_frame_to_another_mac_or_broadcast_is_dropped);
	RUN(test_ethernet_unsupported_types_are_dropped);
	RUN(test_ipv4_truncated_frames_at_every_length_are_dropped);
	RUN(test_ipv4_malformed_headers_are_dropped);
	RUN(test_ipv4_tcp_and_other_protocols_are_counted_as_dropped);
	RUN(test_icmp_other_messages_are_dropped);
	RUN(test_ipv4_next_hop_is_on_link_or_the_gateway);
	RUN(test_ipv4_is_unicast_peer_per_rfc1122);
	RUN(test_ipv4_hdr_fill_writes_a_valid_header);
	RUN(test_wire_format_fields_convert_one_at_a_time);
	RUN(test_net_stack_init_rejects_bad_config);
	return unit_summary();
}
