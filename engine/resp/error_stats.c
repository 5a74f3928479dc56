#include "resp/error_stats.h"

#include <string.h>

static __thread struct error_stats *bound;

void error_stats_bind(struct error_stats *s)
{
	bound = s;
}

static size_t code_length(const char *msg, size_t len)
{
	const char *space = memchr(msg, ' ', len);
	return space ? (size_t)(space - msg) : len;
}

void error_stats_count(const char *msg, size_t len)
{
	struct error_stats *s = bound;
	if (!s)
		return;
	atomic_store_explicit(&s->total, atomic_load_explicit(&s->total, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	size_t n = code_length(msg, len);
	if (n == 0 || n >= ERROR_CODE_MAX)
		return;
	unsigned ncodes = atomic_load_explicit(&s->ncodes, memory_order_relaxed);
	for (unsigned i = 0; i < ncodes; i++) {
		if (strlen(s->codes[i].code) == n && memcmp(s->codes[i].code, msg, n) == 0) {
			atomic_store_explicit(&s->codes[i].count,
					      atomic_load_explicit(&s->codes[i].count, memory_order_relaxed) + 1,
					      memory_order_relaxed);
			return;
		}
	}
	if (ncodes == ERROR_STATS_CODES)
		return;
	memcpy(s->codes[ncodes].code, msg, n);
	s->codes[ncodes].code[n] = '\0';
	atomic_store_explicit(&s->codes[ncodes].count, 1, memory_order_relaxed);
	/* Readers on other threads see the code before they see the entry. */
	atomic_store_explicit(&s->ncodes, ncodes + 1, memory_order_release);
}

void error_stats_reset(struct error_stats *s)
{
	atomic_store_explicit(&s->ncodes, 0, memory_order_release);
	atomic_store_explicit(&s->total, 0, memory_order_relaxed);
}
