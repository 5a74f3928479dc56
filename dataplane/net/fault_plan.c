#include "fault_plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next_random(struct fault_plan *fp)
{
	/* splitmix64: tiny and good enough to scatter faults reproducibly. */
	uint64_t z = (fp->rng += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static bool chance(struct fault_plan *fp, double percent)
{
	if (percent <= 0)
		return false;
	return (double)(next_random(fp) >> 11) / (double)(1ULL << 53) * 100.0 < percent;
}

int fault_plan_parse(struct fault_plan *fp, const char *spec, char *err, size_t errlen)
{
	memset(fp, 0, sizeof(*fp));
	if (!spec || !spec[0])
		return 0;
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", spec);
	char *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq) {
			snprintf(err, errlen, "'%s' is not name=value", item);
			return -EINVAL;
		}
		*eq = '\0';
		char *end;
		double v = strtod(eq + 1, &end);
		if (end == eq + 1 || *end || v < 0 || (strcmp(item, "seed") && v > 100)) {
			snprintf(err, errlen, "bad value '%s' for %s", eq + 1, item);
			return -EINVAL;
		}
		if (!strcmp(item, "loss"))
			fp->loss = v;
		else if (!strcmp(item, "reorder"))
			fp->reorder = v;
		else if (!strcmp(item, "dup"))
			fp->dup = v;
		else if (!strcmp(item, "corrupt"))
			fp->corrupt = v;
		else if (!strcmp(item, "seed"))
			fp->seed = (uint64_t)v;
		else {
			snprintf(err, errlen, "unknown fault '%s' (loss, reorder, dup, corrupt, seed)", item);
			return -EINVAL;
		}
	}
	fp->enabled = fp->loss > 0 || fp->reorder > 0 || fp->dup > 0 || fp->corrupt > 0;
	fp->rng = fp->seed;
	return 0;
}

void fault_plan_fork(struct fault_plan *out, const struct fault_plan *fp, unsigned stream)
{
	*out = *fp;
	out->rng = fp->seed * 0x100000001B3ULL + stream * 0x9E3779B97F4A7C15ULL + 1;
}

unsigned fault_plan_next(struct fault_plan *fp)
{
	if (!fp->enabled)
		return FAULT_NONE;
	/* Draw every chance each time so the sequence for one fault does not
	 * depend on the others' outcomes. */
	bool drop = chance(fp, fp->loss), dup = chance(fp, fp->dup);
	bool reorder = chance(fp, fp->reorder), corrupt = chance(fp, fp->corrupt);
	if (drop)
		return FAULT_DROP;
	return (dup ? FAULT_DUPLICATE : 0) | (reorder ? FAULT_REORDER : 0) |
	       (corrupt ? FAULT_CORRUPT : 0);
}

size_t fault_plan_corrupt_offset(struct fault_plan *fp, size_t len, uint8_t *mask)
{
	uint64_t r = next_random(fp);
	*mask = (uint8_t)(1u << (r & 7));
	return len ? (size_t)((r >> 8) % len) : 0;
}
