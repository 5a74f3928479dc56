/* The two hosts of every dataplane/net test network: us, 10.0.0.1/24, and
 * a peer, 10.0.0.2, with their MACs. Header-only; for the unit tests
 * (through net_fake_tx.h or directly) and tests/fuzz/fuzz_tcp_input. */
#ifndef TESSERA_NET_TEST_HOSTS_H
#define TESSERA_NET_TEST_HOSTS_H

#include <stdint.h>
#include <string.h>

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/* An IPv4 address from its dotted parts, in network byte order. */
static inline uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t x[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, x, 4);
	return v;
}

#endif
