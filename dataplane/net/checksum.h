/* The Internet checksum (RFC 1071), its incremental update (RFC 1624) and
 * the IPv4 pseudo-header that TCP and UDP checksums cover (RFC 9293 3.1,
 * RFC 768).
 *
 * HOW THE VALUES ARE KEPT
 *
 * A running sum (uint32_t) is opaque: it is the one's-complement sum of the
 * bytes seen so far, loaded as native 16-bit words. RFC 1071 2(B) shows the
 * sum is independent of byte order, so it is never converted word by word;
 * checksum_finish() converts once, at the end.
 *
 * A finished checksum (uint16_t) is a host-order number, the value the RFCs
 * print and a packet dump shows (0xb861, say): write it with be16_put()
 * like any other header field.
 *
 * To verify a received header or segment, sum all of it, checksum field
 * included: checksum_finish() then returns 0 for a correct one.
 *
 * Chunks: a sum may be built from several checksum_partial() calls, but
 * every chunk except the last must have an even length (a chunk starts on
 * a 16-bit word boundary of the data being covered).
 */
#ifndef TESSERA_NET_CHECKSUM_H
#define TESSERA_NET_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes to the running sum `sum` (0 to start). Fast path: 32-bit
 * loads into a 64-bit accumulator, folded once at the end, so no carry is
 * handled inside the loop. Any alignment of `data` is fine. */
uint32_t checksum_partial(const void *data, size_t len, uint32_t sum);

/* Fold, complement and convert: the checksum to store, host order. */
uint16_t checksum_finish(uint32_t sum);

/* Fold and convert without complementing: what a port that offloads the
 * TCP checksum expects in the checksum field (the pseudo-header's sum; the
 * port adds the segment and complements). Host order. */
uint16_t checksum_fold_for_offload(uint32_t sum);

/* checksum_finish(checksum_partial(data, len, 0)). */
uint16_t checksum(const void *data, size_t len);

/* The running sum of the 12-byte IPv4 pseudo-header: source and
 * destination address (network order, as stored in the IP header), zero,
 * protocol, and the TCP/UDP length in bytes, header included (host order).
 * Continue with checksum_partial() over the TCP/UDP header and data. */
uint32_t checksum_pseudo_header(uint32_t saddr, uint32_t daddr, uint8_t protocol,
				uint16_t l4_len);

/* RFC 1624 eqn. 3: the checksum after one 16-bit word of the covered data
 * changed from old_word to new_word, without summing the rest again:
 * HC' = ~(~HC + ~m + m'). All values host order. Eqn. 3, unlike RFC 1141's
 * eqn. 2, never yields 0xffff (-0) for a sum that should be +0. */
uint16_t checksum_update16(uint16_t old_csum, uint16_t old_word, uint16_t new_word);

/* The same for a 32-bit field (an address, a sequence number), as two
 * words; host order. */
uint16_t checksum_update32(uint16_t old_csum, uint32_t old_value, uint32_t new_value);

#endif
