/* SYN cookies: when the SYN backlog is full, the initial sequence number of
 * our SYN-ACK carries what the connection needs, and no state is kept until
 * the peer's ACK returns it.
 *
 *   bits 31..27  a 64-second counter (mod 32): cookies live 64-128 s
 *   bits 26..24  an index into mss_table
 *   bits 23..0   a keyed hash of the 4-tuple and the counter
 */
#include "tcp.h"
#include "tcp_internal.h"

static const uint16_t mss_table[] = { 536, 1220, 1440, 1460 };

static uint32_t cookie_hash(uint32_t secret, uint32_t saddr, uint32_t daddr, uint16_t sport,
			    uint16_t dport, uint32_t counter)
{
	uint32_t h = secret ^ 0x9E3779B9u;
	uint32_t words[4] = { saddr, daddr, (uint32_t)sport << 16 | dport, counter };
	for (int i = 0; i < 4; i++) {
		h ^= words[i] * 0xCC9E2D51u;
		h = (h << 13 | h >> 19) * 5 + 0xE6546B64u;
	}
	h ^= h >> 16;
	h *= 0x85EBCA6Bu;
	h ^= h >> 13;
	return h & 0xFFFFFF;
}

static uint32_t counter_at(uint64_t now_ms)
{
	return (uint32_t)(now_ms / 64000) & 31;
}

uint32_t syn_cookie_make(const struct tcp_layer *tl, uint32_t saddr, uint32_t daddr,
			 uint16_t sport, uint16_t dport, uint16_t mss, uint64_t now_ms)
{
	uint32_t m = 0;
	for (uint32_t i = 0; i < sizeof(mss_table) / sizeof(mss_table[0]); i++)
		if (mss_table[i] <= mss)
			m = i;
	uint32_t c = counter_at(now_ms);
	return c << 27 | m << 24 | cookie_hash(tl->cookie_secret, saddr, daddr, sport, dport, c);
}

uint16_t syn_cookie_check(const struct tcp_layer *tl, uint32_t saddr, uint32_t daddr,
			  uint16_t sport, uint16_t dport, uint32_t cookie, uint64_t now_ms)
{
	uint32_t c = cookie >> 27, m = (cookie >> 24) & 7, now = counter_at(now_ms);
	if (c != now && c != ((now - 1) & 31))
		return 0;
	if (m >= sizeof(mss_table) / sizeof(mss_table[0]))
		return 0;
	if ((cookie & 0xFFFFFF) != cookie_hash(tl->cookie_secret, saddr, daddr, sport, dport, c))
		return 0;
	return mss_table[m];
}
