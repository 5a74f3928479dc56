#include "dpdk_port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "base/config.h"
#include "base/log.h"
#include "resp/resp_parse.h"
#include "rss.h"

#define RX_DESCRIPTORS 1024
#define TX_DESCRIPTORS 1024
/* Enough mbufs for every descriptor of every queue, the per-core caches and
 * frames in flight in the stack. */
#define MBUF_CACHE 256

static bool eal_started;

static int start_eal(void)
{
	/* EAL wants a mutable argv: split a private copy of dpdk-args with
	 * the same quoting rules as the config file. */
	char *args = strdup(CFG(dpdk_args));
	struct argv_vec v = { 0 };
	if (!args)
		return -ENOMEM;
	if (!split_args_inplace(args, args + strlen(args), &v)) {
		log_msg(LOG_WARNING, "dpdk-args: unbalanced quotes");
		free(args);
		return -EINVAL;
	}
	int argc = v.argc + 1;
	char **argv = calloc((size_t)argc + 1, sizeof(*argv));
	if (!argv) {
		free(args);
		argv_vec_free(&v);
		return -ENOMEM;
	}
	argv[0] = "tessera-server";
	for (int i = 0; i < v.argc; i++) {
		v.v[i].p[v.v[i].len] = '\0';
		argv[i + 1] = v.v[i].p;
	}
	int rc = rte_eal_init(argc, argv);
	/* EAL may keep pointers into argv: they stay allocated for the
	 * process's life. */
	argv_vec_free(&v);
	if (rc < 0) {
		log_msg(LOG_WARNING, "DPDK EAL initialisation failed: %s (dpdk-args: %s)",
			rte_strerror(rte_errno), CFG(dpdk_args));
		return -EINVAL;
	}
	eal_started = true;
	return 0;
}

static int parse_addresses(struct dpdk_port *port)
{
	struct in_addr a;
	if (inet_pton(AF_INET, CFG(ip), &a) != 1) {
		log_msg(LOG_WARNING, "the DPDK dataplane needs --ip (our IPv4 address)");
		return -EINVAL;
	}
	port->ip = a.s_addr;
	port->netmask = inet_pton(AF_INET, CFG(netmask), &a) == 1 ? a.s_addr : htonl(0xffffff00);
	port->gateway = inet_pton(AF_INET, CFG(gateway), &a) == 1 ? a.s_addr : 0;
	return 0;
}

/* Enabling the offload only permits it: a frame is still sent as built
 * unless its mbuf asks (RTE_MBUF_F_TX_*_CKSUM), so this is safe before the
 * stack uses it. Both or neither: the stack fills TCP's pseudo-header sum
 * only when the port finishes both. */
static void enable_tx_csum_offload(struct dpdk_port *port, const struct rte_eth_dev_info *info,
				   struct rte_eth_conf *conf)
{
	const uint64_t csum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	port->tx_csum_offload = (info->tx_offload_capa & csum) == csum;
	if (port->tx_csum_offload)
		conf->txmode.offloads |= csum;
}

static int configure_port(struct dpdk_port *port, unsigned nshards)
{
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(port->port_id, &info);
	if (rc < 0)
		return rc;
	if (info.max_rx_queues < nshards || info.max_tx_queues < nshards) {
		log_msg(LOG_WARNING, "port %u (%s) has %u RX / %u TX queues; %u shards need one pair "
			"each (af_packet: add qpairs=%u to the --vdev)", port->port_id,
			info.driver_name, info.max_rx_queues, info.max_tx_queues, nshards, nshards);
		return -EINVAL;
	}
	struct rte_eth_conf conf = { 0 };
	uint64_t rss = info.flow_type_rss_offloads & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP);
	if (nshards > 1 && rss) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss;
		port->rss = true;
	}
	enable_tx_csum_offload(port, &info, &conf);
	rc = rte_eth_dev_configure(port->port_id, (uint16_t)nshards, (uint16_t)nshards, &conf);
	if (rc < 0) {
		log_msg(LOG_WARNING, "configuring port %u failed: %s", port->port_id, strerror(-rc));
		return rc;
	}
	int socket = rte_eth_dev_socket_id(port->port_id);
	unsigned mbufs = nshards * (RX_DESCRIPTORS + TX_DESCRIPTORS + 2 * MBUF_CACHE) + 4096;
	port->pool = rte_pktmbuf_pool_create("tessera_mbufs", mbufs, MBUF_CACHE, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, socket < 0 ? 0 : socket);
	if (!port->pool) {
		log_msg(LOG_WARNING, "mbuf pool: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (uint16_t q = 0; q < nshards; q++) {
		rc = rte_eth_rx_queue_setup(port->port_id, q, RX_DESCRIPTORS, (unsigned)socket, NULL, port->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port->port_id, q, TX_DESCRIPTORS, (unsigned)socket, NULL);
		if (rc < 0) {
			log_msg(LOG_WARNING, "queue %u setup failed: %s", q, strerror(-rc));
			return rc;
		}
	}
	port->nqueues = (uint16_t)nshards;
	return 0;
}

int dpdk_port_open(struct dpdk_port *port, unsigned nshards)
{
	memset(port, 0, sizeof(*port));
	int rc = parse_addresses(port);
	if (rc < 0 || (rc = start_eal()) < 0)
		return rc;
	uint16_t pid;
	bool found = false;
	RTE_ETH_FOREACH_DEV(pid) {
		port->port_id = pid;
		found = true;
		break;
	}
	if (!found) {
		log_msg(LOG_WARNING, "DPDK found no port: give one in dpdk-args "
			"(e.g. --vdev=net_af_packet0,iface=veth0)");
		return -ENODEV;
	}
	if ((rc = configure_port(port, nshards)) < 0)
		return rc;
	rc = rte_eth_dev_start(port->port_id);
	if (rc < 0) {
		log_msg(LOG_WARNING, "starting port %u failed: %s", port->port_id, strerror(-rc));
		return rc;
	}
	/* The peer may address frames to any MAC on the segment (see
	 * PLATFORM-NOTES); the stack filters by its own MAC. */
	rte_eth_promiscuous_enable(port->port_id);
	struct rte_ether_addr mac;
	rte_eth_macaddr_get(port->port_id, &mac);
	memcpy(port->mac, mac.addr_bytes, 6);
	struct rte_eth_link link;
	rte_eth_link_get_nowait(port->port_id, &link);
	if (link.link_status != RTE_ETH_LINK_UP) {
		log_msg(LOG_WARNING, "port %u has no link", port->port_id);
		return -ENETDOWN;
	}
	log_msg(LOG_NOTICE, "DPDK port %u: %02x:%02x:%02x:%02x:%02x:%02x, %u queue pair(s)%s, %s",
		port->port_id, port->mac[0], port->mac[1], port->mac[2], port->mac[3], port->mac[4],
		port->mac[5], nshards, port->rss ? " with RSS" : "", CFG(ip));
	log_msg(LOG_NOTICE, "DPDK port %u: IPv4/TCP transmit checksums %s", port->port_id,
		port->tx_csum_offload ? "offloaded to the port"
				      : "computed in software (the port offers no offload for them)");
	return 0;
}

void dpdk_port_program_rss(struct dpdk_port *port, const struct rss_config *rss)
{
	if (!port->rss)
		return;
	struct rte_eth_rss_conf conf = {
		.rss_key = (uint8_t *)(uintptr_t)rss->key, .rss_key_len = RSS_KEY_LEN,
		.rss_hf = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP,
	};
	if (rte_eth_dev_rss_hash_update(port->port_id, &conf) < 0)
		log_msg(LOG_NOTICE, "port %u keeps its own RSS key; misdirected segments are forwarded",
			port->port_id);
	struct rte_eth_dev_info info;
	if (rte_eth_dev_info_get(port->port_id, &info) < 0 || info.reta_size == 0)
		return;
	struct rte_eth_rss_reta_entry64 reta[info.reta_size / RTE_ETH_RETA_GROUP_SIZE + 1];
	memset(reta, 0, sizeof(reta));
	for (unsigned i = 0; i < info.reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			rss->reta[i % RSS_RETA_SIZE];
	}
	if (rte_eth_dev_rss_reta_update(port->port_id, reta, info.reta_size) < 0)
		log_msg(LOG_NOTICE, "port %u keeps its own RSS table; misdirected segments are forwarded",
			port->port_id);
}

void dpdk_port_close(struct dpdk_port *port)
{
	if (port->nqueues) {
		rte_eth_dev_stop(port->port_id);
		rte_eth_dev_close(port->port_id);
	}
	if (eal_started)
		rte_eal_cleanup();
}
