/* Request parser: RESP multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline
 * commands ("GET k\r\n"), with Redis 7.0's limits and protocol error texts.
 *
 * A request_parser parses one complete command from the front of a buffer or
 * says how many bytes it needs first. A command cut short by the end of the
 * input is not parsed again from its start when more bytes arrive: the parser
 * keeps how far it got (the arguments so far, as offsets), so a request that
 * arrives in N reads costs O(bytes), not O(arguments x N). `need` lets the
 * caller skip calls until a large bulk has fully arrived.
 *
 * Argument bytes are borrowed from the input buffer: once a command is
 * parsed, argv[i].p points into `data`, valid until the caller consumes those
 * bytes. Inline arguments with quotes are unescaped in place, which is why
 * `data` is not const.
 */
#ifndef TESSERA_RESP_PARSE_H
#define TESSERA_RESP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "resp/buf.h"

struct arg {
	union {
		char *p;
		size_t off;   /* from the request's first byte, while it is parsed */
	};
	size_t len;
};

/* A struct arg for a string literal. */
#define ARG_LITERAL(s) ((struct arg){ .p = (char *)(s), .len = sizeof(s) - 1 })

/* A growable argv owned by whoever parses (one per shard): reused for every
 * command so that parsing allocates nothing in the steady state. */
struct argv_vec {
	struct arg *v;
	int argc;
	int cap;
};

void argv_vec_free(struct argv_vec *a);
/* Room for n arguments in a->v; returns false if out of memory. */
bool argv_vec_reserve(struct argv_vec *a, int n);

/* Copy argv into `storage` (owned by the caller, reset first): the arg array
 * then the bytes, so one buffer owns both. Returns the copied array, valid
 * while storage is, or NULL if out of memory. For arguments that must
 * outlive the request buffer (messages to other shards, later phases). */
struct arg *argv_copy(struct buf *storage, int argc, const struct arg *argv);

struct parse_limits {
	long long max_bulk_len;   /* proto-max-bulk-len */
	bool authenticated;       /* false: tighter limits, as Redis applies before AUTH */
};

enum parse_status {
	PARSE_COMMAND = 0,   /* argv holds a command; *consumed bytes were used */
	PARSE_SKIP = 1,      /* an empty line or "*0": *consumed bytes to drop, nothing to run */
	PARSE_INCOMPLETE = 2,/* wait for more bytes; *need is the total size known to be required */
	PARSE_ERROR = -1,    /* *error is the text after "ERR Protocol error: "; close after replying */
};

/* The longest inline command, and the longest count line, Redis accepts. */
#define PROTO_INLINE_MAX_SIZE (64 * 1024)
/* Redis's cap on a multibulk count (it also caps at INT_MAX). */
#define PROTO_MAX_MULTIBULK (1024 * 1024)

/* One per connection: the command last parsed, or the part of one under
 * way. Zero-initialised is ready; request_parser_free() releases it. */
struct request_parser {
	struct argv_vec argv;
	long long count;   /* a multibulk's declared count; 0: none under way */
	size_t pos;        /* parsed so far: where the next bulk header starts, or,
			    * with no count yet, bytes seen without a line end */
};

/* Parse the request at data[0..len). After PARSE_INCOMPLETE the next call
 * must pass the same request from its first byte (it may have moved) with
 * at least as many bytes; any other result starts afresh, and so does a
 * caller that drops the request (request_parser_reset). */
enum parse_status resp_parse_request(struct request_parser *rp, char *data, size_t len,
				     const struct parse_limits *lim, size_t *consumed,
				     size_t *need, const char **error);
void request_parser_reset(struct request_parser *rp);
void request_parser_free(struct request_parser *rp);

/* Split a line into arguments with Redis's quoting rules (".." with
 * escapes, '..'), unescaping in place; false for unbalanced quotes. Used for
 * inline commands and config file lines. */
bool split_args_inplace(char *p, char *end, struct argv_vec *argv);

/* Parse a decimal long long the way Redis's string2ll does: no spaces, no '+',
 * no leading zeros (except "0"), no overflow. Returns true on success. */
bool parse_ll(const char *s, size_t len, long long *out);

/* Compare an argument with a lower-case literal, ignoring ASCII case. */
bool arg_is(const struct arg *a, const char *lower);

#endif
