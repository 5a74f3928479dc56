/* A dataplane backend: how a shard's thread gets bytes in and out.
 * The kernel backend (kernel/, io_uring on sockets) is the default; the
 * DPDK backend (dpdk/, userspace TCP) fills the same table. server_main.c
 * picks one and knows nothing else about it.
 */
#ifndef TESSERA_BACKEND_H
#define TESSERA_BACKEND_H

#include <stdbool.h>

struct engine;

struct dataplane_backend {
	const char *name;
	/* Once, before shard threads start: open listeners, check the platform.
	 * Returns 0 or a negative errno, having logged the reason. */
	int (*init)(struct engine *eng);
	/* The body of shard `id`'s thread: calls shard_startup_report()
	 * (shard_startup.h) once its set-up succeeded or failed (having logged
	 * why), then serves until shutdown is requested. */
	void (*run_shard)(struct engine *eng, unsigned id);
	/* Wake shard `id` if it sleeps; any thread may call it. */
	void (*wake)(struct engine *eng, unsigned id);
	void (*fini)(struct engine *eng);
};

extern const struct dataplane_backend kernel_backend;
extern const struct dataplane_backend epoll_backend;
/* Whether this kernel lets us create an io_uring (some containers refuse). */
bool kernel_io_uring_available(char *why, unsigned whylen);
#ifdef TESSERA_HAVE_DPDK
extern const struct dataplane_backend dpdk_backend;
#endif

#endif
