/* IPv4 input (RFC 791, with RFC 1122's host requirements) and the helpers
 * the layers above use to build their datagrams. The header layout is in
 * wire_format.h.
 *
 * What this host accepts: version 4, no options, not a fragment, a correct
 * header checksum, addressed to our IP from a unicast source, carried in
 * a frame to our own MAC. Everything else is dropped silently and counted:
 * the stack serves TCP clients on a LAN, which neither need fragments
 * (they negotiate an MSS) nor send options.
 */
#ifndef TESSERA_NET_IPV4_H
#define TESSERA_NET_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire_format.h"

struct net_config;
struct net_stack;

/* Process an IPv4 datagram (the Ethernet payload, borrowed; len may include
 * the frame's trailing padding: the datagram's total length is used).
 * src_mac is the frame's source, where replies go. */
void ipv4_input(struct net_stack *ns, const uint8_t *src_mac, const uint8_t *pkt, size_t len);

/* Write a 20-byte header: no options, DF set (RFC 6864 "atomic", so id is
 * 0), TTL 64, the header checksum computed. payload_len excludes the
 * header; addresses are network order. */
void ipv4_hdr_fill(struct ipv4_hdr *h, uint32_t saddr, uint32_t daddr, uint8_t protocol,
		   uint8_t tos, uint16_t payload_len);

/* Whether addr (network order) may be the source of a datagram we answer
 * (RFC 1122 3.2.1.3): not 0.0.0.0, 255.255.255.255, our subnet's broadcast
 * address, a multicast (224/4) or a loopback (127/8) address. */
bool ipv4_is_unicast_peer(const struct net_config *cfg, uint32_t addr);

/* Where a datagram for daddr goes first: daddr itself on our subnet, else
 * the gateway; 0 when there is no gateway. Network order. Resolve the
 * result with arp_resolve(). */
uint32_t ipv4_next_hop(const struct net_config *cfg, uint32_t daddr);

#endif
