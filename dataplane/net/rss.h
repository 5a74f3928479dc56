/* Which shard owns a TCP flow, computed in software with the Toeplitz hash
 * that NICs use for RSS (the same key and redirection table are programmed
 * into a port that supports it). Virtual ports (af_packet, tap) spread flows
 * by their own hash, so a segment may land on another shard's queue: the
 * DPDK loop then forwards it to the owner computed here.
 *
 * The default key repeats 0x6d5a, which makes the hash symmetric: both
 * directions of a flow hash alike.
 */
#ifndef TESSERA_RSS_H
#define TESSERA_RSS_H

#include <stddef.h>
#include <stdint.h>

#define RSS_KEY_LEN 40
#define RSS_RETA_SIZE 128

struct rss_config {
	uint8_t key[RSS_KEY_LEN];
	uint16_t reta[RSS_RETA_SIZE];   /* hash & (size-1) -> queue/shard */
};

/* The symmetric key, and a table spreading over nqueues round-robin. */
void rss_config_default(struct rss_config *rss, unsigned nqueues);

/* Toeplitz over `len` input bytes (RFC-less but specified by Microsoft's
 * RSS documentation, which gives the test vectors). */
uint32_t rss_toeplitz(const uint8_t *key, const uint8_t *input, size_t len);

/* The owner of an Ethernet frame carrying IPv4/TCP, from its 4-tuple as
 * NICs feed it (source address, destination address, source port,
 * destination port); -1 for anything else, which any shard may handle. */
int rss_frame_owner(const struct rss_config *rss, const uint8_t *frame, size_t len);

#endif
