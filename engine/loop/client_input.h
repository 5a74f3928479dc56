/* The engine's input side, as a dataplane and the loop call it. */
#ifndef TESSERA_CLIENT_INPUT_H
#define TESSERA_CLIENT_INPUT_H

#include <stddef.h>

#include "request/client.h"

/* Every chunk received on the connection; borrows the bytes. Complete
 * requests run now; an incomplete tail is kept in c->query. */
void client_feed(struct client *c, char *data, size_t len);
/* The peer will send nothing more (read returned 0, shutdown(SHUT_WR), a
 * FIN): every request already received runs and is answered, then the
 * connection closes, as Redis does. A request left incomplete is dropped. */
void client_input_ended(struct client *c);
/* The clients whose pendings completed (sh->ready): mark their output,
 * parse what a barrier held back, free those that are detached and done.
 * The loop calls it after each source of completions (rings, jobs);
 * client_feed() calls it itself. */
void client_serve_ready(struct shard *sh);
/* A client paused for backpressure (c->input_paused) whose replies have
 * drained: run the requests that waited. shard_flush_output() calls it
 * after each send; it may pause the client again. */
void client_resume_input(struct client *c);

#endif
