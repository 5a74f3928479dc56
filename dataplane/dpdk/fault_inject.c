#include "fault_inject.h"

#include <string.h>

#include <rte_mbuf.h>

void fault_injector_init(struct fault_injector *fi, const struct fault_plan *plan,
			 unsigned stream, struct rte_mempool *pool)
{
	memset(fi, 0, sizeof(*fi));
	fault_plan_fork(&fi->plan, plan, stream);
	fi->pool = pool;
}

static void corrupt(struct fault_injector *fi, struct rte_mbuf *m)
{
	uint8_t mask;
	size_t at = fault_plan_corrupt_offset(&fi->plan, rte_pktmbuf_data_len(m), &mask);
	rte_pktmbuf_mtod(m, uint8_t *)[at] ^= mask;
	fi->corrupted++;
}

unsigned fault_inject_burst(struct fault_injector *fi, struct rte_mbuf **pkts, unsigned n,
			    uint64_t now_ms)
{
	if (!fi->plan.enabled)
		return n;
	struct rte_mbuf *out[FAULT_BURST_EXTRA(n)];
	unsigned nout = 0;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		unsigned action = fault_plan_next(&fi->plan);
		if (action & FAULT_DROP) {
			rte_pktmbuf_free(m);
			fi->dropped++;
			continue;
		}
		if (action & FAULT_CORRUPT)
			corrupt(fi, m);
		if (action & FAULT_DUPLICATE) {
			struct rte_mbuf *copy = rte_pktmbuf_copy(m, fi->pool, 0, UINT32_MAX);
			if (copy) {
				out[nout++] = copy;
				fi->duplicated++;
			}
		}
		if ((action & FAULT_REORDER) && fi->nheld < FAULT_HOLD_MAX) {
			if (fi->nheld == 0)
				fi->held_since_ms = now_ms;
			fi->held[fi->nheld++] = m;
			fi->reordered++;
			continue;
		}
		out[nout++] = m;
	}
	/* Held frames go out behind frames that came after them. */
	if (fi->nheld && (nout > 0 || now_ms - fi->held_since_ms >= FAULT_HOLD_MS)) {
		memcpy(out + nout, fi->held, fi->nheld * sizeof(*out));
		nout += fi->nheld;
		fi->nheld = 0;
	}
	memcpy(pkts, out, nout * sizeof(*out));
	return nout;
}

void fault_injector_fini(struct fault_injector *fi)
{
	for (unsigned i = 0; i < fi->nheld; i++)
		rte_pktmbuf_free(fi->held[i]);
	fi->nheld = 0;
}
