#include "loop/client_output.h"

#include "loop/client_input.h"

void shard_flush_output(struct shard *sh, const struct output_sink *sink)
{
	/* Sending may mark more clients dirty (a close, a backend's upcall):
	 * they are appended and taken in this same walk. */
	for (unsigned i = 0; i < sh->ndirty; i++) {
		struct client *c = sh->dirty[i];
		if (!c)
			continue; /* freed meanwhile (request/client.c: unlist) */
		c->dirty = false;
		if (c->detached || !c->conn)
			continue;
		size_t waiting = buf_live(&c->out);
		if (waiting > 0) {
			if (!sink->send(sink->backend, c))
				continue;
			STAT_ADD(sh->stats.net_output_bytes, waiting - buf_live(&c->out));
		}
		if (c->input_paused)
			client_resume_input(c);
		if (sink->reading)
			sink->reading(sink->backend, c, !c->input_paused);
		/* Replies still waiting on other shards (a QUIT behind a remote
		 * GET, requests sent before a half-close) come first: the
		 * completed pending marks the client again. */
		bool closing = c->close_asap || c->input_ended;
		if (closing && buf_live(&c->out) == 0 && !c->pend_head && c->conn)
			sink->close(sink->backend, c);
	}
	sh->ndirty = 0;
}
