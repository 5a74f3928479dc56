#include "request/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/invariant.h"
#include "request/pending.h"
#include "resp/reply.h"

static const char REJECT_TEXT[] = "-ERR max number of clients reached\r\n";

/* Redis's reply, in Tessera's words: clients look for "DENIED". */
static const char DENIED_TEXT[] =
	"DENIED Tessera is running in protected mode because protected mode is enabled, "
	"no address to serve was given and no password is set for the default user. In this "
	"mode connections are only accepted from the loopback interface. To accept connections "
	"from other hosts, do one of these: 1) give the address to serve (--bind, or --ip on the "
	"DPDK dataplane); 2) set a password (requirepass); 3) turn protected mode off: "
	"'CONFIG SET protected-mode no' from the loopback interface, or start the server with "
	"'--protected-mode no'.";

/* Protected mode (as Redis's): with no password and no address chosen by
 * the operator, only loopback peers are served. A peer whose address is not
 * IPv4 text (a test's, a future Unix socket's) counts as local. */
static bool denied_by_protected_mode(const char *addr)
{
	unsigned a, b, c, d;
	if (!CFG(protected_mode) || CFG(requirepass)[0] || config_address_given())
		return false;
	return sscanf(addr, "%u.%u.%u.%u:", &a, &b, &c, &d) == 4 && a != 127;
}

const char *client_reject_text(void)
{
	return REJECT_TEXT;
}

struct client *client_create(struct shard *sh, void *conn, int fd,
			     const char *addr, const char *laddr)
{
	struct engine *eng = sh->engine;
	long long now = atomic_fetch_add(&eng->connected_clients, 1) + 1;
	if (now > CFG(maxclients)) {
		atomic_fetch_sub(&eng->connected_clients, 1);
		STAT_ADD(sh->stats.rejected_connections, 1);
		return NULL;
	}
	struct client *c = calloc(1, sizeof(*c));
	if (!c) {
		atomic_fetch_sub(&eng->connected_clients, 1);
		return NULL;
	}
	c->id = atomic_fetch_add(&eng->next_client_id, 1);
	c->sh = sh;
	c->conn = conn;
	c->fd = fd;
	c->resp = 2;
	c->authenticated = CFG(requirepass)[0] == '\0';
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	snprintf(c->laddr, sizeof(c->laddr), "%s", laddr);
	c->ctime_ms = c->last_ms = sh->now_ms;
	c->last_cmd = "NULL";
	c->next = sh->clients;
	if (sh->clients)
		sh->clients->prev = c;
	sh->clients = c;
	STAT_ADD(sh->stats.connected_clients, 1);
	STAT_ADD(sh->stats.connections_received, 1);
	if (denied_by_protected_mode(addr)) {
		reply_error(&c->out, DENIED_TEXT);
		c->close_asap = true;
		client_mark_dirty(c);
	}
	return c;
}

/* Off the shard's dirty and ready lists: the loop must not meet it there
 * once freed (a client detached while its output waited, then freed when
 * its last part came back, in the same iteration). Its dirty slots are
 * emptied, not removed: shard_flush_output() may be walking the list, and
 * slots it has passed may still name the client. Rare, so a walk. */
static void unlist(struct client *c)
{
	struct shard *sh = c->sh;
	for (unsigned i = 0; i < sh->ndirty; i++)
		if (sh->dirty[i] == c)
			sh->dirty[i] = NULL;
	if (c->on_ready) {
		struct client **link = &sh->ready;
		while (ALWAYS(*link) && *link != c)
			link = &(*link)->next_ready;
		if (*link)
			*link = c->next_ready;
	}
}

static void client_free(struct client *c)
{
	struct shard *sh = c->sh;
	unlist(c);
	while (c->pend_head) {
		struct pending *p = c->pend_head;
		c->pend_head = p->next;
		pending_release(sh, p);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		sh->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	buf_free(&c->query);
	request_parser_free(&c->parser);
	buf_free(&c->out);
	free(c->name);
	free(c->lib_name);
	free(c->lib_ver);
	free(c);
}

void client_detach(struct client *c)
{
	struct shard *sh = c->sh;
	if (c->detached)
		return;
	c->detached = true;
	c->conn = NULL;
	atomic_fetch_sub(&sh->engine->connected_clients, 1);
	STAT_ADD(sh->stats.connected_clients, -1);
	/* Parts still out on other shards point at our pendings: the client
	 * lives until they are back (client_free_if_unused frees it then). */
	client_free_if_unused(c);
}

bool client_free_if_unused(struct client *c)
{
	/* Every pending still queued is complete or waits on a part in
	 * flight: with none in flight, nothing will touch the client again. */
	if (!c->detached || c->inflight > 0)
		return false;
	client_free(c);
	return true;
}

size_t client_output_bytes(const struct client *c)
{
	size_t bytes = buf_live(&c->out) + c->out_held;
	for (const struct pending *p = c->pend_head; p; p = p->next)
		bytes += buf_live(&p->reply) + buf_live(&p->after);
	return bytes;
}

#ifdef TESSERA_ASSERTS
static size_t frozen_after_walked(const struct client *c)
{
	size_t bytes = 0;
	for (const struct pending *p = c->pend_head; p && p != c->pend_tail; p = p->next)
		bytes += buf_live(&p->after);
	return bytes;
}
#endif

size_t client_queued_output(const struct client *c)
{
#ifdef TESSERA_ASSERTS
	ASSERT(c->frozen_after_bytes == frozen_after_walked(c));
#endif
	return buf_live(&c->out) + c->out_held + c->frozen_after_bytes +
	       (c->pend_tail ? buf_live(&c->pend_tail->after) : 0);
}

/* What a connection holds steadily: its struct, buffers and argv. */
static size_t own_bytes(const struct client *c)
{
	return sizeof(*c) + c->query.cap + c->out.cap +
	       (size_t)c->parser.argv.cap * sizeof(struct arg);
}

size_t client_memory_bytes(const struct client *c)
{
	size_t bytes = own_bytes(c) + c->out_held;
	for (const struct pending *p = c->pend_head; p; p = p->next)
		bytes += p->reply.cap + p->after.cap;
	return bytes;
}

void clients_survey(const struct shard *sh, struct clients_survey *s)
{
	*s = (struct clients_survey){ 0 };
	for (const struct client *c = sh->clients; c; c = c->next) {
		size_t out = client_output_bytes(c), in = c->query.cap;
		s->memory += client_memory_bytes(c);
		s->held += own_bytes(c);
		if (out > s->max_output)
			s->max_output = out;
		if (in > s->max_input)
			s->max_input = in;
	}
}

void client_kill(struct client *c)
{
	c->close_asap = true;
	c->output_dropped = true;
	buf_free(&c->out);
	client_mark_dirty(c);
}

void client_mark_dirty(struct client *c)
{
	struct shard *sh = c->sh;
	if (c->dirty || c->detached)
		return;
	if (sh->ndirty == sh->dirty_cap) {
		unsigned cap = sh->dirty_cap ? sh->dirty_cap * 2 : 64;
		struct client **d = realloc(sh->dirty, cap * sizeof(*d));
		if (!d)
			return;
		sh->dirty = d;
		sh->dirty_cap = cap;
	}
	sh->dirty[sh->ndirty++] = c;
	c->dirty = true;
}

struct buf *client_reply_buf(struct client *c)
{
	return c->pend_tail ? &c->pend_tail->after : &c->out;
}
