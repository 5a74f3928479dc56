/* One shard's network stack (Ethernet, ARP, IPv4, ICMP, TCP): plain
 * C over frame bytes, with no DPDK type, so it is unit-tested without a NIC
 * and driven by dataplane/dpdk/ in the server.
 *
 * Ownership: net_input() borrows the received frame for the duration of the
 * call. Frames the stack emits are written into buffers it obtains from
 * tx->alloc() and handed back with tx->send(); the backend owns them then
 * (it batches them into one rte_eth_tx_burst per loop iteration).
 * Addresses are stored in network byte order.
 */
#ifndef TESSERA_NET_STACK_H
#define TESSERA_NET_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arp.h"
#include "tcp.h"
#include "timer_wheel.h"

struct net_tx_ops {
	/* A buffer for a frame of up to `len` bytes, or NULL (counted as a
	 * drop). *handle identifies it to send(). */
	uint8_t *(*alloc)(void *ctx, size_t len, void **handle);
	/* Queue the frame (its first `len` bytes) for transmission. */
	void (*send)(void *ctx, void *handle, size_t len);
};

struct net_config {
	uint8_t mac[6];
	uint32_t ip;          /* network order */
	uint32_t netmask;     /* network order */
	uint32_t gateway;     /* network order; 0 = none */
	/* The port fills IPv4 and TCP checksums of frames marked for it (set
	 * by the backend from the port's capabilities); false: software. */
	bool tx_csum_offload;
};

/* Counters for INFO dataplane; owned by the shard's thread. */
struct net_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_dropped;          /* not for us, malformed, unsupported */
	uint64_t rx_bad_checksum;     /* IPv4, ICMP and TCP checksum errors */
	uint64_t rx_fragments;        /* IPv4 fragments: dropped */
	uint64_t rx_ip_options;       /* IPv4 packets with options: dropped */
	uint64_t arp_requests_answered;
	uint64_t arp_requests_sent;   /* by arp_resolve() and arp_announce() */
	uint64_t icmp_echo_replies;
	uint64_t tx_alloc_failures;
};

struct net_stack {
	struct net_config cfg;
	struct arp_cache arp;
	struct timer_wheel timers;
	struct net_stats stats;
	const struct net_tx_ops *tx;
	void *tx_ctx;
	uint64_t now_ms;              /* set by the backend each loop iteration */
	/* Optional, NULL after net_stack_init(): told, with tx_ctx, of each
	 * address this shard learns from an ARP packet, so the backend can
	 * pass it on to the other shards' caches with arp_learn() ("an ARP
	 * request that lands on one core serves all"; dpdk/arp_fanout.h).
	 * arp_learn() itself never calls it, so nothing echoes back. */
	void (*arp_learned)(void *ctx, uint32_t ip, const uint8_t *mac);
	struct timer arp_timer;       /* sweeps expired ARP entries */
	struct tcp_layer tcp;         /* initialised by tcp_layer_init() */
};

/* The wheel's tick: TCP's 200 ms minimum RTO is 20 ticks. */
#define NET_TICK_MS 10

/* Returns 0, or -ENOMEM, or -EINVAL (no tx ops, a group MAC). */
int net_stack_init(struct net_stack *ns, const struct net_config *cfg,
		   const struct net_tx_ops *tx, void *tx_ctx, uint64_t now_ms);
void net_stack_fini(struct net_stack *ns);

/* Process one received Ethernet frame (borrowed). */
void net_input(struct net_stack *ns, const uint8_t *frame, size_t len);

/* Advance the clock and run due timers (ARP expiry; TCP retransmission, delayed ACK,
 * keepalive and TIME-WAIT). */
void net_tick(struct net_stack *ns, uint64_t now_ms);

/* For the layers inside the stack: a transmit buffer for a frame of up to
 * len bytes, or NULL (counted in tx_alloc_failures); then hand it over with
 * net_tx_send(), which counts tx_packets and tx_bytes. */
uint8_t *net_tx_alloc(struct net_stack *ns, size_t len, void **handle);
void net_tx_send(struct net_stack *ns, void *handle, size_t len);

#endif
