/* ARP: the neighbour cache and RFC 826 packet reception; see arp.h. */
#include <errno.h>
#include <string.h>

#include "arp.h"
#include "ipv4.h"
#include "net_stack.h"
#include "wire_format.h"

#define ARP_MASK (ARP_CACHE_SLOTS - 1)
_Static_assert(ARP_CACHE_MAX < ARP_CACHE_SLOTS, "a probe must always meet an empty slot");

/* ---- the cache ------------------------------------------------------------ */

/* Fibonacci hashing: the top bits of ip * 2^32/phi. */
static unsigned home_slot(uint32_t ip)
{
	return (uint32_t)(ip * 2654435769u) >> (32 - ARP_CACHE_BITS);
}

/* Milliseconds from `then` to now, 0 if `then` is later: an address
 * another shard learned carries that shard's clock, which may run a little
 * ahead of ours. */
static uint64_t since(uint64_t then, uint64_t now_ms)
{
	return now_ms > then ? now_ms - then : 0;
}

static bool expired(const struct arp_entry *e, uint64_t now_ms)
{
	uint64_t ttl = e->state == ARP_REACHABLE ? ARP_TTL_MS : ARP_INCOMPLETE_TTL_MS;

	return since(e->updated_ms, now_ms) >= ttl;
}

/* The slot holding ip, or -1. Stops at the first empty slot: removal keeps
 * every probe run free of holes. */
static int find(const struct arp_cache *c, uint32_t ip)
{
	unsigned i = home_slot(ip);

	for (unsigned n = 0; n < ARP_CACHE_SLOTS; n++, i = (i + 1) & ARP_MASK) {
		if (c->e[i].state == ARP_EMPTY)
			return -1;
		if (c->e[i].ip == ip)
			return (int)i;
	}
	return -1;
}

/* Empty slot i and close the gap (Knuth 6.4 algorithm R): walk the run
 * after i; an entry at j may move back into the hole unless its home slot
 * lies cyclically in (hole, j], where a lookup would then no longer reach
 * it. Each move leaves a new hole at j. Entries only move backwards within
 * their run, which is what lets arp_expire() sweep while removing. */
static void remove_at(struct arp_cache *c, unsigned i)
{
	unsigned j = i;

	for (;;) {
		c->e[i].state = ARP_EMPTY;
		for (;;) {
			j = (j + 1) & ARP_MASK;
			if (c->e[j].state == ARP_EMPTY) {
				c->count--;
				return;
			}
			unsigned home = home_slot(c->e[j].ip);

			if (((j - home) & ARP_MASK) >= ((j - i) & ARP_MASK))
				break;
		}
		c->e[i] = c->e[j];
		i = j;
	}
}

void arp_cache_init(struct arp_cache *c)
{
	memset(c, 0, sizeof(*c));
}

unsigned arp_expire(struct arp_cache *c, uint64_t now_ms)
{
	unsigned removed = 0;

	/* remove_at() may pull a later entry into slot i: look at i again. */
	for (unsigned i = 0; i < ARP_CACHE_SLOTS && c->count; i++) {
		while (c->e[i].state != ARP_EMPTY && expired(&c->e[i], now_ms)) {
			remove_at(c, i);
			removed++;
		}
	}
	return removed;
}

/* Make room for one more entry: expired ones first, else the entry
 * confirmed longest ago (INCOMPLETE ones count from their creation). */
static void make_room(struct arp_cache *c, uint64_t now_ms)
{
	unsigned oldest = 0;
	uint64_t oldest_age = 0;

	if (c->count < ARP_CACHE_MAX || arp_expire(c, now_ms))
		return;
	for (unsigned i = 0; i < ARP_CACHE_SLOTS; i++) {
		if (c->e[i].state != ARP_EMPTY && since(c->e[i].updated_ms, now_ms) >= oldest_age) {
			oldest = i;
			oldest_age = since(c->e[i].updated_ms, now_ms);
		}
	}
	remove_at(c, oldest);
}

/* A new entry for ip, which must not be in the cache. */
static struct arp_entry *insert(struct arp_cache *c, uint32_t ip, uint64_t now_ms)
{
	unsigned i;

	make_room(c, now_ms);
	i = home_slot(ip);
	while (c->e[i].state != ARP_EMPTY)
		i = (i + 1) & ARP_MASK;
	c->count++;
	c->e[i] = (struct arp_entry){ .ip = ip, .state = ARP_INCOMPLETE, .updated_ms = now_ms };
	return &c->e[i];
}

/* The entry for ip if present and unexpired, else NULL. An expired one is
 * removed here, so that the caller may insert. */
static struct arp_entry *find_live(struct arp_cache *c, uint32_t ip, uint64_t now_ms)
{
	int i = find(c, ip);

	if (i < 0)
		return NULL;
	if (expired(&c->e[i], now_ms)) {
		remove_at(c, (unsigned)i);
		return NULL;
	}
	return &c->e[i];
}

static void confirm(struct arp_entry *e, const uint8_t *mac, uint64_t now_ms)
{
	memcpy(e->mac, mac, ETH_ALEN);
	e->state = ARP_REACHABLE;
	e->updated_ms = now_ms;
}

const uint8_t *arp_lookup(const struct arp_cache *c, uint32_t ip, uint64_t now_ms)
{
	int i = find(c, ip);

	if (i < 0 || c->e[i].state != ARP_REACHABLE || expired(&c->e[i], now_ms))
		return NULL;
	return c->e[i].mac;
}

int arp_learn(struct arp_cache *c, uint32_t ip, const uint8_t *mac, uint64_t now_ms)
{
	struct arp_entry *e;

	if (ip == 0 || eth_is_group(mac))
		return -EINVAL;
	e = find_live(c, ip, now_ms);
	if (!e)
		e = insert(c, ip, now_ms);
	confirm(e, mac, now_ms);
	return 0;
}

/* RFC 826's merge step: update the sender's entry if there is one. */
static bool merge(struct arp_cache *c, uint32_t ip, const uint8_t *mac, uint64_t now_ms)
{
	struct arp_entry *e = find_live(c, ip, now_ms);

	if (!e)
		return false;
	confirm(e, mac, now_ms);
	return true;
}

/* ---- packets ---------------------------------------------------------------- */

/* One ARP frame (Ethernet + 28 bytes), field by field. */
static int send_arp(struct net_stack *ns, const uint8_t *eth_dst, uint16_t oper,
		    const uint8_t *tha, uint32_t tpa)
{
	const size_t len = ETH_HDR_LEN + ARP_LEN;
	void *handle;
	uint8_t *f = net_tx_alloc(ns, len, &handle);
	struct arp_hdr *a;

	if (!f)
		return -ENOBUFS;
	eth_hdr_fill((struct eth_hdr *)f, eth_dst, ns->cfg.mac, ETH_TYPE_ARP);
	a = (struct arp_hdr *)(f + ETH_HDR_LEN);
	be16_put(a->htype, ARP_HTYPE_ETHERNET);
	be16_put(a->ptype, ETH_TYPE_IPV4);
	a->hlen = ETH_ALEN;
	a->plen = 4;
	be16_put(a->oper, oper);
	memcpy(a->sha, ns->cfg.mac, ETH_ALEN);
	ip_addr_put(a->spa, ns->cfg.ip);
	memcpy(a->tha, tha, ETH_ALEN);
	ip_addr_put(a->tpa, tpa);
	net_tx_send(ns, handle, len);
	return 0;
}

/* To eth_dst: the broadcast address to resolve, the cached MAC to refresh
 * (RFC 1122 2.3.2.1 suggests unicast polling for that). */
static void send_request(struct net_stack *ns, struct arp_entry *e, const uint8_t *eth_dst)
{
	static const uint8_t unknown[ETH_ALEN];

	e->requested_ms = ns->now_ms;
	if (send_arp(ns, eth_dst, ARP_OP_REQUEST, unknown, e->ip) == 0)
		ns->stats.arp_requests_sent++;
}

static void learned(struct net_stack *ns, uint32_t ip, const uint8_t *mac)
{
	if (ns->arp_learned)
		ns->arp_learned(ns->tx_ctx, ip, mac);
}

/* RFC 826 "Packet Reception", for the one hardware and protocol type we
 * speak. */
void arp_input(struct net_stack *ns, const uint8_t *pkt, size_t len)
{
	const struct arp_hdr *a = (const struct arp_hdr *)pkt;
	uint32_t spa, tpa;
	uint16_t oper;
	bool for_us, known = false;

	if (len < ARP_LEN || be16_get(a->htype) != ARP_HTYPE_ETHERNET ||
	    be16_get(a->ptype) != ETH_TYPE_IPV4 || a->hlen != ETH_ALEN || a->plen != 4)
		goto drop;
	oper = be16_get(a->oper);
	if (oper != ARP_OP_REQUEST && oper != ARP_OP_REPLY)
		goto drop;
	spa = ip_addr_get(a->spa);
	tpa = ip_addr_get(a->tpa);
	/* Someone else claiming our address (a conflict, RFC 5227 2.4) or a
	 * sender that could never be a neighbour: believe nothing. */
	if (eth_is_group(a->sha) || spa == ns->cfg.ip ||
	    (spa != 0 && !ipv4_is_unicast_peer(&ns->cfg, spa)))
		goto drop;
	for_us = tpa == ns->cfg.ip;

	/* "If the pair <protocol type, sender protocol address> is already
	 * in my translation table, update the sender hardware address field
	 * of the entry with the new information in the packet and set
	 * Merge_flag to true." */
	if (spa != 0)
		known = merge(&ns->arp, spa, a->sha, ns->now_ms);
	if (!for_us) {
		if (!known)
			goto drop;
		learned(ns, spa, a->sha);
		return;
	}
	/* "?Am I the target protocol address? Yes: If Merge_flag is false, add
	 * the triplet <protocol type, sender protocol address, sender hardware
	 * address> to the translation table." A probe's sender (0.0.0.0) has
	 * no address yet and is not added. */
	if (spa != 0) {
		if (!known)
			arp_learn(&ns->arp, spa, a->sha, ns->now_ms);
		learned(ns, spa, a->sha);
	}
	/* "?Is the opcode ares_op$REQUEST? Yes: swap hardware and protocol
	 * fields, putting the local hardware and protocol addresses in the
	 * sender fields. Set the ar$op field to ares_op$REPLY. Send the
	 * packet to the (new) target hardware address." */
	if (oper == ARP_OP_REQUEST && send_arp(ns, a->sha, ARP_OP_REPLY, a->sha, spa) == 0)
		ns->stats.arp_requests_answered++;
	return;
drop:
	ns->stats.rx_dropped++;
}

const uint8_t *arp_resolve(struct net_stack *ns, uint32_t ip)
{
	struct arp_entry *e;
	uint64_t now = ns->now_ms;

	if (ip == 0)
		return NULL;
	e = find_live(&ns->arp, ip, now);
	if (!e) {
		e = insert(&ns->arp, ip, now);
		send_request(ns, e, eth_broadcast);
		return NULL;
	}
	if (e->state == ARP_REACHABLE) {
		/* Ask again near the end of the entry's life, once per retry
		 * interval, without stopping use of the MAC meanwhile. */
		if (since(e->updated_ms, now) >= ARP_TTL_MS - ARP_REFRESH_MS &&
		    (e->requested_ms < e->updated_ms || since(e->requested_ms, now) >= ARP_RETRY_MS))
			send_request(ns, e, e->mac);
		return e->mac;
	}
	if (since(e->requested_ms, now) >= ARP_RETRY_MS)
		send_request(ns, e, eth_broadcast);
	return NULL;
}

int arp_announce(struct net_stack *ns)
{
	static const uint8_t unknown[ETH_ALEN];
	int rc = send_arp(ns, eth_broadcast, ARP_OP_REQUEST, unknown, ns->cfg.ip);

	if (rc == 0)
		ns->stats.arp_requests_sent++;
	return rc;
}
