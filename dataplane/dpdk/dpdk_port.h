/* EAL, the port, its queues and mbuf pools: everything the DPDK backend
 * sets up once, before the shard threads start. One RX/TX queue pair per
 * shard; one mbuf pool per NUMA node. */
#ifndef TESSERA_DPDK_PORT_H
#define TESSERA_DPDK_PORT_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mempool;

struct dpdk_port {
	uint16_t port_id;
	uint16_t nqueues;             /* = shards */
	uint8_t mac[6];
	uint32_t ip, netmask, gateway; /* network order */
	struct rte_mempool *pool;     /* the port's node */
	bool rss;                     /* the port spreads flows over queues */
	bool tx_csum_offload;         /* IPv4 and TCP checksums enabled in the port's TX */
};

/* Parse dpdk-args, start EAL, configure and start the first port with one
 * queue pair per shard. Logs a clear reason and returns a negative errno
 * on failure. */
int dpdk_port_open(struct dpdk_port *port, unsigned nshards);
void dpdk_port_close(struct dpdk_port *port);

struct rss_config;
/* Program our key and redirection table into a port with RSS, so that the
 * queue a NIC picks is the owner the stack computes (best effort: a port
 * that refuses keeps its own spreading, and the stack forwards). */
void dpdk_port_program_rss(struct dpdk_port *port, const struct rss_config *rss);

#endif
