/* IPv4 input (RFC 791 3.2, RFC 1122 3.2.1) and header building. */
#include <string.h>

#include "checksum.h"
#include "icmp.h"
#include "ipv4.h"
#include "tcp.h"
#include "net_stack.h"

/* The checks, in this order, each with its counter:
 *
 *   too short for a header, not version 4, IHL < 5,
 *   total length < header or > the bytes received     rx_dropped
 *   header checksum wrong                              rx_bad_checksum
 *   IHL > 5 (options)                                  rx_ip_options
 *   MF set or fragment offset != 0                     rx_fragments
 *   not to our IP, or from a non-unicast source        rx_dropped
 *   a protocol other than ICMP and TCP                 rx_dropped
 *
 * The checksum comes before the options and fragment checks so that each
 * of those counters counts only intact headers. Bytes after total_len are
 * Ethernet padding (a 60-byte minimum frame carries at most 46 bytes of
 * datagram) and are ignored.
 */
void ipv4_input(struct net_stack *ns, const uint8_t *src_mac, const uint8_t *pkt, size_t len)
{
	const struct ipv4_hdr *h = (const struct ipv4_hdr *)pkt;
	unsigned hlen;
	size_t total;

	if (len < IPV4_HDR_LEN || ipv4_version(h) != IPV4_VERSION)
		goto drop;
	hlen = ipv4_hdr_len(h);
	total = ipv4_total_len(h);
	if (hlen < IPV4_HDR_LEN || total < hlen || total > len)
		goto drop;
	if (checksum(h, hlen) != 0) {
		ns->stats.rx_bad_checksum++;
		return;
	}
	if (hlen != IPV4_HDR_LEN) {
		ns->stats.rx_ip_options++;
		return;
	}
	if (ipv4_is_fragment(h)) {
		ns->stats.rx_fragments++;
		return;
	}
	if (ip_addr_get(h->daddr) != ns->cfg.ip ||
	    !ipv4_is_unicast_peer(&ns->cfg, ip_addr_get(h->saddr)))
		goto drop;

	switch (h->protocol) {
	case IP_PROTO_ICMP:
		icmp_input(ns, src_mac, h, pkt + hlen, total - hlen);
		return;
	case IP_PROTO_TCP:
		tcp_input(ns, src_mac, ip_addr_get(h->saddr), ip_addr_get(h->daddr), pkt + hlen,
			  total - hlen);
		return;
	default:
		goto drop;
	}
drop:
	ns->stats.rx_dropped++;
}

void ipv4_hdr_fill(struct ipv4_hdr *h, uint32_t saddr, uint32_t daddr, uint8_t protocol,
		   uint8_t tos, uint16_t payload_len)
{
	h->ver_ihl = IPV4_VERSION << 4 | IPV4_HDR_LEN / 4;
	h->tos = tos;
	be16_put(h->total_len, (uint16_t)(IPV4_HDR_LEN + payload_len));
	be16_put(h->id, 0);
	be16_put(h->frag, IPV4_FLAG_DF);
	h->ttl = IPV4_DEFAULT_TTL;
	h->protocol = protocol;
	be16_put(h->checksum, 0);
	ip_addr_put(h->saddr, saddr);
	ip_addr_put(h->daddr, daddr);
	be16_put(h->checksum, checksum(h, IPV4_HDR_LEN));
}

bool ipv4_is_unicast_peer(const struct net_config *cfg, uint32_t addr)
{
	const uint8_t *b = (const uint8_t *)&addr;   /* network order: b[0] first */

	if (addr == 0 || addr == 0xffffffffu)
		return false;
	if ((b[0] & 0xf0) == 0xe0 || b[0] == 127)    /* 224/4 multicast, 127/8 */
		return false;
	/* Our subnet's directed broadcast: host part all ones. /31 and /32
	 * subnets have none (RFC 3021). */
	if (__builtin_popcount(~cfg->netmask) >= 2 &&
	    (addr & cfg->netmask) == (cfg->ip & cfg->netmask) && (addr | cfg->netmask) == 0xffffffffu)
		return false;
	return true;
}

uint32_t ipv4_next_hop(const struct net_config *cfg, uint32_t daddr)
{
	if ((daddr & cfg->netmask) == (cfg->ip & cfg->netmask))
		return daddr;
	return cfg->gateway;
}
