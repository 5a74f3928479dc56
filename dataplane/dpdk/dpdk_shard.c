/* The DPDK backend: each shard polls its own RX queue, runs its frames
 * through its own network stack (dataplane/net/), and sends what the stack
 * produced with one rte_eth_tx_burst per loop iteration.
 *
 * The loop, like l3fwd's: clock, receive a burst, stack input, shard rings,
 * stack timers, transmit, engine periodic work, then — only when nothing
 * happened for a while and dpdk-idle-sleep is on — a short sleep that grows
 * up to IDLE_SLEEP_MAX_US, so an idle appliance does not burn its cores.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "../backend.h"
#include "../shard_startup.h"
#include "../tcp_clients.h"
#include "arp_fanout.h"
#include "base/config.h"
#include "base/log.h"
#include "dpdk_port.h"
#include "fault_inject.h"
#include "loop/client_input.h"
#include "loop/shard_loop.h"
#include "net_stack.h"
#include "port_xstats.h"
#include "request/client.h"
#include "rss.h"
#include "shard/shard.h"
#include "shard/shard_msg.h"
#include "shard/spsc_ring.h"
#include "tcp.h"
#include "wire_format.h"

#define RX_BURST 32
#define TX_BATCH 64
#define IDLE_SPINS_BEFORE_SLEEP 1024
#define IDLE_SLEEP_MAX_US 1000

#define FORWARD_RING_SIZE 1024
#define RX_SCRATCH_BYTES 65536        /* the largest frame a PMD may coalesce */

/* Figures other threads read for INFO dataplane: the owner publishes them
 * every PUBLISH_MS from its plain counters. */
struct dataplane_figures {
	_Atomic uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, rx_dropped, tx_dropped;
	_Atomic uint64_t bad_checksum, retransmits, out_of_order, connections, time_wait;
	_Atomic uint64_t forwarded_out, forwarded_in, forward_ring_full;
	_Atomic uint64_t faults_injected;
	_Atomic uint64_t syn_received, syn_cookies_sent, syn_cookies_accepted;
	_Atomic uint64_t keepalive_probes, window_probes, ooo_dropped;
	/* Loss recovery and RFC 5961/7323 checks, on their own INFO line. */
	_Atomic uint64_t fast_retransmits, sack_retransmits, rto_timeouts, paws_rejected;
	_Atomic uint64_t delayed_acks, challenge_acks, challenge_acks_suppressed;
	_Atomic uint64_t arp_entries, arp_learned_from_peers, arp_fanout_ring_full;
};
#define PUBLISH_MS 100

struct dpdk_shard {
	struct shard *sh;
	struct dpdk_port *port;
	uint16_t queue;
	struct net_stack net;
	struct rte_mbuf *tx[TX_BATCH];
	unsigned ntx;
	uint64_t tx_dropped;          /* the queue was full */
	/* Segments of flows another shard owns (see rss.h), by destination. */
	struct spsc_ring **forward_out;
	struct spsc_ring **forward_in;
	uint64_t forwarded_out, forwarded_in, forward_ring_full;
	/* Addresses learned here go to the other shards; theirs come in. */
	struct arp_fanout *arp;
	uint64_t published_ms;
	struct dataplane_figures figures;
	struct fault_injector rx_faults, tx_faults;   /* dpdk-fault-inject */
	uint8_t rx_scratch[RX_SCRATCH_BYTES];          /* a chained frame, gathered */
};

struct dpdk_state {
	struct dpdk_port port;
	struct rss_config rss;
	struct fault_plan faults;
	struct dpdk_shard *shards;
	struct arp_fanout *arp;       /* [nshards] */
	struct port_xstats xstats;    /* read by shard 0 only */
};

/* ---- transmit ----------------------------------------------------------- */

static void flush_tx(struct dpdk_shard *ds)
{
	struct rte_mbuf *burst[FAULT_BURST_EXTRA(TX_BATCH)];
	memcpy(burst, ds->tx, ds->ntx * sizeof(*burst));
	unsigned n = fault_inject_burst(&ds->tx_faults, burst, ds->ntx, (uint64_t)ds->sh->now_ms);
	ds->ntx = 0;
	if (n == 0)
		return;
	uint16_t sent = rte_eth_tx_burst(ds->port->port_id, ds->queue, burst, (uint16_t)n);
	/* rte_eth_tx_burst took `sent`; the rest are ours to free. TCP will
	 * retransmit; ARP and ICMP replies are best effort, as on a wire. */
	for (unsigned i = sent; i < n; i++)
		rte_pktmbuf_free(burst[i]);
	ds->tx_dropped += n - sent;
}

static uint8_t *tx_alloc(void *ctx, size_t len, void **handle)
{
	struct dpdk_shard *ds = ctx;
	struct rte_mbuf *m = rte_pktmbuf_alloc(ds->port->pool);
	if (!m)
		return NULL;
	if (len > rte_pktmbuf_tailroom(m)) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	*handle = m;
	return rte_pktmbuf_mtod(m, uint8_t *);
}

/* A TCP segment's checksum field holds the pseudo-header seed (see
 * tcp_output.c); ask the port to finish it. The IPv4 header checksum is
 * always written in software: it is 20 bytes. */
static void mark_tcp_checksum_offload(struct rte_mbuf *m, size_t len)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	if (len < ETH_HDR_LEN + IPV4_HDR_LEN || be16_get(f + 12) != ETH_TYPE_IPV4 ||
	    f[ETH_HDR_LEN + 9] != IP_PROTO_TCP)
		return;
	m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	m->l2_len = ETH_HDR_LEN;
	m->l3_len = IPV4_HDR_LEN;
}

static void tx_send(void *ctx, void *handle, size_t len)
{
	struct dpdk_shard *ds = ctx;
	struct rte_mbuf *m = handle;
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	if (ds->net.cfg.tx_csum_offload)
		mark_tcp_checksum_offload(m, len);
	if (ds->ntx == TX_BATCH)
		flush_tx(ds);
	ds->tx[ds->ntx++] = m;
}

static const struct net_tx_ops tx_ops = { .alloc = tx_alloc, .send = tx_send };

/* ---- the loop ----------------------------------------------------------- */

/* The stack reads a frame in place: a one-segment mbuf (every frame at
 * MTU 1500) is handed over as it is, and RESP is parsed straight from it.
 * A chained mbuf (a PMD that scatters or coalesces) is gathered into the
 * shard's scratch buffer first. */
static void input_and_free(struct dpdk_shard *ds, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *frame = m->nb_segs == 1 ? rte_pktmbuf_mtod(m, const uint8_t *)
			     : len <= sizeof(ds->rx_scratch) ? rte_pktmbuf_read(m, 0, len, ds->rx_scratch)
			     : NULL;
	if (frame)
		net_input(&ds->net, frame, len);
	else
		ds->net.stats.rx_dropped++;
	rte_pktmbuf_free(m);
}

/* A TCP segment belongs to the shard rss_frame_owner() names, whatever
 * queue it came in on; others go to that shard over its ring. The ring
 * takes ownership of the mbuf; a full ring drops it (TCP retransmits). */
static void forward(struct dpdk_shard *ds, unsigned owner, struct rte_mbuf *m)
{
	void *obj = m;
	if (spsc_ring_enqueue_burst(ds->forward_out[owner], &obj, 1) == 1) {
		ds->forwarded_out++;
	} else {
		ds->forward_ring_full++;
		rte_pktmbuf_free(m);
	}
}

static unsigned receive(struct dpdk_state *st, struct dpdk_shard *ds)
{
	struct rte_mbuf *burst[FAULT_BURST_EXTRA(RX_BURST)];
	unsigned n = rte_eth_rx_burst(ds->port->port_id, ds->queue, burst, RX_BURST);
	n = fault_inject_burst(&ds->rx_faults, burst, n, (uint64_t)ds->sh->now_ms);
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = burst[i];
		int owner = ds->port->nqueues > 1
			? rss_frame_owner(&st->rss, rte_pktmbuf_mtod(m, const uint8_t *),
					  rte_pktmbuf_data_len(m))
			: -1;
		if (owner >= 0 && owner != ds->queue)
			forward(ds, (unsigned)owner, m);
		else
			input_and_free(ds, m);
	}
	unsigned total = n;
	for (unsigned j = 0; ds->forward_in && j < ds->port->nqueues; j++) {
		if (!ds->forward_in[j])
			continue;
		void *objs[RX_BURST];
		unsigned k = spsc_ring_dequeue_burst(ds->forward_in[j], objs, RX_BURST);
		for (unsigned i = 0; i < k; i++)
			input_and_free(ds, objs[i]);
		ds->forwarded_in += k;
		total += k;
	}
	return total;
}

/* Copies the stack's counters where INFO, on any shard, reads them. */
static void write_figures(struct dpdk_shard *ds)
{
	const struct net_stats *n = &ds->net.stats;
	const struct tcp_stats *t = &ds->net.tcp.stats;
	struct dataplane_figures *f = &ds->figures;
	STAT_SET(f->rx_packets, n->rx_packets);
	STAT_SET(f->rx_bytes, n->rx_bytes);
	STAT_SET(f->tx_packets, n->tx_packets);
	STAT_SET(f->tx_bytes, n->tx_bytes);
	STAT_SET(f->rx_dropped, n->rx_dropped);
	STAT_SET(f->tx_dropped, ds->tx_dropped + n->tx_alloc_failures);
	STAT_SET(f->bad_checksum, n->rx_bad_checksum);
	STAT_SET(f->retransmits, t->retransmits);
	STAT_SET(f->out_of_order, t->out_of_order);
	/* Open connections: neither half-open (syn_received) nor TIME-WAIT. */
	STAT_SET(f->connections, t->connections_open - t->time_wait - t->syn_received);
	STAT_SET(f->time_wait, t->time_wait);
	STAT_SET(f->forwarded_out, ds->forwarded_out);
	STAT_SET(f->forwarded_in, ds->forwarded_in);
	STAT_SET(f->forward_ring_full, ds->forward_ring_full);
	STAT_SET(f->syn_received, t->syn_received);
	STAT_SET(f->syn_cookies_sent, t->syn_cookies_sent);
	STAT_SET(f->syn_cookies_accepted, t->syn_cookies_accepted);
	STAT_SET(f->keepalive_probes, t->keepalive_probes);
	STAT_SET(f->window_probes, t->window_probes);
	STAT_SET(f->fast_retransmits, t->fast_retransmits);
	STAT_SET(f->sack_retransmits, t->sack_retransmits);
	STAT_SET(f->rto_timeouts, t->rto_timeouts);
	STAT_SET(f->paws_rejected, t->paws_rejected);
	STAT_SET(f->delayed_acks, t->delayed_acks);
	STAT_SET(f->challenge_acks, t->challenge_acks);
	STAT_SET(f->challenge_acks_suppressed, t->challenge_acks_suppressed);
	STAT_SET(f->ooo_dropped, t->ooo_dropped);
	STAT_SET(f->arp_entries, ds->net.arp.count);
	STAT_SET(f->arp_learned_from_peers, ds->arp->learned_from_peers);
	STAT_SET(f->arp_fanout_ring_full, ds->arp->ring_full);
	const struct fault_injector *rx = &ds->rx_faults, *tx = &ds->tx_faults;
	STAT_SET(f->faults_injected, rx->dropped + rx->duplicated + rx->reordered + rx->corrupted +
				     tx->dropped + tx->duplicated + tx->reordered + tx->corrupted);
}

/* INFO dataplane's per-shard lines: "shardN:name=value,..." and the TCP
 * recovery figures on "shardN_tcp:...". Names are INFO's, in order. */
struct figure_field {
	const char *name;
	size_t offset;            /* into struct dataplane_figures */
};
#define FIELD(info_name, member) { info_name, offsetof(struct dataplane_figures, member) }

static const struct figure_field shard_fields[] = {
	FIELD("rx_packets", rx_packets), FIELD("rx_bytes", rx_bytes),
	FIELD("tx_packets", tx_packets), FIELD("tx_bytes", tx_bytes),
	FIELD("rx_dropped", rx_dropped), FIELD("tx_dropped", tx_dropped),
	FIELD("checksum_errors", bad_checksum), FIELD("retransmits", retransmits),
	FIELD("out_of_order", out_of_order), FIELD("out_of_order_dropped", ooo_dropped),
	FIELD("connections", connections),
	FIELD("time_wait", time_wait), FIELD("forwarded_out", forwarded_out),
	FIELD("forwarded_in", forwarded_in), FIELD("forward_ring_full", forward_ring_full),
	FIELD("faults_injected", faults_injected), FIELD("syn_received", syn_received),
	FIELD("syn_cookies_sent", syn_cookies_sent),
	FIELD("syn_cookies_accepted", syn_cookies_accepted),
	FIELD("keepalive_probes", keepalive_probes), FIELD("window_probes", window_probes),
	FIELD("arp_entries", arp_entries),
	FIELD("arp_learned_from_peers", arp_learned_from_peers),
	FIELD("arp_fanout_ring_full", arp_fanout_ring_full),
};

static const struct figure_field tcp_fields[] = {
	FIELD("fast_retransmits", fast_retransmits), FIELD("sack_retransmits", sack_retransmits),
	FIELD("rto_timeouts", rto_timeouts), FIELD("paws_rejected", paws_rejected),
	FIELD("delayed_acks", delayed_acks), FIELD("challenge_acks", challenge_acks),
	FIELD("challenge_acks_suppressed", challenge_acks_suppressed),
};

static void publish_figures(struct dpdk_shard *ds)
{
	if ((uint64_t)ds->sh->now_ms - ds->published_ms < PUBLISH_MS)
		return;
	ds->published_ms = (uint64_t)ds->sh->now_ms;
	write_figures(ds);
}

static void append_figures(struct buf *out, const char *label, const struct dataplane_figures *f,
			   const struct figure_field *fields, size_t nfields)
{
	char item[96];
	buf_append_str(out, label);
	for (size_t i = 0; i < nfields; i++) {
		const _Atomic uint64_t *v = (const _Atomic uint64_t *)((const char *)f + fields[i].offset);
		int n = snprintf(item, sizeof(item), "%s%s=%llu", i ? "," : "", fields[i].name,
				 (unsigned long long)STAT_GET(*v));
		buf_append(out, item, (size_t)(n < (int)sizeof(item) ? n : (int)sizeof(item) - 1));
	}
	buf_append(out, "\r\n", 2);
}

/* engine.dataplane_publish, on shard id's thread. */
static void dpdk_publish(struct engine *eng, unsigned id)
{
	struct dpdk_state *st = eng->dataplane;
	write_figures(&st->shards[id]);
}

static void dpdk_info(struct engine *eng, struct buf *out)
{
	struct dpdk_state *st = eng->dataplane;
	buf_append_str(out, st->port.rss ? "dataplane:dpdk\r\nport_rss:yes\r\n"
					 : "dataplane:dpdk\r\nport_rss:no\r\n");
	for (unsigned i = 0; i < eng->nshards; i++) {
		char label[32];
		const struct dataplane_figures *f = &st->shards[i].figures;
		snprintf(label, sizeof(label), "shard%u:", i);
		append_figures(out, label, f, shard_fields, sizeof(shard_fields) / sizeof(shard_fields[0]));
		snprintf(label, sizeof(label), "shard%u_tcp:", i);
		append_figures(out, label, f, tcp_fields, sizeof(tcp_fields) / sizeof(tcp_fields[0]));
	}
	port_xstats_info(&st->xstats, out);
}

/* The net_stack arp_learned hook (ctx is the shard, as for tx). */
static void arp_learned(void *ctx, uint32_t ip, const uint8_t *mac)
{
	struct dpdk_shard *ds = ctx;
	arp_fanout_note(ds->arp, ip, mac);
}

/* Send what this iteration learned, install what the others did. */
static unsigned exchange_arp(struct dpdk_shard *ds)
{
	arp_fanout_flush(ds->arp);
	return arp_fanout_drain(ds->arp, &ds->net.arp, ds->net.now_ms);
}

static void idle_sleep(unsigned *idle_us)
{
	struct timespec ts = { 0, (long)*idle_us * 1000 };
	nanosleep(&ts, NULL);
	if (*idle_us < IDLE_SLEEP_MAX_US)
		*idle_us *= 2;
}

static void dpdk_run_shard(struct engine *eng, unsigned id)
{
	struct dpdk_state *st = eng->dataplane;
	struct dpdk_shard *ds = &st->shards[id];
	struct shard *sh = ds->sh;
	/* An lcore id gives this thread its mempool cache. */
	if (rte_thread_register() < 0)
		log_msg(LOG_WARNING, "shard %u: rte_thread_register failed; mbuf allocation goes "
			"without a per-core cache", id);
	struct net_config cfg = { .ip = st->port.ip, .netmask = st->port.netmask,
				  .gateway = st->port.gateway,
				  .tx_csum_offload = st->port.tx_csum_offload };
	memcpy(cfg.mac, st->port.mac, 6);
	shard_update_clock(sh);
	if (net_stack_init(&ds->net, &cfg, &tx_ops, ds, (uint64_t)sh->now_ms) < 0 ||
	    tcp_layer_init(&ds->net.tcp, (uint16_t)CFG(port), &tcp_client_upcalls, sh,
			   (uint32_t)shard_rand(sh)) < 0) {
		shard_startup_report(eng, false);
		return;
	}
	ds->net.tcp.keepalive_ms = (uint64_t)CFG(tcp_keepalive) * 1000;
	ds->net.arp_learned = arp_learned;
	shard_thread_begin(sh);
	shard_startup_report(eng, true);
	bool may_sleep = CFG(dpdk_idle_sleep) != 0;
	unsigned idle_spins = 0, idle_us = 1;
	while (!atomic_load_explicit(&eng->shutdown_requested, memory_order_relaxed)) {
		shard_update_clock(sh);
		net_tick(&ds->net, (uint64_t)sh->now_ms);
		unsigned work = receive(st, ds);
		work += exchange_arp(ds);
		work += shard_drain_rings(sh);
		tcp_clients_flush(sh);
		tcp_flush(&ds->net);
		work += ds->ntx;
		flush_tx(ds);
		shard_flush_outbox(sh);
		shard_tick(sh);
		work += shard_background_work(sh); /* a pending slice is work: no idle sleep */
		publish_figures(ds);
		if (id == 0)
			port_xstats_publish(&st->xstats, (uint64_t)sh->now_ms);
		if (work) {
			idle_spins = 0;
			idle_us = 1;
		} else if (may_sleep && ++idle_spins > IDLE_SPINS_BEFORE_SLEEP) {
			idle_sleep(&idle_us);
		}
	}
	flush_tx(ds);
	fault_injector_fini(&ds->rx_faults);
	fault_injector_fini(&ds->tx_faults);
	tcp_layer_fini(&ds->net);
	net_stack_fini(&ds->net);
	rte_thread_unregister();
}

/* ---- the backend -------------------------------------------------------- */

static int dpdk_init(struct engine *eng)
{
	struct dpdk_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	eng->dataplane = st;
	st->shards = calloc(eng->nshards, sizeof(*st->shards));
	if (!st->shards)
		return -ENOMEM;
	char why[256];
	if (fault_plan_parse(&st->faults, CFG(dpdk_fault_inject), why, sizeof(why)) < 0) {
		log_msg(LOG_WARNING, "option 'dpdk-fault-inject': %s", why);
		return -EINVAL;
	}
	int rc = dpdk_port_open(&st->port, eng->nshards);
	if (rc < 0)
		return rc;
	if (st->faults.enabled)
		log_msg(LOG_WARNING, "fault injection on: %s (replay with the same seed)",
			CFG(dpdk_fault_inject));
	if ((rc = port_xstats_init(&st->xstats, st->port.port_id)) < 0)
		return rc;
	st->arp = calloc(eng->nshards, sizeof(*st->arp));
	if (!st->arp || (rc = arp_fanout_create_all(st->arp, eng->nshards)) < 0)
		return st->arp ? rc : -ENOMEM;
	rss_config_default(&st->rss, eng->nshards);
	dpdk_port_program_rss(&st->port, &st->rss);
	for (unsigned i = 0; i < eng->nshards; i++) {
		struct dpdk_shard *ds = &st->shards[i];
		ds->sh = eng->shards[i];
		ds->port = &st->port;
		ds->queue = (uint16_t)i;
		ds->arp = &st->arp[i];
		fault_injector_init(&ds->rx_faults, &st->faults, 2 * i, st->port.pool);
		fault_injector_init(&ds->tx_faults, &st->faults, 2 * i + 1, st->port.pool);
		ds->forward_out = calloc(eng->nshards, sizeof(*ds->forward_out));
		ds->forward_in = calloc(eng->nshards, sizeof(*ds->forward_in));
		if (!ds->forward_out || !ds->forward_in)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < eng->nshards; i++) {
		for (unsigned j = 0; j < eng->nshards; j++) {
			if (i == j)
				continue;
			struct spsc_ring *r = spsc_ring_create(FORWARD_RING_SIZE);
			if (!r)
				return -ENOMEM;
			st->shards[i].forward_out[j] = r;
			st->shards[j].forward_in[i] = r;
		}
	}
	eng->dataplane_info = dpdk_info;
	eng->dataplane_publish = dpdk_publish;
	return 0;
}

/* Shards poll; a sleeping one wakes within IDLE_SLEEP_MAX_US by itself. */
static void dpdk_wake(struct engine *eng, unsigned id)
{
	(void)eng;
	(void)id;
}

static void dpdk_fini(struct engine *eng)
{
	struct dpdk_state *st = eng->dataplane;
	if (!st)
		return;
	for (unsigned i = 0; st->shards && i < eng->nshards; i++) {
		struct dpdk_shard *ds = &st->shards[i];
		for (unsigned j = 0; ds->forward_out && j < eng->nshards; j++) {
			/* Segments still in flight between shards: free them. */
			void *m;
			while (ds->forward_out[j] && spsc_ring_dequeue_burst(ds->forward_out[j], &m, 1))
				rte_pktmbuf_free(m);
			spsc_ring_free(ds->forward_out[j]);
		}
		free(ds->forward_out);
		free(ds->forward_in);
	}
	if (st->arp)
		arp_fanout_free_all(st->arp, eng->nshards);
	free(st->arp);
	port_xstats_fini(&st->xstats);
	dpdk_port_close(&st->port);
	free(st->shards);
	free(st);
	eng->dataplane = NULL;
}

const struct dataplane_backend dpdk_backend = {
	.name = "dpdk",
	.init = dpdk_init,
	.run_shard = dpdk_run_shard,
	.wake = dpdk_wake,
	.fini = dpdk_fini,
};
