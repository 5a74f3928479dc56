/* The per-shard stack's entry points: set-up, Ethernet input, the clock,
 * and the transmit helpers every layer uses. */
#include <errno.h>
#include <string.h>

#include "arp.h"
#include "ipv4.h"
#include "net_stack.h"
#include "wire_format.h"

static void arp_sweep(struct timer *t, void *arg)
{
	struct net_stack *ns = arg;

	arp_expire(&ns->arp, ns->now_ms);
	timer_arm(&ns->timers, t, ARP_SWEEP_MS);
}

int net_stack_init(struct net_stack *ns, const struct net_config *cfg,
		   const struct net_tx_ops *tx, void *tx_ctx, uint64_t now_ms)
{
	int rc;

	if (!cfg || !tx || !tx->alloc || !tx->send || eth_is_group(cfg->mac))
		return -EINVAL;
	memset(ns, 0, sizeof(*ns));
	ns->cfg = *cfg;
	ns->tx = tx;
	ns->tx_ctx = tx_ctx;
	ns->now_ms = now_ms;
	arp_cache_init(&ns->arp);
	rc = timer_wheel_init(&ns->timers, now_ms, NET_TICK_MS);
	if (rc < 0)
		return rc;
	timer_init(&ns->arp_timer, arp_sweep, ns);
	timer_arm(&ns->timers, &ns->arp_timer, ARP_SWEEP_MS);
	return 0;
}

void net_stack_fini(struct net_stack *ns)
{
	timer_cancel(&ns->arp_timer);
}

/* IEEE 802.3 receive filter, in software: the NIC may be promiscuous (a
 * veth under af_packet is). IPv4 is accepted only in frames to our own
 * MAC: RFC 1122 3.3.6 says to drop a datagram that came in a link-layer
 * broadcast unless it is to an IP broadcast or multicast address, and we
 * serve neither. ARP requests come broadcast. */
void net_input(struct net_stack *ns, const uint8_t *frame, size_t len)
{
	const struct eth_hdr *e = (const struct eth_hdr *)frame;
	bool to_us;

	ns->stats.rx_packets++;
	ns->stats.rx_bytes += len;
	if (len < ETH_HDR_LEN || eth_is_group(e->src))
		goto drop;
	to_us = memcmp(e->dst, ns->cfg.mac, ETH_ALEN) == 0;
	switch (eth_type(e)) {
	case ETH_TYPE_ARP:
		if (!to_us && memcmp(e->dst, eth_broadcast, ETH_ALEN) != 0)
			goto drop;
		arp_input(ns, frame + ETH_HDR_LEN, len - ETH_HDR_LEN);
		return;
	case ETH_TYPE_IPV4:
		if (!to_us)
			goto drop;
		ipv4_input(ns, e->src, frame + ETH_HDR_LEN, len - ETH_HDR_LEN);
		return;
	default:
		goto drop;
	}
drop:
	ns->stats.rx_dropped++;
}

void net_tick(struct net_stack *ns, uint64_t now_ms)
{
	ns->now_ms = now_ms;
	timer_wheel_advance(&ns->timers, now_ms);
}

uint8_t *net_tx_alloc(struct net_stack *ns, size_t len, void **handle)
{
	uint8_t *f = ns->tx->alloc(ns->tx_ctx, len, handle);

	if (!f)
		ns->stats.tx_alloc_failures++;
	return f;
}

void net_tx_send(struct net_stack *ns, void *handle, size_t len)
{
	ns->tx->send(ns->tx_ctx, handle, len);
	ns->stats.tx_packets++;
	ns->stats.tx_bytes += len;
}
