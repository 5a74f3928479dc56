/* ARP (RFC 826) for one shard: the neighbour cache and the protocol.
 *
 * THE CACHE
 *
 * A fixed open-addressing table of ARP_CACHE_SLOTS entries with linear
 * probing, embedded in struct net_stack: no allocation, ever. It holds at
 * most ARP_CACHE_MAX entries (75% load) so that a probe for a missing
 * address always meets an empty slot soon; inserting into a full cache
 * first drops expired entries, then evicts the least recently confirmed
 * one. Removal shifts the rest of the probe run back (no tombstones), so
 * a lookup stops at the first empty slot.
 *
 *   entry state   meaning                                  lifetime
 *   -----------   --------------------------------------   ---------------------
 *   INCOMPLETE    we asked (arp_resolve), no answer yet     ARP_INCOMPLETE_TTL_MS
 *   REACHABLE     mac is valid                              ARP_TTL_MS since the
 *                                                           last confirmation
 *
 * An expired entry is invisible to lookups at once and is removed by the
 * next sweep (net_tick runs one every ARP_SWEEP_MS) or the next insert.
 *
 * THE PROTOCOL (RFC 826 "Packet Reception", plus RFC 5227)
 *
 *   - A request or reply whose sender is already in the cache updates it
 *     (RFC 826's merge flag), whoever it is addressed to: this is how
 *     gratuitous ARP moves an address to a new MAC.
 *   - One addressed to our IP also adds its sender; a request is answered
 *     with our MAC, sent to the requester's MAC.
 *   - Nothing else adds entries, so a flood of ARP for other hosts cannot
 *     churn the cache.
 *   - Probes (sender IP 0.0.0.0, RFC 5227) are answered but not learned;
 *     packets claiming our own IP, or a group MAC, or a non-unicast sender
 *     IP, are dropped.
 *
 * Replies are 42-byte frames: the NIC pads them to the 60-byte minimum, as
 * it does for the kernel's.
 */
#ifndef TESSERA_NET_ARP_H
#define TESSERA_NET_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARP_CACHE_BITS 8
#define ARP_CACHE_SLOTS (1u << ARP_CACHE_BITS)
#define ARP_CACHE_MAX (ARP_CACHE_SLOTS * 3 / 4)
/* Linux's base_reachable_time is 30 s (15..45 s randomised); peers of a
 * server on a LAN rarely move, and a moved one announces itself with
 * gratuitous ARP, which updates the entry at once. */
#define ARP_TTL_MS 60000
/* An address that does not answer frees its slot soon. */
#define ARP_INCOMPLETE_TTL_MS 3000
/* RFC 1122 2.3.2.1: at most one request per second per address. */
#define ARP_RETRY_MS 1000
/* In the last ARP_REFRESH_MS of a REACHABLE entry, arp_resolve() still
 * returns its MAC but asks again (unicast, to that MAC), so a busy peer's
 * entry is renewed before it expires instead of traffic stalling on a new
 * resolution. */
#define ARP_REFRESH_MS 5000
#define ARP_SWEEP_MS 1000

enum arp_state {
	ARP_EMPTY = 0,
	ARP_INCOMPLETE,
	ARP_REACHABLE,
};

struct arp_entry {
	uint32_t ip;                 /* network order */
	uint8_t mac[6];              /* valid when REACHABLE */
	uint8_t state;               /* enum arp_state */
	uint64_t updated_ms;         /* created (INCOMPLETE) or last confirmed */
	uint64_t requested_ms;       /* last request sent for it */
};
/* 4 + 6 + 1 bytes, 5 of padding, 2 x 8: 256 entries are 8 KiB per shard. */
_Static_assert(sizeof(struct arp_entry) == 32, "ARP entries are 32 bytes");

struct arp_cache {
	unsigned count;              /* entries not EMPTY */
	struct arp_entry e[ARP_CACHE_SLOTS];
};

struct net_stack;

void arp_cache_init(struct arp_cache *c);

/* The MAC of a REACHABLE, unexpired entry, or NULL. The pointer is into the
 * cache: valid until the cache next changes (any arp_* call but a lookup). */
const uint8_t *arp_lookup(const struct arp_cache *c, uint32_t ip, uint64_t now_ms);

/* Add or update an entry as REACHABLE: ip is network order, mac 6 bytes.
 * Returns 0, or -EINVAL for ip 0 or a group (multicast) MAC. Evicts the
 * least recently confirmed entry when the cache is full. Also the entry
 * point for addresses another shard learned. */
int arp_learn(struct arp_cache *c, uint32_t ip, const uint8_t *mac, uint64_t now_ms);

/* Remove expired entries; returns how many. */
unsigned arp_expire(struct arp_cache *c, uint64_t now_ms);

/* Process an ARP packet (the Ethernet payload: len may include padding),
 * borrowed; answers requests for our IP through ns->tx. */
void arp_input(struct net_stack *ns, const uint8_t *pkt, size_t len);

/* The MAC for next hop `ip` (network order) if known. If not, broadcasts a
 * request (at most one per ARP_RETRY_MS per address) and returns NULL: the
 * caller drops or queues its packet and tries again later. The pointer
 * follows arp_lookup()'s rule. */
const uint8_t *arp_resolve(struct net_stack *ns, uint32_t ip);

/* Broadcast a gratuitous ARP request for our own address (RFC 5227 2.3
 * "announcement"), so that peers and switches learn where we are: once at
 * start-up. Returns 0, or -ENOBUFS when no transmit buffer could be had. */
int arp_announce(struct net_stack *ns);

#endif
