/* RESP reply encoders. Every reply the engine sends is written through these,
 * so the RESP2/RESP3 differences live in one place.
 *
 * All functions append to a caller-owned struct buf. `resp` is the protocol
 * version of the connection the reply is for (2 or 3).
 * Only engine/ writes error text; errors are passed without the leading '-'
 * and without CRLF, e.g. reply_error(out, "ERR syntax error").
 */
#ifndef TESSERA_REPLY_H
#define TESSERA_REPLY_H

#include <stdint.h>
#include <stddef.h>

#include "resp/buf.h"

void reply_simple(struct buf *out, const char *s);   /* "+s\r\n" */
void reply_ok(struct buf *out);
void reply_error(struct buf *out, const char *msg);  /* "-msg\r\n" */
void reply_errorf(struct buf *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void reply_int(struct buf *out, long long v);
void reply_bulk(struct buf *out, const void *p, size_t len);
void reply_bulk_str(struct buf *out, const char *s);
void reply_bulk_int(struct buf *out, long long v);    /* integer as a bulk string */
void reply_null(struct buf *out, int resp);           /* $-1 or _ */
void reply_null_array(struct buf *out, int resp);     /* *-1 or _ */
void reply_array(struct buf *out, long long n);
void reply_map(struct buf *out, int resp, long long pairs);  /* *2n or %n */
void reply_set(struct buf *out, int resp, long long n);      /* *n or ~n */
void reply_verbatim(struct buf *out, int resp, const char *p, size_t len); /* bulk or =txt: */
void reply_bool(struct buf *out, int resp, int v);            /* :0/:1 or #f/#t */
void reply_double(struct buf *out, int resp, double v);       /* bulk "%.17g" or ,v */

/* The shared error texts, so the same failure reads the same everywhere. */
#define ERR_SYNTAX "ERR syntax error"
#define ERR_NOT_INTEGER "ERR value is not an integer or out of range"
#define ERR_NOT_FLOAT "ERR value is not a valid float"
#define ERR_OVERFLOW "ERR increment or decrement would overflow"
#define ERR_NO_SUCH_KEY "ERR no such key"
#define ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_STRING_TOO_LONG "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

#endif
