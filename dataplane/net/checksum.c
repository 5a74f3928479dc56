/* RFC 1071 checksum, RFC 1624 update, IPv4 pseudo-header: see checksum.h
 * for how sums and checksums are represented. */
#include <string.h>

#include "checksum.h"

/* Reduce to 16 bits with end-around carry. 2^16 = 1 (mod 0xffff), so adding
 * the high part to the low part keeps the one's-complement sum. Two steps
 * each suffice: the first 64->32 step leaves at most 0x1fffffffe, the second
 * at most 0xffffffff; likewise 0x1fffe, then 0xffff. */
static inline uint32_t fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/* HOW IT WORKS
 *
 * RFC 1071 2(A)-(C): the one's-complement sum of 16-bit words may be
 * computed with wider words and with the words loaded in either byte
 * order, as long as the carries out of the top are added back in. Here each
 * step loads four 32-bit words and adds them to a 64-bit accumulator; the
 * carries pile up in bits 32..63 (2^32 loads would be needed to lose one,
 * 16 GiB) and fold64() adds them back once. memcpy() makes unaligned loads
 * well defined; the compiler turns each into one load instruction.
 *
 * An odd final byte is the high-order byte of a word whose low byte is
 * zero (RFC 1071 4.1: "add left-over byte, if any"); in memory order that
 * is the pair {byte, 0}, loaded natively like every other word.
 */
uint32_t checksum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = sum;
	uint32_t w0, w1, w2, w3;
	uint16_t h;

	while (len >= 16) {
		memcpy(&w0, p, 4);
		memcpy(&w1, p + 4, 4);
		memcpy(&w2, p + 8, 4);
		memcpy(&w3, p + 12, 4);
		acc += (uint64_t)w0 + w1 + w2 + w3;
		p += 16;
		len -= 16;
	}
	while (len >= 4) {
		memcpy(&w0, p, 4);
		acc += w0;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = { p[0], 0 };

		memcpy(&h, last, 2);
		acc += h;
	}
	return fold64(acc);
}

uint16_t checksum_finish(uint32_t sum)
{
	uint16_t native = (uint16_t)~fold64(sum);
	uint8_t b[2];

	/* The native word's bytes are the checksum's bytes in network order
	 * (RFC 1071 2(B)); read them back as a host-order number. */
	memcpy(b, &native, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

uint16_t checksum_fold_for_offload(uint32_t sum)
{
	return (uint16_t)~checksum_finish(sum);
}

uint16_t checksum(const void *data, size_t len)
{
	return checksum_finish(checksum_partial(data, len, 0));
}

/* RFC 9293 3.1 (TCP) and RFC 768 (UDP), IPv4 pseudo-header:
 *
 *   OFFSET SIZE FIELD
 *        0    4 source address
 *        4    4 destination address
 *        8    1 zero
 *        9    1 protocol
 *       10    2 TCP/UDP length (header + data), bytes
 */
uint32_t checksum_pseudo_header(uint32_t saddr, uint32_t daddr, uint8_t protocol,
				uint16_t l4_len)
{
	uint8_t ph[12];

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = protocol;
	ph[10] = (uint8_t)(l4_len >> 8);
	ph[11] = (uint8_t)l4_len;
	return checksum_partial(ph, sizeof(ph), 0);
}

uint16_t checksum_update16(uint16_t old_csum, uint16_t old_word, uint16_t new_word)
{
	uint32_t s = (uint32_t)(uint16_t)~old_csum + (uint16_t)~old_word + new_word;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

uint16_t checksum_update32(uint16_t old_csum, uint32_t old_value, uint32_t new_value)
{
	uint16_t c = checksum_update16(old_csum, (uint16_t)(old_value >> 16),
				       (uint16_t)(new_value >> 16));

	return checksum_update16(c, (uint16_t)old_value, (uint16_t)new_value);
}
