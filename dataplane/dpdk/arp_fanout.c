/* ARP fan-out between shards over per-pair SPSC rings; see arp_fanout.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "arp_fanout.h"
#include "shard/spsc_ring.h"

#define SLOTS_PER_NOTE 2

_Static_assert(sizeof(void *) == 8, "a note is ip + mac in two 8-byte ring slots");
_Static_assert(ARP_FANOUT_RING_SLOTS % SLOTS_PER_NOTE == 0, "notes must never straddle the wrap");

/* ip (4 bytes) and mac (6) laid out in 16 bytes, copied into two slots: the
 * ring never dereferences what it carries, so a slot may hold bytes. */
static void encode(const struct arp_note *n, void **slots)
{
	uint8_t bytes[SLOTS_PER_NOTE * sizeof(void *)] = { 0 };

	memcpy(bytes, &n->ip, 4);
	memcpy(bytes + 4, n->mac, 6);
	memcpy(slots, bytes, sizeof(bytes));
}

static void decode(void *const *slots, struct arp_note *n)
{
	uint8_t bytes[SLOTS_PER_NOTE * sizeof(void *)];

	memcpy(bytes, slots, sizeof(bytes));
	memcpy(&n->ip, bytes, 4);
	memcpy(n->mac, bytes + 4, 6);
}

int arp_fanout_create_all(struct arp_fanout *f, unsigned nshards)
{
	memset(f, 0, nshards * sizeof(*f));
	for (unsigned i = 0; i < nshards; i++) {
		f[i].self = i;
		f[i].nshards = nshards;
		f[i].out = calloc(nshards, sizeof(*f[i].out));
		f[i].in = calloc(nshards, sizeof(*f[i].in));
		if (!f[i].out || !f[i].in)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < nshards; i++) {
		for (unsigned j = 0; j < nshards; j++) {
			if (i == j)
				continue;
			struct spsc_ring *r = spsc_ring_create(ARP_FANOUT_RING_SLOTS);
			if (!r)
				return -ENOMEM;
			f[i].out[j] = r;
			f[j].in[i] = r;
		}
	}
	return 0;
}

void arp_fanout_free_all(struct arp_fanout *f, unsigned nshards)
{
	for (unsigned i = 0; i < nshards; i++) {
		/* Each ring is freed once, through its producer; the arrays are
		 * as long as the set they were created for. */
		for (unsigned j = 0; f[i].out && j < f[i].nshards; j++)
			spsc_ring_free(f[i].out[j]);
		free(f[i].out);
		free(f[i].in);
		f[i].out = f[i].in = NULL;
	}
}

void arp_fanout_note(struct arp_fanout *f, uint32_t ip, const uint8_t *mac)
{
	unsigned i;

	if (f->nshards < 2)
		return;
	for (i = 0; i < f->nbatch && f->batch[i].ip != ip; i++)
		;
	if (i == f->nbatch) {
		if (f->nbatch == ARP_FANOUT_BATCH)
			arp_fanout_flush(f);
		i = f->nbatch++;
		f->batch[i].ip = ip;
	}
	memcpy(f->batch[i].mac, mac, 6);
}

void arp_fanout_flush(struct arp_fanout *f)
{
	void *slots[ARP_FANOUT_BATCH * SLOTS_PER_NOTE];
	unsigned nslots = f->nbatch * SLOTS_PER_NOTE;

	if (f->nbatch == 0)
		return;
	for (unsigned i = 0; i < f->nbatch; i++)
		encode(&f->batch[i], &slots[i * SLOTS_PER_NOTE]);
	for (unsigned j = 0; j < f->nshards; j++) {
		if (!f->out[j])
			continue;
		unsigned taken = spsc_ring_enqueue_burst(f->out[j], slots, nslots) / SLOTS_PER_NOTE;

		f->sent += taken;
		f->ring_full += f->nbatch - taken;
	}
	f->nbatch = 0;
}

/* Install up to one batch from ring r; returns how many were installed. */
static unsigned drain_one(struct arp_fanout *f, struct spsc_ring *r, struct arp_cache *c,
			  uint64_t now_ms)
{
	void *slots[ARP_FANOUT_BATCH * SLOTS_PER_NOTE];
	unsigned n = spsc_ring_dequeue_burst(r, slots, ARP_FANOUT_BATCH * SLOTS_PER_NOTE);
	unsigned installed = 0;

	for (unsigned i = 0; i + 1 < n; i += SLOTS_PER_NOTE) {
		struct arp_note note;

		decode(&slots[i], &note);
		/* arp_learn, not arp_input: no hook fires, so nothing echoes back. */
		if (arp_learn(c, note.ip, note.mac, now_ms) == 0)
			installed++;
	}
	f->learned_from_peers += installed;
	return installed;
}

unsigned arp_fanout_drain(struct arp_fanout *f, struct arp_cache *c, uint64_t now_ms)
{
	unsigned installed = 0;

	for (unsigned j = 0; j < f->nshards; j++) {
		if (f->in[j])
			installed += drain_one(f, f->in[j], c, now_ms);
	}
	return installed;
}
