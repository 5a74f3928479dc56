/* Server configuration: one table of Redis-style options (config.c) serves
 * the command line, the config file, CONFIG GET and CONFIG SET.
 *
 * Values are atomics because CONFIG SET on one shard writes what every shard
 * reads; the request path reads them with relaxed loads (plain moves on x86).
 * Strings replaced at run time are not freed: a reader on another shard may
 * still hold the old pointer, and a few bytes per CONFIG SET are the price.
 */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "resp/buf.h"

enum maxmemory_policy {
	MM_VOLATILE_LRU, MM_VOLATILE_LFU, MM_VOLATILE_RANDOM, MM_VOLATILE_TTL,
	MM_ALLKEYS_LRU, MM_ALLKEYS_LFU, MM_ALLKEYS_RANDOM, MM_NOEVICTION,
};

enum dataplane_kind { DATAPLANE_KERNEL, DATAPLANE_DPDK, DATAPLANE_EPOLL };

enum log_level { LOG_DEBUG, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING, LOG_NOTHING };

/* client-output-buffer-limit's classes, in the order CONFIG GET lists them. */
enum client_class { CLIENT_CLASS_NORMAL, CLIENT_CLASS_REPLICA, CLIENT_CLASS_PUBSUB };

struct server_config {
	_Atomic long long port;
	_Atomic long long shards;          /* 0 = one per online core */
	_Atomic long long maxmemory;
	_Atomic long long maxmemory_policy;
	_Atomic long long maxmemory_samples;
	_Atomic long long timeout;
	_Atomic long long tcp_keepalive;
	_Atomic long long maxclients;
	_Atomic long long loglevel;
	_Atomic long long proto_max_bulk_len;
	_Atomic long long client_query_buffer_limit;
	_Atomic long long client_output_backpressure; /* 0: off (Tessera's own) */
	_Atomic long long maxmemory_clients;  /* bytes; negative: -N is N% of maxmemory */
	/* client-output-buffer-limit, per class: hard and soft bytes (0: none)
	 * and how long a client may stay over the soft one. */
	struct obuf_limit {
		_Atomic long long hard, soft, soft_seconds;
	} obuf_limits[3];                   /* enum client_class */
	_Atomic long long lfu_log_factor;
	_Atomic long long lfu_decay_time;
	_Atomic long long databases;
	char *_Atomic bind;
	char *_Atomic cores;               /* "" = shard i on the i-th allowed CPU */
	char *_Atomic dir;
	char *_Atomic dbfilename;
	char *_Atomic requirepass;         /* "" = no password */
	char *_Atomic logfile;             /* "" = stderr */
	char *_Atomic save;
	_Atomic long long dataplane;       /* enum dataplane_kind */
	char *_Atomic dpdk_args;           /* EAL arguments, split like a shell */
	char *_Atomic ip;                  /* DPDK: our IPv4 address */
	char *_Atomic netmask;
	char *_Atomic gateway;
	_Atomic long long dpdk_idle_sleep; /* 1: an idle shard backs off into short sleeps */
	char *_Atomic dpdk_fault_inject;   /* "loss=5,reorder=10,..." (tests only) */
	_Atomic long long appendonly_flag;  /* only "no" until AOF exists */
	_Atomic long long protected_mode;   /* 1: see config_address_given() */
};

extern struct server_config config;

#define CFG(field) atomic_load_explicit(&config.field, memory_order_relaxed)

/* Set defaults; call once before anything else. */
void config_init(void);
/* At exit, after every shard stopped. */
void config_free(void);
/* Parse `[config-file] [--name value ...]`. On error writes a message naming
 * the option to err and returns -EINVAL. */
int config_parse_command_line(int argc, char **argv, char *err, size_t errlen);
int config_load_file(const char *path, char *err, size_t errlen);
/* CONFIG SET name value: returns 0, or -EINVAL with the Redis error text.
 * With dry_run nothing changes: CONFIG SET checks every pair first so that a
 * bad one applies none. */
int config_set_runtime(const char *name, size_t nlen, const char *value, size_t vlen,
		       bool dry_run, char *err, size_t errlen);
/* CONFIG GET: append name/value pairs matching a glob pattern to the list;
 * `names_seen` avoids duplicates across patterns. Returns pairs added. */
int config_get_matching(const char *pattern, size_t plen, struct buf *pairs, unsigned char *seen);
int config_option_count(void);
bool config_policy_is_lfu(void);
/* maxmemory-clients in bytes now (a percentage follows maxmemory); 0: none. */
long long config_maxmemory_clients(void);

/* True once `bind` or `ip` was given at start-up (command line or config
 * file): protected mode then lets other hosts in, as the operator chose an
 * address to serve. */
bool config_address_given(void);

/* rename-command lines (config file or command line), in order: `to` is
 * lower case, "" to remove the command. Start-up only; kept until exit. */
struct command_rename {
	char *from, *to;
};
int config_command_renames(const struct command_rename **renames);
const char *config_policy_name(long long policy);

#endif
