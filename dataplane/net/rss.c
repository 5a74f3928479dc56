#include "rss.h"

#include <string.h>

#include "wire_format.h"

void rss_config_default(struct rss_config *rss, unsigned nqueues)
{
	for (unsigned i = 0; i < RSS_KEY_LEN; i += 2) {
		rss->key[i] = 0x6d;
		rss->key[i + 1] = 0x5a;
	}
	for (unsigned i = 0; i < RSS_RETA_SIZE; i++)
		rss->reta[i] = (uint16_t)(nqueues ? i % nqueues : 0);
}

/*
 * HOW TOEPLITZ WORKS
 * For every set bit of the input, XOR into the result the 32 key bits that
 * start at that bit's position. `window` holds those 32 bits; after each
 * input bit it shifts left by one and takes in the next key bit.
 */
uint32_t rss_toeplitz(const uint8_t *key, const uint8_t *input, size_t len)
{
	uint32_t hash = 0;
	uint32_t window = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
	for (size_t i = 0; i < len; i++) {
		uint8_t next = i + 4 < RSS_KEY_LEN ? key[i + 4] : 0;
		for (int bit = 7; bit >= 0; bit--) {
			if (input[i] & (1u << bit))
				hash ^= window;
			window = window << 1 | ((next >> bit) & 1u);
		}
	}
	return hash;
}

int rss_frame_owner(const struct rss_config *rss, const uint8_t *frame, size_t len)
{
	if (len < ETH_HDR_LEN + IPV4_HDR_LEN + 4)
		return -1;
	if (be16_get(frame + 12) != ETH_TYPE_IPV4)
		return -1;
	const uint8_t *ip = frame + ETH_HDR_LEN;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ip[9] != IP_PROTO_TCP || ihl < IPV4_HDR_LEN || len < ETH_HDR_LEN + ihl + 4)
		return -1;
	uint8_t tuple[12];
	memcpy(tuple, ip + 12, 8);                  /* source, destination address */
	memcpy(tuple + 8, ip + ihl, 4);             /* source, destination port */
	uint32_t h = rss_toeplitz(rss->key, tuple, sizeof(tuple));
	return rss->reta[h & (RSS_RETA_SIZE - 1)];
}
