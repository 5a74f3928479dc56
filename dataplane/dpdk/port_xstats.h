/* The port's extended statistics (rte_eth_xstats_*) for INFO dataplane, as
 * `port_<name>:<value>` lines.
 *
 * rte_eth_xstats_get is not guaranteed safe against another thread's calls
 * into the same port on every PMD, so only the port's owner (shard 0) reads
 * it, every PORT_XSTATS_PUBLISH_MS, into relaxed atomics that INFO (any
 * shard's thread) reads. Names are fetched and sanitised once at set-up,
 * before the shards start, and never change after; so is every array here:
 * the publish path allocates nothing.
 */
#ifndef TESSERA_PORT_XSTATS_H
#define TESSERA_PORT_XSTATS_H

#include <stdint.h>

struct buf;
struct rte_eth_xstat;

#define PORT_XSTATS_PUBLISH_MS 100
/* Longer sanitised names are cut here (DPDK's own limit is 64). */
#define PORT_XSTAT_NAME_MAX 64

struct port_xstats {
	uint16_t port_id;
	unsigned n;                            /* 0: the port has none, or set-up failed */
	char (*names)[PORT_XSTAT_NAME_MAX];    /* [n], sanitised to [a-z0-9_] */
	struct rte_eth_xstat *scratch;         /* [n], the owner's */
	_Atomic uint64_t *values;              /* [n], published */
	uint64_t published_ms;
	uint64_t read_failures;                /* the port answered with an error or a new count */
};

/* Fetch the names for a started port. Returns 0, or -ENOMEM; a port
 * without xstats is not an error (n stays 0). */
int port_xstats_init(struct port_xstats *x, uint16_t port_id);
void port_xstats_fini(struct port_xstats *x);

/* The owner's thread: snapshot the values when PORT_XSTATS_PUBLISH_MS have
 * passed since the last snapshot. */
void port_xstats_publish(struct port_xstats *x, uint64_t now_ms);

/* Any thread: append one `port_<name>:<value>\r\n` line per statistic. */
void port_xstats_info(const struct port_xstats *x, struct buf *out);

/* "rx_q0_good-packets" -> "rx_q0_good_packets": lower case, anything
 * outside [a-z0-9] becomes '_'. dst holds PORT_XSTAT_NAME_MAX bytes. */
void port_xstat_name_sanitise(char *dst, const char *src);

#endif
