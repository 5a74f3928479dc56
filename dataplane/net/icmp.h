/* ICMP (RFC 792) for a host that answers pings and nothing else: an echo
 * request (type 8) gets an echo reply (type 0) with the same identifier,
 * sequence number and data; every other message is dropped. RFC 1122
 * 3.2.2.6 requires the echo server; the rest (destination unreachable,
 * redirects, ...) a server on a LAN does without. */
#ifndef TESSERA_NET_ICMP_H
#define TESSERA_NET_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "wire_format.h"

struct net_stack;

/* An ICMP message (the IPv4 payload, exactly its length) from the datagram
 * whose verified header is ip, received in a frame from src_mac. Borrowed. */
void icmp_input(struct net_stack *ns, const uint8_t *src_mac, const struct ipv4_hdr *ip,
		const uint8_t *msg, size_t len);

#endif
