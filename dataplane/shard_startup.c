#include "shard_startup.h"

#include <errno.h>
#include <time.h>

#include "shard/shard.h"

void shard_startup_report(struct engine *eng, bool ok)
{
	atomic_fetch_add(ok ? &eng->shards_ready : &eng->shards_failed, 1);
}

int shard_startup_wait(struct engine *eng)
{
	struct timespec ms = { 0, 1000000 };
	while (atomic_load(&eng->shards_ready) + atomic_load(&eng->shards_failed) < eng->nshards)
		nanosleep(&ms, NULL);
	return atomic_load(&eng->shards_failed) ? -EIO : 0;
}
