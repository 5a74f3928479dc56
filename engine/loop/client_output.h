/* The engine's output side: handing each client's replies to the backend
 * that sends them. Every backend walks the shard's dirty list the same way
 * through shard_flush_output(); a backend supplies only how to send and how
 * to close one connection.
 */
#ifndef TESSERA_CLIENT_OUTPUT_H
#define TESSERA_CLIENT_OUTPUT_H

#include <stdbool.h>

#include "request/client.h"

struct output_sink {
	/* Send, or queue for sending, what it can of c->out, and consume what
	 * it took (or buf_move the whole buffer into its own). A backend that
	 * cannot take more now marks the client dirty again once it can. False
	 * if the connection failed and was closed: the client may be freed and
	 * is not touched again. */
	bool (*send)(void *backend, struct client *c);
	/* The client is to close (c->close_asap, or its input ended), c->out
	 * is empty and no reply waits on another shard: close the connection
	 * once what the backend still holds of it is sent. */
	void (*close)(void *backend, struct client *c);
	/* Read the connection's input, or stop reading it while its replies
	 * wait (on == !c->input_paused); called for each client the walk sends
	 * to, the backend acts on a change. NULL: the backend always reads. */
	void (*reading)(void *backend, struct client *c, bool on);
	void *backend;
};

/* Once per loop iteration, after the rings and the input: every client with
 * new output (or a close request) goes to the sink; INFO's
 * total_net_output_bytes counts what the sink took. Empties the dirty list. */
void shard_flush_output(struct shard *sh, const struct output_sink *sink);

#endif
