/* slot.h - Redis Cluster key -> hash slot mapping.
 *
 * Owns nothing: every function here is pure and reads only the caller's
 * buffer for the duration of the call.  Keys are binary-safe (may contain
 * NUL bytes), so lengths are always explicit.
 */
#ifndef TESSERA_SLOT_H
#define TESSERA_SLOT_H

#include <stddef.h>
#include <stdint.h>

#define SLOT_COUNT 16384

/* CRC16/XMODEM: poly 0x1021, init 0, no reflection, no final xor.
 * This is the exact variant Redis Cluster uses, so our slots match its. */
uint16_t crc16_xmodem(const void *data, size_t len);

/* Slot of a key, honouring hash tags as the Redis Cluster spec defines them:
 * if the key contains '{' and the first '}' after the first '{' is not
 * immediately adjacent to it, only the bytes between the two are hashed;
 * otherwise the whole key is.  "foo{}{bar}" hashes the whole key,
 * "foo{{bar}}" hashes "{bar". */
uint16_t key_slot(const void *key, size_t len);

/* Shard owning a slot when SLOT_COUNT slots are split into nshards
 * contiguous, near-equal ranges.  nshards must be >= 1; the product fits in
 * unsigned for any nshards below 2^18, far beyond any core count. */
static inline unsigned slot_shard(uint16_t slot, unsigned nshards)
{
	return (unsigned)slot * nshards / SLOT_COUNT;
}

#endif /* TESSERA_SLOT_H */
