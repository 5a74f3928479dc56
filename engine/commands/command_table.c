/* The command table. Arity and key positions follow Redis 7.0's COMMAND INFO;
 * `route` and `gather` are Tessera's: they say where each command runs when
 * the keyspace is split over shards (see request/command.h). */
#include "commands/command_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/config.h"
#include "commands/cmd_client.h"
#include "commands/cmd_command.h"
#include "commands/cmd_connection.h"
#include "commands/cmd_keys.h"
#include "commands/cmd_memory.h"
#include "commands/cmd_routing.h"
#include "commands/cmd_server.h"
#include "commands/cmd_string.h"
#include "commands/command_index.h"
#include "commands/info.h"

#define W CMD_WRITE
#define R CMD_READONLY
#define F CMD_FAST
#define NOAUTH CMD_NOAUTH
#define A CMD_ADMIN
#define M CMD_DENYOOM

#define KEY1 1, 1, 1
#define NOKEYS 0, 0, 0

static const struct command table[] = {
	/* connection */
	{ "ping", -1, F, NOKEYS, ROUTE_LOCAL, GATHER_NONE, cmd_ping, "connection", "1.0.0", "Returns the server's liveliness response." },
	{ "echo", 2, F, NOKEYS, ROUTE_LOCAL, GATHER_NONE, cmd_echo, "connection", "1.0.0", "Returns the given string." },
	{ "quit", -1, F | NOAUTH, NOKEYS, ROUTE_LOCAL, GATHER_NONE, cmd_quit, "connection", "1.0.0", "Closes the connection." },
	{ "hello", -1, F | NOAUTH, NOKEYS, ROUTE_LOCAL, GATHER_NONE, cmd_hello, "connection", "6.0.0", "Handshakes with the Redis server." },
	{ "auth", -2, F | NOAUTH, NOKEYS, ROUTE_LOCAL, GATHER_NONE, cmd_auth, "connection", "1.0.0", "Authenticates the connection." },
	{ "select", 2, F, NOKEYS, ROUTE_LOCAL, GATHER_NONE, cmd_select, "connection", "1.0.0", "Changes the selected database." },
	{ "client", -2, 0, NOKEYS, ROUTE_CUSTOM, GATHER_NONE, cmd_client, "connection", "2.4.0", "A container for client connection commands." },
	/* server */
	{ "command", -1, 0, NOKEYS, ROUTE_LOCAL, GATHER_NONE, cmd_command, "server", "2.8.13", "Returns detailed information about all commands." },
	{ "info", -1, 0, NOKEYS, ROUTE_CUSTOM, GATHER_NONE, cmd_info, "server", "1.0.0", "Returns information and statistics about the server." },
	{ "config", -2, A, NOKEYS, ROUTE_LOCAL, GATHER_NONE, cmd_config, "server", "2.0.0", "A container for server configuration commands." },
	{ "dbsize", 1, R | F, NOKEYS, ROUTE_ALL, GATHER_SUM, cmd_dbsize, "server", "1.0.0", "Returns the number of keys in the database." },
	{ "flushall", -1, W, NOKEYS, ROUTE_ALL, GATHER_OK, cmd_flushall, "server", "1.0.0", "Removes all keys from all databases." },
	{ "flushdb", -1, W, NOKEYS, ROUTE_ALL, GATHER_OK, cmd_flushall, "server", "1.0.0", "Remove all keys from the current database." },
	{ "time", 1, F, NOKEYS, ROUTE_LOCAL, GATHER_NONE, cmd_time, "server", "2.6.0", "Returns the server time." },
	{ "shutdown", -1, A | NOAUTH, NOKEYS, ROUTE_LOCAL, GATHER_NONE, cmd_shutdown, "server", "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server." },
	/* strings */
	{ "get", 2, R | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_get, "string", "1.0.0", "Returns the string value of a key." },
	{ "set", -3, W | M, KEY1, ROUTE_KEY, GATHER_NONE, cmd_set, "string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist." },
	{ "setnx", 3, W | M | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_setnx, "string", "1.0.0", "Set the string value of a key only when the key doesn't exist." },
	{ "setex", 4, W | M, KEY1, ROUTE_KEY, GATHER_NONE, cmd_setex, "string", "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist." },
	{ "psetex", 4, W | M, KEY1, ROUTE_KEY, GATHER_NONE, cmd_psetex, "string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist." },
	{ "getset", 3, W | M | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_getset, "string", "1.0.0", "Returns the previous string value of a key after setting it to a new value." },
	{ "getdel", 2, W | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_getdel, "string", "6.2.0", "Returns the string value of a key after deleting the key." },
	{ "getex", -2, W | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_getex, "string", "6.2.0", "Returns the string value of a key after setting its expiration time." },
	{ "mget", -2, R | F, 1, -1, 1, ROUTE_MULTI, GATHER_MGET, cmd_mget, "string", "1.0.0", "Atomically returns the string values of one or more keys." },
	{ "mset", -3, W | M, 1, -1, 2, ROUTE_MULTI, GATHER_OK, cmd_mset, "string", "1.0.1", "Atomically creates or modifies the string values of one or more keys." },
	{ "msetnx", -3, W | M, 1, -1, 2, ROUTE_CUSTOM, GATHER_NONE, cmd_msetnx_route, "string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist." },
	{ "incr", 2, W | M | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_incr, "string", "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist." },
	{ "decr", 2, W | M | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_decr, "string", "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist." },
	{ "incrby", 3, W | M | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_incrby, "string", "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist." },
	{ "decrby", 3, W | M | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_decrby, "string", "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist." },
	{ "incrbyfloat", 3, W | M | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_incrbyfloat, "string", "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist." },
	{ "append", 3, W | M, KEY1, ROUTE_KEY, GATHER_NONE, cmd_append, "string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist." },
	{ "strlen", 2, R | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_strlen, "string", "2.2.0", "Returns the length of a string value." },
	{ "getrange", 4, R, KEY1, ROUTE_KEY, GATHER_NONE, cmd_getrange, "string", "2.4.0", "Returns a substring of the string stored at a key." },
	{ "substr", 4, R, KEY1, ROUTE_KEY, GATHER_NONE, cmd_getrange, "string", "1.0.0", "Returns a substring from a string value." },
	{ "setrange", 4, W | M, KEY1, ROUTE_KEY, GATHER_NONE, cmd_setrange, "string", "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist." },
	/* keys */
	{ "del", -2, W, 1, -1, 1, ROUTE_MULTI, GATHER_SUM, cmd_del, "generic", "1.0.0", "Deletes one or more keys." },
	{ "unlink", -2, W | F, 1, -1, 1, ROUTE_MULTI, GATHER_SUM, cmd_del, "generic", "4.0.0", "Asynchronously deletes one or more keys." },
	{ "exists", -2, R | F, 1, -1, 1, ROUTE_MULTI, GATHER_SUM, cmd_exists, "generic", "1.0.0", "Determines whether one or more keys exist." },
	{ "touch", -2, R | F, 1, -1, 1, ROUTE_MULTI, GATHER_SUM, cmd_touch, "generic", "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed." },
	{ "type", 2, R | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_type, "generic", "1.0.0", "Determines the type of value stored at a key." },
	{ "expire", -3, W | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_expire, "generic", "1.0.0", "Sets the expiration time of a key in seconds." },
	{ "pexpire", -3, W | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_pexpire, "generic", "2.6.0", "Sets the expiration time of a key in milliseconds." },
	{ "expireat", -3, W | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_expireat, "generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp." },
	{ "pexpireat", -3, W | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_pexpireat, "generic", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp." },
	{ "ttl", 2, R | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_ttl, "generic", "1.0.0", "Returns the expiration time in seconds of a key." },
	{ "pttl", 2, R | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_pttl, "generic", "2.6.0", "Returns the expiration time in milliseconds of a key." },
	{ "expiretime", 2, R | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_expiretime, "generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp." },
	{ "pexpiretime", 2, R | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_pexpiretime, "generic", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp." },
	{ "persist", 2, W | F, KEY1, ROUTE_KEY, GATHER_NONE, cmd_persist, "generic", "2.2.0", "Removes the expiration time of a key." },
	{ "rename", 3, W, 1, 2, 1, ROUTE_CUSTOM, GATHER_NONE, cmd_rename_route, "generic", "1.0.0", "Renames a key and overwrites the destination." },
	{ "renamenx", 3, W | F, 1, 2, 1, ROUTE_CUSTOM, GATHER_NONE, cmd_renamenx_route, "generic", "1.0.0", "Renames a key only when the target key name doesn't exist." },
	{ "randomkey", 1, R, NOKEYS, ROUTE_ALL, GATHER_RANDOM, cmd_randomkey, "generic", "1.0.0", "Returns a random key name from the database." },
	{ "keys", 2, R | CMD_SLICED, NOKEYS, ROUTE_ALL, GATHER_CONCAT_ARRAY, cmd_keys, "generic", "1.0.0", "Returns all key names that match a pattern." },
	{ "scan", -2, R, NOKEYS, ROUTE_CUSTOM, GATHER_NONE, cmd_scan_route, "generic", "2.8.0", "Iterates over the key names in the database." },
	{ "memory", -2, R, NOKEYS, ROUTE_CUSTOM, GATHER_NONE, cmd_memory_route, "server", "4.0.0", "A container for memory diagnostics commands." },
	{ "object", -2, R, 2, 2, 1, ROUTE_CUSTOM, GATHER_NONE, cmd_object_route, "generic", "2.2.3", "A container for object introspection commands." },
};

#define TABLE_SIZE ((int)(sizeof(table) / sizeof(table[0])))

/* Built once at start-up, before any shard thread runs, then read by every
 * shard without synchronisation. Its size follows the table's. */
static struct command_index_slot lookup_slots[COMMAND_INDEX_SLOTS(TABLE_SIZE)];
static struct command_index lookup;

static int table_index_of(const char *name)
{
	for (int i = 0; i < TABLE_SIZE; i++)
		if (!strcasecmp(table[i].name, name))
			return i;
	return -1;
}

/* The name clients call command i by: its own, or its rename-command's new
 * name ("" when removed). */
static const char *name_in_use(int i, const struct command_rename *r, int nr)
{
	const char *name = table[i].name;
	for (int k = 0; k < nr; k++)
		if (table_index_of(r[k].from) == i)
			name = r[k].to;
	return name;
}

static int check_renames(const struct command_rename *r, int nr, char *err, size_t errlen)
{
	for (int k = 0; k < nr; k++) {
		if (table_index_of(r[k].from) < 0) {
			snprintf(err, errlen, "rename-command: no such command '%s'", r[k].from);
			return -1;
		}
		int taken = r[k].to[0] ? table_index_of(r[k].to) : -1;
		if (taken >= 0 && !strcmp(name_in_use(taken, r, nr), r[k].to)) {
			snprintf(err, errlen, "rename-command: '%s' is already a command's name", r[k].to);
			return -1;
		}
	}
	return 0;
}

int command_table_init(char *err, size_t errlen)
{
	const struct command_rename *renames;
	int nrenames = config_command_renames(&renames);
	if (check_renames(renames, nrenames, err, errlen) < 0)
		return -1;
	command_index_init(&lookup, lookup_slots, sizeof(lookup_slots) / sizeof(lookup_slots[0]));
	for (int i = 0; i < TABLE_SIZE; i++) {
		const char *name = name_in_use(i, renames, nrenames);
		if (!name[0])
			continue; /* removed */
		if (!command_index_add(&lookup, name, i)) {
			snprintf(err, errlen, "rename-command: cannot give '%s' the name '%s'",
				 table[i].name, name);
			return -1;
		}
	}
	return 0;
}

const struct command *command_lookup(const char *name, size_t len)
{
	int i = command_index_find(&lookup, name, len);
	return i >= 0 ? &table[i] : NULL;
}

const struct command *command_at(int i)
{
	return i >= 0 && i < TABLE_SIZE ? &table[i] : NULL;
}

int command_count(void)
{
	return TABLE_SIZE;
}
