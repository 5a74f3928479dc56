/* A connection as the engine sees it: a byte stream of requests in, a byte
 * stream of replies out. The dataplane owns the socket (or TCP connection)
 * and moves bytes; the engine parses, runs commands and orders replies.
 *
 * Dataplane contract:
 *   client_create()   on accept (returns NULL when maxclients is reached:
 *                     the dataplane sends client_reject_text() and closes)
 *   client_feed()     with every chunk received; borrows the bytes
 *                     (loop/client_input.h)
 *   c->out            replies ready to send: each iteration
 *                     shard_flush_output() (loop/client_output.h) hands
 *                     every client with output to the backend's sink, which
 *                     consumes what it sends or takes the whole buffer
 *   client_input_ended()  at end of input (a half-close, or a FIN): what
 *                     was received still runs and is answered, then the
 *                     sink's close is called (loop/client_input.h)
 *   c->close_asap     set by the engine: the sink's close is called once
 *                     c->out is empty and no reply waits on another shard;
 *                     the backend sends what it holds, then closes (unless
 *                     c->output_dropped: a killed client, which may never
 *                     read it, is closed at once)
 *   client_detach()   when the connection is gone; the engine frees the
 *                     client once no other shard still works for it
 */
#ifndef TESSERA_CLIENT_H
#define TESSERA_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "resp/buf.h"
#include "resp/resp_parse.h"
#include "shard/shard.h"

struct pending;

struct client {
	uint64_t id;
	struct shard *sh;
	void *conn;                  /* the dataplane's connection, opaque here */
	int fd;
	struct buf query;            /* bytes of an incomplete request */
	size_t query_need;           /* don't re-parse before this many bytes */
	struct request_parser parser;/* the request in c->query, parsed so far */
	struct buf out;
	size_t out_held;             /* replies a backend took and has not sent yet */
	struct pending *pend_head, *pend_tail;
	unsigned npending;           /* pendings from pend_head to pend_tail */
	size_t reply_size_hint;      /* recent pendings' largest reply, decaying */
	size_t frozen_after_bytes;   /* replies in `after` of pendings that have a newer one */
	int inflight;                /* parts on other shards */
	int resp;
	bool authenticated;
	bool close_asap;
	bool output_dropped;         /* client_kill: what the backend holds is dropped too */
	bool input_ended;            /* the peer sends no more (client_input_ended) */
	bool detached;               /* the connection is gone */
	bool blocked;                /* a barrier pending is in flight */
	bool dirty;                  /* on sh->dirty */
	bool processing;             /* inside process_buffer: no re-entry */
	bool no_evict;               /* CLIENT NO-EVICT on: maxmemory-clients spares it */
	int64_t over_soft_since_ms;  /* over the soft output limit since; 0: not over */
	bool input_paused;           /* backpressure: requests wait in c->query and
				      * the backend stops reading (client_input.h) */
	bool on_ready;               /* on sh->ready (pending_finish) */
	struct client *next_ready;
	char *name;
	char *lib_name;
	char *lib_ver;
	char addr[64];
	char laddr[64];
	int64_t ctime_ms;
	int64_t last_ms;
	const char *last_cmd;
	struct client *prev, *next;  /* the shard's client list */
};

struct client *client_create(struct shard *sh, void *conn, int fd,
			     const char *addr, const char *laddr);
const char *client_reject_text(void);
/* The connection is gone. The client is freed now, or once no other shard
 * still works for it (client_free_if_unused). */
void client_detach(struct client *c);

/* Engine-internal. */
/* Free a detached client that nothing in flight refers to; true if freed. */
bool client_free_if_unused(struct client *c);
/* Put the client on the shard's dirty list: it has output, or must close. */
void client_mark_dirty(struct client *c);
/* Where a reply goes now: after the newest pending (request order), or
 * straight to the output. */
struct buf *client_reply_buf(struct client *c);
/* Replies made and not yet sent: c->out, what the backend holds, and what
 * waits in pendings behind an earlier reply. */
size_t client_output_bytes(const struct client *c);
/* The same in O(1), for backpressure on every request: all but the replies
 * of other shards that wait in pendings (the window of pendings bounds
 * those). */
size_t client_queued_output(const struct client *c);
/* Close a client from a command (CLIENT KILL, timeout). */
void client_kill(struct client *c);
/* Bytes a connection holds: its struct, query and output buffers, its
 * argv, what its backend and its pendings hold. */
size_t client_memory_bytes(const struct client *c);
/* One walk over a shard's connections, at its tick. */
struct clients_survey {
	uint64_t memory;          /* client_memory_bytes() of them all */
	uint64_t held;            /* of which their own buffers: replies in flight
				   * (a send, a pending) come and go within a tick */
	uint64_t max_output;      /* the largest client_output_bytes() */
	uint64_t max_input;       /* the largest query buffer */
};
void clients_survey(const struct shard *sh, struct clients_survey *s);

#endif
