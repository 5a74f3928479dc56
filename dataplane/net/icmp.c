/* ICMP echo (RFC 792, RFC 1122 3.2.2.6). */
#include <string.h>

#include "checksum.h"
#include "icmp.h"
#include "ipv4.h"
#include "net_stack.h"

/* The reply is the request with type 0, our address as the source (RFC
 * 1122: "the specific-destination address of the request"), a fresh IP
 * header (TTL 64, DF, the request's DSCP without its ECN bits) and a new
 * checksum over the whole message; identifier, sequence number and data
 * are copied. It goes back to the MAC the request came from, so no ARP
 * lookup is needed. */
static void echo_reply(struct net_stack *ns, const uint8_t *src_mac, const struct ipv4_hdr *ip,
		       const uint8_t *msg, size_t len)
{
	size_t frame_len = ETH_HDR_LEN + IPV4_HDR_LEN + len;
	void *handle;
	uint8_t *f = net_tx_alloc(ns, frame_len, &handle);
	struct ipv4_hdr *rip;
	struct icmp_echo_hdr *icmp;

	if (!f)
		return;
	eth_hdr_fill((struct eth_hdr *)f, src_mac, ns->cfg.mac, ETH_TYPE_IPV4);
	rip = (struct ipv4_hdr *)(f + ETH_HDR_LEN);
	ipv4_hdr_fill(rip, ns->cfg.ip, ip_addr_get(ip->saddr), IP_PROTO_ICMP, ip->tos & 0xfc,
		      (uint16_t)len);
	icmp = (struct icmp_echo_hdr *)(f + ETH_HDR_LEN + IPV4_HDR_LEN);
	memcpy(icmp, msg, len);
	icmp->type = ICMP_ECHO_REPLY;
	icmp->code = 0;
	be16_put(icmp->checksum, 0);
	be16_put(icmp->checksum, checksum(icmp, len));
	net_tx_send(ns, handle, frame_len);
	ns->stats.icmp_echo_replies++;
}

void icmp_input(struct net_stack *ns, const uint8_t *src_mac, const struct ipv4_hdr *ip,
		const uint8_t *msg, size_t len)
{
	const struct icmp_echo_hdr *icmp = (const struct icmp_echo_hdr *)msg;

	if (len < ICMP_ECHO_HDR_LEN)
		goto drop;
	if (checksum(msg, len) != 0) {
		ns->stats.rx_bad_checksum++;
		return;
	}
	if (icmp->type != ICMP_ECHO_REQUEST || icmp->code != 0)
		goto drop;
	echo_reply(ns, src_mac, ip, msg, len);
	return;
drop:
	ns->stats.rx_dropped++;
}
