#include "cpu_list.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static int allowed_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

int cpu_list_resolve(const char *list, int *cpus, int max, char *err, unsigned errlen)
{
	if (!list || !list[0]) {
		int n = allowed_cpus(cpus, max);
		if (n == 0) {
			cpus[0] = -1;
			return 1;
		}
		return n;
	}
	int n = 0;
	const char *p = list;
	while (*p) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;
		if (end == p || lo < 0)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p || hi < lo)
				goto bad;
		}
		for (long c = lo; c <= hi && n < max; c++)
			cpus[n++] = (int)c;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	return n;
bad:
	snprintf(err, errlen, "bad CPU list '%s' (expected e.g. 0,2-5)", list);
	return -EINVAL;
}
