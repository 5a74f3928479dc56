#include "base/invariant.h"

#include <stdio.h>
#include <stdlib.h>

void invariant_failed(const char *file, int line, const char *expr)
{
	fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, expr);
	fflush(stderr);
	abort();
}
