/* Each command's argument syntax, written once as the text users know
 * ("key value [NX|XX] [GET] ..."), and turned into COMMAND DOCS' argument
 * tree on demand. redis-cli builds its as-you-type hints from that tree.
 *
 * The syntax grammar:
 *   seq     := item*
 *   item    := "[" alt "]"          optional
 *            | TOKEN name           a token that takes a value (EX seconds)
 *            | TOKEN                a pure token (NX)
 *            | name                 a value; "name [name ...]" repeats it
 *   alt     := seq ("|" seq)*       several seqs make a oneof
 * TOKENs are upper case; names lower case. A name's type follows from it:
 * key, pattern, integers (seconds, count, offset...), else string.
 */
#include "commands/command_syntax.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "resp/reply.h"

struct syntax_entry {
	const char *name;
	const char *syntax;
};

static const struct syntax_entry syntaxes[] = {
	{ "ping", "[message]" },
	{ "echo", "message" },
	{ "quit", "" },
	{ "hello", "[protover [AUTH username password] [SETNAME clientname]]" },
	{ "auth", "[username] password" },
	{ "select", "index" },
	{ "client", "subcommand [argument [argument ...]]" },
	{ "command", "[subcommand [argument [argument ...]]]" },
	{ "info", "[section [section ...]]" },
	{ "config", "subcommand [argument [argument ...]]" },
	{ "dbsize", "" },
	{ "flushall", "[ASYNC|SYNC]" },
	{ "flushdb", "[ASYNC|SYNC]" },
	{ "time", "" },
	{ "shutdown", "[NOSAVE|SAVE] [NOW] [FORCE]" },
	{ "get", "key" },
	{ "set", "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]" },
	{ "setnx", "key value" },
	{ "setex", "key seconds value" },
	{ "psetex", "key milliseconds value" },
	{ "getset", "key value" },
	{ "getdel", "key" },
	{ "getex", "key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]" },
	{ "mget", "key [key ...]" },
	{ "mset", "key value [key value ...]" },
	{ "msetnx", "key value [key value ...]" },
	{ "incr", "key" },
	{ "decr", "key" },
	{ "incrby", "key increment" },
	{ "decrby", "key decrement" },
	{ "incrbyfloat", "key increment" },
	{ "append", "key value" },
	{ "strlen", "key" },
	{ "getrange", "key start end" },
	{ "substr", "key start end" },
	{ "setrange", "key offset value" },
	{ "del", "key [key ...]" },
	{ "unlink", "key [key ...]" },
	{ "exists", "key [key ...]" },
	{ "touch", "key [key ...]" },
	{ "type", "key" },
	{ "expire", "key seconds [NX|XX|GT|LT]" },
	{ "pexpire", "key milliseconds [NX|XX|GT|LT]" },
	{ "expireat", "key unix-time-seconds [NX|XX|GT|LT]" },
	{ "pexpireat", "key unix-time-milliseconds [NX|XX|GT|LT]" },
	{ "ttl", "key" },
	{ "pttl", "key" },
	{ "expiretime", "key" },
	{ "pexpiretime", "key" },
	{ "persist", "key" },
	{ "rename", "key newkey" },
	{ "renamenx", "key newkey" },
	{ "randomkey", "" },
	{ "keys", "pattern" },
	{ "scan", "cursor [MATCH pattern] [COUNT count] [TYPE type]" },
	{ "object", "subcommand [argument [argument ...]]" },
};

const char *command_syntax(const char *name)
{
	for (size_t i = 0; i < sizeof(syntaxes) / sizeof(syntaxes[0]); i++)
		if (!strcmp(syntaxes[i].name, name))
			return syntaxes[i].syntax;
	return "";
}

/* ---- the parser --------------------------------------------------------- */

enum node_kind { NODE_VALUE, NODE_TOKEN, NODE_ONEOF, NODE_BLOCK };

#define MAX_NODES 64
#define MAX_CHILDREN 8

struct node {
	enum node_kind kind;
	char name[32];
	char token[16];
	bool optional, multiple;
	int children[MAX_CHILDREN];
	int nchildren;
};

struct parser {
	const char *p;
	struct node nodes[MAX_NODES];
	int n;
};

static void skip_spaces(struct parser *ps)
{
	while (*ps->p == ' ')
		ps->p++;
}

static size_t word_len(const char *p)
{
	size_t n = 0;
	while (p[n] && !strchr(" []|", p[n]))
		n++;
	return n;
}

static bool is_token_word(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (islower((unsigned char)p[i]))
			return false;
	return n > 0 && isupper((unsigned char)p[0]);
}

static int new_node(struct parser *ps, enum node_kind kind)
{
	if (ps->n == MAX_NODES)
		return -1;
	struct node *nd = &ps->nodes[ps->n];
	memset(nd, 0, sizeof(*nd));
	nd->kind = kind;
	return ps->n++;
}

static void copy_word(char *dst, size_t cap, const char *p, size_t n, bool lower)
{
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = lower ? (char)tolower((unsigned char)p[i]) : p[i];
	dst[n] = '\0';
}

static int parse_alt(struct parser *ps);

/* "[name ...]" or "[key value ...]" repeats the item(s) before it: returns
 * how many words precede the "...", 0 if the bracket is no repeat. */
static int repeat_words(const char *p)
{
	if (*p != '[')
		return 0;
	const char *end = strchr(p, ']');
	if (!end || end - p < 4 || strncmp(end - 3, "...", 3) != 0)
		return 0;
	int words = 0;
	for (const char *q = p + 1; q < end - 3; q++)
		if (*q != ' ' && (q == p + 1 || q[-1] == ' '))
			words++;
	return words;
}

static int parse_item(struct parser *ps)
{
	skip_spaces(ps);
	if (*ps->p == '[') {
		ps->p++;
		int id = parse_alt(ps);
		if (*ps->p == ']')
			ps->p++;
		if (id >= 0)
			ps->nodes[id].optional = true;
		return id;
	}
	size_t n = word_len(ps->p);
	if (n == 0)
		return -1;
	int id;
	if (is_token_word(ps->p, n)) {
		id = new_node(ps, NODE_TOKEN);
		if (id < 0)
			return -1;
		copy_word(ps->nodes[id].token, sizeof(ps->nodes[id].token), ps->p, n, false);
		copy_word(ps->nodes[id].name, sizeof(ps->nodes[id].name), ps->p, n, true);
		ps->p += n;
		skip_spaces(ps);
		size_t m = word_len(ps->p);
		if (m && !is_token_word(ps->p, m)) {
			/* A token that takes a value: named after the value. */
			ps->nodes[id].kind = NODE_VALUE;
			copy_word(ps->nodes[id].name, sizeof(ps->nodes[id].name), ps->p, m, false);
			ps->p += m;
		}
		return id;
	}
	id = new_node(ps, NODE_VALUE);
	if (id < 0)
		return -1;
	copy_word(ps->nodes[id].name, sizeof(ps->nodes[id].name), ps->p, n, false);
	ps->p += n;
	return id;
}

/* A block of items, named `name` or, when NULL, after its first item. */
static int make_block(struct parser *ps, const int *items, int n, const char *name)
{
	int block = new_node(ps, NODE_BLOCK);
	if (block < 0)
		return -1;
	struct node *b = &ps->nodes[block];
	memcpy(b->children, items, (size_t)n * sizeof(int));
	b->nchildren = n;
	if (!name)
		memcpy(b->name, ps->nodes[items[0]].name, sizeof(b->name));
	else
		snprintf(b->name, sizeof(b->name), "%s", name);
	return block;
}

/* Items up to "|", "]" or the end, into items[]; returns how many. */
static int parse_list(struct parser *ps, int *items, int max)
{
	int n = 0;
	for (;;) {
		skip_spaces(ps);
		if (!*ps->p || *ps->p == '|' || *ps->p == ']')
			break;
		int k = repeat_words(ps->p);
		if (k > 0 && k <= n) {
			/* The last k items repeat: one of them is flagged, or a block
			 * of them ("key value [key value ...]" is a block "data"). */
			int id = k == 1 ? items[n - 1] : make_block(ps, items + n - k, k, "data");
			if (id < 0)
				break;
			ps->nodes[id].multiple = true;
			n -= k;
			items[n++] = id;
			ps->p = strchr(ps->p, ']') + 1;
			continue;
		}
		int id = parse_item(ps);
		if (id < 0 || n == max)
			break;
		items[n++] = id;
	}
	return n;
}

/* A sequence up to "|", "]" or the end: one node, or a block of several. */
static int parse_seq(struct parser *ps)
{
	int items[MAX_CHILDREN];
	int n = parse_list(ps, items, MAX_CHILDREN);
	if (n == 0)
		return -1;
	if (n == 1)
		return items[0];
	return make_block(ps, items, n, NULL);
}

static int parse_alt(struct parser *ps)
{
	int first = parse_seq(ps);
	if (*ps->p != '|')
		return first;
	int oneof = new_node(ps, NODE_ONEOF);
	if (oneof < 0)
		return -1;
	struct node *o = &ps->nodes[oneof];
	o->children[o->nchildren++] = first;
	while (*ps->p == '|' && o->nchildren < MAX_CHILDREN) {
		ps->p++;
		int id = parse_seq(ps);
		if (id < 0)
			break;
		o = &ps->nodes[oneof];
		o->children[o->nchildren++] = id;
	}
	snprintf(o->name, sizeof(o->name), "%s", "option");
	return oneof;
}

/* ---- emitting COMMAND DOCS' argument maps -------------------------------- */

static const char *value_type(const char *name)
{
	static const char *const integers[] = {
		"seconds", "milliseconds", "unix-time-seconds", "unix-time-milliseconds", "count",
		"offset", "start", "end", "index", "protover", "cursor", "decrement",
	};
	if (!strcmp(name, "key") || !strcmp(name, "newkey"))
		return "key";
	if (!strcmp(name, "pattern"))
		return "pattern";
	if (!strncmp(name, "unix-time", 9))
		return "unix-time";
	for (size_t i = 0; i < sizeof(integers) / sizeof(integers[0]); i++)
		if (!strcmp(name, integers[i]))
			return "integer";
	return "string";
}

static void emit_node(struct buf *out, int resp, const struct parser *ps, int id, int *key_index)
{
	const struct node *nd = &ps->nodes[id];
	const char *type = nd->kind == NODE_ONEOF ? "oneof" : nd->kind == NODE_BLOCK ? "block" :
			   nd->kind == NODE_TOKEN ? "pure-token" : value_type(nd->name);
	bool is_key = !strcmp(type, "key");
	int fields = 2 + (nd->token[0] != 0) + is_key + (nd->optional || nd->multiple) +
		     (nd->nchildren > 0);
	reply_map(out, resp, fields);
	reply_bulk_str(out, "name");
	reply_bulk_str(out, nd->name);
	reply_bulk_str(out, "type");
	reply_bulk_str(out, type);
	if (is_key) {
		reply_bulk_str(out, "key_spec_index");
		reply_int(out, (*key_index)++);
	}
	if (nd->token[0]) {
		reply_bulk_str(out, "token");
		reply_bulk_str(out, nd->token);
	}
	if (nd->optional || nd->multiple) {
		reply_bulk_str(out, "flags");
		reply_set(out, resp, nd->optional + nd->multiple);
		if (nd->optional)
			reply_simple(out, "optional");
		if (nd->multiple)
			reply_simple(out, "multiple");
	}
	if (nd->nchildren) {
		reply_bulk_str(out, "arguments");
		reply_array(out, nd->nchildren);
		for (int i = 0; i < nd->nchildren; i++)
			emit_node(out, resp, ps, nd->children[i], key_index);
	}
}

int reply_syntax_arguments(struct buf *out, int resp, const char *syntax)
{
	struct parser ps = { .p = syntax };
	int top[MAX_CHILDREN * 2];
	int n = parse_list(&ps, top, (int)(sizeof(top) / sizeof(top[0])));
	int key_index = 0;
	reply_array(out, n);
	for (int i = 0; i < n; i++)
		emit_node(out, resp, &ps, top[i], &key_index);
	return n;
}
