/* A seeded plan of network faults, for testing the stack without netem:
 * for each frame it says whether to drop, duplicate, hold back (reorder)
 * or corrupt it. Pure decisions over a PRNG, so a given seed replays the
 * same faults; dataplane/dpdk/ applies them to mbufs.
 *
 * Spec (the dpdk-fault-inject option): "loss=5,reorder=10,dup=1,corrupt=0.5,seed=N",
 * percentages per direction, any subset, in any order.
 */
#ifndef TESSERA_FAULT_PLAN_H
#define TESSERA_FAULT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fault_action {
	FAULT_NONE = 0,
	FAULT_DROP = 1 << 0,
	FAULT_DUPLICATE = 1 << 1,
	FAULT_REORDER = 1 << 2,   /* hold back behind a few later frames */
	FAULT_CORRUPT = 1 << 3,   /* flip one byte */
};

struct fault_plan {
	double loss, reorder, dup, corrupt;  /* percent */
	uint64_t seed;
	uint64_t rng;
	bool enabled;
};

/* Parse a spec; returns 0, or -EINVAL with the reason in err. */
int fault_plan_parse(struct fault_plan *fp, const char *spec, char *err, size_t errlen);
/* A copy of fp for one stream (shard, direction), with its own sequence. */
void fault_plan_fork(struct fault_plan *out, const struct fault_plan *fp, unsigned stream);
/* The faults for the next frame (a set of enum fault_action bits). */
unsigned fault_plan_next(struct fault_plan *fp);
/* Where to corrupt a frame of len bytes, and the XOR mask (never 0). */
size_t fault_plan_corrupt_offset(struct fault_plan *fp, size_t len, uint8_t *mask);

#endif
