/* Applies a fault plan (dataplane/net/fault_plan.h) to bursts of mbufs, on
 * receive and on transmit, when the dpdk-fault-inject option is given. Off,
 * it costs one branch per burst. */
#ifndef TESSERA_FAULT_INJECT_H
#define TESSERA_FAULT_INJECT_H

#include <stdint.h>

#include "fault_plan.h"

struct rte_mbuf;
struct rte_mempool;

#define FAULT_HOLD_MAX 8
/* A held-back frame goes out at the latest this long after it was held,
 * so a reordered frame never waits for traffic that does not come. */
#define FAULT_HOLD_MS 2

struct fault_injector {
	struct fault_plan plan;
	struct rte_mempool *pool;     /* for duplicates */
	struct rte_mbuf *held[FAULT_HOLD_MAX];
	unsigned nheld;
	uint64_t held_since_ms;
	uint64_t dropped, duplicated, reordered, corrupted;
};

void fault_injector_init(struct fault_injector *fi, const struct fault_plan *plan,
			 unsigned stream, struct rte_mempool *pool);
/* Rewrite pkts[0..n) in place: drops are freed, duplicates and released
 * frames added (pkts must have room for FAULT_BURST_EXTRA(n) entries).
 * Returns the new count. Takes and gives ownership of the mbufs in pkts. */
#define FAULT_BURST_EXTRA(n) (2 * (n) + FAULT_HOLD_MAX)
unsigned fault_inject_burst(struct fault_injector *fi, struct rte_mbuf **pkts, unsigned n,
			    uint64_t now_ms);
/* Free held frames (shutdown). */
void fault_injector_fini(struct fault_injector *fi);

#endif
