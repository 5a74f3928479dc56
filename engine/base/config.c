#include "base/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/glob.h"
#include "resp/reply.h"
#include "resp/resp_parse.h"

struct server_config config;

/* rename-command lines, in the order given. */
#define RENAMES_MAX 64
static struct command_rename renames[RENAMES_MAX];
static int nrenames;

enum opt_type {
	OPT_INT, OPT_MEMORY, OPT_ENUM, OPT_STRING, OPT_IPV4,
	OPT_MEMORY_PERCENT,   /* bytes, or "N%" of maxmemory stored as -N */
	OPT_OBUF_LIMITS,      /* client-output-buffer-limit's class groups */
};

struct option {
	const char *name;
	enum opt_type type;
	_Atomic long long *num;      /* OPT_INT, OPT_MEMORY, OPT_ENUM */
	char *_Atomic *str;          /* OPT_STRING */
	long long min, max;
	const char *const *choices;  /* OPT_ENUM, NULL-terminated, index = value */
	bool runtime;                /* may change with CONFIG SET */
	const char *initial;
};

static const char *const policy_names[] = {
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction", NULL,
};
static const char *const loglevel_names[] = { "debug", "verbose", "notice", "warning", "nothing", NULL };
static const char *const yes_no[] = { "no", "yes", NULL };
/* "epoll" forces the fallback that "kernel" takes where io_uring is refused. */
static const char *const dataplane_names[] = { "kernel", "dpdk", "epoll", NULL };

#define NUM(f) &config.f, NULL
#define STR(f) NULL, &config.f

static const struct option options[] = {
	{ "port", OPT_INT, NUM(port), 0, 65535, NULL, false, "6379" },
	{ "bind", OPT_STRING, STR(bind), 0, 0, NULL, false, "127.0.0.1" },
	{ "shards", OPT_INT, NUM(shards), 0, 64, NULL, false, "0" },
	{ "cores", OPT_STRING, STR(cores), 0, 0, NULL, false, "" },
	{ "maxmemory", OPT_MEMORY, NUM(maxmemory), 0, LLONG_MAX, NULL, true, "0" },
	{ "maxmemory-policy", OPT_ENUM, NUM(maxmemory_policy), 0, 0, policy_names, true, "noeviction" },
	{ "maxmemory-samples", OPT_INT, NUM(maxmemory_samples), 1, 64, NULL, true, "5" },
	{ "lfu-log-factor", OPT_INT, NUM(lfu_log_factor), 0, INT_MAX, NULL, true, "10" },
	{ "lfu-decay-time", OPT_INT, NUM(lfu_decay_time), 0, INT_MAX, NULL, true, "1" },
	{ "dir", OPT_STRING, STR(dir), 0, 0, NULL, true, "." },
	{ "dbfilename", OPT_STRING, STR(dbfilename), 0, 0, NULL, true, "dump.rdb" },
	{ "requirepass", OPT_STRING, STR(requirepass), 0, 0, NULL, true, "" },
	{ "timeout", OPT_INT, NUM(timeout), 0, INT_MAX, NULL, true, "0" },
	{ "tcp-keepalive", OPT_INT, NUM(tcp_keepalive), 0, INT_MAX, NULL, true, "300" },
	{ "maxclients", OPT_INT, NUM(maxclients), 1, INT_MAX, NULL, true, "10000" },
	{ "loglevel", OPT_ENUM, NUM(loglevel), 0, 0, loglevel_names, true, "notice" },
	{ "logfile", OPT_STRING, STR(logfile), 0, 0, NULL, false, "" },
	{ "proto-max-bulk-len", OPT_MEMORY, NUM(proto_max_bulk_len), 1024 * 1024, LLONG_MAX, NULL, true, "536870912" },
	{ "client-query-buffer-limit", OPT_MEMORY, NUM(client_query_buffer_limit), 1024 * 1024, LLONG_MAX, NULL, true, "1073741824" },
	/* Unsent replies past this stop a client's requests being read until
	 * they drain (loop/client_input.c); 0 turns it off. */
	{ "client-output-backpressure", OPT_MEMORY, NUM(client_output_backpressure), 0, LLONG_MAX, NULL, true, "4194304" },
	{ "maxmemory-clients", OPT_MEMORY_PERCENT, NUM(maxmemory_clients), 0, LLONG_MAX, NULL, true, "0" },
	{ "client-output-buffer-limit", OPT_OBUF_LIMITS, NULL, NULL, 0, 0, NULL, true,
	  "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60" },
	{ "databases", OPT_INT, NUM(databases), 1, 1, NULL, false, "1" },
	{ "save", OPT_STRING, STR(save), 0, 0, NULL, true, "" },
	{ "appendonly", OPT_ENUM, NUM(appendonly_flag), 0, 0, yes_no, false, "no" },
	{ "protected-mode", OPT_ENUM, NUM(protected_mode), 0, 0, yes_no, true, "yes" },
	{ "dataplane", OPT_ENUM, NUM(dataplane), 0, 0, dataplane_names, false, "kernel" },
	{ "dpdk-args", OPT_STRING, STR(dpdk_args), 0, 0, NULL, false, "" },
	{ "ip", OPT_IPV4, STR(ip), 0, 0, NULL, false, "" },
	{ "netmask", OPT_IPV4, STR(netmask), 0, 0, NULL, false, "255.255.255.0" },
	{ "gateway", OPT_IPV4, STR(gateway), 0, 0, NULL, false, "" },
	{ "dpdk-idle-sleep", OPT_ENUM, NUM(dpdk_idle_sleep), 0, 0, yes_no, false, "yes" },
	{ "dpdk-fault-inject", OPT_STRING, STR(dpdk_fault_inject), 0, 0, NULL, false, "" },
};

#define OPTION_COUNT ((int)(sizeof(options) / sizeof(options[0])))

int config_option_count(void)
{
	return OPTION_COUNT;
}

static const struct option *find_option(const char *name, size_t len)
{
	for (int i = 0; i < OPTION_COUNT; i++)
		if (strlen(options[i].name) == len && strncasecmp(options[i].name, name, len) == 0)
			return &options[i];
	return NULL;
}

/* Strings replaced while shards may read them are kept until exit (see
 * config.h); a list keeps them reachable and freeable. */
struct retired {
	struct retired *next;
	char *s;
};
static struct retired *retired_strings;

static void retire_string(char *s)
{
	if (!s)
		return;
	struct retired *r = malloc(sizeof(*r));
	if (!r)
		return; /* a few bytes leak rather than risk a use after free */
	r->s = s;
	r->next = retired_strings;
	retired_strings = r;
}

void config_free(void)
{
	for (int i = 0; i < nrenames; i++) {
		free(renames[i].from);
		free(renames[i].to);
	}
	nrenames = 0;
	while (retired_strings) {
		struct retired *r = retired_strings;
		retired_strings = r->next;
		free(r->s);
		free(r);
	}
	for (int i = 0; i < OPTION_COUNT; i++)
		if (options[i].type == OPT_STRING || options[i].type == OPT_IPV4)
			free(atomic_exchange(options[i].str, NULL));
}

/* Redis's memory units: k=1000, kb=1024, m, mb, g, gb; case-insensitive. */
static bool parse_memory(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || errno || v < 0)
		return false;
	long long mul = 1;
	if (!strcasecmp(end, "") || !strcasecmp(end, "b")) mul = 1;
	else if (!strcasecmp(end, "k")) mul = 1000;
	else if (!strcasecmp(end, "kb")) mul = 1024;
	else if (!strcasecmp(end, "m")) mul = 1000 * 1000;
	else if (!strcasecmp(end, "mb")) mul = 1024 * 1024;
	else if (!strcasecmp(end, "g")) mul = 1000LL * 1000 * 1000;
	else if (!strcasecmp(end, "gb")) mul = 1024LL * 1024 * 1024;
	else return false;
	if (v > LLONG_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

static const char *const client_class_names[] = { "normal", "slave", "pubsub" };

static int client_class_named(const char *name)
{
	if (!strcasecmp(name, "replica"))
		return CLIENT_CLASS_REPLICA;
	for (int i = 0; i < 3; i++)
		if (!strcasecmp(name, client_class_names[i]))
			return i;
	return -1;
}

/* "<class> <hard> <soft> <soft seconds>" groups, all checked before any is
 * stored, as Redis does. */
static int apply_obuf_limits(const char *value, bool dry_run, char *err, size_t errlen)
{
	char copy[1024];
	char *words[64];
	int n = 0;
	snprintf(copy, sizeof(copy), "%s", value);
	for (char *save, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == 64)
			break;
		words[n++] = w;
	}
	if (n % 4 != 0 || n == 64) {
		snprintf(err, errlen, "Wrong number of arguments in buffer limit configuration.");
		return -EINVAL;
	}
	long long parsed[16][4];
	for (int g = 0; g < n / 4; g++) {
		char **w = words + 4 * g, *end;
		parsed[g][0] = client_class_named(w[0]);
		if (parsed[g][0] < 0) {
			snprintf(err, errlen, "Invalid client class specified in buffer limit configuration.");
			return -EINVAL;
		}
		errno = 0;
		parsed[g][3] = strtoll(w[3], &end, 10);
		if (!parse_memory(w[1], &parsed[g][1]) || !parse_memory(w[2], &parsed[g][2]) ||
		    end == w[3] || *end || errno || parsed[g][3] < 0) {
			snprintf(err, errlen, "Error in hard, soft or soft_seconds setting in buffer "
				 "limit configuration.");
			return -EINVAL;
		}
	}
	for (int g = 0; !dry_run && g < n / 4; g++) {
		struct obuf_limit *l = &config.obuf_limits[parsed[g][0]];
		atomic_store(&l->hard, parsed[g][1]);
		atomic_store(&l->soft, parsed[g][2]);
		atomic_store(&l->soft_seconds, parsed[g][3]);
	}
	return 0;
}

/* Validate and store one option; on error write the reason (Redis's words). */
static int apply(const struct option *o, const char *value, bool dry_run, char *err, size_t errlen)
{
	long long v = 0;
	switch (o->type) {
	case OPT_OBUF_LIMITS:
		return apply_obuf_limits(value, dry_run, err, errlen);
	case OPT_MEMORY_PERCENT: {
		size_t len = strlen(value);
		if (len > 1 && value[len - 1] == '%') {
			char *end;
			errno = 0;
			v = strtoll(value, &end, 10);
			if (end != value + len - 1 || errno || v < 0) {
				snprintf(err, errlen, "argument must be a memory or percent value");
				return -EINVAL;
			}
			if (v > 100) {
				snprintf(err, errlen, "percentage argument must be less or equal to 100");
				return -EINVAL;
			}
			if (!dry_run)
				atomic_store(o->num, -v);
			return 0;
		}
		if (!parse_memory(value, &v)) {
			snprintf(err, errlen, "argument must be a memory or percent value");
			return -EINVAL;
		}
		break;
	}
	case OPT_IPV4: {
		struct in_addr addr;
		if (value[0] && inet_pton(AF_INET, value, &addr) != 1) {
			snprintf(err, errlen, "argument must be an IPv4 address (a.b.c.d)");
			return -EINVAL;
		}
		/* An address is stored as its text. */
		__attribute__((fallthrough));
	}
	case OPT_STRING:
		if (!dry_run)
			retire_string(atomic_exchange(o->str, strdup(value)));
		return 0;
	case OPT_ENUM:
		for (int i = 0; o->choices[i]; i++) {
			if (!strcasecmp(o->choices[i], value)) {
				if (!dry_run)
					atomic_store(o->num, i);
				return 0;
			}
		}
		snprintf(err, errlen, "argument(s) must be one of the following: ");
		for (int i = 0; o->choices[i]; i++) {
			strncat(err, o->choices[i], errlen - strlen(err) - 1);
			if (o->choices[i + 1])
				strncat(err, ", ", errlen - strlen(err) - 1);
		}
		return -EINVAL;
	case OPT_MEMORY:
		if (!parse_memory(value, &v)) {
			snprintf(err, errlen, "argument must be a memory value");
			return -EINVAL;
		}
		break;
	case OPT_INT: {
		char *end;
		errno = 0;
		v = strtoll(value, &end, 10);
		if (end == value || *end || errno) {
			snprintf(err, errlen, "argument couldn't be parsed into an integer");
			return -EINVAL;
		}
		break;
	}
	}
	if (v < o->min || v > o->max) {
		snprintf(err, errlen, "argument must be between %lld and %lld inclusive", o->min, o->max);
		return -EINVAL;
	}
	if (!dry_run)
		atomic_store(o->num, v);
	return 0;
}

void config_init(void)
{
	char err[256];
	for (int i = 0; i < OPTION_COUNT; i++)
		apply(&options[i], options[i].initial, false, err, sizeof(err));
}

int config_command_renames(const struct command_rename **out)
{
	*out = renames;
	return nrenames;
}

/* "rename-command <name> <new name>" as one joined value: the new name is
 * everything after the first space, so `rename-command KEYS ""` arrives as
 * "KEYS " and removes KEYS. Checked against the command table later
 * (command_table_init), which knows the names. */
static int add_rename(const char *value, char *err, size_t errlen)
{
	const char *space = strchr(value, ' ');
	if (!space || space == value || strchr(space + 1, ' ')) {
		snprintf(err, errlen, "rename-command takes a command name and a new name (\"\" removes it)");
		return -EINVAL;
	}
	if (nrenames == RENAMES_MAX) {
		snprintf(err, errlen, "more than %d rename-command lines", RENAMES_MAX);
		return -EINVAL;
	}
	char *from = strndup(value, (size_t)(space - value)), *to = strdup(space + 1);
	if (!from || !to) {
		free(from);
		free(to);
		snprintf(err, errlen, "out of memory");
		return -EINVAL;
	}
	for (char *p = to; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	renames[nrenames++] = (struct command_rename){ from, to };
	return 0;
}

static bool address_given;

bool config_address_given(void)
{
	return address_given;
}

static int set_startup(const char *name, const char *value, char *err, size_t errlen)
{
	if (!strcasecmp(name, "rename-command"))
		return add_rename(value, err, errlen);
	if (!strcasecmp(name, "bind") || !strcasecmp(name, "ip"))
		address_given = true;
	const struct option *o = find_option(name, strlen(name));
	if (!o) {
		snprintf(err, errlen, "unknown option '%s'", name);
		return -EINVAL;
	}
	char why[256];
	if (apply(o, value, false, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "bad value '%s' for option '%s': %s", value, o->name, why);
		return -EINVAL;
	}
	return 0;
}

/* Join args[1..n) with spaces: "save 900 1" keeps its words. */
static void join_args(struct arg *a, int n, char *out, size_t outlen)
{
	out[0] = '\0';
	for (int i = 1; i < n; i++) {
		if (i > 1)
			strncat(out, " ", outlen - strlen(out) - 1);
		size_t room = outlen - strlen(out) - 1;
		strncat(out, a[i].p, a[i].len < room ? a[i].len : room);
	}
}

int config_load_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "can't open config file '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	char line[4096], value[4096], name[128];
	struct argv_vec args = { 0 };
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *end = line + strlen(line);
		if (line[0] == '#')
			continue;
		if (!split_args_inplace(line, end, &args)) {
			snprintf(err, errlen, "config file '%s' line %d: unbalanced quotes", path, lineno);
			rc = -EINVAL;
			break;
		}
		if (args.argc == 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)args.v[0].len, args.v[0].p);
		join_args(args.v, args.argc, value, sizeof(value));
		char why[512];
		if (set_startup(name, value, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "config file '%s' line %d: %s", path, lineno, why);
			rc = -EINVAL;
		}
		args.argc = 0;
	}
	argv_vec_free(&args);
	fclose(f);
	return rc;
}

int config_parse_command_line(int argc, char **argv, char *err, size_t errlen)
{
	int i = 1;
	if (i < argc && strncmp(argv[i], "--", 2) != 0) {
		if (config_load_file(argv[i], err, errlen) < 0)
			return -EINVAL;
		i++;
	}
	while (i < argc) {
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			snprintf(err, errlen, "unexpected argument '%s' (options are --name value)", argv[i]);
			return -EINVAL;
		}
		const char *name = argv[i] + 2;
		char value[4096] = "";
		int j = i + 1;
		/* An option takes the next word whatever it looks like (dpdk-args
		 * starts with "--"), then every word up to the next --option
		 * ("--save 900 1"). */
		for (; j < argc && (j == i + 1 || strncmp(argv[j], "--", 2) != 0); j++) {
			if (j > i + 1)
				strncat(value, " ", sizeof(value) - strlen(value) - 1);
			strncat(value, argv[j], sizeof(value) - strlen(value) - 1);
		}
		if (j == i + 1 && !find_option(name, strlen(name)) && strcasecmp(name, "rename-command")) {
			snprintf(err, errlen, "unknown option '%s'", name);
			return -EINVAL;
		}
		if (set_startup(name, value, err, errlen) < 0)
			return -EINVAL;
		i = j;
	}
	return 0;
}

int config_set_runtime(const char *name, size_t nlen, const char *value, size_t vlen,
		       bool dry_run, char *err, size_t errlen)
{
	const struct option *o = find_option(name, nlen);
	if (!o) {
		snprintf(err, errlen, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
			 (int)nlen, name);
		return -EINVAL;
	}
	if (!o->runtime) {
		snprintf(err, errlen, "ERR CONFIG SET failed (possibly related to argument '%s') - "
			 "can't set immutable config", o->name);
		return -EINVAL;
	}
	char val[4096], why[512];
	snprintf(val, sizeof(val), "%.*s", (int)vlen, value);
	if (apply(o, val, dry_run, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "ERR CONFIG SET failed (possibly related to argument '%s') - %s",
			 o->name, why);
		return -EINVAL;
	}
	return 0;
}

static void format_value(const struct option *o, char *out, size_t n)
{
	switch (o->type) {
	case OPT_STRING:
	case OPT_IPV4:
		snprintf(out, n, "%s", atomic_load(o->str));
		break;
	case OPT_ENUM:
		snprintf(out, n, "%s", o->choices[atomic_load(o->num)]);
		break;
	case OPT_MEMORY_PERCENT: {
		long long v = atomic_load(o->num);
		snprintf(out, n, v < 0 ? "%lld%%" : "%lld", v < 0 ? -v : v);
		break;
	}
	case OPT_OBUF_LIMITS: {
		size_t used = 0;
		for (int i = 0; i < 3 && used < n; i++) {
			const struct obuf_limit *l = &config.obuf_limits[i];
			used += (size_t)snprintf(out + used, n - used, "%s%s %lld %lld %lld", i ? " " : "",
						 client_class_names[i], atomic_load(&l->hard),
						 atomic_load(&l->soft), atomic_load(&l->soft_seconds));
		}
		break;
	}
	default:
		snprintf(out, n, "%lld", atomic_load(o->num));
		break;
	}
}

int config_get_matching(const char *pattern, size_t plen, struct buf *pairs, unsigned char *seen)
{
	int added = 0;
	char value[4096];
	for (int i = 0; i < OPTION_COUNT; i++) {
		const struct option *o = &options[i];
		if (seen[i] || !glob_match(pattern, plen, o->name, strlen(o->name), true))
			continue;
		seen[i] = 1;
		format_value(o, value, sizeof(value));
		reply_bulk_str(pairs, o->name);
		reply_bulk_str(pairs, value);
		added++;
	}
	return added;
}

bool config_policy_is_lfu(void)
{
	long long p = CFG(maxmemory_policy);
	return p == MM_VOLATILE_LFU || p == MM_ALLKEYS_LFU;
}

long long config_maxmemory_clients(void)
{
	long long v = CFG(maxmemory_clients);
	if (v >= 0)
		return v;
	long long max = CFG(maxmemory);
	return max / 100 * -v + max % 100 * -v / 100;
}

const char *config_policy_name(long long policy)
{
	return policy >= 0 && policy <= MM_NOEVICTION ? policy_names[policy] : "unknown";
}
