/* The port's extended statistics, snapshotted by its owner shard and
 * published for INFO dataplane; see port_xstats.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "base/log.h"
#include "resp/buf.h"
#include "port_xstats.h"
#include "shard/shard.h"

void port_xstat_name_sanitise(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i < PORT_XSTAT_NAME_MAX - 1; i++) {
		char c = src[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		dst[i] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
	}
	dst[i] = '\0';
}

int port_xstats_init(struct port_xstats *x, uint16_t port_id)
{
	memset(x, 0, sizeof(*x));
	x->port_id = port_id;
	int n = rte_eth_xstats_get_names(port_id, NULL, 0);
	if (n <= 0)
		return 0;
	struct rte_eth_xstat_name *raw = calloc((size_t)n, sizeof(*raw));
	x->names = calloc((size_t)n, sizeof(*x->names));
	x->scratch = calloc((size_t)n, sizeof(*x->scratch));
	x->values = calloc((size_t)n, sizeof(*x->values));
	if (!raw || !x->names || !x->scratch || !x->values) {
		free(raw);
		port_xstats_fini(x);
		return -ENOMEM;
	}
	if (rte_eth_xstats_get_names(port_id, raw, (unsigned)n) != n) {
		log_msg(LOG_NOTICE, "port %u: xstats names changed while read; INFO shows none", port_id);
		free(raw);
		return 0;
	}
	for (int i = 0; i < n; i++)
		port_xstat_name_sanitise(x->names[i], raw[i].name);
	free(raw);
	x->n = (unsigned)n;
	return 0;
}

void port_xstats_fini(struct port_xstats *x)
{
	free(x->names);
	free(x->scratch);
	free((void *)x->values);
	x->names = NULL;
	x->scratch = NULL;
	x->values = NULL;
	x->n = 0;
}

void port_xstats_publish(struct port_xstats *x, uint64_t now_ms)
{
	if (x->n == 0 || now_ms - x->published_ms < PORT_XSTATS_PUBLISH_MS)
		return;
	x->published_ms = now_ms;
	int got = rte_eth_xstats_get(x->port_id, x->scratch, x->n);
	/* More than n means the list grew since set-up: keep the last
	 * snapshot rather than allocate here. */
	if (got < 0 || (unsigned)got > x->n) {
		x->read_failures++;
		return;
	}
	for (int i = 0; i < got; i++) {
		if (x->scratch[i].id < x->n)
			STAT_SET(x->values[x->scratch[i].id], x->scratch[i].value);
	}
}

void port_xstats_info(const struct port_xstats *x, struct buf *out)
{
	char line[PORT_XSTAT_NAME_MAX + 32];

	for (unsigned i = 0; i < x->n; i++) {
		int len = snprintf(line, sizeof(line), "port_%s:%llu\r\n", x->names[i],
				   (unsigned long long)STAT_GET(x->values[i]));
		buf_append(out, line, (size_t)len);
	}
}
