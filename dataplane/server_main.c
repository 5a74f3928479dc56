/* tessera-server: read the configuration, start one pinned thread per shard
 * on the chosen dataplane, wait for SIGTERM/SIGINT or SHUTDOWN, stop cleanly.
 * The main thread owns start-up and signals only; it never serves requests.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "base/config.h"
#include "base/log.h"
#include "base/version.h"
#include "commands/command_table.h"
#include "cpu_list.h"
#include "loop/engine_lifecycle.h"
#include "shard/shard.h"
#include "shard_startup.h"

struct shard_thread {
	pthread_t tid;
	struct engine *eng;
	const struct dataplane_backend *backend;
	unsigned id;
	int cpu;                 /* -1: not pinned */
};

static void *shard_thread_main(void *arg)
{
	struct shard_thread *t = arg;
	char name[16];
	snprintf(name, sizeof(name), "shard-%u", t->id);
	pthread_setname_np(pthread_self(), name);
	if (t->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(t->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
			log_msg(LOG_WARNING, "shard %u: could not pin to CPU %d", t->id, t->cpu);
	}
	t->backend->run_shard(t->eng, t->id);
	return NULL;
}

static void wake_all(struct engine *eng)
{
	for (unsigned i = 0; i < eng->nshards; i++)
		eng->wake(eng, i);
}

/* Signals are blocked in every thread and taken here, synchronously, so no
 * handler runs in the middle of a shard's work. */
static void wait_for_shutdown(struct engine *eng, const sigset_t *signals)
{
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
	while (!atomic_load(&eng->shutdown_requested)) {
		int sig = sigtimedwait(signals, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_msg(LOG_WARNING, "Received %s scheduling shutdown...",
				sig == SIGTERM ? "SIGTERM" : "SIGINT");
			atomic_store(&eng->shutdown_requested, 1);
		}
	}
	wake_all(eng);
}

static void print_usage(void)
{
	printf("Usage: tessera-server [config-file] [--name value ...]\n"
	       "       tessera-server -v or --version\n"
	       "       tessera-server -h or --help\n"
	       "\n"
	       "Options take Redis's names, in the config file (\"name value\" per line)\n"
	       "or on the command line; the command line wins. The main ones:\n"
	       "  --port 6379             TCP port\n"
	       "  --bind 127.0.0.1        address to listen on (* for all)\n"
	       "  --shards N              shard threads (default: one per CPU allowed)\n"
	       "  --cores 0,2-5           CPUs to pin shards to\n"
	       "  --maxmemory 4gb         memory budget, split between the shards\n"
	       "  --maxmemory-policy P    noeviction, allkeys-lru, volatile-ttl, ...\n"
	       "  --requirepass secret    password of the default user\n"
	       "  --dataplane D           kernel (io_uring, the default), epoll, or dpdk\n"
	       "  --dpdk-args \"...\"       EAL arguments for --dataplane dpdk (with --ip)\n"
	       "CONFIG GET * on a running server lists every option.\n"
	       "\n"
	       "Examples:\n"
	       "  tessera-server --port 7777 --shards 4\n"
	       "  tessera-server /etc/tessera.conf --loglevel verbose\n");
}

int main(int argc, char **argv)
{
	char err[1024];
	config_init();
	if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))) {
		printf("tessera-server v=%s (redis compatibility %s)\n", TESSERA_VERSION, REDIS_COMPAT_VERSION);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_usage();
		return 0;
	}
	if (config_parse_command_line(argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "tessera-server: %s\n", err);
		config_free();
		return 1;
	}
	int cpus[CPU_LIST_MAX];
	int ncpus = cpu_list_resolve(CFG(cores), cpus, CPU_LIST_MAX, err, sizeof(err));
	if (ncpus < 0) {
		fprintf(stderr, "tessera-server: option 'cores': %s\n", err);
		config_free();
		return 1;
	}
	unsigned nshards = CFG(shards) > 0 ? (unsigned)CFG(shards) : (unsigned)ncpus;
	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);

	if (command_table_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "tessera-server: %s\n", err);
		config_free();
		return 1;
	}
	struct engine *eng = engine_create(nshards);
	if (!eng) {
		fprintf(stderr, "tessera-server: out of memory creating %u shards\n", nshards);
		return 1;
	}
	const struct dataplane_backend *backend = &kernel_backend;
	char why[128];
	if (CFG(dataplane) == DATAPLANE_EPOLL) {
		backend = &epoll_backend;
	} else if (CFG(dataplane) == DATAPLANE_KERNEL && !kernel_io_uring_available(why, sizeof(why))) {
		log_msg(LOG_WARNING, "io_uring is refused here (%s): falling back to epoll", why);
		backend = &epoll_backend;
	} else if (CFG(dataplane) == DATAPLANE_DPDK) {
#ifdef TESSERA_HAVE_DPDK
		backend = &dpdk_backend;
#else
		fprintf(stderr, "tessera-server: option 'dataplane': this build has no DPDK "
				"(install libdpdk-dev and rebuild)\n");
		engine_destroy(eng);
		config_free();
		return 1;
#endif
	}
	eng->wake = backend->wake;
	if (backend->init(eng) < 0) {
		backend->fini(eng);
		engine_destroy(eng);
		config_free();
		return 1;
	}
	struct shard_thread threads[nshards];
	for (unsigned i = 0; i < nshards; i++) {
		threads[i] = (struct shard_thread){ .eng = eng, .backend = backend, .id = i,
						    .cpu = cpus[i % (unsigned)ncpus] };
		pthread_create(&threads[i].tid, NULL, shard_thread_main, &threads[i]);
	}
	int rc = shard_startup_wait(eng);
	if (rc == 0) {
		log_msg(LOG_NOTICE, "Tessera %s: %u shard(s) on the %s backend, listening on %s:%lld",
			TESSERA_VERSION, nshards, backend->name,
			CFG(dataplane) == DATAPLANE_DPDK ? CFG(ip) : CFG(bind), CFG(port));
		log_msg(LOG_NOTICE, "Ready to accept connections");
		wait_for_shutdown(eng, &signals);
	} else {
		atomic_store(&eng->shutdown_requested, 1);
		wake_all(eng);
	}
	for (unsigned i = 0; i < nshards; i++)
		pthread_join(threads[i].tid, NULL);
	backend->fini(eng);
	engine_destroy(eng);
	if (rc == 0)
		log_msg(LOG_NOTICE, "Tessera is now ready to exit, bye bye...");
	config_free();
	return rc == 0 ? 0 : 1;
}
