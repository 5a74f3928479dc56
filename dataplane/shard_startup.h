/* The start-up handshake between the shard threads and the main thread:
 * the main thread may say it is ready only once every shard serves, and
 * must stop if one could not set itself up. Backends report; server_main.c
 * waits. Neither side needs to know the other. */
#ifndef TESSERA_SHARD_STARTUP_H
#define TESSERA_SHARD_STARTUP_H

#include <stdbool.h>

struct engine;

/* For a backend's run_shard: once, when its set-up succeeded or failed
 * (having logged why). */
void shard_startup_report(struct engine *eng, bool ok);
/* For the main thread: 0 once every shard serves, -EIO if one could not
 * start. */
int shard_startup_wait(struct engine *eng);

#endif
