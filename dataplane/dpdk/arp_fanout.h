/* ARP fan-out: "an ARP request that lands on one core serves all".
 *
 * Each shard has its own neighbour cache (dataplane/net/arp.h), and a
 * virtual port spreads frames over queues by the kernel's hash, not by who
 * asked: the reply to shard 1's request may land on shard 0. So every
 * mapping a shard learns from an ARP packet (the net_stack `arp_learned`
 * hook) is staged here, pushed to every other shard once per loop
 * iteration, and installed there with arp_learn() on that shard's thread.
 *
 * Transport: one SPSC ring per ordered pair of shards (engine/shard/spsc_ring.h),
 * the same kind that forwards TCP segments, but carrying the mapping
 * itself, encoded in two ring slots (ip + mac are 10 bytes; a slot holds 8).
 * Nothing is allocated after set-up, nothing locks, and nothing here needs
 * DPDK, so tests/unit/test_arp_fanout.c drives it without a port.
 *
 * Why two slots stay a pair: capacity is even and every burst is an even
 * number of slots, so the fill level is always even; enqueue and dequeue
 * take min(request, room or fill), which is then even too. A note is never
 * split across bursts.
 *
 * Loss: a full ring drops the rest of the batch for that shard (counted in
 * ring_full). That shard loses nothing but a shortcut: it resolves the
 * address itself, as it would without fan-out.
 *
 * Thread rules: arp_fanout_note, _flush and _drain on the owning shard's
 * thread only; _create_all and _free_all with no shard running.
 */
#ifndef TESSERA_ARP_FANOUT_H
#define TESSERA_ARP_FANOUT_H

#include <stdint.h>

struct arp_cache;
struct spsc_ring;

/* Mappings staged per iteration; a full batch is flushed at once. */
#define ARP_FANOUT_BATCH 16
/* Slots per ring: 128 mappings in flight per ordered pair. */
#define ARP_FANOUT_RING_SLOTS 256

struct arp_note {
	uint32_t ip;                 /* network order */
	uint8_t mac[6];
};

struct arp_fanout {
	unsigned self, nshards;
	struct spsc_ring **out;      /* [j]: self -> j; NULL for j == self */
	struct spsc_ring **in;       /* [j]: j -> self; NULL for j == self */
	struct arp_note batch[ARP_FANOUT_BATCH];
	unsigned nbatch;
	uint64_t sent;               /* mappings put on a ring (one per peer) */
	uint64_t ring_full;          /* mappings a full ring refused */
	uint64_t learned_from_peers; /* mappings installed from other shards */
};

/* Set up f[0..nshards-1], one per shard, and a ring for every ordered
 * pair. Returns 0 or -ENOMEM (then arp_fanout_free_all() cleans up). */
int arp_fanout_create_all(struct arp_fanout *f, unsigned nshards);
void arp_fanout_free_all(struct arp_fanout *f, unsigned nshards);

/* Stage one mapping this shard learned (ip network order, mac 6 bytes).
 * The same address twice in one batch is sent once, with the later MAC. */
void arp_fanout_note(struct arp_fanout *f, uint32_t ip, const uint8_t *mac);

/* Push the staged mappings to every other shard: one burst per ring. */
void arp_fanout_flush(struct arp_fanout *f);

/* Install into this shard's cache what the other shards sent; returns how
 * many mappings were installed. */
unsigned arp_fanout_drain(struct arp_fanout *f, struct arp_cache *c, uint64_t now_ms);

#endif
